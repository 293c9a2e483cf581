//! The org-unit hierarchy: country > region > district > facility.

use serde::{Deserialize, Serialize};

/// Level of an org unit. A facility is where care is delivered and carries a catchment
/// adult population, the denominator of coverage and treatment-gap indicators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgLevel {
    Country,
    Region,
    District,
    Facility,
}

impl OrgLevel {
    pub const ALL: [OrgLevel; 4] = [
        OrgLevel::Country,
        OrgLevel::Region,
        OrgLevel::District,
        OrgLevel::Facility,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgLevel::Country => "country",
            OrgLevel::Region => "region",
            OrgLevel::District => "district",
            OrgLevel::Facility => "facility",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == text)
    }

    /// The level a child of this level must have; `None` for a facility, which has no children.
    pub fn child(self) -> Option<Self> {
        match self {
            OrgLevel::Country => Some(OrgLevel::Region),
            OrgLevel::Region => Some(OrgLevel::District),
            OrgLevel::District => Some(OrgLevel::Facility),
            OrgLevel::Facility => None,
        }
    }
}
