//! `scaleup demo`: builds the synthetic dataset of `scaleup-demo` into a database, prints the
//! accounts, and optionally serves it.
//!
//! Every date is counted back from `--today` (the current UTC date by default), so a fresh demo
//! is a working day: clients due today, overdue clients, open risk alerts. The survey of the
//! present (`Present::survey`) picks the counsellor and supervisor of each hub worth signing in
//! as, and those are the accounts printed.
//!
//! The plan (hubs, org units, programmes, staff) goes through the ordinary `Store` set-up calls;
//! the client records are generated on a separate thread and loaded with `Store::bulk_insert`
//! batch by batch, so generation and insertion overlap and memory stays flat at any size.
//! Running it again on a database that already holds the demo with the same seed, size and day
//! changes nothing and prints the same accounts; anything else already in the database makes
//! it stop (or, with `--force` on a SQLite file, start from an empty file).

use super::config::{DbArgs, block_on, init_logging};
use super::serve::serve;
use anyhow::{Context, bail};
use scaleup_demo::{ClientStream, DemoConfig, DemoRecord, Directory, Plan, Present};
use scaleup_domain::catalog::Catalog;
use scaleup_domain::date::Date;
use scaleup_domain::record::RecordPayload;
use scaleup_domain::role::Role;
use scaleup_storage::{
    Actor, BulkRecord, CatalogRules, NewOrgUnit, NewProgramme, NewUser, Rules, Store,
};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Arguments for `scaleup demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Database: a SQLite file path (created if missing) or a postgres:// URL.
    #[arg(long, default_value = "scaleup-demo.sqlite")]
    pub db: String,
    /// File holding the base64 master key (default for SQLite: `<db>.key`, created if missing).
    #[arg(long, env = "SCALEUP_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// Number of clients to generate (screened people, of whom a minority enrol). The default
    /// is the smallest size at which every counsellor has a caseload of several clients.
    #[arg(long, default_value_t = 10_000)]
    pub clients: u64,
    /// Random seed: the same seed and size give the same records and passwords (only the ids of
    /// hubs, org units, programmes and accounts come from the database).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The day the demo is opened, YYYY-MM-DD (default: the current UTC date). Every date is
    /// counted back from it and nothing is dated on or after it; the same seed, size and day
    /// give the same data.
    #[arg(long)]
    pub today: Option<String>,
    /// Print only `{"accounts": [...], "today": "YYYY-MM-DD"}` on standard output.
    #[arg(long)]
    pub json: bool,
    /// Delete an existing SQLite database file first (not supported for PostgreSQL).
    #[arg(long)]
    pub force: bool,
    /// Start the server on the demo database afterwards.
    #[arg(long)]
    pub serve: bool,
    /// Address for `--serve`.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
}

/// Clients per generated batch (one insert transaction each): about 7,000 records, small enough
/// that the batches in flight (one generating, one queued, one inserting) stay in tens of MB.
const BATCH_CLIENTS: u64 = 1_000;

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.serve {
        init_logging();
    }
    if !(1..=scaleup_demo::MAX_CLIENTS).contains(&args.clients) {
        bail!(
            "--clients must be between 1 and {}",
            scaleup_demo::MAX_CLIENTS
        );
    }
    let db = DbArgs {
        db: args.db.clone(),
        key_file: args.key_file.clone(),
        previous_key_file: None,
        db_connections: 8,
    };
    if args.force {
        remove_sqlite_file(&args.db)?;
    }
    let current = Date::parse(&scaleup_storage::now_timestamp()[..10], "today")
        .map_err(|_| anyhow::anyhow!("the system clock gives no valid date"))?;
    let today = match &args.today {
        None => current,
        Some(text) => {
            let day = Date::parse(text, "--today")
                .map_err(|_| anyhow::anyhow!("--today must be a date in YYYY-MM-DD form"))?;
            if day > current {
                bail!(
                    "--today must not be after the current date ({current}): the demo would hold records from the future"
                );
            }
            day
        }
    };
    let config = DemoConfig {
        clients: args.clients,
        seed: args.seed,
        today,
    };
    let started = Instant::now();
    let mut plan = Plan::new(&config).context("planning the demo")?;
    let present = Present::survey(&plan).context("surveying the demo's present")?;
    plan.list(present.showcase());
    block_on(async move {
        let store = db.open(true).await?;
        let summary = match existing_demo(&store, &plan).await? {
            Existing::Same => {
                eprintln!(
                    "{} already holds this demo (seed {}, {} clients, today {}): nothing written",
                    args.db, args.seed, args.clients, plan.today
                );
                None
            }
            Existing::Empty => Some(build(&store, &plan, &present, !args.json).await?),
        };
        print_accounts(&plan, args.json, summary.as_ref(), started);
        if args.serve {
            let json = args.json;
            serve(store, &args.addr, false, Default::default(), |url| {
                if json {
                    eprintln!("scaleup is listening on {url}");
                } else {
                    println!("scaleup is listening on {url}");
                    println!("Open {url}/ in a browser and sign in with an account above (Ctrl-C stops the server).");
                }
            })
            .await?;
        }
        Ok(())
    })
}

fn remove_sqlite_file(db: &str) -> anyhow::Result<()> {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        bail!("--force only deletes SQLite files; empty a PostgreSQL database yourself");
    }
    let path = db
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
        .unwrap_or(db);
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("deleting {file}")),
        }
    }
    Ok(())
}

enum Existing {
    Empty,
    Same,
}

/// What the database already holds: nothing, or this very demo. Anything else is an error,
/// so a demo is never mixed into real data or into another demo.
async fn existing_demo(store: &Store, plan: &Plan) -> anyhow::Result<Existing> {
    let hubs = store.hubs(None).await?;
    if hubs.is_empty() {
        return Ok(Existing::Empty);
    }
    let demo_codes: Vec<&str> = plan.hubs.iter().map(|h| h.params.code).collect();
    if !hubs.iter().any(|h| demo_codes.contains(&h.code.as_str())) {
        bail!(
            "the database already holds {} hub(s) and no demo; use a new --db path (or --force to delete a SQLite file)",
            hubs.len()
        );
    }
    let admin = Actor {
        user_id: String::new(),
        role: Role::Admin,
        hubs: vec![],
    };
    let generator = store
        .programmes(&admin)
        .await?
        .into_iter()
        .find_map(|p| p.design.get("generator").cloned());
    let seed = generator
        .as_ref()
        .and_then(|g| g.get("seed"))
        .and_then(|s| s.as_u64());
    let clients = generator
        .as_ref()
        .and_then(|g| g.get("clients"))
        .and_then(|s| s.as_u64());
    let today = generator
        .as_ref()
        .and_then(|g| g.get("today"))
        .and_then(|s| s.as_str());
    let same_day = today == Some(plan.today.to_string().as_str());
    if seed == Some(plan.seed)
        && clients == Some(plan.clients)
        && same_day
        && hubs.len() == plan.hubs.len()
    {
        // The grants of the researcher are written last (see `build`).
        let finished = match store.user_by_username("demo.researcher").await? {
            Some(user) => store.actor_for(&user).await?.hubs.len() == plan.hubs.len(),
            None => false,
        };
        if !finished {
            bail!(
                "an earlier demo build into this database did not finish; use a new --db path, or --force to delete a SQLite file"
            );
        }
        return Ok(Existing::Same);
    }
    bail!(
        "the database already holds a demo built with seed {}, {} clients and today {}; use the same --seed, --clients and --today to reuse it, a new --db path, or --force to delete a SQLite file",
        seed.map_or("?".into(), |s| s.to_string()),
        clients.map_or("?".into(), |c| c.to_string()),
        today.unwrap_or("?"),
    )
}

/// Counts reported after a build.
struct Summary {
    facilities: usize,
    staff: usize,
    records: usize,
    by_kind: BTreeMap<&'static str, usize>,
}

async fn build(
    store: &Store,
    plan: &Plan,
    present: &Present,
    show_progress: bool,
) -> anyhow::Result<Summary> {
    let dir = create_plan(store, plan).await?;
    let progress = if show_progress && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(plan.clients);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} clients {pos}/{len} [{bar:30}] {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };

    // Generation runs on its own thread, one batch ahead of the inserts.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(u64, Vec<BulkRecord>)>(1);
    let gen_plan = plan.clone();
    let gen_dir = dir.clone();
    let gen_present = present.clone();
    let generator = std::thread::spawn(move || -> anyhow::Result<()> {
        let rules = CatalogRules::new(Arc::new(Catalog::builtin()));
        let mut stream = ClientStream::new(&gen_plan, &gen_dir, BATCH_CLIENTS, &gen_present)?;
        while let Some(batch) = stream.next() {
            let rows = batch
                .into_iter()
                .map(|r| to_bulk(&gen_dir, &rules, r))
                .collect::<anyhow::Result<Vec<_>>>()?;
            if tx.blocking_send((stream.clients_done(), rows)).is_err() {
                return Ok(());
            }
        }
        let staff = stream.staff_records();
        for chunk in staff.chunks(20_000) {
            let rows = chunk
                .iter()
                .cloned()
                .map(|r| to_bulk(&gen_dir, &rules, r))
                .collect::<anyhow::Result<Vec<_>>>()?;
            if tx.blocking_send((gen_plan.clients, rows)).is_err() {
                return Ok(());
            }
        }
        Ok(())
    });
    let mut records = 0;
    let mut by_kind: BTreeMap<&'static str, usize> = BTreeMap::new();
    while let Some((done, rows)) = rx.recv().await {
        for r in &rows {
            *by_kind.entry(r.payload.kind().as_str()).or_default() += 1;
        }
        records += store
            .bulk_insert(&rows, "scaleup demo")
            .await
            .context("loading demo records")?;
        progress.set_position(done);
    }
    generator
        .join()
        .map_err(|_| anyhow::anyhow!("the demo generator thread panicked"))??;
    progress.finish_and_clear();
    // Full planner statistics for the freshly loaded tables (6 s at a million clients; see
    // Store::optimize).
    store
        .optimize()
        .await
        .context("refreshing planner statistics")?;
    // Cross-hub grants come last: a researcher with every hub marks a finished build, so an
    // interrupted one is recognised on the next run.
    for (a, id) in plan.accounts.iter().zip(&dir.accounts) {
        for &g in &a.grants {
            store
                .grant_hub(None, &id.to_string(), &dir.hubs[g].to_string())
                .await
                .with_context(|| format!("granting {} a hub", a.username))?;
        }
    }
    Ok(Summary {
        facilities: plan.facility_count(),
        staff: plan.accounts.len(),
        records,
        by_kind,
    })
}

fn to_bulk(dir: &Directory, rules: &CatalogRules, r: DemoRecord) -> anyhow::Result<BulkRecord> {
    let score = match &r.payload {
        RecordPayload::Assessment(a) => Some(
            rules
                .score(a)
                .map_err(|e| anyhow::anyhow!("generated assessment does not score: {e}"))?,
        ),
        _ => None,
    };
    let s = |u: Option<uuid::Uuid>| u.map(|u| u.to_string());
    Ok(BulkRecord {
        id: r.id.to_string(),
        hub_id: dir.hubs[r.hub].to_string(),
        client_id: s(r.client_id),
        episode_id: s(r.episode_id),
        counsellor_id: s(r.counsellor_id),
        facility_id: s(r.facility_id),
        programme_id: s(r.programme_id),
        created_by: r.created_by.to_string(),
        recorded_at: format!(
            "{}T{:02}:{:02}:00.000000Z",
            r.recorded_on,
            r.recorded_minute / 60,
            r.recorded_minute % 60
        ),
        score,
        alert_review: r.alert_review.map(|review| scaleup_storage::AlertReview {
            after_minutes: i64::from(review.after_minutes),
            action: review.action.to_string(),
        }),
        payload: r.payload,
    })
}

fn uuid(text: &str) -> anyhow::Result<uuid::Uuid> {
    uuid::Uuid::parse_str(text).context("the store returned an id that is not a UUID")
}

/// The share of people with a depressive disorder, for the coverage cascade's population in
/// need: the WHO's global estimate (docs/sources.md#effective-coverage). The demo uses it for
/// every country; a hub sets its own from a local survey in the hub console.
const DEMO_PREVALENCE: f64 = 0.044;
const DEMO_PREVALENCE_SOURCE: &str = "WHO 2017, Depression and other common mental disorders: global health estimates (4.4% worldwide); demo value";

/// Creates hubs, org units, programmes and accounts; returns their ids in plan order.
async fn create_plan(store: &Store, plan: &Plan) -> anyhow::Result<Directory> {
    let mut dir = Directory {
        hubs: vec![],
        org_units: vec![],
        programmes: vec![],
        accounts: vec![],
    };
    for hub in &plan.hubs {
        let p = &hub.params;
        let row = store
            .create_hub(None, p.code, p.name, p.country)
            .await
            .with_context(|| format!("creating hub {}", p.code))?;
        let hub_id = row.id.clone();
        dir.hubs.push(uuid(&row.id)?);
        let mut ids: Vec<String> = Vec::new();
        for ou in &hub.org_units {
            let row = store
                .create_org_unit(
                    None,
                    NewOrgUnit {
                        hub_id: hub_id.clone(),
                        parent_id: ou.parent.map(|i| ids[i].clone()),
                        level: ou.level,
                        code: ou.code.clone(),
                        name: ou.name.clone(),
                        catchment_population: ou.catchment_population,
                    },
                )
                .await
                .with_context(|| format!("creating org unit {}", ou.code))?;
            if ou.level == scaleup_domain::org::OrgLevel::Country {
                // Every unit below takes its country's prevalence (the cascade's need).
                store
                    .set_org_unit_prevalence(
                        None,
                        &row.id,
                        Some(DEMO_PREVALENCE),
                        Some(DEMO_PREVALENCE_SOURCE),
                    )
                    .await
                    .with_context(|| format!("setting the prevalence of {}", ou.code))?;
            }
            ids.push(row.id);
        }
        let pr = &hub.programme;
        let row = store
            .create_programme(
                None,
                NewProgramme {
                    hub_id: hub_id.clone(),
                    code: pr.code.clone(),
                    name: pr.name.clone(),
                    protocol_code: pr.protocol_code.clone(),
                    design: pr.design.clone(),
                    alert_ack_hours: pr.alert_ack_hours,
                    start_date: pr.start_date.to_string(),
                    sites: pr
                        .sites
                        .iter()
                        .map(|s| {
                            (
                                ids[s.org_unit].clone(),
                                s.arm.clone(),
                                s.cluster.clone(),
                                s.crossover_period,
                            )
                        })
                        .collect(),
                },
            )
            .await
            .with_context(|| format!("creating programme {}", pr.code))?;
        // The hub's version of its protocol with the targets its dashboard draws. The built-in
        // protocols set none (their sources give none), so these are the demo's own, said so.
        let (protocol_origin, protocol_text) = demo_protocol_with_targets(&pr.protocol_code)?;
        store
            .add_definitions(None, Some(&hub_id), &[(protocol_origin, protocol_text)])
            .await
            .with_context(|| format!("setting the targets of {}", pr.protocol_code))?;
        // Prices for every year the demo records activity in (training starts the year before
        // the programme), so the dashboard's implementation cost has something to price.
        let years: Vec<i32> = (pr.start_date.year() - 1..=plan.today.year()).collect();
        store
            .put_price_list(
                None,
                Some(&hub_id),
                "demo-prices.toml",
                &demo_price_list(p.code, &years),
                &vec![p.code.to_string(); years.len()],
                &years,
            )
            .await
            .with_context(|| format!("storing the demo prices of {}", p.code))?;
        dir.programmes.push(uuid(&row.id)?);
        dir.org_units
            .push(ids.iter().map(|i| uuid(i)).collect::<anyhow::Result<_>>()?);
    }
    // argon2 is deliberately slow and takes 19 MiB per hash: hash each distinct password once,
    // on two blocking threads (one per core of a small server), not one thread per password.
    let mut distinct: Vec<String> = plan.accounts.iter().map(|a| a.password.clone()).collect();
    distinct.sort();
    distinct.dedup();
    let half = distinct.len().div_ceil(2);
    let tasks: Vec<_> = distinct
        .chunks(half.max(1))
        .map(|chunk| {
            let chunk = chunk.to_vec();
            tokio::task::spawn_blocking(move || {
                chunk
                    .into_iter()
                    .map(|pw| Store::hash_password_blocking(&pw).map(|h| (pw, h)))
                    .collect::<Result<Vec<_>, _>>()
            })
        })
        .collect();
    let mut hashes: BTreeMap<String, String> = BTreeMap::new();
    for t in tasks {
        hashes.extend(t.await.context("hashing task")??);
    }
    let mut user_ids: Vec<String> = Vec::new();
    for a in &plan.accounts {
        let hub_id = a.hub.map(|h| dir.hubs[h].to_string());
        let sites = match a.hub {
            Some(h) => a
                .sites
                .iter()
                .map(|&s| dir.org_units[h][s].to_string())
                .collect(),
            None => vec![],
        };
        let row = store
            .create_user_prehashed(
                None,
                NewUser {
                    username: a.username.clone(),
                    display_name: a.display_name.clone(),
                    password: String::new(),
                    role: a.role,
                    hub_id,
                    supervisor_id: a.supervisor.map(|s| user_ids[s].clone()),
                    site_ids: sites,
                    language: None,
                    notify_address: None,
                },
                hashes[&a.password].clone(),
            )
            .await
            .with_context(|| format!("creating account {}", a.username))?;
        user_ids.push(row.id);
    }
    dir.accounts = user_ids
        .iter()
        .map(|i| uuid(i))
        .collect::<anyhow::Result<_>>()?;
    Ok(dir)
}

fn print_accounts(plan: &Plan, json: bool, summary: Option<&Summary>, started: Instant) {
    let listed: Vec<_> = plan.accounts.iter().filter(|a| a.listed).collect();
    if json {
        let accounts: Vec<_> = listed
            .iter()
            .map(|a| {
                serde_json::json!({
                    "role": a.role.as_str(),
                    "username": a.username,
                    "password": a.password,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({ "accounts": accounts, "today": plan.today.to_string() })
        );
        return;
    }
    if let Some(s) = summary {
        println!(
            "Built {} hubs, {} facilities, {} staff accounts, {} clients, {} records in {:.1} s",
            plan.hubs.len(),
            s.facilities,
            s.staff,
            plan.clients,
            s.records,
            started.elapsed().as_secs_f64()
        );
        let kinds: Vec<String> = s.by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!("  records by kind: {}", kinds.join(", "));
    }
    println!(
        "Demo accounts (seed {}, dates up to {}, the day before today):",
        plan.seed,
        scaleup_demo::params::last_day(plan.today)
    );
    println!("  {:<12} {:<18} password", "role", "username");
    for a in &listed {
        println!(
            "  {:<12} {:<18} {}",
            a.role.as_str(),
            a.username,
            a.password
        );
    }
    for hub in &plan.hubs {
        let count = |role: Role| {
            plan.accounts
                .iter()
                .filter(|a| {
                    a.role == role
                        && a.hub
                            .is_some_and(|h| plan.hubs[h].params.code == hub.params.code)
                })
                .count()
        };
        println!(
            "  {}: all {} supervisors ({p}.sup01..) share one password, and all {} counsellors ({p}.c001..) another: those shown above",
            hub.params.code,
            count(Role::Supervisor),
            count(Role::Counsellor),
            p = hub.params.prefix,
        );
    }
    println!("What to try:");
    for role in Role::ALL {
        if listed.iter().any(|a| a.role == role) {
            println!("  {:<12} {}", role.as_str(), try_as(role));
        }
    }
}

/// What a user signed in with a role should look at first.
fn try_as(role: Role) -> &'static str {
    match role {
        Role::Counsellor => {
            "sign in, see Today: open risk alerts first, then clients due today, overdue and with missed sessions"
        }
        Role::Supervisor => {
            "sign in, see the queue of flagged clients across your counsellors (risk, no improvement, missed sessions, dropout) and acknowledge an open alert"
        }
        Role::HubManager => {
            "sign in, see your hub's caseload and the alerts escalated to you, then the indicators of /api/v1/summary"
        }
        Role::Admin => "sign in, see every hub, programme and account",
        Role::Researcher => {
            "sign in, run the stepped-wedge trial's analysis (/api/v1/programmes/pmplus-sw-trial/effectiveness) and compare it with the true effect of -3 the design records"
        }
        Role::Viewer => "sign in, see aggregate indicators only (/api/v1/summary): no client rows",
    }
}

/// The demo's targets, on shares of the indicator catalogue (docs/indicators.md#targets).
const DEMO_TARGETS: &str = r#"
[[targets]]
indicator = "completion"
at_least = 0.7
source = "Demonstration target of the demo hub, not guidance"

[[targets]]
indicator = "dropout"
at_most = 0.2
source = "Demonstration target of the demo hub, not guidance"

[[targets]]
indicator = "fidelity"
at_least = 0.8
source = "Demonstration target of the demo hub, not guidance"

[[targets]]
indicator = "alert_response_within_limit"
at_least = 0.9
source = "Demonstration target of the demo hub, not guidance"
"#;

/// The demo's price lists for one hub (`[[price_list]]` tables, as the console stores them):
/// plausible magnitudes for a lay-counsellor programme, in US dollars, and not data: the file
/// says so.
fn demo_price_list(hub: &str, years: &[i32]) -> String {
    let mut text = String::from(
        "# Demonstration prices of the demo hub, not data: replace them with the hub's own.\n",
    );
    for year in years {
        text.push_str(&format!(
            r#"
[[price_list]]
hub = "{hub}"
year = {year}
currency = "USD"
counsellor_hourly = 1.5
supervisor_hourly = 8.0
training_per_trainee_day = 12.0
training_event = 150.0
materials_per_session = 0.3
materials_per_client = 1.0

[[price_list.overhead]]
name = "programme management"
rule = "percent_of_direct"
value = 0.15
"#
        ));
    }
    text
}

/// A built-in protocol as a hub-scoped file of its own version (`<version>-demo`) with
/// [`DEMO_TARGETS`]; the rest of the protocol is unchanged.
fn demo_protocol_with_targets(code: &str) -> anyhow::Result<(String, String)> {
    let (name, text) = scaleup_domain::catalog::BUILTIN_FILES
        .iter()
        .find(|(name, _)| *name == format!("protocols/{code}.toml"))
        .with_context(|| format!("no built-in protocol file for {code}"))?;
    let version_line = text
        .lines()
        .find(|l| l.starts_with("version = \""))
        .with_context(|| format!("{name} has no version line"))?;
    let demo_version = version_line.trim_end().trim_end_matches('"').to_string() + "-demo\"";
    let file = format!(
        "{}{DEMO_TARGETS}",
        text.replacen(version_line, &demo_version, 1)
    );
    let origin = name
        .trim_start_matches("protocols/")
        .replace(".toml", "-demo.toml");
    Ok((origin, file))
}
