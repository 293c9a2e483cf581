//! `GET /api/v1/indicators`: implementation outcomes of the caller's programmes, the same JSON
//! as `scaleup indicators --format json` (both render with `scaleup_indicators::render`).
//!
//! Who sees what is decided here, once per response, from the domain's capabilities: a caller
//! with [`Capability::ReadExactIndicators`] sees exact figures for programmes of their own hub
//! (an admin, for every hub); everyone else gets disclosure control
//! ([`scaleup_indicators::Disclosure::for_viewers`]): periods snapped to whole months, small
//! cells and their complements withheld (`Store::indicator_table`).

use crate::api::{AppState, Params};
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use scaleup_domain::date::Date;
use scaleup_domain::role::Capability;
use scaleup_indicators::{Computed, Disclosure, QueryText};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IndicatorQuery {
    programme: Option<String>,
    hub: Option<String>,
    by: Option<String>,
    from: Option<String>,
    to: Option<String>,
    indicator: Option<String>,
    remission_below: Option<f64>,
    reliability: Option<f64>,
    fidelity_threshold: Option<f64>,
    format: Option<String>,
}

/// The disclosure policy for `caller` on `computed`: exact only for a role that may see its
/// own hub's client rows, and only when every programme in the answer is of that hub.
pub(crate) fn policy_for(caller: &Caller, computed: &Computed) -> Disclosure {
    policy_for_session(&caller.actor, &caller.user, computed)
}

/// [`policy_for`] for a signed-in page visitor (the dashboard) as for an API caller.
pub(crate) fn policy_for_session(
    actor: &scaleup_storage::Actor,
    user: &scaleup_storage::UserRecord,
    computed: &Computed,
) -> Disclosure {
    policy_for_hubs(actor, user, computed.hub_ids())
}

/// [`policy_for_session`] decided before computing, from the hubs whose programmes the answer
/// will hold (the dashboard knows them from the programme asked for).
pub(crate) fn policy_for_hubs(
    actor: &scaleup_storage::Actor,
    user: &scaleup_storage::UserRecord,
    hub_ids: &[String],
) -> Disclosure {
    let role = actor.role;
    let own_hub = |hub: &String| user.hub_id.as_deref() == Some(hub.as_str());
    if role.can(Capability::ReadExactIndicators)
        && (role.sees_every_hub() || hub_ids.iter().all(own_hub))
    {
        Disclosure::Exact
    } else {
        Disclosure::for_viewers()
    }
}

pub(crate) async fn indicators(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<IndicatorQuery>,
) -> Result<Response, ApiError> {
    caller.require(Capability::ReadIndicators)?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::invalid("format", "must be json or csv")),
    };
    let today = Date::parse(&scaleup_storage::now_timestamp()[..10], "today")
        .map_err(|_| ApiError::from(scaleup_storage::StoreError::Internal("clock".into())))?;
    let request = QueryText {
        programme: q.programme,
        by: q.by,
        from: q.from,
        to: q.to,
        indicator: q.indicator,
        remission_below: q.remission_below,
        reliability: q.reliability,
        fidelity_threshold: q.fidelity_threshold,
    }
    .parse(today)
    .map_err(|(field, m)| ApiError::invalid(field, m))?;
    let computed = state
        .store
        .indicators(Some(&caller.actor), q.hub.as_deref(), &request)
        .await?;
    let table = match policy_for(&caller, &computed) {
        Disclosure::Exact => scaleup_indicators::disclose(computed, Disclosure::Exact),
        // Computed again: periods snap to months and the margins are needed too.
        policy => {
            state
                .store
                .indicator_table(Some(&caller.actor), q.hub.as_deref(), &request, policy)
                .await?
        }
    };
    Ok(if csv {
        (
            [(CONTENT_TYPE, "text/csv; charset=utf-8")],
            scaleup_indicators::render::csv(&table),
        )
            .into_response()
    } else {
        axum::Json(scaleup_indicators::render::json(&table)).into_response()
    })
}
