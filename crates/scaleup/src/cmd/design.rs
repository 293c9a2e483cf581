//! `scaleup design`: power and sample size from a TOML design spec.
//!
//! The spec format is a public contract (see `scaleup-stats::power::SpecFile`). This module
//! reads the file and prints; `scaleup_analysis::design` turns errors into messages that name
//! the file, the line and the field, and `scaleup_stats::power` computes.

use std::path::{Path, PathBuf};

use anyhow::Context;
use scaleup_analysis::design;
use scaleup_stats::power::SolveFor;

use crate::cmd::Format;
use crate::cmd::stats::print_report;

/// Arguments for `scaleup design`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

const SPEC_HELP: &str = "\
Spec (TOML):
  kind = \"individual\" | \"parallel-crt\" | \"stepped-wedge\"
  alpha = 0.05                      # two-sided, default 0.05
  distribution = \"normal\" | \"t\"     # optional, default normal (Hussey & Hughes)
  [outcome]       type = \"binary\", p0, p1   |   type = \"continuous\", mean_difference, sd
  [clustering]    tau (between-cluster SD) or icc; optional cac, eta, eta_correlation
  [individual]    n_per_arm, loss_to_follow_up
  [parallel_crt]  clusters_per_arm, cluster_size, cv_cluster_size, loss_to_follow_up,
                  clustered_arms = \"both\" | \"intervention\"
  [stepped_wedge] sequences = [[0,1,1],[0,0,1]], clusters_per_sequence, cluster_period_size

Variance conventions: binary sigma^2 = pbar(1 - pbar). Parallel trials with icc treat the
outcome variance as total (DE = 1 + (m - 1) icc); with tau, sd is within-cluster. Stepped-wedge
trials follow swCRTdesign::swPwr (sigma^2 within cluster-period; icc/cac as in swPwr).

Example:
  kind = \"stepped-wedge\"
  [outcome]
  type = \"binary\"
  p0 = 0.05
  p1 = 0.035
  [clustering]
  tau = 0.01
  [stepped_wedge]
  sequences = [[0,1,1,1,1],[0,0,1,1,1],[0,0,0,1,1],[0,0,0,0,1]]
  clusters_per_sequence = 6
  cluster_period_size = 120";

#[derive(clap::Subcommand)]
enum Command {
    /// Power of a design described by a TOML spec.
    #[command(after_long_help = SPEC_HELP)]
    Power(PowerArgs),
    /// Smallest number of clusters, cluster size or participants per arm reaching a target power.
    #[command(after_long_help = SPEC_HELP)]
    SampleSize(SampleSizeArgs),
}

#[derive(clap::Args)]
struct PowerArgs {
    /// Design spec (TOML): kind, alpha, [outcome], [clustering], [individual] |
    /// [parallel_crt] | [stepped_wedge].
    #[arg(long)]
    spec: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Solve {
    /// Clusters per arm (parallel-crt) or per sequence (stepped-wedge).
    Clusters,
    /// Cluster size (parallel-crt) or cluster-period size (stepped-wedge).
    ClusterSize,
    /// Participants per arm (individual).
    NPerArm,
}

#[derive(clap::Args)]
struct SampleSizeArgs {
    /// Design spec (TOML); the solved-for field may be omitted.
    #[arg(long)]
    spec: PathBuf,
    /// Quantity to solve for.
    #[arg(long, value_enum)]
    solve: Solve,
    /// Power to reach.
    #[arg(long, default_value_t = 0.8)]
    target_power: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Power(a) => {
            let (source, text) = read_spec(&a.spec)?;
            let report = design::power(&source, &text)?;
            print_report(&report, a.format, "scaleup design power")
        }
        Command::SampleSize(a) => {
            let what = match a.solve {
                Solve::Clusters => SolveFor::Clusters,
                Solve::ClusterSize => SolveFor::ClusterSize,
                Solve::NPerArm => SolveFor::NPerArm,
            };
            let (source, text) = read_spec(&a.spec)?;
            let report = design::sample_size(&source, &text, what, a.target_power)?;
            print_report(&report, a.format, "scaleup design sample-size")
        }
    }
}

fn read_spec(path: &Path) -> anyhow::Result<(String, String)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read spec file {}", path.display()))?;
    Ok((path.display().to_string(), text))
}
