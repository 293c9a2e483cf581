//! Running the server in production: who the client is behind a load balancer, and what the
//! server reports to monitoring.
//!
//! **Client address.** Behind a reverse proxy or load balancer every TCP peer is the proxy.
//! With `--trusted-proxy` (addresses or CIDR blocks) the server takes the client's address from
//! `X-Forwarded-For`, and only when the peer is one of those proxies: it walks the header from
//! the right (each proxy appends the address it received the request from) past trusted
//! proxies, and the first address that is not one is the client. Anything a client wrote into
//! the header itself sits to the left of that and is never believed; a request that did not come
//! through a trusted proxy keeps its peer's address whatever headers it carries. The address
//! ([`ClientAddr`]) is what sign-in throttling counts and what the sign-in audit event records.
//!
//! **Metrics.** `GET /metrics` in the Prometheus text format (0.0.4): requests by route
//! template (the matched path, `/api/v1/clients/{id}`, never the URL a client sent), method and
//! status; request latency per route as a histogram; sync records by outcome; open and overdue
//! risk alerts per hub code; the database pool. Nothing identifying or clinical: labels are
//! route templates, methods, statuses, outcomes and hub codes. Admins may read it (bearer token
//! or session), and so may addresses given with `--metrics-allow` (a Prometheus server).
//! Counters are per process, as Prometheus expects: each server is scraped on its own.

use crate::api::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// An address or a block of addresses: `10.0.0.0/8`, `192.168.1.10`, `fd00::/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| "not an IP address or CIDR block (e.g. 10.0.0.0/8)".to_string())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("the prefix length must be 0-{max}"))?,
            None => max,
        };
        Ok(Cidr {
            network: canonical(network),
            prefix,
        })
    }
}

impl Cidr {
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.network, canonical(addr)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix as u32).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix as u32).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// IPv4 addresses that arrive mapped into IPv6 (`::ffff:10.0.0.1`) compare as IPv4.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// Settings and counters of the production edge. `Default`: no trusted proxy, metrics for
/// admins only.
#[derive(Clone, Default)]
pub struct OpsConfig {
    /// Counters behind `/metrics`, shared by every request of this process.
    pub metrics: Arc<Metrics>,
    /// Addresses that may read `/metrics` without signing in.
    pub metrics_allow: Vec<Cidr>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<Cidr>,
}

/// The client's address, as [`client_addr`] resolved it (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The client of a request that came from `peer` with these `X-Forwarded-For` values.
pub fn resolve_client(peer: IpAddr, forwarded_for: &[&str], trusted: &[Cidr]) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.iter().any(|c| c.contains(peer)) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(addr) = parse_hop(hop) else {
            // Garbage where a proxy should have written an address: believe nothing further
            // left, and count the request against the last address a trusted proxy vouched
            // for.
            return client;
        };
        if trusted.iter().any(|c| c.contains(addr)) {
            client = addr;
            continue;
        }
        return addr;
    }
    client
}

/// An address as proxies write it: `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]:443`,
/// `203.0.113.7:5123`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(a) = hop.parse::<IpAddr>() {
        return Some(canonical(a));
    }
    if let Ok(sa) = hop.parse::<SocketAddr>() {
        return Some(canonical(sa.ip()));
    }
    None
}

/// Middleware: resolves the client's address once per request and puts it in the request's
/// extensions, for the sign-in throttle, the audit log and `/metrics`' allow list.
pub async fn client_addr(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(peer) = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    {
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let client = resolve_client(peer, &forwarded, &state.ops.trusted_proxies);
        req.extensions_mut().insert(ClientAddr(client));
    }
    next.run(req).await
}

/// The route template a response answered, put there by [`tag_route`].
#[derive(Clone)]
struct RouteTag(String);

/// Route layer: records which route template matched, for [`track`] to count.
pub async fn tag_route(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let mut res = next.run(req).await;
    if let Some(route) = route {
        res.extensions_mut().insert(RouteTag(route));
    }
    res
}

/// Middleware: counts every request by route template, method and status, and times it.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    // Methods outside HTTP's own are counted together: a client inventing methods must not
    // grow the counters without bound.
    let method = match req.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "other",
    }
    .to_string();
    let res = next.run(req).await;
    let route = res
        .extensions()
        .get::<RouteTag>()
        .map_or_else(|| "unmatched".to_string(), |r| r.0.clone());
    let seconds = started.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    state
        .ops
        .metrics
        .record_request(&route, &method, status, seconds);
    // The route template, never the URL: paths carry client and record ids.
    tracing::info!(
        target: "scaleup::request",
        route = %route,
        method = %method,
        status,
        ms = (seconds * 1000.0).round() as u64,
        "request"
    );
    res
}

/// Upper bounds of the latency histogram's buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Counters {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    sync_records: BTreeMap<&'static str, u64>,
}

/// The counters of one server process.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

impl Metrics {
    pub fn record_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        *c.requests
            .entry((route.to_string(), method.to_string(), status))
            .or_default() += 1;
        let h = c.latency.entry(route.to_string()).or_default();
        h.count += 1;
        h.sum += seconds;
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.buckets[i] += 1;
            }
        }
    }

    /// Counts the outcomes of one sync push (`created`, `updated`, `unchanged`, `conflict`,
    /// `rejected`).
    pub fn record_sync(&self, outcomes: impl IntoIterator<Item = &'static str>) {
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        for o in outcomes {
            *c.sync_records.entry(o).or_default() += 1;
        }
    }

    /// The counters in the Prometheus text format, followed by `gauges`.
    fn render(&self, out: &mut String) {
        let c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        out.push_str("# HELP scaleup_http_requests_total HTTP requests by matched route template, method and status.\n# TYPE scaleup_http_requests_total counter\n");
        for ((route, method, status), n) in &c.requests {
            let _ = writeln!(
                out,
                "scaleup_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                escape(route),
                escape(method)
            );
        }
        out.push_str("# HELP scaleup_http_request_duration_seconds Time to answer a request, by matched route template.\n# TYPE scaleup_http_request_duration_seconds histogram\n");
        for (route, h) in &c.latency {
            let route = escape(route);
            for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "scaleup_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                    h.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "scaleup_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\nscaleup_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\nscaleup_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count, h.sum, h.count
            );
        }
        out.push_str("# HELP scaleup_sync_records_total Records pushed by devices, by outcome (created, updated and unchanged were accepted).\n# TYPE scaleup_sync_records_total counter\n");
        for outcome in ["created", "updated", "unchanged", "conflict", "rejected"] {
            let _ = writeln!(
                out,
                "scaleup_sync_records_total{{outcome=\"{outcome}\"}} {}",
                c.sync_records.get(outcome).copied().unwrap_or(0)
            );
        }
    }
}

/// A label value with `\`, `"` and newlines escaped, as the text format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /metrics`: for admins, and for the addresses of `--metrics-allow`.
pub async fn metrics(
    State(state): State<AppState>,
    client: Option<axum::Extension<ClientAddr>>,
    caller: Result<Caller, ApiError>,
) -> Result<Response, ApiError> {
    let allowed_address = client.is_some_and(|axum::Extension(ClientAddr(addr))| {
        state.ops.metrics_allow.iter().any(|c| c.contains(addr))
    });
    if !allowed_address {
        let caller = caller?;
        if !caller
            .user
            .role
            .can(scaleup_domain::role::Capability::ReadMetrics)
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "metrics are for administrators and the addresses the server allows",
            ));
        }
    }
    let mut out = String::new();
    state.ops.metrics.render(&mut out);
    let alerts = state.store.alert_gauges().await?;
    out.push_str(
        "# HELP scaleup_alerts_open Open risk alerts, by hub.\n# TYPE scaleup_alerts_open gauge\n",
    );
    for a in &alerts {
        let _ = writeln!(
            out,
            "scaleup_alerts_open{{hub=\"{}\"}} {}",
            escape(&a.hub_code),
            a.open
        );
    }
    out.push_str("# HELP scaleup_alerts_overdue Open risk alerts past their deadline, by hub.\n# TYPE scaleup_alerts_overdue gauge\n");
    for a in &alerts {
        let _ = writeln!(
            out,
            "scaleup_alerts_overdue{{hub=\"{}\"}} {}",
            escape(&a.hub_code),
            a.overdue
        );
    }
    let (unchained, _) = state.store.audit_pending().await?;
    let _ = writeln!(
        out,
        "# HELP scaleup_audit_unchained_events Audit events recorded but not yet chained (the sealer's backlog).\n# TYPE scaleup_audit_unchained_events gauge\nscaleup_audit_unchained_events {unchained}"
    );
    let pool = state.store.pool_gauge();
    let _ = write!(
        out,
        "# HELP scaleup_db_pool_connections Database connections of this server, by state.\n# TYPE scaleup_db_pool_connections gauge\nscaleup_db_pool_connections{{state=\"idle\"}} {}\nscaleup_db_pool_connections{{state=\"in_use\"}} {}\n# HELP scaleup_db_pool_max_connections The pool's ceiling.\n# TYPE scaleup_db_pool_max_connections gauge\nscaleup_db_pool_max_connections {}\n",
        pool.idle,
        pool.size.saturating_sub(pool.idle),
        pool.max
    );
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidrs(list: &[&str]) -> Vec<Cidr> {
        list.iter().map(|c| c.parse().unwrap()).collect()
    }

    #[test]
    fn blocks_contain_their_addresses() {
        let c: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(c.contains("10.200.3.4".parse().unwrap()));
        assert!(c.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        let one: Cidr = "192.0.2.7".parse().unwrap();
        assert!(one.contains("192.0.2.7".parse().unwrap()));
        assert!(!one.contains("192.0.2.8".parse().unwrap()));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:1::1".parse().unwrap()));
        assert!(
            "0.0.0.0/0"
                .parse::<Cidr>()
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("proxy.example".parse::<Cidr>().is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let trusted = cidrs(&["10.0.0.0/8"]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Through the load balancer: the address it appended.
        assert_eq!(
            resolve_client(ip("10.0.0.2"), &["203.0.113.9"], &trusted),
            ip("203.0.113.9")
        );
        // A client's own header is to the left of what the proxy appended.
        assert_eq!(
            resolve_client(ip("10.0.0.2"), &["1.2.3.4, 203.0.113.9"], &trusted),
            ip("203.0.113.9")
        );
        // Two trusted hops, in one header or several.
        assert_eq!(
            resolve_client(ip("10.0.0.2"), &["198.51.100.1", "10.0.0.7"], &trusted),
            ip("198.51.100.1")
        );
        // Straight from the internet: the header is ignored.
        assert_eq!(
            resolve_client(ip("198.51.100.50"), &["10.0.0.9"], &trusted),
            ip("198.51.100.50")
        );
        // Without a configured proxy nothing is believed.
        assert_eq!(
            resolve_client(ip("10.0.0.2"), &["203.0.113.9"], &[]),
            ip("10.0.0.2")
        );
        // Garbage stops the walk at the last address a trusted proxy vouched for.
        assert_eq!(
            resolve_client(ip("10.0.0.2"), &["203.0.113.9, nonsense"], &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            resolve_client(ip("10.0.0.2"), &["[2001:db8::5]:443"], &trusted),
            ip("2001:db8::5")
        );
    }
}
