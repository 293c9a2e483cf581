//! `scaleup serve`: the HTTP server.

use super::config::{DbArgs, LogFormat, block_on, init_logging_as};
use anyhow::Context;
use axum::extract::ConnectInfo;
use scaleup_storage::Store;
use scaleup_web::notify::WebhookConfig;
use scaleup_web::ops::{Cidr, OpsConfig};
use scaleup_web::{AppState, UiConfig};
use std::time::Duration;
use tower::ServiceExt;

/// How often the server checks the database for definitions uploaded through another server.
const DEFINITIONS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// How often the server looks for notifications to send.
const NOTIFY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a connection may take to send a request head, counted from when the server starts
/// waiting for one: as a new connection opens, and again after each response on a kept-alive
/// connection. So it is also how long a kept-alive connection may sit idle. A browser or a
/// phone sends its head at once (a few hundred bytes); a connection that sends nothing, or a
/// head a byte at a time, holds a socket and a task for nobody. hyper offers no separate idle
/// timer: its header timer starts when it begins waiting for a head, not at the first byte.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connection limits of the HTTP server.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// See [`HEADER_READ_TIMEOUT`].
    pub header_read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header_read: HEADER_READ_TIMEOUT,
        }
    }
}

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
    /// Password checks (argon2id, 19 MiB each) run at most this many at once; sign-ins beyond
    /// wait for a slot. Default: the number of CPUs.
    #[arg(long, env = "SCALEUP_PASSWORD_SLOTS", value_parser = clap::value_parser!(u16).range(1..))]
    pub password_slots: Option<u16>,
    /// Seconds a sign-in waits for a password-check slot before the server answers 503 with
    /// Retry-After.
    #[arg(long, env = "SCALEUP_PASSWORD_WAIT", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=60))]
    pub password_wait: u16,
    /// Seconds a connection may take to send a request's head, and may stay idle between
    /// requests, before the server closes it.
    #[arg(long, env = "SCALEUP_HEADER_READ_TIMEOUT", default_value_t = HEADER_READ_TIMEOUT.as_secs_f64(), value_name = "SECONDS")]
    pub header_read_timeout: f64,
    /// A reverse proxy or load balancer (address or CIDR block; repeat or separate with
    /// commas) whose X-Forwarded-For is believed: behind it, the client's address (for sign-in
    /// throttling and the audit log) is the rightmost address in the header that is not a
    /// trusted proxy. Requests from anyone else keep their own address whatever they send.
    #[arg(
        long = "trusted-proxy",
        env = "SCALEUP_TRUSTED_PROXY",
        value_name = "ADDR/CIDR",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<Cidr>,
    /// Addresses (or CIDR blocks) that may read GET /metrics without signing in, e.g. the
    /// Prometheus server; admins may always read it.
    #[arg(
        long = "metrics-allow",
        env = "SCALEUP_METRICS_ALLOW",
        value_name = "ADDR/CIDR",
        value_delimiter = ','
    )]
    pub metrics_allow: Vec<Cidr>,
    /// Log lines as text (for people) or JSON (one object a line, for a log collector). Either
    /// way they hold no identifiers or clinical values: a request is logged by its route
    /// template, method, status and duration.
    #[arg(long, env = "SCALEUP_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Most bytes of one multipart import upload (`POST /api/v1/imports/*`, the import page),
    /// decompressed. Uploads are written to a temporary file as they arrive, so this bounds
    /// disk, not memory; beyond it the server answers 413.
    #[arg(long, env = "SCALEUP_IMPORT_MAX_BYTES", default_value_t = scaleup_web::imports::DEFAULT_MAX_UPLOAD, value_name = "BYTES")]
    pub import_max_bytes: u64,
    /// Folder for those temporary files (default: the system's temporary folder). The files
    /// are unlinked from the start, so an interrupted upload leaves nothing behind.
    #[arg(long, env = "SCALEUP_IMPORT_SPOOL_DIR", value_name = "DIR")]
    pub import_spool_dir: Option<std::path::PathBuf>,
    /// Multipart imports at once; each may hold --import-max-bytes of disk. One more is
    /// answered 503 with Retry-After before its body is read.
    #[arg(long, env = "SCALEUP_IMPORTS_AT_ONCE", default_value_t = scaleup_web::imports::DEFAULT_IMPORTS_AT_ONCE, value_name = "N")]
    pub imports_at_once: usize,
    /// The longest an import upload may take to arrive, in seconds; past it, 408.
    #[arg(long, env = "SCALEUP_IMPORT_UPLOAD_SECONDS", default_value_t = scaleup_web::imports::DEFAULT_UPLOAD_SECONDS, value_name = "SECONDS")]
    pub import_upload_seconds: u64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    init_logging_as(args.log_format);
    if !(args.header_read_timeout > 0.0 && args.header_read_timeout <= 3600.0) {
        anyhow::bail!("--header-read-timeout: must be above 0 and at most 3600 seconds");
    }
    let timeouts = Timeouts {
        header_read: Duration::from_secs_f64(args.header_read_timeout),
    };
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
        let slots = args.password_slots.map_or_else(
            || std::thread::available_parallelism().map_or(2, |n| n.get()),
            usize::from,
        );
        let store = args.db.open(true).await?.with_password_hashing(
            slots,
            std::time::Duration::from_secs(u64::from(args.password_wait)),
        );
        let ui = UiConfig {
            service_worker_disabled: args.no_service_worker,
        };
        let ops = OpsConfig {
            trusted_proxies: args.trusted_proxies,
            metrics_allow: args.metrics_allow,
            ..Default::default()
        };
        let imports = scaleup_web::imports::ImportLimits::new(
            args.import_max_bytes,
            args.import_spool_dir,
            args.imports_at_once,
            std::time::Duration::from_secs(args.import_upload_seconds),
        );
        serve_with(
            store,
            &args.addr,
            args.secure_cookies,
            ui,
            notify,
            timeouts,
            ops,
            imports,
            |url| println!("scaleup is listening on {url}"),
        )
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
    serve_with(
        store,
        addr,
        secure_cookies,
        ui,
        None,
        Timeouts::default(),
        OpsConfig::default(),
        Default::default(),
        announce,
    )
    .await
}

/// Serves until Ctrl-C or SIGTERM, posting due notifications to `notify` when it is set.
#[allow(clippy::too_many_arguments)]
pub async fn serve_with(
    store: Store,
    addr: &str,
    secure_cookies: bool,
    ui: UiConfig,
    notify: Option<WebhookConfig>,
    timeouts: Timeouts,
    ops: OpsConfig,
    imports: scaleup_web::imports::ImportLimits,
    announce: impl FnOnce(&str),
) -> anyhow::Result<()> {
    // The catalogue the store scores with and the pages and API serve: built-ins plus the
    // stored definition files, reloaded whenever one is uploaded (on any server).
    store.load_definitions().await?;
    // Indicator facts derived by another version or from other protocols are rebuilt now, in
    // the background (minutes on a national database); indicator requests meanwhile wait for
    // this rebuild rather than start their own, and every other request is served at once.
    {
        let store = store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.ensure_indicator_facts().await {
                tracing::warn!(error = %e, "rebuilding the indicator facts failed; the next indicator request tries again");
            }
        });
    }
    let state = AppState {
        store: store.clone(),
        secure_cookies,
        ui,
        analyses: Default::default(),
        imports,
        ops,
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
                // Sign-in counters of quiet addresses go (locked accounts stay locked).
                if let Err(e) = store.prune_sign_in_counters().await {
                    tracing::warn!(error = %e, "pruning sign-in counters failed");
                }
            }
        })
    };
    // Audit events recorded by this server's (and any server's) transactions are chained within
    // SEAL_INTERVAL; sealers on several servers take turns on the chain head.
    let sealer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(scaleup_storage::SEAL_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = store.seal_audit_unless_busy().await {
                    tracing::error!(error = %e, "chaining audit events failed");
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
                    Ok(true) => {
                        tracing::info!("reloaded definitions uploaded through another server")
                    }
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
    accept_loop(listener, app, timeouts).await;
    sweeper.abort();
    sealer.abort();
    definitions.abort();
    if let Some(sender) = sender {
        sender.abort();
    }
    // What this server's last requests recorded is chained before it goes.
    if let Err(e) = store.seal_audit().await {
        tracing::error!(error = %e, "chaining audit events at shutdown failed");
    }
    store.close().await;
    Ok(())
}

/// Serves HTTP/1.1 connections until Ctrl-C or SIGTERM, then lets open requests finish.
///
/// `axum::serve` does this too, but sets no timer on hyper, so a connection that never sends
/// a request head stayed open forever (200 of them held for the whole of a 60 s benchmark).
/// This is the same loop with hyper's header-read timeout; like `axum::serve`, it gives every
/// request its peer address as `ConnectInfo` (sign-in rate limits use it).
async fn accept_loop(listener: tokio::net::TcpListener, app: axum::Router, timeouts: Timeouts) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // pause instead of spinning, as axum::serve does.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let service =
            app.clone()
                .map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(remote));
                    req
                });
        let conn = http.serve_connection(
            hyper_util::rt::TokioIo::new(stream),
            hyper_util::service::TowerToHyperService::new(service),
        );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // Timeouts, resets and malformed requests end here; none is the server's fault.
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
    // Stop accepting, tell every connection to finish its request in hand, and wait for them.
    drop(listener);
    graceful.shutdown().await;
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
