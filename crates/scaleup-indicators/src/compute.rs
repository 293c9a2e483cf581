//! From measure cells and side inputs to indicator rows: cut keys, roll-up to org-unit levels,
//! time buckets, the population in need, the staff, alert and site indicators, and values.
//!
//! Counts of people add up across cells because every cell partitions clients (a client has
//! one facility, counsellor, sex, age band and anchor month), so rolling facilities up to a
//! district or a month up to a quarter is a sum. Everything here is exact; nothing is sampled.

use crate::catalogue::{Formula, INDICATORS, IndicatorDef, Side, measure};
use crate::measure::{Agg, Param, ParamValue, ParamValues, Tally};
use crate::request::{
    CellKey, Counsellor, DEFAULT_RELIABILITY, Dimension, Grouping, Inputs, OrgUnit, ProgrammeData,
    ProgrammeInfo, Request,
};
use scaleup_domain::date::Date;
use scaleup_domain::org::OrgLevel;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The value of one dimension in a row: a stable key and a label for people.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct CutValue {
    pub key: String,
    pub label: String,
}

/// A row's cut values, aligned with [`Request::by`].
pub type Key = Vec<CutValue>;

/// One indicator for one combination of cut values.
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorRow {
    pub def: &'static IndicatorDef,
    pub by: Key,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    /// Units a mean or a quantile is over.
    pub n: Option<i64>,
    /// Set by disclosure control when it withheld the row's figures.
    pub suppressed: bool,
}

/// The parameters one programme's indicators were computed with.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ResolvedParams {
    pub primary_instrument: Option<String>,
    pub remission_below: Option<f64>,
    pub reliability: Option<f64>,
    pub reliability_source: Option<String>,
    /// SD of the programme's baseline totals of the primary instrument (all time).
    pub sd_pre: Option<f64>,
    /// 1.96 × √2 × SD_pre × √(1 − r).
    pub min_reliable_change: Option<f64>,
    pub fidelity_threshold: f64,
    /// Last contact on or before this date: six months have passed (maintenance).
    #[serde(serialize_with = "date_text")]
    pub maintenance_closed_by: Date,
}

fn date_text<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

impl ParamValues for ResolvedParams {
    fn param(&self, p: Param) -> Option<ParamValue> {
        match p {
            Param::RemissionBelow => self.remission_below.map(ParamValue::Num),
            Param::MinReliableChange => self.min_reliable_change.map(ParamValue::Num),
            Param::FidelityThreshold => Some(ParamValue::Num(self.fidelity_threshold)),
            Param::MaintenanceClosedBy => Some(ParamValue::Date(self.maintenance_closed_by)),
        }
    }
}

/// The parameters of `programme` for `request`, given the all-time spread of its primary
/// outcome's baselines `(n, sum, sum of squares)`: what storage binds into the measure SQL.
pub fn resolve_params(
    programme: &ProgrammeInfo,
    baseline_spread: (i64, f64, f64),
    request: &Request,
) -> ResolvedParams {
    let instrument = programme.primary_instrument.clone();
    let (reliability, reliability_source) = match request.params.reliability {
        Some(r) => (Some(r), Some("given with the request".to_string())),
        None => DEFAULT_RELIABILITY
            .iter()
            .find(|(code, ..)| Some(*code) == instrument.as_deref())
            .map_or((None, None), |(_, r, src)| {
                (Some(*r), Some(src.to_string()))
            }),
    };
    let (n, s, ss) = baseline_spread;
    let sd_pre = (n >= 2).then(|| {
        let mean = s / n as f64;
        ((ss - n as f64 * mean * mean).max(0.0) / (n as f64 - 1.0)).sqrt()
    });
    let min_reliable_change = match (sd_pre, reliability) {
        (Some(sd), Some(r)) if sd > 0.0 => {
            Some(1.96 * std::f64::consts::SQRT_2 * sd * (1.0 - r).sqrt())
        }
        _ => None,
    };
    ResolvedParams {
        primary_instrument: instrument,
        remission_below: request
            .params
            .remission_below
            .or(programme.default_remission_below),
        reliability,
        reliability_source,
        sd_pre,
        min_reliable_change,
        fidelity_threshold: request.params.fidelity_threshold,
        maintenance_closed_by: request.as_of().add_days(-crate::facts::MAINTENANCE_DAYS),
    }
}

/// Indicator rows before disclosure control: only [`crate::disclose`] turns them into a table
/// anyone can read.
#[derive(Clone, Debug, PartialEq)]
pub struct Computed {
    pub(crate) request: Request,
    pub(crate) rows: Vec<IndicatorRow>,
    pub(crate) diagnostics: Vec<String>,
    pub(crate) parameters: Vec<(String, ResolvedParams)>,
    /// The hub of every programme computed (what an edge's disclosure decision looks at).
    pub(crate) hubs: Vec<String>,
}

impl Computed {
    /// The ids of the hubs whose programmes the figures are about.
    pub fn hub_ids(&self) -> &[String] {
        &self.hubs
    }
}

/// The indicators selected by a request (all, or the codes asked for, in catalogue order).
pub fn selected(request: &Request) -> Result<Vec<&'static IndicatorDef>, String> {
    match &request.codes {
        None => Ok(INDICATORS.iter().collect()),
        Some(codes) => {
            for c in codes {
                if crate::catalogue::indicator(c).is_none() {
                    return Err(
                        "names an indicator that does not exist (see `scaleup indicators --list`)"
                            .to_string(),
                    );
                }
            }
            Ok(INDICATORS
                .iter()
                .filter(|d| codes.iter().any(|c| c == d.code))
                .collect())
        }
    }
}

/// The dimensions an indicator can be cut by.
fn applicable(def: &IndicatorDef, d: Dimension) -> bool {
    let org = d.org_level().is_some() || matches!(d, Dimension::Hub | Dimension::Programme);
    match def.formula {
        Formula::Count(_) | Formula::Ratio(..) | Formula::Mean(_) => true,
        Formula::Need | Formula::OfNeed(_) | Formula::GapOfNeed(_) => org || d.is_time(),
        Formula::Side(side) => match side {
            Side::AlertResponseMedian | Side::AlertResponseP90 | Side::AlertWithinLimit => true,
            Side::AdoptionFacilities => org || d.is_time(),
            Side::MaintenanceFacilities => org,
            Side::AdoptionCounsellors
            | Side::SupervisionCoverage
            | Side::CompetencyLevel(_)
            | Side::CounsellorsCompetent => org || d.is_time() || d == Dimension::Counsellor,
        },
    }
}

/// A time bucket of a cut by month or quarter.
#[derive(Clone, Debug)]
struct Bucket {
    /// Its first month, `YYYY-MM` (the key's source).
    month: String,
    start: Date,
    end: Date,
}

fn quarter_of(month: &str) -> String {
    let m: u32 = month.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    format!("{}-Q{}", &month[..4.min(month.len())], (m - 1) / 3 + 1)
}

/// The cut value of month `month` (`YYYY-MM`) in a cut by month or by quarter.
fn time_value(d: Dimension, month: &str) -> CutValue {
    let key = if d == Dimension::Quarter {
        quarter_of(month)
    } else {
        month.to_string()
    };
    CutValue {
        label: key.clone(),
        key,
    }
}

fn month_start(month: &str) -> Option<Date> {
    Date::parse(&format!("{month}-01"), "month").ok()
}

struct Ctx<'a> {
    request: &'a Request,
    org: HashMap<&'a str, &'a OrgUnit>,
    counsellors: HashMap<&'a str, &'a Counsellor>,
    time: Option<Dimension>,
}

impl<'a> Ctx<'a> {
    fn ancestor(&self, facility: &str, level: OrgLevel) -> Option<&'a OrgUnit> {
        let mut unit = *self.org.get(facility)?;
        for _ in 0..8 {
            if unit.level == level {
                return Some(unit);
            }
            unit = *self.org.get(unit.parent_id.as_deref()?)?;
        }
        None
    }

    /// The row key of a cell of programme `p`.
    fn key(&self, p: &ProgrammeInfo, c: &CellKey) -> Key {
        let unknown = || CutValue {
            key: "unknown".into(),
            label: "Unknown".into(),
        };
        self.request
            .by
            .iter()
            .map(|d| match d {
                Dimension::Hub => CutValue {
                    key: p.hub_code.clone(),
                    label: p.hub_name.clone(),
                },
                Dimension::Programme => CutValue {
                    key: p.code.clone(),
                    label: p.name.clone(),
                },
                Dimension::Country
                | Dimension::Region
                | Dimension::District
                | Dimension::Facility => c
                    .facility
                    .as_deref()
                    .and_then(|f| self.ancestor(f, d.org_level().expect("org dimension")))
                    .map_or_else(unknown, |u| CutValue {
                        key: u.code.clone(),
                        label: u.name.clone(),
                    }),
                Dimension::Counsellor => {
                    c.counsellor.as_deref().map_or_else(unknown, |id| CutValue {
                        key: id.to_string(),
                        label: self
                            .counsellors
                            .get(id)
                            .map_or_else(|| id.to_string(), |x| x.name.clone()),
                    })
                }
                Dimension::Arm => c.arm.as_deref().map_or_else(
                    || CutValue {
                        key: "none".into(),
                        label: "No arm".into(),
                    },
                    |a| CutValue {
                        key: a.to_string(),
                        label: scaleup_format::label(a),
                    },
                ),
                Dimension::Month | Dimension::Quarter => c
                    .month
                    .as_deref()
                    .map_or_else(unknown, |m| time_value(*d, m)),
                Dimension::Sex => c.sex.as_deref().map_or_else(unknown, |s| CutValue {
                    key: s.to_string(),
                    label: scaleup_format::label(s),
                }),
                Dimension::AgeBand => c.age_band.as_deref().map_or_else(unknown, |a| CutValue {
                    key: a.to_string(),
                    label: a.to_string(),
                }),
            })
            .collect()
    }

    /// The key without its time part (the population in need is the same every month).
    fn untimed(&self, key: &Key) -> Key {
        key.iter()
            .zip(&self.request.by)
            .filter(|(_, d)| !d.is_time())
            .map(|(v, _)| v.clone())
            .collect()
    }
}

/// Indicator rows for `request` from what storage read (`inputs`). Storage resolved each
/// programme's parameters with [`resolve_params`] and bound them into the measure SQL; they
/// are resolved again here (the same function, the same inputs) to report them.
pub fn compute(request: &Request, inputs: &Inputs) -> Result<Computed, String> {
    let defs = selected(request)?;
    let ctx = Ctx {
        request,
        org: inputs
            .org_units
            .iter()
            .map(|u| (u.id.as_str(), u))
            .collect(),
        counsellors: inputs
            .counsellors
            .iter()
            .map(|c| (c.id.as_str(), c))
            .collect(),
        time: request.by.iter().copied().find(|d| d.is_time()),
    };
    let mut diagnostics: BTreeSet<String> = BTreeSet::new();
    let mut parameters = Vec::new();
    // Measure tallies by row key.
    let mut tallies: HashMap<(&'static str, Key), Tally> = HashMap::new();
    let mut universe: BTreeSet<Key> = BTreeSet::new();
    let mut months: BTreeSet<String> = BTreeSet::new();
    for pd in &inputs.programmes {
        let params = resolve_params(&pd.programme, pd.baseline_spread, request);
        if params.min_reliable_change.is_none() {
            diagnostics.insert(format!(
                "reliable_improvement, reliable_deterioration: programme {}: no reliability for its primary instrument {} (give one with `reliability`) or too few baselines",
                pd.programme.code,
                params.primary_instrument.as_deref().unwrap_or("(none)")
            ));
        }
        if params.remission_below.is_none() {
            diagnostics.insert(format!(
                "outcome_remission: programme {}: its primary instrument has no default cut-off (give `remission_below`)",
                pd.programme.code
            ));
        }
        for ((m, cell), t) in &pd.cells.0 {
            if let Some(month) = &cell.month {
                months.insert(month.clone());
            }
            let key = ctx.key(&pd.programme, cell);
            universe.insert(key.clone());
            tallies.entry((m, key)).or_default().add(*t);
        }
        for a in &pd.activity {
            months.insert(a.month_key());
        }
        parameters.push((pd.programme.code.clone(), params));
    }
    // Time buckets: from the period's start (or the first data) to the as-of date.
    let as_of = request.as_of();
    let buckets: Vec<Bucket> = match ctx.time {
        None => Vec::new(),
        Some(dim) => {
            let first = request
                .period
                .from
                .or_else(|| months.iter().next().and_then(|m| month_start(m)));
            let mut out = Vec::new();
            if let Some(first) = first {
                let mut start = first.first_of_month();
                if dim == Dimension::Quarter {
                    start = Date::from_ymd(start.year(), (start.month() - 1) / 3 * 3 + 1, 1)
                        .unwrap_or(start);
                }
                while start <= as_of && out.len() < 1200 {
                    let step = if dim == Dimension::Quarter { 3 } else { 1 };
                    let mut end = start;
                    for _ in 0..step {
                        end = end.last_of_month().add_days(1);
                    }
                    let end = end.add_days(-1);
                    out.push(Bucket {
                        month: start.month_key(),
                        start,
                        end,
                    });
                    start = end.add_days(1);
                }
            }
            out
        }
    };
    // Every non-time combination present gets every time bucket.
    if let Some(time) = ctx.time {
        let time_at = request
            .by
            .iter()
            .position(|d| d.is_time())
            .expect("a time cut");
        let combos: BTreeSet<Key> = universe.iter().map(|k| ctx.untimed(k)).collect();
        for combo in combos {
            for b in &buckets {
                let mut key = combo.clone();
                let t = time_value(time, &b.month);
                key.insert(time_at, t);
                universe.insert(key);
            }
        }
    }

    let need = need_by_key(&ctx, inputs, &mut diagnostics);
    let mut rows = Vec::new();
    for def in defs {
        if let Some(d) = request.by.iter().find(|d| !applicable(def, **d)) {
            diagnostics.insert(format!(
                "{}: not defined for a cut by {}; left out",
                def.code,
                d.as_str()
            ));
            continue;
        }
        let side = match def.formula {
            Formula::Side(s) => Some(side_values(s, &ctx, inputs, &buckets, &mut diagnostics)),
            _ => None,
        };
        let keys: BTreeSet<Key> = match &side {
            Some(values) => values
                .keys()
                .cloned()
                .chain(universe.iter().cloned())
                .collect(),
            None => universe.clone(),
        };
        let keys = if keys.is_empty() && request.by.is_empty() {
            BTreeSet::from([Vec::new()])
        } else {
            keys
        };
        for key in keys {
            let tally =
                |m: &'static str| tallies.get(&(m, key.clone())).copied().unwrap_or_default();
            let amount = |m: &'static str| {
                let t = tally(m);
                match measure(m).map(|x| x.agg) {
                    Some(Agg::Sum(_)) => t.sum,
                    _ => t.n as f64,
                }
            };
            let mut row = IndicatorRow {
                def,
                by: key.clone(),
                numerator: None,
                denominator: None,
                value: None,
                n: None,
                suppressed: false,
            };
            match def.formula {
                Formula::Count(m) => {
                    let n = amount(m);
                    row.numerator = Some(n);
                    row.value = Some(n);
                }
                Formula::Ratio(a, b) => {
                    let (num, den) = (amount(a), amount(b));
                    row.numerator = Some(num);
                    row.denominator = Some(den);
                    row.value = (den > 0.0).then(|| num / den);
                }
                Formula::Mean(m) => {
                    let t = tally(m);
                    row.n = Some(t.n);
                    row.value = (t.n > 0).then(|| t.sum / t.n as f64);
                }
                Formula::Need => {
                    let n = need.get(&ctx.untimed(&key)).copied();
                    row.numerator = n;
                    row.value = n;
                }
                Formula::OfNeed(m) | Formula::GapOfNeed(m) => {
                    let reached = amount(m);
                    let n = need.get(&ctx.untimed(&key)).copied().filter(|n| *n > 0.0);
                    row.denominator = n;
                    if let Some(n) = n {
                        if matches!(def.formula, Formula::GapOfNeed(_)) {
                            let gap = (n - reached).max(0.0);
                            row.numerator = Some(gap);
                            row.value = Some(gap / n);
                        } else {
                            row.numerator = Some(reached);
                            row.value = Some(reached / n);
                        }
                    } else {
                        row.numerator = Some(reached);
                    }
                }
                Formula::Side(_) => {
                    let v = side
                        .as_ref()
                        .and_then(|s| s.get(&key))
                        .cloned()
                        .unwrap_or_default();
                    row.numerator = v.numerator;
                    row.denominator = v.denominator;
                    row.value = v.value;
                    row.n = v.n;
                }
            }
            // Parameters a programme lacks make an indicator undefined, not zero.
            let needs = |p: Param| {
                crate::catalogue::measures_of(def)
                    .iter()
                    .any(|m| uses_param(m, p))
            };
            let lacking = parameters.iter().any(|(_, rp)| {
                (needs(Param::MinReliableChange) && rp.min_reliable_change.is_none())
                    || (needs(Param::RemissionBelow)
                        && rp.remission_below.is_none()
                        && !matches!(def.code, "coverage_effective"))
            });
            if lacking {
                row.numerator = None;
                row.value = None;
            }
            rows.push(row);
        }
    }
    let mut hubs: Vec<String> = inputs
        .programmes
        .iter()
        .map(|p| p.programme.hub_id.clone())
        .collect();
    hubs.sort();
    hubs.dedup();
    Ok(Computed {
        request: request.clone(),
        rows,
        diagnostics: diagnostics.into_iter().collect(),
        parameters,
        hubs,
    })
}

fn uses_param(m: &crate::measure::Measure, p: Param) -> bool {
    let mut params = Vec::new();
    m.when.params(&mut params);
    params.contains(&p)
}

/// The population in need by (untimed) key: Σ catchment × prevalence over programme sites.
fn need_by_key(
    ctx: &Ctx<'_>,
    inputs: &Inputs,
    diagnostics: &mut BTreeSet<String>,
) -> HashMap<Key, f64> {
    let mut out: HashMap<Key, f64> = HashMap::new();
    let grouping = Grouping::for_cuts(&ctx.request.by);
    for pd in &inputs.programmes {
        for site in &pd.programme.sites {
            let Some(unit) = ctx.org.get(site.facility_id.as_str()) else {
                continue;
            };
            let Some(catchment) = unit.catchment_population else {
                diagnostics.insert(format!(
                    "need: facility {} has no catchment population; left out of the population in need",
                    unit.code
                ));
                continue;
            };
            // The facility's prevalence, else its nearest ancestor's.
            let mut prevalence = None;
            let mut u = Some(*unit);
            while let Some(x) = u {
                if x.prevalence.is_some() {
                    prevalence = x.prevalence;
                    break;
                }
                u = x.parent_id.as_deref().and_then(|p| ctx.org.get(p).copied());
            }
            let Some(prevalence) = prevalence else {
                diagnostics.insert(format!(
                    "need: no prevalence configured for facility {} or the org units above it; left out of the population in need",
                    unit.code
                ));
                continue;
            };
            let cell = CellKey {
                facility: grouping.facility.then(|| site.facility_id.clone()),
                ..Default::default()
            };
            let key = ctx.untimed(&ctx.key(&pd.programme, &cell));
            *out.entry(key).or_default() += catchment as f64 * prevalence;
        }
    }
    out
}

/// An indicator's figures for one key, from the side inputs.
#[derive(Clone, Debug, Default, PartialEq)]
struct SideValue {
    numerator: Option<f64>,
    denominator: Option<f64>,
    value: Option<f64>,
    n: Option<i64>,
}

fn ratio(num: f64, den: f64) -> SideValue {
    SideValue {
        numerator: Some(num),
        denominator: Some(den),
        value: (den > 0.0).then(|| num / den),
        n: None,
    }
}

/// The facility a counsellor's rows are placed at for programme `p`: a site of the programme
/// the account is placed at, else the facility of most of their sessions, else their first site.
fn counsellor_facility(c: &Counsellor, pd: &ProgrammeData) -> Option<String> {
    if let Some(s) = c
        .sites
        .iter()
        .find(|s| pd.programme.sites.iter().any(|x| &x.facility_id == *s))
    {
        return Some(s.clone());
    }
    let mut by: BTreeMap<&str, i64> = BTreeMap::new();
    for a in &pd.activity {
        if let (true, Some(f)) = (
            a.counsellor_id.as_deref() == Some(c.id.as_str()),
            &a.facility_id,
        ) {
            *by.entry(f).or_default() += a.sessions;
        }
    }
    by.into_iter()
        .max_by_key(|(f, n)| (*n, std::cmp::Reverse(*f)))
        .map(|(f, _)| f.to_string())
        .or_else(|| c.sites.first().cloned())
}

/// The counsellors a programme's staff indicators count: of the programme's hub, placed at one
/// of its sites or delivering its sessions.
fn programme_counsellors<'a>(inputs: &'a Inputs, pd: &ProgrammeData) -> Vec<&'a Counsellor> {
    let active: BTreeSet<&str> = pd
        .activity
        .iter()
        .filter_map(|a| a.counsellor_id.as_deref())
        .collect();
    inputs
        .counsellors
        .iter()
        .filter(|c| {
            c.hub_id == pd.programme.hub_id
                && (active.contains(c.id.as_str())
                    || c.sites
                        .iter()
                        .any(|s| pd.programme.sites.iter().any(|x| &x.facility_id == s)))
        })
        .collect()
}

/// The windows a side indicator is evaluated over: each time bucket, or the whole period.
fn windows(ctx: &Ctx<'_>, buckets: &[Bucket]) -> Vec<(Option<String>, Option<Date>, Date)> {
    let period = ctx.request.period;
    let as_of = ctx.request.as_of();
    if ctx.time.is_some() {
        buckets
            .iter()
            .map(|b| {
                let from = period.from.map_or(b.start, |f| f.max(b.start));
                (Some(b.month.clone()), Some(from), b.end.min(as_of))
            })
            .collect()
    } else {
        vec![(None, period.from, as_of)]
    }
}

fn side_values(
    side: Side,
    ctx: &Ctx<'_>,
    inputs: &Inputs,
    buckets: &[Bucket],
    diagnostics: &mut BTreeSet<String>,
) -> HashMap<Key, SideValue> {
    let grouping = Grouping::for_cuts(&ctx.request.by);
    let mut sums: HashMap<Key, (f64, f64)> = HashMap::new();
    let mut dists: HashMap<Key, Vec<f64>> = HashMap::new();
    let as_of = ctx.request.as_of();
    for pd in &inputs.programmes {
        let p = &pd.programme;
        match side {
            Side::AdoptionFacilities => {
                for site in &p.sites {
                    for (month, from, to) in windows(ctx, buckets) {
                        let delivering = pd.activity.iter().any(|a| {
                            a.facility_id.as_deref() == Some(site.facility_id.as_str())
                                && a.any_between(from, to)
                        });
                        let cell = CellKey {
                            facility: grouping.facility.then(|| site.facility_id.clone()),
                            month,
                            ..Default::default()
                        };
                        let e = sums.entry(ctx.key(p, &cell)).or_default();
                        e.0 += f64::from(u8::from(delivering));
                        e.1 += 1.0;
                    }
                }
                let sites: BTreeSet<&str> =
                    p.sites.iter().map(|s| s.facility_id.as_str()).collect();
                let outside = pd
                    .activity
                    .iter()
                    .filter_map(|a| a.facility_id.as_deref())
                    .filter(|f| !sites.contains(f))
                    .collect::<BTreeSet<_>>()
                    .len();
                if outside > 0 {
                    diagnostics.insert(format!(
                        "adoption_facilities: programme {}: {outside} facilities delivered sessions without being programme sites; not counted",
                        p.code
                    ));
                }
            }
            Side::MaintenanceFacilities => {
                let mut any = false;
                for site in &p.sites {
                    let Some(ended) = site.support_ended_on else {
                        continue;
                    };
                    any = true;
                    let from = ended.add_days(crate::facts::MAINTENANCE_DAYS);
                    if from > as_of {
                        continue;
                    }
                    let delivering = pd.activity.iter().any(|a| {
                        a.facility_id.as_deref() == Some(site.facility_id.as_str())
                            && a.any_between(Some(from), as_of)
                    });
                    let cell = CellKey {
                        facility: grouping.facility.then(|| site.facility_id.clone()),
                        ..Default::default()
                    };
                    let e = sums.entry(ctx.key(p, &cell)).or_default();
                    e.0 += f64::from(u8::from(delivering));
                    e.1 += 1.0;
                }
                if !any {
                    diagnostics.insert(format!(
                        "maintenance_facilities: programme {} records no support end date (`support_ended_on` in its design or sites)",
                        p.code
                    ));
                }
            }
            Side::AdoptionCounsellors
            | Side::SupervisionCoverage
            | Side::CompetencyLevel(_)
            | Side::CounsellorsCompetent => {
                let mut untrained = 0;
                for c in programme_counsellors(inputs, pd) {
                    let facility = counsellor_facility(c, pd);
                    for (month, from, to) in windows(ctx, buckets) {
                        let cell = CellKey {
                            facility: grouping.facility.then(|| facility.clone()).flatten(),
                            counsellor: grouping.counsellor.then(|| c.id.clone()),
                            month,
                            ..Default::default()
                        };
                        let key = ctx.key(p, &cell);
                        let delivered_between = |f: Option<Date>, t: Date| {
                            pd.activity.iter().any(|a| {
                                a.counsellor_id.as_deref() == Some(c.id.as_str())
                                    && a.any_between(f, t)
                            })
                        };
                        match side {
                            Side::AdoptionCounsellors => {
                                let trained = c.trained_on.is_some_and(|d| d <= to);
                                let delivering = delivered_between(from, to);
                                if delivering && !trained {
                                    untrained += 1;
                                }
                                let e = sums.entry(key).or_default();
                                e.0 += f64::from(u8::from(trained && delivering));
                                e.1 += f64::from(u8::from(trained));
                            }
                            Side::SupervisionCoverage => {
                                let start = to.add_days(-29);
                                let delivering = delivered_between(Some(start), to);
                                let supervised =
                                    c.supervised_on.iter().any(|d| *d >= start && *d <= to);
                                let e = sums.entry(key).or_default();
                                e.0 += f64::from(u8::from(delivering && supervised));
                                e.1 += f64::from(u8::from(delivering));
                            }
                            _ => {
                                let latest = c
                                    .ratings
                                    .iter()
                                    .filter(|(d, ..)| *d <= to)
                                    .max_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
                                let e = sums.entry(key).or_default();
                                if let Some((_, _, levels)) = latest {
                                    if let Side::CompetencyLevel(l) = side {
                                        e.0 += levels.iter().filter(|x| **x == l).count() as f64;
                                        e.1 += levels.len() as f64;
                                    } else {
                                        e.0 += f64::from(u8::from(
                                            !levels.is_empty() && levels.iter().all(|x| *x >= 3),
                                        ));
                                        e.1 += 1.0;
                                    }
                                }
                            }
                        }
                    }
                }
                if untrained > 0 {
                    diagnostics.insert(format!(
                        "adoption_counsellors: programme {}: counsellors delivered sessions without a completed training record ({untrained} counsellor-periods); not counted",
                        p.code
                    ));
                }
            }
            Side::AlertResponseMedian | Side::AlertResponseP90 | Side::AlertWithinLimit => {
                let period = ctx.request.period;
                for a in &pd.alerts {
                    if period.from.is_some_and(|f| a.raised_on < f) || a.raised_on > as_of {
                        continue;
                    }
                    let cell = CellKey {
                        facility: grouping.facility.then(|| a.facility_id.clone()).flatten(),
                        counsellor: grouping
                            .counsellor
                            .then(|| a.counsellor_id.clone())
                            .flatten(),
                        sex: grouping.sex.then(|| a.sex.clone()).flatten(),
                        age_band: grouping.age_band.then(|| a.age_band.clone()).flatten(),
                        arm: grouping.arm.then(|| a.arm.clone()).flatten(),
                        month: grouping.month.then(|| a.raised_on.month_key()),
                    };
                    let key = ctx.key(p, &cell);
                    if side == Side::AlertWithinLimit {
                        if let Some(within) = a.within_limit {
                            let e = sums.entry(key).or_default();
                            e.0 += f64::from(u8::from(within));
                            e.1 += 1.0;
                        }
                    } else if let Some(h) = a.response_hours {
                        dists.entry(key).or_default().push(h);
                    }
                }
            }
        }
    }
    let mut out: HashMap<Key, SideValue> = sums
        .into_iter()
        .map(|(k, (num, den))| (k, ratio(num, den)))
        .collect();
    for (k, mut v) in dists {
        v.sort_by(|a, b| a.total_cmp(b));
        let q = if side == Side::AlertResponseMedian {
            median(&v)
        } else {
            nearest_rank(&v, 0.9)
        };
        out.insert(
            k,
            SideValue {
                numerator: None,
                denominator: None,
                value: q,
                n: Some(v.len() as i64),
            },
        );
    }
    out
}

/// The median of sorted values: the middle one, or the mean of the middle two.
pub fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    Some(if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    })
}

/// The nearest-rank `q` quantile of sorted values: the value at rank ⌈q·n⌉.
pub fn nearest_rank(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    Some(sorted[rank - 1])
}
