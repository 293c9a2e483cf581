//! Instruments as data: definitions, validation and scoring.
//!
//! An instrument (PHQ-9, WHODAS 2.0, AIM, ...) is described by a TOML file (see [`def`]) and
//! becomes an [`Instrument`] only after validation, so every `Instrument` in memory has unique
//! item ids, resolvable option sets, a declared range that matches its items, gap-free bands
//! and conditions that reference existing items. [`Instrument::score`] turns [`Responses`] into
//! a [`Score`]; risk rules are evaluated on items independently of the total, so a low total
//! never suppresses a red flag.
//!
//! Stable identifiers: an instrument is `code` + `version`; an item is `code` + item `id`.
//! Storage, FHIR `QuestionnaireResponse` and XLSForm exports key on these, never on positions.

pub mod change;
pub mod def;
mod score;
pub mod texts;
mod validate;

pub use change::{ChangeError, RciDirection, ReliableChange, reliable_change, remission, response};
pub use def::*;
pub use score::{
    BandResult, CodedTotal, CutoffResult, ResponseParseError, Responses, RiskFlag, RuleResult,
    Score, ScoreError, ScoreOptions, SubscaleScore,
};
pub use texts::{ItemTextDef, ItemTexts, ItemTextsDef};

use crate::catalog::{DefinitionError, FieldError};

/// A condition compiled against item positions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Condition {
    Item {
        item: usize,
        cmp: Comparison,
        threshold: f64,
    },
    Count {
        items: Vec<usize>,
        cmp: Comparison,
        threshold: f64,
        at_least: usize,
    },
    Subscale {
        subscale: usize,
        cmp: Comparison,
        threshold: f64,
    },
    Total {
        cmp: Comparison,
        threshold: f64,
    },
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

/// Allowed codes and keying of one item, resolved from its option set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResolvedItem {
    pub(crate) codes: Vec<i32>,
    pub(crate) min: i32,
    pub(crate) max: i32,
    pub(crate) reverse: bool,
    pub(crate) scored: bool,
}

/// The answer scale of one item, resolved from `response_set`, `options` or `range`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ResponseScale<'a> {
    /// Labelled options.
    Options(&'a [OptionDef]),
    /// An integer range.
    Range(&'a RangeDef),
}

/// A validated instrument. Construct with [`Instrument::from_toml`], [`Instrument::try_from_def`]
/// or through [`crate::catalog::Catalog`].
#[derive(Debug, Clone, PartialEq)]
pub struct Instrument {
    pub(crate) def: InstrumentDef,
    pub(crate) items: Vec<ResolvedItem>,
    pub(crate) default_coding: usize,
    pub(crate) subscales: Vec<Vec<usize>>,
    pub(crate) risk: Vec<Condition>,
    pub(crate) rules: Vec<Condition>,
}

impl Instrument {
    /// Parses and validates one instrument file; `origin` names the file in errors.
    pub fn from_toml(origin: &str, text: &str) -> Result<Instrument, DefinitionError> {
        let def: InstrumentDef = crate::catalog::parse_toml(origin, text)?;
        validate::validate(def).map_err(|e| FieldError::locate_all(e, origin, text))
    }

    /// Validates a definition built in code. Errors carry the field path but no line.
    pub fn try_from_def(def: InstrumentDef) -> Result<Instrument, DefinitionError> {
        validate::validate(def).map_err(|e| FieldError::locate_all(e, "<memory>", ""))
    }

    /// The full definition, for display and export.
    pub fn def(&self) -> &InstrumentDef {
        &self.def
    }

    /// Stable code, e.g. `phq9`.
    pub fn code(&self) -> &str {
        &self.def.code
    }

    /// Definition version, stored with every set of responses.
    pub fn version(&self) -> &str {
        &self.def.version
    }

    /// Full name.
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// Answer scale of an item by id.
    pub fn response_scale(&self, item_id: &str) -> Option<ResponseScale<'_>> {
        let item = self.def.items.iter().find(|i| i.id == item_id)?;
        if let Some(o) = &item.options {
            return Some(ResponseScale::Options(o));
        }
        if let Some(r) = &item.range {
            return Some(ResponseScale::Range(r));
        }
        let set = self.def.response_sets.get(item.response_set.as_deref()?)?;
        match (&set.options, &set.range) {
            (Some(o), _) => Some(ResponseScale::Options(o)),
            (None, Some(r)) => Some(ResponseScale::Range(r)),
            _ => None,
        }
    }

    /// Ids of the cut-offs, in file order.
    pub fn cutoff_ids(&self) -> impl Iterator<Item = &str> {
        self.def.cutoffs.iter().map(|c| c.id.as_str())
    }

    /// Ids of the risk rules, in file order.
    pub fn risk_rule_ids(&self) -> impl Iterator<Item = &str> {
        self.def.risk_rules.iter().map(|c| c.id.as_str())
    }

    /// Ids of the codings (empty when the option codes are the only convention).
    pub fn coding_ids(&self) -> impl Iterator<Item = &str> {
        self.def.scoring.codings.iter().map(|c| c.id.as_str())
    }

    /// Ids of the subscales.
    pub fn subscale_ids(&self) -> impl Iterator<Item = &str> {
        self.def.subscales.iter().map(|c| c.id.as_str())
    }

    pub(crate) fn default_coding_offset(&self) -> i32 {
        self.def
            .scoring
            .codings
            .get(self.default_coding)
            .map_or(0, |c| c.item_offset)
    }

    /// Range of the total under a coding offset, computed from the items.
    pub(crate) fn range_under(&self, offset: i32) -> (f64, f64) {
        let scored: Vec<&ResolvedItem> = self.items.iter().filter(|i| i.scored).collect();
        let lo: f64 = scored.iter().map(|i| f64::from(i.min + offset)).sum();
        let hi: f64 = scored.iter().map(|i| f64::from(i.max + offset)).sum();
        match self.def.scoring.method {
            Method::Sum | Method::ProratedSum => (lo, hi),
            Method::Mean => (lo / scored.len() as f64, hi / scored.len() as f64),
        }
    }
}

impl FieldError {
    pub(crate) fn locate(self, origin: &str, text: &str) -> DefinitionError {
        DefinitionError {
            origin: origin.to_string(),
            line: crate::catalog::source::line_of_path(text, &self.path),
            field: self.path,
            message: self.message,
            more: Vec::new(),
        }
    }
}

pub(crate) fn validate_code(path: &str, code: &str) -> Result<(), FieldError> {
    validate::check_code(path, code)
}
