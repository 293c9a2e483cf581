//! Analysis datasets: one row per episode, assessment or session of a programme, with the
//! design variables an analysis needs (hub, district, facility, cluster, arm, period, exposure)
//! and the outcome (baseline and follow-up scores, sessions, dates), de-identified as
//! [`Deidentification`] says.
//!
//! Every variable is described once ([`Variable`]: name, label, type, units, codes); the CSV, the
//! data dictionary and the R and Stata scripts ([`crate::scripts`]) are all written from that
//! one description, so they cannot disagree.

use crate::deid::{self, DeidKey, Deidentification, KAnonymityError};
use crate::source::StudySource;
use scaleup_domain::date::Date;
use scaleup_domain::record::{
    Assessment, Client, Episode, Occasion, RecordKind, RecordPayload, Session,
};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// What one row of the dataset is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Episode,
    Assessment,
    Session,
}

impl Unit {
    pub const ALL: [Unit; 3] = [Unit::Episode, Unit::Assessment, Unit::Session];

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Episode => "episode",
            Unit::Assessment => "assessment",
            Unit::Session => "session",
        }
    }

    pub fn parse(text: &str) -> Option<Unit> {
        Unit::ALL.into_iter().find(|u| u.as_str() == text)
    }
}

/// The type of a variable, as the dictionary states it and the scripts read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarType {
    /// Free-form or data-defined labels (hub, district, cluster, arm, pseudonyms).
    String,
    Integer,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    /// One of a fixed set of codes, each with a label.
    Code,
}

impl VarType {
    pub fn as_str(self) -> &'static str {
        match self {
            VarType::String => "string",
            VarType::Integer => "integer",
            VarType::Number => "number",
            VarType::Date => "date",
            VarType::Code => "code",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, VarType::Integer | VarType::Number)
    }
}

/// One column of the dataset and its documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    pub name: String,
    pub label: String,
    pub var_type: VarType,
    pub units: Option<String>,
    /// Code → label, for `Code` variables and coded integers (0/1).
    pub codes: Vec<(String, String)>,
    /// Free text: dropped when [`Deidentification::drop_free_text`] is set.
    pub free_text: bool,
}

/// Options of one export.
#[derive(Clone, Debug)]
pub struct DatasetOptions {
    pub unit: Unit,
    /// Outcome instrument of an episode row (default: the design's, else `phq9`).
    pub instrument: Option<String>,
    /// Occasion of the follow-up score of an episode row.
    pub follow_up: Occasion,
    pub deid: Deidentification,
}

impl Default for DatasetOptions {
    fn default() -> Self {
        DatasetOptions {
            unit: Unit::Episode,
            instrument: None,
            follow_up: Occasion::FollowUp,
            deid: Deidentification::default(),
        }
    }
}

/// A built dataset: variables, rows of text cells (`None` is missing) and what was done to it.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// File stem: `<programme>_<unit>s`.
    pub name: String,
    pub unit: Unit,
    pub programme: String,
    pub instrument: String,
    pub variables: Vec<Variable>,
    pub rows: Vec<Vec<Option<String>>>,
    /// Distinct clients in the rows.
    pub clients: usize,
    pub deid: Deidentification,
    /// The quasi-identifiers that were checked.
    pub quasi_identifiers: Vec<String>,
    /// Statements about the file for its README and dictionary (what was coarsened, and why).
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DatasetError {
    #[error(transparent)]
    KAnonymity(#[from] KAnonymityError),
    #[error("quasi_identifiers: `{name}` is not a variable of this file; variables: {allowed}")]
    UnknownVariable { name: String, allowed: String },
}

fn var(name: &str, label: &str, var_type: VarType) -> Variable {
    Variable {
        name: name.into(),
        label: label.into(),
        var_type,
        units: None,
        codes: Vec::new(),
        free_text: false,
    }
}

fn with_units(mut v: Variable, units: &str) -> Variable {
    v.units = Some(units.into());
    v
}

/// A coded variable whose codes are the enum of a record field, taken from the record's JSON
/// Schema so the dictionary lists exactly what the parser accepts.
fn coded_from_schema(name: &str, label: &str, kind: RecordKind, field: &str) -> Variable {
    let schema = scaleup_domain::record::data_schema(kind);
    let codes = schema["properties"][field]["enum"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str())
                .map(|c| (c.to_string(), sentence(c)))
                .collect()
        })
        .unwrap_or_default();
    Variable {
        codes,
        ..var(name, label, VarType::Code)
    }
}

fn yes_no(name: &str, label: &str) -> Variable {
    Variable {
        codes: vec![("0".into(), "No".into()), ("1".into(), "Yes".into())],
        ..var(name, label, VarType::Integer)
    }
}

/// `follow_up` → `Follow up`.
fn sentence(code: &str) -> String {
    let text = code.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Everything a row shares with the other rows of its client.
struct ClientContext<'a> {
    pseudonym: String,
    shift: i64,
    client: Option<&'a Client>,
}

struct Builder<'a> {
    source: &'a StudySource,
    options: &'a DatasetOptions,
    key: &'a DeidKey,
    clusters: BTreeMap<String, String>,
}

impl<'a> Builder<'a> {
    fn context(&self, clients: &BTreeMap<Uuid, &'a Client>, id: Uuid) -> ClientContext<'a> {
        ClientContext {
            pseudonym: self.key.pseudonym("C", "client", id),
            shift: if self.options.deid.shift_dates {
                self.key.date_shift(id)
            } else {
                0
            },
            client: clients.get(&id).copied(),
        }
    }

    fn date(&self, c: &ClientContext, on: Option<Date>) -> Option<String> {
        on.and_then(|d| d.checked_add_days(c.shift))
            .map(|d| d.to_string())
    }

    /// The design and person variables of a row about `c` on `on` at `facility`.
    fn common(
        &self,
        row: &mut BTreeMap<&'static str, Option<String>>,
        c: &ClientContext,
        episode: Option<Uuid>,
        facility: Option<Uuid>,
        on: Date,
        arm: Option<&str>,
    ) {
        let s = self.source;
        row.insert("client_id", Some(c.pseudonym.clone()));
        row.insert(
            "episode_id",
            episode.map(|e| self.key.pseudonym("E", "episode", e)),
        );
        row.insert("hub", Some(s.hub_code.clone()));
        let facility = facility.or(c.client.map(|x| x.facility_id));
        row.insert(
            "district",
            facility.and_then(|f| s.district_of(f)).map(str::to_string),
        );
        row.insert(
            "facility",
            facility
                .and_then(|f| s.facility_code(f))
                .map(str::to_string),
        );
        let site = facility.and_then(|f| s.site(f));
        row.insert(
            "cluster",
            site.and_then(|x| x.cluster.as_ref()).map(|cl| {
                if self.options.deid.coarsen_facility {
                    self.clusters[cl].clone()
                } else {
                    cl.clone()
                }
            }),
        );
        row.insert("site_arm", site.and_then(|x| x.arm.clone()));
        row.insert("arm", arm.map(str::to_string));
        let period = s.period_of(on);
        row.insert("period", period.map(|p| p.to_string()));
        let crossover = site.and_then(|x| x.crossover_period);
        row.insert(
            "exposed",
            period
                .zip(crossover)
                .map(|(p, x)| if x <= p { "1" } else { "0" }.to_string()),
        );
        let sex = c.client.map(|x| {
            serde_json::to_value(x.sex)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        });
        row.insert("sex", sex);
        let age = c
            .client
            .and_then(|x| x.birth_year)
            .map(|y| (on.year() - y) as i64);
        row.insert("age", age.map(|a| a.to_string()));
        row.insert("age_band", age.map(|a| deid::age_band(a).to_string()));
    }
}

fn common_variables() -> Vec<Variable> {
    let mut age_band = var("age_band", "Age band at the row's date", VarType::Code);
    age_band.codes = deid::AGE_BANDS
        .iter()
        .map(|b| (b.to_string(), format!("{b} years")))
        .collect();
    vec![
        var(
            "client_id",
            "Client (keyed pseudonym, stable across exports)",
            VarType::String,
        ),
        var(
            "episode_id",
            "Episode of care (keyed pseudonym)",
            VarType::String,
        ),
        var("hub", "Hub", VarType::String),
        var("district", "District of the facility", VarType::String),
        var("facility", "Facility", VarType::String),
        var("cluster", "Cluster of the trial design", VarType::String),
        var(
            "site_arm",
            "Arm (or stepped-wedge sequence) of the facility in the design",
            VarType::String,
        ),
        var("arm", "Arm the episode was enrolled in", VarType::String),
        with_units(
            var(
                "period",
                "Period of the stepped-wedge design (0-based) of the row's date",
                VarType::Integer,
            ),
            "period",
        ),
        yes_no(
            "exposed",
            "Facility delivering the intervention in that period (stepped wedge)",
        ),
        coded_from_schema("sex", "Sex", RecordKind::Client, "sex"),
        with_units(
            var(
                "age",
                "Age at the row's date (from the birth year)",
                VarType::Integer,
            ),
            "years",
        ),
        age_band,
    ]
}

fn unit_variables(unit: Unit, instrument: &str, follow_up: &str) -> Vec<Variable> {
    match unit {
        Unit::Episode => vec![
            var("enrolled_on", "Date of enrolment", VarType::Date),
            var("closed_on", "Date the episode closed", VarType::Date),
            coded_from_schema(
                "closure_reason",
                "Why the episode closed",
                RecordKind::Episode,
                "closure_reason",
            ),
            with_units(
                var(
                    "sessions_attended",
                    "Treatment sessions attended",
                    VarType::Integer,
                ),
                "sessions",
            ),
            with_units(
                var(
                    "sessions_missed",
                    "Treatment sessions recorded as missed",
                    VarType::Integer,
                ),
                "sessions",
            ),
            with_units(
                var(
                    "baseline_score",
                    &format!("{instrument} total at baseline"),
                    VarType::Number,
                ),
                "points",
            ),
            var(
                "baseline_on",
                &format!("Date of the {instrument} baseline"),
                VarType::Date,
            ),
            with_units(
                var(
                    "followup_score",
                    &format!("{instrument} total at the last {follow_up} assessment"),
                    VarType::Number,
                ),
                "points",
            ),
            var(
                "followup_on",
                &format!("Date of that {follow_up} assessment"),
                VarType::Date,
            ),
            with_units(
                var(
                    "days_to_followup",
                    "Days from baseline to follow-up",
                    VarType::Integer,
                ),
                "days",
            ),
        ],
        Unit::Assessment => vec![
            var("instrument", "Instrument code", VarType::String),
            coded_from_schema(
                "occasion",
                "When in the pathway it was administered",
                RecordKind::Assessment,
                "occasion",
            ),
            var(
                "session_number",
                "Session number (occasion session)",
                VarType::Integer,
            ),
            var("administered_on", "Date administered", VarType::Date),
            with_units(
                var(
                    "total",
                    "Total score computed by the server (missing if too many items unanswered)",
                    VarType::Number,
                ),
                "points",
            ),
            var("band", "Severity band of the total", VarType::String),
        ],
        Unit::Session => vec![
            var("session_number", "Session number", VarType::Integer),
            var("session_on", "Date of the session", VarType::Date),
            yes_no("attended", "Attended"),
            with_units(
                var("duration_minutes", "Duration", VarType::Integer),
                "minutes",
            ),
            coded_from_schema("modality", "Modality", RecordKind::Session, "modality"),
            with_units(
                var(
                    "components_delivered",
                    "Protocol components delivered",
                    VarType::Integer,
                ),
                "components",
            ),
        ],
    }
}

fn occasion_code(o: Occasion) -> String {
    serde_json::to_value(o)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Builds the dataset of one programme, de-identifies it and checks k-anonymity.
pub fn build(
    source: &StudySource,
    options: &DatasetOptions,
    key: &DeidKey,
) -> Result<Dataset, DatasetError> {
    let instrument = options
        .instrument
        .clone()
        .unwrap_or_else(|| source.outcome_instrument());
    let follow_up = occasion_code(options.follow_up);
    let mut clients: BTreeMap<Uuid, &Client> = BTreeMap::new();
    let mut episodes: Vec<(Uuid, &Episode)> = Vec::new();
    let mut assessments: Vec<(Uuid, &Assessment, Option<f64>, Option<&str>)> = Vec::new();
    let mut sessions: Vec<(Uuid, &Session)> = Vec::new();
    for r in &source.records {
        match &r.payload {
            RecordPayload::Client(c) => {
                clients.insert(r.id, c);
            }
            RecordPayload::Episode(e) => episodes.push((r.id, e)),
            RecordPayload::Assessment(a) => assessments.push((
                r.id,
                a,
                r.score.as_ref().and_then(|s| s.total),
                r.score.as_ref().and_then(|s| s.band.as_deref()),
            )),
            RecordPayload::Session(s) => sessions.push((r.id, s)),
            _ => {}
        }
    }
    // Cluster labels, recoded in sorted order when facilities are coarsened: a cluster is often
    // a facility, and its label its name.
    let cluster_labels: BTreeSet<&String> = source
        .programme
        .sites
        .iter()
        .filter_map(|s| s.cluster.as_ref())
        .collect();
    let width = cluster_labels.len().to_string().len().max(2);
    let clusters = cluster_labels
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c.clone(), format!("cluster_{:0width$}", i + 1)))
        .collect();
    let b = Builder {
        source,
        options,
        key,
        clusters,
    };
    let mut rows: Vec<BTreeMap<&'static str, Option<String>>> = Vec::new();
    match options.unit {
        Unit::Episode => {
            let mut per_episode: BTreeMap<Uuid, (i64, i64)> = BTreeMap::new();
            for (_, s) in &sessions {
                let e = per_episode.entry(s.episode_id).or_default();
                if s.attended {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
            }
            // Scores of the outcome instrument per client, in date order.
            let mut scores: BTreeMap<Uuid, Vec<(&Assessment, Option<f64>)>> = BTreeMap::new();
            for (_, a, total, _) in &assessments {
                if a.instrument == instrument {
                    scores.entry(a.client_id).or_default().push((a, *total));
                }
            }
            for list in scores.values_mut() {
                list.sort_by_key(|(a, _)| a.administered_on);
            }
            episodes.sort_by_key(|(id, e)| (e.client_id, e.enrolled_on, *id));
            for (id, e) in &episodes {
                let c = b.context(&clients, e.client_id);
                let mut row = BTreeMap::new();
                b.common(
                    &mut row,
                    &c,
                    Some(*id),
                    None,
                    e.enrolled_on,
                    e.arm.as_deref(),
                );
                row.insert("enrolled_on", b.date(&c, Some(e.enrolled_on)));
                row.insert("closed_on", b.date(&c, e.closed_on));
                row.insert(
                    "closure_reason",
                    e.closure_reason.map(|r| {
                        serde_json::to_value(r)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    }),
                );
                let (attended, missed) = per_episode.get(id).copied().unwrap_or_default();
                row.insert("sessions_attended", Some(attended.to_string()));
                row.insert("sessions_missed", Some(missed.to_string()));
                // The episode's own assessments, or the client's not tied to another episode.
                let own = |a: &Assessment| a.episode_id.is_none_or(|x| x == *id);
                let list = scores.get(&e.client_id).map(Vec::as_slice).unwrap_or(&[]);
                let baseline = list
                    .iter()
                    .find(|(a, t)| own(a) && a.occasion == Occasion::Baseline && t.is_some());
                let follow = list
                    .iter()
                    .rev()
                    .find(|(a, t)| own(a) && a.occasion == options.follow_up && t.is_some());
                row.insert("baseline_score", baseline.and_then(|(_, t)| t.map(number)));
                row.insert(
                    "baseline_on",
                    b.date(&c, baseline.map(|(a, _)| a.administered_on)),
                );
                row.insert("followup_score", follow.and_then(|(_, t)| t.map(number)));
                row.insert(
                    "followup_on",
                    b.date(&c, follow.map(|(a, _)| a.administered_on)),
                );
                row.insert(
                    "days_to_followup",
                    baseline.zip(follow).map(|((a, _), (f, _))| {
                        a.administered_on.days_until(f.administered_on).to_string()
                    }),
                );
                rows.push(row);
            }
        }
        Unit::Assessment => {
            assessments.sort_by_key(|(id, a, ..)| (a.client_id, a.administered_on, *id));
            for (_, a, total, band) in &assessments {
                let c = b.context(&clients, a.client_id);
                let mut row = BTreeMap::new();
                let arm = a
                    .episode_id
                    .and_then(|e| episodes.iter().find(|(id, _)| *id == e))
                    .and_then(|(_, e)| e.arm.as_deref());
                b.common(&mut row, &c, a.episode_id, None, a.administered_on, arm);
                row.insert("instrument", Some(a.instrument.clone()));
                row.insert("occasion", Some(occasion_code(a.occasion)));
                row.insert("session_number", a.session_number.map(|n| n.to_string()));
                row.insert("administered_on", b.date(&c, Some(a.administered_on)));
                row.insert("total", total.map(number));
                row.insert("band", band.map(str::to_string));
                rows.push(row);
            }
        }
        Unit::Session => {
            sessions.sort_by_key(|(id, s)| (s.client_id, s.on, s.number, *id));
            for (_, s) in &sessions {
                let c = b.context(&clients, s.client_id);
                let mut row = BTreeMap::new();
                let arm = episodes
                    .iter()
                    .find(|(id, _)| *id == s.episode_id)
                    .and_then(|(_, e)| e.arm.as_deref());
                b.common(&mut row, &c, Some(s.episode_id), None, s.on, arm);
                row.insert("session_number", Some(s.number.to_string()));
                row.insert("session_on", b.date(&c, Some(s.on)));
                row.insert("attended", Some(if s.attended { "1" } else { "0" }.into()));
                row.insert(
                    "duration_minutes",
                    s.duration_minutes.map(|d| d.to_string()),
                );
                row.insert(
                    "modality",
                    serde_json::to_value(s.modality)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string)),
                );
                row.insert("components_delivered", Some(s.components.len().to_string()));
                rows.push(row);
            }
        }
    }

    // Which variables the file keeps.
    let deid = &options.deid;
    let mut notes = Vec::new();
    let mut variables = common_variables();
    variables.extend(unit_variables(options.unit, &instrument, &follow_up));
    variables.retain(|v| {
        !(deid.age_bands && v.name == "age"
            || !deid.age_bands && v.name == "age_band"
            || deid.coarsen_facility && v.name == "facility"
            || deid.drop_free_text && v.free_text)
    });
    if deid.shift_dates {
        notes.push(format!(
            "Every date of a client is shifted by the same secret number of days (1 to {} either way, never 0); intervals between one client's dates are exact; periods and ages were computed from the true dates.",
            deid::MAX_SHIFT_DAYS
        ));
    }
    if deid.coarsen_facility {
        notes.push("Facilities are coarsened to their district; cluster labels are recoded (cluster_01, ...) in sorted order.".into());
    }
    if deid.age_bands {
        notes.push("Ages are given in bands.".into());
    }
    if deid.drop_free_text {
        notes.push("Free text is dropped (these units hold none: codes and numbers only).".into());
    }

    // k-anonymity on the quasi-identifiers, over distinct clients.
    let names: Vec<&str> = variables.iter().map(|v| v.name.as_str()).collect();
    let quasi: Vec<String> = match &deid.quasi_identifiers {
        Some(list) => {
            for q in list {
                if !names.contains(&q.as_str()) {
                    return Err(DatasetError::UnknownVariable {
                        name: q.clone(),
                        allowed: names.join(", "),
                    });
                }
            }
            list.clone()
        }
        None => ["sex", "age_band", "age", "district", "facility"]
            .into_iter()
            .filter(|q| names.contains(q))
            .map(str::to_string)
            .collect(),
    };
    deid::check_k_anonymity(
        &quasi,
        rows.iter().map(|r| {
            (
                r["client_id"].clone().unwrap_or_default(),
                quasi
                    .iter()
                    .map(|q| r.get(q.as_str()).cloned().flatten().unwrap_or_default())
                    .collect(),
            )
        }),
        deid.k,
    )?;
    if deid.k > 1 {
        notes.push(format!(
            "k-anonymity: every combination of {} is shared by at least {} clients.",
            quasi.join(", "),
            deid.k
        ));
    }

    let clients_seen: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r["client_id"].as_deref())
        .collect();
    let clients = clients_seen.len();
    let table: Vec<Vec<Option<String>>> = rows
        .iter()
        .map(|r| {
            variables
                .iter()
                .map(|v| r.get(v.name.as_str()).cloned().flatten())
                .collect()
        })
        .collect();
    Ok(Dataset {
        name: format!("{}_{}s", source.programme.code, options.unit.as_str()),
        unit: options.unit,
        programme: source.programme.code.clone(),
        instrument,
        variables,
        rows: table,
        clients,
        deid: deid.clone(),
        quasi_identifiers: quasi,
        notes,
    })
}
