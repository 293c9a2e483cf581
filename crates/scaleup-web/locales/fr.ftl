### scaleup interface text: French (français). Same messages as en.ftl, the reference catalogue.
### Messages starting with app- also travel to the offline app; they use only variables and
### selectors on a number, and every selector ends with a default *[other] variant.
###
### WORKING TRANSLATION drafted on 2026-12-06 without review by a native speaker.
### meta-reviewed must change to "yes" only after a native speaker has reviewed every message.
###
### Terms used (for the reviewer): client = bénéficiaire, counsellor = conseiller,
### supervisor = superviseur, hub = pôle, hub manager = responsable de pôle, record = fiche,
### session = séance, risk alert = alerte de risque, acknowledge = prendre en charge,
### escalated = transmise au pôle, refer = orienter, screen = dépister.
### Plurals: CLDR French "one" covers 0 and 1 ("0 séance suivie"); [0] as in English.
### A non-breaking space (U+00A0) stands before : ; ? ! and inside « ».

## Review status of this catalogue: "yes" once a native speaker has reviewed every message.
meta-reviewed = no

## Frame
skip-to-content = Aller au contenu
nav-label = Principal
nav-today = Aujourd'hui
nav-queue = À examiner
nav-supervision-log = Journal de supervision
nav-hub = Pôle
sign-out = Se déconnecter
language-link = Langue
language-title = Langue
language-choose = Choisissez la langue de l'interface
language-unreviewed = pas encore relu par un locuteur natif
language-unreviewed-note = Cette traduction n'a pas encore été relue par un locuteur natif.
language-unknown = Cette langue n'est pas disponible.
save = Enregistrer
cancel = Annuler
back = Retour

## Sign-in
signin-title = Connexion
signin-lead = Connectez-vous avec le nom d'utilisateur et le mot de passe donnés par votre pôle.
field-username = Nom d'utilisateur
field-password = Mot de passe
sign-in = Se connecter
signin-missing = Saisissez votre nom d'utilisateur et votre mot de passe.
signin-invalid = Nom d'utilisateur ou mot de passe incorrect.
signin-wait-seconds = { $n ->
    [one] Trop de tentatives échouées. Réessayez dans { $n } seconde.
   *[other] Trop de tentatives échouées. Réessayez dans { $n } secondes.
}
signin-wait-minutes = { $n ->
    [one] Trop de tentatives échouées. Réessayez dans { $n } minute.
   *[other] Trop de tentatives échouées. Réessayez dans { $n } minutes.
}
signin-locked = Trop de tentatives échouées sur ce compte. Connectez-vous sur un téléphone ou un ordinateur où vous vous êtes déjà connecté, ou demandez au responsable de votre pôle de faire réinitialiser votre mot de passe.
signin-busy = { $n ->
    [one] Le serveur est occupé. Réessayez dans { $n } seconde.
   *[other] Le serveur est occupé. Réessayez dans { $n } secondes.
}

## Roles and home
home-title = Bienvenue
home-role = Vous êtes connecté en tant que { $role }.
home-api = Les données du programme, les analyses et les exports sont disponibles par l'API :
role-admin = administrateur
role-hub_manager = responsable de pôle
role-supervisor = superviseur
role-counsellor = conseiller
role-researcher = chercheur
role-viewer = lecteur

## Errors
error-forbidden = Votre rôle ne permet pas d'ouvrir cette page.
error-not-found = Cette page n'existe pas ou ne concerne pas vos bénéficiaires.
error-form-expired = Ce formulaire a expiré ou ne vient pas de scaleup. Rechargez la page et réessayez.

## Supervisor: queue
queue-title = Liste à examiner
queue-lead = Les bénéficiaires de vos conseillers qui ont besoin d'attention, les plus urgents d'abord.
queue-empty = Rien ne demande votre attention pour le moment.
queue-alerts = Alertes de risque ouvertes
queue-flagged = Bénéficiaires signalés
queue-client = Bénéficiaire
queue-counsellor = Conseiller
queue-flags = Motif
queue-due = Répondre avant
queue-overdue = en retard
flag-risk = Alerte de risque
flag-no_improvement = Pas d'amélioration
flag-missed_sessions = Séances manquées
flag-overdue = Séance en retard
flag-dropout = Abandon
acknowledge = Prendre en charge
open-client = Ouvrir le dossier
queue-counsellors = Vos conseillers
queue-coaching = Accompagnement
queue-rate = Évaluer les compétences
alert-level-urgent = Urgent
alert-level-routine = Normal
alert-status-open = Ouverte
alert-status-acknowledged = Prise en charge
alert-status-escalated = Transmise au pôle

## Supervisor: alert
alert-title = Alerte de risque
alert-raised = Déclenchée
alert-rule = Motif
alert-history = Ce qui a été fait
alert-history-empty = Rien n'est encore enregistré.
alert-ack-title = Prendre en charge et agir
alert-ack-actions = Qu'avez-vous fait ? Cochez tout ce qui s'applique.
alert-note = Note (facultatif)
alert-note-hint = N'écrivez pas le nom du bénéficiaire ici.
alert-followup-title = Ajouter un suivi
alert-ack-done = Prise en charge enregistrée.
alert-followup-done = Suivi enregistré.
alert-choose-action = Choisissez au moins une action.
action-contacted_client = Bénéficiaire contacté
action-safety_plan_made = Plan de sécurité établi
action-referred_emergency = Orienté vers les urgences
action-referred_specialist = Orienté vers un spécialiste
action-home_visit = Visite à domicile
action-risk_assessed_low = Risque évalué comme faible
action-called_counsellor = Conseiller appelé
action-visited_with_counsellor = Visite avec le conseiller
action-supervision_scheduled = Supervision programmée
action-client_not_reached = Essayé, mais bénéficiaire injoignable
history-acknowledge = Prise en charge
history-follow_up = Suivi
history-escalate = Transmise au pôle

## Supervisor: client
client-title = Bénéficiaire { $code }
client-programme = Programme
client-counsellor = Conseiller
client-status = Statut
client-sessions = Séances suivies
client-trend = Évolution des résultats
client-records = Fiches
client-no-scores = Pas encore de score.
episode-active = En traitement
episode-closed = Clôturé
episode-none = Non inscrit

## Supervisor: supervision session
supervision-title = Séance de supervision
supervision-date = Date
supervision-minutes = Durée (minutes)
supervision-format = Format
format-individual = Individuelle
format-group = En groupe
format-remote = À distance
supervision-counsellors = Conseillers présents
supervision-notes = Notes
supervision-actions = Actions à mener (une par ligne)
supervision-saved = Séance de supervision enregistrée.
supervision-recent = Séances de supervision récentes

## Supervisor: competency rating
rating-title = Évaluation des compétences : { $name }
rating-lead = Pour chaque compétence, répondez à trois questions. Le niveau est calculé à partir de vos réponses.
rating-method = Comment avez-vous observé ?
method-role_play = Jeu de rôle
method-observed_session = Séance observée
method-recorded_session = Séance enregistrée
rating-harmful = Comportement peu aidant ou nuisible observé
rating-basic = Compétences de base montrées
basic-none = Aucune
basic-some = Certaines
basic-all = Toutes
rating-advanced = Au moins une compétence avancée montrée
rating-level = Niveau { $level }
rating-saved = Évaluation enregistrée.
rating-safety-flag = Une compétence a été évaluée au niveau nuisible : un signalement de sécurité de supervision a été envoyé au responsable clinique du pôle.
yes = Oui
no = Non

## Supervisor: coaching view
coaching-title = Accompagnement : { $name }
coaching-lead = Pour les échanges d'accompagnement, pas pour faire un classement.
coaching-caseload = Bénéficiaires actifs
coaching-sessions-week = Séances par semaine (8 dernières semaines)
coaching-components = Éléments du protocole réalisés
coaching-improving = Bénéficiaires qui vont mieux
coaching-competency = Niveaux de compétence dans le temps
coaching-no-ratings = Pas encore d'évaluation des compétences.

## Hub
hub-title = Pôle
hub-flags = Signalements de sécurité de supervision
hub-flags-empty = Aucun signalement de sécurité ouvert.
hub-escalated = Alertes de risque transmises au pôle
hub-escalated-empty = Aucune alerte transmise.

## The offline app (messages the device formats itself)
app-title = Aujourd'hui
app-today = Aujourd'hui
app-new-client = Nouveau bénéficiaire
app-send-now = Envoyer
app-pending = { $n ->
    [0] Rien en attente
    [one] { $n } fiche en attente
   *[other] { $n } fiches en attente
}
app-sending = Envoi…
app-offline = Hors ligne : les fiches sont gardées sur ce téléphone et seront envoyées quand vous serez de nouveau en ligne.
app-online = En ligne
app-unreachable = Le serveur est injoignable. Vos fiches sont gardées sur ce téléphone et seront envoyées plus tard.
app-last-sync = Dernier envoi : { $when }
app-never-synced = Pas encore envoyé
app-storage-persisted = Stockage : conservé par le navigateur
app-storage-not-persisted = Stockage : le navigateur peut l'effacer si le téléphone manque de place. Ajoutez scaleup à l'écran d'accueil pour le garder.
app-no-indexeddb = Ce navigateur ne peut pas garder les fiches hors ligne (navigation privée ?). N'enregistrez rien avant d'utiliser une fenêtre normale du navigateur.
app-signed-out = Vous êtes déconnecté. Connectez-vous en ligne pour utiliser scaleup sur ce téléphone.
app-session-ended = Votre connexion a expiré. Reconnectez-vous pour envoyer vos fiches ; rien n'a été perdu.
app-sign-in = Se connecter
app-first-sync = Téléchargement de vos dossiers…
app-first-sync-progress = { $n ->
    [one] { $n } fiche téléchargée
   *[other] { $n } fiches téléchargées
}
app-update-ready = Une mise à jour est prête. Elle sera appliquée quand vous aurez fini ce formulaire.
app-update-apply = Mettre à jour
app-section-alerts = Alertes de risque ouvertes
app-section-due = Prévu aujourd'hui
app-section-overdue = En retard
app-section-missed = Séances manquées
app-section-upcoming = À venir
app-nothing-due = Aucune séance prévue aujourd'hui.
app-session-n = Séance { $n }
app-due-on = Prévue le { $date }
app-overdue-days = { $n ->
    [one] { $n } jour de retard
   *[other] { $n } jours de retard
}
app-alert-open = Alerte de risque : en attente de votre superviseur
app-alert-acknowledged = Alerte de risque prise en charge par votre superviseur
app-alert-escalated = Alerte de risque transmise au pôle
app-outbox = Fiches sur ce téléphone
app-outbox-empty = Toutes les fiches ont été envoyées.
app-status-pending = en attente
app-status-sent = envoyée
app-status-rejected = refusée
app-status-conflict = envoyée, à vérifier par le superviseur
app-discard = Supprimer
app-download-unsent = Télécharger mes fiches non envoyées
app-kind-client = Bénéficiaire
app-kind-client_identity = Coordonnées
app-kind-consent = Consentement
app-kind-assessment = Évaluation
app-kind-eligibility = Éligibilité
app-kind-episode = Inscription
app-kind-session = Séance
app-kind-referral = Orientation
app-signout-title = Se déconnecter
app-signout-unsent = { $n ->
    [one] { $n } fiche n'a pas encore été envoyée.
   *[other] { $n } fiches n'ont pas encore été envoyées.
}
app-signout-explain = Les fiches non envoyées restent sur ce téléphone, cachées aux autres personnes, et seront envoyées à votre prochaine connexion ici. Vous pouvez aussi les télécharger maintenant.
app-signout-anyway = Se déconnecter quand même
app-stay = Rester connecté
app-client-given-name = Prénom
app-client-family-name = Nom de famille
app-client-phone = Téléphone
app-client-sex = Sexe
app-sex-female = Femme
app-sex-male = Homme
app-sex-other = Autre
app-sex-unknown = Non renseigné
app-client-birth-year = Année de naissance
app-client-facility = Structure de santé
app-client-programme = Programme
app-consent-treatment = Le bénéficiaire accepte le dépistage et le traitement
app-consent-research = Le bénéficiaire accepte que ses données anonymisées servent à la recherche
app-consent-required = Le bénéficiaire doit accepter le dépistage et le traitement avant que vous l'inscriviez.
app-required = Ce champ est obligatoire.
app-invalid-year = Saisissez une année entre { $min } et { $max }.
app-save = Enregistrer
app-cancel = Annuler
app-episode-active = En traitement
app-episode-closed = Traitement terminé
app-episode-none = Non inscrit
app-saved-pending = Enregistré sur ce téléphone. Ce sera envoyé quand vous serez en ligne.
app-client-page = Bénéficiaire
app-screen = Dépister avec { $instrument }
app-measure = Évaluer avec { $instrument }
app-enrol = Proposer le traitement
app-record-decision = Enregistrer la décision
app-record-session = Enregistrer une séance
app-refer = Orienter
app-close-episode = Clôturer le traitement
app-next-step = Prochaine étape
app-sessions-attended = { $n ->
    [one] { $n } séance suivie
   *[other] { $n } séances suivies
}
app-trend = Évolution des résultats
app-no-trend = Pas encore de score.
app-item-n = Question { $n }
app-fallback-marker = (en anglais : pas encore traduit)
app-answered = Réponses : { $n } sur { $total }
app-score = Score
app-total = Total : { $total }
app-band = { $band }
app-incomplete = Incomplet : répondez à toutes les questions pour obtenir un total.
app-incomplete-missing = Répondez à toutes les questions avant d'enregistrer. Sans réponse : { $items }.
app-risk-flag = Risque : { $message }
app-server-score = Confirmé par le serveur : total { $total }
app-eligible = Éligible pour { $programme } : proposez le traitement.
app-not-eligible = Non éligible pour { $programme } selon la règle du protocole.
app-excluded-refer = Orientez : le protocole exclut le traitement ici ({ $rule }). Suivez les étapes de sécurité.
app-excluded = Non éligible : exclu par le protocole ({ $rule }).
app-safety-title = Étapes de sécurité
app-safety-step = Étape { $n } sur { $total }
app-safety-ask-title = Demander
app-safety-ask = Demandez calmement et directement : « Avez-vous des pensées de mettre fin à votre vie ? Avez-vous un plan ? Avez-vous le moyen de le faire ? » Écoutez sans juger.
app-safety-keep-title = Protéger
app-safety-keep = Si le bénéficiaire a un plan ou le moyen de le faire, ou est déjà passé à l'acte : ne le laissez pas seul, retirez le moyen si vous pouvez le faire sans danger, et faites venir une personne en qui il a confiance.
app-safety-call-title = Appeler
app-safety-call = Appelez votre superviseur maintenant. Votre superviseur a été alerté et doit répondre dans les { $hours } heures.
app-safety-call-who = Votre superviseur : { $name }
app-safety-emergency = En cas de danger immédiat, appelez le numéro d'urgence local.
app-safety-record-title = Noter
app-safety-record = Notez ce que vous avez fait. Si vous avez orienté le bénéficiaire, enregistrez l'orientation maintenant.
app-safety-next = Suivant
app-safety-done = Terminé
app-safety-source = D'après le Guide d'intervention mhGAP 2.0 de l'OMS, module Auto-agression/suicide.
app-offer-accepted = Le bénéficiaire accepte le traitement
app-offer-declined = Le bénéficiaire refuse
app-decline-reason = Motif du refus
app-decline-no_time = Pas le temps
app-decline-distance = Trop loin
app-decline-cost = Coût
app-decline-family_objection = La famille s'y oppose
app-decline-stigma = Stigmatisation
app-decline-not_needed = N'en voit pas le besoin
app-decline-prefers_other_care = Préfère d'autres soins
app-decline-other = Autre
app-session-number = Numéro de séance
app-session-date = Date
app-session-attendance = Le bénéficiaire est-il venu ?
app-session-attended = Le bénéficiaire est venu
app-session-missed = Le bénéficiaire n'est pas venu
app-session-minutes = Durée (minutes)
app-session-modality = Comment
app-modality-individual = En personne
app-modality-group = En groupe
app-modality-remote = Par téléphone
app-session-components = Qu'avez-vous abordé ?
app-planned = prévu pour cette séance
app-date-future = La date ne peut pas être dans le futur.
app-refer-to = Orienter vers
app-service-primary_care_doctor = Médecin de soins primaires
app-service-psychiatry = Psychiatrie
app-service-emergency = Services d'urgence
app-service-social_services = Services sociaux
app-service-other = Autre service
app-refer-reason = Motif
app-reason-suicide_risk = Risque de suicide
app-reason-no_improvement = Pas d'amélioration
app-reason-psychosis = Psychose possible
app-reason-medical = Problème médical
app-reason-other = Autre
app-urgency = Degré d'urgence
app-urgency-routine = Non urgent
app-urgency-urgent = Urgent
app-urgency-emergency = Urgence immédiate
app-close-reason = Pourquoi le traitement se termine-t-il ?
app-closure-completed = Terminé
app-closure-dropped_out = Abandon
app-closure-referred = Orienté ailleurs
app-closure-transferred = Transféré
app-closure-died = Décédé
app-close-date = Date
app-not-found = Ce bénéficiaire n'est pas sur ce téléphone.
app-error-reason = Motif : { $message }
app-search = Trouver un bénéficiaire
app-all-clients = Tous mes bénéficiaires
app-show-all = Tout afficher ({ $n })
app-no-clients = Pas encore de bénéficiaire. Inscrivez-en un avec « Nouveau bénéficiaire ».

## Programme dashboard
nav-dashboard = Tableau de bord
dash-title = Tableau de bord du programme
dash-forbidden = Votre rôle ne donne pas accès aux chiffres du programme. Demandez-les au responsable de votre pôle.
dash-bad-level = Choisissez une région ou un district dans le tableau.
dash-no-unit = Ce programme n'a pas de chiffres pour ce lieu. Revenez à tous les lieux.
dash-programme = Programme
dash-show = Afficher
dash-choose = Choisissez un programme pour voir ses chiffres.
dash-scope = Où
dash-all-units = Tous les lieux
dash-cascade = Couverture effective : personnes dans le besoin atteintes à chaque étape
dash-months = Dépistés et inclus, mois par mois
dash-targets = Par rapport aux cibles du protocole
dash-target-at-least = cible : au moins { $share }
dash-target-at-most = cible : au plus { $share }
dash-target-source = Cible fixée par : { $source }
dash-reach-by-sex = Portée par sexe
dash-reach-by-age = Portée par tranche d'âge
dash-units-region = Régions
dash-units-district = Districts
dash-units-facility = Établissements
dash-unit = Lieu
dash-none = Pas encore de chiffres.
dash-counsellors = Conseillers : fidélité, dose et compétence
dash-counsellor = Conseiller
dash-suppressed = Les effectifs inférieurs à { $k } sont affichés comme <{ $k } afin que personne ne puisse être reconnu.
dash-download = Télécharger les chiffres (CSV)
dash-costs-link = Coût de mise en œuvre par client, année par année
cost-title = Coût de mise en œuvre
cost-note = Tous les programmes du hub : les séances, la supervision et la formation enregistrées chaque année, valorisées avec les listes de prix enregistrées par le hub (coût de mise en œuvre selon Proctor).
cost-year = Année
cost-clients = Clients atteints
cost-sessions = Séances
cost-total = Coût total
cost-per-client = Coût par client
cost-per-session = Coût par séance
cost-price-list = Liste de prix
cost-missing = Années non chiffrées
cost-no-prices = Aucune liste de prix pour { $hub } en { $year }.
cost-upload = Téléverser une liste de prix
cost-no-activity = Aucune activité enregistrée pour le moment.
dash-definitions = Les noms des indicateurs sont traduits ; leurs définitions sont en anglais (docs/indicators.md).
dash-every = Tous les indicateurs
dash-every-note = Depuis le début, pour le lieu ci-dessus. Ouvrez un cadre pour voir ses indicateurs, leur base et leur définition.

## Indicator and framework names (the dashboard): names only, definitions stay in English.
## Working translation, not yet reviewed (see the top of this file). Reach = portée (as
## dash-reach-by-sex), treatment gap = écart thérapeutique.
ind-framework-reach = RE-AIM : Portée
ind-framework-effectiveness = RE-AIM : Efficacité
ind-framework-adoption = RE-AIM : Adoption
ind-framework-implementation = RE-AIM : Mise en œuvre
ind-framework-maintenance = RE-AIM : Maintien
ind-framework-proctor = Résultats de mise en œuvre (Proctor)
ind-framework-coverage = Couverture effective et écart thérapeutique
ind-registered = Bénéficiaires enregistrés
ind-screened = Bénéficiaires dépistés
ind-eligible = Bénéficiaires éligibles
ind-offered = Bénéficiaires éligibles à qui un traitement a été proposé
ind-enrolled = Bénéficiaires inscrits
ind-reach = Portée (inscrits ÷ éligibles)
ind-reach_participation = Participation parmi ceux à qui le traitement a été proposé
ind-reach_conservative = Portée (estimation prudente)
ind-eligible_non_participants = Bénéficiaires éligibles qui ne participent pas
ind-declined = Offre refusée
ind-decline_reason_no_time = Refus : manque de temps
ind-decline_reason_distance = Refus : distance
ind-decline_reason_cost = Refus : coût
ind-decline_reason_family_objection = Refus : opposition de la famille
ind-decline_reason_stigma = Refus : stigmatisation
ind-decline_reason_not_needed = Refus : pas de besoin ressenti
ind-decline_reason_prefers_other_care = Refus : préfère d'autres soins
ind-decline_reason_other = Refus : autre raison
ind-completion = Traitement mené à terme
ind-dropout = Abandon
ind-phq9_response = Réponse au PHQ-9
ind-phq9_remission = Rémission au PHQ-9 (< 5)
ind-phq9_mean_change = Variation moyenne du PHQ-9
ind-outcome_response = Réponse sur le critère de jugement principal
ind-outcome_remission = Rémission sur le critère de jugement principal
ind-outcome_mean_change = Variation moyenne du critère de jugement principal
ind-reliable_improvement = Amélioration fiable (RCI)
ind-reliable_deterioration = Détérioration fiable (RCI)
ind-adverse_events = Alertes de risque pendant la prise en charge
ind-adoption_facilities = Établissements qui assurent des séances
ind-adoption_counsellors = Conseillers formés qui assurent des séances
ind-fidelity = Fidélité (éléments réalisés)
ind-dose = Dose (séances suivies ÷ prévues)
ind-adequate_dose = Dose adéquate atteinte
ind-competency_level_1 = Évaluations de compétence au niveau 1 (nuisible)
ind-competency_level_2 = Évaluations de compétence au niveau 2
ind-competency_level_3 = Évaluations de compétence au niveau 3
ind-competency_level_4 = Évaluations de compétence au niveau 4
ind-counsellors_competent = Conseillers compétents (toutes les compétences ≥ niveau 3)
ind-supervision_coverage = Couverture de la supervision (30 derniers jours)
ind-alert_response_median_hours = Délai de prise en charge des alertes de risque, médiane
ind-alert_response_p90_hours = Délai de prise en charge des alertes de risque, 90e centile
ind-alert_response_within_limit = Alertes de risque prises en charge dans le délai du protocole
ind-maintenance_facilities = Sites qui assurent encore des séances 6 mois après la fin du soutien
ind-maintenance_followup = Suivi 6 mois après le dernier contact
ind-maintenance_response = Réponse maintenue 6 mois après le dernier contact
ind-penetration_clients = Pénétration (bénéficiaires)
ind-penetration_providers = Pénétration (prestataires)
ind-acceptability_aim = Acceptabilité (moyenne AIM)
ind-appropriateness_iam = Pertinence (moyenne IAM)
ind-feasibility_fim = Faisabilité (moyenne FIM)
ind-need = Population ayant besoin de soins
ind-coverage_contact = Couverture de contact
ind-coverage_adequate_dose = Couverture avec une dose adéquate
ind-coverage_quality = Couverture ajustée sur la qualité
ind-coverage_effective = Couverture effective
ind-treatment_gap = Écart thérapeutique

## Hub console (hub managers and admins)
nav-console = Console
console-tabs-label = Console du pôle
console-users = Utilisateurs
console-org-units = Unités
console-programmes = Programmes
console-definitions = Définitions
console-audit = Journal d'audit
console-conflicts = Conflits de synchronisation
console-users-title = Utilisateurs
console-users-caption = Comptes que vous gérez, par nom d'utilisateur
console-username = Nom d'utilisateur
console-display-name = Nom
console-role = Rôle
console-all-hubs = Tous les pôles
console-hub = Pôle
console-status = Statut
console-actions = Actions
console-active = Actif
console-deactivated = Désactivé
console-deactivate = Désactiver
console-reactivate = Réactiver
console-move = Transférer les bénéficiaires
console-reset-password = Réinitialiser le mot de passe
console-new-password = Nouveau mot de passe
console-next-page = Page suivante
console-create-user = Nouveau compte
console-supervisor = Superviseur (pour un conseiller)
console-password = Mot de passe
console-create = Créer le compte
console-role-required = Choisissez un rôle pour le compte.
console-deactivate-self = Vous ne pouvez pas désactiver votre propre compte : demandez à un autre responsable de pôle ou à un administrateur.
console-move-title = Transférer les bénéficiaires
console-move-heading = Transférer les bénéficiaires de { $name }
console-move-to = Conseiller qui reprend
console-move-confirm = Transférer les bénéficiaires actifs de { $from } à { $to } ?
console-move-history = Les fiches, alertes ouvertes et l'historique de chaque bénéficiaire le suivent ; le transfert est inscrit au journal d'audit. Les bénéficiaires dont la prise en charge est terminée restent avec leur conseiller.
console-move-do = Transférer
console-move-none = Aucun autre conseiller actif de ce pôle ne peut reprendre ces bénéficiaires.
console-move-choose = Choisissez le conseiller qui reprend.
console-continue = Continuer
console-not-counsellor = Seuls les bénéficiaires d'un conseiller peuvent être transférés.
console-org-units-title = Unités
console-org-units-intro = Le besoin de soins est la population desservie multipliée par la prévalence : indiquez les deux, et la source de la prévalence.
console-name = Nom
console-catchment = Population desservie
console-prevalence = Prévalence (%)
console-prevalence-hint = Un pourcentage, par exemple 4,5. Laissez vide pour l'effacer.
console-prevalence-source = Source de la prévalence
console-catchment-invalid = Population desservie : indiquez un nombre entier de personnes.
console-prevalence-invalid = Prévalence : indiquez un pourcentage entre 0 et 100.
console-none = Rien à afficher pour l'instant.
console-programmes-title = Programmes
console-protocol = Protocole
console-alert-hours = Heures pour prendre en charge une alerte de risque
console-hours-invalid = Heures pour prendre en charge : indiquez un nombre entier d'heures.
console-definitions-title = Définitions
console-upload = Envoyer un fichier de définition
console-file = Fichier (TOML, ou XLSForm .xlsx)
console-file-hint = Un fichier d'instrument, de protocole, de référentiel de compétences, de textes d'items ou de liste de prix, 512 Ko au plus. Il s'applique aussitôt, sans redémarrage.
console-xlsform-hint = Un XLSForm (.xlsx) devient un instrument, avec les textes des items pour chaque autre langue : questions select_one à choix numériques entiers et questions integer avec une plage. Tout le reste est refusé avec sa feuille, sa ligne et sa colonne.
console-licence = Licence du texte d'un XLSForm
console-licence-unknown = Non précisée : ne garder aucun texte
console-licence-attribution = Libre avec attribution : garder le texte
console-licence-open = Ouverte : garder le texte
console-scope = S'applique à
console-scope-network = Tous les pôles (tout le réseau)
console-upload-do = Envoyer
console-upload-refused = Ce fichier n'a pas été enregistré :
console-upload-fix = Corrigez le fichier à la ligne indiquée et envoyez-le de nouveau. Rien n'a été modifié.
console-line = Ligne
console-field = Champ
console-problem = Problème
console-definitions-stored = Fichiers enregistrés
console-definitions-version = Version des définitions en vigueur : { $version }.
console-definitions-none = Aucun fichier envoyé : les définitions intégrées s'appliquent.
console-kind = Type
console-code = Code
console-version = Version
console-added = Ajouté
console-hub-required = Choisissez le pôle auquel le fichier s'applique.
console-file-required = Choisissez un fichier à envoyer.
console-file-too-large = Le fichier est trop volumineux : un fichier de définition fait 512 Ko au plus.
console-file-not-text = Le fichier n'est pas du texte UTF-8 : enregistrez-le en TOML UTF-8 et envoyez-le de nouveau.
console-audit-title = Journal d'audit
console-audit-actor = Qui (nom d'utilisateur)
console-audit-action = Action
console-audit-action-hint = Le début d'une action suffit : user. trouve tous les événements de compte.
console-audit-from = Du
console-audit-to = Au
console-audit-at = Quand (UTC)
console-audit-entity = Quoi
console-audit-none = Aucun événement ne correspond.
console-audit-system = système
console-audit-bad-date = { $field } : indiquez une date au format AAAA-MM-JJ.
console-filter = Filtrer
console-clear = Effacer
console-older = Événements plus anciens
console-conflicts-title = Conflits de synchronisation
console-conflicts-intro = Un téléphone a envoyé une modification d'une fiche changée entre-temps sur le serveur. Comparez les champs et gardez une version ; les deux restent dans l'historique de la fiche.
console-conflicts-none = Aucun conflit ouvert.
console-conflict-by = Envoyé par { $author } le { $time } · bénéficiaires de { $counsellor }
console-conflict-server = Sur le serveur
console-conflict-incoming = Du téléphone
console-keep-server = Garder la version du serveur
console-keep-incoming = Garder la version du téléphone
console-done-created = Le compte a été créé.
console-done-deactivated = Le compte a été désactivé et ses sessions fermées.
console-done-reactivated = Le compte a été réactivé.
console-done-password = Le mot de passe a été réinitialisé et les sessions du compte fermées.
console-done-moved = Les bénéficiaires ont été transférés.
console-done-saved = Enregistré.
console-done-uploaded = Le fichier a été enregistré et s'applique dès maintenant, sur chaque serveur.
console-done-resolved = Le conflit a été résolu.
error-refused = Votre rôle ({ $role }) ne permet pas de { $action }. Qui le peut : { $who }. Adressez-vous à l'un d'eux, ou revenez à votre page d'accueil.
capability-open_hub_console = ouvrir la console du pôle
capability-manage_users = créer, désactiver ou réinitialiser des comptes
capability-move_caseloads = transférer les bénéficiaires à un autre conseiller
capability-manage_hub_setup = paramétrer les unités et les programmes
capability-manage_definitions = envoyer des fichiers de définition
capability-manage_network_definitions = envoyer des fichiers de définition pour tout le réseau
capability-read_audit = lire le journal d'audit
capability-review_clinical = examiner les alertes de risque et les conflits de synchronisation
console-move-active = { $count ->
    [one] { $count } bénéficiaire actif sera transféré.
   *[other] { $count } bénéficiaires actifs seront transférés.
}
console-move-ended = { $count ->
    [one] { $count } bénéficiaire dont la prise en charge est terminée reste.
   *[other] { $count } bénéficiaires dont la prise en charge est terminée restent.
}
console-password-hint = { $count ->
    [one] Au moins { $count } caractère. Les sessions du compte se ferment à la réinitialisation.
   *[other] Au moins { $count } caractères. Les sessions du compte se ferment à la réinitialisation.
}

## Record imports (issue 9): the import page, for the roles that write care records
nav-imports = Importer des dossiers
capability-write_care_records = saisir ou importer des dossiers de soins
imports-title = Importer des dossiers
imports-intro = Les dossiers exportés d’ODK Central, KoboToolbox, REDCap ou DHIS2 Tracker passent par les mêmes contrôles, scores, alertes de risque et journal d’audit que ceux envoyés depuis un téléphone, enregistrés en votre nom. Commencez par un essai à blanc : il lit et vérifie chaque ligne sans rien écrire.
imports-source = Source
imports-source-odk = ODK Central ou KoboToolbox (CSV des soumissions, zip de Central ou XLSX de Kobo)
imports-source-redcap = REDCap (export plat des enregistrements, CSV)
imports-source-dhis2-tracker = DHIS2 Tracker (charge utile JSON)
imports-file = Fichier de données
imports-file-hint = L’export tel que le système source l’écrit, en UTF-8, { $size } au plus.
imports-file-zip = Le zip d’export d’ODK Central (toutes les soumissions, tel que téléchargé) peut être choisi tel quel : le CSV de chaque groupe répété y est lu ; laissez alors « Groupes répétés » vide.
imports-file-xlsx = L’export XLSX de KoboToolbox (« valeurs et en-têtes XML ») peut aussi être choisi : chaque groupe répété est lu sur sa propre feuille ; laissez alors « Groupes répétés » vide.
imports-mapping = Fichier de correspondance (TOML)
imports-mapping-hint = Indique quelle colonne devient quel champ de scaleup (docs/interoperability.md, Imports).
imports-repeats = Groupes répétés (ODK Central, facultatif)
imports-repeats-hint = Le CSV de chaque groupe répété du même export Central (formulaire-groupe.csv), pour les [[repeats]] du fichier de correspondance. Vous pouvez en choisir plusieurs.
imports-programme = Programme (DHIS2 Tracker seulement)
imports-programme-none = Aucun (pas DHIS2)
imports-dry-run = Essai à blanc : vérifier et compter, ne rien écrire
imports-do = Téléverser
imports-result-dry = Essai à blanc de { $file } : rien n’a été écrit
imports-result = { $file } importé
imports-rows = Lignes lues
imports-rows-refused = Lignes refusées
imports-created = Dossiers créés
imports-updated = Dossiers mis à jour
imports-unchanged = Dossiers inchangés
imports-conflicts = Gardés comme conflits de synchronisation à examiner
imports-rejected = Dossiers rejetés
imports-would-create = Dossiers qui seraient créés
imports-would-replace = Dossiers déjà présents (mis à jour ou inchangés)
imports-problems = Problèmes (fichier, ligne et colonne)
imports-problems-more = Problèmes au total : { $count }. Les { $shown } premiers sont listés.
imports-none = Aucun problème.
imports-dry-next = Rien n’a été écrit. Pour importer, choisissez à nouveau les mêmes fichiers, décochez l’essai à blanc et téléversez.
imports-source-required = Choisissez la source du fichier.
imports-file-required = Choisissez le fichier de données.
imports-mapping-required = Choisissez le fichier de correspondance.
imports-mapping-too-large = Le fichier de correspondance est trop volumineux : 1 Mio au plus.
imports-mapping-not-text = Le fichier de correspondance n’est pas du texte UTF-8 : enregistrez-le en UTF-8 et téléversez-le à nouveau.
imports-too-large = Le téléversement est trop volumineux : { $size } au plus. Importez les fichiers plus gros avec scaleup import sur le serveur.
imports-busy = D'autres importations sont en cours. Attendez une minute, puis renvoyez les fichiers.
imports-too-slow = Le téléversement a mis trop de temps à arriver. Réessayez avec une meilleure connexion, ou divisez le fichier.
imports-unreadable = Le téléversement n’a pas pu être lu : choisissez les fichiers et téléversez-les à nouveau.
imports-refused = Cet import n’a pas eu lieu et rien n’a été écrit
