//! Ingredients (activity-based) costing: price lists per hub, year and currency applied to
//! recorded activity, split into **intervention** cost (delivering sessions to clients) and
//! **implementation** cost (training, supervision, programme overheads), with unit costs per
//! client reached, per session, per responder and per remission, and conversion to another price
//! year and currency.
//!
//! The approach follows the ingredients method of WHO-CHOICE and mhGAP/OneHealth costing
//! (reference doc §2.3): quantities of each resource × unit prices, plus allocated overheads.
//! Activity is plain data here; reading it from the care record store is the caller's job.
//!
//! Conversion (inflate in the local currency first, then convert at the target year's rate, the
//! order recommended by the CCEMG–EPPI-Centre cost converter, Shemilt et al. 2010):
//! ```text
//! v_target = v · CPI_c(Y)/CPI_c(y) / rate_c(Y) · rate_t(Y)
//! ```
//! where `rate_c(Y)` is local currency units per US$ (exchange rate) or, for international
//! dollars (`"I$"`), local currency units per international dollar (PPP conversion factor).

use crate::input::{FileError, ParamError, check_nonneg, locate_param, parse_toml};
use scaleup_format as fmt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether a cost belongs to delivering the intervention or to implementing the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CostKind {
    /// Delivering care: counsellor time with clients and its administration, materials.
    Intervention,
    /// Making delivery possible: training, supervision, management, overheads.
    #[default]
    Implementation,
}

/// How an overhead is allocated to an activity record.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", content = "value", rename_all = "snake_case")]
pub enum Allocation {
    /// A share of the direct (non-overhead) cost, e.g. 0.15 for 15 %.
    PercentOfDirect(f64),
    /// An amount per session delivered.
    PerSession(f64),
    /// An amount per client reached.
    PerClient(f64),
    /// A fixed amount per activity record (e.g. a hub's yearly share of central costs).
    Fixed(f64),
}

/// An overhead with its allocation rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overhead {
    /// Label.
    pub name: String,
    /// Allocation rule and its value.
    #[serde(flatten)]
    pub allocation: Allocation,
    /// Which side of the split it falls on.
    #[serde(default)]
    pub kind: CostKind,
}

/// Unit prices for one hub, year and currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceList {
    /// Hub (site, district or country programme).
    pub hub: String,
    /// Price year.
    pub year: i32,
    /// Currency code of every price.
    pub currency: String,
    /// Counsellor cost per hour (salary or stipend plus on-costs).
    pub counsellor_hourly: f64,
    /// Supervisor cost per hour.
    pub supervisor_hourly: f64,
    /// Training cost per trainee-day (trainee time, per diem, materials).
    #[serde(default)]
    pub training_per_trainee_day: f64,
    /// Fixed cost per training event (venue, trainers).
    #[serde(default)]
    pub training_event: f64,
    /// Materials per session.
    #[serde(default)]
    pub materials_per_session: f64,
    /// Materials per client.
    #[serde(default)]
    pub materials_per_client: f64,
    /// Overheads and their allocation rules.
    #[serde(default, rename = "overhead")]
    pub overheads: Vec<Overhead>,
}

/// Recorded activity of one hub in one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    /// Hub; must match a price list.
    pub hub: String,
    /// Year; must match a price list of the hub.
    pub year: i32,
    /// Clients reached (at least one session).
    pub clients: f64,
    /// Sessions delivered.
    pub sessions: f64,
    /// Total face-to-face session minutes.
    pub session_minutes: f64,
    /// Counsellor administration minutes per session.
    #[serde(default)]
    pub admin_minutes_per_session: f64,
    /// Supervision hours (supervisor time).
    #[serde(default)]
    pub supervision_hours: f64,
    /// Counsellor hours spent in supervision (their time is a cost too).
    #[serde(default)]
    pub counsellor_supervision_hours: f64,
    /// Trainee-days of training.
    #[serde(default)]
    pub training_days: f64,
    /// Training events held.
    #[serde(default)]
    pub training_events: f64,
    /// Clients who responded (e.g. ≥ 50 % score reduction), when known.
    pub responders: Option<f64>,
    /// Clients in remission (e.g. PHQ-9 < 10), when known.
    pub remissions: Option<f64>,
}

/// Cost lines and unit costs for one activity record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostResult {
    /// Hub.
    pub hub: String,
    /// Year of the activity.
    pub year: i32,
    /// Price year of every amount (the activity year until converted).
    pub price_year: i32,
    /// Currency of every amount.
    pub currency: String,
    /// Cost lines in order: name, kind, amount.
    pub lines: Vec<CostLine>,
    /// Sum of intervention lines.
    pub intervention: f64,
    /// Sum of implementation lines.
    pub implementation: f64,
    /// Total.
    pub total: f64,
    /// Total per client reached.
    pub per_client: Option<f64>,
    /// Total per session.
    pub per_session: Option<f64>,
    /// Total per responder.
    pub per_responder: Option<f64>,
    /// Total per remission.
    pub per_remission: Option<f64>,
    /// Intervention cost per session (the marginal cost of one more session).
    pub intervention_per_session: Option<f64>,
}

/// One cost line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostLine {
    /// Label.
    pub name: String,
    /// Intervention or implementation.
    pub kind: CostKind,
    /// Amount.
    pub amount: f64,
}

/// Errors of costing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CostingError {
    /// A parameter breaks a rule.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// No price list for a hub and year.
    #[error("no price list for hub `{hub}` and year {year}")]
    NoPrices {
        /// Hub.
        hub: String,
        /// Year.
        year: i32,
    },
    /// A conversion table lacks an entry.
    #[error("no {table} entry for currency `{currency}` and year {year}")]
    MissingRate {
        /// Which table (cpi, exchange, ppp).
        table: &'static str,
        /// Currency.
        currency: String,
        /// Year.
        year: i32,
    },
}

fn div(a: f64, b: Option<f64>) -> Option<f64> {
    b.filter(|b| *b > 0.0).map(|b| a / b)
}

impl PriceList {
    /// Checks that prices are finite and non-negative.
    pub fn validate(&self) -> Result<(), ParamError> {
        for (f, v) in [
            ("counsellor_hourly", self.counsellor_hourly),
            ("supervisor_hourly", self.supervisor_hourly),
            ("training_per_trainee_day", self.training_per_trainee_day),
            ("training_event", self.training_event),
            ("materials_per_session", self.materials_per_session),
            ("materials_per_client", self.materials_per_client),
        ] {
            check_nonneg(f, v)?;
        }
        for (i, o) in self.overheads.iter().enumerate() {
            let v = match o.allocation {
                Allocation::PercentOfDirect(v)
                | Allocation::PerSession(v)
                | Allocation::PerClient(v)
                | Allocation::Fixed(v) => v,
            };
            check_nonneg(&format!("overhead[{i}].value"), v)?;
        }
        Ok(())
    }
}

impl Activity {
    /// Checks that counts and times are finite and non-negative and outcomes do not exceed clients.
    pub fn validate(&self) -> Result<(), ParamError> {
        for (f, v) in [
            ("clients", self.clients),
            ("sessions", self.sessions),
            ("session_minutes", self.session_minutes),
            ("admin_minutes_per_session", self.admin_minutes_per_session),
            ("supervision_hours", self.supervision_hours),
            (
                "counsellor_supervision_hours",
                self.counsellor_supervision_hours,
            ),
            ("training_days", self.training_days),
            ("training_events", self.training_events),
        ] {
            check_nonneg(f, v)?;
        }
        for (f, v) in [
            ("responders", self.responders),
            ("remissions", self.remissions),
        ] {
            if let Some(v) = v {
                check_nonneg(f, v)?;
                if v > self.clients {
                    return Err(ParamError::new(f, "cannot exceed clients"));
                }
            }
        }
        Ok(())
    }
}

/// Costs one activity record with one price list (hub and year must match).
pub fn cost_activity(prices: &PriceList, a: &Activity) -> Result<CostResult, CostingError> {
    prices.validate()?;
    a.validate()?;
    if prices.hub != a.hub || prices.year != a.year {
        return Err(CostingError::NoPrices {
            hub: a.hub.clone(),
            year: a.year,
        });
    }
    use CostKind::{Implementation as Imp, Intervention as Int};
    let line = |name: &str, kind, amount| CostLine {
        name: name.into(),
        kind,
        amount,
    };
    let mut lines = vec![
        line(
            "counsellor sessions",
            Int,
            a.session_minutes / 60.0 * prices.counsellor_hourly,
        ),
        line(
            "counsellor administration",
            Int,
            a.sessions * a.admin_minutes_per_session / 60.0 * prices.counsellor_hourly,
        ),
        line(
            "materials",
            Int,
            a.sessions * prices.materials_per_session + a.clients * prices.materials_per_client,
        ),
        line(
            "supervision",
            Imp,
            a.supervision_hours * prices.supervisor_hourly
                + a.counsellor_supervision_hours * prices.counsellor_hourly,
        ),
        line(
            "training",
            Imp,
            a.training_days * prices.training_per_trainee_day
                + a.training_events * prices.training_event,
        ),
    ];
    // Overheads as a percentage apply to direct cost only, never to other overheads, so the
    // result does not depend on the order the overheads are listed in.
    let direct: f64 = lines.iter().map(|l| l.amount).sum();
    for o in &prices.overheads {
        let amount = match o.allocation {
            Allocation::PercentOfDirect(p) => p * direct,
            Allocation::PerSession(v) => v * a.sessions,
            Allocation::PerClient(v) => v * a.clients,
            Allocation::Fixed(v) => v,
        };
        lines.push(line(&format!("overhead: {}", o.name), o.kind, amount));
    }
    let sum = |k| {
        lines
            .iter()
            .filter(|l| l.kind == k)
            .map(|l| l.amount)
            .sum::<f64>()
    };
    let intervention = sum(Int);
    let implementation = sum(Imp);
    let total = intervention + implementation;
    Ok(CostResult {
        hub: a.hub.clone(),
        year: a.year,
        price_year: prices.year,
        currency: prices.currency.clone(),
        per_client: div(total, Some(a.clients)),
        per_session: div(total, Some(a.sessions)),
        per_responder: div(total, a.responders),
        per_remission: div(total, a.remissions),
        intervention_per_session: div(intervention, Some(a.sessions)),
        lines,
        intervention,
        implementation,
        total,
    })
}

/// Costs every activity record with the price list of its hub and year.
pub fn cost_all(
    prices: &[PriceList],
    activity: &[Activity],
) -> Result<Vec<CostResult>, CostingError> {
    activity
        .iter()
        .map(|a| {
            let p = prices
                .iter()
                .find(|p| p.hub == a.hub && p.year == a.year)
                .ok_or_else(|| CostingError::NoPrices {
                    hub: a.hub.clone(),
                    year: a.year,
                })?;
            cost_activity(p, a)
        })
        .collect()
}

/// User-supplied conversion tables: currency → year → value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversionTables {
    /// Price index (CPI or GDP deflator) per currency and year; any base.
    #[serde(default)]
    pub cpi: BTreeMap<String, BTreeMap<String, f64>>,
    /// Local currency units per US$ per year.
    #[serde(default)]
    pub exchange: BTreeMap<String, BTreeMap<String, f64>>,
    /// Local currency units per international dollar (PPP conversion factor) per year.
    #[serde(default)]
    pub ppp: BTreeMap<String, BTreeMap<String, f64>>,
}

/// The code for international dollars.
pub const INTERNATIONAL_DOLLAR: &str = "I$";

impl ConversionTables {
    fn get(&self, table: &'static str, currency: &str, year: i32) -> Result<f64, CostingError> {
        let t = match table {
            "cpi" => &self.cpi,
            "exchange" => &self.exchange,
            _ => &self.ppp,
        };
        t.get(currency)
            .and_then(|m| m.get(&year.to_string()))
            .copied()
            .filter(|v| v.is_finite() && *v > 0.0)
            .ok_or_else(|| CostingError::MissingRate {
                table,
                currency: currency.into(),
                year,
            })
    }

    /// Converts `value` in `currency` at `year` prices to `target` currency at `target_year`
    /// prices. US$ needs no exchange entry (its rate is 1).
    pub fn convert(
        &self,
        value: f64,
        currency: &str,
        year: i32,
        target: &str,
        target_year: i32,
    ) -> Result<f64, CostingError> {
        let inflated = if year == target_year {
            value
        } else {
            value * self.get("cpi", currency, target_year)? / self.get("cpi", currency, year)?
        };
        if currency == target {
            return Ok(inflated);
        }
        let rate = |c: &str| -> Result<f64, CostingError> {
            if c == "USD" {
                Ok(1.0)
            } else {
                self.get("exchange", c, target_year)
            }
        };
        if target == INTERNATIONAL_DOLLAR {
            return Ok(inflated / self.get("ppp", currency, target_year)?);
        }
        Ok(inflated / rate(currency)? * rate(target)?)
    }
}

impl CostResult {
    /// The same result in another currency and price year: every amount scaled by one factor.
    pub fn converted(
        &self,
        tables: &ConversionTables,
        target: &str,
        target_year: i32,
    ) -> Result<CostResult, CostingError> {
        let f = tables.convert(1.0, &self.currency, self.price_year, target, target_year)?;
        let s = |v: f64| v * f;
        let o = |v: Option<f64>| v.map(|v| v * f);
        Ok(CostResult {
            hub: self.hub.clone(),
            year: self.year,
            price_year: target_year,
            currency: target.to_string(),
            lines: self
                .lines
                .iter()
                .map(|l| CostLine {
                    amount: s(l.amount),
                    ..l.clone()
                })
                .collect(),
            intervention: s(self.intervention),
            implementation: s(self.implementation),
            total: s(self.total),
            per_client: o(self.per_client),
            per_session: o(self.per_session),
            per_responder: o(self.per_responder),
            per_remission: o(self.per_remission),
            intervention_per_session: o(self.intervention_per_session),
        })
    }
}

/// A costing file: price lists, activity records, optional conversion tables and target.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostingFile {
    /// Price lists.
    #[serde(default, rename = "price_list")]
    pub price_lists: Vec<PriceList>,
    /// Activity records.
    #[serde(default)]
    pub activity: Vec<Activity>,
    /// Conversion tables.
    #[serde(default)]
    pub conversion: ConversionTables,
    /// Report every result in this currency (e.g. "USD", "I$").
    pub target_currency: Option<String>,
    /// Report every result at this price year.
    pub target_year: Option<i32>,
}

/// Parses a costing file, checking every price list and activity record (errors carry lines).
pub fn parse_costing_file(text: &str) -> Result<CostingFile, FileError> {
    let f: CostingFile = parse_toml(text)?;
    for (i, p) in f.price_lists.iter().enumerate() {
        p.validate()
            .map_err(|e| locate_param(text, e.within(&format!("price_list[{i}]")), &[]))?;
    }
    for (i, a) in f.activity.iter().enumerate() {
        a.validate()
            .map_err(|e| locate_param(text, e.within(&format!("activity[{i}]")), &[]))?;
    }
    Ok(f)
}

/// Costs a parsed file and converts to the target currency and year when given.
pub fn cost_file(f: &CostingFile) -> Result<Vec<CostResult>, CostingError> {
    let results = cost_all(&f.price_lists, &f.activity)?;
    match (&f.target_currency, f.target_year) {
        (None, None) => Ok(results),
        (cur, year) => results
            .iter()
            .map(|r| {
                r.converted(
                    &f.conversion,
                    cur.as_deref().unwrap_or(&r.currency),
                    year.unwrap_or(r.year),
                )
            })
            .collect(),
    }
}

/// A stored price-list file: where it came from and what it holds.
#[derive(Debug, Clone)]
pub struct PriceSource {
    /// The file name it was uploaded as.
    pub origin: String,
    pub file: CostingFile,
}

/// One activity record costed with the stored price lists, or the reason it could not be.
#[derive(Debug, Clone)]
pub struct CostedActivity {
    pub activity: Activity,
    /// The cost, converted as the price list's file asks; `NoPrices` when no file prices the
    /// activity's hub and year.
    pub cost: Result<CostResult, CostingError>,
    /// The file whose price list was used.
    pub origin: Option<String>,
}

/// Costs each activity record with the first of `sources` that prices its hub and year
/// (callers order them: a hub's own files before network-wide ones, newer before older), and
/// with that file's conversion tables and target. A record no file prices is reported as such
/// rather than failing the others: a hub may have priced some years and not yet others.
pub fn cost_with_sources(sources: &[PriceSource], activity: &[Activity]) -> Vec<CostedActivity> {
    activity
        .iter()
        .map(|a| {
            let found = sources.iter().find_map(|s| {
                s.file
                    .price_lists
                    .iter()
                    .find(|p| p.hub == a.hub && p.year == a.year)
                    .map(|p| (s, p))
            });
            let Some((source, prices)) = found else {
                return CostedActivity {
                    activity: a.clone(),
                    cost: Err(CostingError::NoPrices {
                        hub: a.hub.clone(),
                        year: a.year,
                    }),
                    origin: None,
                };
            };
            let one = CostingFile {
                price_lists: vec![prices.clone()],
                activity: vec![a.clone()],
                conversion: source.file.conversion.clone(),
                target_currency: source.file.target_currency.clone(),
                target_year: source.file.target_year,
            };
            let cost = cost_file(&one).map(|mut r| r.remove(0));
            CostedActivity {
                activity: a.clone(),
                cost,
                origin: Some(source.origin.clone()),
            }
        })
        .collect()
}

/// Columns of an activity CSV; the first five are required.
pub const ACTIVITY_COLUMNS: [&str; 12] = [
    "hub",
    "year",
    "clients",
    "sessions",
    "session_minutes",
    "admin_minutes_per_session",
    "supervision_hours",
    "counsellor_supervision_hours",
    "training_days",
    "training_events",
    "responders",
    "remissions",
];

/// Parses activity records from CSV text with a header row naming [`ACTIVITY_COLUMNS`]
/// (any order; optional columns may be absent or left empty). Errors name the line and column.
pub fn parse_activity_csv(text: &str) -> Result<Vec<Activity>, FileError> {
    let syntax = |line: usize, field: Option<&str>, message: String| FileError::Syntax {
        line,
        field: field.map(String::from),
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = rdr
        .headers()
        .map_err(|e| syntax(1, None, e.to_string()))?
        .clone();
    for h in header.iter() {
        if !ACTIVITY_COLUMNS.contains(&h) {
            return Err(syntax(1, Some(h), "unknown column".into()));
        }
    }
    for required in &ACTIVITY_COLUMNS[..5] {
        if !header.iter().any(|h| h == *required) {
            return Err(syntax(
                1,
                Some(required),
                "required column is missing".into(),
            ));
        }
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
            syntax(line, None, e.to_string())
        })?;
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        let cell = |name: &str| col(name).and_then(|i| rec.get(i)).filter(|s| !s.is_empty());
        let num = |name: &'static str| -> Result<Option<f64>, FileError> {
            match cell(name) {
                None => Ok(None),
                Some(s) => s
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .map(Some)
                    .ok_or_else(|| syntax(line, Some(name), "is not a number".into())),
            }
        };
        let req = |name: &'static str| -> Result<f64, FileError> {
            num(name)?.ok_or_else(|| syntax(line, Some(name), "is required".into()))
        };
        let hub = cell("hub").ok_or_else(|| syntax(line, Some("hub"), "is required".into()))?;
        let year = cell("year")
            .and_then(|s| s.parse::<i32>().ok())
            .ok_or_else(|| syntax(line, Some("year"), "must be a whole year".into()))?;
        let a = Activity {
            hub: hub.to_string(),
            year,
            clients: req("clients")?,
            sessions: req("sessions")?,
            session_minutes: req("session_minutes")?,
            admin_minutes_per_session: num("admin_minutes_per_session")?.unwrap_or(0.0),
            supervision_hours: num("supervision_hours")?.unwrap_or(0.0),
            counsellor_supervision_hours: num("counsellor_supervision_hours")?.unwrap_or(0.0),
            training_days: num("training_days")?.unwrap_or(0.0),
            training_events: num("training_events")?.unwrap_or(0.0),
            responders: num("responders")?,
            remissions: num("remissions")?,
        };
        a.validate()
            .map_err(|e| syntax(line, Some(&e.field), e.message))?;
        out.push(a);
    }
    Ok(out)
}

/// Results of a costing run and, when every result shares one currency and price year, their
/// sum with unit costs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    /// One result per activity record, in input order.
    pub results: Vec<CostResult>,
    /// Sum over records (null when currencies or price years differ).
    pub summary: Option<CostSummary>,
}

/// Sum over activity records in one currency and price year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostSummary {
    /// Currency.
    pub currency: String,
    /// Price year.
    pub year: i32,
    /// Intervention cost.
    pub intervention: f64,
    /// Implementation cost.
    pub implementation: f64,
    /// Total.
    pub total: f64,
    /// Total per client reached.
    pub per_client: Option<f64>,
    /// Total per session.
    pub per_session: Option<f64>,
}

/// Builds a report, summing when currencies and price years agree. Client and session counts
/// come from `activity` (same order as `results`).
pub fn report(results: Vec<CostResult>, activity: &[Activity]) -> CostReport {
    let same = results
        .windows(2)
        .all(|w| w[0].currency == w[1].currency && w[0].price_year == w[1].price_year);
    let summary = (same && !results.is_empty()).then(|| {
        let intervention: f64 = results.iter().map(|r| r.intervention).sum();
        let implementation: f64 = results.iter().map(|r| r.implementation).sum();
        let total = intervention + implementation;
        let clients: f64 = activity.iter().map(|a| a.clients).sum();
        let sessions: f64 = activity.iter().map(|a| a.sessions).sum();
        CostSummary {
            currency: results[0].currency.clone(),
            year: results[0].price_year,
            intervention,
            implementation,
            total,
            per_client: div(total, Some(clients)),
            per_session: div(total, Some(sessions)),
        }
    });
    CostReport { results, summary }
}

/// Plain-text report.
pub fn render_text(r: &CostReport) -> String {
    use std::fmt::Write;
    let o = |v: Option<f64>| v.map(|x| fmt::number(x, 2)).unwrap_or_else(|| "–".into());
    let mut out = String::new();
    for c in &r.results {
        let _ = writeln!(
            out,
            "== {} {} ({}, {} prices) ==",
            c.hub, c.year, c.currency, c.price_year
        );
        for l in &c.lines {
            let _ = writeln!(
                out,
                "  {:<32} {:<15} {:>14}",
                fmt::label(&l.name),
                fmt::label(&format!("{:?}", l.kind).to_lowercase()),
                fmt::number(l.amount, 2)
            );
        }
        let _ = writeln!(
            out,
            "  intervention {}, implementation {}, total {}\n  per client {}, per session {}, per responder {}, per remission {}",
            fmt::number(c.intervention, 2),
            fmt::number(c.implementation, 2),
            fmt::number(c.total, 2),
            o(c.per_client),
            o(c.per_session),
            o(c.per_responder),
            o(c.per_remission)
        );
    }
    if let Some(s) = &r.summary {
        let _ = writeln!(
            out,
            "\nAll records ({} {}): total {} (intervention {}, implementation {}); per client {}, per session {}",
            s.currency,
            s.year,
            fmt::number(s.total, 2),
            fmt::number(s.intervention, 2),
            fmt::number(s.implementation, 2),
            o(s.per_client),
            o(s.per_session)
        );
    }
    out
}

/// Self-contained HTML report.
pub fn render_html(r: &CostReport) -> String {
    use crate::planner_svg::{esc, table};
    let o = |v: Option<f64>| v.map(|x| fmt::number(x, 2)).unwrap_or_else(|| "–".into());
    let rows: Vec<Vec<String>> = r
        .results
        .iter()
        .map(|c| {
            vec![
                c.hub.clone(),
                format!("{} {}", c.currency, c.price_year),
                fmt::number(c.intervention, 2),
                fmt::number(c.implementation, 2),
                fmt::number(c.total, 2),
                o(c.per_client),
                o(c.per_session),
                o(c.per_responder),
                o(c.per_remission),
            ]
        })
        .collect();
    let mut body = table(
        &[
            "Hub",
            "Currency, price year",
            "Intervention",
            "Implementation",
            "Total",
            "Per client",
            "Per session",
            "Per responder",
            "Per remission",
        ],
        &rows,
    );
    for c in &r.results {
        body.push_str(&format!("<h2>{} {}</h2>", esc(&c.hub), c.year));
        let lines: Vec<Vec<String>> = c
            .lines
            .iter()
            .map(|l| {
                vec![
                    fmt::label(&l.name),
                    fmt::label(&format!("{:?}", l.kind).to_lowercase()),
                    fmt::number(l.amount, 2),
                ]
            })
            .collect();
        body.push_str(&table(&["Cost line", "Kind", "Amount"], &lines));
    }
    crate::planner_svg::page("Activity-based costing", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
target_currency = "I$"
target_year = 2022

[[price_list]]
hub = "Harare"
year = 2020
currency = "USD"
counsellor_hourly = 2.0
supervisor_hourly = 10.0
training_per_trainee_day = 15.0
training_event = 200.0
materials_per_session = 0.5
materials_per_client = 1.0

[[price_list.overhead]]
name = "management"
rule = "percent_of_direct"
value = 0.10

[[price_list.overhead]]
name = "clinic space"
rule = "per_session"
value = 0.25
kind = "intervention"

[[activity]]
hub = "Harare"
year = 2020
clients = 100
sessions = 500
session_minutes = 22500
admin_minutes_per_session = 20
supervision_hours = 40
counsellor_supervision_hours = 50
training_days = 30
training_events = 2
responders = 60
remissions = 50

[conversion.cpi]
USD = { 2020 = 100.0, 2022 = 110.0 }
[conversion.ppp]
USD = { 2022 = 1.0 }
"#;

    #[test]
    fn stored_sources_price_each_year_with_the_first_file_that_prices_it() {
        let file = parse_costing_file(FILE).unwrap();
        let mut own = parse_costing_file(FILE).unwrap();
        own.price_lists[0].counsellor_hourly = 4.0;
        own.target_currency = None;
        own.target_year = None;
        let a = file.activity[0].clone();
        let unpriced = Activity {
            year: 2021,
            ..a.clone()
        };
        let sources = [
            PriceSource {
                origin: "hub.toml".into(),
                file: own,
            },
            PriceSource {
                origin: "network.toml".into(),
                file: file.clone(),
            },
        ];
        let costed = cost_with_sources(&sources, &[a.clone(), unpriced]);
        // The hub's own file comes first: its dearer counsellors, in its own currency.
        let first = costed[0].cost.as_ref().unwrap();
        assert_eq!(costed[0].origin.as_deref(), Some("hub.toml"));
        assert_eq!((first.currency.as_str(), first.price_year), ("USD", 2020));
        assert_eq!(
            first,
            &cost_activity(&sources[0].file.price_lists[0], &a).unwrap()
        );
        // The network's file alone: its conversion to I$ 2022 applies, as in `cost_file`.
        let network = cost_with_sources(&sources[1..], std::slice::from_ref(&a));
        assert_eq!(
            network[0].cost.as_ref().unwrap(),
            &cost_file(&file).unwrap()[0]
        );
        // A year nobody priced says so and costs nothing else.
        assert_eq!(
            costed[1].cost,
            Err(CostingError::NoPrices {
                hub: "Harare".into(),
                year: 2021
            })
        );
        assert_eq!(costed[1].origin, None);
    }

    #[test]
    fn hand_derived_activity_cost() {
        // Sessions: 22,500 min = 375 h × 2 = 750. Admin: 500 × 20 min = 166.67 h × 2 = 333.33.
        // Materials: 500 × 0.5 + 100 × 1 = 350. Intervention direct = 1,433.33.
        // Supervision: 40 × 10 + 50 × 2 = 500. Training: 30 × 15 + 2 × 200 = 850.
        // Direct = 2,783.33. Management 10 % = 278.33 (implementation).
        // Clinic space 500 × 0.25 = 125 (intervention).
        // Intervention = 1,558.33; implementation = 1,628.33; total = 3,186.67.
        let f = parse_costing_file(FILE).unwrap();
        let r = cost_activity(&f.price_lists[0], &f.activity[0]).unwrap();
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        let direct = 750.0 + 1000.0 / 3.0 + 350.0 + 500.0 + 850.0;
        close(r.intervention, 750.0 + 1000.0 / 3.0 + 350.0 + 125.0);
        close(r.implementation, 500.0 + 850.0 + 0.1 * direct);
        close(r.total, direct * 1.1 + 125.0);
        close(r.per_client.unwrap(), r.total / 100.0);
        close(r.per_responder.unwrap(), r.total / 60.0);
        close(r.per_remission.unwrap(), r.total / 50.0);
        close(r.per_session.unwrap(), r.total / 500.0);

        // Conversion: 2020 US$ → 2022 prices (× 110/100) → I$ (÷ PPP 1.0).
        let conv = cost_file(&f).unwrap();
        close(conv[0].total, r.total * 1.1);
        assert_eq!(conv[0].currency, "I$");
        assert_eq!((conv[0].year, conv[0].price_year), (2020, 2022));
    }

    #[test]
    fn activity_csv_parses_and_reports_line_and_column() {
        let csv = "hub,year,clients,sessions,session_minutes,responders\nHarare,2020,100,500,22500,60\nGweru,2020,10,40,1800,\n";
        let a = parse_activity_csv(csv).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].responders, Some(60.0));
        assert_eq!(a[1].responders, None);
        let e = parse_activity_csv(&csv.replace("1800", "lots")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3, field `session_minutes`: is not a number"
        );
        let e = parse_activity_csv(&csv.replace("sessions,session", "visits,session")).unwrap_err();
        assert_eq!(e.to_string(), "line 1, field `visits`: unknown column");
        let e = parse_activity_csv(&csv.replace(",60", ",160")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2, field `responders`: cannot exceed clients"
        );
    }

    #[test]
    fn conversion_local_currency() {
        // 1,000 KES at 2019 prices → 2021: CPI 120/100 → 1,200 KES; ÷ 110 KES/US$ = 10.909 US$;
        // to I$: ÷ PPP 40 KES/I$ = 30 I$.
        let mut t = ConversionTables::default();
        t.cpi.insert(
            "KES".into(),
            [("2019".into(), 100.0), ("2021".into(), 120.0)].into(),
        );
        t.exchange
            .insert("KES".into(), [("2021".into(), 110.0)].into());
        t.ppp.insert("KES".into(), [("2021".into(), 40.0)].into());
        assert!(
            (t.convert(1000.0, "KES", 2019, "USD", 2021).unwrap() - 1200.0 / 110.0).abs() < 1e-12
        );
        assert!((t.convert(1000.0, "KES", 2019, "I$", 2021).unwrap() - 30.0).abs() < 1e-12);
        assert_eq!(
            t.convert(1.0, "KES", 2019, "USD", 2020).unwrap_err(),
            CostingError::MissingRate {
                table: "cpi",
                currency: "KES".into(),
                year: 2020
            }
        );
    }

    #[test]
    fn errors_name_line_and_field() {
        let bad = FILE.replace("remissions = 50", "remissions = 500");
        let e = parse_costing_file(&bad).unwrap_err().to_string();
        assert!(
            e.contains("activity[0].remissions") && e.contains("line 39"),
            "{e}"
        );
        let bad = FILE.replace("rule = \"per_session\"", "rule = \"per_visit\"");
        let e = parse_costing_file(&bad).unwrap_err().to_string();
        assert!(e.contains("line 21") && e.contains("per_visit"), "{e}");
        let f = parse_costing_file(&FILE.replace(
            "hub = \"Harare\"\nyear = 2020\nclients",
            "hub = \"Gweru\"\nyear = 2020\nclients",
        ))
        .unwrap();
        assert!(matches!(
            cost_all(&f.price_lists, &f.activity),
            Err(CostingError::NoPrices { .. })
        ));
    }
}

#[cfg(test)]
mod model_file_tests {
    #[test]
    fn shipped_costing_example_costs() {
        let mut f =
            super::parse_costing_file(include_str!("../models/costing_prices_example.toml"))
                .unwrap();
        f.activity =
            super::parse_activity_csv(include_str!("../models/costing_activity_example.csv"))
                .unwrap();
        let r = super::report(super::cost_file(&f).unwrap(), &f.activity);
        let s = r.summary.unwrap();
        assert_eq!((s.currency.as_str(), s.year), ("I$", 2022));
        assert!(s.total > 0.0 && (s.intervention + s.implementation - s.total).abs() < 1e-9);
    }
}
