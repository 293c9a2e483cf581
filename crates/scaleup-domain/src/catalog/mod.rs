//! The catalogue of instruments, protocols and competency frameworks.
//!
//! [`Catalog::builtin`] loads the definitions embedded from `definitions/` at compile time;
//! [`Catalog::add_file`] adds a hub's own file, detected by its top-level `kind` key. Every
//! malformed file is rejected with a [`DefinitionError`] naming the file, the line and the
//! field (`my_scale.toml:14: items[3].options: codes must be unique`). Field paths use 0-based
//! array indices.
//!
//! Invariant: everything in a catalogue is validated, and every protocol's references
//! (instruments, cut-offs, codings, risk rules) resolve within the same catalogue.

pub(crate) mod source;

use crate::competency::CompetencyFramework;
use crate::instrument::{Instrument, ItemTexts};
use crate::protocol::Protocol;
use serde::de::DeserializeOwned;

/// A definition file that could not be loaded: its first problem, and the others found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DefinitionError {
    /// File name as given by the caller.
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Field path, e.g. `items[3].options` (empty for syntax errors).
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// The file's other problems, in file order. Validation goes on past a problem wherever
    /// what follows does not depend on it, so a file shows every problem of the first stage
    /// that has any (a syntax error stops at once: nothing after it can be read).
    pub more: Vec<DefinitionError>,
}

impl std::fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)?;
        for other in &self.more {
            write!(f, "\n{other}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DefinitionError {}

impl DefinitionError {
    /// This problem and the others, in order.
    pub fn problems(&self) -> impl Iterator<Item = &DefinitionError> {
        std::iter::once(self).chain(self.more.iter())
    }

    /// A problem found by a check outside this crate (storage checks a protocol's targets
    /// against the indicator catalogue), placed at the line of `field` in `text`.
    pub fn at_field(origin: &str, text: &str, field: &str, message: impl Into<String>) -> Self {
        DefinitionError {
            origin: origin.to_string(),
            line: source::line_of_path(text, field),
            field: field.to_string(),
            message: message.into(),
            more: Vec::new(),
        }
    }
}

/// A validation failure before the file position is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub(crate) path: String,
    pub(crate) message: String,
}

/// The problems of one file found so far. A validator keeps going past a problem wherever
/// what follows does not depend on it, and stops at a [`Problems::gate`] where it does.
#[derive(Default)]
pub(crate) struct Problems(Vec<FieldError>);

impl Problems {
    /// Keeps the problem of `result`, if any; the value otherwise.
    pub(crate) fn keep<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    /// Keeps a problem.
    pub(crate) fn add(&mut self, problem: FieldError) {
        self.0.push(problem);
    }

    /// The end of a stage: the problems found so far stop validation here, because what
    /// follows relies on what they are about.
    pub(crate) fn gate(&mut self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(std::mem::take(&mut self.0))
        }
    }
}

impl FieldError {
    /// Problems as one located error (the first, with the others in `more`).
    pub(crate) fn locate_all(
        problems: Vec<FieldError>,
        origin: &str,
        text: &str,
    ) -> DefinitionError {
        let mut located = problems.into_iter().map(|e| DefinitionError {
            origin: origin.to_string(),
            line: source::line_of_path(text, &e.path),
            field: e.path,
            message: e.message,
            more: Vec::new(),
        });
        let mut first = located.next().unwrap_or_else(|| DefinitionError {
            origin: origin.to_string(),
            message: "invalid definition".into(),
            ..DefinitionError::default()
        });
        first.more = located.collect();
        first
    }
}

/// Deserializes a definition, turning serde and syntax errors into located errors.
pub(crate) fn parse_toml<T: DeserializeOwned>(
    origin: &str,
    text: &str,
) -> Result<T, DefinitionError> {
    toml::from_str::<T>(text).map_err(|e| {
        let offset = e.span().map(|s| s.start);
        // The toml message carries its own rendering of the source; keep only the first line.
        let message = e
            .message()
            .lines()
            .next()
            .unwrap_or("invalid TOML")
            .to_string();
        DefinitionError {
            origin: origin.to_string(),
            line: offset.map(|o| source::line_of(text, o)),
            field: offset
                .map(|o| source::path_at(text, o, message.starts_with("missing field")))
                .unwrap_or_default(),
            message,
            more: Vec::new(),
        }
    })
}

/// What kind of definition a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefinitionKind {
    /// `kind = "instrument"`.
    Instrument,
    /// `kind = "protocol"`.
    Protocol,
    /// `kind = "competency_framework"`.
    CompetencyFramework,
    /// `kind = "item_texts"`.
    ItemTexts,
}

/// Reads the top-level `kind` key.
pub fn detect_kind(origin: &str, text: &str) -> Result<DefinitionKind, DefinitionError> {
    let table: toml::Table = parse_toml(origin, text)?;
    let located = |message: &str| DefinitionError {
        origin: origin.to_string(),
        line: source::line_of_path(text, "kind"),
        field: "kind".to_string(),
        message: message.to_string(),
        more: Vec::new(),
    };
    match table.get("kind").and_then(|v| v.as_str()) {
        Some("instrument") => Ok(DefinitionKind::Instrument),
        Some("protocol") => Ok(DefinitionKind::Protocol),
        Some("competency_framework") => Ok(DefinitionKind::CompetencyFramework),
        Some("item_texts") => Ok(DefinitionKind::ItemTexts),
        Some(_) => Err(located(
            "must be \"instrument\", \"protocol\", \"competency_framework\" or \"item_texts\"",
        )),
        None => Err(DefinitionError {
            line: Some(1),
            ..located(
                "missing top-level key (kind = \"instrument\", \"protocol\", \"competency_framework\" or \"item_texts\")",
            )
        }),
    }
}

/// What a definition file declares itself to be (kind, code and version, as [`Catalog::add_file`]
/// would report them), read from its top-level keys without validating the rest: the identity
/// under which a stored file is replaced by a new upload.
pub fn identify(origin: &str, text: &str) -> Result<Added, DefinitionError> {
    let kind = detect_kind(origin, text)?;
    let table: toml::Table = parse_toml(origin, text)?;
    let key = |name: &str| {
        table
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| DefinitionError {
                origin: origin.to_string(),
                line: source::line_of_path(text, name).or(Some(1)),
                field: name.to_string(),
                message:
                    "missing or not a string (a definition names itself at the top of the file)"
                        .to_string(),
                more: Vec::new(),
            })
    };
    let (code, version) = match kind {
        DefinitionKind::ItemTexts => (
            key("instrument")?,
            format!("{} ({})", key("instrument_version")?, key("language")?),
        ),
        _ => (key("code")?, key("version")?),
    };
    Ok(Added {
        kind,
        code,
        version,
    })
}

impl DefinitionKind {
    /// The `kind` key's value.
    pub fn as_str(self) -> &'static str {
        match self {
            DefinitionKind::Instrument => "instrument",
            DefinitionKind::Protocol => "protocol",
            DefinitionKind::CompetencyFramework => "competency_framework",
            DefinitionKind::ItemTexts => "item_texts",
        }
    }
}

/// Identifies what a successful [`Catalog::add_file`] added.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Added {
    /// Kind of definition.
    pub kind: DefinitionKind,
    /// Its code.
    pub code: String,
    /// Its version.
    pub version: String,
}

/// Where a definition came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Embedded in the binary.
    Builtin,
    /// Added by a hub from the named file.
    Hub(String),
}

/// Instruments, protocols and competency frameworks, validated and cross-referenced.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    instruments: Vec<(Origin, Instrument)>,
    protocols: Vec<(Origin, Protocol)>,
    frameworks: Vec<(Origin, CompetencyFramework)>,
    texts: Vec<(Origin, ItemTexts)>,
}

/// The embedded definition files: (file name, text). Instruments come before protocols and item
/// texts so that their references resolve during loading.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "instruments/phq9.toml",
        include_str!("../../definitions/instruments/phq9.toml"),
    ),
    (
        "instruments/phq2.toml",
        include_str!("../../definitions/instruments/phq2.toml"),
    ),
    (
        "instruments/gad7.toml",
        include_str!("../../definitions/instruments/gad7.toml"),
    ),
    (
        "instruments/phqa.toml",
        include_str!("../../definitions/instruments/phqa.toml"),
    ),
    (
        "instruments/srq20.toml",
        include_str!("../../definitions/instruments/srq20.toml"),
    ),
    (
        "instruments/epds.toml",
        include_str!("../../definitions/instruments/epds.toml"),
    ),
    (
        "instruments/pcl5.toml",
        include_str!("../../definitions/instruments/pcl5.toml"),
    ),
    (
        "instruments/audit.toml",
        include_str!("../../definitions/instruments/audit.toml"),
    ),
    (
        "instruments/auditc.toml",
        include_str!("../../definitions/instruments/auditc.toml"),
    ),
    (
        "instruments/whodas12.toml",
        include_str!("../../definitions/instruments/whodas12.toml"),
    ),
    (
        "instruments/k10.toml",
        include_str!("../../definitions/instruments/k10.toml"),
    ),
    (
        "instruments/k6.toml",
        include_str!("../../definitions/instruments/k6.toml"),
    ),
    (
        "instruments/ssq14.toml",
        include_str!("../../definitions/instruments/ssq14.toml"),
    ),
    (
        "instruments/psychlops.toml",
        include_str!("../../definitions/instruments/psychlops.toml"),
    ),
    (
        "instruments/aim.toml",
        include_str!("../../definitions/instruments/aim.toml"),
    ),
    (
        "instruments/iam.toml",
        include_str!("../../definitions/instruments/iam.toml"),
    ),
    (
        "instruments/fim.toml",
        include_str!("../../definitions/instruments/fim.toml"),
    ),
    (
        "competencies/enact_equip.toml",
        include_str!("../../definitions/competencies/enact_equip.toml"),
    ),
    (
        "protocols/pm_plus_individual.toml",
        include_str!("../../definitions/protocols/pm_plus_individual.toml"),
    ),
    (
        "protocols/pm_plus_group.toml",
        include_str!("../../definitions/protocols/pm_plus_group.toml"),
    ),
    (
        "protocols/hap.toml",
        include_str!("../../definitions/protocols/hap.toml"),
    ),
    (
        "protocols/friendship_bench.toml",
        include_str!("../../definitions/protocols/friendship_bench.toml"),
    ),
    (
        "protocols/ipt_group.toml",
        include_str!("../../definitions/protocols/ipt_group.toml"),
    ),
    (
        "protocols/cpt_group.toml",
        include_str!("../../definitions/protocols/cpt_group.toml"),
    ),
    (
        "protocols/thp.toml",
        include_str!("../../definitions/protocols/thp.toml"),
    ),
    // Item texts come after the instruments they overlay.
    (
        "item_texts/phq9.fr.toml",
        include_str!("../../definitions/item_texts/phq9.fr.toml"),
    ),
    (
        "item_texts/phq9.pt.toml",
        include_str!("../../definitions/item_texts/phq9.pt.toml"),
    ),
    (
        "item_texts/phq9.es.toml",
        include_str!("../../definitions/item_texts/phq9.es.toml"),
    ),
    (
        "item_texts/phq9.sw.toml",
        include_str!("../../definitions/item_texts/phq9.sw.toml"),
    ),
    (
        "item_texts/phq9.hi.toml",
        include_str!("../../definitions/item_texts/phq9.hi.toml"),
    ),
];

impl Catalog {
    /// An empty catalogue.
    pub fn new() -> Self {
        Self::default()
    }

    /// The embedded definitions. They are validated by this crate's tests, so a failure here
    /// is a build defect, not an input error.
    pub fn builtin() -> Self {
        let mut c = Catalog::new();
        for (name, text) in BUILTIN_FILES {
            if let Err(e) = c.add(Origin::Builtin, name, text) {
                panic!("built-in definition is invalid: {e}");
            }
        }
        c
    }

    /// The built-in catalogue, parsed once per process. Prefer this in servers: parsing all
    /// embedded files takes milliseconds, not microseconds.
    pub fn builtin_shared() -> &'static Catalog {
        static BUILTIN: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
        BUILTIN.get_or_init(Catalog::builtin)
    }

    /// Adds a hub's definition file. The kind comes from the top-level `kind` key. A file with
    /// the code and version of a definition already present is rejected: bump the version to
    /// replace a built-in (lookups by code return the most recently added version). Item texts
    /// are the exception: a hub's texts replace the built-in texts for the same instrument
    /// version and language (a second hub file for them is rejected).
    pub fn add_file(&mut self, origin_name: &str, text: &str) -> Result<Added, DefinitionError> {
        self.add(Origin::Hub(origin_name.to_string()), origin_name, text)
    }

    fn add(&mut self, origin: Origin, name: &str, text: &str) -> Result<Added, DefinitionError> {
        let kind = detect_kind(name, text)?;
        let duplicate = |code: &str, version: &str, exists: bool| {
            if exists {
                Err(DefinitionError {
                    origin: name.to_string(),
                    line: source::line_of_path(text, "version"),
                    field: "version".to_string(),
                    message: format!(
                        "{code} version {version} is already in the catalogue; use a new version"
                    ),
                    more: Vec::new(),
                })
            } else {
                Ok(())
            }
        };
        let (code, version) = match kind {
            DefinitionKind::Instrument => {
                let i = Instrument::from_toml(name, text)?;
                let exists = self.instrument_version(i.code(), i.version()).is_some();
                duplicate(i.code(), i.version(), exists)?;
                let out = (i.code().to_string(), i.version().to_string());
                self.instruments.push((origin, i));
                out
            }
            DefinitionKind::Protocol => {
                let p = Protocol::from_toml(name, text, self)?;
                let exists = self
                    .protocols
                    .iter()
                    .any(|(_, q)| q.code() == p.code() && q.version() == p.version());
                duplicate(p.code(), p.version(), exists)?;
                let out = (p.code().to_string(), p.version().to_string());
                self.protocols.push((origin, p));
                out
            }
            DefinitionKind::CompetencyFramework => {
                let f = CompetencyFramework::from_toml(name, text)?;
                let exists = self
                    .frameworks
                    .iter()
                    .any(|(_, g)| g.code() == f.code() && g.def().version == f.def().version);
                duplicate(f.code(), &f.def().version, exists)?;
                let out = (f.code().to_string(), f.def().version.clone());
                self.frameworks.push((origin, f));
                out
            }
            DefinitionKind::ItemTexts => {
                let t = ItemTexts::from_toml(name, text, |c, v| self.instrument_version(c, v))?;
                let existing = self.texts.iter().position(|(_, u)| {
                    u.instrument() == t.instrument()
                        && u.instrument_version() == t.instrument_version()
                        && u.language() == t.language()
                });
                // A hub's texts replace built-in texts for the same instrument version and
                // language: the built-in translations are working translations that a hub
                // replaces with the official ones. Two hub files for one language are an error.
                if let Some(i) = existing
                    && matches!(self.texts[i].0, Origin::Builtin)
                    && matches!(origin, Origin::Hub(_))
                {
                    self.texts.remove(i);
                } else if existing.is_some() {
                    return Err(DefinitionError {
                        origin: name.to_string(),
                        line: source::line_of_path(text, "language"),
                        field: "language".to_string(),
                        message:
                            "texts for this instrument version and language are already loaded"
                                .to_string(),
                        more: Vec::new(),
                    });
                }
                let out = (
                    t.instrument().to_string(),
                    format!("{} ({})", t.instrument_version(), t.language()),
                );
                self.texts.push((origin, t));
                out
            }
        };
        Ok(Added {
            kind,
            code,
            version,
        })
    }

    /// The most recently added instrument with this code.
    pub fn instrument(&self, code: &str) -> Option<&Instrument> {
        self.instruments
            .iter()
            .rev()
            .find(|(_, i)| i.code() == code)
            .map(|(_, i)| i)
    }

    /// A specific version (to recompute stored scores).
    pub fn instrument_version(&self, code: &str, version: &str) -> Option<&Instrument> {
        self.instruments
            .iter()
            .find(|(_, i)| i.code() == code && i.version() == version)
            .map(|(_, i)| i)
    }

    /// Every version of the instrument with this code, in load order (the newest last).
    pub fn instrument_versions<'a>(
        &'a self,
        code: &'a str,
    ) -> impl Iterator<Item = &'a Instrument> {
        self.instruments
            .iter()
            .filter(move |(_, i)| i.code() == code)
            .map(|(_, i)| i)
    }

    /// All instruments (every version) with their origin, in load order.
    pub fn instruments(&self) -> impl Iterator<Item = (&Origin, &Instrument)> {
        self.instruments.iter().map(|(o, i)| (o, i))
    }

    /// The most recently added protocol with this code.
    pub fn protocol(&self, code: &str) -> Option<&Protocol> {
        self.protocols
            .iter()
            .rev()
            .find(|(_, p)| p.code() == code)
            .map(|(_, p)| p)
    }

    /// All protocols with their origin, in load order.
    pub fn protocols(&self) -> impl Iterator<Item = (&Origin, &Protocol)> {
        self.protocols.iter().map(|(o, p)| (o, p))
    }

    /// The most recently added competency framework with this code.
    pub fn competency_framework(&self, code: &str) -> Option<&CompetencyFramework> {
        self.frameworks
            .iter()
            .rev()
            .find(|(_, f)| f.code() == code)
            .map(|(_, f)| f)
    }

    /// Item texts for an instrument version in a language, built in or loaded by a hub.
    pub fn item_texts(&self, code: &str, version: &str, language: &str) -> Option<&ItemTexts> {
        self.texts
            .iter()
            .find(|(_, t)| {
                t.instrument() == code
                    && t.instrument_version() == version
                    && t.language() == language
            })
            .map(|(_, t)| t)
    }

    /// All loaded item-text files with their origin.
    pub fn all_item_texts(&self) -> impl Iterator<Item = (&Origin, &ItemTexts)> {
        self.texts.iter().map(|(o, t)| (o, t))
    }

    /// All competency frameworks with their origin.
    pub fn competency_frameworks(&self) -> impl Iterator<Item = (&Origin, &CompetencyFramework)> {
        self.frameworks.iter().map(|(o, f)| (o, f))
    }
}

#[cfg(test)]
mod identify_tests {
    use super::*;

    #[test]
    fn a_file_names_its_kind_code_and_version() {
        let phq9 = BUILTIN_FILES
            .iter()
            .find(|(n, _)| *n == "instruments/phq9.toml")
            .unwrap()
            .1;
        let id = identify("phq9.toml", phq9).unwrap();
        assert_eq!(
            (id.kind, id.code.as_str(), id.version.as_str()),
            (DefinitionKind::Instrument, "phq9", "1")
        );
        let fr = BUILTIN_FILES
            .iter()
            .find(|(n, _)| *n == "item_texts/phq9.fr.toml")
            .unwrap()
            .1;
        // As `add_file` reports item texts: the instrument, and its version with the language.
        let mut catalog = Catalog::new();
        catalog.add_file("phq9.toml", phq9).unwrap();
        let added = catalog.add_file("fr.toml", fr).unwrap();
        assert_eq!(identify("fr.toml", fr).unwrap(), added);
        let e = identify("x.toml", "kind = \"protocol\"\nname = \"x\"\n").unwrap_err();
        assert_eq!((e.field.as_str(), e.line), ("code", Some(1)));
    }
}
