//! Item texts loaded by a hub (`kind = "item_texts"`): wording of restricted instruments the hub
//! has permission for (EPDS, WHODAS 2.0), and translations of any instrument.
//!
//! Texts are an overlay keyed by instrument code, instrument version and language; they never
//! change scoring, so scores stay comparable across languages and across hubs with and without
//! the texts.

use super::{Instrument, ResponseScale};
use crate::catalog::{DefinitionError, FieldError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Wording of one item, with option labels in the order of the item's option codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemTextDef {
    /// Item id.
    pub id: String,
    /// Item wording.
    pub text: String,
    /// Option labels, one per option in code order (only for items with options).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
}

/// An item-text file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemTextsDef {
    /// Always `"item_texts"` in files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Instrument code.
    pub instrument: String,
    /// Instrument version the texts belong to.
    pub instrument_version: String,
    /// BCP 47 language tag, e.g. `en`, `sn` (Shona), `sw-TZ`.
    pub language: String,
    /// Where the wording comes from (publisher, translation and back-translation report).
    pub source: String,
    /// Who granted permission; required for instruments whose licence forbids shipping texts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_note: Option<String>,
    /// Instructions shown before the items (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Item wording.
    pub items: Vec<ItemTextDef>,
}

/// Validated item texts for one instrument version and language.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemTexts {
    def: ItemTextsDef,
}

fn ferr(path: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        path: path.into(),
        message: message.into(),
    }
}

impl ItemTexts {
    /// Parses an item-text file; `find` resolves the instrument by code and version.
    pub fn from_toml<'a>(
        origin: &str,
        text: &str,
        find: impl Fn(&str, &str) -> Option<&'a Instrument>,
    ) -> Result<Self, DefinitionError> {
        let def: ItemTextsDef = crate::catalog::parse_toml(origin, text)?;
        Self::validate(def, find).map_err(|e| e.locate(origin, text))
    }

    fn validate<'a>(
        def: ItemTextsDef,
        find: impl Fn(&str, &str) -> Option<&'a Instrument>,
    ) -> Result<Self, FieldError> {
        if let Some(k) = &def.kind
            && k != "item_texts"
        {
            return Err(ferr("kind", "must be \"item_texts\""));
        }
        let inst = find(&def.instrument, &def.instrument_version).ok_or_else(|| {
            ferr(
                "instrument_version",
                "no instrument with this code and version in the catalogue",
            )
        })?;
        let lang_ok = !def.language.is_empty()
            && def
                .language
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !lang_ok {
            return Err(ferr("language", "must be a BCP 47 tag such as en or sw-TZ"));
        }
        if def.source.trim().is_empty() {
            return Err(ferr("source", "must not be empty"));
        }
        let restricted = !inst.def().licence.status.allows_item_text();
        if restricted
            && def
                .permission_note
                .as_deref()
                .is_none_or(|p| p.trim().is_empty())
        {
            return Err(ferr(
                "permission_note",
                "required: the instrument's licence does not allow shipping item texts",
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, item) in def.items.iter().enumerate() {
            let path = format!("items[{i}]");
            if !seen.insert(item.id.as_str()) {
                return Err(ferr(format!("{path}.id"), "must be unique"));
            }
            let Some(scale) = inst.response_scale(&item.id) else {
                return Err(ferr(
                    format!("{path}.id"),
                    "names no item of the instrument",
                ));
            };
            if item.text.trim().is_empty() {
                return Err(ferr(format!("{path}.text"), "must not be empty"));
            }
            if let Some(labels) = &item.options {
                match scale {
                    ResponseScale::Options(opts) if opts.len() == labels.len() => {}
                    ResponseScale::Options(_) => {
                        return Err(ferr(
                            format!("{path}.options"),
                            "needs one label per option of the item",
                        ));
                    }
                    ResponseScale::Range(_) => {
                        return Err(ferr(
                            format!("{path}.options"),
                            "the item is a numeric range and has no options",
                        ));
                    }
                }
            }
        }
        Ok(Self { def })
    }

    /// The definition.
    pub fn def(&self) -> &ItemTextsDef {
        &self.def
    }

    /// Instrument code.
    pub fn instrument(&self) -> &str {
        &self.def.instrument
    }

    /// Instrument version.
    pub fn instrument_version(&self) -> &str {
        &self.def.instrument_version
    }

    /// Language tag.
    pub fn language(&self) -> &str {
        &self.def.language
    }

    /// Wording of an item.
    pub fn text(&self, item: &str) -> Option<&str> {
        self.def
            .items
            .iter()
            .find(|i| i.id == item)
            .map(|i| i.text.as_str())
    }

    /// Label of the `index`-th option (code order) of an item.
    pub fn option_label(&self, item: &str, index: usize) -> Option<&str> {
        self.def
            .items
            .iter()
            .find(|i| i.id == item)?
            .options
            .as_ref()?
            .get(index)
            .map(String::as_str)
    }
}
