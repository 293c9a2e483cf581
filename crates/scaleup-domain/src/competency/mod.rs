//! Competency frameworks as data (ENACT as used in WHO/UNICEF EQUIP).
//!
//! A framework lists competencies and the levels a rater may assign to each. Levels are reported
//! per competency; any level marked `safety_flag` (ENACT Level 1: harmful or unhelpful
//! behaviour observed) raises a supervision safety flag for the provider. The rubric texts are
//! CC BY-NC-SA and are not shipped: only competency names and level meanings.

use crate::catalog::{DefinitionError, FieldError};
use crate::instrument::def::{Citation, Licence};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One level of the rating scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelDef {
    /// Numeric level, e.g. 1..4.
    pub level: u8,
    /// Meaning of the level (the general rule, not the per-competency rubric).
    pub label: String,
    /// Rating a competency at this level raises a supervision safety flag.
    #[serde(default)]
    pub safety_flag: bool,
}

/// One competency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetencyDef {
    /// Stable id ("1".."15").
    pub id: String,
    /// Name of the competency.
    pub name: String,
}

/// A competency framework file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetencyFrameworkDef {
    /// Always `"competency_framework"` in files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Stable code, e.g. `enact_equip`.
    pub code: String,
    /// Definition version.
    pub version: String,
    /// Full name.
    pub name: String,
    /// Licence of the framework (the rubric text is not shipped).
    pub licence: Licence,
    /// Sources.
    pub citations: Vec<Citation>,
    /// Rating levels, ascending.
    pub levels: Vec<LevelDef>,
    /// Level at or above which a competency counts as achieved (EQUIP "competent": 3).
    pub competent_level: u8,
    /// Competencies in order.
    pub competencies: Vec<CompetencyDef>,
    /// Notes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A validated competency framework.
#[derive(Debug, Clone, PartialEq)]
pub struct CompetencyFramework {
    def: CompetencyFrameworkDef,
}

/// Ratings that cannot be assessed. Messages name the competency, not the rating.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompetencyError {
    /// The competency id is not part of the framework.
    #[error("competency {competency}: not part of this framework")]
    UnknownCompetency {
        /// The id.
        competency: String,
    },
    /// The level is not one of the framework's levels.
    #[error("competency {competency}: level is not one of the framework's levels: {}", .allowed.iter().map(u8::to_string).collect::<Vec<_>>().join(", "))]
    LevelOutOfRange {
        /// The id.
        competency: String,
        /// The framework's levels.
        allowed: Vec<u8>,
    },
}

/// One assessment (observed session or role-play) of one provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompetencyAssessment {
    /// Framework code.
    pub framework: String,
    /// Framework version.
    pub version: String,
    /// Level per rated competency, in framework order.
    pub levels: Vec<(String, u8)>,
    /// Competencies not rated.
    pub unrated: Vec<String>,
    /// Competencies rated at a safety-flag level.
    pub safety_flag_competencies: Vec<String>,
    /// Whether any competency was rated at a safety-flag level.
    pub safety_flag: bool,
    /// Whether every competency reached `competent_level` (`None` when some are unrated).
    pub all_competent: Option<bool>,
}

impl CompetencyFramework {
    /// Parses and validates one framework file.
    pub fn from_toml(origin: &str, text: &str) -> Result<Self, DefinitionError> {
        let def: CompetencyFrameworkDef = crate::catalog::parse_toml(origin, text)?;
        Self::validate(def).map_err(|e| e.locate(origin, text))
    }

    fn validate(def: CompetencyFrameworkDef) -> Result<Self, FieldError> {
        let e = |p: &str, m: &str| FieldError {
            path: p.to_string(),
            message: m.to_string(),
        };
        if let Some(k) = &def.kind
            && k != "competency_framework"
        {
            return Err(e("kind", "must be \"competency_framework\""));
        }
        crate::instrument::validate_code("code", &def.code)?;
        if def.citations.is_empty() {
            return Err(e("citations", "at least one citation is required"));
        }
        if def.levels.len() < 2 {
            return Err(e("levels", "needs at least two levels"));
        }
        for (i, w) in def.levels.windows(2).enumerate() {
            if w[1].level <= w[0].level {
                return Err(e(
                    &format!("levels[{}].level", i + 1),
                    "levels must be strictly ascending",
                ));
            }
        }
        if !def.levels.iter().any(|l| l.level == def.competent_level) {
            return Err(e("competent_level", "names no level"));
        }
        if def.competencies.is_empty() {
            return Err(e("competencies", "must not be empty"));
        }
        let mut seen = BTreeSet::new();
        for (i, c) in def.competencies.iter().enumerate() {
            if c.id.trim().is_empty() || !seen.insert(c.id.as_str()) {
                return Err(e(
                    &format!("competencies[{i}].id"),
                    "must be non-empty and unique",
                ));
            }
            if c.name.trim().is_empty() {
                return Err(e(&format!("competencies[{i}].name"), "must not be empty"));
            }
        }
        Ok(Self { def })
    }

    /// The definition.
    pub fn def(&self) -> &CompetencyFrameworkDef {
        &self.def
    }

    /// Stable code.
    pub fn code(&self) -> &str {
        &self.def.code
    }

    /// Assesses ratings (competency id → level).
    pub fn assess(
        &self,
        ratings: &BTreeMap<String, u8>,
    ) -> Result<CompetencyAssessment, CompetencyError> {
        for (id, level) in ratings {
            if !self.def.competencies.iter().any(|c| &c.id == id) {
                return Err(CompetencyError::UnknownCompetency {
                    competency: id.clone(),
                });
            }
            if !self.def.levels.iter().any(|l| l.level == *level) {
                return Err(CompetencyError::LevelOutOfRange {
                    competency: id.clone(),
                    allowed: self.def.levels.iter().map(|l| l.level).collect(),
                });
            }
        }
        let flagged: BTreeSet<u8> = self
            .def
            .levels
            .iter()
            .filter(|l| l.safety_flag)
            .map(|l| l.level)
            .collect();
        let mut levels = Vec::new();
        let mut unrated = Vec::new();
        let mut safety = Vec::new();
        for c in &self.def.competencies {
            match ratings.get(&c.id) {
                Some(&l) => {
                    levels.push((c.id.clone(), l));
                    if flagged.contains(&l) {
                        safety.push(c.id.clone());
                    }
                }
                None => unrated.push(c.id.clone()),
            }
        }
        let all_competent = unrated
            .is_empty()
            .then(|| levels.iter().all(|(_, l)| *l >= self.def.competent_level));
        Ok(CompetencyAssessment {
            framework: self.def.code.clone(),
            version: self.def.version.clone(),
            safety_flag: !safety.is_empty(),
            levels,
            unrated,
            safety_flag_competencies: safety,
            all_competent,
        })
    }
}

/// How many of a competency's basic skills the rater saw (ENACT's general level rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasicSkills {
    /// None of the basic skills.
    None,
    /// Some, not all.
    Some,
    /// Every basic skill.
    All,
}

/// ENACT's general level rule (implementation-science.md section 4.2): level 1 when any
/// unhelpful or harmful behaviour was observed, whatever else was seen; level 2 with none or
/// only some basic skills; level 3 with all basic skills; level 4 with all basic skills and at
/// least one advanced skill. The per-competency rubric that says which behaviours count is not
/// shipped (its licence); the rater applies it, and this rule turns the answers into a level.
pub fn enact_level(harmful: bool, basic: BasicSkills, advanced: bool) -> u8 {
    match (harmful, basic, advanced) {
        (true, _, _) => 1,
        (false, BasicSkills::All, true) => 4,
        (false, BasicSkills::All, false) => 3,
        (false, _, _) => 2,
    }
}

impl CompetencyFramework {
    /// Whether the framework uses ENACT's four levels (1 harmful .. 4 advanced), so that a
    /// rating form can ask for observations and compute the level with [`enact_level`].
    pub fn uses_enact_levels(&self) -> bool {
        let levels: Vec<u8> = self.def.levels.iter().map(|l| l.level).collect();
        levels == [1, 2, 3, 4] && self.def.levels[0].safety_flag
    }
}

#[cfg(test)]
mod level_rule_tests {
    use super::*;

    #[test]
    fn harmful_behaviour_is_level_one_whatever_else_was_seen() {
        assert_eq!(enact_level(true, BasicSkills::All, true), 1);
        assert_eq!(enact_level(false, BasicSkills::None, true), 2);
        assert_eq!(enact_level(false, BasicSkills::Some, false), 2);
        assert_eq!(enact_level(false, BasicSkills::All, false), 3);
        assert_eq!(enact_level(false, BasicSkills::All, true), 4);
        let catalog = crate::catalog::Catalog::builtin();
        assert!(
            catalog
                .competency_framework("enact_equip")
                .unwrap()
                .uses_enact_levels()
        );
    }
}
