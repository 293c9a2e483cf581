//! Roles and what each may do. Scoping (which clients) is decided by the storage layer from
//! the caseload relation; this module decides the kinds of action.

use serde::{Deserialize, Serialize};

/// A user's role. One role per account; a person with two jobs gets two accounts, which keeps
/// every audit event attributable to one role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the installation: hubs, accounts, keys. Sees every hub.
    Admin,
    /// Runs one hub: org units, programmes, staff; receives escalated risk alerts.
    HubManager,
    /// Oversees counsellors: their caseloads, risk alerts, supervision, competency ratings.
    Supervisor,
    /// Lay counsellor: registers, screens and treats their own caseload.
    Counsellor,
    /// Reads pseudonymised client-level data of the hubs granted; writes nothing clinical.
    Researcher,
    /// Ministry programme manager: aggregates only, never client-level rows.
    Viewer,
}

/// The kinds of action the API guards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Create hubs and grant cross-hub access.
    ManageHubs,
    /// Create org units and programmes within a hub.
    ManageHubSetup,
    /// Create accounts and reset passwords.
    ManageUsers,
    /// Read client-level rows (scoped by caseload or hub).
    ReadClientRecords,
    /// Read identifying details (name, phone, address, birth date) of scoped clients.
    ReadIdentity,
    /// Create and edit care records through sync.
    WriteCareRecords,
    /// Acknowledge risk alerts and resolve sync conflicts.
    ReviewClinical,
    /// Record supervision sessions and competency assessments.
    Supervise,
    /// Read aggregate indicators (small cells suppressed).
    ReadAggregates,
    /// Read implementation-outcome indicators (RE-AIM, Proctor, coverage) of the caller's hubs.
    /// Small cells are suppressed unless the caller also has [`Capability::ReadExactIndicators`].
    ReadIndicators,
    /// See indicators of the caller's own hub exactly, small counts included: staff who may
    /// see its client rows anyway. Every other caller (viewers, researchers, staff of another
    /// hub) gets disclosure control.
    ReadExactIndicators,
    /// Read the audit log.
    ReadAudit,
    /// Run analyses (models, power, economics) on uploaded documents and on the aggregates and
    /// pseudonymised outcomes of the caller's hubs. Results are aggregates; care staff do not
    /// need them for their work.
    RunAnalyses,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::HubManager,
        Role::Supervisor,
        Role::Counsellor,
        Role::Researcher,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::HubManager => "hub_manager",
            Role::Supervisor => "supervisor",
            Role::Counsellor => "counsellor",
            Role::Researcher => "researcher",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Least privilege: each role gets exactly the capabilities its job needs.
    pub fn can(self, capability: Capability) -> bool {
        use Capability::*;
        use Role::*;
        match capability {
            ManageHubs => self == Admin,
            ManageHubSetup | ManageUsers => matches!(self, Admin | HubManager),
            ReadClientRecords => matches!(
                self,
                Admin | HubManager | Supervisor | Counsellor | Researcher
            ),
            // Researchers see pseudonymised rows only; admins administer but do not browse identities.
            ReadIdentity => matches!(self, HubManager | Supervisor | Counsellor),
            WriteCareRecords => matches!(self, Supervisor | Counsellor),
            ReviewClinical => matches!(self, HubManager | Supervisor),
            Supervise => matches!(self, HubManager | Supervisor),
            ReadAggregates => true,
            // Counsellors have the coaching view of their own caseload instead.
            ReadIndicators => self != Counsellor,
            ReadExactIndicators => matches!(self, Admin | HubManager | Supervisor),
            ReadAudit => self == Admin,
            RunAnalyses => matches!(self, Admin | HubManager | Researcher | Viewer),
        }
    }

    /// Whether this role's client-level view is limited to a caseload (own or supervisees'),
    /// rather than to whole hubs.
    pub fn is_caseload_scoped(self) -> bool {
        matches!(self, Role::Supervisor | Role::Counsellor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_never_read_client_rows_and_researchers_never_identities() {
        assert!(!Role::Viewer.can(Capability::ReadClientRecords));
        assert!(Role::Researcher.can(Capability::ReadClientRecords));
        assert!(!Role::Researcher.can(Capability::ReadIdentity));
        assert!(!Role::Researcher.can(Capability::WriteCareRecords));
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
