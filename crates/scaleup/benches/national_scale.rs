//! National scale on PostgreSQL (issue 11): throughput of 1, 2 and 4 stateless `scaleup serve`
//! processes sharing one database, with and without devices pushing, on loopback and through a
//! proxy that delays every byte between the servers and the database; and ingest from eight
//! devices of eight hubs against one device.
//!
//! Run by `scripts/bench/national_scale.sh` (never by `cargo test`: the bench target has
//! `test = false`). Each run builds a fresh database on the PostgreSQL server given by
//! `SCALEUP_BENCH_POSTGRES_URL` (the role must be allowed to create databases) and drops it at
//! the end:
//!
//! 1. `scaleup demo --clients 3000 --seed 1` into it; an admin account (`scaleup user add`);
//!    eight bench hubs made through the API, each with a facility, a programme, a supervisor
//!    and a counsellor whose device pushes new clients.
//! 2. Readers: 16 counsellors of the demo's hubs (spread over its hubs), each in a loop of
//!    `GET /api/v1/clients?limit=50` on one keep-alive connection per server.
//! 3. Pushers: devices of the bench hubs, each in a loop of `POST /api/v1/sync` with a batch of
//!    200 new clients. Readers and pushers live in different hubs, so any wait between them is
//!    a wait between hubs.
//! 4. Requests go round-robin over the servers (one counter for every task: a load balancer
//!    that sends each request to the next server).
//!
//! Every cell runs a warm-up, then a measured window; a request counts towards throughput by
//! the share of its duration that falls inside the window, and its latency counts if it started
//! inside it. During the window the bench reads the CPU time of every process from `/proc`
//! (PostgreSQL's processes, the servers, the bench itself and the rest of the machine), so a
//! table says whether the database or the machine was the bottleneck.
//!
//! The delay proxy uses threads, not tokio: tokio's timer has a resolution of one millisecond,
//! so a tokio sleep of 0.5 ms sleeps about a millisecond. Each direction of a connection is a
//! reader thread that stamps every chunk with its arrival time and a writer thread that writes
//! it a set time after that (a delay line: bytes are late, throughput is not throttled). The
//! threads' hand-offs and late wake-ups add to the sleep, so the bench calibrates the sleep
//! until a `SELECT 1` through the proxy takes 2 × `SCALEUP_BENCH_DELAY_US` longer than one
//! direct, and prints what it measured.

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_scaleup");
/// A request that takes longer than this counts as a timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const READ_PATH: &str = "/api/v1/clients?limit=50";
const BENCH_HUBS: usize = 8;

/// Settings, from environment variables (defaults in brackets in the script's header).
struct Config {
    postgres_url: String,
    clients: u64,
    seconds: f64,
    warmup: f64,
    servers: Vec<usize>,
    readers: usize,
    pushers: usize,
    batch: usize,
    delay: Duration,
    ingest_servers: usize,
    proxy: bool,
    /// Cores each server may use in the capped runs (a cgroup CPU quota); 0 skips them.
    server_cpu: f64,
    /// Whether to run ingest (one device against eight) as well as the read cells.
    ingest: bool,
    /// Each server's pool of database connections (`--db-connections`; the server's default, 8,
    /// when 0).
    db_connections: u32,
    keep_db: bool,
}

impl Config {
    fn from_env() -> anyhow::Result<Config> {
        fn var<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => v
                    .trim()
                    .parse()
                    .map_err(|_| anyhow!("{name} must be a number")),
                _ => Ok(default),
            }
        }
        let postgres_url = std::env::var("SCALEUP_BENCH_POSTGRES_URL")
            .or_else(|_| std::env::var("SCALEUP_TEST_POSTGRES_URL"))
            .unwrap_or_else(|_| {
                "postgres://scaleup_test:scaleup_test@127.0.0.1:5432/postgres".into()
            });
        let servers = std::env::var("SCALEUP_BENCH_SERVERS")
            .unwrap_or_else(|_| "1,2,4".into())
            .split(',')
            .map(|s| s.trim().parse::<usize>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| anyhow!("SCALEUP_BENCH_SERVERS must be a list such as 1,2,4"))?;
        let config = Config {
            postgres_url,
            clients: var("SCALEUP_BENCH_CLIENTS", 3000)?,
            seconds: var("SCALEUP_BENCH_SECONDS", 20.0)?,
            warmup: var("SCALEUP_BENCH_WARMUP", 3.0)?,
            servers,
            readers: var("SCALEUP_BENCH_READERS", 16)?,
            pushers: var("SCALEUP_BENCH_PUSHERS", 2)?,
            batch: var("SCALEUP_BENCH_BATCH", 200)?,
            delay: Duration::from_micros(var("SCALEUP_BENCH_DELAY_US", 500)?),
            ingest_servers: var("SCALEUP_BENCH_INGEST_SERVERS", 2)?,
            proxy: var("SCALEUP_BENCH_PROXY", 1)? != 0,
            server_cpu: var("SCALEUP_BENCH_SERVER_CPU", 0.25)?,
            ingest: var("SCALEUP_BENCH_INGEST", 1)? != 0,
            db_connections: var("SCALEUP_BENCH_DB_CONNECTIONS", 0)?,
            keep_db: var("SCALEUP_BENCH_KEEP_DB", 0)? != 0,
        };
        if config.servers.contains(&0) || config.ingest_servers == 0 {
            bail!("server counts must be at least 1");
        }
        if !(0.0..=64.0).contains(&config.server_cpu) {
            bail!("SCALEUP_BENCH_SERVER_CPU must be a number of cores from 0 (skip) to 64");
        }
        if config.pushers > BENCH_HUBS || config.pushers == 0 {
            bail!("SCALEUP_BENCH_PUSHERS must be between 1 and {BENCH_HUBS}");
        }
        Ok(config)
    }
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; there are no other arguments.
    let config = Config::from_env()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let started = Instant::now();

    println!("## National scale on PostgreSQL (issue 11): run output\n");
    println!("- machine: {}", machine());
    println!("- date: {}", sh("date -u '+%Y-%m-%d %H:%M UTC'"));
    println!("- uptime at start: {}", sh("uptime"));
    println!(
        "- settings: {} demo clients, {} readers, {} pushing devices, batches of {}, {} s warm-up + {} s per cell, servers {:?}, ingest on {} servers, proxy delay {} µs each way, {} database connections per server",
        config.clients,
        config.readers,
        config.pushers,
        config.batch,
        config.warmup,
        config.seconds,
        config.servers,
        config.ingest_servers,
        config.delay.as_micros(),
        if config.db_connections > 0 {
            config.db_connections.to_string()
        } else {
            "8 (the default)".to_string()
        }
    );

    // A fresh database, dropped at the end (by the guard, also after a failure). Its name is
    // made here from digits, so the SQL that names it is safe.
    let name = format!(
        "scaleup_bench_{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs()
    );
    let admin_url = PgUrl::parse(&config.postgres_url)?;
    let mut monitor = rt.block_on(PgConnection::connect(&config.postgres_url))?;
    rt.block_on(
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut monitor),
    )
    .context("creating the bench database")?;
    let _guard = DropDatabase {
        url: config.postgres_url.clone(),
        name: name.clone(),
        keep: config.keep_db,
    };
    let db = admin_url.with_database(&name);
    let key = dir.path().join("master.key");
    run(Command::new(BIN).args(["key", "generate", "--out", path_str(&key)]))?;
    let mut env = vec![("SCALEUP_KEY_FILE".to_string(), path_str(&key).to_string())];
    if config.db_connections > 0 {
        env.push((
            "SCALEUP_DB_CONNECTIONS".to_string(),
            config.db_connections.to_string(),
        ));
    }

    let t = Instant::now();
    let demo = run(Command::new(BIN)
        .args(["demo", "--db", &db, "--seed", "1", "--json"])
        .args(["--clients", &config.clients.to_string()])
        .envs(env.iter().map(|(k, v)| (k, v))))?;
    let demo: Value = serde_json::from_str(&demo).context("demo --json output")?;
    println!(
        "- demo: {} clients (seed 1) built on PostgreSQL in {:.1} s",
        config.clients,
        t.elapsed().as_secs_f64()
    );
    let today = demo["today"]
        .as_str()
        .ok_or_else(|| anyhow!("demo gave no date"))?
        .to_string();
    run(Command::new(BIN)
        .args(["user", "add", "--db", &db, "--username", "bench-admin"])
        .args(["--role", "admin"])
        .env("SCALEUP_PASSWORD", "bench admin password")
        .envs(env.iter().map(|(k, v)| (k, v))))?;

    // Setup through one server: bench hubs and their devices, the readers' tokens.
    let setup = Server::start(&db, &env, dir.path(), "setup")?;
    let (readers, devices) = rt.block_on(async {
        let admin = login(&setup.addr, "bench-admin", "bench admin password").await?;
        let devices = make_bench_hubs(&setup.addr, &admin, &today).await?;
        let readers = reader_tokens(&setup.addr, &admin, &demo, config.readers).await?;
        anyhow::Ok((readers, devices))
    })?;
    drop(setup);
    println!(
        "- readers: {} demo counsellors over {} hubs; devices: counsellors of {} bench hubs made through the API",
        readers.len(),
        readers
            .iter()
            .map(|r| &r.hub)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        devices.len()
    );

    let proxy = if config.proxy {
        let upstream = admin_url.host_port.clone();
        let target = config.delay.as_nanos() as u64;
        let sleep = Arc::new(AtomicU64::new(target));
        let addr = start_proxy(&upstream, sleep.clone())?;
        let via_proxy = PgUrl {
            host_port: addr.clone(),
            ..admin_url.clone()
        };
        // The proxy's own cost (thread hand-offs, a sleep that wakes late) comes on top of its
        // sleep: calibrate the sleep so that the round trip it adds is twice the target.
        let (direct_rtt, proxy_rtt) = rt.block_on(async {
            let direct = round_trip(&config.postgres_url).await?;
            let mut proxied = 0.0;
            for _ in 0..3 {
                proxied = round_trip(&via_proxy.with_database("postgres")).await?;
                let excess = (proxied - direct) * 1e9 - 2.0 * target as f64;
                let now = sleep.load(Ordering::Relaxed) as f64;
                sleep.store((now - excess / 2.0).max(0.0) as u64, Ordering::Relaxed);
            }
            anyhow::Ok((direct, proxied))
        })?;
        let (direct_rtt, proxy_rtt) = rt
            .block_on(async {
                let direct = round_trip(&config.postgres_url).await?;
                let proxied = round_trip(&via_proxy.with_database("postgres")).await?;
                anyhow::Ok((direct, proxied))
            })
            .unwrap_or((direct_rtt, proxy_rtt));
        println!(
            "- proxy: sleeps {:.0} µs per chunk each way (calibrated for a target of {} µs each way); `SELECT 1` median round trip {:.0} µs direct, {:.0} µs through the proxy (adds {:.0} µs per round trip)",
            sleep.load(Ordering::Relaxed) as f64 / 1e3,
            config.delay.as_micros(),
            direct_rtt * 1e6,
            proxy_rtt * 1e6,
            (proxy_rtt - direct_rtt) * 1e6
        );
        Some(via_proxy.with_database(&name))
    } else {
        None
    };
    println!();

    // Each network: its name, the database URL the servers use, and each server's CPU quota.
    let mut networks: Vec<(&'static str, String, Option<f64>)> =
        vec![("loopback", db.clone(), None)];
    if let Some(url) = &proxy {
        networks.push(("proxy", url.clone(), None));
    }
    // Servers that are the bottleneck, as they are when each runs on its own machine: on one
    // 2-core machine the servers and the database share the cores, so a second server only
    // takes CPU from the database. Capping each server at a fraction of a core (a cgroup CPU
    // quota) makes a server's CPU the limit while the database keeps the rest of the machine;
    // the CPU columns show whether it did (servers at their cap, the database below a core and
    // hardly waiting for one).
    if config.server_cpu > 0.0 {
        networks.push(("capped", db.clone(), Some(config.server_cpu)));
    }
    let mut tables = Tables::default();
    let mut problems: Vec<String> = Vec::new();
    for (network, url, cpu) in &networks {
        let start_servers = |n: usize, what: &str| {
            (0..n)
                .map(|i| {
                    let name = format!("{network}-{what}-{i}");
                    let server = Server::start(url, &env, dir.path(), &name)?;
                    match cpu {
                        Some(cores) => server.limit_cpu(*cores, &name),
                        None => Ok(server),
                    }
                })
                .collect::<anyhow::Result<Vec<_>>>()
        };
        for &n in &config.servers {
            let servers = start_servers(n, &n.to_string())?;
            let addrs: Vec<String> = servers.iter().map(|s| s.addr.clone()).collect();
            for push in [false, true] {
                let pushers = if push {
                    &devices[..config.pushers]
                } else {
                    &[][..]
                };
                let label = format!(
                    "{n} server{}, {}",
                    if n == 1 { "" } else { "s" },
                    if push {
                        format!("reads + {} pushing devices", config.pushers)
                    } else {
                        "reads only".into()
                    }
                );
                let cell = rt.block_on(run_cell(
                    &config,
                    &addrs,
                    &readers,
                    pushers,
                    &servers,
                    &mut monitor,
                    &name,
                ))?;
                eprintln!("{network} {label}: {}", cell.row());
                problems.extend(cell.problems(&format!("{network}, {label}")));
                tables.load.entry(*network).or_default().push((label, cell));
            }
            problems.extend(log_problems(&servers, &format!("{network}, {n} servers")));
        }
        // Ingest: one device against eight devices of eight hubs, no readers. The capped runs
        // are about servers adding throughput; ingest is measured where the servers are not
        // held back.
        if !config.ingest || cpu.is_some() {
            continue;
        }
        let servers = start_servers(config.ingest_servers, "ingest")?;
        let addrs: Vec<String> = servers.iter().map(|s| s.addr.clone()).collect();
        for k in [1, BENCH_HUBS] {
            let cell = rt.block_on(run_cell(
                &config,
                &addrs,
                &[],
                &devices[..k],
                &servers,
                &mut monitor,
                &name,
            ))?;
            eprintln!("{network} ingest {k} devices: {}", cell.row());
            problems.extend(cell.problems(&format!("{network}, ingest, {k} devices")));
            tables.ingest.entry(*network).or_default().push((k, cell));
        }
        problems.extend(log_problems(&servers, &format!("{network}, ingest")));
    }

    // In the order they ran: loopback, proxy, capped.
    for (network, rows) in networks
        .iter()
        .filter_map(|(n, _, _)| Some((n, tables.load.get(n)?)))
    {
        println!(
            "### {} ({} readers; requests round-robin over the servers)\n",
            match *network {
                "proxy" => format!(
                    "Through the proxy, {} µs each way between servers and database",
                    config.delay.as_micros()
                ),
                "capped" => format!(
                    "Loopback, each server limited to {} of a core (a cgroup CPU quota)",
                    config.server_cpu
                ),
                _ => "Loopback".to_string(),
            },
            config.readers
        );
        println!("{}", Cell::header());
        for (label, cell) in rows {
            println!("| {label} | {} |", cell.row());
        }
        println!();
    }
    println!(
        "### Ingest on {} server{}: devices of different hubs pushing batches of {} new clients, no readers\n",
        config.ingest_servers,
        if config.ingest_servers == 1 { "" } else { "s" },
        config.batch
    );
    println!(
        "| network | devices | records pushed/s | batch p50 | batch p99 | vs 1 device | errors | CPU cores: PostgreSQL (of which bench db) / servers / load generator + proxy / rest of machine | waiting for a CPU (cores): bench db / servers |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (network, rows) in &tables.ingest {
        let one = rows
            .iter()
            .find(|(k, _)| *k == 1)
            .map(|(_, c)| c.pushed_per_s);
        for (k, cell) in rows {
            let ratio = one
                .filter(|&o| o > 0.0)
                .map(|o| format!("{:.2}×", cell.pushed_per_s / o))
                .unwrap_or_else(|| "-".into());
            println!(
                "| {network} | {k} | {:.0} | {} | {} | {ratio} | {} | {} |",
                cell.pushed_per_s,
                ms(cell.push_p50),
                ms(cell.push_p99),
                cell.error_text(),
                cell.cpu.text()
            );
        }
    }
    println!();
    println!("- uptime at end: {}", sh("uptime"));
    println!(
        "- whole run (demo, setup, all cells): {:.0} s",
        started.elapsed().as_secs_f64()
    );
    if problems.is_empty() {
        println!("- problems: none (no failed request, no timeout, no error in the servers' logs)");
    } else {
        println!("- problems seen:");
        for p in &problems {
            println!("  - {p}");
        }
    }
    Ok(())
}

#[derive(Default)]
struct Tables {
    load: BTreeMap<&'static str, Vec<(String, Cell)>>,
    ingest: BTreeMap<&'static str, Vec<(usize, Cell)>>,
}

// ---------------------------------------------------------------------------------------------
// Setup

/// A device: a counsellor's token and where its new clients are registered.
struct Device {
    token: String,
    programme_id: String,
    facility_id: String,
    device_id: String,
    today: String,
}

/// A reader: a demo counsellor's token and hub.
struct Reader {
    token: String,
    hub: String,
}

/// Makes `BENCH_HUBS` hubs as the crash test does (org units down to a facility, a programme, a
/// supervisor, a counsellor) and signs each counsellor in.
async fn make_bench_hubs(addr: &str, admin: &str, today: &str) -> anyhow::Result<Vec<Device>> {
    let year = &today[..4];
    let mut devices = Vec::new();
    for h in 1..=BENCH_HUBS {
        let hub = post(
            addr,
            admin,
            "/api/v1/hubs",
            json!({"code": format!("bench-{h}"), "name": format!("Bench hub {h}"), "country": "KE"}),
        )
        .await?;
        let hub_id = text(&hub["id"])?;
        let mut parent = Value::Null;
        for (level, code) in [
            ("country", "ke"),
            ("region", "r"),
            ("district", "d"),
            ("facility", "f"),
        ] {
            let pop = if level == "facility" {
                json!(10000)
            } else {
                Value::Null
            };
            let unit = post(
                addr,
                admin,
                "/api/v1/org-units",
                json!({"hub_id": hub_id, "parent_id": parent, "level": level, "code": format!("b{h}-{code}"), "name": code, "catchment_population": pop}),
            )
            .await?;
            parent = unit["id"].clone();
        }
        let facility_id = text(&parent)?;
        let programme = post(
            addr,
            admin,
            "/api/v1/programmes",
            json!({"hub_id": hub_id, "code": format!("bench-{h}"), "name": format!("Bench {h}"), "protocol_code": "pm_plus_individual", "alert_ack_hours": 24, "start_date": format!("{year}-01-01"), "sites": [{"facility_id": facility_id}]}),
        )
        .await?;
        let sup = post(
            addr,
            admin,
            "/api/v1/users",
            json!({"username": format!("bench{h}.sup"), "display_name": "Sup", "password": "supervisor password", "role": "supervisor", "hub_id": hub_id}),
        )
        .await?;
        let username = format!("bench{h}.c1");
        post(
            addr,
            admin,
            "/api/v1/users",
            json!({"username": username, "display_name": "C1", "password": "counsellor password", "role": "counsellor", "hub_id": hub_id, "supervisor_id": sup["id"]}),
        )
        .await?;
        devices.push(Device {
            token: login(addr, &username, "counsellor password").await?,
            programme_id: text(&programme["id"])?,
            facility_id,
            device_id: format!("bench-device-{h}"),
            today: today.to_string(),
        });
    }
    Ok(devices)
}

/// Signs in `count` demo counsellors, taken in turn from each demo hub. Every counsellor of a
/// demo hub shares the password printed for that hub's showcase counsellor.
async fn reader_tokens(
    addr: &str,
    admin: &str,
    demo: &Value,
    count: usize,
) -> anyhow::Result<Vec<Reader>> {
    let mut passwords: HashMap<String, String> = HashMap::new();
    for a in demo["accounts"].as_array().into_iter().flatten() {
        if a["role"] == "counsellor" {
            let username = text(&a["username"])?;
            let prefix = username.split('.').next().unwrap_or("").to_string();
            passwords.insert(prefix, text(&a["password"])?);
        }
    }
    let (status, users) = request_once(addr, "GET", "/api/v1/users", Some(admin), None).await?;
    if status != 200 {
        bail!("listing users: {status}");
    }
    let mut by_hub: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for u in users["items"].as_array().into_iter().flatten() {
        let username = text(&u["username"])?;
        let prefix = username.split('.').next().unwrap_or("");
        if u["role"] == "counsellor" && passwords.contains_key(prefix) {
            by_hub.entry(prefix.to_string()).or_default().push(username);
        }
    }
    for names in by_hub.values_mut() {
        names.sort();
    }
    let mut readers = Vec::new();
    let mut i = 0;
    while readers.len() < count {
        let before = readers.len();
        for (hub, names) in &by_hub {
            if readers.len() == count {
                break;
            }
            if let Some(name) = names.get(i) {
                readers.push(Reader {
                    token: login(addr, name, &passwords[hub]).await?,
                    hub: hub.clone(),
                });
            }
        }
        if readers.len() == before {
            bail!(
                "the demo has only {} counsellors; lower SCALEUP_BENCH_READERS",
                readers.len()
            );
        }
        i += 1;
    }
    Ok(readers)
}

async fn login(addr: &str, username: &str, password: &str) -> anyhow::Result<String> {
    let body = json!({"username": username, "password": password});
    let (status, v) = request_once(addr, "POST", "/api/v1/auth/login", None, Some(&body)).await?;
    if status != 200 {
        bail!("login as {username}: {status} {v}");
    }
    text(&v["token"])
}

async fn post(addr: &str, token: &str, path: &str, body: Value) -> anyhow::Result<Value> {
    let (status, v) = request_once(addr, "POST", path, Some(token), Some(&body)).await?;
    if status != 200 && status != 201 {
        bail!("{path}: {status} {v}");
    }
    Ok(v)
}

async fn request_once(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> anyhow::Result<(u16, Value)> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut conn = Http::new(addr.to_string());
    let (status, bytes) = conn
        .request(method, path, token, body.as_bytes())
        .await
        .with_context(|| format!("{method} {path}"))?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

fn text(v: &Value) -> anyhow::Result<String> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("expected a string, got {v}"))
}

// ---------------------------------------------------------------------------------------------
// One cell: readers and pushers against a set of servers for a warm-up and a window.

#[derive(Clone, Copy)]
enum Outcome {
    Ok,
    /// A push answered 200 with some records not created.
    Partial,
    Status(u16),
    Io(std::io::ErrorKind),
    Timeout,
}

struct Sample {
    start: Instant,
    end: Instant,
    outcome: Outcome,
    /// Records acknowledged as created (pushes only).
    created: usize,
}

/// Results of one cell.
struct Cell {
    has_reads: bool,
    has_pushes: bool,
    reads_per_s: f64,
    read_p50: Option<Duration>,
    read_p99: Option<Duration>,
    pushed_per_s: f64,
    push_p50: Option<Duration>,
    push_p99: Option<Duration>,
    errors: BTreeMap<String, usize>,
    cpu: CpuShare,
}

impl Cell {
    fn header() -> String {
        "| setup | reads/s | read p50 | read p99 | records pushed/s | push batch p50 | push batch p99 | errors | CPU cores: PostgreSQL (of which bench db) / servers / load generator + proxy / rest of machine | waiting for a CPU (cores): bench db / servers |\n|---|---|---|---|---|---|---|---|---|---|".into()
    }

    fn row(&self) -> String {
        let pushed = if self.has_pushes {
            format!("{:.0}", self.pushed_per_s)
        } else {
            "-".into()
        };
        let reads = if self.has_reads {
            format!("{:.0}", self.reads_per_s)
        } else {
            "-".into()
        };
        format!(
            "{reads} | {} | {} | {pushed} | {} | {} | {} | {}",
            ms(self.read_p50),
            ms(self.read_p99),
            ms(self.push_p50),
            ms(self.push_p99),
            self.error_text(),
            self.cpu.text()
        )
    }

    fn error_text(&self) -> String {
        if self.errors.is_empty() {
            "0".into()
        } else {
            self.errors
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    fn problems(&self, label: &str) -> Vec<String> {
        if self.errors.is_empty() {
            vec![]
        } else {
            vec![format!("{label}: {}", self.error_text())]
        }
    }
}

fn ms(d: Option<Duration>) -> String {
    match d {
        None => "-".into(),
        Some(d) => {
            let ms = d.as_secs_f64() * 1000.0;
            if ms < 10.0 {
                format!("{ms:.1} ms")
            } else {
                format!("{ms:.0} ms")
            }
        }
    }
}

async fn run_cell(
    config: &Config,
    addrs: &[String],
    readers: &[Reader],
    pushers: &[Device],
    servers: &[Server],
    monitor: &mut PgConnection,
    db_name: &str,
) -> anyhow::Result<Cell> {
    let start = Instant::now();
    let window_start = start + Duration::from_secs_f64(config.warmup);
    let window_end = window_start + Duration::from_secs_f64(config.seconds);
    let next = Arc::new(AtomicUsize::new(0));
    let addrs: Arc<Vec<String>> = Arc::new(addrs.to_vec());

    let mut read_tasks = Vec::new();
    for r in readers.iter().take(config.readers) {
        let (next, addrs, token) = (next.clone(), addrs.clone(), r.token.clone());
        read_tasks.push(tokio::spawn(async move {
            let mut conns: Vec<Http> = addrs.iter().map(|a| Http::new(a.clone())).collect();
            let mut samples = Vec::new();
            while Instant::now() < window_end {
                let s = next.fetch_add(1, Ordering::Relaxed) % conns.len();
                let t0 = Instant::now();
                let outcome = match tokio::time::timeout(
                    REQUEST_TIMEOUT,
                    conns[s].request("GET", READ_PATH, Some(&token), b""),
                )
                .await
                {
                    Ok(Ok((200, _))) => Outcome::Ok,
                    Ok(Ok((status, _))) => Outcome::Status(status),
                    Ok(Err(e)) => Outcome::Io(e.kind()),
                    Err(_) => {
                        conns[s].conn = None;
                        Outcome::Timeout
                    }
                };
                samples.push(Sample {
                    start: t0,
                    end: Instant::now(),
                    outcome,
                    created: 0,
                });
                if !matches!(outcome, Outcome::Ok) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            samples
        }));
    }
    let mut push_tasks = Vec::new();
    for d in pushers {
        let (next, addrs) = (next.clone(), addrs.clone());
        let (token, programme, facility, device_id, today) = (
            d.token.clone(),
            d.programme_id.clone(),
            d.facility_id.clone(),
            d.device_id.clone(),
            d.today.clone(),
        );
        let batch = config.batch;
        push_tasks.push(tokio::spawn(async move {
            let mut conns: Vec<Http> = addrs.iter().map(|a| Http::new(a.clone())).collect();
            let mut samples = Vec::new();
            while Instant::now() < window_end {
                let records: Vec<Value> = (0..batch)
                    .map(|_| {
                        json!({"kind": "client", "id": uuid::Uuid::new_v4().to_string(),
                               "device_time": format!("{today}T08:00:00Z"),
                               "data": {"programme_id": programme, "facility_id": facility,
                                        "registered_on": today, "sex": "female"}})
                    })
                    .collect();
                let body = json!({"device_id": device_id, "records": records}).to_string();
                let s = next.fetch_add(1, Ordering::Relaxed) % conns.len();
                let t0 = Instant::now();
                let (outcome, created) = match tokio::time::timeout(
                    REQUEST_TIMEOUT,
                    conns[s].request("POST", "/api/v1/sync", Some(&token), body.as_bytes()),
                )
                .await
                {
                    Ok(Ok((200, bytes))) => {
                        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                        let acks = v["acks"].as_array().map(Vec::as_slice).unwrap_or(&[]);
                        let created = acks.iter().filter(|a| a["status"] == "created").count();
                        if created == batch {
                            (Outcome::Ok, created)
                        } else {
                            (Outcome::Partial, created)
                        }
                    }
                    Ok(Ok((status, _))) => (Outcome::Status(status), 0),
                    Ok(Err(e)) => (Outcome::Io(e.kind()), 0),
                    Err(_) => {
                        conns[s].conn = None;
                        (Outcome::Timeout, 0)
                    }
                };
                samples.push(Sample {
                    start: t0,
                    end: Instant::now(),
                    outcome,
                    created,
                });
                if !matches!(outcome, Outcome::Ok) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            samples
        }));
    }

    // CPU time of every process over the window.
    let server_pids: Vec<u32> = servers.iter().map(|s| s.child.id()).collect();
    tokio::time::sleep_until(window_start.into()).await;
    let before = CpuSnapshot::take(&server_pids);
    tokio::time::sleep_until(window_end.into()).await;
    let after = CpuSnapshot::take(&server_pids);
    let bench_pids: Vec<i32> =
        sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1")
            .bind(db_name)
            .fetch_all(&mut *monitor)
            .await?;
    let cpu = CpuShare::between(&before, &after, &bench_pids);

    let mut reads = Vec::new();
    for t in read_tasks {
        reads.extend(t.await?);
    }
    let mut pushes = Vec::new();
    for t in push_tasks {
        pushes.extend(t.await?);
    }
    let window = (window_start, window_end);
    let mut errors = BTreeMap::new();
    for (what, samples) in [("read", &reads), ("push", &pushes)] {
        for s in samples.iter() {
            let kind = match s.outcome {
                Outcome::Ok => continue,
                Outcome::Partial => "batch not wholly created".to_string(),
                Outcome::Status(code) => format!("HTTP {code}"),
                Outcome::Io(kind) => format!("{kind:?}"),
                Outcome::Timeout => format!("timeout > {} s", REQUEST_TIMEOUT.as_secs()),
            };
            *errors.entry(format!("{what} {kind}")).or_insert(0) += 1;
        }
    }
    let seconds = config.seconds;
    let ok_reads: Vec<&Sample> = reads
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Ok))
        .collect();
    let reads_per_s = ok_reads.iter().map(|s| overlap(s, window)).sum::<f64>() / seconds;
    let pushed_per_s = pushes
        .iter()
        .map(|s| s.created as f64 * overlap(s, window))
        .sum::<f64>()
        / seconds;
    let (read_p50, read_p99) = percentiles(&ok_reads, window);
    let ok_pushes: Vec<&Sample> = pushes
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Ok))
        .collect();
    let (push_p50, push_p99) = percentiles(&ok_pushes, window);
    Ok(Cell {
        has_reads: !readers.is_empty(),
        has_pushes: !pushers.is_empty(),
        reads_per_s,
        read_p50,
        read_p99,
        pushed_per_s,
        push_p50,
        push_p99,
        errors,
        cpu,
    })
}

/// The share of a request's duration inside the window (a request wholly inside counts 1).
fn overlap(s: &Sample, (from, to): (Instant, Instant)) -> f64 {
    let total = s.end.duration_since(s.start).as_secs_f64();
    let inside = s
        .end
        .min(to)
        .saturating_duration_since(s.start.max(from))
        .as_secs_f64();
    if total <= 0.0 {
        if s.start >= from && s.start < to {
            1.0
        } else {
            0.0
        }
    } else {
        inside / total
    }
}

/// p50 and p99 (nearest rank) of the requests that started inside the window.
fn percentiles(
    samples: &[&Sample],
    (from, to): (Instant, Instant),
) -> (Option<Duration>, Option<Duration>) {
    let mut d: Vec<Duration> = samples
        .iter()
        .filter(|s| s.start >= from && s.start < to)
        .map(|s| s.end.duration_since(s.start))
        .collect();
    if d.is_empty() {
        return (None, None);
    }
    d.sort();
    let rank = |p: f64| d[((p * d.len() as f64).ceil() as usize).clamp(1, d.len()) - 1];
    (Some(rank(0.50)), Some(rank(0.99)))
}

// ---------------------------------------------------------------------------------------------
// CPU time from /proc.

struct CpuSnapshot {
    at: Instant,
    /// Busy ticks of the whole machine (user, nice, system, irq, softirq, steal).
    machine_busy: u64,
    /// Ticks of each PostgreSQL process, and its nanoseconds spent runnable but waiting for a
    /// CPU (`/proc/PID/schedstat`).
    postgres: HashMap<i32, (u64, u64)>,
    servers: u64,
    /// Nanoseconds the servers' threads waited for a CPU.
    servers_wait: u64,
    bench: u64,
}

impl CpuSnapshot {
    fn take(server_pids: &[u32]) -> CpuSnapshot {
        let machine_busy = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| {
                let line = s.lines().next()?.to_string();
                let f: Vec<u64> = line
                    .split_whitespace()
                    .skip(1)
                    .filter_map(|x| x.parse().ok())
                    .collect();
                // user nice system idle iowait irq softirq steal
                Some(f[0] + f[1] + f[2] + f.get(5)? + f.get(6)? + f.get(7)?)
            })
            .unwrap_or(0);
        let mut postgres = HashMap::new();
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for e in entries.flatten() {
                let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                    continue;
                };
                let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
                if comm.trim() == "postgres" {
                    let ticks = proc_ticks(&e.path()).unwrap_or(0);
                    postgres.insert(pid, (ticks, run_queue_wait(&e.path()).unwrap_or(0)));
                }
            }
        }
        let servers = server_pids
            .iter()
            .filter_map(|p| proc_ticks(&PathBuf::from(format!("/proc/{p}"))))
            .sum();
        // A server is many threads: add up the wait of each.
        let servers_wait = server_pids
            .iter()
            .filter_map(|p| std::fs::read_dir(format!("/proc/{p}/task")).ok())
            .flat_map(|tasks| tasks.flatten())
            .filter_map(|t| run_queue_wait(&t.path()))
            .sum();
        CpuSnapshot {
            at: Instant::now(),
            machine_busy,
            postgres,
            servers,
            servers_wait,
            bench: proc_ticks(Path::new("/proc/self")).unwrap_or(0),
        }
    }
}

/// utime + stime of a process (fields 14 and 15 of /proc/PID/stat).
fn proc_ticks(dir: &Path) -> Option<u64> {
    let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// Nanoseconds a process (or thread) has spent runnable but waiting for a CPU: the second field
/// of /proc/PID/schedstat. (Per thread: a process's file counts its main thread only.)
fn run_queue_wait(dir: &Path) -> Option<u64> {
    std::fs::read_to_string(dir.join("schedstat"))
        .ok()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Average cores in use over the window, by whom; and how many cores' worth of time the bench
/// database's PostgreSQL processes and the servers spent waiting for a CPU.
struct CpuShare {
    postgres: f64,
    postgres_bench_db: f64,
    servers: f64,
    bench: f64,
    rest: f64,
    postgres_bench_db_wait: f64,
    servers_wait: f64,
}

impl CpuShare {
    fn between(a: &CpuSnapshot, b: &CpuSnapshot, bench_db_pids: &[i32]) -> CpuShare {
        let tick = clock_ticks();
        let secs = b.at.duration_since(a.at).as_secs_f64().max(1e-9);
        let cores = |ticks: u64| ticks as f64 / tick / secs;
        let mut postgres = 0;
        let mut bench_db = 0;
        let mut bench_db_wait = 0;
        for (pid, &(t, w)) in &b.postgres {
            // A process that started inside the window spent all its time inside it.
            let (t0, w0) = a.postgres.get(pid).copied().unwrap_or((0, 0));
            let d = t.saturating_sub(t0);
            postgres += d;
            if bench_db_pids.contains(pid) {
                bench_db += d;
                bench_db_wait += w.saturating_sub(w0);
            }
        }
        let waited = |ns: u64| ns as f64 / 1e9 / secs;
        let servers = b.servers.saturating_sub(a.servers);
        let bench = b.bench.saturating_sub(a.bench);
        let machine = b.machine_busy.saturating_sub(a.machine_busy);
        CpuShare {
            postgres: cores(postgres),
            postgres_bench_db: cores(bench_db),
            servers: cores(servers),
            bench: cores(bench),
            rest: cores(machine.saturating_sub(postgres + servers + bench)),
            postgres_bench_db_wait: waited(bench_db_wait),
            servers_wait: waited(b.servers_wait.saturating_sub(a.servers_wait)),
        }
    }

    fn text(&self) -> String {
        format!(
            "{:.2} ({:.2}) / {:.2} / {:.2} / {:.2} | {:.2} / {:.2}",
            self.postgres,
            self.postgres_bench_db,
            self.servers,
            self.bench,
            self.rest,
            self.postgres_bench_db_wait,
            self.servers_wait
        )
    }
}

fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| sh("getconf CLK_TCK").parse().unwrap_or(100.0))
}

// ---------------------------------------------------------------------------------------------
// A small keep-alive HTTP/1.1 client (no dependency): Content-Length and chunked bodies.

struct Http {
    addr: String,
    conn: Option<tokio::io::BufReader<tokio::net::TcpStream>>,
}

impl Http {
    fn new(addr: String) -> Http {
        Http { addr, conn: None }
    }

    /// Sends one request, reconnecting if needed; a request on a reused connection that fails
    /// before any answer (the server closed it while idle) is retried once on a new one.
    async fn request(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> std::io::Result<(u16, Vec<u8>)> {
        let reused = self.conn.is_some();
        match self.try_request(method, path, token, body).await {
            Err(e) if reused && e.kind() == std::io::ErrorKind::UnexpectedEof => {
                self.try_request(method, path, token, body).await
            }
            other => other,
        }
    }

    async fn try_request(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> std::io::Result<(u16, Vec<u8>)> {
        if self.conn.is_none() {
            let stream = tokio::net::TcpStream::connect(&self.addr).await?;
            stream.set_nodelay(true)?;
            self.conn = Some(tokio::io::BufReader::new(stream));
        }
        let result = self.exchange(method, path, token, body).await;
        match &result {
            Ok((_, _, keep)) if *keep => {}
            _ => self.conn = None,
        }
        result.map(|(status, body, _)| (status, body))
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> std::io::Result<(u16, Vec<u8>, bool)> {
        let conn = self.conn.as_mut().expect("connected above");
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(body);
        conn.get_mut().write_all(&req).await?;
        let eof = || std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        let bad =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
        let mut line = String::new();
        if conn.read_line(&mut line).await? == 0 {
            return Err(eof());
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        let (mut length, mut chunked, mut keep) = (None, false, true);
        loop {
            line.clear();
            if conn.read_line(&mut line).await? == 0 {
                return Err(eof());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((name, value)) = l.split_once(':') {
                let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
                match name.as_str() {
                    "content-length" => length = value.parse::<usize>().ok(),
                    "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                    "connection" => keep = !value.eq_ignore_ascii_case("close"),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        if chunked {
            loop {
                line.clear();
                conn.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| bad("bad chunk size"))?;
                if size == 0 {
                    // Trailers, then the empty line.
                    loop {
                        line.clear();
                        if conn.read_line(&mut line).await? == 0 || line.trim().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                let at = out.len();
                out.resize(at + size, 0);
                conn.read_exact(&mut out[at..]).await?;
                line.clear();
                conn.read_line(&mut line).await?;
            }
        } else if let Some(n) = length {
            out.resize(n, 0);
            conn.read_exact(&mut out).await?;
        } else {
            conn.read_to_end(&mut out).await?;
            keep = false;
        }
        Ok((status, out, keep))
    }
}

// ---------------------------------------------------------------------------------------------
// Servers, commands, the database.

struct Server {
    child: Child,
    addr: String,
    log: PathBuf,
    /// Its CPU quota, if capped; dropped (the group removed) after the server has exited.
    cpu_group: Option<CpuGroup>,
}

impl Server {
    /// Starts `scaleup serve` on a free port and waits for its address line.
    fn start(db: &str, env: &[(String, String)], dir: &Path, name: &str) -> anyhow::Result<Server> {
        let log = dir.join(format!("serve-{name}.log"));
        let mut child = Command::new(BIN)
            .args(["serve", "--db", db, "--addr", "127.0.0.1:0"])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .context("starting scaleup serve")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
        let Some(addr) = line
            .trim()
            .rsplit("http://")
            .next()
            .filter(|a| !a.is_empty())
        else {
            let _ = child.kill();
            bail!(
                "scaleup serve printed no address: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        Ok(Server {
            addr: addr.to_string(),
            child,
            log,
            cpu_group: None,
        })
    }

    /// Moves the server (all its threads) into a cgroup of its own that may use `cores` of a
    /// CPU.
    fn limit_cpu(mut self, cores: f64, name: &str) -> anyhow::Result<Server> {
        self.cpu_group = Some(CpuGroup::new(name, cores, self.child.id())?);
        Ok(self)
    }
}

/// A cgroup with a CPU quota, made under the bench's own cgroup (so that a bench run given a
/// higher share of the machine keeps it for its servers) and removed on drop. cgroup v1 (the
/// `cpu` controller's `cpu.cfs_quota_us`) or v2 (`cpu.max`).
struct CpuGroup {
    dir: PathBuf,
}

impl CpuGroup {
    fn new(name: &str, cores: f64, pid: u32) -> anyhow::Result<CpuGroup> {
        // A 10 ms period: with the default 100 ms a server capped at a quarter of a core would
        // run flat out for 25 ms and then stand still for 75, which shows up as latency spikes
        // rather than as a slower server.
        let period_us: u64 = 10_000;
        let quota_us = ((cores * period_us as f64).round() as u64).max(1_000);
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let v1_path = own.lines().find_map(|l| {
            let mut f = l.splitn(3, ':');
            let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
            controllers
                .split(',')
                .any(|c| c == "cpu")
                .then(|| path.to_string())
        });
        let v1_mount = ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"]
            .into_iter()
            .map(PathBuf::from)
            .find(|m| m.join("cpu.cfs_quota_us").exists());
        let leaf = format!("scaleup-bench-{name}-{pid}");
        let not_possible = |e: std::io::Error, what: &Path| {
            anyhow!(
                "cannot cap a server's CPU ({}: {e}); the capped runs need root and the cgroup cpu controller, or set SCALEUP_BENCH_SERVER_CPU=0 to skip them",
                what.display()
            )
        };
        let group = if let (Some(path), Some(mount)) = (v1_path, v1_mount) {
            let dir = mount.join(path.trim_start_matches('/')).join(&leaf);
            std::fs::create_dir(&dir).map_err(|e| not_possible(e, &dir))?;
            let group = CpuGroup { dir: dir.clone() };
            std::fs::write(dir.join("cpu.cfs_period_us"), period_us.to_string())
                .and_then(|_| std::fs::write(dir.join("cpu.cfs_quota_us"), quota_us.to_string()))
                .map_err(|e| not_possible(e, &dir))?;
            group
        } else {
            let path = own
                .lines()
                .find_map(|l| l.strip_prefix("0::"))
                .ok_or_else(|| anyhow!("no cgroup cpu controller found in /proc/self/cgroup; set SCALEUP_BENCH_SERVER_CPU=0 to skip the capped runs"))?;
            let dir = Path::new("/sys/fs/cgroup")
                .join(path.trim_start_matches('/'))
                .join(&leaf);
            std::fs::create_dir(&dir).map_err(|e| not_possible(e, &dir))?;
            let group = CpuGroup { dir: dir.clone() };
            std::fs::write(dir.join("cpu.max"), format!("{quota_us} {period_us}"))
                .map_err(|e| not_possible(e, &dir))?;
            group
        };
        // Writing the process id to cgroup.procs moves every thread of the process; threads
        // made later start in the creating thread's group.
        std::fs::write(group.dir.join("cgroup.procs"), pid.to_string())
            .map_err(|e| not_possible(e, &group.dir))?;
        Ok(group)
    }
}

impl Drop for CpuGroup {
    fn drop(&mut self) {
        // Only an empty group can be removed: the server has exited by now (Server's drop kills
        // and waits for it before its fields are dropped).
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Warnings and errors the servers logged, one line per kind of message (ANSI colours removed,
/// numbers replaced by `#`, so that "acquired after 5.6 s" and "after 11.8 s" count together).
fn log_problems(servers: &[Server], label: &str) -> Vec<String> {
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for server in servers {
        let text = std::fs::read_to_string(&server.log).unwrap_or_default();
        for l in text.lines() {
            let plain = strip_ansi(l);
            if !(plain.contains("ERROR") || plain.contains("WARN")) {
                continue;
            }
            // Drop the timestamp; keep the level and the message with numbers blanked.
            let mut msg = String::new();
            let mut in_number = false;
            for c in plain
                .split_whitespace()
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
            {
                if c.is_ascii_digit() || (in_number && c == '.') {
                    if !in_number {
                        msg.push('#');
                    }
                    in_number = true;
                } else {
                    in_number = false;
                    msg.push(c);
                }
            }
            // The statement itself follows the summary; the summary names it.
            let msg = msg.split(" db.statement=").next().unwrap_or("");
            *kinds.entry(msg.chars().take(200).collect()).or_insert(0) += 1;
        }
    }
    kinds
        .into_iter()
        .map(|(m, n)| format!("{label}: servers logged {n} × `{m}`"))
        .collect()
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters, ended by a letter.
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn sh(script: &str) -> String {
    Command::new("sh")
        .args(["-c", script])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let model = sh("lscpu | sed -n 's/^Model name: *//p' | head -1");
    let memory = sh("free -g | awk '/^Mem:/ {print $2}'");
    format!(
        "{model} (`lscpu`), {} cores (`nproc`), {memory} GiB",
        sh("nproc")
    )
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// `postgres://user:password@host:port/database?options`, split where the bench changes it.
#[derive(Clone)]
struct PgUrl {
    /// `postgres://user:password@`
    prefix: String,
    host_port: String,
    /// `?options`, possibly empty.
    query: String,
}

impl PgUrl {
    fn parse(url: &str) -> anyhow::Result<PgUrl> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| anyhow!("SCALEUP_BENCH_POSTGRES_URL is not a URL"))?;
        let (auth, rest) = match rest.rsplit_once('@') {
            Some((a, r)) => (format!("{a}@"), r),
            None => (String::new(), rest),
        };
        let (host_port, path) = rest.split_once('/').unwrap_or((rest, ""));
        let query = path
            .find('?')
            .map(|i| path[i..].to_string())
            .unwrap_or_default();
        let host_port = if host_port.contains(':') {
            host_port.to_string()
        } else {
            format!("{host_port}:5432")
        };
        Ok(PgUrl {
            prefix: format!("{scheme}://{auth}"),
            host_port,
            query,
        })
    }

    fn with_database(&self, name: &str) -> String {
        format!("{}{}/{name}{}", self.prefix, self.host_port, self.query)
    }
}

/// Drops the bench database at the end of the run, also after a failure.
struct DropDatabase {
    url: String,
    name: String,
    keep: bool,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("kept database {}", self.name);
            return;
        }
        let result = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| {
                rt.block_on(async {
                    let mut c = PgConnection::connect(&self.url).await?;
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    )))
                    .execute(&mut c)
                    .await?;
                    anyhow::Ok(())
                })
            });
        if let Err(e) = result {
            eprintln!("could not drop database {}: {e}", self.name);
        }
    }
}

/// Median round trip of `SELECT 1` on one connection, in seconds.
async fn round_trip(url: &str) -> anyhow::Result<f64> {
    let mut c = PgConnection::connect(url).await?;
    let mut times = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        sqlx::query("SELECT 1").execute(&mut c).await?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

// ---------------------------------------------------------------------------------------------
// The delay proxy.

/// Listens on a free loopback port and forwards each connection to `upstream`, delaying every
/// chunk in both directions by `delay` nanoseconds (read at each chunk, so it can be
/// calibrated while the proxy runs). Returns the listening address.
fn start_proxy(upstream: &str, delay: Arc<AtomicU64>) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let upstream = upstream.to_string();
    std::thread::spawn(move || {
        for down in listener.incoming() {
            let Ok(down) = down else { continue };
            let Ok(up) = TcpStream::connect(&upstream) else {
                continue;
            };
            let _ = (down.set_nodelay(true), up.set_nodelay(true));
            if let (Ok(d2), Ok(u2)) = (down.try_clone(), up.try_clone()) {
                delay_line(down, u2, delay.clone());
                delay_line(up, d2, delay.clone());
            }
        }
    });
    Ok(addr)
}

/// Copies `from` to `to`, each chunk written `delay` nanoseconds after it was read.
fn delay_line(mut from: TcpStream, mut to: TcpStream, delay: Arc<AtomicU64>) {
    let (tx, rx) = std::sync::mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let due = Instant::now() + Duration::from_nanos(delay.load(Ordering::Relaxed));
                    if tx.send((due, buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            }
        }
    });
    std::thread::spawn(move || {
        for (due, chunk) in rx {
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if to.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
