//! Hardening issue, item 4, over HTTP: an admin takes checkpoints of the audit chain and has the
//! server check them later; a log cut below a checkpoint is caught, and a log that does not
//! verify gets no checkpoint.

mod common;

use axum::http::StatusCode;
use common::App;
use serde_json::{Value, json};

async fn head_seq(app: &App) -> i64 {
    sqlx::query_scalar("SELECT audit_seq FROM store_state WHERE id = 1")
        .fetch_one(app.store.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_taken_over_http_catches_a_log_cut_below_it() {
    let app = App::sqlite().await;
    let admin = app.token("admin").await;
    let before = head_seq(&app).await;
    let (s, checkpoint) = app
        .call("GET", "/api/v1/audit/checkpoint", Some(&admin), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{checkpoint}");
    // Signing in for the token appended events: the checkpoint covers at least those.
    assert!(
        checkpoint["seq"].as_i64().unwrap() >= before,
        "{checkpoint}"
    );
    assert_eq!(checkpoint["format"], "scaleup-audit-checkpoint/1");

    let verify = |checkpoints: Vec<Value>| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let (s, v) = app
                .call(
                    "POST",
                    "/api/v1/audit/verify",
                    Some(&admin),
                    Some(json!({ "checkpoints": checkpoints })),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v
        }
    };
    let v = verify(vec![checkpoint.clone()]).await;
    assert_eq!(
        (v["ok"].as_bool(), v["checkpoints_checked"].as_i64()),
        (Some(true), Some(1))
    );

    // An edited checkpoint counts for nothing.
    let mut moved = checkpoint.clone();
    moved["seq"] = json!(checkpoint["seq"].as_i64().unwrap() - 1);
    let v = verify(vec![moved]).await;
    assert_eq!(v["ok"], false);
    assert!(
        v["problems"][0]
            .as_str()
            .unwrap()
            .contains("its MAC does not match"),
        "{v}"
    );
    // A body that is not checkpoints is refused, naming the field.
    let (s, e) = app
        .call(
            "POST",
            "/api/v1/audit/verify",
            Some(&admin),
            Some(json!({"checkpoints": [{"seq": 1}]})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");

    // Cut the log below the checkpoint (whoever did it also rewrote the head; only the
    // checkpoint tells where the log once went).
    let seq = checkpoint["seq"].as_i64().unwrap();
    let kept = seq - 2;
    for sql in [
        format!("DELETE FROM audit_log WHERE seq > {kept}"),
        format!(
            "UPDATE store_state SET audit_seq = {kept}, audit_hash = (SELECT hash FROM audit_log WHERE seq = {kept}) WHERE id = 1"
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(app.store.pool())
            .await
            .unwrap();
    }
    let v = verify(vec![checkpoint.clone()]).await;
    let problems: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        problems.iter().any(|p| p.ends_with(&format!(
            "rows after {kept} were removed: the checkpoint saw row {seq} but the recorded head is row {kept}"
        ))),
        "{v}"
    );
    // The log no longer verifies, so no new checkpoint vouches for it.
    let (s, e) = app
        .call("GET", "/api/v1/audit/checkpoint", Some(&admin), None)
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "audit_not_intact");
}
