//! `scaleup`: one binary for the server, data management and the analysis commands.
//!
//! This file only defines the command line and dispatches; each subcommand lives in
//! `cmd/<name>.rs` with its own `Args` and `run`.

mod cmd;
mod progress;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Task-shared mental health care at scale: care records, implementation outcomes,
/// statistics, economics and interoperability.
#[derive(Parser)]
#[command(name = "scaleup", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP server (JSON API under /api/v1/).
    #[cfg(feature = "server")]
    Serve(cmd::serve::Args),
    /// Apply database migrations and exit.
    #[cfg(feature = "server")]
    Migrate(cmd::migrate::Args),
    /// Build a realistic synthetic dataset (optionally serve it).
    #[cfg(feature = "server")]
    Demo(cmd::demo::Args),
    /// Manage user accounts.
    #[cfg(feature = "server")]
    User(cmd::user::Args),
    /// Verify the hash-chained audit log; sign checkpoints of it to keep elsewhere.
    #[cfg(feature = "server")]
    #[command(long_about = cmd::audit::LONG_ABOUT)]
    Audit(cmd::audit::Args),
    /// Analyse a programme's data in place (effectiveness by its design's standard model).
    #[cfg(feature = "server")]
    Analyze(cmd::analyze::Args),
    /// Implementation outcomes of a programme: RE-AIM, Proctor, effective coverage and the
    /// treatment gap, cut by hub, org unit, arm, counsellor, month, sex or age band.
    #[cfg(feature = "server")]
    Indicators(cmd::indicators::Args),
    /// Store a hub's own instrument, protocol or item-text files in the database.
    #[cfg(feature = "server")]
    Definitions(cmd::definitions::Args),
    /// Export a programme's data: de-identified analysis datasets, FHIR R4, NIMH Data Archive,
    /// indicators to DHIS2 (dataValueSets) and records to DHIS2 Tracker.
    #[cfg(feature = "server")]
    Export(cmd::export::Args),
    /// Import from other systems: XLSForm and REDCap dictionaries as instrument definitions;
    /// ODK/KoboToolbox and REDCap exports and DHIS2 Tracker payloads as records, through a
    /// mapping file, by the sync path (validated, scored, alerted, audited).
    #[cfg(feature = "server")]
    Import(cmd::import::Args),
    /// Write a consistent backup of the database (the key is never in it).
    #[cfg(feature = "server")]
    #[command(long_about = cmd::backup::BACKUP_LONG_ABOUT)]
    Backup(cmd::backup::BackupArgs),
    /// Restore a backup into a new database and verify records, identities and the audit log.
    #[cfg(feature = "server")]
    #[command(long_about = cmd::backup::RESTORE_LONG_ABOUT)]
    Restore(cmd::backup::RestoreArgs),
    /// Generate the master key that encrypts identities and keys the audit chain; rotate to a new one.
    #[cfg(feature = "server")]
    Key(cmd::key::Args),
    /// List, show and score instruments (PHQ-9, GAD-7, SSQ-14, ...).
    Instruments(cmd::instruments::Args),
    /// List, show and validate intervention protocols (PM+, HAP, Friendship Bench, ...).
    Protocols(cmd::protocols::Args),
    /// Statistical models: lmm, glmm, gee, meta, icc.
    Stats(cmd::stats::Args),
    /// Study design: power and sample size.
    Design(cmd::design::Args),
    /// Health economics: icers, markov, psa, evpi, owsa, bia, roi, cost.
    Econ(cmd::econ::Args),
    /// Scale-up planner: workforce, coverage and budget projection.
    Plan(cmd::plan::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        #[cfg(feature = "server")]
        Command::Serve(args) => cmd::serve::run(args),
        #[cfg(feature = "server")]
        Command::Migrate(args) => cmd::migrate::run(args),
        #[cfg(feature = "server")]
        Command::Demo(args) => cmd::demo::run(args),
        #[cfg(feature = "server")]
        Command::User(args) => cmd::user::run(args),
        #[cfg(feature = "server")]
        Command::Audit(args) => cmd::audit::run(args),
        #[cfg(feature = "server")]
        Command::Backup(args) => cmd::backup::backup(args),
        #[cfg(feature = "server")]
        Command::Restore(args) => cmd::backup::restore(args),
        #[cfg(feature = "server")]
        Command::Key(args) => cmd::key::run(args),
        #[cfg(feature = "server")]
        Command::Definitions(args) => cmd::definitions::run(args),
        #[cfg(feature = "server")]
        Command::Analyze(args) => cmd::analyze::run(args),
        #[cfg(feature = "server")]
        Command::Indicators(args) => cmd::indicators::run(args),
        #[cfg(feature = "server")]
        Command::Export(args) => cmd::export::run(args),
        #[cfg(feature = "server")]
        Command::Import(args) => cmd::import::run(args),
        Command::Instruments(args) => cmd::instruments::run(args),
        Command::Protocols(args) => cmd::protocols::run(args),
        Command::Stats(args) => cmd::stats::run(args),
        Command::Design(args) => cmd::design::run(args),
        Command::Econ(args) => cmd::econ::run(args),
        Command::Plan(args) => cmd::plan::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Option names are the same on the command line and over HTTP (issue 9): every query parameter
/// of an analysis route is a long option of the command that runs the same analysis, spelled
/// with `-` for `_`. Renamed options keep their old name as a hidden alias.
#[cfg(all(test, feature = "server"))]
mod option_names {
    use super::Cli;
    use clap::CommandFactory;

    /// Which command runs what each route runs.
    const ROUTES: &[(&str, &[&str])] = &[
        ("/analyses/lmm", &["stats", "lmm"]),
        ("/analyses/glmm", &["stats", "glmm"]),
        ("/analyses/gee", &["stats", "gee"]),
        ("/analyses/icc", &["stats", "icc"]),
        ("/analyses/meta", &["stats", "meta"]),
        ("/analyses/icers", &["econ", "icers"]),
        ("/analyses/markov", &["econ", "markov"]),
        ("/analyses/psa", &["econ", "psa"]),
        ("/analyses/evpi", &["econ", "evpi"]),
        ("/analyses/owsa", &["econ", "owsa"]),
        ("/analyses/budget-impact", &["econ", "bia"]),
        ("/analyses/roi", &["econ", "roi"]),
        ("/analyses/costs", &["econ", "cost"]),
        ("/analyses/power", &["design", "power"]),
        ("/analyses/sample-size", &["design", "sample-size"]),
        ("/analyses/plan", &["plan"]),
        ("/programmes/{code}/dataset", &["export", "dataset"]),
        (
            "/programmes/{code}/effectiveness",
            &["analyze", "effectiveness"],
        ),
    ];

    #[test]
    fn every_http_parameter_is_the_commands_option_of_the_same_name() {
        let root = Cli::command();
        let mut problems = Vec::new();
        for (route, path) in ROUTES {
            let mut cmd = &root;
            for name in *path {
                cmd = cmd
                    .find_subcommand(name)
                    .unwrap_or_else(|| panic!("no command {path:?}"));
            }
            let longs: Vec<String> = cmd
                .get_arguments()
                .filter_map(|a| a.get_long())
                .map(|l| l.replace('-', "_"))
                .collect();
            for (_, param, ..) in scaleup_web::openapi::QUERY_PARAMS
                .iter()
                .filter(|(p, ..)| p == route)
            {
                if !longs.iter().any(|l| l == param) {
                    problems.push(format!(
                        "{route}?{param}: `scaleup {}` has no --{}",
                        path.join(" "),
                        param.replace('_', "-")
                    ));
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
