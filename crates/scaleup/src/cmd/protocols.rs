//! `scaleup protocols`: list, show and validate protocol definitions (PM+, HAP, ...).

use crate::cmd::Format;
use crate::cmd::instruments::{add_files, load_catalog};
use anyhow::{Context, Result, bail};
use scaleup_domain::catalog::{Catalog, Origin};
use scaleup_domain::protocol::{CriterionDef, Protocol};
use std::path::PathBuf;

/// Arguments for `scaleup protocols`.
#[derive(clap::Args)]
pub struct Args {
    /// Folder of hub definition files (*.toml) loaded on top of the built-in catalogue.
    #[arg(long, global = true, value_name = "DIR")]
    definitions: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List the protocols in the catalogue.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show one protocol: sessions, components, outcome schedule and rules.
    Show {
        /// Protocol code, e.g. hap.
        code: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Validate hub definition files (protocols and the instruments they need).
    Validate {
        /// Files to check, against the built-ins and `--definitions`.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

pub fn run(args: Args) -> Result<()> {
    let catalog = load_catalog(args.definitions.as_deref())?;
    match args.command {
        Command::List { format } => list(&catalog, format),
        Command::Show { code, format } => {
            let p = catalog.protocol(&code).with_context(|| {
                format!("no protocol {code} in the catalogue (see `scaleup protocols list`)")
            })?;
            show(p, format)
        }
        Command::Validate { files } => {
            let mut catalog = catalog;
            let mut failures = 0;
            add_files(&mut catalog, &files, |path, outcome| {
                match outcome {
                    Ok(what) => println!("{}: ok ({what})", path.display()),
                    Err(e) => {
                        failures += 1;
                        println!("{e}");
                    }
                }
                Ok(())
            })?;
            if failures > 0 {
                bail!("{failures} of {} files are invalid", files.len());
            }
            Ok(())
        }
    }
}

fn list(catalog: &Catalog, format: Format) -> Result<()> {
    let origin = |o: &Origin| match o {
        Origin::Builtin => "builtin".to_string(),
        Origin::Hub(f) => format!("hub:{f}"),
    };
    match format {
        Format::Json => {
            let rows: Vec<_> = catalog
                .protocols()
                .map(|(o, p)| {
                    let d = p.def();
                    serde_json::json!({
                        "code": d.code,
                        "version": d.version,
                        "name": d.name,
                        "delivery": d.delivery,
                        "sessions_planned": d.sessions.planned,
                        "typical_minutes": d.sessions.typical_minutes,
                        "minimum_sessions": d.dose.minimum_sessions,
                        "instruments": p.instrument_codes(),
                        "origin": origin(o),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
        Format::Text => {
            println!(
                "{:<20} {:<8} {:>8} {:>7} {:>5}  NAME",
                "CODE", "VERSION", "SESSIONS", "MINUTES", "DOSE"
            );
            for (_, p) in catalog.protocols() {
                let d = p.def();
                println!(
                    "{:<20} {:<8} {:>8} {:>7} {:>5}  {}",
                    d.code,
                    d.version,
                    d.sessions.planned,
                    d.sessions.typical_minutes,
                    d.dose.minimum_sessions,
                    d.name
                );
            }
        }
        Format::Html => bail!("--format html is not supported by `protocols list`"),
    }
    Ok(())
}

fn criterion(c: &CriterionDef) -> String {
    if let Some(all) = &c.all {
        return format!(
            "all({})",
            all.iter().map(criterion).collect::<Vec<_>>().join(", ")
        );
    }
    if let Some(any) = &c.any {
        return format!(
            "any({})",
            any.iter().map(criterion).collect::<Vec<_>>().join(", ")
        );
    }
    let inst = c.instrument.as_deref().unwrap_or("?");
    match (&c.cutoff, c.comparison, c.threshold) {
        (Some(id), _, _) => format!("{inst} cut-off {id}"),
        (None, Some(cmp), Some(t)) => {
            let coding = c
                .coding
                .as_ref()
                .map(|k| format!(" (coding {k})"))
                .unwrap_or_default();
            format!("{inst} total {} {t}{coding}", cmp.symbol())
        }
        _ => inst.to_string(),
    }
}

fn show(p: &Protocol, format: Format) -> Result<()> {
    let d = p.def();
    match format {
        Format::Json => {
            println!("{}", serde_json::to_string_pretty(d)?);
            return Ok(());
        }
        Format::Html => bail!("--format html is not supported by `protocols show`"),
        Format::Text => {}
    }
    let word = |v: serde_json::Value| v.as_str().unwrap_or_default().to_string();
    println!("{} ({}) version {}", d.name, d.code, d.version);
    println!("Sources:");
    for s in &d.sources {
        println!("  - {}", s.text);
    }
    let delivery: Vec<String> = d
        .delivery
        .iter()
        .map(|m| word(serde_json::to_value(m).unwrap_or_default()))
        .collect();
    println!("Delivery: {}", delivery.join(", "));
    println!(
        "Sessions: {} planned, {} minutes{}",
        d.sessions.planned,
        d.sessions.typical_minutes,
        d.sessions
            .interval_days
            .map(|i| format!(", every {i} days"))
            .unwrap_or_default()
    );
    for s in &d.session_plan {
        println!("  session {}: {}", s.session, s.components.join(", "));
    }
    if !d.components.is_empty() {
        println!("Components:");
        for c in &d.components {
            println!("  {}: {}", c.code, c.label);
        }
    }
    for o in &d.outcomes {
        let mut at: Vec<String> =
            o.at.iter()
                .map(|t| word(serde_json::to_value(t).unwrap_or_default()))
                .collect();
        at.extend(o.sessions.iter().map(|s| format!("session {s}")));
        at.extend(
            o.follow_up_months
                .iter()
                .map(|m| format!("{m}-month follow-up")),
        );
        println!("Outcome {}: {}", o.instrument, at.join(", "));
    }
    if let Some(s) = &d.screening {
        println!("Screening: {}", s.instrument);
    }
    if let Some(e) = &d.eligibility {
        if let Some(all) = &e.all {
            println!(
                "Eligible if all: {}",
                all.iter().map(criterion).collect::<Vec<_>>().join("; ")
            );
        }
        if let Some(any) = &e.any {
            println!(
                "Eligible if any: {}",
                any.iter().map(criterion).collect::<Vec<_>>().join("; ")
            );
        }
        for x in &e.exclusions {
            println!(
                "  exclusion {}: {} risk rule {} -> {}",
                x.id,
                x.instrument,
                x.risk_rule,
                word(serde_json::to_value(x.action)?)
            );
        }
    }
    println!(
        "Minimum adequate dose: {} sessions",
        d.dose.minimum_sessions
    );
    if let Some(s) = &d.stepped_care {
        let mut minimum = Vec::new();
        if let Some(f) = s.min_reduction_fraction {
            minimum.push(format!("{}% reduction", f * 100.0));
        }
        if let Some(pts) = s.min_reduction_points {
            minimum.push(format!("{pts} points"));
        }
        println!(
            "Stepped care: {} by session {} needs {} -> {} ({})",
            s.instrument,
            s.by_session,
            minimum.join(" and "),
            word(serde_json::to_value(s.action)?),
            s.source
        );
    }
    if let Some(r) = &d.risk {
        let on: Vec<String> = r
            .alert_on
            .iter()
            .map(|a| format!("{}:{}", a.instrument, a.rule))
            .collect();
        println!(
            "Risk alerts: {}; acknowledge within {} h, then escalate to {}",
            on.join(", "),
            r.acknowledge_within_hours,
            word(serde_json::to_value(r.escalate_to)?)
        );
    }
    if let Some(m) = &d.missed_session {
        println!("Missed session: {} days overdue", m.overdue_days);
    }
    for n in &d.notes {
        println!("Note: {n}");
    }
    Ok(())
}
