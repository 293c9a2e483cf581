//! The counsellor's offline app: a language-specific shell (no personal data, cached by the
//! service worker) and the definitions the device needs to work offline.
//!
//! Everything personal reaches the device through the sync API (`/api/v1/sync`) into an
//! IndexedDB database of the signed-in user's own; the shell and the definitions are the same
//! for every counsellor of a hub, so a second user of the same phone gets nothing of the first
//! from them.

use super::i18n::Tr;
use super::{PageError, Visitor, assets};
use crate::api::AppState;
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use scaleup_domain::catalog::Catalog;
use scaleup_domain::role::Role;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

#[derive(Template)]
#[template(path = "app_shell.html")]
struct Shell {
    tr: Tr,
    css: String,
    js: String,
    messages: String,
    config: String,
}

/// `/app/{lang}/`: the app shell in one language. It needs no session (it holds nothing
/// personal, so the service worker may cache it); the script finds out who is signed in.
pub async fn shell(Path(lang): Path<String>) -> Result<Response, PageError> {
    let Some(code) = super::i18n::supported(&lang).filter(|c| *c == lang) else {
        return Err(PageError::Status(StatusCode::NOT_FOUND, "not found".into()));
    };
    let tr = Tr::new(code);
    // JSON inside a <script type="application/json"> block: `<` is escaped so that no text in
    // a message can close the block.
    let escape = |v: Value| v.to_string().replace('<', "\\u003c");
    let config = json!({
        "lang": code,
        "version": assets::version(),
        "languages": super::i18n::picker(),
    });
    let page = Shell {
        tr,
        css: assets::css_url(),
        js: assets::js_url(),
        messages: escape(tr.app_messages()),
        config: escape(config),
    };
    let mut res = super::render(&page)?;
    // The service worker caches the shell itself; the HTTP cache must not hold an old one.
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    );
    Ok(res)
}

/// `/app/`: the start address of the installed app, sent to the shell in the visitor's language.
pub async fn app_root(visitor: Visitor) -> Response {
    super::redirect(&format!("/app/{}/", visitor.tr.lang()))
}

/// `/app/defs?lang=xx`: what the device needs to work offline for the signed-in counsellor:
/// their programmes and facilities, the protocols those follow, every instrument the protocols
/// use with item texts in the chosen language (English with a marker where a translation is
/// missing), and who their supervisor is. No client data.
pub async fn definitions(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let Some(session) = &visitor.session else {
        return Ok((
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"code": "unauthenticated", "message": "sign in first"}})),
        )
            .into_response());
    };
    let session = visitor
        .with_role(&[Role::Counsellor, Role::Supervisor])
        .map(|_| session)?;
    let lang = q
        .get("lang")
        .and_then(|l| super::i18n::supported(l))
        .unwrap_or(visitor.tr.lang());
    // The catalogue of the user's hub: built-ins, network-wide files and the hub's own.
    let catalog = &state.catalog(session.user.hub_id.as_deref());
    let programmes = state.store.programmes(&session.actor).await?;
    let units = state.store.org_units(&session.actor, None).await?;
    let mut protocols = serde_json::Map::new();
    let mut instrument_codes = BTreeSet::new();
    for p in &programmes {
        if let Some(protocol) = catalog.protocol(&p.protocol_code) {
            instrument_codes.extend(protocol.instrument_codes());
            protocols.insert(
                p.protocol_code.clone(),
                serde_json::to_value(protocol.def()).unwrap_or_default(),
            );
        }
    }
    let instruments: serde_json::Map<String, Value> = instrument_codes
        .iter()
        .filter_map(|code| localised_instrument(catalog, code, lang).map(|v| (code.clone(), v)))
        .collect();
    let supervisor = match &session.user.supervisor_id {
        Some(id) => state
            .store
            .user(id)
            .await?
            .map(|u| json!({"id": u.id, "name": u.display_name})),
        None => None,
    };
    let body = json!({
        "lang": lang,
        "user": {"id": session.user.id, "name": session.user.display_name, "role": session.actor.role.as_str()},
        "supervisor": supervisor,
        "programmes": programmes.iter().map(|p| json!({
            "id": p.id, "code": p.code, "name": p.name, "protocol": p.protocol_code, "hub_id": p.hub_id,
        })).collect::<Vec<_>>(),
        "facilities": units.iter().filter(|u| u.level == scaleup_domain::org::OrgLevel::Facility).map(|u| json!({
            "id": u.id, "name": u.name, "hub_id": u.hub_id,
        })).collect::<Vec<_>>(),
        "protocols": protocols,
        "instruments": instruments,
        "alert_actions": scaleup_storage::ALERT_ACTIONS,
    });
    Ok(Json(body).into_response())
}

/// An instrument definition with its item texts in `lang`: the hub's or built-in translation
/// where there is one, otherwise the English text marked `"fallback": true` so the app can say
/// so. Restricted instruments without licensed texts keep their neutral labels ("Item 3").
pub fn localised_instrument(catalog: &Catalog, code: &str, lang: &str) -> Option<Value> {
    let instrument = catalog.instrument(code)?;
    let mut def = serde_json::to_value(instrument.def()).ok()?;
    let texts = if lang == "en" {
        None
    } else {
        catalog.item_texts(code, instrument.version(), lang)
    };
    // English item texts may themselves come from an overlay (licensed wording a hub loaded).
    let english = catalog.item_texts(code, instrument.version(), "en");
    if let Some(items) = def.get_mut("items").and_then(Value::as_array_mut) {
        for item in items {
            let id = item["id"].as_str().unwrap_or_default().to_string();
            let translated = texts.and_then(|t| t.text(&id));
            match translated {
                Some(text) => {
                    item["text"] = json!(text);
                    if let Some(t) = texts
                        && let Some(options) = item.get_mut("options").and_then(Value::as_array_mut)
                    {
                        for (i, option) in options.iter_mut().enumerate() {
                            if let Some(label) = t.option_label(&id, i) {
                                option["label"] = json!(label);
                            }
                        }
                    }
                }
                None => {
                    if let Some(text) = english.and_then(|t| t.text(&id)) {
                        item["text"] = json!(text);
                    }
                    if lang != "en" && item.get("text").is_some() {
                        item["fallback"] = json!(true);
                    }
                }
            }
        }
    }
    if let Some(t) = texts {
        def["texts_language"] = json!(t.language());
        // Where the wording comes from (an official translation, or a working one to replace):
        // the counsellor and supervisor can see it on the form.
        def["texts_source"] = json!(t.def().source);
        if let Some(instructions) = &t.def().instructions {
            def["instructions"] = json!(instructions);
        }
        // Response sets are shared by items; translated option labels of the first item that
        // uses a set label the set (overlays give labels per item, in code order).
        translate_response_sets(&mut def, t);
    }
    Some(def)
}

fn translate_response_sets(def: &mut Value, texts: &scaleup_domain::instrument::ItemTexts) {
    let Some(items) = def.get("items").and_then(Value::as_array).cloned() else {
        return;
    };
    let Some(sets) = def.get_mut("response_sets").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, set) in sets.iter_mut() {
        let Some(item) = items
            .iter()
            .find(|i| i.get("response_set").and_then(Value::as_str) == Some(name))
        else {
            continue;
        };
        let id = item["id"].as_str().unwrap_or_default();
        if let Some(options) = set.get_mut("options").and_then(Value::as_array_mut) {
            for (i, option) in options.iter_mut().enumerate() {
                if let Some(label) = texts.option_label(id, i) {
                    option["label"] = json!(label);
                }
            }
        }
    }
}
