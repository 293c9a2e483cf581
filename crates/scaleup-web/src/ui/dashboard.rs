//! `GET /dashboard`: a programme's implementation outcomes for hub managers, supervisors,
//! researchers, viewers and admins: the effective-coverage cascade, monthly screening and
//! enrolment, reach by sex and age band, org units with drill-down from region to facility, and
//! every indicator of the catalogue by framework, and (for those who may see exact figures)
//! fidelity, dose and competency by counsellor. Server-rendered
//! inline SVG, no JavaScript.
//!
//! Indicators and frameworks are named in the reader's language (the catalogues' `ind-*`
//! messages); their definitions stay in English, as in docs/indicators.md.
//!
//! Every figure comes from the indicator engine through the same disclosure decision as
//! `GET /api/v1/indicators` ([`crate::indicators::policy_for_session`]): a viewer gets small
//! counts withheld, whatever cut or drill-down is asked for.

use super::i18n::Tr;
use super::{Chrome, PageError, Visitor, render, svg};
use crate::api::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use scaleup_domain::date::Date;
use scaleup_domain::protocol::TargetDef;
use scaleup_domain::role::Capability;
use scaleup_indicators::{Disclosure, Framework, IndicatorDef, IndicatorTable, QueryText};
use serde::Deserialize;

/// The org-unit levels of the drill-down, from the top.
const LEVELS: [&str; 3] = ["region", "district", "facility"];

/// The cascade's steps, over the population in need (docs/indicators.md).
const CASCADE: [&str; 5] = [
    "need",
    "coverage_contact",
    "coverage_adequate_dose",
    "coverage_quality",
    "coverage_effective",
];

/// The headline figures beside the cascade.
const HEADLINE: [&str; 9] = [
    "treatment_gap",
    "reach",
    "completion",
    "phq9_response",
    "phq9_remission",
    "fidelity",
    "adequate_dose",
    "supervision_coverage",
    "alert_response_within_limit",
];

/// Per org unit in the drill-down table.
const BY_UNIT: [&str; 4] = ["enrolled", "reach", "coverage_contact", "completion"];

/// Per counsellor (exact figures only): caseload, fidelity, dose and competency.
const BY_COUNSELLOR: [&str; 4] = [
    "enrolled",
    "fidelity",
    "adequate_dose",
    "counsellors_competent",
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    programme: Option<String>,
    /// Hub code, when two hubs have a programme with the same code.
    hub: Option<String>,
    /// The level of the selected org unit (`region`, `district`); none for the whole programme.
    level: Option<String>,
    /// The selected org unit's code.
    unit: Option<String>,
}

/// One figure as shown: its label and text.
pub struct Figure {
    pub label: String,
    pub text: String,
}

/// One indicator of the full list: its name in the reader's language, its figure, what it is
/// out of, and its definition (in English).
pub struct Listed {
    pub code: &'static str,
    pub label: String,
    pub text: String,
    /// "numerator of denominator" for a share, "n = …" for a mean; none when withheld.
    pub of: Option<String>,
    /// The numerator (÷ the denominator) in words, and an estimate's design.
    pub definition: String,
    /// The protocol's target for it, in words, and whether the figure meets it.
    pub target: Option<(String, bool)>,
}

/// An indicator's month-by-month series against the protocol's target.
pub struct TargetChart {
    /// The indicator's name and the target in words (the chart's visible caption).
    pub caption: String,
    pub svg: String,
    pub source: String,
}

/// The indicators of one framework, in the catalogue's order, under the framework's name in
/// the reader's language.
pub struct FrameworkBlock {
    pub framework: Framework,
    pub label: String,
    pub items: Vec<Listed>,
}

/// A row of a table: a label, an optional drill-down link, and its figures.
pub struct Row {
    pub label: String,
    pub link: Option<String>,
    /// Each figure with its column's heading (the label of its line when the table is shown
    /// as cards on a phone).
    pub cells: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    programmes: Vec<(String, String, bool)>,
    programme: Option<String>,
    scope: String,
    crumbs: Vec<(String, String)>,
    cascade_svg: String,
    headline: Vec<Figure>,
    months_screened: String,
    months_enrolled: String,
    /// The two monthly charts' visible captions.
    month_captions: (String, String),
    by_sex: String,
    by_age: String,
    units_title: String,
    unit_heads: Vec<String>,
    units: Vec<Row>,
    counsellor_heads: Vec<String>,
    counsellors: Vec<Row>,
    frameworks: Vec<FrameworkBlock>,
    targets: Vec<TargetChart>,
    suppressed_note: Option<String>,
}

/// A figure of a row as people read it: a share as a percentage, a count with separators, a
/// mean with one decimal; a withheld figure as "<k".
fn show(table: &IndicatorTable, code: &str, keys: &[&str]) -> String {
    let Some(row) = table.row(code, keys) else {
        return "–".into();
    };
    if row.suppressed {
        return match table.disclosure() {
            Disclosure::SuppressBelow { k } => format!("<{k}"),
            Disclosure::Exact => "–".into(),
        };
    }
    let Some(v) = row.value else {
        return "–".into();
    };
    match row.def.value {
        // Shares under 10 % keep a decimal: a cascade step of 0.4 % is not "0 %".
        scaleup_indicators::ValueKind::Proportion => {
            scaleup_format::percent(v, usize::from(v.abs() < 0.1))
        }
        scaleup_indicators::ValueKind::Hours => format!("{} h", scaleup_format::up_to(v, 1)),
        scaleup_indicators::ValueKind::Count | scaleup_indicators::ValueKind::People => {
            scaleup_format::count(v)
        }
        _ => scaleup_format::up_to(v, 1),
    }
}

/// An indicator's name in the reader's language (`ind-<code>` in the catalogues), else the
/// catalogue's English label. The definitions stay in English: they are long, and
/// docs/indicators.md is their reference.
fn indicator_label(tr: &Tr, def: &IndicatorDef) -> String {
    tr.t_or_none(&format!("ind-{}", def.code))
        .unwrap_or_else(|| def.label.to_string())
}

/// A framework's name in the reader's language (`ind-framework-<framework>`), else the
/// catalogue's English label.
fn framework_label(tr: &Tr, framework: Framework) -> String {
    tr.t_or_none(&format!("ind-framework-{}", framework.as_str()))
        .unwrap_or_else(|| framework.label().to_string())
}

/// The name of the indicator with this code in the reader's language (the code itself for a
/// code the catalogue does not know, which the constants above and checked targets rule out).
fn label(tr: &Tr, code: &str) -> String {
    scaleup_indicators::indicator(code).map_or_else(|| code.to_string(), |d| indicator_label(tr, d))
}

/// The keys (in the order of the cut) of every row of `table` for `code`.
fn keys_of(table: &IndicatorTable, code: &str) -> Vec<Vec<(String, String)>> {
    let mut out: Vec<Vec<(String, String)>> = Vec::new();
    for row in table.rows().iter().filter(|r| r.def.code == code) {
        let key: Vec<(String, String)> = row
            .by
            .iter()
            .map(|v| (v.key.clone(), v.label.clone()))
            .collect();
        if !out.contains(&key) {
            out.push(key);
        }
    }
    out
}

/// The signed-in visitor's session when their role reads indicators (the dashboard and its
/// costs page); otherwise a refusal that says whom to ask.
pub(super) fn indicator_reader(v: &Visitor) -> Result<&super::Session, PageError> {
    let s = v.signed_in()?;
    if !s.actor.role.can(Capability::ReadIndicators) {
        return Err(PageError::Status(
            axum::http::StatusCode::FORBIDDEN,
            v.tr.t("dash-forbidden"),
        ));
    }
    Ok(s)
}

pub async fn dashboard(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, PageError> {
    let s = indicator_reader(&v)?;
    let bad = |m: String| PageError::Status(axum::http::StatusCode::BAD_REQUEST, m);
    let store = &state.store;
    let programmes = store.programmes(&s.actor).await?;
    let chosen = q
        .programme
        .clone()
        .or_else(|| (programmes.len() == 1).then(|| programmes[0].code.clone()));
    let picker = programmes
        .iter()
        .map(|p| {
            (
                p.code.clone(),
                p.name.clone(),
                Some(&p.code) == chosen.as_ref(),
            )
        })
        .collect();
    let title = v.tr.t("dash-title");
    let mut page = DashboardPage {
        c: v.chrome(title, "/dashboard"),
        programmes: picker,
        programme: chosen.clone(),
        scope: String::new(),
        crumbs: Vec::new(),
        cascade_svg: String::new(),
        headline: Vec::new(),
        months_screened: String::new(),
        months_enrolled: String::new(),
        month_captions: (label(&v.tr, "screened"), label(&v.tr, "enrolled")),
        by_sex: String::new(),
        by_age: String::new(),
        units_title: String::new(),
        unit_heads: Vec::new(),
        units: Vec::new(),
        counsellor_heads: Vec::new(),
        counsellors: Vec::new(),
        frameworks: Vec::new(),
        targets: Vec::new(),
        suppressed_note: None,
    };
    let Some(programme) = chosen else {
        return render(&page);
    };
    // The selected org unit and the level listed below it.
    let level = match q.level.as_deref() {
        None => None,
        Some(l) if LEVELS[..2].contains(&l) => Some(l),
        Some(_) => return Err(bad(v.tr.t("dash-bad-level"))),
    };
    let unit = match (level, q.unit.as_deref()) {
        (Some(_), Some(u)) if !u.is_empty() && u.len() <= 100 => Some(u.to_string()),
        (None, None) => None,
        _ => return Err(bad(v.tr.t("dash-bad-level"))),
    };
    let child = match level {
        None => LEVELS[0],
        Some(l) => LEVELS[LEVELS.iter().position(|x| *x == l).unwrap_or(0) + 1],
    };

    let today = Date::parse(&scaleup_storage::now_timestamp()[..10], "today")
        .map_err(|_| PageError::Internal("clock".into()))?;
    // Twelve whole months up to the end of this one.
    let mut first = today.first_of_month();
    for _ in 0..11 {
        first = first.add_days(-1).first_of_month();
    }
    let last = today.last_of_month();

    // A request cut by the selected unit's level first (so its rows can be kept), then `by`;
    // `scoped: false` for the places table, which is cut by the level below only (disclosure
    // control allows one org-unit level a request) and filtered by the org tree.
    let ask_with = |by: &[&str], codes: &[&str], period: bool, scoped: bool| {
        let mut cuts: Vec<&str> = if scoped {
            level.into_iter().collect()
        } else {
            Vec::new()
        };
        cuts.extend_from_slice(by);
        QueryText {
            programme: Some(programme.clone()),
            by: (!cuts.is_empty()).then(|| cuts.join(",")),
            from: period.then(|| first.to_string()),
            to: period.then(|| last.to_string()),
            indicator: Some(codes.join(",")),
            remission_below: None,
            reliability: None,
            fidelity_threshold: None,
        }
        .parse(today)
        .map_err(|(field, m)| bad(format!("{field}: {m}")))
    };
    let ask = |by: &[&str], codes: &[&str], period: bool| ask_with(by, codes, period, true);
    // The same disclosure decision and path as `GET /api/v1/indicators`: exact figures for the
    // hub's own staff, otherwise month-snapped periods and complementary suppression over the
    // canonical tables (Store::indicator_table). Decided once, from the hubs of the programmes
    // the requests read, so that no request is computed twice.
    let hub_ids: Vec<String> = programmes
        .iter()
        .filter(|p| p.code == programme)
        .map(|p| p.hub_id.clone())
        .collect();
    let policy = crate::indicators::policy_for_hubs(&s.actor, &s.user, &hub_ids);
    let compute = |request: scaleup_indicators::Request| {
        let actor = s.actor.clone();
        let hub = q.hub.clone();
        async move {
            let table = match policy {
                Disclosure::Exact => scaleup_indicators::disclose(
                    store
                        .indicators(Some(&actor), hub.as_deref(), &request)
                        .await?,
                    Disclosure::Exact,
                ),
                policy => {
                    store
                        .indicator_table(Some(&actor), hub.as_deref(), &request, policy)
                        .await?
                }
            };
            Ok::<_, PageError>(table)
        }
    };
    // Keys of a row in a table cut by [level, ...]: the selected unit first.
    let scoped = |rest: &[&str]| -> Vec<String> {
        unit.iter()
            .cloned()
            .chain(rest.iter().map(|s| s.to_string()))
            .collect()
    };

    // Every indicator of the catalogue over all time: the cascade and the headline figures
    // are read from it, and the full list below shows the rest.
    let every_code: Vec<&str> = scaleup_indicators::INDICATORS
        .iter()
        .map(|d| d.code)
        .collect();
    // The targets of the protocol the programme follows, as in force for its hub.
    let targets =
        protocol_targets(store, &s.actor, &programmes, &programme, q.hub.as_deref()).await?;
    let target_codes: Vec<&str> = targets.iter().map(|t| t.indicator.as_str()).collect();
    // The page's requests run side by side: each reads its own connection, so on a large
    // database the page takes about as long as its slowest request rather than their sum.
    let target_request = if target_codes.is_empty() {
        None
    } else {
        Some(ask(&["month"], &target_codes, true)?)
    };
    // Counsellors only for exact figures: a viewer sees no one's performance.
    let counsellor_request = match policy {
        Disclosure::Exact => Some(ask(&["counsellor"], &BY_COUNSELLOR, false)?),
        _ => None,
    };
    let (overall, months, target_months, sex, age, units, counsellors) = tokio::try_join!(
        compute(ask(&[], &every_code, false)?),
        compute(ask(&["month"], &["screened", "enrolled"], true)?),
        async {
            match target_request {
                Some(r) => compute(r).await.map(Some),
                None => Ok(None),
            }
        },
        compute(ask(&["sex"], &["reach"], false)?),
        compute(ask(&["age_band"], &["reach"], false)?),
        compute(ask_with(&[child], &BY_UNIT, false, false)?),
        async {
            match counsellor_request {
                Some(r) => compute(r).await.map(Some),
                None => Ok(None),
            }
        },
    )?;
    // Which places of the level below lie within the selected unit (the org tree).
    let inside: Option<std::collections::HashSet<String>> = match (&unit, level) {
        (Some(u), Some(l)) => {
            let tree = store.org_units(&s.actor, None).await?;
            let by_id: std::collections::HashMap<&str, &scaleup_storage::OrgUnitRow> =
                tree.iter().map(|o| (o.id.as_str(), o)).collect();
            let under = |o: &scaleup_storage::OrgUnitRow| {
                let mut at = o;
                for _ in 0..8 {
                    if at.level.as_str() == l {
                        return at.code == *u;
                    }
                    match at.parent_id.as_deref().and_then(|p| by_id.get(p)) {
                        Some(p) => at = p,
                        None => return false,
                    }
                }
                false
            };
            Some(
                tree.iter()
                    .filter(|o| o.level.as_str() == child && under(o))
                    .map(|o| o.code.clone())
                    .collect(),
            )
        }
        _ => None,
    };

    let within = |keys: &[(String, String)]| match &unit {
        Some(u) => keys.first().is_some_and(|(k, _)| k == u),
        None => true,
    };
    let base = scoped(&[]);
    let base_refs: Vec<&str> = base.iter().map(String::as_str).collect();
    if unit.is_some() && overall.row("reach", &base_refs).is_none() {
        return Err(PageError::Status(
            axum::http::StatusCode::NOT_FOUND,
            v.tr.t("dash-no-unit"),
        ));
    }

    // Scope and breadcrumbs.
    let scope_label = match &unit {
        Some(u) => keys_of(&overall, "reach")
            .into_iter()
            .find(|k| k.first().is_some_and(|(key, _)| key == u))
            .and_then(|k| k.first().map(|(_, l)| l.clone()))
            .unwrap_or_else(|| u.clone()),
        None => programmes
            .iter()
            .find(|p| p.code == programme)
            .map_or_else(|| programme.clone(), |p| p.name.clone()),
    };
    page.crumbs.push((
        format!("/dashboard?programme={}", enc(&programme)),
        v.tr.t("dash-all-units"),
    ));
    if unit.is_some() {
        page.crumbs.push((String::new(), scope_label.clone()));
    }
    page.scope = scope_label;

    // The cascade.
    let need = overall
        .row("need", &base_refs)
        .and_then(|r| (!r.suppressed).then_some(r.value).flatten());
    let steps: Vec<(String, Option<f64>, String)> = CASCADE[1..]
        .iter()
        .map(|code| {
            let share = overall
                .row(code, &base_refs)
                .and_then(|r| (!r.suppressed).then_some(r.value).flatten());
            (label(&v.tr, code), share, show(&overall, code, &base_refs))
        })
        .collect();
    page.cascade_svg = svg::share_bars(&v.tr.t("dash-cascade"), &steps);
    page.headline.push(Figure {
        label: label(&v.tr, "need"),
        text: need.map_or_else(|| show(&overall, "need", &base_refs), scaleup_format::count),
    });
    for code in HEADLINE {
        page.headline.push(Figure {
            label: label(&v.tr, code),
            text: show(&overall, code, &base_refs),
        });
    }

    // Months.
    let month_series =
        |months: &IndicatorTable, code: &str| -> Vec<(String, Option<f64>, String)> {
            let mut m = first;
            let mut out = Vec::new();
            for _ in 0..12 {
                let key = m.month_key();
                let keys = scoped(&[key.as_str()]);
                let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                let value = months
                    .row(code, &refs)
                    .and_then(|r| (!r.suppressed).then_some(r.value).flatten());
                out.push((key[5..].to_string(), value, show(months, code, &refs)));
                m = m.last_of_month().add_days(1);
            }
            out
        };
    page.months_screened = svg::count_columns(
        &label(&v.tr, "screened"),
        &month_series(&months, "screened"),
    );
    page.months_enrolled = svg::count_columns(
        &label(&v.tr, "enrolled"),
        &month_series(&months, "enrolled"),
    );
    let target_text = |t: &TargetDef| {
        let share = scaleup_format::percent(t.share(), 0);
        if t.at_least.is_some() {
            v.tr.s("dash-target-at-least", &[("share", &share)])
        } else {
            v.tr.s("dash-target-at-most", &[("share", &share)])
        }
    };
    if let Some(table) = &target_months {
        for t in &targets {
            let text = target_text(t);
            page.targets.push(TargetChart {
                caption: format!("{}: {text}", label(&v.tr, &t.indicator)),
                svg: svg::share_columns(
                    &label(&v.tr, &t.indicator),
                    &month_series(table, &t.indicator),
                    Some((t.share(), &text)),
                ),
                source: v.tr.s("dash-target-source", &[("source", &t.source)]),
            });
        }
    }

    // Reach by subgroup.
    let subgroup = |table: &IndicatorTable, title: &str| {
        let bars: Vec<(String, Option<f64>, String)> = keys_of(table, "reach")
            .into_iter()
            .filter(|k| within(k))
            .map(|k| {
                let refs: Vec<&str> = k.iter().map(|(key, _)| key.as_str()).collect();
                let value = table
                    .row("reach", &refs)
                    .and_then(|r| (!r.suppressed).then_some(r.value).flatten());
                // Sex in the reader's language (the app's own words for it); age bands are
                // numbers, and anything without a message keeps the engine's label.
                let name = k
                    .last()
                    .map(|(key, l)| {
                        v.tr.t_or_none(&format!("app-sex-{key}"))
                            .unwrap_or_else(|| l.clone())
                    })
                    .unwrap_or_default();
                (name, value, show(table, "reach", &refs))
            })
            .collect();
        svg::share_bars(title, &bars)
    };
    page.by_sex = subgroup(&sex, &v.tr.t("dash-reach-by-sex"));
    page.by_age = subgroup(&age, &v.tr.t("dash-reach-by-age"));

    // Org units one level down, each a link to its own dashboard (facilities are the last).
    page.units_title = v.tr.t(&format!("dash-units-{child}"));
    page.unit_heads = BY_UNIT.iter().map(|c| label(&v.tr, c)).collect();
    for k in keys_of(&units, "enrolled").into_iter().filter(|k| {
        inside
            .as_ref()
            .is_none_or(|set| k.first().is_some_and(|(key, _)| set.contains(key)))
    }) {
        let refs: Vec<&str> = k.iter().map(|(key, _)| key.as_str()).collect();
        let (key, name) = k.last().cloned().unwrap_or_default();
        let link = (child != "facility" && key != "unknown").then(|| {
            format!(
                "/dashboard?programme={}&level={child}&unit={}",
                enc(&programme),
                enc(&key)
            )
        });
        page.units.push(Row {
            label: name,
            link,
            cells: BY_UNIT
                .iter()
                .map(|c| (label(&v.tr, c), show(&units, c, &refs)))
                .collect(),
        });
    }

    // Counsellors (exact figures only: a viewer sees no one's performance).
    if let Some(table) = &counsellors {
        page.counsellor_heads = BY_COUNSELLOR.iter().map(|c| label(&v.tr, c)).collect();
        for k in keys_of(table, "enrolled").into_iter().filter(|k| within(k)) {
            let refs: Vec<&str> = k.iter().map(|(key, _)| key.as_str()).collect();
            page.counsellors.push(Row {
                label: k.last().map(|(_, l)| l.clone()).unwrap_or_default(),
                link: None,
                cells: BY_COUNSELLOR
                    .iter()
                    .map(|c| (label(&v.tr, c), show(table, c, &refs)))
                    .collect(),
            });
        }
    }
    page.frameworks = every_indicator(&v.tr, &overall, &base_refs);
    for item in page.frameworks.iter_mut().flat_map(|f| f.items.iter_mut()) {
        if let Some(t) = targets.iter().find(|t| t.indicator == item.code) {
            let value = overall
                .row(item.code, &base_refs)
                .and_then(|r| (!r.suppressed).then_some(r.value).flatten());
            item.target = Some((target_text(t), value.is_some_and(|x| t.met_by(x))));
        }
    }
    if let Disclosure::SuppressBelow { k } = overall.disclosure() {
        page.suppressed_note = Some(v.tr.s("dash-suppressed", &[("k", &k.to_string())]));
    }
    render(&page)
}

/// Every indicator of `table` at the row keyed `keys`, grouped by framework in the
/// catalogue's order, each with what it is out of and its definition; names in the reader's
/// language, definitions in English.
fn every_indicator(tr: &Tr, table: &IndicatorTable, keys: &[&str]) -> Vec<FrameworkBlock> {
    let mut blocks: Vec<FrameworkBlock> = Vec::new();
    for def in scaleup_indicators::INDICATORS {
        let row = table.row(def.code, keys);
        let of = row.filter(|r| !r.suppressed).and_then(|r| match def.value {
            scaleup_indicators::ValueKind::Proportion => match (r.numerator, r.denominator) {
                (Some(n), Some(d)) => Some(format!(
                    "{} / {}",
                    scaleup_format::count(n),
                    scaleup_format::count(d)
                )),
                _ => None,
            },
            scaleup_indicators::ValueKind::Mean | scaleup_indicators::ValueKind::Hours => {
                r.n.map(|n| format!("n = {}", scaleup_format::count(n as f64)))
            }
            _ => None,
        });
        let mut definition = match def.denominator {
            Some(den) => format!("{} ÷ {}", def.numerator, den),
            None => def.numerator.to_string(),
        };
        if let Some(design) = def.design {
            definition.push_str(&format!(" ({})", design.label()));
        }
        let listed = Listed {
            code: def.code,
            label: indicator_label(tr, def),
            text: show(table, def.code, keys),
            of,
            definition,
            target: None,
        };
        match blocks.last_mut() {
            Some(b) if b.framework == def.framework => b.items.push(listed),
            _ => blocks.push(FrameworkBlock {
                framework: def.framework,
                label: framework_label(tr, def.framework),
                items: vec![listed],
            }),
        }
    }
    blocks
}

/// The targets of the protocol that `programme` follows, from the catalogue in force for its
/// hub (a hub may upload its own version of a protocol); none when the protocol sets none.
async fn protocol_targets(
    store: &scaleup_storage::Store,
    actor: &scaleup_storage::Actor,
    programmes: &[scaleup_storage::ProgrammeRow],
    programme: &str,
    hub_code: Option<&str>,
) -> Result<Vec<TargetDef>, PageError> {
    let hub_id = match hub_code {
        Some(code) => store
            .hubs(Some(actor))
            .await?
            .into_iter()
            .find(|h| h.code == code)
            .map(|h| h.id),
        None => None,
    };
    let row = programmes
        .iter()
        .find(|p| p.code == programme && hub_id.as_ref().is_none_or(|h| *h == p.hub_id));
    Ok(row
        .and_then(|p| {
            store
                .catalogs()
                .catalog(Some(&p.hub_id))
                .protocol(&p.protocol_code)
                .map(|protocol| protocol.targets().to_vec())
        })
        .unwrap_or_default())
}

/// Percent-encodes a query value.
fn enc(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
