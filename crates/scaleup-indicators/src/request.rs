//! What is asked (programme, cuts, period, parameters) and what storage hands the engine to
//! answer it: programmes with their sites, the org-unit tree, the staff, the measure cells
//! grouped in SQL, the activity counts and the risk alerts.

use crate::measure::Tally;
use scaleup_domain::date::Date;
use scaleup_domain::org::OrgLevel;
use std::collections::HashMap;

/// A dimension indicators can be cut by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Hub,
    Programme,
    Country,
    Region,
    District,
    Facility,
    Arm,
    Counsellor,
    Month,
    Quarter,
    Sex,
    AgeBand,
}

impl Dimension {
    pub const ALL: [Dimension; 12] = [
        Dimension::Hub,
        Dimension::Programme,
        Dimension::Country,
        Dimension::Region,
        Dimension::District,
        Dimension::Facility,
        Dimension::Arm,
        Dimension::Counsellor,
        Dimension::Month,
        Dimension::Quarter,
        Dimension::Sex,
        Dimension::AgeBand,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Hub => "hub",
            Dimension::Programme => "programme",
            Dimension::Country => "country",
            Dimension::Region => "region",
            Dimension::District => "district",
            Dimension::Facility => "facility",
            Dimension::Arm => "arm",
            Dimension::Counsellor => "counsellor",
            Dimension::Month => "month",
            Dimension::Quarter => "quarter",
            Dimension::Sex => "sex",
            Dimension::AgeBand => "age_band",
        }
    }

    pub fn parse(text: &str) -> Option<Dimension> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }

    /// The org-unit level of an org-unit dimension.
    pub fn org_level(self) -> Option<OrgLevel> {
        match self {
            Dimension::Country => Some(OrgLevel::Country),
            Dimension::Region => Some(OrgLevel::Region),
            Dimension::District => Some(OrgLevel::District),
            Dimension::Facility => Some(OrgLevel::Facility),
            _ => None,
        }
    }

    /// Whether the dimension is time (month or quarter).
    pub fn is_time(self) -> bool {
        matches!(self, Dimension::Month | Dimension::Quarter)
    }

    /// Parses a comma-separated list (`month,district`), rejecting unknown or repeated names
    /// and both month and quarter at once.
    pub fn parse_list(text: &str) -> Result<Vec<Dimension>, String> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let d = Dimension::parse(part).ok_or_else(|| {
                format!(
                    "must be a comma-separated list of: {}",
                    Self::ALL.map(|d| d.as_str()).join(", ")
                )
            })?;
            if out.contains(&d) {
                return Err("names a dimension twice".into());
            }
            out.push(d);
        }
        if out.contains(&Dimension::Month) && out.contains(&Dimension::Quarter) {
            return Err("cannot cut by month and quarter at once".into());
        }
        Ok(out)
    }
}

/// A period `[from, to]`, days inclusive, either end open; all time when both are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Period {
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// Settings an analyst may change; every default is documented in docs/indicators.md.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameters {
    /// Remission cut-off of the primary outcome (endpoint below it); default: the primary
    /// instrument's default screening cut-off.
    pub remission_below: Option<f64>,
    /// Reliability r_xx of the primary instrument for the reliable change index; default: the
    /// instrument's in [`DEFAULT_RELIABILITY`].
    pub reliability: Option<f64>,
    /// Fidelity at or above which an adequate episode is quality care (cascade).
    pub fidelity_threshold: f64,
}

impl Default for Parameters {
    fn default() -> Self {
        Parameters {
            remission_below: None,
            reliability: None,
            fidelity_threshold: 0.8,
        }
    }
}

impl Parameters {
    /// Rejects values no indicator could use, naming the parameter.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if self.remission_below.is_some_and(|x| !x.is_finite()) {
            return Err(("remission_below", "must be a finite number"));
        }
        if self
            .reliability
            .is_some_and(|r| !(r.is_finite() && (0.0..1.0).contains(&r)))
        {
            return Err(("reliability", "must be at least 0 and below 1"));
        }
        if !(self.fidelity_threshold.is_finite() && (0.0..=1.0).contains(&self.fidelity_threshold))
        {
            return Err(("fidelity_threshold", "must be between 0 and 1"));
        }
        Ok(())
    }
}

/// Reliability of instruments for the reliable change index, with the source of each value.
pub const DEFAULT_RELIABILITY: &[(&str, f64, &str)] = &[(
    "phq9",
    0.89,
    "Kroenke, Spitzer & Williams 2001: Cronbach's alpha 0.89 in the primary-care sample (docs/sources.md#phq9)",
)];

/// What is asked.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The programme code the caller asked for (`None`: every programme they may see).
    pub programme: Option<String>,
    /// Cuts, in the order asked.
    pub by: Vec<Dimension>,
    pub period: Period,
    /// Only these indicators (`None`: all).
    pub codes: Option<Vec<String>>,
    pub params: Parameters,
    /// Today: no as-of date is later (the engine never reads a clock).
    pub today: Date,
}

impl Request {
    /// The date "now" means for the request: the period's end, at most today.
    pub fn as_of(&self) -> Date {
        self.period.to.map_or(self.today, |t| t.min(self.today))
    }
}

/// A programme site.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    pub facility_id: String,
    pub arm: Option<String>,
    /// When external support of the site ended (maintenance), if recorded.
    pub support_ended_on: Option<Date>,
}

/// A programme as the engine needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgrammeInfo {
    pub id: String,
    pub code: String,
    pub name: String,
    pub hub_id: String,
    pub hub_code: String,
    pub hub_name: String,
    pub protocol: String,
    /// The protocol's primary outcome instrument.
    pub primary_instrument: Option<String>,
    /// The primary instrument's default screening cut-off as a remission threshold (below it).
    pub default_remission_below: Option<f64>,
    pub sites: Vec<Site>,
}

/// An org unit.
#[derive(Clone, Debug, PartialEq)]
pub struct OrgUnit {
    pub id: String,
    pub hub_id: String,
    pub parent_id: Option<String>,
    pub level: OrgLevel,
    pub code: String,
    pub name: String,
    pub catchment_population: Option<i64>,
    /// Prevalence of the programme's condition among adults (0-1), if configured here.
    pub prevalence: Option<f64>,
    pub prevalence_source: Option<String>,
}

/// A counsellor, with what the staff indicators read.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Counsellor {
    pub id: String,
    pub name: String,
    pub hub_id: String,
    /// Facilities the account is placed at.
    pub sites: Vec<String>,
    /// The earliest completed (not failed) training.
    pub trained_on: Option<Date>,
    /// Competency ratings: (date, record id, level per competency).
    pub ratings: Vec<(Date, String, Vec<u8>)>,
    /// Days the counsellor took part in a supervision session.
    pub supervised_on: Vec<Date>,
}

/// Attended sessions of a programme per facility, counsellor and month, with the days of the
/// month that had one (from the counts kept per day by triggers).
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    pub facility_id: Option<String>,
    pub counsellor_id: Option<String>,
    /// The first day of the month.
    pub month: Date,
    /// Bit `d − 1` is set when day `d` of the month had an attended session.
    pub days: u32,
    pub sessions: i64,
}

impl Activity {
    /// Whether a session fell on a day in `[from, to]` (an open start: any day up to `to`).
    pub fn any_between(&self, from: Option<Date>, to: Date) -> bool {
        (0..31u8).any(|bit| {
            self.days & (1 << bit) != 0
                && Date::from_ymd(self.month.year(), self.month.month(), bit + 1)
                    .is_some_and(|d| from.is_none_or(|f| d >= f) && d <= to)
        })
    }

    /// `YYYY-MM`.
    pub fn month_key(&self) -> String {
        self.month.month_key()
    }
}

/// One risk alert of a programme's client, with the client's cut values.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertFact {
    pub facility_id: Option<String>,
    pub counsellor_id: Option<String>,
    pub sex: Option<String>,
    pub age_band: Option<String>,
    pub arm: Option<String>,
    pub raised_on: Date,
    /// Hours from raising to acknowledgement, when acknowledged.
    pub response_hours: Option<f64>,
    /// Acknowledged by the deadline: `Some(true)`; acknowledged late or still open past the
    /// deadline at the as-of date: `Some(false)`; open and not yet due: `None`.
    pub within_limit: Option<bool>,
}

/// The SQL-level grouping of measure cells: the columns storage groups fact rows by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grouping {
    pub facility: bool,
    pub counsellor: bool,
    pub sex: bool,
    pub age_band: bool,
    pub arm: bool,
    /// Group by the anchor's month (`YYYY-MM`).
    pub month: bool,
}

impl Grouping {
    /// What storage must group by to answer `by`.
    pub fn for_cuts(by: &[Dimension]) -> Grouping {
        let mut g = Grouping::default();
        for d in by {
            match d {
                Dimension::Country
                | Dimension::Region
                | Dimension::District
                | Dimension::Facility => g.facility = true,
                Dimension::Counsellor => g.counsellor = true,
                Dimension::Sex => g.sex = true,
                Dimension::AgeBand => g.age_band = true,
                Dimension::Arm => g.arm = true,
                Dimension::Month | Dimension::Quarter => g.month = true,
                Dimension::Hub | Dimension::Programme => {}
            }
        }
        g
    }
}

/// The values of a cell's grouping columns (`None` where not grouped, or absent).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    pub facility: Option<String>,
    pub counsellor: Option<String>,
    pub sex: Option<String>,
    pub age_band: Option<String>,
    pub arm: Option<String>,
    pub month: Option<String>,
}

/// Measure tallies of one programme by measure id and cell.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeasureCells(pub HashMap<(&'static str, CellKey), Tally>);

impl MeasureCells {
    pub fn add(&mut self, measure: &'static str, key: CellKey, t: Tally) {
        self.0.entry((measure, key)).or_default().add(t);
    }
}

/// Everything read for one programme.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgrammeData {
    pub programme: ProgrammeInfo,
    /// The all-time spread of the primary outcome's baselines: (n, sum, sum of squares).
    pub baseline_spread: (i64, f64, f64),
    pub cells: MeasureCells,
    pub activity: Vec<Activity>,
    pub alerts: Vec<AlertFact>,
}

/// Everything read for a request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inputs {
    pub programmes: Vec<ProgrammeData>,
    pub org_units: Vec<OrgUnit>,
    pub counsellors: Vec<Counsellor>,
}

/// A request as text, the way the command line's flags and the API's query parameters give it.
/// [`QueryText::parse`] is the one parser both edges use, so they accept the same requests.
#[derive(Clone, Debug, Default)]
pub struct QueryText {
    pub programme: Option<String>,
    /// Comma-separated dimensions.
    pub by: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Comma-separated indicator codes.
    pub indicator: Option<String>,
    pub remission_below: Option<f64>,
    pub reliability: Option<f64>,
    pub fidelity_threshold: Option<f64>,
}

impl QueryText {
    /// The request, or the offending parameter's name (`by`, `from`, `to`, `indicator`,
    /// `remission_below`, `reliability`, `fidelity_threshold`) and what is wrong with it.
    pub fn parse(&self, today: Date) -> Result<Request, (&'static str, String)> {
        let by = match &self.by {
            Some(text) => Dimension::parse_list(text).map_err(|m| ("by", m))?,
            None => Vec::new(),
        };
        let date = |text: &Option<String>, field: &'static str| {
            text.as_deref()
                .map(|t| {
                    Date::parse(t, field)
                        .map_err(|_| (field, "must be a date in YYYY-MM-DD form".to_string()))
                })
                .transpose()
        };
        let period = Period {
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?,
        };
        if let (Some(f), Some(t)) = (period.from, period.to)
            && f > t
        {
            return Err(("from", "must not be after to".into()));
        }
        let params = Parameters {
            remission_below: self.remission_below,
            reliability: self.reliability,
            fidelity_threshold: self.fidelity_threshold.unwrap_or(0.8),
        };
        params.validate().map_err(|(f, m)| (f, m.to_string()))?;
        let codes = self.indicator.as_ref().map(|t| {
            t.split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        });
        if let Some(codes) = &codes {
            if codes.is_empty() {
                return Err(("indicator", "must name at least one indicator".into()));
            }
            if codes
                .iter()
                .any(|c| crate::catalogue::indicator(c).is_none())
            {
                return Err((
                    "indicator",
                    "names an indicator that does not exist (see the catalogue)".into(),
                ));
            }
        }
        Ok(Request {
            programme: self.programme.clone(),
            by,
            period,
            codes,
            params,
            today,
        })
    }
}
