### scaleup interface text: Kiswahili. Same messages as en.ftl, the reference catalogue.
### Messages starting with app- also travel to the offline app; they use only variables and
### selectors on a number, and every selector ends with a default *[other] variant.
###
### WORKING TRANSLATION drafted on 2026-12-06 without review by a native speaker.
### meta-reviewed must change to "yes" only after a native speaker has reviewed every message.
###
### Terms used (for the reviewer): client = mteja (wateja), counsellor = mshauri (washauri),
### supervisor = msimamizi (wasimamizi), administrator = msimamizi wa mfumo, hub = kituo kikuu,
### hub manager = meneja wa kituo kikuu, record = rekodi, session = kikao (vikao),
### risk alert = tahadhari ya hatari, acknowledge = thibitisha, escalated = imepelekwa kituo
### kikuu, referral = rufaa, coaching = ukufunzi, data = data.
### Plurals: CLDR Swahili "one" is 1 only (0 takes the plural); [0] as in English. The noun
### comes before the number ("rekodi 3"); the verb agrees (inasubiri / zinasubiri).

## Review status of this catalogue: "yes" once a native speaker has reviewed every message.
meta-reviewed = no

## Frame
skip-to-content = Ruka hadi maudhui
nav-label = Menyu kuu
nav-today = Leo
nav-queue = Orodha ya ukaguzi
nav-supervision-log = Kumbukumbu za usimamizi
nav-hub = Kituo kikuu
sign-out = Toka
language-link = Lugha
language-title = Lugha
language-choose = Chagua lugha ya kutumia
language-unreviewed = bado haijakaguliwa na mzungumzaji asilia
language-unreviewed-note = Tafsiri hii bado haijakaguliwa na mzungumzaji asilia wa lugha hii.
language-unknown = Lugha hiyo haipatikani.
save = Hifadhi
cancel = Ghairi
back = Rudi

## Sign-in
signin-title = Ingia
signin-lead = Ingia kwa jina la mtumiaji na nenosiri ulilopewa na kituo chako kikuu.
field-username = Jina la mtumiaji
field-password = Nenosiri
sign-in = Ingia
signin-missing = Andika jina lako la mtumiaji na nenosiri.
signin-invalid = Jina la mtumiaji au nenosiri si sahihi.
signin-wait-seconds = { $n ->
    [one] Umejaribu mara nyingi bila mafanikio. Jaribu tena baada ya sekunde { $n }.
   *[other] Umejaribu mara nyingi bila mafanikio. Jaribu tena baada ya sekunde { $n }.
}
signin-wait-minutes = { $n ->
    [one] Umejaribu mara nyingi bila mafanikio. Jaribu tena baada ya dakika { $n }.
   *[other] Umejaribu mara nyingi bila mafanikio. Jaribu tena baada ya dakika { $n }.
}
signin-locked = Akaunti hii imejaribiwa mara nyingi bila mafanikio. Ingia kwenye simu au kompyuta uliyowahi kuingia nayo, au muombe meneja wa kituo chako kikuu akuwekee nenosiri jipya.
signin-busy = { $n ->
    [one] Seva ina kazi nyingi. Jaribu tena baada ya sekunde { $n }.
   *[other] Seva ina kazi nyingi. Jaribu tena baada ya sekunde { $n }.
}

## Roles and home
home-title = Karibu
home-role = Umeingia kama { $role }.
home-api = Data ya mpango, uchambuzi na faili za kupakua zinapatikana kupitia API:
role-admin = msimamizi wa mfumo
role-hub_manager = meneja wa kituo kikuu
role-supervisor = msimamizi
role-counsellor = mshauri
role-researcher = mtafiti
role-viewer = mtazamaji

## Errors
error-forbidden = Jukumu lako haliruhusu kufungua ukurasa huu.
error-not-found = Ukurasa huu haupo au hauhusu wateja wako.
error-form-expired = Muda wa fomu hii umekwisha au haikutoka kwa scaleup. Pakia ukurasa upya kisha ujaribu tena.

## Supervisor: queue
queue-title = Orodha ya ukaguzi
queue-lead = Wateja wa washauri wako wanaohitaji uangalizi, wa haraka zaidi kwanza.
queue-empty = Hakuna kinachohitaji uangalizi wako sasa hivi.
queue-alerts = Tahadhari za hatari zilizo wazi
queue-flagged = Wateja waliowekewa alama
queue-client = Mteja
queue-counsellor = Mshauri
queue-flags = Sababu
queue-due = Jibu kabla ya
queue-overdue = imechelewa
flag-risk = Tahadhari ya hatari
flag-no_improvement = Hakuna nafuu
flag-missed_sessions = Amekosa vikao
flag-overdue = Kikao kimechelewa
flag-dropout = Ameacha matibabu
acknowledge = Thibitisha
open-client = Angalia mteja
queue-counsellors = Washauri wako
queue-coaching = Ukufunzi
queue-rate = Pima ujuzi
alert-level-urgent = Haraka
alert-level-routine = Kawaida
alert-status-open = Wazi
alert-status-acknowledged = Imethibitishwa
alert-status-escalated = Imepelekwa kituo kikuu

## Supervisor: alert
alert-title = Tahadhari ya hatari
alert-raised = Ilitolewa
alert-rule = Sababu
alert-history = Kilichofanyika
alert-history-empty = Bado hakuna kilichorekodiwa.
alert-ack-title = Thibitisha na uchukue hatua
alert-ack-actions = Ulifanya nini? Chagua yote yanayohusika.
alert-note = Maelezo (si lazima)
alert-note-hint = Usiandike jina la mteja hapa.
alert-followup-title = Ongeza ufuatiliaji
alert-ack-done = Imethibitishwa.
alert-followup-done = Ufuatiliaji umehifadhiwa.
alert-choose-action = Chagua angalau hatua moja.
action-contacted_client = Kuwasiliana na mteja
action-safety_plan_made = Kuandaa mpango wa usalama
action-referred_emergency = Kumpa rufaa ya huduma ya dharura
action-referred_specialist = Kumpa rufaa kwa mtaalamu
action-home_visit = Kumtembelea nyumbani
action-risk_assessed_low = Kutathmini hatari kuwa ndogo
action-called_counsellor = Kumpigia simu mshauri
action-visited_with_counsellor = Kumtembelea pamoja na mshauri
action-supervision_scheduled = Kupanga kikao cha usimamizi
action-client_not_reached = Kujaribu bila kumpata mteja
history-acknowledge = Imethibitishwa
history-follow_up = Ufuatiliaji
history-escalate = Imepelekwa kituo kikuu

## Supervisor: client
client-title = Mteja { $code }
client-programme = Mpango
client-counsellor = Mshauri
client-status = Hali
client-sessions = Vikao alivyohudhuria
client-trend = Matokeo kwa muda
client-records = Rekodi
client-no-scores = Bado hakuna alama.
episode-active = Anapata matibabu
episode-closed = Imefungwa
episode-none = Hajasajiliwa

## Supervisor: supervision session
supervision-title = Kikao cha usimamizi
supervision-date = Tarehe
supervision-minutes = Muda (dakika)
supervision-format = Aina
format-individual = Mmoja mmoja
format-group = Kikundi
format-remote = Kwa mbali
supervision-counsellors = Washauri waliohudhuria
supervision-notes = Maelezo
supervision-actions = Hatua za kuchukua (moja kwa kila mstari)
supervision-saved = Kikao cha usimamizi kimehifadhiwa.
supervision-recent = Vikao vya usimamizi vya hivi karibuni

## Supervisor: competency rating
rating-title = Tathmini ya ujuzi: { $name }
rating-lead = Kwa kila ujuzi, jibu maswali matatu. Kiwango kinahesabiwa kutokana na majibu yako.
rating-method = Uliangaliaje?
method-role_play = Igizo dhima
method-observed_session = Kikao kilichoangaliwa
method-recorded_session = Kikao kilichorekodiwa
rating-harmful = Tabia isiyosaidia au yenye madhara imeonekana
rating-basic = Ujuzi wa msingi ulioonyeshwa
basic-none = Hakuna
basic-some = Baadhi
basic-all = Yote
rating-advanced = Angalau ujuzi mmoja wa hali ya juu umeonyeshwa
rating-level = Kiwango { $level }
rating-saved = Tathmini imehifadhiwa.
rating-safety-flag = Ujuzi mmoja umepimwa katika kiwango cha madhara: ishara ya usalama wa usimamizi imetumwa kwa kiongozi wa kliniki wa kituo kikuu.
yes = Ndiyo
no = Hapana

## Supervisor: coaching view
coaching-title = Ukufunzi: { $name }
coaching-lead = Kwa mazungumzo ya ukufunzi, si kwa kulinganisha washauri.
coaching-caseload = Wateja wanaoendelea
coaching-sessions-week = Vikao kwa wiki (wiki 8 zilizopita)
coaching-components = Sehemu za itifaki zilizotolewa
coaching-improving = Wateja wanaopata nafuu
coaching-competency = Viwango vya ujuzi kwa muda
coaching-no-ratings = Bado hakuna tathmini za ujuzi.

## Hub
hub-title = Kituo kikuu
hub-flags = Ishara za usalama za usimamizi
hub-flags-empty = Hakuna ishara za usalama zilizo wazi.
hub-escalated = Tahadhari za hatari zilizopelekwa kituo kikuu
hub-escalated-empty = Hakuna tahadhari zilizopelekwa.

## The offline app (messages the device formats itself)
app-title = Leo
app-today = Leo
app-new-client = Mteja mpya
app-send-now = Tuma sasa
app-pending = { $n ->
    [0] Hakuna kinachosubiri
    [one] Rekodi { $n } inasubiri kutumwa
   *[other] Rekodi { $n } zinasubiri kutumwa
}
app-sending = Inatuma…
app-offline = Nje ya mtandao: rekodi zinahifadhiwa kwenye simu hii na zitatumwa ukirudi mtandaoni.
app-online = Mtandaoni
app-unreachable = Seva haipatikani. Rekodi zako zimehifadhiwa kwenye simu hii na zitatumwa baadaye.
app-last-sync = Zilitumwa mwisho: { $when }
app-never-synced = Bado hazijatumwa
app-storage-persisted = Hifadhi: inalindwa na kivinjari
app-storage-not-persisted = Hifadhi: kivinjari kinaweza kuifuta simu ikijaa. Weka scaleup kwenye skrini ya mwanzo ili kuilinda.
app-no-indexeddb = Kivinjari hiki hakiwezi kuhifadhi rekodi bila mtandao (kuvinjari kwa faragha?). Usirekodi chochote hadi utumie dirisha la kawaida la kivinjari.
app-signed-out = Umetoka. Ingia ukiwa mtandaoni ili kutumia scaleup kwenye simu hii.
app-session-ended = Muda wako wa kuingia umekwisha. Ingia tena ili kutuma rekodi zako; hakuna kilichopotea.
app-sign-in = Ingia
app-first-sync = Inapakua orodha ya wateja wako…
app-first-sync-progress = { $n ->
    [one] Rekodi { $n } imepakuliwa
   *[other] Rekodi { $n } zimepakuliwa
}
app-update-ready = Kuna sasisho tayari. Litawekwa utakapomaliza fomu hii.
app-update-apply = Sasisha sasa
app-section-alerts = Tahadhari za hatari zilizo wazi
app-section-due = Vikao vya leo
app-section-overdue = Vilivyochelewa
app-section-missed = Vikao vilivyokosekana
app-section-upcoming = Vinavyokuja
app-nothing-due = Hakuna vikao leo.
app-session-n = Kikao cha { $n }
app-due-on = Kinatarajiwa { $date }
app-overdue-days = { $n ->
    [one] Kimechelewa siku { $n }
   *[other] Kimechelewa siku { $n }
}
app-alert-open = Tahadhari ya hatari: inasubiri msimamizi wako
app-alert-acknowledged = Msimamizi wako amethibitisha tahadhari ya hatari
app-alert-escalated = Tahadhari ya hatari imepelekwa kituo kikuu
app-outbox = Rekodi kwenye simu hii
app-outbox-empty = Rekodi zote zimetumwa.
app-status-pending = inasubiri
app-status-sent = imetumwa
app-status-rejected = imekataliwa
app-status-conflict = imetumwa, msimamizi ataikagua
app-discard = Futa
app-download-unsent = Pakua rekodi zangu ambazo hazijatumwa
app-kind-client = Mteja
app-kind-client_identity = Maelezo ya mawasiliano
app-kind-consent = Idhini
app-kind-assessment = Tathmini
app-kind-eligibility = Ustahiki
app-kind-episode = Usajili
app-kind-session = Kikao
app-kind-referral = Rufaa
app-signout-title = Toka
app-signout-unsent = { $n ->
    [one] Rekodi { $n } bado haijatumwa.
   *[other] Rekodi { $n } bado hazijatumwa.
}
app-signout-explain = Rekodi ambazo hazijatumwa zinabaki kwenye simu hii, zimefichwa kwa watu wengine, na zitatumwa utakapoingia hapa tena. Unaweza pia kuzipakua sasa.
app-signout-anyway = Toka hata hivyo
app-stay = Baki ndani
app-client-given-name = Jina la kwanza
app-client-family-name = Jina la ukoo
app-client-phone = Simu
app-client-sex = Jinsia
app-sex-female = Mwanamke
app-sex-male = Mwanamume
app-sex-other = Nyingine
app-sex-unknown = Haijarekodiwa
app-client-birth-year = Mwaka wa kuzaliwa
app-client-facility = Kituo cha afya
app-client-programme = Mpango
app-consent-treatment = Mteja anakubali kuchunguzwa na kutibiwa
app-consent-research = Mteja anakubali data yake isiyo na utambulisho itumike kwa utafiti
app-consent-required = Mteja lazima akubali kuchunguzwa na kutibiwa kabla hujamsajili.
app-required = Hili ni lazima.
app-invalid-year = Andika mwaka kati ya { $min } na { $max }.
app-save = Hifadhi
app-cancel = Ghairi
app-episode-active = Anapata matibabu
app-episode-closed = Matibabu yamekwisha
app-episode-none = Hajasajiliwa
app-saved-pending = Imehifadhiwa kwenye simu hii. Itatumwa ukiwa mtandaoni.
app-client-page = Mteja
app-screen = Chunguza kwa { $instrument }
app-measure = Pima kwa { $instrument }
app-enrol = Pendekeza matibabu
app-record-decision = Rekodi uamuzi
app-record-session = Rekodi kikao
app-refer = Toa rufaa
app-close-episode = Maliza matibabu
app-next-step = Hatua inayofuata
app-sessions-attended = { $n ->
    [one] Amehudhuria kikao { $n }
   *[other] Amehudhuria vikao { $n }
}
app-trend = Matokeo kwa muda
app-no-trend = Bado hakuna alama.
app-item-n = Swali { $n }
app-fallback-marker = (Kiingereza: bado haijatafsiriwa)
app-answered = Umejibu { $n } kati ya { $total }
app-score = Alama
app-total = Jumla: { $total }
app-band = { $band }
app-incomplete = Haijakamilika: jibu kila swali ili kupata jumla.
app-incomplete-missing = Jibu kila swali kabla ya kuhifadhi. Maswali ambayo hayajajibiwa: { $items }.
app-risk-flag = Hatari: { $message }
app-server-score = Imethibitishwa na seva: jumla { $total }
app-eligible = Anastahili { $programme }: pendekeza matibabu.
app-not-eligible = Hastahili { $programme } kwa mujibu wa kanuni ya itifaki.
app-excluded-refer = Toa rufaa: itifaki hairuhusu matibabu hapa ({ $rule }). Fuata hatua za usalama.
app-excluded = Hastahili: ameondolewa na itifaki ({ $rule }).
app-safety-title = Hatua za usalama
app-safety-step = Hatua { $n } kati ya { $total }
app-safety-ask-title = Uliza
app-safety-ask = Uliza kwa utulivu na moja kwa moja: “Je, una mawazo ya kukatisha maisha yako? Je, umepanga jinsi ya kufanya hivyo? Je, una kitu au njia ya kufanya hivyo?” Sikiliza bila kuhukumu.
app-safety-keep-title = Linda usalama
app-safety-keep = Kama mteja ana mpango au kitu cha kufanya hivyo, au ameshajaribu kuutekeleza: usimwache peke yake, ondoa kitu hicho kama unaweza kufanya hivyo kwa usalama, na mshirikishe mtu anayemwamini.
app-safety-call-title = Piga simu
app-safety-call = Mpigie msimamizi wako simu sasa. Msimamizi wako amearifiwa na lazima ajibu ndani ya saa { $hours }.
app-safety-call-who = Msimamizi wako: { $name }
app-safety-emergency = Kama kuna hatari ya papo hapo, piga namba ya dharura ya eneo lako.
app-safety-record-title = Rekodi
app-safety-record = Rekodi ulichofanya. Kama ulimpa mteja rufaa, rekodi rufaa hiyo sasa.
app-safety-next = Endelea
app-safety-done = Maliza
app-safety-source = Kutoka Mwongozo wa Uingiliaji wa mhGAP 2.0 wa WHO, sehemu ya kujidhuru/kujiua.
app-offer-accepted = Mteja amekubali matibabu
app-offer-declined = Mteja amekataa
app-decline-reason = Sababu ya kukataa
app-decline-no_time = Hana muda
app-decline-distance = Mbali sana
app-decline-cost = Gharama
app-decline-family_objection = Familia inapinga
app-decline-stigma = Unyanyapaa
app-decline-not_needed = Anaona haihitajiki
app-decline-prefers_other_care = Anapendelea huduma nyingine
app-decline-other = Nyingine
app-session-number = Namba ya kikao
app-session-date = Tarehe
app-session-attendance = Je, mteja alikuja?
app-session-attended = Mteja alihudhuria
app-session-missed = Mteja hakuja
app-session-minutes = Muda (dakika)
app-session-modality = Njia
app-modality-individual = Ana kwa ana
app-modality-group = Kikundi
app-modality-remote = Kwa simu
app-session-components = Ulishughulikia nini?
app-planned = imepangwa kwa kikao hiki
app-date-future = Tarehe haiwezi kuwa ya siku zijazo.
app-refer-to = Rufaa kwenda
app-service-primary_care_doctor = Daktari wa huduma ya msingi
app-service-psychiatry = Huduma ya magonjwa ya akili
app-service-emergency = Huduma za dharura
app-service-social_services = Huduma za ustawi wa jamii
app-service-other = Huduma nyingine
app-refer-reason = Sababu
app-reason-suicide_risk = Hatari ya kujiua
app-reason-no_improvement = Hakuna nafuu
app-reason-psychosis = Huenda ana saikosisi
app-reason-medical = Tatizo la afya ya mwili
app-reason-other = Nyingine
app-urgency = Uharaka
app-urgency-routine = Kawaida
app-urgency-urgent = Haraka
app-urgency-emergency = Dharura
app-close-reason = Kwa nini matibabu yanaisha?
app-closure-completed = Amekamilisha
app-closure-dropped_out = Ameacha
app-closure-referred = Amepewa rufaa
app-closure-transferred = Amehamishwa
app-closure-died = Amefariki
app-close-date = Tarehe
app-not-found = Mteja huyu hayuko kwenye simu hii.
app-error-reason = Sababu: { $message }
app-search = Tafuta mteja
app-all-clients = Wateja wangu wote
app-show-all = Onyesha wote ({ $n })
app-no-clients = Bado hakuna wateja. Sajili mmoja kwa “Mteja mpya”.

## Programme dashboard
nav-dashboard = Dashibodi
dash-title = Dashibodi ya mpango
dash-forbidden = Jukumu lako halijumuishi takwimu za mpango. Muulize meneja wa kituo chako ukizihitaji.
dash-bad-level = Chagua mkoa au wilaya kutoka kwenye jedwali la dashibodi.
dash-no-unit = Mpango huu hauna takwimu za mahali hapo. Rudi kwenye maeneo yote.
dash-programme = Mpango
dash-show = Onyesha
dash-choose = Chagua mpango ili kuona takwimu zake.
dash-scope = Wapi
dash-all-units = Maeneo yote
dash-cascade = Ufikiaji halisi: watu wenye uhitaji waliofikiwa kila hatua
dash-months = Waliochunguzwa na walioandikishwa, mwezi kwa mwezi
dash-targets = Ikilinganishwa na malengo ya itifaki
dash-target-at-least = lengo: angalau { $share }
dash-target-at-most = lengo: isizidi { $share }
dash-target-source = Lengo limewekwa na: { $source }
dash-reach-by-sex = Ufikiaji kwa jinsia
dash-reach-by-age = Ufikiaji kwa kundi la umri
dash-units-region = Mikoa
dash-units-district = Wilaya
dash-units-facility = Vituo vya afya
dash-unit = Mahali
dash-none = Bado hakuna takwimu.
dash-counsellors = Washauri: uaminifu, kipimo na umahiri
dash-counsellor = Mshauri
dash-suppressed = Idadi chini ya { $k } zinaonyeshwa kama <{ $k } ili mtu yeyote asiweze kutambuliwa.
dash-download = Pakua takwimu (CSV)
dash-costs-link = Gharama ya utekelezaji kwa kila mteja, mwaka kwa mwaka
cost-title = Gharama ya utekelezaji
cost-note = Programu zote za kituo: vikao, usimamizi na mafunzo yaliyorekodiwa kila mwaka, yakiwekewa bei kwa orodha za bei ambazo kituo kilihifadhi (gharama ya utekelezaji ya Proctor).
cost-year = Mwaka
cost-clients = Wateja waliofikiwa
cost-sessions = Vikao
cost-total = Gharama yote
cost-per-client = Gharama kwa kila mteja
cost-per-session = Gharama kwa kila kikao
cost-price-list = Orodha ya bei
cost-missing = Miaka isiyowekewa gharama
cost-no-prices = Hakuna orodha ya bei ya { $hub } kwa mwaka { $year }.
cost-upload = Pakia orodha ya bei
cost-no-activity = Bado hakuna shughuli iliyorekodiwa.
dash-definitions = Majina ya viashiria yametafsiriwa; maelezo yake yako kwa Kiingereza (docs/indicators.md).
dash-every = Viashiria vyote
dash-every-note = Tangu mwanzo, kwa mahali palipo juu. Fungua mfumo kuona viashiria vyake, jumla vinayohesabiwa juu yake, na jinsi vinavyofafanuliwa.

## Indicator and framework names (the dashboard): names only, definitions stay in English.
## WORKING TRANSLATION, not reviewed by a native speaker (see the top of this file). For the
## reviewer: RE-AIM's dimensions keep their English word in brackets, since the acronym is
## built from them; effective coverage = ufikiaji halisi (as dash-cascade), treatment gap =
## pengo la matibabu, response = mwitikio, remission = nafuu kamili, fidelity = uaminifu,
## dose = kipimo, competency = umahiri (as dash-counsellors), median = wastani wa kati,
## 90th percentile = asilimia 90 (P90), penetration = upenyaji. Reach and coverage are both
## ufikiaji in this draft (as dash-reach-by-sex and dash-cascade); a reviewer may prefer
## kiwango cha huduma for coverage, in these names and in dash-cascade alike.
ind-framework-reach = RE-AIM: Ufikiaji (Reach)
ind-framework-effectiveness = RE-AIM: Ufanisi (Effectiveness)
ind-framework-adoption = RE-AIM: Upokeaji (Adoption)
ind-framework-implementation = RE-AIM: Utekelezaji (Implementation)
ind-framework-maintenance = RE-AIM: Uendelevu (Maintenance)
ind-framework-proctor = Matokeo ya utekelezaji (Proctor)
ind-framework-coverage = Ufikiaji halisi na pengo la matibabu
ind-registered = Wateja waliosajiliwa
ind-screened = Wateja waliochunguzwa
ind-eligible = Wateja wanaostahiki
ind-offered = Wateja wanaostahiki waliopewa nafasi ya matibabu
ind-enrolled = Wateja walioandikishwa
ind-reach = Ufikiaji (walioandikishwa ÷ wanaostahiki)
ind-reach_participation = Ushiriki miongoni mwa waliopewa nafasi
ind-reach_conservative = Ufikiaji (makadirio ya chini)
ind-eligible_non_participants = Wateja wanaostahiki wasioshiriki
ind-declined = Walikataa nafasi ya matibabu
ind-decline_reason_no_time = Walikataa: hawana muda
ind-decline_reason_distance = Walikataa: umbali
ind-decline_reason_cost = Walikataa: gharama
ind-decline_reason_family_objection = Walikataa: familia ilipinga
ind-decline_reason_stigma = Walikataa: unyanyapaa
ind-decline_reason_not_needed = Walikataa: hawaoni haja
ind-decline_reason_prefers_other_care = Walikataa: wanapendelea huduma nyingine
ind-decline_reason_other = Walikataa: sababu nyingine
ind-completion = Kukamilisha matibabu
ind-dropout = Kuacha matibabu
ind-phq9_response = Mwitikio wa PHQ-9
ind-phq9_remission = Nafuu kamili kwa PHQ-9 (< 5)
ind-phq9_mean_change = Wastani wa mabadiliko ya PHQ-9
ind-outcome_response = Mwitikio kwenye kipimo kikuu cha matokeo
ind-outcome_remission = Nafuu kamili kwenye kipimo kikuu cha matokeo
ind-outcome_mean_change = Wastani wa mabadiliko kwenye kipimo kikuu cha matokeo
ind-reliable_improvement = Kuimarika kunakoaminika (RCI)
ind-reliable_deterioration = Kuzorota kunakoaminika (RCI)
ind-adverse_events = Tahadhari za hatari wakati wa matibabu
ind-adoption_facilities = Vituo vya afya vinavyotoa vikao
ind-adoption_counsellors = Washauri waliofunzwa wanaotoa vikao
ind-fidelity = Uaminifu (sehemu zilizotolewa)
ind-dose = Kipimo (vikao vilivyohudhuriwa ÷ vilivyopangwa)
ind-adequate_dose = Kipimo cha kutosha kimefikiwa
ind-competency_level_1 = Tathmini za umahiri katika kiwango 1 (cha madhara)
ind-competency_level_2 = Tathmini za umahiri katika kiwango 2
ind-competency_level_3 = Tathmini za umahiri katika kiwango 3
ind-competency_level_4 = Tathmini za umahiri katika kiwango 4
ind-counsellors_competent = Washauri wenye umahiri (umahiri wote ≥ kiwango 3)
ind-supervision_coverage = Ufikiaji wa usimamizi (siku 30 zilizopita)
ind-alert_response_median_hours = Muda wa kujibu tahadhari za hatari, wastani wa kati
ind-alert_response_p90_hours = Muda wa kujibu tahadhari za hatari, asilimia 90 (P90)
ind-alert_response_within_limit = Tahadhari za hatari zilizothibitishwa ndani ya muda wa itifaki
ind-maintenance_facilities = Maeneo yanayoendelea kutoa vikao miezi 6 baada ya msaada kuisha
ind-maintenance_followup = Ufuatiliaji miezi 6 baada ya mawasiliano ya mwisho
ind-maintenance_response = Mwitikio unaodumu miezi 6 baada ya mawasiliano ya mwisho
ind-penetration_clients = Upenyaji (wateja)
ind-penetration_providers = Upenyaji (watoa huduma)
ind-acceptability_aim = Kukubalika (wastani wa AIM)
ind-appropriateness_iam = Kufaa (wastani wa IAM)
ind-feasibility_fim = Uwezekano wa kutekeleza (wastani wa FIM)
ind-need = Watu wenye uhitaji
ind-coverage_contact = Ufikiaji wa mawasiliano
ind-coverage_adequate_dose = Ufikiaji kwa kipimo cha kutosha
ind-coverage_quality = Ufikiaji uliorekebishwa kwa ubora
ind-coverage_effective = Ufikiaji halisi
ind-treatment_gap = Pengo la matibabu

## Hub console (hub managers and admins)
nav-console = Usimamizi
console-tabs-label = Usimamizi wa kituo kikuu
console-users = Watumiaji
console-org-units = Vitengo
console-programmes = Programu
console-definitions = Fasili
console-audit = Kumbukumbu ya ukaguzi
console-conflicts = Migongano ya usawazishaji
console-users-title = Watumiaji
console-users-caption = Akaunti unazosimamia, kwa jina la mtumiaji
console-username = Jina la mtumiaji
console-display-name = Jina
console-role = Jukumu
console-all-hubs = Vituo vikuu vyote
console-hub = Kituo kikuu
console-status = Hali
console-actions = Vitendo
console-active = Hai
console-deactivated = Imezimwa
console-deactivate = Zima
console-reactivate = Washa tena
console-move = Hamisha wateja
console-reset-password = Weka nenosiri jipya
console-new-password = Nenosiri jipya
console-next-page = Ukurasa unaofuata
console-create-user = Akaunti mpya
console-supervisor = Msimamizi (kwa mshauri)
console-password = Nenosiri
console-create = Unda akaunti
console-role-required = Chagua jukumu la akaunti.
console-deactivate-self = Huwezi kuzima akaunti yako mwenyewe: mwombe meneja mwingine wa kituo kikuu au msimamizi wa mfumo.
console-move-title = Hamisha wateja
console-move-heading = Hamisha wateja wa { $name }
console-move-to = Mshauri atakayepokea
console-move-confirm = Hamisha wateja hai wa { $from } kwa { $to }?
console-move-history = Rekodi, tahadhari zilizo wazi na historia ya kila mteja zinamfuata; uhamisho unaandikwa kwenye kumbukumbu ya ukaguzi. Wateja ambao huduma yao imeisha hubaki na mshauri wao.
console-move-do = Hamisha
console-move-none = Hakuna mshauri mwingine hai katika kituo kikuu hiki wa kupokea wateja hawa.
console-move-choose = Chagua mshauri atakayepokea.
console-continue = Endelea
console-not-counsellor = Wateja wa mshauri pekee ndio wanaoweza kuhamishwa.
console-org-units-title = Vitengo
console-org-units-intro = Mahitaji ya huduma ni idadi ya watu wa eneo mara kiwango cha maambukizi: weka vyote viwili, na chanzo cha kiwango.
console-name = Jina
console-catchment = Idadi ya watu wa eneo
console-prevalence = Kiwango cha maambukizi (%)
console-prevalence-hint = Asilimia, kwa mfano 4.5. Acha wazi ili kuifuta.
console-prevalence-source = Chanzo cha kiwango
console-catchment-invalid = Idadi ya watu wa eneo: weka namba kamili ya watu.
console-prevalence-invalid = Kiwango cha maambukizi: weka asilimia kati ya 0 na 100.
console-none = Hakuna cha kuonyesha bado.
console-programmes-title = Programu
console-protocol = Itifaki
console-alert-hours = Saa za kuthibitisha tahadhari ya hatari
console-hours-invalid = Saa za kuthibitisha: weka namba kamili ya saa.
console-definitions-title = Fasili
console-upload = Pakia faili la fasili
console-file = Faili (TOML, au XLSForm .xlsx)
console-file-hint = Faili la chombo, itifaki, mfumo wa umahiri, maandishi ya maswali au orodha ya bei, isiyozidi KB 512. Linatumika mara moja, bila kuwasha upya.
console-xlsform-hint = XLSForm (.xlsx) inakuwa kipimo, pamoja na maandishi ya maswali kwa kila lugha nyingine: maswali ya select_one yenye chaguo za namba kamili na maswali ya integer yenye kiwango. Kingine chochote kinakataliwa pamoja na karatasi, safu na safu wima yake.
console-licence = Leseni ya maandishi ya XLSForm
console-licence-unknown = Haijatajwa: usihifadhi maandishi
console-licence-attribution = Huru kwa kutaja chanzo: hifadhi maandishi
console-licence-open = Wazi: hifadhi maandishi
console-scope = Inatumika kwa
console-scope-network = Vituo vikuu vyote (mtandao mzima)
console-upload-do = Pakia
console-upload-refused = Faili hili halikuhifadhiwa:
console-upload-fix = Sahihisha faili kwenye mstari ulioonyeshwa na ulipakie tena. Hakuna kilichobadilishwa.
console-line = Mstari
console-field = Sehemu
console-problem = Tatizo
console-definitions-stored = Faili zilizohifadhiwa
console-definitions-version = Toleo la fasili linalotumika: { $version }.
console-definitions-none = Hakuna faili lililopakiwa bado: fasili zilizojengwa ndani zinatumika.
console-kind = Aina
console-code = Msimbo
console-version = Toleo
console-added = Imeongezwa
console-hub-required = Chagua kituo kikuu ambacho faili linatumika.
console-file-required = Chagua faili la kupakia.
console-file-too-large = Faili ni kubwa mno: faili la fasili lisizidi KB 512.
console-file-not-text = Faili si maandishi ya UTF-8: lihifadhi kama faili la TOML la UTF-8 na ulipakie tena.
console-audit-title = Kumbukumbu ya ukaguzi
console-audit-actor = Nani (jina la mtumiaji)
console-audit-action = Kitendo
console-audit-action-hint = Mwanzo wa kitendo unatosha: user. hupata matukio yote ya akaunti.
console-audit-from = Kuanzia
console-audit-to = Hadi
console-audit-at = Lini (UTC)
console-audit-entity = Nini
console-audit-none = Hakuna tukio linalolingana.
console-audit-system = mfumo
console-audit-bad-date = { $field }: weka tarehe kama YYYY-MM-DD.
console-filter = Chuja
console-clear = Futa
console-older = Matukio ya zamani zaidi
console-conflicts-title = Migongano ya usawazishaji
console-conflicts-intro = Simu ilituma mabadiliko ya rekodi iliyobadilika kwenye seva wakati huo. Linganisha sehemu na uhifadhi toleo moja; yote mawili yanabaki kwenye historia ya rekodi.
console-conflicts-none = Hakuna migongano iliyo wazi.
console-conflict-by = Imetumwa na { $author } saa { $time } · wateja wa { $counsellor }
console-conflict-server = Kwenye seva
console-conflict-incoming = Kutoka simu
console-keep-server = Hifadhi toleo la seva
console-keep-incoming = Hifadhi toleo la simu
console-done-created = Akaunti imeundwa.
console-done-deactivated = Akaunti imezimwa na vipindi vyake vimekomeshwa.
console-done-reactivated = Akaunti imewashwa tena.
console-done-password = Nenosiri limewekwa upya na vipindi vya akaunti vimekomeshwa.
console-done-moved = Wateja wamehamishwa.
console-done-saved = Imehifadhiwa.
console-done-uploaded = Faili limehifadhiwa na linatumika sasa, kwenye kila seva.
console-done-resolved = Mgongano umetatuliwa.
error-refused = Jukumu lako ({ $role }) haliruhusu { $action }. Wanaoweza: { $who }. Mwombe mmoja wao, au rudi kwenye ukurasa wako wa mwanzo.
capability-open_hub_console = kufungua dashibodi ya kituo kikuu
capability-manage_users = kuunda, kuzima au kuweka upya akaunti
capability-move_caseloads = kuhamisha wateja kwa mshauri mwingine
capability-manage_hub_setup = kuweka vitengo na programu
capability-manage_definitions = kupakia faili za fasili
capability-manage_network_definitions = kupakia faili za fasili za mtandao mzima
capability-read_audit = kusoma kumbukumbu ya ukaguzi
capability-review_clinical = kukagua tahadhari za hatari na migongano ya usawazishaji
console-move-active = { $count ->
    [one] Mteja hai { $count } atahamishwa.
   *[other] Wateja hai { $count } watahamishwa.
}
console-move-ended = { $count ->
    [one] Mteja { $count } ambaye huduma yake imeisha anabaki.
   *[other] Wateja { $count } ambao huduma yao imeisha wanabaki.
}
console-password-hint = { $count ->
    [one] Angalau herufi { $count }. Vipindi vya akaunti hukoma ikiwekwa upya.
   *[other] Angalau herufi { $count }. Vipindi vya akaunti hukoma ikiwekwa upya.
}

## Record imports (issue 9): the import page, for the roles that write care records
nav-imports = Leta rekodi
capability-write_care_records = kuandika au kuleta rekodi za huduma
imports-title = Leta rekodi
imports-intro = Rekodi zilizotolewa kutoka ODK Central, KoboToolbox, REDCap au DHIS2 Tracker hupitia ukaguzi, upimaji alama, tahadhari za hatari na ukaguzi wa kumbukumbu sawa na rekodi zinazotumwa kutoka simu, zikiandikwa kwa jina lako. Anza na jaribio: linasoma na kukagua kila safu bila kuandika chochote.
imports-source = Chanzo
imports-source-odk = ODK Central au KoboToolbox (CSV ya mawasilisho, zip ya Central au XLSX ya Kobo)
imports-source-redcap = REDCap (rekodi zilizotolewa kwa jedwali moja, CSV)
imports-source-dhis2-tracker = DHIS2 Tracker (JSON)
imports-file = Faili ya data
imports-file-hint = Faili kama mfumo wa chanzo unavyoiandika, kwa UTF-8, isiyozidi { $size }.
imports-file-zip = Zip ya upakuaji wa ODK Central (mawasilisho yote, kama ilivyopakuliwa) inaweza kuchaguliwa ilivyo: CSV ya kila kundi linalojirudia husomwa kutoka ndani yake, kwa hivyo acha “Makundi yanayojirudia” tupu.
imports-file-xlsx = Upakuaji wa XLSX wa KoboToolbox (“thamani na vichwa vya XML”) unaweza pia kuchaguliwa: kila kundi linalojirudia husomwa kutoka kwenye karatasi yake, kwa hivyo acha “Makundi yanayojirudia” tupu.
imports-mapping = Faili ya ulinganishaji (TOML)
imports-mapping-hint = Inaeleza kila safu wima inakuwa sehemu gani ya scaleup (docs/interoperability.md, Imports).
imports-repeats = Makundi yanayojirudia (ODK Central, si lazima)
imports-repeats-hint = CSV ya kila kundi linalojirudia kutoka upakuaji uleule wa Central (fomu-kundi.csv), kwa [[repeats]] za faili ya ulinganishaji. Unaweza kuchagua kadhaa.
imports-programme = Programu (DHIS2 Tracker pekee)
imports-programme-none = Hakuna (si DHIS2)
imports-dry-run = Jaribio: kagua na uhesabu, usiandike chochote
imports-do = Pakia
imports-result-dry = Jaribio la { $file }: hakuna kilichoandikwa
imports-result = { $file } imeletwa
imports-rows = Safu zilizosomwa
imports-rows-refused = Safu zilizokataliwa
imports-created = Rekodi zilizoundwa
imports-updated = Rekodi zilizosasishwa
imports-unchanged = Rekodi zisizobadilika
imports-conflicts = Zimewekwa kama migongano ya usawazishaji ili zikaguliwe
imports-rejected = Rekodi zilizokataliwa
imports-would-create = Rekodi ambazo zingeundwa
imports-would-replace = Rekodi ambazo tayari zipo (zingesasishwa au kubaki zilivyo)
imports-problems = Matatizo (faili, safu na safu wima)
imports-problems-more = Matatizo yote: { $count }. Ya kwanza { $shown } yameorodheshwa.
imports-none = Hakuna matatizo.
imports-dry-next = Hakuna kilichoandikwa. Ili kuleta, chagua faili zilezile tena, ondoa alama ya jaribio kisha upakie.
imports-source-required = Chagua chanzo cha faili.
imports-file-required = Chagua faili ya data.
imports-mapping-required = Chagua faili ya ulinganishaji.
imports-mapping-too-large = Faili ya ulinganishaji ni kubwa mno: isizidi MiB 1.
imports-mapping-not-text = Faili ya ulinganishaji si maandishi ya UTF-8: ihifadhi kwa UTF-8 kisha uipakie tena.
imports-too-large = Upakiaji ni mkubwa mno: usizidi { $size }. Leta faili kubwa zaidi kwa scaleup import kwenye seva.
imports-busy = Uletaji mwingine unaendelea. Subiri dakika moja, kisha tuma faili tena.
imports-too-slow = Upakiaji ulichukua muda mrefu mno kufika. Jaribu tena kwa mtandao bora, au gawanya faili.
imports-unreadable = Upakiaji haukuweza kusomwa: chagua faili kisha uzipakie tena.
imports-refused = Uletaji huu haukufanyika na hakuna kilichoandikwa
