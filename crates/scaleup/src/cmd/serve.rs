//! `scaleup serve`: the HTTP server.

use super::config::{DbArgs, block_on, init_logging};
use anyhow::Context;
use scaleup_storage::Store;
use scaleup_web::notify::WebhookConfig;
use scaleup_web::{AppState, UiConfig};

/// How often the server checks the database for definitions uploaded through another server.
const DEFINITIONS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// How often the server looks for notifications to send.
const NOTIFY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

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
    /// Webhook that receives notifications (risk alerts, escalations, safety flags) as JSON,
    /// e.g. an SMS or WhatsApp gateway. Without it notifications wait in the outbox.
    #[arg(long, env = "SCALEUP_NOTIFY_WEBHOOK")]
    pub notify_webhook: Option<String>,
    /// Secret for the X-Scaleup-Signature header (HMAC-SHA256 of the body). Prefer the
    /// environment variable: arguments are visible to other users of the machine.
    #[arg(long, env = "SCALEUP_NOTIFY_SECRET", hide_env_values = true)]
    pub notify_secret: Option<String>,
    /// Serve the service-worker kill switch: every phone drops the app's cached shell on its
    /// next visit (records waiting to be sent are kept). For a broken release in the field.
    #[arg(long, env = "SCALEUP_NO_SERVICE_WORKER")]
    pub no_service_worker: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    init_logging();
    let notify = match &args.notify_webhook {
        Some(url) => Some(
            WebhookConfig::new(url, args.notify_secret.as_deref())
                .map_err(|e| anyhow::anyhow!("--notify-webhook: {e}"))?,
        ),
        None if args.notify_secret.is_some() => {
            anyhow::bail!("--notify-secret is set but --notify-webhook is not")
        }
        None => None,
    };
    block_on(async move {
        let store = args.db.open(true).await?;
        let ui = UiConfig {
            service_worker_disabled: args.no_service_worker,
        };
        serve_with(store, &args.addr, args.secure_cookies, ui, notify, |url| {
            println!("scaleup is listening on {url}")
        })
        .await
    })
}

/// Serves until Ctrl-C or SIGTERM, without sending notifications (they stay in the outbox).
/// `announce` receives the URL once the socket is bound.
pub async fn serve(
    store: Store,
    addr: &str,
    secure_cookies: bool,
    ui: UiConfig,
    announce: impl FnOnce(&str),
) -> anyhow::Result<()> {
    serve_with(store, addr, secure_cookies, ui, None, announce).await
}

/// Serves until Ctrl-C or SIGTERM, posting due notifications to `notify` when it is set.
pub async fn serve_with(
    store: Store,
    addr: &str,
    secure_cookies: bool,
    ui: UiConfig,
    notify: Option<WebhookConfig>,
    announce: impl FnOnce(&str),
) -> anyhow::Result<()> {
    // The catalogue the store scores with and the pages and API serve: built-ins plus the
    // stored definition files, reloaded whenever one is uploaded (on any server).
    store.load_definitions().await?;
    let state = AppState {
        store: store.clone(),
        secure_cookies,
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
    // Definitions uploaded through any server take effect here within DEFINITIONS_INTERVAL
    // (and before any sync push, which checks first): no restart.
    let definitions = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(DEFINITIONS_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match store.refresh_definitions().await {
                    Ok(false) => {}
                    Ok(true) => tracing::info!("reloaded definitions uploaded through another server"),
                    Err(e) => tracing::warn!(error = %e, "checking for new definitions failed"),
                }
            }
        })
    };
    // Every server sends: claims are exclusive, so several servers sharing one PostgreSQL share
    // the work and never post the same notification at once.
    let sender = match notify {
        Some(config) => {
            if config.is_plain_http_off_host() {
                tracing::warn!(
                    webhook = %config.origin(),
                    "the notification webhook is plain http on another host: messages cross the network unencrypted"
                );
            }
            tracing::info!(webhook = %config.origin(), "sending notifications");
            let store = store.clone();
            Some(tokio::spawn(async move {
                let mut tick = tokio::time::interval(NOTIFY_INTERVAL);
                // A slow gateway delays the next round instead of bunching rounds up after it.
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    match scaleup_web::notify::deliver_due(&store, &config).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(delivered = n, "sent notifications"),
                        Err(e) => tracing::warn!(error = %e, "the notification sender failed"),
                    }
                }
            }))
        }
        None => {
            tracing::info!(
                "no --notify-webhook: notifications are kept in the outbox, unsent, until a server with one runs"
            );
            None
        }
    };
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("serving HTTP")?;
    sweeper.abort();
    definitions.abort();
    if let Some(sender) = sender {
        sender.abort();
    }
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
