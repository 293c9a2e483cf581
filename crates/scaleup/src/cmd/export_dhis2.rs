//! `scaleup export dhis2`: indicators as DHIS2 aggregate data values.
//!
//! Computes a programme's indicators cut by the mapping's org-unit level and period, puts them
//! through the disclosure control of data that leave the hub, and writes or sends DHIS2's
//! `dataValueSets` payload (scaleup_indicators::dhis2 builds it; this module reads the files,
//! asks the store and speaks HTTP). The tracker payload is `export dhis2-tracker`.

use super::config::{DbArgs, block_on};
use anyhow::{Context, bail};
use scaleup_domain::date::Date;
use scaleup_indicators::dhis2::{self, Mapping};
use scaleup_indicators::{Disclosure, QueryText};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct AggregateArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Programme code.
    #[arg(long = "programme", visible_alias = "program")]
    pub programme: String,
    /// Hub code, when several hubs have a programme with that code.
    #[arg(long)]
    pub hub: Option<String>,
    /// The mapping file (TOML): indicators to data elements, org units to DHIS2 ids.
    #[arg(long)]
    pub mapping: PathBuf,
    /// First day of the period (YYYY-MM-DD, the first day of a month or quarter).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day of the period (YYYY-MM-DD, the last day of a month or quarter).
    #[arg(long)]
    pub to: Option<String>,
    /// Counts from 1 to K − 1 are withheld, with complementary suppression; such figures are
    /// not sent and are listed.
    #[arg(long, value_name = "K", default_value_t = scaleup_indicators::DEFAULT_K)]
    pub suppress_below: u64,
    /// Write the payload to this file (replaced whole, never half-written).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Send the payload to this DHIS2 server (its base URL, e.g. https://dhis2.example.org):
    /// `POST <url>/api/dataValueSets`.
    #[arg(long, value_name = "URL")]
    pub post: Option<String>,
    /// The environment variable holding the DHIS2 personal access token.
    #[arg(long, value_name = "NAME", default_value = "DHIS2_TOKEN")]
    pub token_env: String,
    /// Check everything and send nothing that is kept: with --post, DHIS2 checks every value
    /// (`dryRun=true`) and saves none; without, the payload is built and summarised only.
    #[arg(long)]
    pub dry_run: bool,
    /// The as-of date (YYYY-MM-DD; default: the current UTC date).
    #[arg(long)]
    pub today: Option<String>,
}

/// A period bound of an export: whole months (or quarters, for a quarterly mapping), because
/// figures that leave the hub are never cut at arbitrary days (two overlapping periods would
/// give away the small counts between them).
fn period_bound(
    text: &Option<String>,
    flag: &str,
    period: dhis2::PeriodType,
    first: bool,
) -> anyhow::Result<()> {
    let Some(text) = text else { return Ok(()) };
    let d = Date::parse(text, flag)
        .map_err(|_| anyhow::anyhow!("--{flag}: must be a date in YYYY-MM-DD form"))?;
    let months_per_period = match period {
        dhis2::PeriodType::Monthly => 1,
        dhis2::PeriodType::Quarterly => 3,
    };
    let month_ok = if first {
        (d.month() - 1) % months_per_period == 0
    } else {
        d.month() % months_per_period == 0
    };
    let day_ok = if first {
        d.day() == 1
    } else {
        d == d.last_of_month()
    };
    if !(month_ok && day_ok) {
        let what = match (period, first) {
            (dhis2::PeriodType::Monthly, true) => "the first day of a month",
            (dhis2::PeriodType::Monthly, false) => "the last day of a month",
            (dhis2::PeriodType::Quarterly, true) => "the first day of a quarter",
            (dhis2::PeriodType::Quarterly, false) => "the last day of a quarter",
        };
        bail!("--{flag}: must be {what}: exports carry whole periods only");
    }
    Ok(())
}

pub fn run(args: AggregateArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.mapping)
        .with_context(|| format!("reading {}", args.mapping.display()))?;
    let mapping = Mapping::parse(&text, |code| scaleup_indicators::indicator(code).is_some())
        .map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
            anyhow::anyhow!(
                "{}: the mapping cannot be used:\n{}",
                args.mapping.display(),
                lines.join("\n")
            )
        })?;
    period_bound(&args.from, "from", mapping.period_type, true)?;
    period_bound(&args.to, "to", mapping.period_type, false)?;
    if args.suppress_below < 2 {
        bail!("--suppress-below: must be at least 2");
    }
    let token = match &args.post {
        Some(url) => {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                bail!("--post: must be an http:// or https:// URL");
            }
            let token = std::env::var(&args.token_env)
                .ok()
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| {
                anyhow::anyhow!(
                    "--post: set the DHIS2 personal access token in the environment variable {}",
                    args.token_env
                )
            })?;
            Some(token)
        }
        None => None,
    };

    let current = Date::parse(&scaleup_storage::now_timestamp()[..10], "today")
        .context("reading the current date")?;
    let today = match &args.today {
        Some(t) => Date::parse(t, "today")
            .map_err(|_| anyhow::anyhow!("--today: must be a date in YYYY-MM-DD form"))?,
        None => current,
    };
    // One request per distinct set of cuts the data elements need.
    let mut requests = Vec::new();
    for (cuts, codes) in mapping.requests() {
        let request = QueryText {
            programme: Some(args.programme.clone()),
            by: Some(cuts.join(",")),
            from: args.from.clone(),
            to: args.to.clone(),
            indicator: Some(codes.join(",")),
            remission_below: None,
            reliability: None,
            fidelity_threshold: None,
        }
        .parse(today)
        .map_err(|(field, m)| anyhow::anyhow!("{field}: {m}"))?;
        requests.push(request);
    }

    let policy = Disclosure::SuppressBelow {
        k: args.suppress_below,
    };
    let mut computed = Vec::new();
    block_on(async {
        let store = args.db.open(false).await?;
        let mut result = Ok(());
        for request in &requests {
            // The controlled path: month-snapped periods and complementary suppression over the
            // canonical tables, as a viewer gets.
            match store
                .indicator_table(None, args.hub.as_deref(), request, policy)
                .await
            {
                Ok(c) => computed.push(c),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        let result = result.map_err(|e| match e {
            scaleup_storage::StoreError::NotFound => {
                anyhow::anyhow!("--programme: no programme with that code")
            }
            scaleup_storage::StoreError::Conflict(m) => {
                anyhow::anyhow!("--programme: {m} (--hub)")
            }
            other => other.into(),
        });
        if result.is_ok() {
            store
                .audit(
                    None,
                    scaleup_storage::AuditEvent::new("export.dhis2", "programme").detail(
                        serde_json::json!({
                            "programme": args.programme,
                            "from": args.from, "to": args.to,
                            "suppress_below": args.suppress_below,
                            "sent": args.post.is_some() && !args.dry_run,
                        }),
                    ),
                )
                .await?;
        }
        store.close().await;
        result?;
        Ok(())
    })?;
    let cells: Vec<dhis2::Cell> = computed.iter().flat_map(dhis2::cells).collect();
    let export = dhis2::build(&mapping, &cells)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.mapping.display()))?;
    let body = serde_json::to_string_pretty(&export.payload)?;

    eprintln!(
        "{} data values for {} (periods {}, org units at {} level)",
        export.payload.data_values.len(),
        args.programme,
        period_span(&export.payload),
        mapping.org_unit_level
    );
    for s in &export.skipped {
        let cut: Vec<String> = s.by.iter().map(|(k, v)| format!("{k} {v}")).collect();
        eprintln!(
            "  left out: {} ({}): {}",
            s.indicator,
            cut.join(", "),
            s.reason.as_str()
        );
    }

    if let Some(out) = &args.out
        && !(args.dry_run && args.post.is_none())
    {
        write_whole(out, body.as_bytes())?;
        eprintln!("wrote {}", out.display());
    }
    match (&args.post, token) {
        (Some(url), Some(token)) => {
            let summary = post(url, &token, &body, args.dry_run)?;
            println!(
                "DHIS2 {}{}: imported {}, updated {}, ignored {}, deleted {}",
                summary.status,
                if args.dry_run { " (dry run)" } else { "" },
                summary.imported,
                summary.updated,
                summary.ignored,
                summary.deleted
            );
            for c in &summary.conflicts {
                println!("  conflict: {c}");
            }
            if summary.status == "ERROR" || !summary.conflicts.is_empty() {
                bail!("DHIS2 did not take every value (see the conflicts above)");
            }
        }
        _ if args.out.is_none() && !args.dry_run => println!("{body}"),
        _ => {}
    }
    Ok(())
}

fn period_span(payload: &dhis2::DataValueSet) -> String {
    let first = payload.data_values.iter().map(|v| &v.period).min();
    let last = payload.data_values.iter().map(|v| &v.period).max();
    match (first, last) {
        (Some(a), Some(b)) if a == b => a.clone(),
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "none".into(),
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it over `path`: a reader sees
/// the old file or the new one, never half of one.
fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// Sends the payload; DHIS2's import summary, or what went wrong in words.
fn post(
    base: &str,
    token: &str,
    body: &str,
    dry_run: bool,
) -> anyhow::Result<dhis2::ImportSummary> {
    let url = format!(
        "{}/api/dataValueSets?dryRun={dry_run}",
        base.trim_end_matches('/')
    );
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(300)))
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut response = agent
        .post(&url)
        .header("Authorization", &format!("ApiToken {token}"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .send(body)
        .map_err(|e| anyhow::anyhow!("--post: could not reach DHIS2 at {base}: {e}"))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(16 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| anyhow::anyhow!("--post: reading DHIS2's answer: {e}"))?;
    match dhis2::parse_import_summary(&text) {
        Ok(summary) => Ok(summary),
        Err(message) if status == 401 || status == 403 => bail!(
            "--post: DHIS2 refused the token (HTTP {status}): {message}. Check the personal access token and its authorities"
        ),
        Err(message) => bail!("--post: DHIS2 answered HTTP {status}: {message}"),
    }
}
