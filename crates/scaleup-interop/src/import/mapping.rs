//! The mapping file of a tabular import (ODK Central and KoboToolbox submission CSVs, REDCap's
//! flat record export): which records each row becomes and where each field comes from.
//!
//! ```toml
//! source = "odk"                 # odk | kobo | redcap: decides the default meta columns
//! dataset = "phq9_screening"     # the form id or project: part of every record id
//!
//! [[records]]
//! kind = "client"
//! key = "client/{client_code}"   # the record's stable key; its UUID is derived from it
//! [records.fields]
//! programme_id = { programme = "ke-pmplus" }
//! facility_id = { facility = "facility" }          # a column holding facility codes
//! registered_on = { column = "SubmissionDate", type = "date" }
//! sex = { column = "sex", codes = { "1" = "male", "2" = "female" } }
//! birth_year = { column = "birth_year", type = "integer" }
//!
//! [[records]]
//! kind = "assessment"            # no key: the submission's instance id and the kind
//! [records.fields]
//! client_id = { record = "client/{client_code}" }  # the id of another record, by its key
//! instrument = { value = "phq9" }
//! occasion = { value = "screening" }
//! administered_on = { column = "visit_date", type = "date" }
//! [records.responses]            # item id = column
//! "1" = "phq1"
//! ```
//!
//! A mapping is checked against the file's header before any row is read ([`Mapping::compile`]),
//! so a misspelt column stops the import with the column named. Each row then becomes all of
//! its records or none ([`Compiled::apply`]): every record is built and checked with the record
//! kind's own rules (`parse_payload`, future dates) and the row is refused with every reason if
//! any record fails, each reason naming the row and the column it came from.

use super::table::{Row, RowSource, Table};
use super::{ImportError, ImportedRecord, Location, Targets, Unit, date_part, normalise_time};
use scaleup_domain::date::Date;
use scaleup_domain::record::{RecordKind, parse_payload};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;

/// Which system exported the file: decides the meta columns read by default.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// ODK Central: `meta-instanceID`, `SubmissionDate`, `SubmitterName`.
    Odk,
    /// KoboToolbox: `_uuid`, `_submission_time`, `_submitted_by`.
    Kobo,
    /// REDCap flat export: the first column (`record_id`), `redcap_event_name`,
    /// `redcap_repeat_instrument` and `redcap_repeat_instance` make the row's key.
    Redcap,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Odk => "odk",
            Source::Kobo => "kobo",
            Source::Redcap => "redcap",
        }
    }
}

/// The meta columns of a submission export, when they differ from the source's defaults.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// The submission's instance id: the idempotency key of its records.
    pub instance_id: Option<String>,
    /// When the submission reached the server (becomes each record's device time).
    pub submitted_at: Option<String>,
    /// Who submitted it (usable as `{ user = "..." }` through `[users]`).
    pub submitter: Option<String>,
}

/// The whole mapping file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub source: Source,
    /// A stable name of the source dataset (ODK form id, REDCap project): part of every
    /// record id, so two projects' `record_id` 1 never meet.
    pub dataset: String,
    #[serde(default)]
    pub meta: Meta,
    /// Names in the source (submitter names, counsellor codes) → scaleup usernames.
    #[serde(default)]
    pub users: BTreeMap<String, String>,
    /// The records each row of the main file may become (none when only its repeat groups
    /// hold records).
    #[serde(default)]
    pub records: Vec<RecordTemplate>,
    /// Repeat groups: each read from its own CSV of an ODK Central export (joined to its
    /// submission, or to the row of the group it is `nested_in`, by `PARENT_KEY`) or its own
    /// sheet of KoboToolbox's XLSX export (joined by `_parent_index`): see [`Join`],
    /// [`Parents`], [`RepeatRows`], [`read_export`].
    #[serde(default)]
    pub repeats: Vec<Repeat>,
}

/// One repeat group of an export. ODK Central writes a group's rows to a file of its own
/// (`<form>-<group>.csv`, nested groups too) with `PARENT_KEY`, the `KEY` of the submission or
/// of the enclosing repeat's row the row belongs to, and `KEY`, the row's own
/// (`uuid:...​/<group>[n]`, `uuid:...​/<outer>[n]/<group>[m]` when nested), which is the instance
/// key of the records it becomes. KoboToolbox's XLSX export writes them to a sheet named after
/// the group, with `_parent_table_name` and `_parent_index` (the `_index` of the row, on the
/// submissions' sheet or the enclosing repeat's, they belong to) and `_index`. A repeat row's
/// records read its own columns and the submission's `parent_columns` as `parent.<column>` (and
/// the submission's time is each record's device time), whatever the depth: a nested row's
/// submission is found through the rows it is nested in. See [`Join`].
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    /// The group's name, as the export's file name and `--repeat GROUP=FILE` give it.
    pub group: String,
    /// The `[[repeats]]` group this one is nested in (a repeat inside that repeat); none for a
    /// repeat of the submission itself. Kept with where it stands in the mapping file, so a
    /// reference the mapping cannot resolve is reported at its line.
    #[serde(default)]
    pub nested_in: Option<toml::Spanned<String>>,
    /// Columns of the main file kept for each submission, so its repeat rows (and the rows
    /// nested in them) can read them.
    #[serde(default)]
    pub parent_columns: Vec<String>,
    /// The records each row becomes; none for a group read only because others are nested in
    /// it.
    #[serde(default)]
    pub records: Vec<RecordTemplate>,
}

impl Repeat {
    /// The group this one is nested in, if any.
    pub fn nested_in(&self) -> Option<&str> {
        self.nested_in.as_ref().map(|p| p.get_ref().as_str())
    }
}

/// One record each row may become.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordTemplate {
    pub kind: String,
    /// The stable key (`{column}` placeholders; `{_instance}` is the row's instance key).
    /// Default: the instance key and the template's kind and position.
    pub key: Option<String>,
    /// Only rows where this holds become this record.
    pub when: Option<When>,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSource>,
    /// Assessment item id → column; an empty cell is an unanswered item.
    #[serde(default)]
    pub responses: BTreeMap<String, String>,
    /// Source answer codes → item response codes, for every response column (e.g. ODK choice
    /// names `not_at_all` → 0).
    #[serde(default)]
    pub response_codes: BTreeMap<String, f64>,
}

/// A condition on one column: non-empty, or equal to one of the listed values.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    pub column: String,
    #[serde(default)]
    pub equals: Vec<String>,
}

/// The type a column's text is read as.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    #[default]
    Text,
    Integer,
    Number,
    Boolean,
    Date,
    /// Space-separated codes (an XLSForm select_multiple).
    List,
}

/// Where one field's value comes from: exactly one of the source keys.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSource {
    /// A column's text, read as `type` after `codes`.
    pub column: Option<String>,
    /// A constant.
    pub value: Option<toml::Value>,
    /// The id of another record, by its key template.
    pub record: Option<String>,
    /// A programme, by code.
    pub programme: Option<String>,
    /// A column holding facility codes (after `codes`).
    pub facility: Option<String>,
    /// A column holding usernames (after `[users]`).
    pub user: Option<String>,
    /// REDCap checkbox: the codes whose `<name>___<code>` column holds 1 (after `codes`).
    pub checkbox: Option<String>,
    #[serde(rename = "type", default)]
    pub ty: ValueType,
    /// Source code → scaleup code; a value not listed rejects the row.
    #[serde(default)]
    pub codes: BTreeMap<String, String>,
}

/// A key template split into text and column references.
#[derive(Clone, Debug)]
struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug)]
enum Part {
    Text(String),
    Column(usize, String),
    Instance,
}

#[derive(Clone, Debug)]
enum Compiled1 {
    Column {
        index: usize,
        name: String,
        ty: ValueType,
        codes: BTreeMap<String, String>,
    },
    Const(Value),
    Record(Template),
    Facility {
        index: usize,
        name: String,
        codes: BTreeMap<String, String>,
    },
    User {
        index: usize,
        name: String,
    },
    Checkbox {
        columns: Vec<(usize, String, String)>,
        codes: BTreeMap<String, String>,
    },
}

#[derive(Clone, Debug)]
struct CompiledTemplate {
    kind: RecordKind,
    key: Template,
    when: Option<(usize, Vec<String>)>,
    fields: Vec<(String, Compiled1)>,
    responses: Vec<(String, usize, String)>,
    response_codes: BTreeMap<String, f64>,
}

/// A mapping checked against one file's header, ready to apply to its rows.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// Where the rows are: the file, and the sheet of a workbook.
    at: Location,
    source: String,
    instance: Vec<(usize, String)>,
    submitted_at: Option<(usize, String)>,
    users: BTreeMap<String, String>,
    targets: Targets,
    templates: Vec<CompiledTemplate>,
}

fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => json!(s),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => json!(b),
        toml::Value::Datetime(d) => json!(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

impl Mapping {
    /// The names of the repeat groups, comma-separated, for messages.
    pub fn repeat_group_names(&self) -> String {
        self.repeats
            .iter()
            .map(|r| r.group.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A repeat group the mapping reads that `given` does not supply, if any: every group needs
    /// its file before anything is read.
    pub fn repeat_without_file(&self, given: impl Fn(&str) -> bool) -> Option<&str> {
        self.repeats
            .iter()
            .map(|r| r.group.as_str())
            .find(|g| !given(g))
    }

    /// The repeat group an ODK Central repeat CSV belongs to, from the name Central gives it
    /// (`<form>-<group>.csv`): the group that ends the file's name (the longest, as group names
    /// may end one another).
    pub fn repeat_group_of_file(&self, file_name: &str) -> Option<&str> {
        let stem = file_name.strip_suffix(".csv").unwrap_or(file_name);
        self.repeats
            .iter()
            .map(|r| r.group.as_str())
            .filter(|g| stem == *g || stem.ends_with(&format!("-{g}")))
            .max_by_key(|g| g.len())
    }

    /// The repeat groups in the order their rows are read: a group after the group it is
    /// nested in (so its rows' parents are known when they are joined), otherwise as the
    /// mapping lists them.
    pub fn repeats_in_order(&self) -> Vec<&Repeat> {
        let depth = |r: &Repeat| {
            let mut n = 0;
            let mut at = r.nested_in();
            // Bounded: a mapping read by `from_toml` has no circle, and one built by hand stops.
            while let Some(p) = at
                && n < self.repeats.len()
            {
                n += 1;
                at = self
                    .repeats
                    .iter()
                    .find(|r| r.group == p)
                    .and_then(Repeat::nested_in);
            }
            n
        };
        let mut order: Vec<&Repeat> = self.repeats.iter().collect();
        order.sort_by_key(|r| depth(r));
        order
    }

    /// Whether another `[[repeats]]` group is nested in `group`.
    fn frames(&self, group: &str) -> bool {
        self.repeats.iter().any(|r| r.nested_in() == Some(group))
    }

    /// Checks the `[[repeats]]` entries against one another before any file is read: one entry
    /// per group, each `nested_in` naming another entry's group, no circle of groups nested in
    /// one another, and records in every group no other is nested in. The error names the
    /// mapping file, the entry and (for `nested_in`) its line.
    fn check_repeats(&self, file: &str, text: &str) -> Result<(), ImportError> {
        let line = |span: std::ops::Range<usize>| {
            text.as_bytes()[..span.start.min(text.len())]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64
                + 1
        };
        let entry = |n: usize, r: &Repeat| format!("mapping: repeats[{n}] (group {})", r.group);
        for (n, r) in self.repeats.iter().enumerate() {
            let at = Location::file(file);
            if let Some(first) = self.repeats[..n].iter().position(|o| o.group == r.group) {
                return Err(at.error(format!(
                    "{}: repeats[{first}] reads this group already; give each group one [[repeats]] entry",
                    entry(n, r)
                )));
            }
            if let Some(spanned) = &r.nested_in {
                let at = at.row(line(spanned.span()));
                let parent = spanned.get_ref();
                if *parent == r.group {
                    return Err(
                        at.error(format!("{}: nested_in names the group itself", entry(n, r)))
                    );
                }
                if !self.repeats.iter().any(|o| o.group == *parent) {
                    return Err(at.error(format!(
                        "{}: nested_in = \"{parent}\" names no [[repeats]] group of the mapping (it has: {}); a repeat of the submission itself has no nested_in",
                        entry(n, r),
                        self.repeat_group_names()
                    )));
                }
                // Up the chain of groups: it must end at a repeat of the submission.
                let mut chain = vec![r.group.as_str()];
                let mut up = Some(parent.as_str());
                while let Some(g) = up {
                    if chain.contains(&g) {
                        chain.push(g);
                        return Err(at.error(format!(
                            "{}: its groups are nested in one another in a circle ({}); the chain of nested_in must end at a repeat of the submission",
                            entry(n, r),
                            chain.join(" → ")
                        )));
                    }
                    chain.push(g);
                    up = self
                        .repeats
                        .iter()
                        .find(|o| o.group == g)
                        .and_then(Repeat::nested_in);
                }
            }
            if r.records.is_empty() && !self.frames(&r.group) {
                return Err(at.error(format!(
                    "{}: no [[repeats.records]], and no group is nested in it",
                    entry(n, r)
                )));
            }
        }
        Ok(())
    }

    /// Parses a mapping file; the error names the line and key (never a value).
    pub fn from_toml(file: &str, text: &str) -> Result<Mapping, ImportError> {
        let mapping: Mapping = Mapping::parse_toml(file, text)?;
        mapping.check_repeats(file, text)?;
        Ok(mapping)
    }

    fn parse_toml(file: &str, text: &str) -> Result<Mapping, ImportError> {
        toml::from_str(text).map_err(|e| {
            let msg = e
                .message()
                .split('`')
                .next()
                .unwrap_or("invalid mapping")
                .trim()
                .to_string();
            let line = e.span().map(|s| {
                text.as_bytes()[..s.start.min(text.len())]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count() as u64
                    + 1
            });
            let mut at = Location::file(file);
            at.row = line;
            at.error(format!("{msg} (the mapping file)"))
        })
    }

    /// Checks the mapping against a file's header and the scaleup entities it names.
    pub fn compile(
        &self,
        file: &str,
        header: &[String],
        targets: &Targets,
    ) -> Result<Compiled, Vec<ImportError>> {
        self.compile_at(&Location::file(file), header, targets)
    }

    /// [`Mapping::compile`] for rows at `base` (a file, or a sheet of a workbook): every report
    /// of the compiled mapping names it.
    pub fn compile_at(
        &self,
        base: &Location,
        header: &[String],
        targets: &Targets,
    ) -> Result<Compiled, Vec<ImportError>> {
        let mut errors = Vec::new();
        let at = base.row(1);
        let col = |name: &str, errors: &mut Vec<ImportError>, what: &str| -> Option<usize> {
            let i = header.iter().position(|h| h == name);
            if i.is_none() {
                errors.push(at.column(name).error(format!(
                    "the mapping reads this column ({what}), which the file does not have"
                )));
            }
            i
        };
        let optional = |name: &str| header.iter().position(|h| h == name);
        // The row's instance key: the meta column, or REDCap's record, event and instance.
        let mut instance = Vec::new();
        match (&self.meta.instance_id, self.source) {
            (Some(c), _) => {
                if let Some(i) = col(c, &mut errors, "meta.instance_id") {
                    instance.push((i, c.clone()));
                }
            }
            (None, Source::Odk) => {
                for c in ["meta-instanceID", "KEY"] {
                    if let Some(i) = optional(c) {
                        instance.push((i, c.to_string()));
                        break;
                    }
                }
            }
            (None, Source::Kobo) => {
                for c in ["_uuid", "meta/instanceID", "meta-instanceID"] {
                    if let Some(i) = optional(c) {
                        instance.push((i, c.to_string()));
                        break;
                    }
                }
            }
            (None, Source::Redcap) => {
                if let Some(first) = header.first() {
                    instance.push((0, first.clone()));
                }
                for c in [
                    "redcap_event_name",
                    "redcap_repeat_instrument",
                    "redcap_repeat_instance",
                ] {
                    if let Some(i) = optional(c) {
                        instance.push((i, c.to_string()));
                    }
                }
            }
        }
        let submitted_at = match (&self.meta.submitted_at, self.source) {
            (Some(c), _) => col(c, &mut errors, "meta.submitted_at").map(|i| (i, c.clone())),
            (None, Source::Odk) => optional("SubmissionDate").map(|i| (i, "SubmissionDate".into())),
            (None, Source::Kobo) => {
                optional("_submission_time").map(|i| (i, "_submission_time".into()))
            }
            (None, Source::Redcap) => None,
        };
        if let Some(c) = &self.meta.submitter {
            col(c, &mut errors, "meta.submitter");
        }
        if self.dataset.trim().is_empty() {
            errors.push(base.clone().error("mapping: dataset must not be empty"));
        }
        if self.records.is_empty() && self.repeats.is_empty() {
            errors.push(base.clone().error("mapping: no [[records]]"));
        }
        if !self.repeats.is_empty() && self.source == Source::Redcap {
            errors.push(base.clone().error(
                "mapping: [[repeats]] are read from ODK Central's exports and KoboToolbox's XLSX export (source = \"odk\" or \"kobo\")",
            ));
        }
        let template = |text: &str, errors: &mut Vec<ImportError>, what: &str| -> Template {
            let mut parts = Vec::new();
            let mut rest = text;
            while let Some(open) = rest.find('{') {
                if open > 0 {
                    parts.push(Part::Text(rest[..open].to_string()));
                }
                let Some(close) = rest[open..].find('}') else {
                    errors.push(
                        base.clone()
                            .error(format!("mapping: {what}: a `{{` without its `}}`")),
                    );
                    return Template { parts };
                };
                let name = &rest[open + 1..open + close];
                if name == "_instance" {
                    if instance.is_empty() {
                        errors.push(at.error(format!(
                            "mapping: {what} uses {{_instance}}, but the file has no instance id column; set meta.instance_id"
                        )));
                    }
                    parts.push(Part::Instance);
                } else if name == "_parent_instance" {
                    match header.iter().position(|h| h == PARENT_INSTANCE) {
                        Some(i) => parts.push(Part::Column(i, name.to_string())),
                        None => errors.push(at.error(format!(
                            "mapping: {what} uses {{_parent_instance}}, which only the records of a [[repeats]] group have (the instance key of the submission or row their row belongs to)"
                        ))),
                    }
                } else if let Some(i) = col(name, errors, what) {
                    parts.push(Part::Column(i, name.to_string()));
                }
                rest = &rest[open + close + 1..];
            }
            if !rest.is_empty() {
                parts.push(Part::Text(rest.to_string()));
            }
            Template { parts }
        };
        let mut templates = Vec::new();
        for (n, t) in self.records.iter().enumerate() {
            let what = format!("records[{n}]");
            let Some(kind) = RecordKind::parse(&t.kind) else {
                errors.push(base.clone().error(format!(
                    "mapping: {what}.kind: {}",
                    scaleup_domain::error::one_of(&RecordKind::ALL.map(|k| k.as_str()))
                )));
                continue;
            };
            let key = match &t.key {
                Some(k) => template(k, &mut errors, &format!("{what}.key")),
                None => {
                    if instance.is_empty() {
                        errors.push(at.error(format!(
                            "mapping: {what} has no key and the file has no instance id column; give a key or meta.instance_id"
                        )));
                    }
                    Template {
                        parts: vec![
                            Part::Instance,
                            Part::Text(format!("#{}#{}", kind.as_str(), n)),
                        ],
                    }
                }
            };
            let when = t.when.as_ref().and_then(|w| {
                col(&w.column, &mut errors, &format!("{what}.when")).map(|i| (i, w.equals.clone()))
            });
            let mut fields = Vec::new();
            for (name, f) in &t.fields {
                let fw = format!("{what}.fields.{name}");
                let given = [
                    f.column.is_some(),
                    f.value.is_some(),
                    f.record.is_some(),
                    f.programme.is_some(),
                    f.facility.is_some(),
                    f.user.is_some(),
                    f.checkbox.is_some(),
                ]
                .iter()
                .filter(|b| **b)
                .count();
                if given != 1 {
                    errors.push(base.clone().error(format!(
                        "mapping: {fw}: give exactly one of column, value, record, programme, facility, user, checkbox"
                    )));
                    continue;
                }
                let c = if let Some(c) = &f.column {
                    col(c, &mut errors, &fw).map(|index| Compiled1::Column {
                        index,
                        name: c.clone(),
                        ty: f.ty,
                        codes: f.codes.clone(),
                    })
                } else if let Some(v) = &f.value {
                    Some(Compiled1::Const(toml_to_json(v)))
                } else if let Some(r) = &f.record {
                    Some(Compiled1::Record(template(r, &mut errors, &fw)))
                } else if let Some(p) = &f.programme {
                    match targets.programmes.get(p) {
                        Some(id) => Some(Compiled1::Const(json!(id.to_string()))),
                        None => {
                            errors.push(base.clone().error(format!(
                                "mapping: {fw}: there is no programme with this code that you may write to"
                            )));
                            None
                        }
                    }
                } else if let Some(c) = &f.facility {
                    col(c, &mut errors, &fw).map(|index| Compiled1::Facility {
                        index,
                        name: c.clone(),
                        codes: f.codes.clone(),
                    })
                } else if let Some(c) = &f.user {
                    col(c, &mut errors, &fw).map(|index| Compiled1::User {
                        index,
                        name: c.clone(),
                    })
                } else if let Some(base) = &f.checkbox {
                    let prefix = format!("{base}___");
                    let columns: Vec<(usize, String, String)> = header
                        .iter()
                        .enumerate()
                        .filter_map(|(i, h)| {
                            h.strip_prefix(&prefix)
                                .map(|code| (i, h.clone(), code.to_string()))
                        })
                        .collect();
                    if columns.is_empty() {
                        errors.push(at.column(&prefix).error(format!(
                            "the mapping reads checkbox columns ({fw}), and the file has none"
                        )));
                    }
                    Some(Compiled1::Checkbox {
                        columns,
                        codes: f.codes.clone(),
                    })
                } else {
                    None
                };
                if let Some(c) = c {
                    fields.push((name.clone(), c));
                }
            }
            let mut responses = Vec::new();
            for (item, c) in &t.responses {
                if let Some(i) = col(c, &mut errors, &format!("{what}.responses.{item}")) {
                    responses.push((item.clone(), i, c.clone()));
                }
            }
            if !responses.is_empty() && kind != RecordKind::Assessment {
                errors.push(base.clone().error(format!(
                    "mapping: {what}: responses belong to assessments only"
                )));
            }
            templates.push(CompiledTemplate {
                kind,
                key,
                when,
                fields,
                responses,
                response_codes: t.response_codes.clone(),
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Compiled {
            at: base.clone(),
            source: format!("{}:{}", self.source.as_str(), self.dataset.trim()),
            instance,
            submitted_at,
            users: self.users.clone(),
            targets: targets.clone(),
            templates,
        })
    }
}

impl Compiled {
    fn render(&self, t: &Template, row: &Row, at: &Location) -> Result<String, ImportError> {
        let mut out = String::new();
        for p in &t.parts {
            match p {
                Part::Text(s) => out.push_str(s),
                Part::Column(i, name) => {
                    let v = cell(row, *i).trim();
                    if v.is_empty() {
                        return Err(at
                            .column(name)
                            .error("empty, and a record key is made from it"));
                    }
                    out.push_str(v);
                }
                Part::Instance => {
                    let mut any = false;
                    for (n, (i, _)) in self.instance.iter().enumerate() {
                        let v = cell(row, *i).trim();
                        any |= !v.is_empty();
                        if n > 0 {
                            out.push('|');
                        }
                        out.push_str(v);
                    }
                    if !any
                        || cell(row, self.instance.first().map_or(usize::MAX, |c| c.0))
                            .trim()
                            .is_empty()
                    {
                        return Err(at
                            .column(&self.instance[0].1)
                            .error("empty, and it is the submission's instance id"));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The record id a key names, as records' references and ids use it.
    pub fn record_id(&self, key: &str) -> uuid::Uuid {
        super::record_uuid(&self.source, key)
    }

    fn convert(
        &self,
        text: &str,
        ty: ValueType,
        codes: &BTreeMap<String, String>,
        at: &Location,
    ) -> Result<Option<Value>, ImportError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let code = |t: &str| -> Result<String, ImportError> {
            if codes.is_empty() {
                Ok(t.to_string())
            } else {
                codes.get(t).cloned().ok_or_else(|| {
                    at.error("a value the mapping's codes for this column do not list")
                })
            }
        };
        if ty == ValueType::List {
            let items: Result<Vec<Value>, ImportError> = text
                .split_whitespace()
                .map(|t| code(t).map(Value::String))
                .collect();
            return Ok(Some(Value::Array(items?)));
        }
        let t = code(text)?;
        Ok(Some(match ty {
            ValueType::Text | ValueType::List => Value::String(t),
            ValueType::Integer => json!(
                t.parse::<i64>()
                    .map_err(|_| at.error("must be a whole number"))?
            ),
            ValueType::Number => {
                let n = t
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| at.error("must be a number"))?;
                json!(n)
            }
            ValueType::Boolean => match t.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "y" => json!(true),
                "0" | "false" | "no" | "n" => json!(false),
                _ => return Err(at.error("must be yes/no, true/false or 1/0")),
            },
            ValueType::Date => {
                json!(date_part(&t).ok_or_else(|| at.error("must be a date (YYYY-MM-DD)"))?)
            }
        }))
    }

    /// Builds every record of one row, or says why the row cannot be imported. `today` bounds
    /// dates (nothing after today plus a day); `now` is the device time of rows without a
    /// submission time.
    pub fn apply(&self, row: &Row, today: Date, now: &str) -> Unit {
        let at = self.at.row(row.row);
        let mut errors = Vec::new();
        let mut records = Vec::new();
        let device_time = match &self.submitted_at {
            Some((i, name)) if !cell(row, *i).trim().is_empty() => {
                match normalise_time(cell(row, *i)) {
                    Some(t) => t,
                    None => {
                        errors.push(at.column(name).error("must be a date-time (RFC 3339)"));
                        now.to_string()
                    }
                }
            }
            _ => now.to_string(),
        };
        for t in &self.templates {
            if let Some((i, equals)) = &t.when {
                let v = cell(row, *i).trim();
                let holds = if equals.is_empty() {
                    !v.is_empty()
                } else {
                    equals.iter().any(|e| e == v)
                };
                if !holds {
                    continue;
                }
            }
            let key = match self.render(&t.key, row, &at) {
                Ok(k) => k,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let mut data = Map::new();
            let errors_before = errors.len();
            // Field name → the column it came from, to point a record-level error at a cell.
            let mut origin: BTreeMap<String, String> = BTreeMap::new();
            for (name, source) in &t.fields {
                let value = match source {
                    Compiled1::Column {
                        index,
                        name: c,
                        ty,
                        codes,
                    } => {
                        origin.insert(name.clone(), c.clone());
                        self.convert(cell(row, *index), *ty, codes, &at.column(c))
                    }
                    Compiled1::Const(v) => Ok(Some(v.clone())),
                    Compiled1::Record(tpl) => self
                        .render(tpl, row, &at)
                        .map(|k| Some(json!(self.record_id(&k).to_string()))),
                    Compiled1::Facility {
                        index,
                        name: c,
                        codes,
                    } => {
                        origin.insert(name.clone(), c.clone());
                        let loc = at.column(c);
                        self.convert(cell(row, *index), ValueType::Text, codes, &loc)
                            .and_then(|v| match v {
                                None => Ok(None),
                                Some(Value::String(code)) => self
                                    .targets
                                    .facilities
                                    .get(&code)
                                    .map(|id| Some(json!(id.to_string())))
                                    .ok_or_else(|| {
                                        loc.error("not the code of a facility of the hub")
                                    }),
                                Some(_) => Ok(None),
                            })
                    }
                    Compiled1::User { index, name: c } => {
                        origin.insert(name.clone(), c.clone());
                        let loc = at.column(c);
                        let v = cell(row, *index).trim();
                        if v.is_empty() {
                            Ok(None)
                        } else {
                            let username = self.users.get(v).map(String::as_str).unwrap_or(v);
                            self.targets
                                .users
                                .get(username)
                                .map(|id| Some(json!(id.to_string())))
                                .ok_or_else(|| {
                                    loc.error(
                                        "names nobody with an account (see [users] in the mapping)",
                                    )
                                })
                        }
                    }
                    Compiled1::Checkbox { columns, codes } => {
                        let mut out = Vec::new();
                        let mut bad = None;
                        for (i, c, code) in columns {
                            match cell(row, *i).trim() {
                                "1" => {
                                    let code = if codes.is_empty() {
                                        Some(code.clone())
                                    } else {
                                        codes.get(code).cloned()
                                    };
                                    match code {
                                        Some(code) => out.push(Value::String(code)),
                                        None => {
                                            bad = Some(at.column(c).error(
                                                "a checkbox choice the mapping's codes do not list",
                                            ))
                                        }
                                    }
                                }
                                "0" | "" => {}
                                _ => {
                                    bad = Some(at.column(c).error("a checkbox column holds 0 or 1"))
                                }
                            }
                        }
                        match bad {
                            Some(e) => Err(e),
                            None => Ok(Some(Value::Array(out))),
                        }
                    }
                };
                match value {
                    Ok(Some(v)) => {
                        data.insert(name.clone(), v);
                    }
                    Ok(None) => {}
                    Err(e) => errors.push(e),
                }
            }
            if t.kind == RecordKind::Assessment && !t.responses.is_empty() {
                let mut responses = Map::new();
                for (item, i, c) in &t.responses {
                    origin.insert(format!("responses.{item}"), c.clone());
                    let text = cell(row, *i).trim();
                    let v = if text.is_empty() {
                        Value::Null
                    } else if let Some(n) = t.response_codes.get(text) {
                        json!(n)
                    } else {
                        match text.parse::<f64>().ok().filter(|n| n.is_finite()) {
                            Some(n) => json!(n),
                            None => {
                                errors.push(at.column(c).error(
                                    "must be a number (or a code listed in response_codes)",
                                ));
                                continue;
                            }
                        }
                    };
                    responses.insert(item.clone(), v);
                }
                data.insert("responses".into(), Value::Object(responses));
            }
            if errors.len() > errors_before {
                // The record's own rules would only repeat what the cells already said.
                continue;
            }
            let data = Value::Object(data);
            let checked = parse_payload(t.kind, &data).and_then(|p| p.check_dates(today));
            if let Err(e) = checked {
                let field = e.field.strip_prefix("data.").unwrap_or(&e.field);
                let column = origin.get(field).or_else(|| {
                    // `responses.3.x` or a nested path: the longest known prefix.
                    origin
                        .iter()
                        .filter(|(k, _)| field.starts_with(k.as_str()))
                        .max_by_key(|(k, _)| k.len())
                        .map(|(_, c)| c)
                });
                let loc = match column {
                    Some(c) => at.column(c),
                    None => at.clone(),
                };
                errors.push(loc.error(format!(
                    "{} record: {}: {}",
                    t.kind.as_str(),
                    e.field,
                    e.message
                )));
                continue;
            }
            records.push(ImportedRecord {
                kind: t.kind,
                id: self.record_id(&key),
                device_time: device_time.clone(),
                data,
            });
        }
        Unit {
            location: at,
            outcome: if errors.is_empty() {
                Ok(records)
            } else {
                Err(errors)
            },
        }
    }
}

/// A cell of a row; a row shorter than the header (only possible for rows built by hand: the
/// reader refuses them) reads as empty.
fn cell(row: &Row, i: usize) -> &str {
    row.cells.get(i).map(String::as_str).unwrap_or("")
}

/// How an export ties a repeat group's rows to the rows they belong to: the two exports scaleup
/// reads differ only in the columns that carry the keys, so one joining reader serves both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Join {
    /// ODK Central's CSVs: the submission's `KEY` (else `meta-instanceID`); a repeat row's
    /// `PARENT_KEY` names the submission's `KEY`, or the `KEY` of the enclosing repeat's row
    /// when the group is nested, and the row's own `KEY` is its instance key.
    Central,
    /// KoboToolbox's XLSX export: a row's `_index` (its row number on its sheet); a repeat row's
    /// `_parent_index` names the `_index` of the row it belongs to, on the submissions' sheet or
    /// the enclosing repeat's. A row's `_index` counts only within its sheet, so its instance key
    /// is its submission's `_uuid`, the group and that `_index` (`<_uuid>/<group>[<_index>]`, as
    /// Central writes its `KEY`s; the same form at any depth, the `_uuid` found through the rows
    /// it is nested in): stable across re-exports of the same submissions.
    Kobo,
}

impl Join {
    /// The submission's key columns on the main file, the first found is used.
    fn submission_keys(self) -> &'static [&'static str] {
        match self {
            Join::Central => &["KEY", "meta-instanceID"],
            Join::Kobo => &["_index"],
        }
    }

    /// The submission's time column, kept (when present) as each repeat record's device time.
    fn submission_time(self) -> &'static str {
        match self {
            Join::Central => "SubmissionDate",
            Join::Kobo => "_submission_time",
        }
    }

    /// The repeat row's column naming the row it belongs to.
    fn parent_key(self) -> &'static str {
        match self {
            Join::Central => "PARENT_KEY",
            Join::Kobo => "_parent_index",
        }
    }

    /// The repeat row's own key column.
    fn row_key(self) -> &'static str {
        match self {
            Join::Central => "KEY",
            Join::Kobo => "_index",
        }
    }

    /// What the export writes, for the message of a repeat file that lacks a key column.
    fn writes(self) -> &'static str {
        match self {
            Join::Central => "ODK Central writes PARENT_KEY and KEY in a repeat group's CSV",
            Join::Kobo => {
                "KoboToolbox writes _parent_index and _index on a repeat group's sheet (XML values and headers)"
            }
        }
    }
}

/// The Kobo submission's `_uuid`, kept for its repeat rows' instance keys.
const KOBO_UUID: &str = "_uuid";

/// The column a Kobo repeat row's instance key is computed into, after the kept parent cells.
/// `#` cannot begin an XML name, so no column of a Kobo export is called this.
const KOBO_ROW_INSTANCE: &str = "#instance";

/// The column a repeat row's `{_parent_instance}` is computed into: the instance key of the row
/// it belongs to (the submission's, or the enclosing repeat row's). `#` cannot begin an XML
/// name, so no column of an export is called this.
const PARENT_INSTANCE: &str = "#parent_instance";

/// A name read from an export (a repeat group in a Central key, a Kobo `_parent_table_name`)
/// as a report may show it: only when it is a plain name (letters, digits, `_-.:`), as the
/// names of XForm elements are; anything else is not echoed.
pub(crate) fn plain_name(name: &str) -> Option<&str> {
    let plain = !name.is_empty()
        && name.chars().count() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    plain.then_some(name)
}

/// The repeat group a Central `PARENT_KEY` names: Central writes the `KEY` of the enclosing
/// repeat's row (`<instance id>/.../<group>[n]`, its last step the group and the row's number)
/// for a nested group's rows, the bare instance id for a repeat of the submission
/// (getodk/central-backend `lib/data/briefcase.js`, `keyForStacks` and `repeatContextSlicer`;
/// its test `test/unit/data/briefcase.js`, "should handle nested repeats, with
/// PARENT_KEY/KEY"). `None`: the submission.
fn central_parent_group(parent_key: &str) -> Option<&str> {
    let (_, last) = parent_key.trim().rsplit_once('/')?;
    let inner = last.strip_suffix(']')?;
    let (name, n) = inner.rsplit_once('[')?;
    (!name.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(name)
}

/// A group's name as Central's keys write it: the file name Central gives two repeats of one
/// name ends `~1`, `~2` (in the form's order), which its keys do not carry.
fn central_key_name(group: &str) -> &str {
    match group.rsplit_once('~') {
        Some((name, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => group,
    }
}

/// A tabular export read row by row through a mapping: an iterator of [`Unit`]s, one per data
/// row (a row the reader refuses is a unit with its error). The rows come from a CSV
/// ([`Rows::new`]) or from any [`RowSource`] ([`Rows::from_source`]: a workbook's sheet).
pub struct Rows<S: RowSource> {
    table: S,
    compiled: Compiled,
    today: Date,
    now: String,
    /// The submissions' columns repeat rows read, kept as rows go by.
    parents: Option<(usize, Vec<usize>, Parents)>,
}

/// What the repeat rows of an export read of the rows they belong to, whatever their depth:
/// for each accepted submission, by its key (Central's `KEY`, Kobo's `_index`), the cells of the
/// mapping's `parent_columns` (and the submission's time; Kobo's `_uuid`); for each accepted row
/// of a group others are nested in, by its key (Central's `KEY`, Kobo's `_index`), the
/// submission it belongs to. Memory holds one key and these cells per submission and one key
/// per row of such a group, not the rows.
#[derive(Clone, Debug)]
pub struct Parents {
    join: Join,
    /// `parent.<column>` for each kept column, in order.
    names: Vec<String>,
    /// Submission key → its place in `kept`.
    submissions: HashMap<String, usize>,
    /// The kept cells of each submission.
    kept: Vec<Vec<String>>,
    /// For each group others are nested in (entered when its rows are about to be read): its
    /// accepted rows' keys → their submission's place in `kept`.
    rows: HashMap<String, HashMap<String, usize>>,
}

impl Default for Parents {
    fn default() -> Self {
        Parents {
            join: Join::Central,
            names: Vec::new(),
            submissions: HashMap::new(),
            kept: Vec::new(),
            rows: HashMap::new(),
        }
    }
}

impl Parents {
    /// Submissions kept.
    pub fn len(&self) -> usize {
        self.submissions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.submissions.is_empty()
    }

    /// Rows of `group` kept for the groups nested in it.
    pub fn rows_of(&self, group: &str) -> usize {
        self.rows.get(group).map_or(0, HashMap::len)
    }

    /// The position of `parent.<column>` among the kept cells.
    fn kept(&self, column: &str) -> Option<usize> {
        self.names
            .iter()
            .position(|n| n.strip_prefix("parent.") == Some(column))
    }

    /// Keeps an accepted submission's cells under its key (a key seen again replaces them).
    fn keep_submission(&mut self, key: &str, cells: Vec<String>) {
        match self.submissions.get(key) {
            Some(&at) => self.kept[at] = cells,
            None => {
                self.submissions.insert(key.to_string(), self.kept.len());
                self.kept.push(cells);
            }
        }
    }
}

impl<R: Read> Rows<Table<R>> {
    /// Reads the header of a CSV and checks the mapping against it. A CSV's repeat groups are
    /// ODK Central's (KoboToolbox's CSV export cannot hold them).
    pub fn new(
        file: &str,
        input: R,
        mapping: &Mapping,
        targets: &Targets,
        today: Date,
        now: &str,
    ) -> Result<Rows<Table<R>>, Vec<ImportError>> {
        if mapping.source == Source::Kobo && !mapping.repeats.is_empty() {
            return Err(vec![Location::file(file).error(
                "the mapping has [[repeats]], and KoboToolbox's CSV export cannot hold repeat groups: give its XLSX export (XML values and headers)",
            )]);
        }
        let table = Table::new(file, input).map_err(|e| vec![e])?;
        Rows::from_source(table, Join::Central, mapping, targets, today, now)
    }
}

impl<S: RowSource> Rows<S> {
    /// Checks the mapping against the rows' header; `join` says which columns key the
    /// submissions for the mapping's repeat groups.
    pub fn from_source(
        table: S,
        join: Join,
        mapping: &Mapping,
        targets: &Targets,
        today: Date,
        now: &str,
    ) -> Result<Rows<S>, Vec<ImportError>> {
        let compiled = mapping.compile_at(&table.location(), table.header(), targets)?;
        let mut rows = Rows {
            table,
            compiled,
            today,
            now: now.to_string(),
            parents: None,
        };
        if !mapping.repeats.is_empty() {
            rows.parents = Some(rows.parent_columns(join, mapping)?);
        }
        Ok(rows)
    }

    /// The main file's columns its repeat groups read: the submission's key, its time when
    /// present (Kobo: its `_uuid`) and every group's `parent_columns`.
    fn parent_columns(
        &self,
        join: Join,
        mapping: &Mapping,
    ) -> Result<(usize, Vec<usize>, Parents), Vec<ImportError>> {
        let header = self.table.header();
        let at = self.table.location().row(1);
        let find = |c: &str| header.iter().position(|h| h == c);
        let keys = join.submission_keys();
        let Some(key) = keys.iter().find_map(|c| find(c)) else {
            return Err(vec![at.column(keys[0]).error(
                "the mapping has [[repeats]], which are joined to their submission by this column, which the file does not have",
            )]);
        };
        let mut wanted: Vec<String> = Vec::new();
        if join == Join::Kobo {
            if find(KOBO_UUID).is_none() {
                return Err(vec![at.column(KOBO_UUID).error(
                    "the mapping has [[repeats]], whose rows are keyed by their submission's _uuid, which the sheet does not have",
                )]);
            }
            wanted.push(KOBO_UUID.into());
        }
        if find(join.submission_time()).is_some()
            && !wanted.iter().any(|w| w == join.submission_time())
        {
            wanted.push(join.submission_time().into());
        }
        for r in &mapping.repeats {
            for c in &r.parent_columns {
                if !wanted.contains(c) {
                    wanted.push(c.clone());
                }
            }
        }
        let mut errors = Vec::new();
        let mut indices = Vec::new();
        for c in &wanted {
            match find(c) {
                Some(i) => indices.push(i),
                None => errors.push(at.column(c).error(
                    "the mapping keeps this column for its repeat groups (parent_columns), which the file does not have",
                )),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let parents = Parents {
            join,
            names: wanted.iter().map(|c| format!("parent.{c}")).collect(),
            ..Parents::default()
        };
        Ok((key, indices, parents))
    }

    /// The submissions' kept columns, once every row has been read (empty without repeats).
    pub fn into_parents(self) -> Parents {
        self.parents.map(|(_, _, p)| p).unwrap_or_default()
    }

    pub fn compiled(&self) -> &Compiled {
        &self.compiled
    }
}

impl<S: RowSource> Iterator for Rows<S> {
    type Item = Unit;

    fn next(&mut self) -> Option<Unit> {
        Some(match self.table.next_row()? {
            Ok(row) => {
                let unit = self.compiled.apply(&row, self.today, &self.now);
                // Only a submission whose own records were all accepted by the reader has
                // repeat rows: the rows of one refused whole are refused with it.
                if let Some((key, indices, parents)) = &mut self.parents
                    && unit.outcome.is_ok()
                {
                    let k = cell(&row, *key).trim();
                    if !k.is_empty() {
                        let kept = indices.iter().map(|i| cell(&row, *i).to_string()).collect();
                        parents.keep_submission(k, kept);
                    }
                }
                unit
            }
            Err(e) => Unit {
                location: e.location.clone(),
                outcome: Err(vec![e]),
            },
        })
    }
}

/// The rows of one repeat group (a CSV of Central's, a sheet of Kobo's), each joined to the row
/// it belongs to (a submission, or a row of the group it is nested in) and through it to its
/// submission (see [`Repeat`], [`Join`]): its records, or why the row cannot be imported (a
/// parent key no accepted row has is named by its row and column). The rows of a group others
/// are nested in are kept by key in [`Parents`] as they are accepted, for those groups' rows.
pub struct RepeatRows<'p, S: RowSource> {
    table: S,
    compiled: Compiled,
    parents: &'p mut Parents,
    parent_key: usize,
    /// The row's own key (`KEY`, `_index`): Kobo's instance key, and the key the rows nested in
    /// this group name.
    row_key: usize,
    group: String,
    /// The group these rows belong to the rows of; `None`: the submissions'.
    nested_in: Option<String>,
    /// Whether another group is nested in this one, so its accepted rows' keys are kept.
    frames: bool,
    /// The first row, read ahead when the reader was made (see [`RepeatRows::from_source`]).
    first: Option<Result<Row, ImportError>>,
    today: Date,
    now: String,
}

impl<'p, R: Read> RepeatRows<'p, Table<R>> {
    /// Reads the header of the group's CSV and checks the group's records against it and the
    /// kept columns of the submissions.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        file: &str,
        input: R,
        mapping: &Mapping,
        group: &str,
        parents: &'p mut Parents,
        targets: &Targets,
        today: Date,
        now: &str,
    ) -> Result<RepeatRows<'p, Table<R>>, Vec<ImportError>> {
        if !mapping.repeats.iter().any(|r| r.group == group) {
            return Err(vec![Location::file(file).error(format!(
                "the mapping has no [[repeats]] group of this name (it has: {})",
                mapping.repeat_group_names()
            ))]);
        }
        let table = Table::new(file, input).map_err(|e| vec![e])?;
        RepeatRows::from_source(table, mapping, group, parents, targets, today, now)
    }
}

impl<'p, S: RowSource> RepeatRows<'p, S> {
    /// Checks the group's records against its rows' header and the kept columns of the
    /// submissions; the rows are joined as `parents` were kept ([`Join`]). A group nested in
    /// another is read after it (its rows are joined to that group's accepted rows:
    /// [`Mapping::repeats_in_order`]). For Central's CSVs the first row is read ahead: its
    /// `PARENT_KEY` says whose rows these are (a submission's, or a row of which repeat), and a
    /// group the mapping nests otherwise is refused before any of its rows is read.
    pub fn from_source(
        mut table: S,
        mapping: &Mapping,
        group: &str,
        parents: &'p mut Parents,
        targets: &Targets,
        today: Date,
        now: &str,
    ) -> Result<RepeatRows<'p, S>, Vec<ImportError>> {
        let base = table.location();
        let at = base.row(1);
        let Some(repeat) = mapping.repeats.iter().find(|r| r.group == group) else {
            return Err(vec![base.error(format!(
                "the mapping has no [[repeats]] group of this name (it has: {})",
                mapping.repeat_group_names()
            ))]);
        };
        let nested_in = repeat.nested_in().map(str::to_string);
        if let Some(p) = &nested_in
            && !parents.rows.contains_key(p)
        {
            // The readers' order, not the file's: every caller reads the groups in
            // `repeats_in_order`.
            return Err(vec![base.error(format!(
                "the rows of {p}, which {group} is nested in, must be read before {group}'s"
            ))]);
        }
        let join = parents.join;
        let header = table.header();
        let mut errors = Vec::new();
        for c in [join.parent_key(), join.row_key()] {
            if !header.iter().any(|h| h == c) {
                errors.push(at.column(c).error(format!(
                    "a repeat group's rows need this column ({})",
                    join.writes()
                )));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let position = |c: &str| header.iter().position(|h| h == c).unwrap_or(0);
        let parent_key = position(join.parent_key());
        let row_key = position(join.row_key());
        let mut joined: Vec<String> = header.iter().chain(&parents.names).cloned().collect();
        let instance_id = match join {
            Join::Central => "KEY".to_string(),
            Join::Kobo => {
                joined.push(KOBO_ROW_INSTANCE.into());
                KOBO_ROW_INSTANCE.to_string()
            }
        };
        joined.push(PARENT_INSTANCE.into());
        let time = format!("parent.{}", join.submission_time());
        let sub = Mapping {
            source: mapping.source,
            dataset: mapping.dataset.clone(),
            meta: Meta {
                instance_id: Some(instance_id),
                submitted_at: parents.names.contains(&time).then_some(time),
                submitter: None,
            },
            users: mapping.users.clone(),
            records: repeat.records.clone(),
            // The groups nested in this one: a group that only frames them has no records.
            repeats: mapping
                .repeats
                .iter()
                .filter(|r| r.nested_in() == Some(group))
                .cloned()
                .collect(),
        };
        let compiled = sub.compile_at(&base, &joined, targets)?;
        let first = table.next_row();
        if join == Join::Central
            && let Some(Ok(row)) = &first
        {
            let key = cell(row, parent_key);
            if !key.trim().is_empty() {
                let found = central_parent_group(key);
                if found != nested_in.as_deref().map(central_key_name) {
                    let here = base.row(row.row).column(join.parent_key());
                    return Err(vec![here.error(nesting_mismatch(
                        group,
                        nested_in.as_deref(),
                        found.map(plain_name),
                        "their PARENT_KEY",
                    ))]);
                }
            }
        }
        let frames = mapping.frames(group);
        if frames {
            parents.rows.entry(group.to_string()).or_default();
        }
        Ok(RepeatRows {
            table,
            compiled,
            parents,
            parent_key,
            row_key,
            group: group.to_string(),
            nested_in,
            frames,
            first,
            today,
            now: now.to_string(),
        })
    }

    /// The row joined to its submission's kept cells (and, for Kobo, its instance key; its
    /// parent's instance key), or why it cannot be: the submission the row belongs to, found
    /// through the row of the group it is nested in when it is.
    fn join(&self, row: &mut Row) -> Result<usize, ImportError> {
        let join = self.parents.join;
        let at = self.table.location().row(row.row);
        let key = cell(row, self.parent_key).trim();
        let slot = match &self.nested_in {
            None => self.parents.submissions.get(key),
            Some(p) => self.parents.rows.get(p).and_then(|rows| rows.get(key)),
        };
        let Some(&slot) = slot else {
            let missing = match (join, &self.nested_in) {
                (Join::Central, None) => "no submission of the main file has this key (a row of another export, or of a submission refused whole)".to_string(),
                (Join::Kobo, None) => "no submission on the first sheet has this _index (a row of another export, or of a submission refused whole)".to_string(),
                (Join::Central, Some(p)) => format!(
                    "no row of {p} (the repeat group {} is nested in) has this key (a row of another export, or of a row of {p} refused whole)",
                    self.group
                ),
                (Join::Kobo, Some(p)) => format!(
                    "no row of {p} (the repeat group {} is nested in) has this _index on its sheet (a row of another export, or of a row of {p} refused whole)",
                    self.group
                ),
            };
            return Err(at.column(join.parent_key()).error(missing));
        };
        let kept = &self.parents.kept[slot];
        let (instance, parent_instance) = match join {
            Join::Central => (None, key.to_string()),
            Join::Kobo => {
                let index = cell(row, self.row_key).trim();
                if index.is_empty() {
                    return Err(at
                        .column(join.row_key())
                        .error("empty, and it is part of the row's instance key"));
                }
                let uuid = self
                    .parents
                    .kept(KOBO_UUID)
                    .and_then(|i| kept.get(i))
                    .map(|u| u.trim())
                    .unwrap_or("");
                if uuid.is_empty() {
                    return Err(at.column(join.parent_key()).error(
                        "the submission this row belongs to has an empty _uuid, and it is part of the row's instance key",
                    ));
                }
                // The enclosing row's instance key, as that row's own records have it.
                let parent = match &self.nested_in {
                    None => uuid.to_string(),
                    Some(p) => format!("{uuid}/{p}[{key}]"),
                };
                (Some(format!("{uuid}/{}[{index}]", self.group)), parent)
            }
        };
        row.cells.extend(kept.iter().cloned());
        row.cells.extend(instance);
        row.cells.push(parent_instance);
        Ok(slot)
    }
}

/// Why a group's rows cannot be read as the mapping nests it: they belong to the submissions or
/// to a row of another group (`found`: `None` the submissions, `Some(None)` a group whose name
/// is not shown), read from `whence`.
pub(crate) fn nesting_mismatch(
    group: &str,
    declared: Option<&str>,
    found: Option<Option<&str>>,
    whence: &str,
) -> String {
    let declared_text = match declared {
        None => format!("the mapping reads {group} as a repeat group of the submissions"),
        Some(p) => format!("the mapping reads {group} as nested in {p}"),
    };
    let found_text = match found {
        None => "to a submission".to_string(),
        Some(Some(q)) => format!("to a row of the repeat group {q}"),
        Some(None) => "to a row of another repeat group".to_string(),
    };
    let fix = match found {
        None => format!("remove nested_in from the [[repeats]] entry of {group}"),
        Some(Some(q)) => format!("set nested_in = \"{q}\" in the [[repeats]] entry of {group}"),
        Some(None) => format!("set nested_in in the [[repeats]] entry of {group}"),
    };
    format!("{declared_text}, but in this export its rows belong {found_text} ({whence}): {fix}")
}

impl<S: RowSource> Iterator for RepeatRows<'_, S> {
    type Item = Unit;

    fn next(&mut self) -> Option<Unit> {
        let next = match self.first.take() {
            Some(first) => first,
            None => self.table.next_row()?,
        };
        Some(match next {
            Ok(mut row) => {
                let own = cell(&row, self.row_key).trim().to_string();
                match self.join(&mut row) {
                    Ok(slot) => {
                        let unit = self.compiled.apply(&row, self.today, &self.now);
                        // Only a row whose records were all accepted has rows nested in it: the
                        // rows of one refused whole are refused with it, as a submission's are.
                        if self.frames
                            && unit.outcome.is_ok()
                            && !own.is_empty()
                            && let Some(rows) = self.parents.rows.get_mut(&self.group)
                        {
                            rows.insert(own, slot);
                        }
                        unit
                    }
                    Err(e) => Unit {
                        location: e.location.clone(),
                        outcome: Err(vec![e]),
                    },
                }
            }
            Err(e) => Unit {
                location: e.location.clone(),
                outcome: Err(vec![e]),
            },
        })
    }
}

/// Which reading of a table [`read_export`] asks an export for: the check of its header (and,
/// for a repeat group, its first row) before any record goes out, or its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    Check,
    Read,
}

/// The tables of one export, opened as often as [`read_export`] asks: the submissions' and
/// each of the mapping's repeat groups'. ODK Central's CSVs (given one by one or in its export
/// zip) and KoboToolbox's workbook each implement it.
pub trait Tables {
    /// How the groups' rows are joined to the rows they belong to.
    fn join(&self) -> Join;
    /// The submissions' rows, from the start.
    fn main(&mut self, pass: Pass) -> Result<Box<dyn RowSource + '_>, Vec<ImportError>>;
    /// The rows of one of the mapping's repeat groups, from the start.
    fn group(
        &mut self,
        group: &str,
        pass: Pass,
    ) -> Result<Box<dyn RowSource + '_>, Vec<ImportError>>;
}

/// Reads an export through a mapping, handing every unit (one per row) to `sink`, which returns
/// false to stop. Every table's header is checked against the mapping first (and each group's
/// first row against where the mapping nests it), so a table the mapping cannot read stops the
/// import before its first record. Then the submissions, then each repeat group after the
/// group it is nested in ([`Mapping::repeats_in_order`]), so a record never precedes what it
/// refers to; what is held between tables is [`Parents`].
pub fn read_export(
    tables: &mut dyn Tables,
    mapping: &Mapping,
    targets: &Targets,
    today: Date,
    now: &str,
    sink: &mut dyn FnMut(Unit) -> bool,
) -> Result<(), Vec<ImportError>> {
    let join = tables.join();
    let order = mapping.repeats_in_order();
    // The headers: the main table's gives the columns the groups read of their submissions
    // (no row is read, so no submission is kept yet).
    let mut header_only = {
        let main = tables.main(Pass::Check)?;
        Rows::from_source(main, join, mapping, targets, today, now)?.into_parents()
    };
    for r in &order {
        let rows = tables.group(&r.group, Pass::Check)?;
        RepeatRows::from_source(
            rows,
            mapping,
            &r.group,
            &mut header_only,
            targets,
            today,
            now,
        )?;
    }
    let mut parents = {
        let main = tables.main(Pass::Read)?;
        let mut rows = Rows::from_source(main, join, mapping, targets, today, now)?;
        for unit in rows.by_ref() {
            if !sink(unit) {
                return Ok(());
            }
        }
        rows.into_parents()
    };
    for r in &order {
        let source = tables.group(&r.group, Pass::Read)?;
        let rows =
            RepeatRows::from_source(source, mapping, &r.group, &mut parents, targets, today, now)?;
        for unit in rows {
            if !sink(unit) {
                return Ok(());
            }
        }
    }
    Ok(())
}
