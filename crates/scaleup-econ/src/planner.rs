//! Scale-up planner: from population, prevalence, a coverage path, the dose of the intervention
//! and workforce parameters to counsellors, supervisors, training cohorts, achievable coverage,
//! budget and the treatment gap, year by year.
//!
//! Formulas (reference doc §8.1, sessions-based lay-counsellor model; Bruckner et al. 2011 for
//! the needs-based form):
//! ```text
//! hours_per_client   = sessions·(session_min + admin_min_per_session)/60
//!                      + supervision_h_per_client + other_h_per_client   (or given directly)
//! capacity_h         = hours_per_year · productive_fraction              (per counsellor)
//! need_t             = population_t · prevalence
//! target_clients_t   = need_t · coverage_t
//! counsellors_needed = ceil((target_clients_t·hours_per_client + sites·site_h_per_month·12) / capacity_h)
//! retained_t         = initial (t = 0) or in_post_{t−1}·(1 − attrition)
//! trainees_t         = min(ceil(max(0, needed − retained)/completion), max_cohorts·cohort_size)
//! in_post_t          = retained_t + trainees_t·completion                 (expected head count)
//! served_t           = min(target_clients_t, max(0, in_post_t·capacity_h − site_hours)/hours_per_client)
//! supervisors_t      = ceil(in_post_t / span)
//! ```
//! Head counts in post are expected values (attrition is a rate), so they can be fractional;
//! requirements, trainees, cohorts and supervisors are whole numbers. Span of control, attrition
//! and productive hours have no citable published defaults (§8.1) and are required inputs.

use crate::input::{
    FileError, ParamError, PerYear, ceil_count, check_nonneg, check_positive, check_range,
    check_start_year, check_years, locate_param, parse_toml,
};
use scaleup_format as fmt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest planning horizon, in years.
pub const MAX_YEARS: usize = 100;

/// Validated-on-use parameters of one planning scenario. Build them directly in code or parse a
/// scenario file with [`parse_scenario_file`]; [`project`] checks every rule before computing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannerParams {
    /// Scenario label.
    pub name: String,
    /// First calendar year of the projection.
    pub start_year: i32,
    /// Number of years projected.
    pub years: usize,
    /// Population in the first year (the group the prevalence applies to, e.g. adults).
    pub population: f64,
    /// Annual population growth rate.
    pub population_growth: f64,
    /// Share of the population needing the intervention (e.g. point prevalence of CMD).
    pub prevalence: f64,
    /// Target coverage of need, one value per year.
    pub coverage: Vec<f64>,
    /// Counsellor hours per client for the whole course of treatment.
    pub hours_per_client: f64,
    /// Working hours per counsellor per year.
    pub hours_per_year: f64,
    /// Share of working hours available for client work (the rest: travel, leave, meetings).
    pub productive_fraction: f64,
    /// Counsellors per supervisor.
    pub supervision_span: f64,
    /// Share of counsellors leaving per year.
    pub attrition: f64,
    /// Share of supervisors leaving per year.
    pub supervisor_attrition: f64,
    /// Counsellors in post at the start of the first year.
    pub initial_counsellors: f64,
    /// Supervisors in post at the start of the first year.
    pub initial_supervisors: f64,
    /// Share of trainees who complete training and start work.
    pub training_completion: f64,
    /// Trainees per training cohort.
    pub cohort_size: f64,
    /// Maximum training cohorts per year (training throughput); `None` is unlimited.
    pub max_cohorts_per_year: Option<f64>,
    /// Number of sites (clinics) with fixed counsellor time.
    pub sites: f64,
    /// Counsellor hours per site per month not tied to clients (e.g. patient mobilisation).
    pub site_hours_per_month: f64,
    /// Cost of one counsellor in post for a year (salary or stipend and on-costs).
    pub counsellor_annual_cost: f64,
    /// Cost of one supervisor in post for a year.
    pub supervisor_annual_cost: f64,
    /// Training cost per trainee.
    pub training_cost_per_trainee: f64,
    /// Fixed cost per training cohort (venue, trainers).
    pub training_cost_per_cohort: f64,
    /// Cost of preparing one new supervisor.
    pub supervisor_training_cost: f64,
    /// Other cost per client served (materials, assessments).
    pub cost_per_client: f64,
    /// Fixed programme cost per year (central overheads, management).
    pub fixed_annual_cost: f64,
    /// One-off cost in the first year (needs assessment, set-up).
    pub one_off_cost: f64,
    /// Optional budget ceiling per year; trainees are cut to stay within it.
    pub budget_cap: Option<Vec<f64>>,
}

/// One year of a projection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanYear {
    /// Calendar year.
    pub year: i32,
    /// Population.
    pub population: f64,
    /// People in need (population × prevalence).
    pub need: f64,
    /// Target coverage of need.
    pub coverage_target: f64,
    /// Clients the target coverage implies.
    pub target_clients: f64,
    /// Counsellors required for the target (whole people).
    pub counsellors_needed: f64,
    /// Counsellors still in post from last year (expected).
    pub counsellors_retained: f64,
    /// Trainees enrolled this year.
    pub trainees: f64,
    /// Training cohorts run.
    pub cohorts: f64,
    /// Counsellors in post (expected head count).
    pub counsellors_in_post: f64,
    /// Whether training throughput kept the workforce below the need.
    pub workforce_limited: bool,
    /// Budget ceiling for the year, when given.
    pub budget_cap: Option<f64>,
    /// Whether the budget ceiling reduced this year's trainees.
    pub budget_limited: bool,
    /// Whether the year costs more than the ceiling even with no trainees (staff in post and
    /// fixed costs alone exceed it).
    pub over_budget: bool,
    /// Supervisors in post.
    pub supervisors: f64,
    /// New supervisors prepared this year (expected).
    pub new_supervisors: f64,
    /// Clients the counsellors in post can serve.
    pub capacity_clients: f64,
    /// Clients served: the target, or fewer when the workforce is short.
    pub clients_served: f64,
    /// Served clients as a share of need.
    pub coverage_achieved: f64,
    /// Share of need untreated (1 − achieved coverage).
    pub treatment_gap: f64,
    /// People in need not served.
    pub untreated: f64,
    /// Costs this year by category.
    pub costs: PlanCosts,
    /// Total cost per client served (null when none served).
    pub cost_per_client_served: Option<f64>,
}

struct YearOutcome {
    trainees: f64,
    cohorts: f64,
    in_post: f64,
    supervisors: f64,
    new_supervisors: f64,
    capacity_clients: f64,
    clients_served: f64,
    costs: PlanCosts,
}

/// Costs of one year, by category.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PlanCosts {
    /// Counsellors in post × annual cost.
    pub counsellors: f64,
    /// Supervisors in post × annual cost.
    pub supervisors: f64,
    /// Trainees, cohorts and new supervisors.
    pub training: f64,
    /// Per-client costs of clients served.
    pub per_client: f64,
    /// Fixed annual programme cost.
    pub fixed: f64,
    /// One-off set-up cost (first year only).
    pub one_off: f64,
    /// Sum of the above.
    pub total: f64,
}

/// A whole projection for one scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projection {
    /// Scenario label.
    pub name: String,
    /// Derived constants shown to the user.
    pub derived: Derived,
    /// Year by year.
    pub years: Vec<PlanYear>,
    /// Totals over the horizon (undiscounted).
    pub totals: PlanTotals,
}

/// Quantities derived from the parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Derived {
    /// Counsellor hours per client.
    pub hours_per_client: f64,
    /// Productive hours per counsellor per year.
    pub capacity_hours: f64,
    /// Clients one counsellor can serve per year ignoring site time.
    pub clients_per_counsellor: f64,
    /// Maximum trainees per year (null when unlimited).
    pub max_trainees_per_year: Option<f64>,
}

/// Totals over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanTotals {
    /// Clients served.
    pub clients_served: f64,
    /// Trainees enrolled.
    pub trainees: f64,
    /// Cohorts run.
    pub cohorts: f64,
    /// Total cost (undiscounted).
    pub cost: f64,
    /// Total cost per client served.
    pub cost_per_client_served: Option<f64>,
}

impl PlannerParams {
    /// Checks every rule, naming the first field that breaks one.
    pub fn validate(&self) -> Result<(), ParamError> {
        check_years(self.years, MAX_YEARS)?;
        check_start_year(self.start_year)?;
        if self.coverage.len() != self.years {
            return Err(ParamError::new(
                "coverage",
                format!(
                    "has {} values but the horizon is {} years",
                    self.coverage.len(),
                    self.years
                ),
            ));
        }
        check_nonneg("population", self.population)?;
        check_range("population_growth", &[self.population_growth], -0.5, 1.0)?;
        check_range("prevalence", &[self.prevalence], 0.0, 1.0)?;
        check_range("coverage", &self.coverage, 0.0, 1.0)?;
        check_positive("hours_per_client", self.hours_per_client)?;
        check_positive("hours_per_year", self.hours_per_year)?;
        check_range("productive_fraction", &[self.productive_fraction], 0.0, 1.0)?;
        check_positive("productive_fraction", self.productive_fraction)?;
        check_positive("supervision_span", self.supervision_span)?;
        check_range("attrition", &[self.attrition], 0.0, 0.999)?;
        check_range(
            "supervisor_attrition",
            &[self.supervisor_attrition],
            0.0,
            0.999,
        )?;
        check_nonneg("initial_counsellors", self.initial_counsellors)?;
        check_nonneg("initial_supervisors", self.initial_supervisors)?;
        check_range("training_completion", &[self.training_completion], 0.0, 1.0)?;
        check_positive("training_completion", self.training_completion)?;
        check_positive("cohort_size", self.cohort_size)?;
        if let Some(m) = self.max_cohorts_per_year {
            check_nonneg("max_cohorts_per_year", m)?;
        }
        check_nonneg("sites", self.sites)?;
        check_nonneg("site_hours_per_month", self.site_hours_per_month)?;
        for (f, v) in [
            ("counsellor_annual_cost", self.counsellor_annual_cost),
            ("supervisor_annual_cost", self.supervisor_annual_cost),
            ("training_cost_per_trainee", self.training_cost_per_trainee),
            ("training_cost_per_cohort", self.training_cost_per_cohort),
            ("supervisor_training_cost", self.supervisor_training_cost),
            ("cost_per_client", self.cost_per_client),
            ("fixed_annual_cost", self.fixed_annual_cost),
            ("one_off_cost", self.one_off_cost),
        ] {
            check_nonneg(f, v)?;
        }
        if let Some(cap) = &self.budget_cap {
            if cap.len() != self.years {
                return Err(ParamError::new(
                    "budget_cap",
                    format!(
                        "has {} values but the horizon is {} years",
                        cap.len(),
                        self.years
                    ),
                ));
            }
            check_range("budget_cap", cap, 0.0, f64::MAX)?;
        }
        Ok(())
    }
}

/// Projects one scenario year by year. Fails only on invalid parameters.
pub fn project(p: &PlannerParams) -> Result<Projection, ParamError> {
    p.validate()?;
    let capacity_h = p.hours_per_year * p.productive_fraction;
    let site_hours = p.sites * p.site_hours_per_month * 12.0;
    let max_trainees = p.max_cohorts_per_year.map(|m| m * p.cohort_size);

    let mut years = Vec::with_capacity(p.years);
    let mut prev_in_post = p.initial_counsellors;
    let mut prev_supervisors = p.initial_supervisors;
    for t in 0..p.years {
        let population = p.population * (1.0 + p.population_growth).powi(t as i32);
        let need = population * p.prevalence;
        let coverage_target = p.coverage[t];
        let target_clients = need * coverage_target;
        let hours_needed = target_clients * p.hours_per_client + site_hours;
        let counsellors_needed = if target_clients > 0.0 {
            ceil_count(hours_needed / capacity_h)
        } else {
            0.0
        };
        let retained = if t == 0 {
            p.initial_counsellors
        } else {
            prev_in_post * (1.0 - p.attrition)
        };
        let deficit = (counsellors_needed - retained).max(0.0);
        let wanted = ceil_count(deficit / p.training_completion);
        let trainees = match max_trainees {
            Some(m) => wanted.min(m.floor()),
            None => wanted,
        };
        let workforce_limited = trainees < wanted;
        let sup_retained = if t == 0 {
            p.initial_supervisors
        } else {
            prev_supervisors * (1.0 - p.supervisor_attrition)
        };
        // Everything that follows from the number of trainees enrolled this year.
        let outcome = |trainees: f64| -> YearOutcome {
            let cohorts = ceil_count(trainees / p.cohort_size);
            let in_post = retained + trainees * p.training_completion;
            let supervisors = ceil_count(in_post / p.supervision_span);
            let new_supervisors = (supervisors - sup_retained).max(0.0);
            let client_hours = (in_post * capacity_h - site_hours).max(0.0);
            let capacity_clients = client_hours / p.hours_per_client;
            let clients_served = target_clients.min(capacity_clients);
            let mut costs = PlanCosts {
                counsellors: in_post * p.counsellor_annual_cost,
                supervisors: supervisors * p.supervisor_annual_cost,
                training: trainees * p.training_cost_per_trainee
                    + cohorts * p.training_cost_per_cohort
                    + new_supervisors * p.supervisor_training_cost,
                per_client: clients_served * p.cost_per_client,
                fixed: p.fixed_annual_cost,
                one_off: if t == 0 { p.one_off_cost } else { 0.0 },
                total: 0.0,
            };
            costs.total = costs.counsellors
                + costs.supervisors
                + costs.training
                + costs.per_client
                + costs.fixed
                + costs.one_off;
            YearOutcome {
                trainees,
                cohorts,
                in_post,
                supervisors,
                new_supervisors,
                capacity_clients,
                clients_served,
                costs,
            }
        };
        let mut o = outcome(trainees);
        let cap = p.budget_cap.as_ref().map(|c| c[t]);
        let mut budget_limited = false;
        if let Some(cap) = cap
            && o.costs.total > cap
        {
            // Enrol fewer trainees until the year fits the budget. Staff already in post are
            // kept (a plan does not dismiss counsellors), so a year can stay over budget even
            // with no trainees; `over_budget` reports that.
            budget_limited = true;
            // Cost never falls when trainees are added (every component is non-decreasing in
            // the number of trainees), so bisect for the largest count that fits.
            let (mut lo, mut hi) = (0.0f64, trainees);
            o = outcome(0.0);
            if o.costs.total <= cap {
                while hi - lo > 1.0 {
                    let mid = ((lo + hi) / 2.0).floor();
                    if outcome(mid).costs.total <= cap {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                o = outcome(lo);
            }
        }
        let over_budget = cap.is_some_and(|c| o.costs.total > c + 1e-9);
        let YearOutcome {
            trainees,
            cohorts,
            in_post,
            supervisors,
            new_supervisors,
            capacity_clients,
            clients_served,
            costs,
        } = o;
        let coverage_achieved = if need > 0.0 {
            clients_served / need
        } else {
            0.0
        };
        let cost_per_client_served = (clients_served > 0.0).then(|| costs.total / clients_served);

        years.push(PlanYear {
            year: p.start_year + t as i32,
            population,
            need,
            coverage_target,
            target_clients,
            counsellors_needed,
            counsellors_retained: retained,
            trainees,
            cohorts,
            counsellors_in_post: in_post,
            workforce_limited,
            budget_cap: cap,
            budget_limited,
            over_budget,
            supervisors,
            new_supervisors,
            capacity_clients,
            clients_served,
            coverage_achieved,
            treatment_gap: 1.0 - coverage_achieved,
            untreated: need - clients_served,
            costs,
            cost_per_client_served,
        });
        prev_in_post = in_post;
        prev_supervisors = supervisors;
    }
    let clients_served: f64 = years.iter().map(|y| y.clients_served).sum();
    let cost: f64 = years.iter().map(|y| y.costs.total).sum();
    let totals = PlanTotals {
        clients_served,
        trainees: years.iter().map(|y| y.trainees).sum(),
        cohorts: years.iter().map(|y| y.cohorts).sum(),
        cost,
        cost_per_client_served: (clients_served > 0.0).then(|| cost / clients_served),
    };
    Ok(Projection {
        name: p.name.clone(),
        derived: Derived {
            hours_per_client: p.hours_per_client,
            capacity_hours: capacity_h,
            clients_per_counsellor: capacity_h / p.hours_per_client,
            max_trainees_per_year: max_trainees,
        },
        years,
        totals,
    })
}

// ---------------------------------------------------------------------------------------------
// Scenario files.

/// Parameters as written in a file: everything optional so that `[base]` and each
/// `[[scenario]]` can be merged (the scenario wins).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParams {
    name: Option<String>,
    start_year: Option<i32>,
    years: Option<usize>,
    population: Option<f64>,
    population_growth: Option<f64>,
    prevalence: Option<f64>,
    coverage: Option<PerYear>,
    coverage_start: Option<f64>,
    coverage_end: Option<f64>,
    hours_per_client: Option<f64>,
    sessions: Option<f64>,
    session_minutes: Option<f64>,
    admin_minutes_per_session: Option<f64>,
    supervision_hours_per_client: Option<f64>,
    other_hours_per_client: Option<f64>,
    hours_per_year: Option<f64>,
    productive_fraction: Option<f64>,
    supervision_span: Option<f64>,
    attrition: Option<f64>,
    supervisor_attrition: Option<f64>,
    initial_counsellors: Option<f64>,
    initial_supervisors: Option<f64>,
    training_completion: Option<f64>,
    cohort_size: Option<f64>,
    max_cohorts_per_year: Option<f64>,
    sites: Option<f64>,
    site_hours_per_month: Option<f64>,
    counsellor_annual_cost: Option<f64>,
    supervisor_annual_cost: Option<f64>,
    training_cost_per_trainee: Option<f64>,
    training_cost_per_cohort: Option<f64>,
    supervisor_training_cost: Option<f64>,
    cost_per_client: Option<f64>,
    fixed_annual_cost: Option<f64>,
    one_off_cost: Option<f64>,
    budget_cap: Option<PerYear>,
    /// A scenario's own one-way ranges (parameter → [low, high]), replacing the shared
    /// `[sensitivity]` range of the same parameter for this scenario only.
    sensitivity: Option<BTreeMap<String, Vec<f64>>>,
}

macro_rules! merge {
    ($a:expr, $b:expr; $($f:ident),* $(,)?) => {
        RawParams { $($f: $a.$f.clone().or_else(|| $b.$f.clone()),)* }
    };
}

impl RawParams {
    fn over(&self, base: &RawParams) -> RawParams {
        merge!(self, base; name, start_year, years, population, population_growth, prevalence,
            coverage, coverage_start, coverage_end, hours_per_client, sessions, session_minutes,
            admin_minutes_per_session, supervision_hours_per_client, other_hours_per_client,
            hours_per_year, productive_fraction, supervision_span, attrition, supervisor_attrition,
            initial_counsellors, initial_supervisors, training_completion, cohort_size,
            max_cohorts_per_year, sites, site_hours_per_month, counsellor_annual_cost,
            supervisor_annual_cost, training_cost_per_trainee, training_cost_per_cohort,
            supervisor_training_cost, cost_per_client, fixed_annual_cost, one_off_cost, budget_cap,
            sensitivity)
    }

    fn into_params(self, index: usize) -> Result<PlannerParams, ParamError> {
        fn req<T>(v: Option<T>, f: &str) -> Result<T, ParamError> {
            v.ok_or_else(|| ParamError::new(f, "is required (in the scenario or in [base])"))
        }
        let years = req(self.years, "years")?;
        check_years(years, MAX_YEARS)?;
        if let Some(y) = self.start_year {
            check_start_year(y)?;
        }
        let coverage = match (&self.coverage, self.coverage_start, self.coverage_end) {
            (Some(c), None, None) => c.expand("coverage", years)?,
            (None, Some(a), Some(b)) => linear_path(a, b, years),
            (None, None, None) => {
                return Err(ParamError::new(
                    "coverage",
                    "is required: a list per year, one value, or coverage_start and coverage_end",
                ));
            }
            _ => {
                return Err(ParamError::new(
                    "coverage",
                    "give either `coverage` or both `coverage_start` and `coverage_end`",
                ));
            }
        };
        let dose_given = self.sessions.is_some()
            || self.session_minutes.is_some()
            || self.admin_minutes_per_session.is_some()
            || self.supervision_hours_per_client.is_some()
            || self.other_hours_per_client.is_some();
        let hours_per_client = match (self.hours_per_client, dose_given) {
            (Some(h), false) => h,
            (Some(_), true) => {
                return Err(ParamError::new(
                    "hours_per_client",
                    "give either hours_per_client or the dose fields (sessions, session_minutes, ...), not both",
                ));
            }
            (None, _) => {
                let sessions = req(self.sessions, "sessions")?;
                let minutes = req(self.session_minutes, "session_minutes")?;
                let admin = self.admin_minutes_per_session.unwrap_or(0.0);
                check_nonneg("sessions", sessions)?;
                check_nonneg("session_minutes", minutes)?;
                check_nonneg("admin_minutes_per_session", admin)?;
                let sup = self.supervision_hours_per_client.unwrap_or(0.0);
                let other = self.other_hours_per_client.unwrap_or(0.0);
                check_nonneg("supervision_hours_per_client", sup)?;
                check_nonneg("other_hours_per_client", other)?;
                sessions * (minutes + admin) / 60.0 + sup + other
            }
        };
        let attrition = req(self.attrition, "attrition")?;
        Ok(PlannerParams {
            name: self
                .name
                .unwrap_or_else(|| format!("Scenario {}", index + 1)),
            start_year: self.start_year.unwrap_or(1),
            years,
            population: req(self.population, "population")?,
            population_growth: self.population_growth.unwrap_or(0.0),
            prevalence: req(self.prevalence, "prevalence")?,
            coverage,
            hours_per_client,
            hours_per_year: req(self.hours_per_year, "hours_per_year")?,
            productive_fraction: req(self.productive_fraction, "productive_fraction")?,
            supervision_span: req(self.supervision_span, "supervision_span")?,
            attrition,
            supervisor_attrition: self.supervisor_attrition.unwrap_or(attrition),
            initial_counsellors: self.initial_counsellors.unwrap_or(0.0),
            initial_supervisors: self.initial_supervisors.unwrap_or(0.0),
            training_completion: self.training_completion.unwrap_or(1.0),
            cohort_size: self.cohort_size.unwrap_or(20.0),
            max_cohorts_per_year: self.max_cohorts_per_year,
            sites: self.sites.unwrap_or(0.0),
            site_hours_per_month: self.site_hours_per_month.unwrap_or(0.0),
            counsellor_annual_cost: self.counsellor_annual_cost.unwrap_or(0.0),
            supervisor_annual_cost: self.supervisor_annual_cost.unwrap_or(0.0),
            training_cost_per_trainee: self.training_cost_per_trainee.unwrap_or(0.0),
            training_cost_per_cohort: self.training_cost_per_cohort.unwrap_or(0.0),
            supervisor_training_cost: self.supervisor_training_cost.unwrap_or(0.0),
            cost_per_client: self.cost_per_client.unwrap_or(0.0),
            fixed_annual_cost: self.fixed_annual_cost.unwrap_or(0.0),
            one_off_cost: self.one_off_cost.unwrap_or(0.0),
            budget_cap: self
                .budget_cap
                .as_ref()
                .map(|c| c.expand("budget_cap", years))
                .transpose()?,
        })
    }
}

/// Linear path from `a` in the first year to `b` in the last (Chisholm et al. 2016 scale-up
/// shape); a one-year horizon takes `b`.
pub fn linear_path(a: f64, b: f64, years: usize) -> Vec<f64> {
    if years <= 1 {
        return vec![b; years];
    }
    (0..years)
        .map(|t| a + (b - a) * t as f64 / (years - 1) as f64)
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    title: Option<String>,
    currency: Option<String>,
    price_year: Option<i32>,
    #[serde(default)]
    sources: BTreeMap<String, String>,
    #[serde(default)]
    base: RawParams,
    #[serde(default)]
    scenario: Vec<RawParams>,
    #[serde(default)]
    sensitivity: BTreeMap<String, Vec<f64>>,
}

/// A parsed planner file: shared labels and the scenarios, each fully specified.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannerFile {
    /// Title for reports.
    pub title: String,
    /// Currency label of every cost.
    pub currency: String,
    /// Price year of every cost.
    pub price_year: Option<i32>,
    /// Source or justification per parameter name, echoed in reports.
    pub sources: BTreeMap<String, String>,
    /// Scenarios, in file order.
    pub scenarios: Vec<PlannerParams>,
    /// One-way sensitivity ranges per scenario (aligned with `scenarios`): parameter →
    /// (low, high). Each scenario has the file's shared `[sensitivity]` ranges, replaced by its
    /// own `sensitivity` table where it has one, and every range brackets the scenario's value
    /// (checked by [`check_sensitivity_range`]).
    pub sensitivity: Vec<BTreeMap<String, (f64, f64)>>,
}

/// Parses a planner scenario file: optional `title`, `currency`, `price_year`, a `[base]`
/// table of shared parameters, one `[[scenario]]` per scenario (overriding `[base]`) and an
/// optional `[sources]` table. Every parameter is checked; errors carry the line.
pub fn parse_scenario_file(text: &str) -> Result<PlannerFile, FileError> {
    let raw: RawFile = parse_toml(text)?;
    if raw.scenario.is_empty() {
        return Err(FileError::Invalid {
            line: None,
            field: "scenario".into(),
            message: "at least one [[scenario]] table is required".into(),
        });
    }
    let mut scenarios = Vec::new();
    for (i, s) in raw.scenario.iter().enumerate() {
        let prefix = format!("scenario[{i}]");
        let params = s
            .over(&raw.base)
            .into_params(i)
            .and_then(|p| p.validate().map(|()| p))
            .map_err(|e| locate_param(text, e.within(&prefix), &["base"]))?;
        scenarios.push(params);
    }
    if raw.base.sensitivity.is_some() {
        return Err(locate_param(
            text,
            ParamError::new(
                "base.sensitivity",
                "ranges shared by every scenario go in the top-level [sensitivity] table",
            ),
            &[],
        ));
    }
    let mut sensitivity = Vec::with_capacity(scenarios.len());
    for (i, p) in scenarios.iter().enumerate() {
        // The scenario's own ranges win over the shared ones: a scenario defined by a value
        // (the 2020 utilisation case's productive_fraction) needs a range around that value,
        // not the range written for the others.
        let own = raw.scenario[i].sensitivity.clone().unwrap_or_default();
        let mut ranges = BTreeMap::new();
        for (name, range) in raw
            .sensitivity
            .iter()
            .filter(|(n, _)| !own.contains_key(*n))
        {
            let field = format!("sensitivity.{name}");
            let range = sensitivity_range(p, name, range)
                .map_err(|e| locate_param(text, ParamError::new(field, e.message), &[]))?;
            ranges.insert(name.clone(), range);
        }
        for (name, range) in &own {
            let field = format!("scenario[{i}].sensitivity.{name}");
            let range = sensitivity_range(p, name, range)
                .map_err(|e| locate_param(text, ParamError::new(field, e.message), &[]))?;
            ranges.insert(name.clone(), range);
        }
        sensitivity.push(ranges);
    }
    Ok(PlannerFile {
        title: raw.title.unwrap_or_else(|| "Scale-up plan".into()),
        currency: raw.currency.unwrap_or_else(|| "USD".into()),
        price_year: raw.price_year,
        sources: raw.sources,
        scenarios,
        sensitivity,
    })
}

/// Parameters that one-way sensitivity analysis can vary.
pub const SENSITIVITY_PARAMS: [&str; 14] = [
    "population",
    "prevalence",
    "hours_per_client",
    "hours_per_year",
    "productive_fraction",
    "supervision_span",
    "attrition",
    "supervisor_attrition",
    "training_completion",
    "cohort_size",
    "max_cohorts_per_year",
    "counsellor_annual_cost",
    "supervisor_annual_cost",
    "training_cost_per_trainee",
];

/// Reads a `[low, high]` list for `name` and checks it with [`check_sensitivity_range`].
fn sensitivity_range(
    p: &PlannerParams,
    name: &str,
    range: &[f64],
) -> Result<(f64, f64), ParamError> {
    let &[low, high] = range else {
        return Err(ParamError::new(name, "needs two values: [low, high]"));
    };
    check_sensitivity_range(p, name, low, high)?;
    Ok((low, high))
}

/// The value of a parameter that sensitivity analysis can vary, `None` for an unlimited
/// `max_cohorts_per_year` (and for names it cannot vary).
pub fn sensitivity_base(p: &PlannerParams, name: &str) -> Option<f64> {
    Some(match name {
        "population" => p.population,
        "prevalence" => p.prevalence,
        "hours_per_client" => p.hours_per_client,
        "hours_per_year" => p.hours_per_year,
        "productive_fraction" => p.productive_fraction,
        "supervision_span" => p.supervision_span,
        "attrition" => p.attrition,
        "supervisor_attrition" => p.supervisor_attrition,
        "training_completion" => p.training_completion,
        "cohort_size" => p.cohort_size,
        "max_cohorts_per_year" => return p.max_cohorts_per_year,
        "counsellor_annual_cost" => p.counsellor_annual_cost,
        "supervisor_annual_cost" => p.supervisor_annual_cost,
        "training_cost_per_trainee" => p.training_cost_per_trainee,
        _ => return None,
    })
}

/// Checks that a one-way range can be used for scenario `p`: the parameter can be varied,
/// low < high, the range brackets the scenario's own value (otherwise the "sensitivity" row
/// would replace the value that defines the scenario rather than vary around it), and both
/// ends are valid parameter values. The message names the parameter, the scenario and the
/// values: these are planning assumptions, not data about people.
pub fn check_sensitivity_range(
    p: &PlannerParams,
    name: &str,
    low: f64,
    high: f64,
) -> Result<(), ParamError> {
    let mut probe = p.clone();
    set_param(&mut probe, name, low)?;
    if !(low.is_finite() && high.is_finite()) {
        return Err(ParamError::new(name, "low and high must be numbers"));
    }
    if low >= high {
        return Err(ParamError::new(
            name,
            format!("low ({low}) must be below high ({high})"),
        ));
    }
    let Some(base) = sensitivity_base(p, name) else {
        return Err(ParamError::new(
            name,
            format!(
                "scenario \"{}\" sets no {name} (unlimited), so no range can bracket it; set a value in the scenario or drop the range",
                p.name
            ),
        ));
    };
    if !(low <= base && base <= high) {
        return Err(ParamError::new(
            name,
            format!(
                "the range {low} to {high} does not bracket scenario \"{}\"'s value {base}; give that scenario its own range (sensitivity = {{ {name} = [low, high] }} in its [[scenario]] table)",
                p.name
            ),
        ));
    }
    for v in [low, high] {
        let mut q = p.clone();
        set_param(&mut q, name, v)?;
        q.validate()
            .map_err(|e| ParamError::new(name, format!("value out of range ({})", e.message)))?;
    }
    Ok(())
}

/// Sets one scalar parameter by name (for sensitivity analysis).
pub fn set_param(p: &mut PlannerParams, name: &str, v: f64) -> Result<(), ParamError> {
    match name {
        "population" => p.population = v,
        "prevalence" => p.prevalence = v,
        "hours_per_client" => p.hours_per_client = v,
        "hours_per_year" => p.hours_per_year = v,
        "productive_fraction" => p.productive_fraction = v,
        "supervision_span" => p.supervision_span = v,
        "attrition" => p.attrition = v,
        "supervisor_attrition" => p.supervisor_attrition = v,
        "training_completion" => p.training_completion = v,
        "cohort_size" => p.cohort_size = v,
        "max_cohorts_per_year" => p.max_cohorts_per_year = Some(v),
        "counsellor_annual_cost" => p.counsellor_annual_cost = v,
        "supervisor_annual_cost" => p.supervisor_annual_cost = v,
        "training_cost_per_trainee" => p.training_cost_per_trainee = v,
        _ => {
            return Err(ParamError::new(
                name,
                format!(
                    "cannot be varied; use one of {}",
                    SENSITIVITY_PARAMS.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// One-way sensitivity of one scenario to one parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityRow {
    /// Scenario label.
    pub scenario: String,
    /// Parameter varied.
    pub parameter: String,
    /// The scenario's own value, which `low` and `high` bracket.
    pub base: f64,
    /// Low value.
    pub low: f64,
    /// High value.
    pub high: f64,
    /// Total cost over the horizon at the low and high value.
    pub total_cost: (f64, f64),
    /// Counsellors in post in the last year at the low and high value.
    pub final_counsellors: (f64, f64),
    /// Clients served over the horizon at the low and high value.
    pub clients_served: (f64, f64),
}

// ---------------------------------------------------------------------------------------------
// Reports.

/// The whole plan: the parsed file and one projection per scenario, serialised as the JSON
/// output of `scaleup plan` (field order is stable: it follows these struct definitions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanReport {
    /// Title.
    pub title: String,
    /// Currency of every cost.
    pub currency: String,
    /// Price year of every cost.
    pub price_year: Option<i32>,
    /// Parameter sources from the file.
    pub sources: BTreeMap<String, String>,
    /// Scenario parameters as used (after merging `[base]`).
    pub parameters: Vec<PlannerParams>,
    /// Projections, one per scenario, in file order.
    pub scenarios: Vec<Projection>,
    /// One-way sensitivity, per scenario and parameter (empty without `[sensitivity]`).
    pub sensitivity: Vec<SensitivityRow>,
}

/// Projects every scenario of a parsed file.
pub fn plan(file: &PlannerFile) -> Result<PlanReport, ParamError> {
    let scenarios = file
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, p)| project(p).map_err(|e| e.within(&format!("scenario[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    if file.sensitivity.len() != file.scenarios.len() && !file.sensitivity.is_empty() {
        return Err(ParamError::new(
            "sensitivity",
            "needs one table of ranges per scenario",
        ));
    }
    let mut sensitivity = Vec::new();
    for (i, p) in file.scenarios.iter().enumerate() {
        let Some(ranges) = file.sensitivity.get(i) else {
            continue;
        };
        for (name, &(low, high)) in ranges {
            check_sensitivity_range(p, name, low, high)
                .map_err(|e| e.within(&format!("scenario[{i}].sensitivity")))?;
            let run = |v: f64| -> Result<Projection, ParamError> {
                let mut q = p.clone();
                set_param(&mut q, name, v).map_err(|e| e.within("sensitivity"))?;
                project(&q).map_err(|e| ParamError::new(format!("sensitivity.{name}"), e.message))
            };
            let (a, b) = (run(low)?, run(high)?);
            let last =
                |r: &Projection| r.years.last().map(|y| y.counsellors_in_post).unwrap_or(0.0);
            sensitivity.push(SensitivityRow {
                scenario: p.name.clone(),
                parameter: name.clone(),
                base: sensitivity_base(p, name).unwrap_or(f64::NAN),
                low,
                high,
                total_cost: (a.totals.cost, b.totals.cost),
                final_counsellors: (last(&a), last(&b)),
                clients_served: (a.totals.clients_served, b.totals.clients_served),
            });
        }
    }
    Ok(PlanReport {
        title: file.title.clone(),
        currency: file.currency.clone(),
        price_year: file.price_year,
        sources: file.sources.clone(),
        parameters: file.scenarios.clone(),
        scenarios,
        sensitivity,
    })
}

fn year_rows(p: &Projection) -> Vec<Vec<String>> {
    p.years
        .iter()
        .map(|y| {
            vec![
                y.year.to_string(),
                fmt::number(y.need, 0),
                fmt::percent(y.coverage_target, 1),
                fmt::number(y.target_clients, 0),
                fmt::number(y.counsellors_needed, 0),
                fmt::number(y.trainees, 0),
                fmt::number(y.cohorts, 0),
                format!(
                    "{}{}{}",
                    fmt::number(y.counsellors_in_post, 1),
                    if y.workforce_limited { "*" } else { "" },
                    if y.budget_limited { "†" } else { "" }
                ),
                fmt::number(y.supervisors, 0),
                fmt::number(y.clients_served, 0),
                fmt::percent(y.coverage_achieved, 1),
                fmt::percent(y.treatment_gap, 1),
                fmt::number(y.costs.total, 0),
                y.cost_per_client_served
                    .map(|c| fmt::number(c, 2))
                    .unwrap_or_else(|| "–".into()),
            ]
        })
        .collect()
}

const YEAR_HEADER: [&str; 14] = [
    "Year",
    "Need",
    "Target cov.",
    "Target clients",
    "Counsellors needed",
    "Trainees",
    "Cohorts",
    "In post",
    "Supervisors",
    "Served",
    "Achieved cov.",
    "Gap",
    "Cost",
    "Cost/client",
];

/// Plain-text report: one table per scenario.
pub fn render_text(r: &PlanReport) -> String {
    use std::fmt::Write;
    let mut out = format!(
        "{}\nCosts in {}{}\n",
        r.title,
        r.currency,
        r.price_year
            .map(|y| format!(" ({y} prices)"))
            .unwrap_or_default()
    );
    for p in &r.scenarios {
        let _ = writeln!(out, "\n== {} ==  ({})", p.name, derived_text(&p.derived));
        let rows = year_rows(p);
        let widths: Vec<usize> = (0..YEAR_HEADER.len())
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].chars().count())
                    .chain([YEAR_HEADER[c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<&str>| -> String {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:>w$}"))
                .collect::<Vec<_>>()
                .join("  ")
        };
        let _ = writeln!(out, "{}", line(YEAR_HEADER.to_vec()));
        for row in &rows {
            let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
        }
        let _ = writeln!(
            out,
            "Total: {} clients served, {} trainees, cost {}{}",
            fmt::number(p.totals.clients_served, 0),
            fmt::number(p.totals.trainees, 0),
            fmt::number(p.totals.cost, 0),
            p.totals
                .cost_per_client_served
                .map(|c| format!(" ({} per client)", fmt::number(c, 2)))
                .unwrap_or_default()
        );
    }
    if !r.sensitivity.is_empty() {
        out.push_str("\nOne-way sensitivity (each parameter at its low and high value, all others at the scenario's value):\n");
    }
    for s in &r.sensitivity {
        let _ = writeln!(
            out,
            "{} / {} {} (scenario value {}): total cost {}–{}, counsellors in the last year {}–{}, clients served {}–{}",
            s.scenario,
            fmt::label(&s.parameter),
            fmt::range(s.low, s.high),
            fmt::value(s.base),
            fmt::number(s.total_cost.0, 0),
            fmt::number(s.total_cost.1, 0),
            fmt::number(s.final_counsellors.0, 1),
            fmt::number(s.final_counsellors.1, 1),
            fmt::number(s.clients_served.0, 0),
            fmt::number(s.clients_served.1, 0)
        );
    }
    if r.scenarios
        .iter()
        .any(|p| p.years.iter().any(|y| y.workforce_limited))
    {
        out.push_str("\n* training throughput kept the workforce below the requirement\n");
    }
    if r.scenarios
        .iter()
        .any(|p| p.years.iter().any(|y| y.budget_limited))
    {
        out.push_str("† the budget ceiling reduced the number of trainees\n");
    }
    for p in &r.scenarios {
        for y in p.years.iter().filter(|y| y.over_budget) {
            let _ = writeln!(
                out,
                "{} {}: over the budget ceiling even without new trainees",
                p.name, y.year
            );
        }
    }
    out
}

/// Self-contained HTML report with the scenarios side by side in SVG charts.
pub fn render_html(r: &PlanReport) -> String {
    use crate::planner_svg::{Series, bar_chart, esc, line_chart, table};
    let labels: Vec<String> = r
        .scenarios
        .first()
        .map(|p| p.years.iter().map(|y| y.year.to_string()).collect())
        .unwrap_or_default();
    let series = |f: &dyn Fn(&PlanYear) -> f64| -> Vec<Series> {
        r.scenarios
            .iter()
            .map(|p| Series {
                name: p.name.clone(),
                values: p.years.iter().map(f).collect(),
            })
            .collect()
    };
    let mut body = String::new();
    body.push_str(&format!(
        "<p class=\"note\">Costs in {}{}. Head counts in post are expected values after attrition; \
requirements, trainees and supervisors are whole people. Span of control, attrition and productive \
hours are user inputs without published defaults. * training throughput limited the workforce; \
† the budget ceiling reduced trainees.</p><div class=\"charts\">",
        esc(&r.currency),
        r.price_year
            .map(|y| format!(", {y} prices"))
            .unwrap_or_default()
    ));
    body.push_str(&line_chart(
        "Counsellors in post",
        "counsellors",
        &labels,
        &series(&|y| y.counsellors_in_post),
    ));
    body.push_str(&line_chart(
        "Achieved coverage of need (%)",
        "%",
        &labels,
        &series(&|y| 100.0 * y.coverage_achieved),
    ));
    body.push_str(&line_chart(
        "Treatment gap (%)",
        "%",
        &labels,
        &series(&|y| 100.0 * y.treatment_gap),
    ));
    body.push_str(&bar_chart(
        &format!("Budget ({})", r.currency),
        &r.currency,
        &labels,
        &series(&|y| y.costs.total),
    ));
    body.push_str("</div>");
    for p in &r.scenarios {
        body.push_str(&format!(
            "<h2>{}</h2><p>{}.</p>",
            esc(&p.name),
            esc(&derived_text(&p.derived))
        ));
        body.push_str(&table(&YEAR_HEADER, &year_rows(p)));
        let cost_rows: Vec<Vec<String>> = p
            .years
            .iter()
            .map(|y| {
                let c = &y.costs;
                [
                    c.counsellors,
                    c.supervisors,
                    c.training,
                    c.per_client,
                    c.fixed,
                    c.one_off,
                    c.total,
                ]
                .iter()
                .fold(vec![y.year.to_string()], |mut v, x| {
                    v.push(fmt::number(*x, 0));
                    v
                })
            })
            .collect();
        body.push_str(&table(
            &[
                "Year",
                "Counsellors",
                "Supervisors",
                "Training",
                "Per client",
                "Fixed",
                "One-off",
                "Total",
            ],
            &cost_rows,
        ));
    }
    if !r.sensitivity.is_empty() {
        body.push_str("<h2>One-way sensitivity</h2><p class=\"note\">Each parameter set to its low and high value with all others at the scenario's value.</p>");
        let rows: Vec<Vec<String>> = r
            .sensitivity
            .iter()
            .map(|s| {
                vec![
                    s.scenario.clone(),
                    fmt::label(&s.parameter),
                    fmt::value(s.base),
                    fmt::range(s.low, s.high),
                    format!(
                        "{} – {}",
                        fmt::number(s.total_cost.0, 0),
                        fmt::number(s.total_cost.1, 0)
                    ),
                    format!(
                        "{} – {}",
                        fmt::number(s.final_counsellors.0, 1),
                        fmt::number(s.final_counsellors.1, 1)
                    ),
                    format!(
                        "{} – {}",
                        fmt::number(s.clients_served.0, 0),
                        fmt::number(s.clients_served.1, 0)
                    ),
                ]
            })
            .collect();
        body.push_str(&table(
            &[
                "Scenario",
                "Parameter",
                "Scenario value",
                "Low – high",
                "Total cost",
                "Counsellors, last year",
                "Clients served",
            ],
            &rows,
        ));
    }
    body.push_str("<h2>Parameters</h2>");
    let names = [
        "population",
        "population_growth",
        "prevalence",
        "hours_per_client",
        "hours_per_year",
        "productive_fraction",
        "supervision_span",
        "attrition",
        "training_completion",
        "cohort_size",
        "counsellor_annual_cost",
        "supervisor_annual_cost",
        "training_cost_per_trainee",
        "fixed_annual_cost",
        "one_off_cost",
    ];
    let mut header = vec!["Parameter"];
    header.extend(r.parameters.iter().map(|p| p.name.as_str()));
    header.push("Source");
    let rows: Vec<Vec<String>> = names
        .iter()
        .map(|n| {
            let mut row = vec![fmt::label(n)];
            for p in &r.parameters {
                let v = param_value(p, n);
                row.push(v.map(|v| param_text(n, v)).unwrap_or_default());
            }
            row.push(r.sources.get(*n).cloned().unwrap_or_default());
            row
        })
        .collect();
    body.push_str(&table(&header, &rows));
    let other: Vec<Vec<String>> = r
        .sources
        .iter()
        .filter(|(k, _)| !names.contains(&k.as_str()))
        .map(|(k, v)| vec![fmt::label(k), v.clone()])
        .collect();
    if !other.is_empty() {
        body.push_str(&table(&["Other parameter", "Source"], &other));
    }
    crate::planner_svg::page(&r.title, &body)
}

/// The derived constants of a scenario in words.
fn derived_text(d: &Derived) -> String {
    format!(
        "{} h per client, {} productive hours per counsellor per year, {} clients per counsellor per year",
        fmt::value(d.hours_per_client),
        fmt::count(d.capacity_hours),
        fmt::number(d.clients_per_counsellor, 1)
    )
}

/// A planner parameter as people read it: rates and shares as percentages, the rest as
/// written (binary noise such as 7.370000000000001 hidden).
fn param_text(name: &str, v: f64) -> String {
    match name {
        "population_growth"
        | "prevalence"
        | "productive_fraction"
        | "attrition"
        | "supervisor_attrition"
        | "training_completion" => fmt::percent_value(v),
        _ => fmt::value(v),
    }
}

fn param_value(p: &PlannerParams, name: &str) -> Option<f64> {
    Some(match name {
        "population" => p.population,
        "population_growth" => p.population_growth,
        "prevalence" => p.prevalence,
        "hours_per_client" => p.hours_per_client,
        "hours_per_year" => p.hours_per_year,
        "productive_fraction" => p.productive_fraction,
        "supervision_span" => p.supervision_span,
        "attrition" => p.attrition,
        "training_completion" => p.training_completion,
        "cohort_size" => p.cohort_size,
        "counsellor_annual_cost" => p.counsellor_annual_cost,
        "supervisor_annual_cost" => p.supervisor_annual_cost,
        "training_cost_per_trainee" => p.training_cost_per_trainee,
        "fixed_annual_cost" => p.fixed_annual_cost,
        "one_off_cost" => p.one_off_cost,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference doc §8.2 parameters: 1,000,000 adults, 4.4 % prevalence, 20 % coverage,
    /// 7.37 h per client, 1,600 h/yr at 75 % productive, span 10.
    fn worked_example() -> PlannerParams {
        PlannerParams {
            name: "§8.2".into(),
            start_year: 2025,
            years: 1,
            population: 1_000_000.0,
            population_growth: 0.0,
            prevalence: 0.044,
            coverage: vec![0.2],
            hours_per_client: 7.37,
            hours_per_year: 1600.0,
            productive_fraction: 0.75,
            supervision_span: 10.0,
            attrition: 0.0,
            supervisor_attrition: 0.0,
            initial_counsellors: 0.0,
            initial_supervisors: 0.0,
            training_completion: 1.0,
            cohort_size: 25.0,
            max_cohorts_per_year: None,
            sites: 0.0,
            site_hours_per_month: 0.0,
            counsellor_annual_cost: 0.0,
            supervisor_annual_cost: 0.0,
            training_cost_per_trainee: 0.0,
            training_cost_per_cohort: 0.0,
            supervisor_training_cost: 0.0,
            cost_per_client: 0.0,
            fixed_annual_cost: 0.0,
            one_off_cost: 0.0,
            budget_cap: None,
        }
    }

    #[test]
    fn reference_doc_8_2_worked_example() {
        // 1e6 × 0.044 × 0.2 = 8,800 clients; × 7.37 h = 64,856 h; / 1,200 h = 54.047 → 55
        // counsellors; 55 / 10 → 6 supervisors (reference doc §8.2, computed there).
        let p = project(&worked_example()).unwrap();
        let y = &p.years[0];
        assert!((y.target_clients - 8800.0).abs() < 1e-9);
        assert!((y.target_clients * 7.37 - 64_856.0).abs() < 1e-6);
        assert_eq!(p.derived.capacity_hours, 1200.0);
        assert_eq!(y.counsellors_needed, 55.0);
        assert_eq!(y.supervisors, 6.0);
        assert_eq!(y.trainees, 55.0);
        assert_eq!(y.cohorts, 3.0); // 55 / 25 → 3 cohorts.
        assert!((y.clients_served - 8800.0).abs() < 1e-9);
        assert!((y.treatment_gap - 0.8).abs() < 1e-12);
    }

    #[test]
    fn attrition_training_limits_and_costs_by_hand() {
        // Two years, need 1000 × 0.5 = 500 people; coverage 40 % then 60 % → 200 then 300
        // clients; 10 h per client, capacity 1000 h × 0.5 = 500 h → 50 clients per counsellor.
        // Year 1: need 4 counsellors, completion 0.8 → ceil(4/0.8) = 5 trainees → 4 in post;
        //         cohorts ceil(5/4) = 2; supervisors ceil(4/3) = 2.
        // Year 2: need 6; retained 4 × 0.75 = 3; deficit 3 → ceil(3/0.8) = 4 wanted but the cap
        //         is 1 cohort × 4 = 4 trainees → 4 trainees, 3 + 3.2 = 6.2 in post, not limited.
        // Costs year 1: 4×100 + 2×300 + 5×10 + 2×50 + 2 new sup × 20 + 200×1 + 7 fixed + 11
        //         one-off = 400 + 600 + 50 + 100 + 40 + 200 + 18 = 1408.
        let p = PlannerParams {
            name: "hand".into(),
            start_year: 1,
            years: 2,
            population: 1000.0,
            prevalence: 0.5,
            coverage: vec![0.4, 0.6],
            hours_per_client: 10.0,
            hours_per_year: 1000.0,
            productive_fraction: 0.5,
            supervision_span: 3.0,
            attrition: 0.25,
            supervisor_attrition: 0.5,
            training_completion: 0.8,
            cohort_size: 4.0,
            max_cohorts_per_year: Some(2.0),
            counsellor_annual_cost: 100.0,
            supervisor_annual_cost: 300.0,
            training_cost_per_trainee: 10.0,
            training_cost_per_cohort: 50.0,
            supervisor_training_cost: 20.0,
            cost_per_client: 1.0,
            fixed_annual_cost: 7.0,
            one_off_cost: 11.0,
            ..worked_example()
        };
        let r = project(&p).unwrap();
        let (a, b) = (&r.years[0], &r.years[1]);
        assert_eq!(a.counsellors_needed, 4.0);
        assert_eq!(a.trainees, 5.0);
        assert!((a.counsellors_in_post - 4.0).abs() < 1e-12);
        assert_eq!(a.cohorts, 2.0);
        assert_eq!(a.supervisors, 2.0);
        assert!((a.costs.total - 1408.0).abs() < 1e-9);
        assert_eq!(b.counsellors_needed, 6.0);
        assert!((b.counsellors_retained - 3.0).abs() < 1e-12);
        assert_eq!(b.trainees, 4.0);
        assert!((b.counsellors_in_post - 6.2).abs() < 1e-12);
        assert!(!b.workforce_limited);
        // Supervisors year 2: ceil(6.2/3) = 3; retained 2 × 0.5 = 1 → 2 new.
        assert_eq!(b.supervisors, 3.0);
        assert!((b.new_supervisors - 2.0).abs() < 1e-12);

        // Now cap training at one cohort of 4: year 1 gets 4 trainees → 3.2 in post, which
        // serve 3.2 × 50 = 160 of 200 clients → achieved coverage 160/500 = 0.32.
        let capped = project(&PlannerParams {
            max_cohorts_per_year: Some(1.0),
            ..p
        })
        .unwrap();
        let a = &capped.years[0];
        assert!(a.workforce_limited);
        assert_eq!(a.trainees, 4.0);
        assert!((a.clients_served - 160.0).abs() < 1e-9);
        assert!((a.coverage_achieved - 0.32).abs() < 1e-12);
    }

    #[test]
    fn budget_cap_cuts_trainees_by_hand() {
        // The two-year hand case above costs 1,408 in year 1 with 5 trainees. With a ceiling of
        // 1,300: 4 trainees → 3.2 in post; supervisors ceil(3.2/3) = 2 (2 new); 1 cohort;
        // 160 clients served. Cost 320 + 600 + (40 + 50 + 40) + 160 + 7 + 11 = 1,228 ≤ 1,300.
        let p = PlannerParams {
            years: 2,
            population: 1000.0,
            prevalence: 0.5,
            coverage: vec![0.4, 0.6],
            hours_per_client: 10.0,
            hours_per_year: 1000.0,
            productive_fraction: 0.5,
            supervision_span: 3.0,
            attrition: 0.25,
            supervisor_attrition: 0.5,
            training_completion: 0.8,
            cohort_size: 4.0,
            max_cohorts_per_year: Some(2.0),
            counsellor_annual_cost: 100.0,
            supervisor_annual_cost: 300.0,
            training_cost_per_trainee: 10.0,
            training_cost_per_cohort: 50.0,
            supervisor_training_cost: 20.0,
            cost_per_client: 1.0,
            fixed_annual_cost: 7.0,
            one_off_cost: 11.0,
            budget_cap: Some(vec![1300.0, 1e9]),
            ..worked_example()
        };
        let r = project(&p).unwrap();
        let a = &r.years[0];
        assert!(a.budget_limited && !a.over_budget);
        assert_eq!(a.trainees, 4.0);
        assert!((a.costs.total - 1228.0).abs() < 1e-9);
        assert!((a.clients_served - 160.0).abs() < 1e-9);
        assert!(!r.years[1].budget_limited);

        // A ceiling below the fixed costs alone: no trainees and still over budget.
        let r = project(&PlannerParams {
            budget_cap: Some(vec![10.0, 10.0]),
            ..p
        })
        .unwrap();
        assert_eq!(r.years[0].trainees, 0.0);
        assert!(r.years[0].over_budget);
    }

    #[test]
    fn site_time_reduces_capacity() {
        // 2 sites × 10 h/month × 12 = 240 h of fixed time; 8800 × 7.37 + 240 = 65,096 h
        // / 1,200 = 54.25 → 55 counsellors still; with 100 h/month: 64,856 + 2,400 = 67,256
        // / 1,200 = 56.05 → 57.
        let mut p = worked_example();
        p.sites = 2.0;
        p.site_hours_per_month = 100.0;
        let r = project(&p).unwrap();
        assert_eq!(r.years[0].counsellors_needed, 57.0);
    }

    /// Hardening item 8: `years = 4000000000` expanded every per-year value to four billion
    /// entries (32 GB each) before any check, and a start year near i32::MAX wrapped. Both are
    /// refused while parsing, naming the field.
    #[test]
    fn a_horizon_of_four_billion_years_is_refused_by_name() {
        let text = "[base]\nyears = 2\npopulation = 1000\nprevalence = 0.05\nhours_per_year = 1600\nproductive_fraction = 0.75\nsupervision_span = 10\nattrition = 0.1\nhours_per_client = 7\n[[scenario]]\ncoverage = 0.2\n";
        assert!(parse_scenario_file(text).is_ok());
        for (bad, field, rule) in [
            ("years = 4000000000", "years", "must be between 1 and 100"),
            ("years = 0", "years", "must be between 1 and 100"),
            (
                "years = 2\nstart_year = 2147483647",
                "start_year",
                "must be between 1 and 9999",
            ),
        ] {
            let err = parse_scenario_file(&text.replace("years = 2", bad))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("`scenario[0].{field}`: {rule}")),
                "{err}"
            );
        }
    }

    #[test]
    fn file_parsing_merges_base_and_reports_lines() {
        let text = r#"
title = "t"
[base]
years = 2
population = 1000000
prevalence = 0.044
hours_per_year = 1600
productive_fraction = 0.75
supervision_span = 10
attrition = 0.1
sessions = 6
session_minutes = 33.5
admin_minutes_per_session = 33.5
supervision_hours_per_client = 0.23
other_hours_per_client = 0.44

[[scenario]]
name = "linear"
coverage_start = 0.1
coverage_end = 0.2

[[scenario]]
name = "flat"
coverage = 0.2
"#;
        let f = parse_scenario_file(text).unwrap();
        assert_eq!(f.scenarios.len(), 2);
        assert_eq!(f.scenarios[0].coverage, vec![0.1, 0.2]);
        assert!((f.scenarios[1].hours_per_client - 7.37).abs() < 1e-12);

        let bad = text.replace("attrition = 0.1", "attrition = 1.5");
        let err = parse_scenario_file(&bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 10, field `scenario[0].attrition`: must be a number between 0 and 0.999"
        );
        let bad = text.replace("coverage = 0.2", "coverage = [0.2, \"x\"]");
        let err = parse_scenario_file(&bad).unwrap_err();
        match err {
            FileError::Syntax { line, field, .. } => {
                assert_eq!(line, 24);
                assert_eq!(field.as_deref(), Some("scenario[1].coverage"));
            }
            other => panic!("unexpected {other:?}"),
        }
        let bad = text.replace("name = \"flat\"", "name = \"flat\"\ncoverage_start = 0.1");
        let err = parse_scenario_file(&bad).unwrap_err();
        assert!(err.to_string().contains("scenario[1].coverage"), "{err}");
        let sens =
            format!("{text}\n[sensitivity]\nattrition = [0.0, 0.3]\nsupervision_span = [5, 15]\n");
        let f = parse_scenario_file(&sens).unwrap();
        let r = plan(&f).unwrap();
        assert_eq!(r.sensitivity.len(), 4);
        // Higher attrition never lowers the cost of meeting the same coverage.
        let row = r
            .sensitivity
            .iter()
            .find(|s| s.parameter == "attrition")
            .unwrap();
        assert!(row.total_cost.1 >= row.total_cost.0);
        let bad = format!("{text}\n[sensitivity]\nattrition = [0.0, 1.3]\n");
        let err = parse_scenario_file(&bad).unwrap_err().to_string();
        assert!(
            err.contains("line 27") && err.contains("sensitivity.attrition"),
            "{err}"
        );
        let bad = format!("{text}\n[sensitivity]\ncolour = [0.0, 1.3]\n");
        let err = parse_scenario_file(&bad).unwrap_err().to_string();
        assert!(err.contains("cannot be varied"), "{err}");
        let bad = text.replace("title = \"t\"", "title = \"t\"\nsurprise = 1");
        let err = parse_scenario_file(&bad).unwrap_err();
        assert!(err.to_string().starts_with("line 3"), "{err}");
        assert!(err.to_string().contains("unknown field"), "{err}");
    }
}

#[cfg(test)]
mod model_file_tests {
    /// The shipped Friendship Bench worked example must parse and project.
    #[test]
    fn friendship_bench_planner_model_parses() {
        let text = include_str!("../models/friendship_bench_planner.toml");
        let file = super::parse_scenario_file(text).unwrap();
        assert_eq!(file.scenarios.len(), 4);
        // 3.35 + 3.35 + 0.23 + 0.44 = 7.37 LHW hours per user (Healey et al. 2022 Table 1).
        assert!((file.scenarios[0].hours_per_client - 7.37).abs() < 1e-12);
        let report = super::plan(&file).unwrap();
        // 2020 utilisation: 1,600 × 0.0461 = 73.76 h ≈ 10 users per LHW per year.
        assert!((report.scenarios[1].derived.clients_per_counsellor - 10.0).abs() < 0.01);
    }
}
