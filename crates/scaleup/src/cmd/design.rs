//! `scaleup design`: power and sample size from a TOML design spec.
//!
//! The spec format is a public contract (see `scaleup-stats::power::SpecFile`). This module
//! reads the file, turns TOML and validation errors into messages that name the file, the line
//! and the field, and prints the result; all computation lives in `scaleup_stats::power`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use scaleup_stats::power::{self, DesignError, PowerResult, SolveFor, SpecFile};

use crate::cmd::Format;

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
            let (text, file) = read_spec(&a.spec)?;
            let spec = file
                .into_spec(None)
                .map_err(|e| spec_error(&a.spec, &text, e))?;
            let result = power::power(&spec).map_err(|e| spec_error(&a.spec, &text, e))?;
            match a.format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&result)?),
                Format::Text => print!("{}", render_text(&result)),
                Format::Html => bail!("--format html is not supported by `design power`"),
            }
        }
        Command::SampleSize(a) => {
            let what = match a.solve {
                Solve::Clusters => SolveFor::Clusters,
                Solve::ClusterSize => SolveFor::ClusterSize,
                Solve::NPerArm => SolveFor::NPerArm,
            };
            let (text, file) = read_spec(&a.spec)?;
            let spec = file
                .into_spec(Some(what))
                .map_err(|e| spec_error(&a.spec, &text, e))?;
            let sol = power::solve(&spec, what, a.target_power)
                .map_err(|e| spec_error(&a.spec, &text, e))?;
            match a.format {
                Format::Json => {
                    let mut v = serde_json::to_value(&sol.result)?;
                    let obj = v.as_object_mut().expect("result serialises to an object");
                    obj.insert("solved_for".into(), sol.solved_for.into());
                    obj.insert("value".into(), sol.value.into());
                    obj.insert("target_power".into(), sol.target_power.into());
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                Format::Text => {
                    println!(
                        "{}: {} (power {:.4} ≥ target {})",
                        sol.solved_for, sol.value, sol.result.power, sol.target_power
                    );
                    print!("{}", render_text(&sol.result));
                }
                Format::Html => bail!("--format html is not supported by `design sample-size`"),
            }
        }
    }
    Ok(())
}

fn read_spec(path: &Path) -> anyhow::Result<(String, SpecFile)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read spec file {}", path.display()))?;
    // toml's error text already carries the line, column and key.
    let file: SpecFile = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: invalid design spec: {e}", path.display()))?;
    Ok((text, file))
}

/// Adds the file name and, where the field can be found, its line to a validation error.
fn spec_error(path: &Path, text: &str, err: DesignError) -> anyhow::Error {
    let field = match &err {
        DesignError::InvalidField { field, .. } | DesignError::MissingField { field } => {
            Some(*field)
        }
        DesignError::Unidentified(_) => Some("stepped_wedge.sequences"),
        DesignError::Unreachable { .. } => None,
    };
    match field.and_then(|f| locate(text, f)) {
        Some(line) => anyhow::anyhow!("{}: line {line}: {err}", path.display()),
        None => anyhow::anyhow!("{}: {err}", path.display()),
    }
}

/// Finds the 1-based line of a dotted field (`table.key`, `table` or top-level `key`) in a TOML
/// document written with plain `[table]` headers and `key = value` lines (the documented spec
/// style). A missing key points at its table header; dotted or inline-table keys are not found,
/// in which case the message has no line.
fn locate(text: &str, field: &str) -> Option<usize> {
    let (table, key) = match field.split_once('.') {
        Some((t, k)) => (Some(t), Some(k)),
        None if text.lines().any(|l| is_header(l, field)) => (Some(field), None),
        None => (None, Some(field)),
    };
    let mut in_table = table.is_none();
    let mut header_line = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            in_table = table.is_some_and(|t| is_header(line, t));
            if in_table {
                header_line = Some(i + 1);
                if key.is_none() {
                    return header_line;
                }
            }
            continue;
        }
        if in_table
            && let Some(k) = key
            && let Some(rest) = trimmed.strip_prefix(k)
            && rest.trim_start().starts_with('=')
        {
            return Some(i + 1);
        }
    }
    header_line
}

fn is_header(line: &str, table: &str) -> bool {
    line.trim()
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .map(str::trim)
        == Some(table)
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.6}"))
}

fn render_text(r: &PowerResult) -> String {
    let mut s = String::new();
    s.push_str(&format!("design          {} ({})\n", r.kind, r.method));
    s.push_str(&format!("power           {:.4}\n", r.power));
    s.push_str(&format!("alpha           {}\n", r.alpha));
    s.push_str(&format!("effect          {:.6}\n", r.effect));
    s.push_str(&format!("SE (H1 / H0)    {:.6} / {:.6}\n", r.se, r.se_null));
    s.push_str(&format!("design effect   {}\n", opt(r.design_effect)));
    s.push_str(&format!("ICC             {}\n", opt(r.icc)));
    s.push_str(&format!(
        "variances       sigma2 {:.6}, tau2 {}, gamma2 {}\n",
        r.sigma2,
        opt(r.tau2),
        opt(r.gamma2)
    ));
    if let Some(c) = r.n_clusters {
        s.push_str(&format!("clusters        {c}\n"));
    }
    if let Some(t) = r.n_periods {
        s.push_str(&format!("periods         {t}\n"));
    }
    s.push_str(&format!(
        "participants    {} recruited, {} analysed\n",
        r.n_total, r.n_analysed
    ));
    for note in &r.notes {
        s.push_str(&format!("note: {note}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn locates_fields() {
        let doc = "kind = \"parallel-crt\"\nalpha = 0.05\n\n[outcome]\ntype = \"binary\"\np0 = 1.5\n\n[parallel_crt]\ncluster_size = 0\n";
        assert_eq!(locate(doc, "alpha"), Some(2));
        assert_eq!(locate(doc, "outcome.p0"), Some(6));
        assert_eq!(locate(doc, "parallel_crt.cluster_size"), Some(9));
        assert_eq!(locate(doc, "parallel_crt.clusters_per_arm"), Some(8));
        assert_eq!(locate(doc, "outcome"), Some(4));
        assert_eq!(locate(doc, "clustering"), None);
    }
}
