//! `scaleup serve`: the HTTP server.

use super::config::{DbArgs, block_on, init_logging};
use anyhow::Context;
use scaleup_storage::Store;
use scaleup_web::{AppState, CatalogDocs, UiConfig};
use std::sync::Arc;

/// Arguments for `scaleup serve`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "SCALEUP_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Mark the session cookie Secure and send HSTS (set when serving behind TLS).
    #[arg(long, env = "SCALEUP_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Serve the service-worker kill switch: every phone drops the app's cached shell on its
    /// next visit (records waiting to be sent are kept). For a broken release in the field.
    #[arg(long, env = "SCALEUP_NO_SERVICE_WORKER")]
    pub no_service_worker: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    init_logging();
    block_on(async move {
        let store = args.db.open(true).await?;
        let ui = UiConfig {
            service_worker_disabled: args.no_service_worker,
        };
        serve(store, &args.addr, args.secure_cookies, ui, |url| {
            println!("scaleup is listening on {url}")
        })
        .await
    })
}

/// Serves until Ctrl-C or SIGTERM. `announce` receives the URL once the socket is bound.
pub async fn serve(
    store: Store,
    addr: &str,
    secure_cookies: bool,
    ui: UiConfig,
    announce: impl FnOnce(&str),
) -> anyhow::Result<()> {
    // The same catalogue the store scores with: built-ins plus the hub's stored definitions.
    let catalog = super::config::load_catalog(&store).await?;
    let state = AppState {
        store: store.clone(),
        secure_cookies,
        catalog: Arc::new(CatalogDocs::from_catalog(Arc::new(catalog))),
        ui,
    };
    let app = scaleup_web::router(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    announce(&format!("http://{local}"));
    // Every server sweeps overdue risk alerts (and keeps planner statistics current); the sweep is idempotent, so several servers
    // behind a load balancer do not escalate an alert twice.
    let sweeper = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                match store.escalate_overdue_alerts().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(escalated = n, "escalated overdue risk alerts"),
                    Err(e) => tracing::warn!(error = %e, "alert escalation sweep failed"),
                }
                // Planner statistics follow the database as it grows (a no-op most minutes).
                if let Err(e) = store.refresh_statistics_if_stale().await {
                    tracing::warn!(error = %e, "refreshing planner statistics failed");
                }
            }
        })
    };
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("serving HTTP")?;
    sweeper.abort();
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
