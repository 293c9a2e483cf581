### scaleup interface text: English (the reference catalogue; every other language has the
### same messages).
### Messages starting with app- also travel to the offline app; they use only variables and
### selectors on a number, and every selector ends with a default *[other] variant.

## Review status of this catalogue: "yes" once a native speaker has reviewed every message.
meta-reviewed = yes

## Frame
skip-to-content = Skip to content
nav-label = Main
nav-today = Today
nav-queue = Review queue
nav-supervision-log = Supervision log
nav-hub = Hub
sign-out = Sign out
language-link = Language
language-title = Language
language-choose = Choose the language of the interface
language-unreviewed = not yet reviewed by a native speaker
language-unreviewed-note = This translation has not yet been reviewed by a native speaker.
language-unknown = That language is not available.
save = Save
cancel = Cancel
back = Back

## Sign-in
signin-title = Sign in
signin-lead = Sign in with the username and password your hub gave you.
field-username = Username
field-password = Password
sign-in = Sign in
signin-missing = Enter your username and password.
signin-invalid = Wrong username or password.
signin-wait-seconds = { $n ->
    [one] Too many failed attempts. Try again in { $n } second.
   *[other] Too many failed attempts. Try again in { $n } seconds.
}
signin-wait-minutes = { $n ->
    [one] Too many failed attempts. Try again in { $n } minute.
   *[other] Too many failed attempts. Try again in { $n } minutes.
}
signin-locked = Too many failed attempts on this account. Sign in on a phone or computer you have signed in on before, or ask your hub manager to have your password reset.
signin-busy = { $n ->
    [one] The server is busy. Try again in { $n } second.
   *[other] The server is busy. Try again in { $n } seconds.
}

## Roles and home
home-title = Welcome
home-role = You are signed in as { $role }.
home-api = Programme data, analyses and exports are available through the API:
role-admin = administrator
role-hub_manager = hub manager
role-supervisor = supervisor
role-counsellor = counsellor
role-researcher = researcher
role-viewer = viewer

## Errors
error-forbidden = Your role cannot open this page.
error-not-found = This page does not exist or is not in your caseload.
error-form-expired = This form has expired or did not come from scaleup. Reload the page and try again.

## Supervisor: queue
queue-title = Review queue
queue-lead = Clients of your counsellors who need attention, most urgent first.
queue-empty = Nothing needs your attention right now.
queue-alerts = Open risk alerts
queue-flagged = Flagged clients
queue-client = Client
queue-counsellor = Counsellor
queue-flags = Why
queue-due = Respond by
queue-overdue = overdue
flag-risk = Risk alert
flag-no_improvement = Not improving
flag-missed_sessions = Missed sessions
flag-overdue = Session overdue
flag-dropout = Dropped out
acknowledge = Acknowledge
open-client = Open client
queue-counsellors = Your counsellors
queue-coaching = Coaching view
queue-rate = Rate competency
alert-level-urgent = Urgent
alert-level-routine = Routine
alert-status-open = Open
alert-status-acknowledged = Acknowledged
alert-status-escalated = Escalated

## Supervisor: alert
alert-title = Risk alert
alert-raised = Raised
alert-rule = Reason
alert-history = What has been done
alert-history-empty = Nothing recorded yet.
alert-ack-title = Acknowledge and act
alert-ack-actions = What did you do? Choose all that apply.
alert-note = Note (optional)
alert-note-hint = Do not write the client's name here.
alert-followup-title = Add a follow-up
alert-ack-done = Acknowledged.
alert-followup-done = Follow-up saved.
alert-choose-action = Choose at least one action.
action-contacted_client = Contacted the client
action-safety_plan_made = Made a safety plan
action-referred_emergency = Referred to emergency care
action-referred_specialist = Referred to a specialist
action-home_visit = Home visit
action-risk_assessed_low = Assessed risk as low
action-called_counsellor = Called the counsellor
action-visited_with_counsellor = Visited with the counsellor
action-supervision_scheduled = Scheduled supervision
action-client_not_reached = Tried but could not reach the client
history-acknowledge = Acknowledged
history-follow_up = Follow-up
history-escalate = Escalated

## Supervisor: client
client-title = Client { $code }
client-programme = Programme
client-counsellor = Counsellor
client-status = Status
client-sessions = Sessions attended
client-trend = Outcome over time
client-records = Records
client-no-scores = No outcome scores yet.
episode-active = In treatment
episode-closed = Closed
episode-none = Not enrolled

## Supervisor: supervision session
supervision-title = Supervision session
supervision-date = Date
supervision-minutes = Duration (minutes)
supervision-format = Format
format-individual = Individual
format-group = Group
format-remote = Remote
supervision-counsellors = Counsellors present
supervision-notes = Notes
supervision-actions = Action points (one per line)
supervision-saved = Supervision session saved.
supervision-recent = Recent supervision sessions

## Supervisor: competency rating
rating-title = Competency rating: { $name }
rating-lead = For each competency, answer three questions. The level is computed from your answers.
rating-method = How did you observe?
method-role_play = Role play
method-observed_session = Observed session
method-recorded_session = Recorded session
rating-harmful = Unhelpful or harmful behaviour observed
rating-basic = Basic skills shown
basic-none = None
basic-some = Some
basic-all = All
rating-advanced = At least one advanced skill shown
rating-level = Level { $level }
rating-saved = Rating saved.
rating-safety-flag = A competency was rated at the harmful level: a supervision safety flag was sent to the hub's clinical lead.
yes = Yes
no = No

## Supervisor: coaching view
coaching-title = Coaching: { $name }
coaching-lead = For coaching conversations, not for ranking.
coaching-caseload = Active clients
coaching-sessions-week = Sessions per week (last 8 weeks)
coaching-components = Protocol components delivered
coaching-improving = Clients improving
coaching-competency = Competency levels over time
coaching-no-ratings = No competency ratings yet.

## Hub
hub-title = Hub
hub-flags = Supervision safety flags
hub-flags-empty = No open safety flags.
hub-escalated = Escalated risk alerts
hub-escalated-empty = No escalated alerts.

## The offline app (messages the device formats itself)
app-title = Today
app-today = Today
app-new-client = New client
app-send-now = Send now
app-pending = { $n ->
    [0] Nothing pending
    [one] { $n } record pending
   *[other] { $n } records pending
}
app-sending = Sending…
app-offline = Offline: records are kept on this phone and sent when you are back online.
app-online = Online
app-unreachable = The server cannot be reached. Your records are kept on this phone and will be sent later.
app-last-sync = Last sent: { $when }
app-never-synced = Not sent yet
app-storage-persisted = Storage: kept by the browser
app-storage-not-persisted = Storage: the browser may clear it if the phone runs out of space. Add scaleup to your home screen to keep it.
app-no-indexeddb = This browser cannot keep records offline (private browsing?). Do not record anything until you use a normal browser window.
app-signed-out = You are signed out. Sign in while online to use scaleup on this phone.
app-session-ended = Your session has ended. Sign in again to send your records; nothing has been lost.
app-sign-in = Sign in
app-first-sync = Downloading your caseload…
app-first-sync-progress = { $n ->
    [one] { $n } record downloaded
   *[other] { $n } records downloaded
}
app-update-ready = An update is ready. It will be applied when you finish this form.
app-update-apply = Update now
app-section-alerts = Open risk alerts
app-section-due = Due today
app-section-overdue = Overdue
app-section-missed = Missed sessions
app-section-upcoming = Coming up
app-nothing-due = No sessions due today.
app-session-n = Session { $n }
app-due-on = Due { $date }
app-overdue-days = { $n ->
    [one] { $n } day overdue
   *[other] { $n } days overdue
}
app-alert-open = Risk alert: waiting for your supervisor
app-alert-acknowledged = Risk alert acknowledged by your supervisor
app-alert-escalated = Risk alert escalated to the hub
app-outbox = Records on this phone
app-outbox-empty = Every record has been sent.
app-status-pending = pending
app-status-sent = sent
app-status-rejected = rejected
app-status-conflict = sent, for supervisor review
app-discard = Discard
app-download-unsent = Download my unsent records
app-kind-client = Client
app-kind-client_identity = Contact details
app-kind-consent = Consent
app-kind-assessment = Assessment
app-kind-eligibility = Eligibility
app-kind-episode = Enrolment
app-kind-session = Session
app-kind-referral = Referral
app-signout-title = Sign out
app-signout-unsent = { $n ->
    [one] { $n } record has not been sent yet.
   *[other] { $n } records have not been sent yet.
}
app-signout-explain = Unsent records stay on this phone, hidden from anyone else, and are sent the next time you sign in here. You can also download them now.
app-signout-anyway = Sign out anyway
app-stay = Stay signed in
app-client-given-name = Given name
app-client-family-name = Family name
app-client-phone = Phone
app-client-sex = Sex
app-sex-female = Female
app-sex-male = Male
app-sex-other = Other
app-sex-unknown = Not recorded
app-client-birth-year = Year of birth
app-client-facility = Facility
app-client-programme = Programme
app-consent-treatment = The client agrees to be screened and treated
app-consent-research = The client agrees that their anonymised data is used for research
app-consent-required = The client must agree to be screened and treated before you register them.
app-required = This is required.
app-invalid-year = Enter a year between { $min } and { $max }.
app-save = Save
app-cancel = Cancel
app-episode-active = In treatment
app-episode-closed = Treatment ended
app-episode-none = Not enrolled
app-saved-pending = Saved on this phone. It will be sent when you are online.
app-client-page = Client
app-screen = Screen with { $instrument }
app-measure = Record { $instrument }
app-enrol = Offer treatment
app-record-decision = Record the decision
app-record-session = Record a session
app-refer = Refer
app-close-episode = Close treatment
app-next-step = Next step
app-sessions-attended = { $n ->
    [one] { $n } session attended
   *[other] { $n } sessions attended
}
app-trend = Outcome over time
app-no-trend = No scores yet.
app-item-n = Item { $n }
app-fallback-marker = (English: not yet translated)
app-answered = { $n } of { $total } answered
app-score = Score
app-total = Total: { $total }
app-band = { $band }
app-incomplete = Incomplete: answer every item to get a total.
app-incomplete-missing = Answer every question before saving. Not answered: { $items }.
app-risk-flag = Risk: { $message }
app-server-score = Confirmed by the server: total { $total }
app-eligible = Eligible for { $programme }: offer treatment.
app-not-eligible = Not eligible for { $programme } by the protocol's rule.
app-excluded-refer = Refer: the protocol excludes treatment here ({ $rule }). Follow the safety steps.
app-excluded = Not eligible: excluded by the protocol ({ $rule }).
app-safety-title = Safety steps
app-safety-step = Step { $n } of { $total }
app-safety-ask-title = Ask
app-safety-ask = Ask calmly and directly: "Are you having thoughts of ending your life? Have you made a plan? Do you have the means?" Listen without judging.
app-safety-keep-title = Keep safe
app-safety-keep = If the client has a plan or the means, or has acted on it: do not leave them alone, remove the means if you safely can, and involve someone they trust.
app-safety-call-title = Call
app-safety-call = Call your supervisor now. Your supervisor has been alerted and must respond within { $hours } hours.
app-safety-call-who = Your supervisor: { $name }
app-safety-emergency = If there is immediate danger, call the local emergency number.
app-safety-record-title = Record
app-safety-record = Record what you did. If you referred the client, record the referral now.
app-safety-next = Next
app-safety-done = Done
app-safety-source = From WHO mhGAP Intervention Guide 2.0, self-harm/suicide module.
app-offer-accepted = The client accepts treatment
app-offer-declined = The client declines
app-decline-reason = Reason for declining
app-decline-no_time = No time
app-decline-distance = Too far
app-decline-cost = Cost
app-decline-family_objection = Family objects
app-decline-stigma = Stigma
app-decline-not_needed = Does not feel it is needed
app-decline-prefers_other_care = Prefers other care
app-decline-other = Other
app-session-number = Session number
app-session-date = Date
app-session-attendance = Did the client come?
app-session-attended = The client attended
app-session-missed = The client did not come
app-session-minutes = Duration (minutes)
app-session-modality = How
app-modality-individual = In person
app-modality-group = Group
app-modality-remote = By phone
app-session-components = What did you cover?
app-planned = planned for this session
app-date-future = The date cannot be in the future.
app-refer-to = Refer to
app-service-primary_care_doctor = Primary care doctor
app-service-psychiatry = Psychiatry
app-service-emergency = Emergency services
app-service-social_services = Social services
app-service-other = Other service
app-refer-reason = Reason
app-reason-suicide_risk = Suicide risk
app-reason-no_improvement = Not improving
app-reason-psychosis = Possible psychosis
app-reason-medical = Medical problem
app-reason-other = Other
app-urgency = Urgency
app-urgency-routine = Routine
app-urgency-urgent = Urgent
app-urgency-emergency = Emergency
app-close-reason = Why is treatment ending?
app-closure-completed = Completed
app-closure-dropped_out = Dropped out
app-closure-referred = Referred
app-closure-transferred = Transferred
app-closure-died = Died
app-close-date = Date
app-not-found = This client is not on this phone.
app-error-reason = Reason: { $message }
app-search = Find a client
app-all-clients = All my clients
app-show-all = Show all { $n }
app-no-clients = No clients yet. Register one with “New client”.

## Programme dashboard
nav-dashboard = Dashboard
dash-title = Programme dashboard
dash-forbidden = Your role does not include programme figures. Ask your hub manager if you need them.
dash-bad-level = Choose a region or a district from the dashboard's table.
dash-no-unit = This programme has no figures for that place. Go back to all places.
dash-programme = Programme
dash-show = Show
dash-choose = Choose a programme to see its figures.
dash-scope = Where
dash-all-units = All places
dash-cascade = Effective coverage: people in need reached at each step
dash-months = Screened and enrolled, month by month
dash-targets = Against the protocol's targets
dash-target-at-least = target at least { $share }
dash-target-at-most = target at most { $share }
dash-target-source = Target set by: { $source }
dash-reach-by-sex = Reach by sex
dash-reach-by-age = Reach by age band
dash-units-region = Regions
dash-units-district = Districts
dash-units-facility = Facilities
dash-unit = Place
dash-none = No figures yet.
dash-counsellors = Counsellors: fidelity, dose and competency
dash-counsellor = Counsellor
dash-suppressed = Counts below { $k } are shown as <{ $k } so that no one can be recognised.
dash-download = Download the figures (CSV)
dash-costs-link = Implementation cost per client, year by year
cost-title = Implementation cost
cost-note = All of the hub's programmes: the sessions, supervision and training recorded each year, priced with the price lists the hub stored (Proctor's implementation cost).
cost-year = Year
cost-clients = Clients reached
cost-sessions = Sessions
cost-total = Total cost
cost-per-client = Cost per client
cost-per-session = Cost per session
cost-price-list = Price list
cost-missing = Years not costed
cost-no-prices = No price list for { $hub } in { $year }.
cost-upload = Upload a price list
cost-no-activity = No activity recorded yet.
dash-definitions = Indicator names are translated; their definitions are in English (docs/indicators.md).
dash-every = Every indicator
dash-every-note = All time, for the place above. Open a framework to see its indicators, what each is out of, and how it is defined.

## Indicator and framework names (the dashboard). ind-<code> names an indicator of
## crates/scaleup-indicators/src/catalogue.rs and ind-framework-<framework> a framework; the
## English text equals the catalogue's label (tests/i18n.rs checks it). Names only: the
## definitions (numerator ÷ denominator) stay in English, as in docs/indicators.md.
ind-framework-reach = RE-AIM: Reach
ind-framework-effectiveness = RE-AIM: Effectiveness
ind-framework-adoption = RE-AIM: Adoption
ind-framework-implementation = RE-AIM: Implementation
ind-framework-maintenance = RE-AIM: Maintenance
ind-framework-proctor = Proctor implementation outcomes
ind-framework-coverage = Effective coverage and treatment gap
ind-registered = Clients registered
ind-screened = Clients screened
ind-eligible = Clients eligible
ind-offered = Eligible clients offered treatment
ind-enrolled = Clients enrolled
ind-reach = Reach (enrolled ÷ eligible)
ind-reach_participation = Participation among those offered
ind-reach_conservative = Conservative reach
ind-eligible_non_participants = Eligible clients not participating
ind-declined = Declined the offer
ind-decline_reason_no_time = Declined: no time
ind-decline_reason_distance = Declined: distance
ind-decline_reason_cost = Declined: cost
ind-decline_reason_family_objection = Declined: family objection
ind-decline_reason_stigma = Declined: stigma
ind-decline_reason_not_needed = Declined: not needed
ind-decline_reason_prefers_other_care = Declined: prefers other care
ind-decline_reason_other = Declined: other reason
ind-completion = Completion
ind-dropout = Drop-out
ind-phq9_response = PHQ-9 response
ind-phq9_remission = PHQ-9 remission (< 5)
ind-phq9_mean_change = PHQ-9 mean change
ind-outcome_response = Response on the primary outcome
ind-outcome_remission = Remission on the primary outcome
ind-outcome_mean_change = Mean change on the primary outcome
ind-reliable_improvement = Reliable improvement (RCI)
ind-reliable_deterioration = Reliable deterioration (RCI)
ind-adverse_events = Risk alerts during care
ind-adoption_facilities = Facilities delivering
ind-adoption_counsellors = Trained counsellors delivering
ind-fidelity = Fidelity (components delivered)
ind-dose = Dose (sessions attended ÷ planned)
ind-adequate_dose = Adequate dose reached
ind-competency_level_1 = Competency ratings at level 1 (harmful)
ind-competency_level_2 = Competency ratings at level 2
ind-competency_level_3 = Competency ratings at level 3
ind-competency_level_4 = Competency ratings at level 4
ind-counsellors_competent = Counsellors competent (all competencies ≥ level 3)
ind-supervision_coverage = Supervision coverage (last 30 days)
ind-alert_response_median_hours = Risk-alert response time, median
ind-alert_response_p90_hours = Risk-alert response time, 90th percentile
ind-alert_response_within_limit = Risk alerts acknowledged within the protocol's limit
ind-maintenance_facilities = Sites still delivering 6 months after support
ind-maintenance_followup = Follow-up 6 months after last contact
ind-maintenance_response = Response sustained 6 months after last contact
ind-penetration_clients = Penetration (clients)
ind-penetration_providers = Penetration (providers)
ind-acceptability_aim = Acceptability (AIM mean)
ind-appropriateness_iam = Appropriateness (IAM mean)
ind-feasibility_fim = Feasibility (FIM mean)
ind-need = Population in need
ind-coverage_contact = Contact coverage
ind-coverage_adequate_dose = Coverage with an adequate dose
ind-coverage_quality = Quality-adjusted coverage
ind-coverage_effective = Effective coverage
ind-treatment_gap = Treatment gap

## Hub console (hub managers and admins)
nav-console = Console
console-tabs-label = Hub console
console-users = Users
console-org-units = Org units
console-programmes = Programmes
console-definitions = Definitions
console-audit = Audit log
console-conflicts = Sync conflicts
console-users-title = Users
console-users-caption = Accounts you manage, by username
console-username = Username
console-display-name = Name
console-role = Role
console-all-hubs = All hubs
console-hub = Hub
console-status = Status
console-actions = Actions
console-active = Active
console-deactivated = Deactivated
console-deactivate = Deactivate
console-reactivate = Reactivate
console-move = Move caseload
console-reset-password = Reset password
console-new-password = New password
console-next-page = Next page
console-create-user = New account
console-supervisor = Supervisor (for a counsellor)
console-password = Password
console-create = Create account
console-role-required = Choose a role for the account.
console-deactivate-self = You cannot deactivate your own account: ask another hub manager or an administrator.
console-move-title = Move caseload
console-move-heading = Move { $name }'s caseload
console-move-to = Counsellor who takes over
console-move-confirm = Move the active clients of { $from } to { $to }?
console-move-history = Each client's records, open alerts and history go with them; the move is recorded in the audit log. Clients whose care has ended stay with their counsellor.
console-move-do = Move the caseload
console-move-none = There is no other active counsellor in this hub to take the caseload.
console-move-choose = Choose the counsellor who takes over.
console-continue = Continue
console-not-counsellor = Only a counsellor's caseload can be moved.
console-org-units-title = Org units
console-org-units-intro = Need for care is the catchment population times the prevalence: give both, and say where the prevalence comes from.
console-name = Name
console-catchment = Catchment population
console-prevalence = Prevalence (%)
console-prevalence-hint = A percentage, for example 4.5. Leave blank to clear it.
console-prevalence-source = Source of the prevalence
console-catchment-invalid = Catchment population: give a whole number of people.
console-prevalence-invalid = Prevalence: give a percentage between 0 and 100.
console-none = Nothing to show yet.
console-programmes-title = Programmes
console-protocol = Protocol
console-alert-hours = Hours to acknowledge a risk alert
console-hours-invalid = Hours to acknowledge: give a whole number of hours.
console-definitions-title = Definitions
console-upload = Upload a definition file
console-file = File (TOML, or XLSForm .xlsx)
console-file-hint = An instrument, protocol, competency framework, item-text or price-list file, at most 512 KB. It applies at once, without a restart.
console-xlsform-hint = An XLSForm (.xlsx) becomes an instrument, with item texts for each further language: select_one questions with whole-number choices and integer questions with a range. Anything else is refused with its sheet, row and column.
console-licence = Licence of an XLSForm's wording
console-licence-unknown = Not stated: keep no wording
console-licence-attribution = Free with attribution: keep the wording
console-licence-open = Open: keep the wording
console-scope = Applies to
console-scope-network = Every hub (network-wide)
console-upload-do = Upload
console-upload-refused = This file was not stored:
console-upload-fix = Correct the file at the line shown and upload it again. Nothing was changed.
console-line = Line
console-field = Field
console-problem = Problem
console-definitions-stored = Stored files
console-definitions-version = Definitions version in force: { $version }.
console-definitions-none = No files uploaded yet: the built-in definitions apply.
console-kind = Kind
console-code = Code
console-version = Version
console-added = Added
console-hub-required = Choose the hub the file applies to.
console-file-required = Choose a file to upload.
console-file-too-large = The file is too large: definition files are at most 512 KB.
console-file-not-text = The file is not UTF-8 text: save it as a UTF-8 TOML file and upload it again.
console-audit-title = Audit log
console-audit-actor = Who (username)
console-audit-action = Action
console-audit-action-hint = The start of an action is enough: user. finds every account event.
console-audit-from = From
console-audit-to = To
console-audit-at = When (UTC)
console-audit-entity = What
console-audit-none = No events match.
console-audit-system = system
console-audit-bad-date = { $field }: give a date as YYYY-MM-DD.
console-filter = Filter
console-clear = Clear
console-older = Older events
console-conflicts-title = Sync conflicts
console-conflicts-intro = A phone sent an edit of a record that had changed on the server meanwhile. Compare the fields and keep one version; both stay in the record's history.
console-conflicts-none = No open conflicts.
console-conflict-by = Sent by { $author } at { $time } · caseload of { $counsellor }
console-conflict-server = On the server
console-conflict-incoming = From the phone
console-keep-server = Keep the server's version
console-keep-incoming = Keep the phone's version
console-done-created = The account was created.
console-done-deactivated = The account was deactivated and its sessions ended.
console-done-reactivated = The account was reactivated.
console-done-password = The password was reset and the account's sessions ended.
console-done-moved = The caseload was moved.
console-done-saved = Saved.
console-done-uploaded = The file was stored and applies now, on every server.
console-done-resolved = The conflict was resolved.
error-refused = Your role ({ $role }) may not { $action }. Who can: { $who }. Ask one of them, or go back to your start page.
capability-open_hub_console = open the hub console
capability-manage_users = create, deactivate or reset accounts
capability-move_caseloads = move a caseload to another counsellor
capability-manage_hub_setup = set up org units and programmes
capability-manage_definitions = upload definition files
capability-manage_network_definitions = upload network-wide definition files
capability-read_audit = read the audit log
capability-review_clinical = review risk alerts and sync conflicts
console-move-active = { $count ->
    [one] { $count } active client moves.
   *[other] { $count } active clients move.
}
console-move-ended = { $count ->
    [one] { $count } client whose care has ended stays.
   *[other] { $count } clients whose care has ended stay.
}
console-password-hint = { $count ->
    [one] At least { $count } character. The account's sessions end when it is reset.
   *[other] At least { $count } characters. The account's sessions end when it is reset.
}

## Record imports (issue 9): the import page, for the roles that write care records
nav-imports = Import records
capability-write_care_records = write or import care records
imports-title = Import records
imports-intro = Records exported from ODK Central, KoboToolbox, REDCap or DHIS2 Tracker go through the same checks, scoring, risk alerts and audit as records sent from a phone, written as you. Start with a dry run: it reads and checks every row and writes nothing.
imports-source = Source
imports-source-odk = ODK Central or KoboToolbox (submissions CSV, Central’s zip or Kobo’s XLSX)
imports-source-redcap = REDCap (flat record export, CSV)
imports-source-dhis2-tracker = DHIS2 Tracker (JSON payload)
imports-file = Data file
imports-file-hint = The export as the source system writes it, in UTF-8, at most { $size }.
imports-file-zip = ODK Central’s export zip (all submissions, as downloaded) may be chosen as it is: the CSV of each repeat group is read from it, so leave “Repeat groups” empty.
imports-file-xlsx = KoboToolbox’s XLSX export (“XML values and headers”) may be chosen too: each repeat group is read from its own sheet, so leave “Repeat groups” empty.
imports-mapping = Mapping file (TOML)
imports-mapping-hint = Says which column becomes which scaleup field (docs/interoperability.md, Imports).
imports-repeats = Repeat groups (ODK Central, optional)
imports-repeats-hint = The CSV of each repeat group from the same Central export (form-group.csv), for the mapping's [[repeats]]. Choose several at once.
imports-programme = Programme (DHIS2 Tracker only)
imports-programme-none = None (not DHIS2)
imports-dry-run = Dry run: check and count, write nothing
imports-do = Upload
imports-result-dry = Dry run of { $file }: nothing was written
imports-result = Imported { $file }
imports-rows = Rows read
imports-rows-refused = Rows refused
imports-created = Records created
imports-updated = Records updated
imports-unchanged = Records unchanged
imports-conflicts = Kept as sync conflicts for review
imports-rejected = Records rejected
imports-would-create = Records that would be created
imports-would-replace = Records that exist already (updated or left unchanged)
imports-problems = Problems (file, row and column)
imports-problems-more = Problems in all: { $count }. The first { $shown } are listed.
imports-none = No problems.
imports-dry-next = Nothing was written. To import, choose the same files again, untick the dry run and upload.
imports-source-required = Choose the source of the file.
imports-file-required = Choose the data file.
imports-mapping-required = Choose the mapping file.
imports-mapping-too-large = The mapping file is too large: at most 1 MiB.
imports-mapping-not-text = The mapping file is not UTF-8 text: save it as UTF-8 and upload it again.
imports-too-large = The upload is too large: at most { $size }. Import larger files with scaleup import on the server.
imports-busy = Other imports are running. Wait a minute, then send the files again.
imports-too-slow = The upload took too long to arrive. Try again on a better connection, or split the file.
imports-unreadable = The upload could not be read: choose the files and upload them again.
imports-refused = This import did not run and nothing was written
