//! The plan: hubs, org units, programmes and staff, with their random effects. Small (a few
//! thousand rows even for a million clients), built in memory, pure.

use crate::params::{
    self, CURRENT_DAYS, CURRENT_ENROLMENTS, HubKind, HubParams, SW_ICC, SW_PERIOD_DAYS,
    SW_PERIOD_TREND, SW_PERIODS, SW_SEQUENCES, SW_TRUE_EFFECT,
};
use crate::{DemoConfig, DemoError, sub_rng};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Normal};
use scaleup_domain::date::Date;
use scaleup_domain::org::OrgLevel;
use scaleup_domain::role::Role;
use serde_json::json;

/// Clients per facility above which large runs add facilities.
const CLIENTS_PER_FACILITY: u64 = 2_500;

/// Clients screened over the window per counsellor a facility needs: `CLIENTS_PER_FACILITY`
/// over 2.5, the mean of the hubs' 2–3 counsellors per facility. Smaller demos staff each
/// facility for its volume (at least one counsellor), so that a demo of a few thousand clients
/// does not spread them over a full-size workforce and leave most counsellors without clients.
const CLIENTS_PER_COUNSELLOR: f64 = 1_000.0;

/// Everything except the client-level records.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub seed: u64,
    pub clients: u64,
    /// The day the demo is opened: every date is counted back from it (see `params`).
    pub today: Date,
    pub hubs: Vec<HubPlan>,
    /// Every account, in creation order: a supervisor always comes before its supervisees.
    pub accounts: Vec<AccountPlan>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HubPlan {
    pub params: HubParams,
    /// Country, region, districts, facilities; a parent always comes before its children.
    pub org_units: Vec<OrgUnitPlan>,
    pub facilities: Vec<FacilityPlan>,
    pub programme: ProgrammePlan,
    /// Clients of this hub: indices `first_client .. first_client + clients`.
    pub first_client: u64,
    pub clients: u64,
    /// First and last registration date.
    pub window: (Date, Date),
    /// The present: the last `current_clients` of the hub's clients register from
    /// `current_from` to the end of the window and are dealt to `counsellors` in turn; the
    /// others register before `current_from`, at facilities chosen by catchment. The number is
    /// what gives each counsellor about `params::CURRENT_ENROLMENTS` new enrolments over the
    /// present, never less than the history's own rate (so a full-size demo has a steady flow)
    /// and never more than the hub's `max_current_share` of its clients (so a small demo keeps
    /// a history: there the present is busier than the months before it).
    pub current_clients: u64,
    pub current_from: Date,
    /// The hub's counsellors (indices into `Plan::accounts`), in account order.
    pub counsellors: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrgUnitPlan {
    pub code: String,
    pub name: String,
    pub level: OrgLevel,
    /// Index into the hub's `org_units`.
    pub parent: Option<usize>,
    pub catchment_population: Option<i64>,
}

/// A facility and its random effects (see the crate documentation for where each enters).
#[derive(Clone, Debug, PartialEq)]
pub struct FacilityPlan {
    /// Index into the hub's `org_units`.
    pub org_unit: usize,
    pub catchment_population: i64,
    /// u_f: shift of latent severity at screening.
    pub severity_effect: f64,
    /// Shift of the log-odds of accepting an offer.
    pub uptake_effect: f64,
    /// Multiplier (log scale) of the dropout hazard.
    pub dropout_effect: f64,
    /// α_f: shift of the 12-week change (the clustering the trial's ICC describes).
    pub change_effect: f64,
    /// Counsellors working here (indices into `Plan::accounts`).
    pub counsellors: Vec<usize>,
    /// Stepped-wedge sequence: the period (1..=4) at which the facility starts the intervention.
    pub crossover_period: Option<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProgrammePlan {
    pub code: String,
    pub name: String,
    pub protocol_code: String,
    pub design: serde_json::Value,
    pub start_date: Date,
    pub alert_ack_hours: i64,
    pub sites: Vec<SitePlan>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SitePlan {
    /// Index into the hub's `org_units`.
    pub org_unit: usize,
    pub arm: Option<String>,
    pub cluster: Option<String>,
    pub crossover_period: Option<i64>,
}

#[derive(Clone, PartialEq)]
pub struct AccountPlan {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub hub: Option<usize>,
    /// Index into `Plan::accounts`.
    pub supervisor: Option<usize>,
    /// Indices into the hub's `org_units`.
    pub sites: Vec<usize>,
    /// Extra hubs this account may see (researcher, viewer).
    pub grants: Vec<usize>,
    pub password: String,
    /// Whether the account is printed for the user (one or more per role).
    pub listed: bool,
    /// For counsellors: the facility (index into the hub's `facilities`) and random effects.
    pub counsellor: Option<CounsellorPlan>,
}

/// Debug output never shows the password: plans are printed in test failures and logs.
impl std::fmt::Debug for AccountPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountPlan")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("hub", &self.hub)
            .field("supervisor", &self.supervisor)
            .field("sites", &self.sites)
            .field("grants", &self.grants)
            .field("password", &"<redacted>")
            .field("listed", &self.listed)
            .field("counsellor", &self.counsellor)
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CounsellorPlan {
    pub facility: usize,
    /// v_c: shift of the treatment change (therapist effect).
    pub change_effect: f64,
    /// Multiplier (log scale) of the dropout hazard.
    pub dropout_effect: f64,
    /// Probability of delivering each planned protocol component.
    pub fidelity: f64,
    /// Latent competence (ENACT/EQUIP level shift).
    pub competence: f64,
}

fn normal(sd: f64) -> Normal<f64> {
    Normal::new(0.0, sd.max(0.0)).expect("finite, non-negative SD")
}

/// A password of 16 characters from an alphabet without look-alikes.
fn password<R: Rng>(rng: &mut R) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// SD of the facility effect on change that gives `icc` against a within-facility SD of the
/// change of `sqrt(change_sd² + 2·occasion_sd²)` (person heterogeneity plus the occasion noise
/// of the two measurements the change is computed from).
pub fn cluster_sd(p: &HubParams, icc: f64) -> f64 {
    let within = p.change_sd.powi(2) + 2.0 * p.occasion_sd.powi(2);
    (icc / (1.0 - icc) * within).sqrt()
}

impl Plan {
    /// Builds the plan. Deterministic in `config`.
    pub fn new(config: &DemoConfig) -> Result<Plan, DemoError> {
        if config.clients == 0 || config.clients > crate::MAX_CLIENTS {
            return Err(DemoError::ClientCount {
                max: crate::MAX_CLIENTS,
            });
        }
        let mut rng = sub_rng(config.seed, u64::MAX, 0);
        let all = params::hubs();
        let mut accounts = vec![AccountPlan {
            username: "demo.admin".into(),
            display_name: "Demo administrator".into(),
            role: Role::Admin,
            hub: None,
            supervisor: None,
            sites: vec![],
            grants: vec![],
            password: password(&mut rng),
            listed: true,
            counsellor: None,
        }];
        let mut hubs = Vec::new();
        let mut first_client = 0u64;
        for (h, p) in all.iter().enumerate() {
            let clients = if h + 1 == all.len() {
                config.clients - first_client
            } else {
                (config.clients as f64 * p.client_share).round() as u64
            };
            let hub = build_hub(&mut rng, config, h, p, first_client, clients, &mut accounts);
            first_client += clients;
            hubs.push(hub);
        }
        // A researcher and a ministry viewer, homed in the Kenya hub (the trial) and granted
        // the other hubs.
        for (username, display, role) in [
            ("demo.researcher", "Demo researcher", Role::Researcher),
            ("demo.viewer", "Demo ministry viewer", Role::Viewer),
        ] {
            accounts.push(AccountPlan {
                username: username.into(),
                display_name: display.into(),
                role,
                hub: Some(2),
                supervisor: None,
                sites: vec![],
                grants: vec![0, 1],
                password: password(&mut rng),
                listed: true,
                counsellor: None,
            });
        }
        Ok(Plan {
            seed: config.seed,
            clients: config.clients,
            today: config.today,
            hubs,
            accounts,
        })
    }

    /// Lists `accounts` (indices into `accounts`) as the counsellors and supervisors printed for
    /// the user, in place of the first of each hub (see `Present::showcase`).
    pub fn list(&mut self, accounts: &[usize]) {
        for a in &mut self.accounts {
            if matches!(a.role, Role::Counsellor | Role::Supervisor) {
                a.listed = false;
            }
        }
        for &i in accounts {
            self.accounts[i].listed = true;
        }
    }

    /// The hub a client index belongs to.
    pub fn hub_of_client(&self, client: u64) -> usize {
        self.hubs
            .iter()
            .position(|h| client < h.first_client + h.clients)
            .unwrap_or(self.hubs.len() - 1)
    }

    /// Facilities over all hubs.
    pub fn facility_count(&self) -> usize {
        self.hubs.iter().map(|h| h.facilities.len()).sum()
    }
}

fn build_hub<R: Rng>(
    rng: &mut R,
    config: &DemoConfig,
    h: usize,
    p: &HubParams,
    first_client: u64,
    clients: u64,
    accounts: &mut Vec<AccountPlan>,
) -> HubPlan {
    let mut n_fac = p
        .base_facilities
        .max(clients.div_ceil(CLIENTS_PER_FACILITY) as usize);
    if p.kind == HubKind::KenyaPmPlus {
        // Equal numbers of clusters per sequence keep the stepped wedge balanced.
        n_fac = n_fac.div_ceil(SW_SEQUENCES) * SW_SEQUENCES;
    }
    let mut org_units = vec![
        OrgUnitPlan {
            code: p.country.to_ascii_lowercase(),
            name: p.country_name.into(),
            level: OrgLevel::Country,
            parent: None,
            catchment_population: None,
        },
        OrgUnitPlan {
            code: format!("{}-region", p.prefix),
            name: p.region.into(),
            level: OrgLevel::Region,
            parent: Some(0),
            catchment_population: None,
        },
    ];
    for (d, name) in p.districts.iter().enumerate() {
        org_units.push(OrgUnitPlan {
            code: format!("{}-d{}", p.prefix, d + 1),
            name: (*name).into(),
            level: OrgLevel::District,
            parent: Some(1),
            catchment_population: None,
        });
    }
    let tau = cluster_sd(p, SW_ICC);
    let mut facilities = Vec::new();
    for f in 0..n_fac {
        let district = 2 + f % p.districts.len();
        let catchment = rng.random_range(p.catchment.0..=p.catchment.1) / 100 * 100;
        org_units.push(OrgUnitPlan {
            code: format!("{}-f{:03}", p.prefix, f + 1),
            name: format!("{} clinic {:03}", p.districts[f % p.districts.len()], f + 1),
            level: OrgLevel::Facility,
            parent: Some(district),
            catchment_population: Some(catchment),
        });
        facilities.push(FacilityPlan {
            org_unit: org_units.len() - 1,
            catchment_population: catchment,
            severity_effect: normal(p.facility_sd).sample(rng),
            uptake_effect: normal(0.4).sample(rng),
            dropout_effect: normal(0.3).sample(rng),
            change_effect: normal(tau).sample(rng),
            counsellors: vec![],
            crossover_period: None,
        });
    }
    // Stepped wedge: shuffle the facilities, then deal them to sequences 1..=4 in turn.
    if p.kind == HubKind::KenyaPmPlus {
        let mut order: Vec<usize> = (0..n_fac).collect();
        order.shuffle(rng);
        for (i, f) in order.into_iter().enumerate() {
            facilities[f].crossover_period = Some(1 + i % SW_SEQUENCES);
        }
    }

    // Staff: the hub manager, then per group of facilities a supervisor followed by the
    // counsellors of those facilities.
    let first_account = accounts.len();
    let manager_password = password(rng);
    accounts.push(AccountPlan {
        username: format!("{}.manager", p.prefix),
        display_name: format!("{} hub manager", p.country_name),
        role: Role::HubManager,
        hub: Some(h),
        supervisor: None,
        sites: vec![],
        grants: vec![],
        password: manager_password,
        listed: true,
        counsellor: None,
    });
    let staffing = (clients as f64 / n_fac as f64 / CLIENTS_PER_COUNSELLOR)
        .ceil()
        .max(1.0) as usize;
    let per_facility: Vec<usize> = (0..n_fac)
        .map(|_| {
            rng.random_range(p.counsellors_per_facility.0..=p.counsellors_per_facility.1)
                .min(staffing)
        })
        .collect();
    let supervisor_password = password(rng);
    let counsellor_password = password(rng);
    let mut n_sup = 0;
    let mut n_couns = 0;
    let mut f = 0;
    while f < n_fac {
        // Facilities for this supervisor: add whole facilities until the span is reached.
        let mut group = vec![f];
        let mut span = per_facility[f];
        f += 1;
        while f < n_fac && span + per_facility[f] <= p.span_of_control {
            span += per_facility[f];
            group.push(f);
            f += 1;
        }
        n_sup += 1;
        let sup = accounts.len();
        accounts.push(AccountPlan {
            username: format!("{}.sup{:02}", p.prefix, n_sup),
            display_name: format!("Supervisor {} {:02}", p.prefix.to_uppercase(), n_sup),
            role: Role::Supervisor,
            hub: Some(h),
            supervisor: None,
            sites: group.iter().map(|&g| facilities[g].org_unit).collect(),
            grants: vec![],
            password: supervisor_password.clone(),
            listed: n_sup == 1,
            counsellor: None,
        });
        for &g in &group {
            for _ in 0..per_facility[g] {
                n_couns += 1;
                facilities[g].counsellors.push(accounts.len());
                accounts.push(AccountPlan {
                    username: format!("{}.c{:03}", p.prefix, n_couns),
                    display_name: format!("Counsellor {} {:03}", p.prefix.to_uppercase(), n_couns),
                    role: Role::Counsellor,
                    hub: Some(h),
                    supervisor: Some(sup),
                    sites: vec![facilities[g].org_unit],
                    grants: vec![],
                    password: counsellor_password.clone(),
                    listed: n_couns == 1,
                    counsellor: Some(CounsellorPlan {
                        facility: g,
                        change_effect: normal(p.counsellor_sd).sample(rng),
                        dropout_effect: normal(0.25).sample(rng),
                        fidelity: rng.random_range(0.75..0.98),
                        competence: normal(0.5).sample(rng),
                    }),
                });
            }
        }
    }

    let window = p.window(config.today);
    let generator = json!({
        "name": "scaleup-demo",
        "version": env!("CARGO_PKG_VERSION"),
        "seed": config.seed,
        "clients": config.clients,
        "today": config.today.to_string(),
    });
    let (design, sites) = if p.kind == HubKind::KenyaPmPlus {
        let sites = facilities
            .iter()
            .map(|fp| SitePlan {
                org_unit: fp.org_unit,
                arm: Some(format!("sequence_{}", fp.crossover_period.unwrap_or(0))),
                cluster: Some(org_units[fp.org_unit].code.clone()),
                crossover_period: fp.crossover_period.map(|c| c as i64),
            })
            .collect();
        let design = json!({
            "type": "stepped_wedge",
            "cluster_unit": "facility",
            "clusters": n_fac,
            "sequences": SW_SEQUENCES,
            "periods": SW_PERIODS,
            "period_days": SW_PERIOD_DAYS,
            "start_date": window.0.to_string(),
            "crossover": "a facility delivers PM+ to clients enrolled from the start of period `crossover_period` (0-based); period 0 is all control",
            "arms": ["control", "intervention"],
            "outcome": {
                "instrument": "phq9",
                "measure": "change in PHQ-9 total from the baseline assessment (enrolment) to the follow_up assessment",
                "follow_up_days": p.follow_up_days,
            },
            "true_effect": SW_TRUE_EFFECT,
            "true_effect_note": "intervention minus control in the expected PHQ-9 change, independent of sessions attended (intention to treat); the floor of the PHQ-9 at 0 attenuates the observed difference by about 0.15 points (normal-model approximation)",
            "icc": SW_ICC,
            "sd_cluster": tau,
            "sd_within_nominal": (p.change_sd.powi(2) + 2.0 * p.occasion_sd.powi(2)).sqrt(),
            "period_effects": (0..SW_PERIODS).map(|j| SW_PERIOD_TREND * j as f64).collect::<Vec<_>>(),
            "generator": generator,
        });
        (design, sites)
    } else {
        let sites = facilities
            .iter()
            .map(|fp| SitePlan {
                org_unit: fp.org_unit,
                arm: None,
                cluster: None,
                crossover_period: None,
            })
            .collect();
        (json!({"type": "routine", "generator": generator}), sites)
    };
    let counsellors: Vec<usize> = (first_account..accounts.len())
        .filter(|&i| accounts[i].role == Role::Counsellor)
        .collect();
    let current_clients = current_clients(p, clients, counsellors.len());
    HubPlan {
        params: p.clone(),
        org_units,
        facilities,
        programme: ProgrammePlan {
            code: p.programme_code.into(),
            name: p.programme_name.into(),
            protocol_code: p.protocol.into(),
            design,
            start_date: window.0,
            alert_ack_hours: 24,
            sites,
        },
        first_client,
        clients,
        window,
        current_clients,
        current_from: window.1.add_days(1 - CURRENT_DAYS),
        counsellors,
    }
}

/// How many of a hub's clients register in the present (see `HubPlan::current_clients`).
fn current_clients(p: &HubParams, clients: u64, counsellors: usize) -> u64 {
    let n = clients as f64;
    let steady = n * CURRENT_DAYS as f64 / p.window_days as f64;
    let wanted = counsellors as f64 * CURRENT_ENROLMENTS / p.enrolment_share;
    wanted.max(steady).min(n * p.max_current_share).round() as u64
}

#[cfg(test)]
mod debug_tests {
    /// Hardening issue, item 6: a plan printed with `{:?}` carries no password.
    #[test]
    fn debug_output_of_a_plan_never_shows_a_password() {
        let config = crate::DemoConfig {
            clients: 100,
            seed: 1,
            today: scaleup_domain::date::Date::parse("2026-12-06", "today").unwrap(),
        };
        let plan = super::Plan::new(&config).unwrap();
        let text = format!("{plan:?}");
        for a in &plan.accounts {
            assert!(
                !text.contains(&a.password),
                "{}'s password printed",
                a.username
            );
        }
        assert!(text.contains("<redacted>"));
    }
}
