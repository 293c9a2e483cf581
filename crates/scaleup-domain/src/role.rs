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
    /// Create, deactivate and reactivate accounts and reset passwords (hub managers: their
    /// hub's staff; the storage layer decides which accounts).
    ManageUsers,
    /// Move a counsellor's caseload to another counsellor of the same hub.
    MoveCaseloads,
    /// Upload instrument, protocol, item-text and price-list files for a hub.
    ManageDefinitions,
    /// Upload definition files that apply to every hub (network-wide).
    ManageNetworkDefinitions,
    /// Read client-level rows (scoped by caseload or hub).
    ReadClientRecords,
    /// Read identifying details (name, phone, address, birth date) of scoped clients.
    ReadIdentity,
    /// Open the hub console (the web pages for accounts, org units, programmes, definitions
    /// and the audit log). Each of its actions is guarded by its own capability as well.
    OpenHubConsole,
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
    /// Acknowledge a supervision safety flag: the hub's clinical lead (a hub manager).
    AcknowledgeSafetyFlags,
    /// Read the server's operational metrics (`GET /metrics`).
    ReadMetrics,
    /// Read the audit log (hub managers: the events of their hubs; admins: all).
    ReadAudit,
    /// Verify the audit chain and sign checkpoints of its head (the whole log).
    VerifyAudit,
    /// Run analyses (models, power, economics) on uploaded documents and on the aggregates and
    /// pseudonymised outcomes of the caller's hubs. Results are aggregates; care staff do not
    /// need them for their work.
    RunAnalyses,
}

impl Capability {
    /// A stable name (`manage_users`): the key of the action's words in the web pages'
    /// message catalogues (`capability-manage_users`).
    pub fn as_str(self) -> &'static str {
        use Capability::*;
        match self {
            ManageHubs => "manage_hubs",
            ManageHubSetup => "manage_hub_setup",
            ManageUsers => "manage_users",
            MoveCaseloads => "move_caseloads",
            ManageDefinitions => "manage_definitions",
            ManageNetworkDefinitions => "manage_network_definitions",
            OpenHubConsole => "open_hub_console",
            ReadClientRecords => "read_client_records",
            ReadIdentity => "read_identity",
            WriteCareRecords => "write_care_records",
            ReviewClinical => "review_clinical",
            Supervise => "supervise",
            ReadAggregates => "read_aggregates",
            ReadIndicators => "read_indicators",
            ReadExactIndicators => "read_exact_indicators",
            AcknowledgeSafetyFlags => "acknowledge_safety_flags",
            ReadMetrics => "read_metrics",
            ReadAudit => "read_audit",
            VerifyAudit => "verify_audit",
            RunAnalyses => "run_analyses",
        }
    }

    /// The action in words, for refusals.
    pub fn describe(self) -> &'static str {
        use Capability::*;
        match self {
            ManageHubs => "create hubs or grant access across hubs",
            ManageHubSetup => "set up org units and programmes",
            ManageUsers => "create, deactivate or reset accounts",
            MoveCaseloads => "move a caseload to another counsellor",
            ManageDefinitions => "upload definition files",
            ManageNetworkDefinitions => "upload network-wide definition files",
            OpenHubConsole => "open the hub console",
            ReadClientRecords => "read client records",
            ReadIdentity => "read clients' identifying details",
            WriteCareRecords => "write care records",
            ReviewClinical => "review risk alerts and sync conflicts",
            Supervise => "record supervision",
            ReadAggregates => "read aggregates",
            ReadIndicators => "read programme indicators",
            ReadExactIndicators => "read exact indicator counts",
            AcknowledgeSafetyFlags => "acknowledge supervision safety flags",
            ReadMetrics => "read the server's metrics",
            ReadAudit => "read the audit log",
            VerifyAudit => "verify the audit chain",
            RunAnalyses => "run analyses",
        }
    }
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

    /// The roles that may do `capability`, in [`Role::ALL`]'s order: a refusal names them so
    /// the caller knows whom to ask.
    pub fn holders(capability: Capability) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| r.can(capability))
            .collect()
    }

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
            ManageHubSetup | ManageUsers | MoveCaseloads | ManageDefinitions => {
                matches!(self, Admin | HubManager)
            }
            ManageNetworkDefinitions => self == Admin,
            OpenHubConsole => matches!(self, Admin | HubManager),
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
            // Issue 8: a hub's own managers and researchers (who may see its client rows
            // anyway) see exact counts; supervisors too. Viewers never.
            ReadExactIndicators => matches!(self, Admin | HubManager | Supervisor | Researcher),
            // Hub managers read their hubs' events; the chain itself is the installation's.
            ReadAudit => matches!(self, Admin | HubManager),
            VerifyAudit => self == Admin,
            // The hub's clinical lead; there is no separate clinical-lead role.
            AcknowledgeSafetyFlags => self == HubManager,
            ReadMetrics => self == Admin,
            RunAnalyses => matches!(self, Admin | HubManager | Researcher | Viewer),
        }
    }

    /// Whether the role's scope is every hub of the installation (rather than the hubs it
    /// belongs to or was granted). Scoping by hub asks this, not `== Admin`.
    pub fn sees_every_hub(self) -> bool {
        self == Role::Admin
    }

    /// Whether an account of this role belongs to a hub (every role but admin).
    pub fn belongs_to_a_hub(self) -> bool {
        !self.sees_every_hub()
    }

    /// Whether this role may create (or give) an account of role `other`: admins any, hub
    /// managers any but admin (within their own hub: a scope the store checks).
    pub fn may_grant(self, other: Role) -> bool {
        self.can(Capability::ManageUsers) && (self == Role::Admin || other != Role::Admin)
    }

    /// Whether accounts of this role hold a caseload of clients (so one can be moved to them).
    pub fn holds_caseload(self) -> bool {
        matches!(self, Role::Counsellor | Role::Supervisor)
    }

    /// How the role is named in messages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::HubManager => "hub manager",
            Role::Supervisor => "supervisor",
            Role::Counsellor => "counsellor",
            Role::Researcher => "researcher",
            Role::Viewer => "viewer",
        }
    }

    /// The sentence a refusal gives: what this role may not do, and who may, so the caller
    /// knows whom to ask ("your role (supervisor) may not create, deactivate or reset accounts:
    /// an admin or a hub manager can").
    pub fn refusal(self, capability: Capability) -> String {
        let holders: Vec<String> = Role::holders(capability)
            .into_iter()
            .map(|r| {
                let label = r.label();
                let article = if label.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                format!("{article} {label}")
            })
            .collect();
        let who = match holders.as_slice() {
            [] => "no role".to_string(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        };
        format!(
            "your role ({}) may not {}: {who} can",
            self.label(),
            capability.describe()
        )
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
    fn exact_indicators_only_for_roles_that_see_client_rows_of_their_hub() {
        for role in Role::ALL {
            if role.can(Capability::ReadExactIndicators) {
                assert!(role.can(Capability::ReadClientRecords), "{role:?}");
                assert!(role.can(Capability::ReadIndicators), "{role:?}");
            }
        }
        assert!(Role::Viewer.can(Capability::ReadIndicators));
        assert!(!Role::Viewer.can(Capability::ReadExactIndicators));
        assert!(Role::Researcher.can(Capability::ReadExactIndicators));
        assert!(!Role::Counsellor.can(Capability::ReadIndicators));
    }

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

    #[test]
    fn a_refusal_says_who_may() {
        assert_eq!(
            Role::Supervisor.refusal(Capability::ManageUsers),
            "your role (supervisor) may not create, deactivate or reset accounts: an admin or a hub manager can"
        );
        assert_eq!(
            Role::HubManager.refusal(Capability::ManageNetworkDefinitions),
            "your role (hub manager) may not upload network-wide definition files: an admin can"
        );
        // Hub managers read their hubs' audit events; only admins verify the chain.
        assert!(Role::HubManager.can(Capability::ReadAudit));
        assert!(!Role::HubManager.can(Capability::VerifyAudit));
        assert!(!Role::Supervisor.can(Capability::MoveCaseloads));
        assert_eq!(
            Role::holders(Capability::OpenHubConsole),
            [Role::Admin, Role::HubManager]
        );
    }

    /// Hardening item 12: the rules the store and the web edge used to spell out with
    /// `role == Role::Admin` live here.
    #[test]
    fn account_and_scope_rules_live_with_the_roles() {
        assert!(Role::Admin.sees_every_hub());
        for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
            assert!(
                !role.sees_every_hub() && role.belongs_to_a_hub(),
                "{role:?}"
            );
            assert!(!Role::HubManager.may_grant(Role::Admin));
            assert!(Role::HubManager.may_grant(role), "{role:?}");
            assert!(Role::Admin.may_grant(role));
            assert!(!Role::Supervisor.may_grant(role), "{role:?}");
        }
        assert!(Role::Admin.may_grant(Role::Admin));
        assert_eq!(
            Role::holders(Capability::AcknowledgeSafetyFlags),
            [Role::HubManager]
        );
        assert_eq!(Role::holders(Capability::ReadMetrics), [Role::Admin]);
        assert!(Role::Supervisor.holds_caseload() && Role::Counsellor.holds_caseload());
        assert!(!Role::HubManager.holds_caseload());
    }
}
