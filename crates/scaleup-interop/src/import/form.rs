//! A questionnaire as XLSForm and REDCap describe one — questions, choice lists, labels per
//! language, `required`, `relevant`, `constraint` — and its translation into a scaleup
//! instrument definition.
//!
//! Reading ([`super::xlsform`], [`super::redcap`]) keeps everything the form says that scaleup
//! can read, and refuses at read time what no scaleup definition could hold (repeats,
//! geopoints, media, unknown expressions). [`Form::to_instrument`] is stricter: an instrument
//! item holds one scored whole-number answer, so a text, decimal, date or multiple-choice
//! question, skip logic (`relevant`), or a constraint other than a range is refused with the
//! sheet, row and column that hold it. What carries no answer (notes, calculations, groups,
//! metadata) is left out and listed in the result's `notes`, never dropped unsaid.

use super::expr::Expr;
use super::{ImportError, Location};
use scaleup_domain::instrument::{
    Citation, InstrumentDef, ItemDef, ItemTextDef, ItemTextsDef, Licence, LicenceStatus, Method,
    OptionDef, RangeDef, ScoringDef,
};
use std::collections::BTreeMap;

/// The question types scaleup reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuestionType {
    SelectOne,
    SelectMultiple,
    Integer,
    Decimal,
    Text,
    Date,
}

impl QuestionType {
    /// The XLSForm name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::SelectOne => "select_one",
            QuestionType::SelectMultiple => "select_multiple",
            QuestionType::Integer => "integer",
            QuestionType::Decimal => "decimal",
            QuestionType::Text => "text",
            QuestionType::Date => "date",
        }
    }
}

/// An expression with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub at: Location,
}

/// One question.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    /// The row, with the sheet.
    pub at: Location,
    /// The column that holds the type (`type` in XLSForm, `Field Type` in REDCap).
    pub type_column: String,
    pub name: String,
    pub kind: QuestionType,
    /// The choice list of a select question.
    pub list: Option<String>,
    /// Language key (`""` for an unnamed `label` column) → label.
    pub labels: BTreeMap<String, String>,
    pub required: bool,
    pub relevant: Option<Located<Expr>>,
    pub constraint: Option<Located<Expr>>,
    /// A numeric range stated outside an expression (REDCap's validation min and max).
    pub range: Option<Located<(i32, i32)>>,
}

/// One choice of a list.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub at: Location,
    /// The column that holds the name (`name` in XLSForm).
    pub name_column: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// A form as read.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub file: String,
    /// `form_id` (XLSForm settings) or the REDCap form name.
    pub id: Option<String>,
    pub title: Option<String>,
    pub version: Option<String>,
    /// The language key of the default language, as the label columns name it.
    pub default_language: Option<String>,
    /// Language keys in column order (`""` for an unnamed `label`).
    pub languages: Vec<String>,
    pub questions: Vec<Question>,
    pub choices: BTreeMap<String, Vec<Choice>>,
    /// What the reader left out because it carries no answer (a note, a group boundary),
    /// one sentence each.
    pub left_out: Vec<String>,
}

/// Choices of the translation that the form cannot tell.
#[derive(Clone, Debug)]
pub struct InstrumentOptions {
    /// The instrument code (default: the form id).
    pub code: Option<String>,
    pub licence: LicenceStatus,
    pub method: Method,
    /// Questions to leave out by name (a date or a free-text field beside the items); each is
    /// listed in the notes.
    pub leave_out: std::collections::BTreeSet<String>,
}

impl Default for InstrumentOptions {
    fn default() -> Self {
        InstrumentOptions {
            code: None,
            licence: LicenceStatus::Unknown,
            method: Method::Sum,
            leave_out: Default::default(),
        }
    }
}

/// The files of an imported instrument: the instrument and one item-text file per further
/// language, as TOML text ready for `scaleup definitions add`.
#[derive(Clone, Debug)]
pub struct InstrumentFiles {
    pub code: String,
    pub instrument: String,
    /// (language code, file text).
    pub item_texts: Vec<(String, String)>,
    /// What was left out or assumed, for the person importing.
    pub notes: Vec<String>,
}

/// The BCP 47 code in a language key `Name (code)`; `None` without one.
pub fn language_code(key: &str) -> Option<String> {
    let open = key.rfind('(')?;
    let code = key[open + 1..].strip_suffix(')')?.trim();
    let ok = !code.is_empty()
        && code.len() <= 16
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then(|| code.to_string())
}

fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Form {
    /// The form as an instrument definition, or every reason it cannot be one.
    pub fn to_instrument(
        &self,
        options: &InstrumentOptions,
    ) -> Result<InstrumentFiles, Vec<ImportError>> {
        let mut errors = Vec::new();
        let mut notes: Vec<String> = self.left_out.clone();
        let file_at = Location::file(&self.file);
        let code = options
            .code
            .clone()
            .or_else(|| {
                self.id
                    .as_ref()
                    .map(|s| s.to_ascii_lowercase().replace('-', "_"))
            })
            .unwrap_or_default();
        if !is_code(&code) {
            errors.push(file_at.clone().sheet("settings").column("form_id").error(
                "the instrument code (form_id, or --code) must be lower-case letters, digits or underscores",
            ));
        }
        let version = self.version.clone().unwrap_or_else(|| "1".into());
        let version_ok = !version.is_empty()
            && version.len() <= 32
            && version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !version_ok {
            errors.push(
                file_at
                    .clone()
                    .sheet("settings")
                    .column("version")
                    .error("the version must be letters, digits, `.`, `_` or `-` (at most 32)"),
            );
        }
        // Languages: the default's labels go into the instrument, the others into item texts.
        let default = self
            .default_language
            .clone()
            .filter(|d| self.languages.contains(d))
            .or_else(|| self.languages.iter().find(|l| l.is_empty()).cloned())
            .or_else(|| self.languages.first().cloned())
            .unwrap_or_default();
        let texts_allowed = options.licence.allows_item_text();
        if !texts_allowed {
            notes.push(
                "Item and option texts are left out: the licence is not stated as open or attribution (--licence)."
                    .into(),
            );
        }
        let mut others: Vec<(String, String)> = Vec::new();
        for key in &self.languages {
            if *key == default {
                continue;
            }
            match language_code(key) {
                Some(c) => others.push((key.clone(), c)),
                None => errors.push(
                    file_at
                        .clone()
                        .sheet("survey")
                        .row(1)
                        .column(&format!("label::{key}"))
                        .error(
                            "name the language with its code, as `Name (code)`, e.g. `French (fr)`",
                        ),
                ),
            }
        }
        let mut items = Vec::new();
        let mut texts: BTreeMap<String, Vec<ItemTextDef>> = BTreeMap::new();
        let (mut lo, mut hi) = (0i64, 0i64);
        let mut required = 0usize;
        for name in &options.leave_out {
            if !self.questions.iter().any(|q| q.name == *name) {
                errors.push(file_at.error(format!(
                    "--leave-out {name}: the form has no question of this name"
                )));
            }
        }
        for q in &self.questions {
            if options.leave_out.contains(&q.name) {
                notes.push(format!("{}: question {} left out on request", q.at, q.name));
                continue;
            }
            if let Some(r) = &q.relevant {
                errors.push(r.at.error(
                    "skip logic (relevant) cannot be represented: an instrument's items are all asked",
                ));
            }
            if !is_item_id(&q.name) {
                errors.push(
                    q.at.column("name")
                        .error("an item id must be letters, digits, `_`, `.` or `-` (at most 32)"),
                );
            }
            let label = q.labels.get(&default).cloned().unwrap_or_default();
            let (options_def, range_def, opt_labels): ItemShape = match q.kind {
                QuestionType::SelectOne => {
                    if let Some(c) = &q.constraint {
                        errors.push(
                            c.at.error(
                                "a constraint on a select_one question cannot be represented",
                            ),
                        );
                    }
                    let list = q.list.as_deref().unwrap_or("");
                    let Some(choices) = self.choices.get(list) else {
                        errors
                            .push(q.at.column(&q.type_column).error(
                                "the choice list this question names is not in the choices",
                            ));
                        continue;
                    };
                    let mut opts = Vec::new();
                    let mut labels = Vec::new();
                    for c in choices {
                        match c.name.trim().parse::<i32>() {
                            Ok(code) if code.abs() <= 10_000 => {
                                opts.push(OptionDef {
                                    code,
                                    label: if texts_allowed {
                                        c.labels.get(&default).cloned().unwrap_or_else(|| code.to_string())
                                    } else {
                                        code.to_string()
                                    },
                                });
                                labels.push(c.labels.clone());
                            }
                            _ => errors.push(c.at.column(&c.name_column).error(
                                "choice names must be whole numbers (the response codes a score adds up)",
                            )),
                        }
                    }
                    if opts.is_empty() {
                        continue;
                    }
                    opts.sort_by_key(|o| o.code);
                    lo += i64::from(opts.first().map(|o| o.code).unwrap_or(0));
                    hi += i64::from(opts.last().map(|o| o.code).unwrap_or(0));
                    (Some(opts), None, labels)
                }
                QuestionType::Integer => {
                    let range = match (&q.constraint, &q.range) {
                        (Some(c), _) => match c.value.integer_range() {
                            Some(r) => Some(r),
                            None => {
                                errors.push(c.at.error(
                                    "only a range (`. >= a and . <= b`) can be represented as an item's constraint",
                                ));
                                continue;
                            }
                        },
                        (None, Some(r)) => Some(r.value),
                        (None, None) => None,
                    };
                    let Some((min, max)) = range else {
                        errors.push(q.at.column(&q.type_column).error(
                            "an integer item needs a range constraint (`. >= a and . <= b`) to become an instrument item",
                        ));
                        continue;
                    };
                    if max - min > 1000 {
                        errors.push(
                            q.at.column(&q.type_column).error(
                                "a range of more than 1000 codes cannot be an instrument item",
                            ),
                        );
                        continue;
                    }
                    lo += i64::from(min);
                    hi += i64::from(max);
                    (None, Some(RangeDef { min, max }), Vec::new())
                }
                other => {
                    errors.push(q.at.column(&q.type_column).error(format!(
                        "{} questions cannot be represented: an instrument item holds one scored whole-number answer",
                        other.as_str()
                    )));
                    continue;
                }
            };
            if q.required {
                required += 1;
            }
            for (key, lang) in &others {
                if !texts_allowed {
                    break;
                }
                let Some(text) = q.labels.get(key).filter(|t| !t.trim().is_empty()) else {
                    continue;
                };
                let options = (!opt_labels.is_empty()).then(|| {
                    opt_labels
                        .iter()
                        .map(|l| l.get(key).cloned().unwrap_or_default())
                        .collect()
                });
                texts.entry(lang.clone()).or_default().push(ItemTextDef {
                    id: q.name.clone(),
                    text: text.clone(),
                    options,
                });
            }
            items.push(ItemDef {
                id: q.name.clone(),
                text: (texts_allowed && !label.trim().is_empty()).then(|| label.clone()),
                label: (!texts_allowed || label.trim().is_empty())
                    .then(|| format!("Item {}", q.name)),
                response_set: None,
                options: options_def,
                range: range_def,
                reverse_keyed: false,
                scored: true,
            });
        }
        if items.is_empty() && errors.is_empty() {
            errors.push(file_at.clone().sheet("survey").error(
                "no question could become an instrument item (select_one with numeric choices, or integer with a range)",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if required > 0 && required < items.len() {
            notes.push(format!(
                "{required} of {} items are required in the form; scaleup records an unanswered item as missing and gives no total when any is missing.",
                items.len()
            ));
        }
        let n = items.len() as f64;
        let range = match options.method {
            Method::Sum | Method::ProratedSum => [lo as f64, hi as f64],
            Method::Mean => [lo as f64 / n, hi as f64 / n],
        };
        let name = self.title.clone().unwrap_or_else(|| code.clone());
        let def = InstrumentDef {
            kind: Some("instrument".into()),
            code: code.clone(),
            version: version.clone(),
            name,
            short_name: None,
            construct: None,
            recall_window: "not stated in the imported form".into(),
            higher_is_better: false,
            licence: Licence {
                status: options.licence,
                text: "Not stated in the imported form: state the instrument's licence before use."
                    .into(),
                source: format!("imported from {}", self.file),
                permission_note: None,
            },
            citations: vec![Citation {
                text: format!(
                    "Imported from the form {} ({}); cite the instrument's own source before use.",
                    self.id.as_deref().unwrap_or(&code),
                    self.file
                ),
                url: None,
            }],
            loinc: None,
            response_sets: BTreeMap::new(),
            items,
            scoring: ScoringDef {
                method: options.method,
                max_missing: 0,
                range,
                codings: Vec::new(),
            },
            subscales: Vec::new(),
            band_sets: Vec::new(),
            cutoffs: Vec::new(),
            default_cutoff: None,
            risk_rules: Vec::new(),
            rules: Vec::new(),
            notes: notes.clone(),
        };
        let body = toml::to_string(&def)
            .map_err(|_| vec![file_at.error("the instrument could not be written as TOML")])?;
        let instrument = format!(
            "# Imported by `scaleup import` from {} — review the licence, citation, recall window,\n# scoring rule and cut-offs before adding it with `scaleup definitions add`.\n{body}",
            self.file.replace('\n', " ")
        );
        // The importer must never hand out a file the catalogue would refuse.
        if let Err(e) =
            scaleup_domain::instrument::Instrument::from_toml("imported.toml", &instrument)
        {
            return Err(vec![file_at.error(format!(
                "the translated instrument does not validate: {}: {}",
                e.field, e.message
            ))]);
        }
        let mut item_texts = Vec::new();
        for (lang, items) in texts {
            let def = ItemTextsDef {
                kind: Some("item_texts".into()),
                instrument: code.clone(),
                instrument_version: version.clone(),
                language: lang.clone(),
                source: format!("imported from {}", self.file),
                permission_note: None,
                instructions: None,
                items,
            };
            let text = toml::to_string(&def)
                .map_err(|_| vec![file_at.error("item texts could not be written as TOML")])?;
            item_texts.push((lang, text));
        }
        Ok(InstrumentFiles {
            code,
            instrument,
            item_texts,
            notes,
        })
    }
}

/// An item's options or range, and its options' labels per language.
type ItemShape = (
    Option<Vec<OptionDef>>,
    Option<RangeDef>,
    Vec<BTreeMap<String, String>>,
);

fn is_item_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 32
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_come_from_the_parentheses() {
        assert_eq!(language_code("French (fr)").as_deref(), Some("fr"));
        assert_eq!(language_code("Swahili (sw-TZ)").as_deref(), Some("sw-TZ"));
        assert_eq!(language_code("French"), None);
        assert_eq!(language_code("x (a b)"), None);
    }
}
