//! `scaleup econ`: cost-effectiveness commands. This module reads files, calls scaleup-econ and
//! prints; the economics lives in the library crate.

use anyhow::{Context, Result, bail};
use scaleup_analysis::cea::{self as analysis, icer_rows_json, icer_table};
use scaleup_econ::cea::{self, Strategy};
use scaleup_econ::markov::{Model, Outcome};
use scaleup_econ::owsa::{self, Measure, OwsaSpec};
use scaleup_econ::psa::{self as psa_core, PsaConfig, PsaResult};
use scaleup_econ::svg;
use scaleup_econ::voi::{self, PsaTable};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::Format;

/// Arguments for `scaleup econ`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Efficiency frontier and ICERs from a strategy table (CSV: strategy,cost,effect).
    Icers(IcersArgs),
    /// Deterministic Markov cohort model from a TOML specification.
    Markov(MarkovArgs),
    /// Expected value of perfect information from PSA draws (CSV: draw,strategy,cost,effect).
    Evpi(EvpiArgs),
    /// Probabilistic sensitivity analysis of a Markov model: CEAC, CEAF, EVPI, charts.
    Psa(PsaArgs),
    /// One-way sensitivity analysis with a tornado diagram.
    Owsa(OwsaArgs),
    /// Budget impact analysis.
    Bia(super::econ_budget::BiaArgs),
    /// Return on investment.
    Roi(super::econ_budget::RoiArgs),
    /// Ingredients / activity-based costing from a price list and recorded activity.
    Cost(super::econ_budget::CostArgs),
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Icers(a) => run_icers(a),
        Command::Markov(a) => run_markov(a),
        Command::Evpi(a) => run_evpi(a),
        Command::Psa(a) => run_psa(a),
        Command::Owsa(a) => run_owsa(a),
        Command::Bia(a) => super::econ_budget::run_bia(a),
        Command::Roi(a) => super::econ_budget::run_roi(a),
        Command::Cost(a) => super::econ_budget::run_cost(a),
    }
}

/// Arguments for `scaleup econ icers`.
#[derive(clap::Args)]
struct IcersArgs {
    /// CSV file with columns strategy,cost,effect (header required, any column order).
    #[arg(long)]
    input: PathBuf,
    /// Willingness to pay per unit of effect; adds net monetary benefit to the output.
    #[arg(long)]
    wtp: Option<f64>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn run_icers(args: IcersArgs) -> Result<()> {
    let (source, file) = crate::cmd::stats::open_data(&args.input)?;
    let report = analysis::icers(&source, file, args.wtp)?;
    crate::cmd::stats::print_report(&report, args.format, "scaleup econ icers")
}

fn read_csv_columns(path: &Path, wanted: &[&str]) -> Result<Vec<(u64, Vec<String>)>> {
    let (source, file) = crate::cmd::stats::open_data(path)?;
    analysis::read_csv_columns(&source, file, wanted)
}

fn parse_num(path: &Path, line: u64, field: &str, cell: &str) -> Result<f64> {
    analysis::parse_num(&path.display().to_string(), line, field, cell)
}

/// Arguments for `scaleup econ markov`.
#[derive(clap::Args)]
struct MarkovArgs {
    /// Model specification (TOML).
    #[arg(long)]
    model: PathBuf,
    /// Willingness to pay per unit of effect; adds net monetary benefit to the ICER table.
    #[arg(long)]
    wtp: Option<f64>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Reads and validates a model file; errors carry the file name.
fn load_model(path: &Path) -> Result<Model> {
    let src =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    analysis::load_model(&path.display().to_string(), &src)
}

fn run_markov(args: MarkovArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.model)
        .with_context(|| format!("cannot read {}", args.model.display()))?;
    let report = analysis::markov(&args.model.display().to_string(), &text, args.wtp)?;
    crate::cmd::stats::print_report(&report, args.format, "scaleup econ markov")
}

/// Arguments for `scaleup econ evpi`.
#[derive(clap::Args)]
struct EvpiArgs {
    /// PSA draws in long format: columns draw,strategy,cost,effect (one row per draw and strategy).
    #[arg(long)]
    psa: PathBuf,
    /// Willingness to pay per unit of effect.
    #[arg(long)]
    wtp: f64,
    /// People affected by the decision each year (for population EVPI).
    #[arg(long)]
    population: Option<f64>,
    /// Years over which the decision applies (for population EVPI).
    #[arg(long, default_value_t = 1)]
    years: u32,
    /// Annual discount rate for population EVPI; year t is weighted 1/(1+r)^t, t = 1..years.
    #[arg(long, default_value_t = 0.0)]
    discount: f64,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Reads a long-format PSA file into a table; every draw must list every strategy once.
fn read_psa_csv(path: &Path) -> Result<PsaTable> {
    let rows = read_csv_columns(path, &["draw", "strategy", "cost", "effect"])?;
    let mut strategies: Vec<String> = Vec::new();
    let mut draws: Vec<String> = Vec::new();
    let mut draw_index: HashMap<String, usize> = HashMap::new();
    let mut cells: Vec<Vec<Option<(f64, f64)>>> = Vec::new();
    for (line, c) in &rows {
        let (line, draw, strat) = (*line, &c[0], &c[1]);
        if draw.is_empty() || strat.is_empty() {
            bail!(
                "{} line {line}: fields 'draw' and 'strategy' must not be empty",
                path.display()
            );
        }
        let cost = parse_num(path, line, "cost", &c[2])?;
        let effect = parse_num(path, line, "effect", &c[3])?;
        let j = match strategies.iter().position(|s| s == strat) {
            Some(j) => j,
            None => {
                strategies.push(strat.clone());
                cells.iter_mut().for_each(|r| r.push(None));
                strategies.len() - 1
            }
        };
        let d = *draw_index.entry(draw.clone()).or_insert_with(|| {
            draws.push(draw.clone());
            cells.push(vec![None; strategies.len()]);
            draws.len() - 1
        });
        if cells[d][j].is_some() {
            bail!(
                "{} line {line}: draw '{draw}' lists strategy '{strat}' twice",
                path.display()
            );
        }
        cells[d][j] = Some((cost, effect));
    }
    if draws.is_empty() {
        bail!("{}: no draws (the file has only a header)", path.display());
    }
    let k = strategies.len();
    let mut cost = Vec::with_capacity(draws.len() * k);
    let mut effect = Vec::with_capacity(draws.len() * k);
    for (d, row) in cells.iter().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            let (c, e) = cell.ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: draw '{}' has no row for strategy '{}'",
                    path.display(),
                    draws[d],
                    strategies[j]
                )
            })?;
            cost.push(c);
            effect.push(e);
        }
    }
    Ok(PsaTable::new(strategies, cost, effect)?)
}

fn run_evpi(args: EvpiArgs) -> Result<()> {
    let table = read_psa_csv(&args.psa)?;
    let s = voi::summarise(&table, &[args.wtp]).remove(0);
    let names = table.strategies();
    let pop = args.population.map(|n| {
        let mult = voi::population_multiplier(n, args.years, args.discount);
        (mult, s.evpi * mult)
    });
    match args.format {
        Format::Json => {
            let by_name = |v: &[f64]| -> serde_json::Map<String, Value> {
                names
                    .iter()
                    .cloned()
                    .zip(v.iter().map(|x| json!(x)))
                    .collect()
            };
            let out = json!({
                "evpi": s.evpi,
                "wtp": s.wtp,
                "n_draws": table.n_draws(),
                "strategies": names,
                "optimal": names[s.optimal],
                "expected_nmb": by_name(&s.expected_nmb),
                "ceac": by_name(&s.prob_optimal),
                "ceaf": s.ceaf,
                "population_evpi": pop.map(|p| p.1),
                "population": pop.map(|p| json!({
                    "per_year": args.population, "years": args.years,
                    "discount": args.discount, "effective_population": p.0,
                })),
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Text => {
            println!(
                "EVPI at wtp {}: {:.4} per person ({} draws)",
                s.wtp,
                s.evpi,
                table.n_draws()
            );
            println!(
                "Optimal in expectation: {} (probability optimal {:.4})",
                names[s.optimal], s.ceaf
            );
            for (j, n) in names.iter().enumerate() {
                println!(
                    "  {:<24} expected NMB {:>14.2}  P(optimal) {:.4}",
                    n, s.expected_nmb[j], s.prob_optimal[j]
                );
            }
            if let Some((mult, p)) = pop {
                println!("Population EVPI: {p:.2} (effective population {mult:.2})");
            }
        }
        Format::Html => bail!("--format html is not supported by `econ evpi`"),
    }
    Ok(())
}

/// Arguments for `scaleup econ psa`.
#[derive(clap::Args)]
struct PsaArgs {
    /// Model specification (TOML) with [[parameter]] distributions.
    #[arg(long)]
    model: PathBuf,
    /// Number of draws.
    #[arg(long, default_value_t = 1000)]
    draws: usize,
    /// Random seed (results are identical for the same seed, whatever --threads is).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Willingness-to-pay values, comma-separated (for example 0,1000,5000).
    #[arg(long, value_delimiter = ',', required = true)]
    wtp: Vec<f64>,
    /// Write every draw to this CSV (draw,strategy,cost,effect, then parameter columns);
    /// the file is accepted by `scaleup econ evpi --psa`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write ce_plane.svg and ceac.svg into this directory.
    #[arg(long)]
    svg_dir: Option<PathBuf>,
    /// Worker threads (default: available cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Draws per chunk; with the seed it defines the random streams.
    #[arg(long, default_value_t = 4096)]
    chunk_size: usize,
    /// Draws plotted on the cost-effectiveness plane.
    #[arg(long, default_value_t = 1000)]
    points: usize,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn run_psa(args: PsaArgs) -> Result<()> {
    let model = load_model(&args.model)?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let cfg = PsaConfig {
        draws: args.draws,
        seed: args.seed,
        wtp: args.wtp.clone(),
        chunk_size: args.chunk_size,
        threads,
        keep_points: args.points,
    };
    let names: Vec<String> = model
        .strategy_names()
        .into_iter()
        .map(String::from)
        .collect();
    let slots = model.n_slots();
    let mut writer = match &args.out {
        Some(p) => {
            let f = std::fs::File::create(p)
                .with_context(|| format!("cannot create {}", p.display()))?;
            let mut w = std::io::BufWriter::new(f);
            let mut header = String::from("draw,strategy,cost,effect");
            for par in model.parameters() {
                let dim = par.distribution.dim();
                if dim == 1 {
                    header.push_str(&format!(",{}", par.name));
                } else {
                    for i in 1..=dim {
                        header.push_str(&format!(",{}[{i}]", par.name));
                    }
                }
            }
            writeln!(w, "{header}").with_context(|| format!("cannot write {}", p.display()))?;
            Some(w)
        }
        None => None,
    };
    let k = names.len();
    let result = psa_core::run_psa(&model, &cfg, |chunk| {
        let Some(w) = writer.as_mut() else {
            return Ok(());
        };
        let n = chunk.outcomes.len() / k;
        let mut line = String::with_capacity(64 + 24 * slots);
        for d in 0..n {
            let params = &chunk.params[d * slots..(d + 1) * slots];
            for (j, name) in names.iter().enumerate() {
                let o = chunk.outcomes[d * k + j];
                line.clear();
                // Writing into a String cannot fail.
                let _ = write!(
                    line,
                    "{},{},{},{}",
                    chunk.first_draw + d + 1,
                    name,
                    o.cost,
                    o.effect
                );
                for v in params {
                    let _ = write!(line, ",{v}");
                }
                line.push('\n');
                w.write_all(line.as_bytes()).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
    .with_context(|| format!("{}: PSA failed", args.model.display()))?;
    if let (Some(w), Some(p)) = (writer.as_mut(), &args.out) {
        w.flush()
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    let mut svg_files = Vec::new();
    if let Some(dir) = &args.svg_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for (file, text) in psa_charts(&result) {
            let p = dir.join(file);
            std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
            svg_files.push(p.display().to_string());
        }
    }
    let mean_strategies: Vec<Strategy> = names
        .iter()
        .enumerate()
        .map(|(j, n)| Strategy {
            name: n.clone(),
            cost: result.mean_cost[j],
            effect: result.mean_effect[j],
        })
        .collect();
    let icers = cea::calculate_icers(&mean_strategies)?;
    match args.format {
        Format::Json => {
            let by_name = |v: &[f64]| -> serde_json::Map<String, Value> {
                names
                    .iter()
                    .cloned()
                    .zip(v.iter().map(|x| json!(x)))
                    .collect()
            };
            let out = json!({
                "draws": result.draws,
                "seed": args.seed,
                "strategies": names.iter().enumerate().map(|(j, n)| json!({
                    "name": n,
                    "mean_cost": result.mean_cost[j],
                    "mean_effect": result.mean_effect[j],
                    "sd_cost": result.sd_cost[j],
                    "sd_effect": result.sd_effect[j],
                })).collect::<Vec<_>>(),
                "icers": icer_rows_json(&icers, None),
                "wtp": args.wtp,
                "evpi": result.by_wtp.iter().map(|s| s.evpi).collect::<Vec<_>>(),
                "by_wtp": result.by_wtp.iter().map(|s| json!({
                    "wtp": s.wtp,
                    "ceac": by_name(&s.prob_optimal),
                    "optimal": names[s.optimal],
                    "ceaf": s.ceaf,
                    "evpi": s.evpi,
                    "expected_nmb": by_name(&s.expected_nmb),
                })).collect::<Vec<_>>(),
                "files": {
                    "draws": args.out.as_ref().map(|p| p.display().to_string()),
                    "svg": svg_files,
                },
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Text => {
            println!("PSA: {} draws, seed {}\n", result.draws, args.seed);
            for (j, n) in names.iter().enumerate() {
                println!(
                    "{:<24} cost {:>14.2} (sd {:>10.2})  effect {:>10.5} (sd {:>8.5})",
                    n,
                    result.mean_cost[j],
                    result.sd_cost[j],
                    result.mean_effect[j],
                    result.sd_effect[j]
                );
            }
            println!();
            print!("{}", icer_table(&icers, None));
            println!(
                "\n{:>12} {:<24} {:>8} {:>14}",
                "wtp", "optimal", "ceaf", "evpi"
            );
            for s in &result.by_wtp {
                println!(
                    "{:>12} {:<24} {:>8.4} {:>14.4}",
                    s.wtp, names[s.optimal], s.ceaf, s.evpi
                );
            }
            for f in &svg_files {
                println!("wrote {f}");
            }
        }
        Format::Html => bail!("--format html is not supported by `econ psa`"),
    }
    Ok(())
}

/// CE plane and CEAC charts for a PSA result.
fn psa_charts(r: &PsaResult) -> Vec<(&'static str, String)> {
    let k = r.strategies.len();
    let plane: Vec<svg::Series> = r
        .strategies
        .iter()
        .enumerate()
        .map(|(j, n)| svg::Series {
            name: n.clone(),
            points: r
                .points
                .iter()
                .skip(j)
                .step_by(k)
                .map(|o| (o.effect, o.cost))
                .collect(),
        })
        .collect();
    let means: Vec<(f64, f64)> = (0..k).map(|j| (r.mean_effect[j], r.mean_cost[j])).collect();
    let ceac: Vec<svg::Series> = r
        .strategies
        .iter()
        .enumerate()
        .map(|(j, n)| svg::Series {
            name: n.clone(),
            points: r
                .by_wtp
                .iter()
                .map(|s| (s.wtp, s.prob_optimal[j]))
                .collect(),
        })
        .collect();
    vec![
        (
            "ce_plane.svg",
            svg::scatter("Cost-effectiveness plane", "Effect", "Cost", &plane, &means),
        ),
        (
            "ceac.svg",
            svg::lines(
                "Cost-effectiveness acceptability curves",
                "Willingness to pay",
                "Probability cost-effective",
                &ceac,
                Some((0.0, 1.0)),
            ),
        ),
    ]
}

/// Arguments for `scaleup econ owsa`.
#[derive(clap::Args)]
struct OwsaArgs {
    /// Model specification (TOML).
    #[arg(long)]
    model: PathBuf,
    /// Vary only this parameter (with --low and --high); without it, every parameter that has
    /// `low` and `high` in the model file is varied.
    #[arg(long, requires_all = ["low", "high"])]
    parameter: Option<String>,
    /// Low value for --parameter.
    #[arg(long, requires = "parameter", allow_hyphen_values = true)]
    low: Option<f64>,
    /// High value for --parameter.
    #[arg(long, requires = "parameter", allow_hyphen_values = true)]
    high: Option<f64>,
    /// Willingness to pay for the net-benefit outcome.
    #[arg(long)]
    wtp: f64,
    /// Strategy whose (incremental) net monetary benefit is shown (default: the last one).
    #[arg(long)]
    strategy: Option<String>,
    /// Comparator for incremental net benefit (default: the first strategy; with a single
    /// strategy the tornado shows its NMB).
    #[arg(long)]
    comparator: Option<String>,
    /// Write the tornado diagram to this SVG file.
    #[arg(long)]
    svg: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn run_owsa(args: OwsaArgs) -> Result<()> {
    let model = load_model(&args.model)?;
    let names: Vec<String> = model
        .strategy_names()
        .into_iter()
        .map(String::from)
        .collect();
    let find = |n: &str| {
        names
            .iter()
            .position(|s| s == n)
            .ok_or_else(|| anyhow::anyhow!("{}: no strategy named '{n}'", args.model.display()))
    };
    let strategy = match &args.strategy {
        Some(n) => find(n)?,
        None => names.len() - 1,
    };
    let comparator = match &args.comparator {
        Some(n) => Some(find(n)?),
        None if names.len() > 1 && strategy != 0 => Some(0),
        None if names.len() > 1 => Some(1),
        None => None,
    };
    let measure = match comparator {
        Some(c) => Measure::Inmb {
            strategy,
            comparator: c,
            wtp: args.wtp,
        },
        None => Measure::Nmb {
            strategy,
            wtp: args.wtp,
        },
    };
    let label = match comparator {
        Some(c) => format!(
            "Incremental NMB of {} vs {} at wtp {}",
            names[strategy], names[c], args.wtp
        ),
        None => format!("NMB of {} at wtp {}", names[strategy], args.wtp),
    };
    let specs = match (&args.parameter, args.low, args.high) {
        (Some(p), Some(low), Some(high)) => vec![OwsaSpec {
            parameter: p.clone(),
            low,
            high,
        }],
        _ => owsa::specs_from_model(&model),
    };
    let result = owsa::run_owsa(&model, &specs)
        .with_context(|| format!("{}: one-way analysis failed", args.model.display()))?;
    let base = measure.of(&result.base);
    let bars = owsa::tornado_bars(&result, measure);
    if let Some(p) = &args.svg {
        let text = svg::tornado("Tornado diagram", &label, base, &bars);
        std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))?;
    }
    let mut order: Vec<usize> = (0..bars.len()).collect();
    order.sort_by(|&a, &b| {
        let sa = (bars[a].at_high - bars[a].at_low).abs();
        let sb = (bars[b].at_high - bars[b].at_low).abs();
        sb.partial_cmp(&sa).unwrap_or(std::cmp::Ordering::Equal)
    });
    let outcomes_json = |o: &[Outcome]| -> Vec<Value> {
        names
            .iter()
            .zip(o)
            .map(|(n, o)| json!({"name": n, "cost": o.cost, "effect": o.effect}))
            .collect()
    };
    match args.format {
        Format::Json => {
            let out = json!({
                "outcome": label,
                "wtp": args.wtp,
                "base": { "outcome": base, "strategies": outcomes_json(&result.base) },
                "parameters": order.iter().map(|&i| {
                    let r = &result.rows[i];
                    json!({
                        "parameter": r.parameter,
                        "base_value": r.base_value,
                        "low": r.low,
                        "high": r.high,
                        "outcome_low": bars[i].at_low,
                        "outcome_high": bars[i].at_high,
                        "swing": (bars[i].at_high - bars[i].at_low).abs(),
                        "strategies_low": outcomes_json(&r.at_low),
                        "strategies_high": outcomes_json(&r.at_high),
                    })
                }).collect::<Vec<_>>(),
                "svg": args.svg.as_ref().map(|p| p.display().to_string()),
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Text => {
            println!("{label}: base case {base:.2}\n");
            println!(
                "{:<24} {:>12} {:>12} {:>14} {:>14} {:>14}",
                "parameter", "low", "high", "at low", "at high", "swing"
            );
            for &i in &order {
                let (r, b) = (&result.rows[i], &bars[i]);
                println!(
                    "{:<24} {:>12} {:>12} {:>14.2} {:>14.2} {:>14.2}",
                    r.parameter,
                    r.low,
                    r.high,
                    b.at_low,
                    b.at_high,
                    (b.at_high - b.at_low).abs()
                );
            }
            if let Some(p) = &args.svg {
                println!("\nwrote {}", p.display());
            }
        }
        Format::Html => bail!("--format html is not supported by `econ owsa`"),
    }
    Ok(())
}
