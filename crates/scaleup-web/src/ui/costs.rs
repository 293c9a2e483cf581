//! `GET /dashboard/costs`: Proctor's implementation cost for the hub that runs a programme,
//! year by year: the activity recorded (sessions and their minutes, supervision, training)
//! costed with the price lists the hub stored in the console (docs/indicators.md#proctor).
//!
//! Activity is the hub's, across its programmes, as the costing model counts it
//! (`Store::activity_by_hub_year`, audited); each year is priced by the hub's own newest file
//! for it, else a network-wide one ([`crate::analyses::stored_price_sources`]). A year no
//! file prices says so and points to where a price list is uploaded. A page of its own, not a
//! panel of the dashboard: on a national database the activity takes seconds to add up, and the
//! dashboard's figures should not wait for it.

use super::{Chrome, PageError, Visitor, render, svg};
use crate::analyses::CostingAssumptions;
use crate::api::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use scaleup_domain::role::Capability;
use scaleup_econ::costing::{CostingError, cost_with_sources};
use scaleup_indicators::Disclosure;
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CostsQuery {
    programme: Option<String>,
    /// Hub code, when two hubs have a programme with the same code.
    hub: Option<String>,
}

/// One year as shown.
pub struct YearRow {
    pub year: String,
    /// Each figure with its column's heading (the label of its line on a phone).
    pub cells: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "dashboard_costs.html")]
struct CostsPage {
    c: Chrome,
    programme: String,
    hub_name: String,
    heads: Vec<String>,
    years: Vec<YearRow>,
    /// Cost per client by year (priced years only).
    chart: String,
    /// Years that could not be costed, each with why.
    missing: Vec<String>,
    may_upload: bool,
    suppressed_note: Option<String>,
}

/// An amount after its currency and price year ("USD 2024 12.40").
fn money(amount: Option<f64>, currency: &str) -> String {
    match amount {
        Some(a) => format!("{currency} {}", scaleup_format::money(a)),
        None => "–".into(),
    }
}

pub async fn costs(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<CostsQuery>,
) -> Result<Response, PageError> {
    let s = super::dashboard::indicator_reader(&v)?;
    let store = &state.store;
    let hubs = store.hubs(Some(&s.actor)).await?;
    let programme = store
        .programmes(&s.actor)
        .await?
        .into_iter()
        .filter(|p| Some(&p.code) == q.programme.as_ref())
        .find(|p| {
            q.hub
                .as_ref()
                .is_none_or(|code| hubs.iter().any(|h| h.id == p.hub_id && &h.code == code))
        })
        .ok_or_else(|| {
            PageError::Status(axum::http::StatusCode::NOT_FOUND, v.tr.t("dash-choose"))
        })?;
    let hub = hubs
        .iter()
        .find(|h| h.id == programme.hub_id)
        .ok_or_else(|| PageError::Internal("a visible programme's hub is not visible".into()))?;
    // Responders and remissions are not shown here: not counting them spares reading every
    // outcome score of the hub.
    let assumptions = CostingAssumptions::default();
    let mut activity = assumptions.activity(
        store
            .activity_by_hub_year(Some(&s.actor), Some(&hub.id), None)
            .await?,
    );
    for a in &mut activity {
        (a.responders, a.remissions) = (None, None);
    }
    let sources = crate::analyses::stored_price_sources(store, &s.actor).await?;
    let costed = cost_with_sources(&sources, &activity);
    // The same decision as the indicators: exact for the hub's own staff, otherwise a year of
    // fewer than k clients is withheld (its cost per client would be nearly one person's).
    let own = s.user.hub_id.as_deref() == Some(hub.id.as_str());
    let k = if s.actor.role.can(Capability::ReadExactIndicators)
        && (s.actor.role.sees_every_hub() || own)
    {
        None
    } else {
        match Disclosure::for_viewers() {
            Disclosure::SuppressBelow { k } => Some(k),
            Disclosure::Exact => None,
        }
    };

    let heads = vec![
        v.tr.t("cost-clients"),
        v.tr.t("cost-sessions"),
        v.tr.t("cost-total"),
        v.tr.t("cost-per-client"),
        v.tr.t("cost-per-session"),
        v.tr.t("cost-price-list"),
    ];
    let mut years = Vec::new();
    let mut missing = Vec::new();
    let mut bars = Vec::new();
    for c in &costed {
        let year = c.activity.year.to_string();
        if k.is_some_and(|k| c.activity.clients < k as f64) {
            let withheld = format!("<{}", k.unwrap_or_default());
            // Every figure withheld; which file priced it says nothing about anyone.
            let mut cells: Vec<(String, String)> = heads
                .iter()
                .map(|h| (h.clone(), withheld.clone()))
                .collect();
            if let Some(last) = cells.last_mut() {
                last.1 = c.origin.clone().unwrap_or_else(|| "–".into());
            }
            years.push(YearRow { year, cells });
            continue;
        }
        match &c.cost {
            Ok(r) => {
                let currency = format!("{} {}", r.currency, r.price_year);
                let per_client = money(r.per_client, &currency);
                bars.push((year.clone(), r.per_client, per_client.clone()));
                years.push(YearRow {
                    year,
                    cells: vec![
                        (heads[0].clone(), scaleup_format::count(c.activity.clients)),
                        (heads[1].clone(), scaleup_format::count(c.activity.sessions)),
                        (heads[2].clone(), money(Some(r.total), &currency)),
                        (heads[3].clone(), per_client),
                        (heads[4].clone(), money(r.per_session, &currency)),
                        (heads[5].clone(), c.origin.clone().unwrap_or_default()),
                    ],
                });
            }
            Err(CostingError::NoPrices { year, .. }) => missing.push(v.tr.s(
                "cost-no-prices",
                &[("year", &year.to_string()), ("hub", &hub.name)],
            )),
            Err(e) => missing.push(format!(
                "{year}: {e} ({})",
                c.origin.clone().unwrap_or_default()
            )),
        }
    }
    let chart = if bars.is_empty() {
        String::new()
    } else {
        svg::count_columns(&v.tr.t("cost-per-client"), &bars)
    };
    let title = v.tr.t("cost-title");
    let page = CostsPage {
        c: v.chrome(title, "/dashboard"),
        programme: programme.code.clone(),
        hub_name: hub.name.clone(),
        heads,
        years,
        chart,
        missing,
        may_upload: s.actor.role.can(Capability::ManageDefinitions),
        suppressed_note: k.map(|k| v.tr.s("dash-suppressed", &[("k", &k.to_string())])),
    };
    render(&page)
}
