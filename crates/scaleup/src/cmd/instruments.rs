//! `scaleup instruments`: list, show, score and validate instrument definitions.
//!
//! The built-in catalogue comes from `scaleup_domain::catalog`; `--definitions DIR` adds a hub's
//! own files on top. This module only reads files, calls the domain crate and prints.

use crate::cmd::Format;
use anyhow::{Context, Result, bail};
use scaleup_domain::catalog::{Catalog, DefinitionKind, Origin, detect_kind};
use scaleup_domain::competency::CompetencyFramework;
use scaleup_domain::instrument::{
    Instrument, ItemTexts, ResponseScale, Responses, Score, ScoreError, ScoreOptions, Sex,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Arguments for `scaleup instruments`.
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
    /// List the instruments in the catalogue.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show one instrument: items, scoring, bands, cut-offs, risk rules and licence.
    Show {
        /// Instrument code, e.g. phq9.
        code: String,
        /// Show item texts from a hub's item-text file in this language (e.g. en, sn).
        #[arg(long)]
        language: Option<String>,
        /// Definition version (default: the most recently added).
        #[arg(long = "definition-version", value_name = "VERSION")]
        definition_version: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Score one set of responses.
    Score {
        /// Instrument code, e.g. phq9.
        code: String,
        /// Responses as ITEM=CODE pairs, e.g. '1=2,2=1,3=' (empty code = unanswered).
        #[arg(
            long,
            conflicts_with = "responses_file",
            required_unless_present = "responses_file"
        )]
        responses: Option<String>,
        /// JSON file with an object mapping item id to code or null.
        #[arg(long, value_name = "FILE")]
        responses_file: Option<PathBuf>,
        /// Definition version (default: the most recently added).
        #[arg(long = "definition-version", value_name = "VERSION")]
        definition_version: Option<String>,
        /// Coding convention for the total (e.g. 0-4 for WHODAS).
        #[arg(long)]
        coding: Option<String>,
        /// Cut-off id used for the positive/negative result.
        #[arg(long)]
        cutoff: Option<String>,
        /// Programme override of a cut-off's threshold, e.g. fb_rct_ge9=8 (repeatable).
        #[arg(long = "threshold", value_name = "CUTOFF=VALUE")]
        thresholds: Vec<String>,
        /// Respondent's sex for sex-specific cut-offs (AUDIT-C).
        #[arg(long, value_parser = ["male", "female"])]
        sex: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Validate hub definition files (instruments, protocols, competency frameworks).
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
        Command::Show {
            code,
            language,
            definition_version,
            format,
        } => {
            if catalog.instrument(&code).is_none()
                && let Some(framework) = catalog.competency_framework(&code)
            {
                return show_framework(framework, format);
            }
            let inst = find(&catalog, &code, definition_version.as_deref())?;
            let texts = match &language {
                None => None,
                Some(lang) => Some(
                    catalog
                        .item_texts(inst.code(), inst.version(), lang)
                        .with_context(|| {
                            format!(
                                "no item texts for {} version {} in language {lang}",
                                inst.code(),
                                inst.version()
                            )
                        })?,
                ),
            };
            show(inst, texts, format)
        }
        Command::Score {
            code,
            responses,
            responses_file,
            definition_version,
            coding,
            cutoff,
            thresholds,
            sex,
            format,
        } => {
            let responses = match (responses, responses_file) {
                (Some(text), None) => Responses::parse_pairs(&text).context("--responses")?,
                (None, Some(path)) => read_responses(&path)?,
                _ => bail!("give exactly one of --responses or --responses-file"),
            };
            if catalog.instrument(&code).is_none()
                && let Some(framework) = catalog.competency_framework(&code)
            {
                return assess(framework, &responses, format);
            }
            let inst = find(&catalog, &code, definition_version.as_deref())?;
            let mut overrides = BTreeMap::new();
            for t in &thresholds {
                let parsed = t.split_once('=').and_then(|(id, v)| {
                    Some((id.trim().to_string(), v.trim().parse::<f64>().ok()?))
                });
                let Some((id, value)) = parsed else {
                    bail!("--threshold: expected CUTOFF=NUMBER");
                };
                overrides.insert(id, value);
            }
            let options = ScoreOptions {
                coding,
                cutoff,
                thresholds: overrides,
                sex: sex.map(|s| if s == "male" { Sex::Male } else { Sex::Female }),
            };
            match inst.score_with(&responses, &options) {
                Ok(score) => print_score(inst, &score, format),
                Err(err) => {
                    // A missing total must not hide a red flag: print the flags, then fail.
                    if let ScoreError::TooManyMissing { risk_flags, .. } = &err {
                        for f in risk_flags {
                            let level = serde_json::to_value(f.escalation)?;
                            println!(
                                "RISK FLAG {} [{}]: {}",
                                f.rule,
                                level.as_str().unwrap_or_default(),
                                f.message
                            );
                        }
                    }
                    Err(anyhow::Error::from(err)).context(format!("scoring {}", inst.code()))
                }
            }
        }
        Command::Validate { files } => validate(catalog, &files),
    }
}

/// The built-in catalogue plus every `*.toml` file of `dir`. Instruments and competency
/// frameworks are loaded before protocols so that protocols may reference hub instruments.
pub fn load_catalog(dir: Option<&Path>) -> Result<Catalog> {
    let mut catalog = Catalog::builtin();
    if let Some(dir) = dir {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir)
            .with_context(|| format!("reading definitions folder {}", dir.display()))?
        {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
        files.sort();
        add_files(&mut catalog, &files, |_, result| result.map(|_| ()))?;
    }
    Ok(catalog)
}

/// Adds files in dependency order (instruments and frameworks, then protocols and item texts,
/// which reference instruments), calling `report` with each outcome.
pub(crate) fn add_files(
    catalog: &mut Catalog,
    files: &[PathBuf],
    mut report: impl FnMut(&Path, Result<String>) -> Result<()>,
) -> Result<()> {
    let mut loaded = Vec::new();
    for path in files {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.display().to_string();
        let rank = match detect_kind(&name, &text) {
            Ok(DefinitionKind::Protocol | DefinitionKind::ItemTexts) => 1,
            _ => 0,
        };
        loaded.push((rank, path.clone(), name, text));
    }
    loaded.sort_by_key(|(rank, ..)| *rank);
    for (_, path, name, text) in loaded {
        let outcome = catalog
            .add_file(&name, &text)
            .map(|a| format!("{:?} {} version {}", a.kind, a.code, a.version).to_lowercase())
            .map_err(anyhow::Error::from);
        report(&path, outcome)?;
    }
    Ok(())
}

fn validate(mut catalog: Catalog, files: &[PathBuf]) -> Result<()> {
    let mut failures = 0;
    add_files(&mut catalog, files, |path, outcome| {
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

fn find<'a>(catalog: &'a Catalog, code: &str, version: Option<&str>) -> Result<&'a Instrument> {
    let found = match version {
        Some(v) => catalog.instrument_version(code, v),
        None => catalog.instrument(code),
    };
    found.with_context(|| {
        format!("no instrument {code} in the catalogue (see `scaleup instruments list`)")
    })
}

fn read_responses(path: &Path) -> Result<Responses> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    // serde_json's messages can quote the offending value; report only the position.
    serde_json::from_str::<Responses>(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}: expected a JSON object mapping item ids to integer codes or null",
            path.display(),
            e.line()
        )
    })
}

fn origin_label(o: &Origin) -> String {
    match o {
        Origin::Builtin => "builtin".into(),
        Origin::Hub(f) => format!("hub:{f}"),
    }
}

fn list(catalog: &Catalog, format: Format) -> Result<()> {
    match format {
        Format::Json => {
            let rows: Vec<_> = catalog
                .instruments()
                .map(|(o, i)| {
                    let d = i.def();
                    serde_json::json!({
                        "kind": "instrument",
                        "code": d.code,
                        "version": d.version,
                        "name": d.name,
                        "short_name": d.short_name,
                        "items": d.items.len(),
                        "licence": d.licence.status,
                        "origin": origin_label(o),
                    })
                })
                .chain(catalog.competency_frameworks().map(|(o, f)| {
                    let d = f.def();
                    serde_json::json!({
                        "kind": "competency_framework",
                        "code": d.code,
                        "version": d.version,
                        "name": d.name,
                        "items": d.competencies.len(),
                        "licence": d.licence.status,
                        "origin": origin_label(o),
                    })
                }))
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
        Format::Text => {
            println!(
                "{:<10} {:<8} {:<16} {:>5}  {:<19} ORIGIN",
                "CODE", "VERSION", "SHORT NAME", "ITEMS", "LICENCE"
            );
            for (o, i) in catalog.instruments() {
                let d = i.def();
                println!(
                    "{:<10} {:<8} {:<16} {:>5}  {:<19} {}",
                    d.code,
                    d.version,
                    d.short_name.as_deref().unwrap_or(&d.name),
                    d.items.len(),
                    serde_json::to_value(d.licence.status)?
                        .as_str()
                        .unwrap_or_default(),
                    origin_label(o)
                );
            }
            for (o, f) in catalog.competency_frameworks() {
                let d = f.def();
                println!(
                    "{:<10} {:<8} {:<16} {:>5}  {:<19} {} (competency framework)",
                    d.code,
                    d.version,
                    "ENACT/EQUIP",
                    d.competencies.len(),
                    serde_json::to_value(d.licence.status)?
                        .as_str()
                        .unwrap_or_default(),
                    origin_label(o)
                );
            }
        }
        Format::Html => bail!("--format html is not supported by `instruments list`"),
    }
    Ok(())
}

fn show(inst: &Instrument, texts: Option<&ItemTexts>, format: Format) -> Result<()> {
    let d = inst.def();
    match format {
        Format::Json => {
            let mut v = serde_json::to_value(d)?;
            if let Some(t) = texts {
                // Merge the hub's wording into the items; option labels stay with the scales.
                v["item_texts"] = serde_json::to_value(t.def())?;
                if let Some(items) = v["items"].as_array_mut() {
                    for item in items {
                        let id = item["id"].as_str().unwrap_or_default().to_string();
                        if let Some(text) = t.text(&id) {
                            item["text"] = serde_json::Value::from(text);
                        }
                    }
                }
            }
            println!("{}", serde_json::to_string_pretty(&v)?);
            return Ok(());
        }
        Format::Html => bail!("--format html is not supported by `instruments show`"),
        Format::Text => {}
    }
    let status = serde_json::to_value(d.licence.status)?;
    println!("{} ({}) version {}", d.name, d.code, d.version);
    if let Some(c) = &d.construct {
        println!("Construct: {c}");
    }
    println!("Recall window: {}", d.recall_window);
    println!(
        "Licence: {} - {} [{}]",
        status.as_str().unwrap_or_default(),
        d.licence.text,
        d.licence.source
    );
    match texts {
        Some(t) => println!(
            "Item texts: language {} from {}{}",
            t.language(),
            t.def().source,
            t.def()
                .permission_note
                .as_ref()
                .map(|p| format!(" (permission: {p})"))
                .unwrap_or_default()
        ),
        None if !d.licence.status.allows_item_text() => {
            println!("  Item texts are not shipped under this licence; labels only.")
        }
        None => {}
    }
    println!("Citations:");
    for c in &d.citations {
        match &c.url {
            Some(u) => println!("  - {} <{u}>", c.text),
            None => println!("  - {}", c.text),
        }
    }
    if let Some(l) = &d.loinc {
        println!(
            "LOINC: panel {} total {} ({})",
            l.panel.as_deref().unwrap_or("-"),
            l.total.as_deref().unwrap_or("-"),
            serde_json::to_value(l.status)?.as_str().unwrap_or_default()
        );
    }
    println!("Items:");
    for item in &d.items {
        let wording = texts
            .and_then(|t| t.text(&item.id))
            .or(item.text.as_deref())
            .or(item.label.as_deref())
            .unwrap_or_default();
        let mut flags = Vec::new();
        if item.reverse_keyed {
            flags.push("reverse-keyed");
        }
        if !item.scored {
            flags.push("not scored");
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", flags.join(", "))
        };
        println!("  {:>3}. {wording}{flags}", item.id);
        match inst.response_scale(&item.id) {
            Some(ResponseScale::Options(opts)) => {
                let o: Vec<String> = opts
                    .iter()
                    .enumerate()
                    .map(|(k, o)| {
                        let label = texts
                            .and_then(|t| t.option_label(&item.id, k))
                            .unwrap_or(&o.label);
                        format!("{}={label}", o.code)
                    })
                    .collect();
                println!("       {}", o.join("; "));
            }
            Some(ResponseScale::Range(r)) => println!("       {}..{}", r.min, r.max),
            None => {}
        }
    }
    let s = &d.scoring;
    println!(
        "Scoring: {} of scored items, range {}..{}, at most {} missing",
        serde_json::to_value(s.method)?.as_str().unwrap_or_default(),
        s.range[0],
        s.range[1],
        s.max_missing
    );
    for c in &s.codings {
        println!(
            "  coding {}: item offset {}{}",
            c.id,
            c.item_offset,
            if c.default { " (default)" } else { "" }
        );
    }
    for sub in &d.subscales {
        println!(
            "  subscale {} ({}): items {}",
            sub.id,
            sub.label,
            sub.items.join(", ")
        );
    }
    for set in &d.band_sets {
        println!("Bands {} ({}; {}):", set.id, set.label, set.source);
        for b in &set.bands {
            println!("  {:>5}..{:<5} {}", b.min, b.max, b.label);
        }
    }
    if !d.cutoffs.is_empty() {
        println!("Cut-offs:");
        for c in &d.cutoffs {
            let default = if d.default_cutoff.as_deref() == Some(c.id.as_str()) {
                " (default)"
            } else {
                ""
            };
            let coding = c
                .coding
                .as_ref()
                .map(|k| format!(" [coding {k}]"))
                .unwrap_or_default();
            let sex = c
                .sex
                .map(|s| {
                    format!(
                        " [{}]",
                        serde_json::to_value(s)
                            .ok()
                            .and_then(|v| v.as_str().map(String::from))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            println!(
                "  {}{default}: total {} {}{coding}{sex} - {}",
                c.id,
                c.comparison.symbol(),
                c.threshold,
                c.label
            );
            println!(
                "      source: {}; population: {}; language: {}; {}",
                c.source,
                c.population,
                c.language,
                serde_json::to_value(c.verification)?
                    .as_str()
                    .unwrap_or_default()
            );
        }
    }
    if !d.risk_rules.is_empty() {
        println!("Risk rules (raised regardless of the total):");
        for r in &d.risk_rules {
            println!(
                "  {} [{}]: {}",
                r.id,
                serde_json::to_value(r.escalation)?
                    .as_str()
                    .unwrap_or_default(),
                r.message
            );
            println!(
                "      when: {}; source: {}",
                serde_json::to_string(&r.when)?,
                r.source
            );
        }
    }
    for r in &d.rules {
        println!("Rule {}: {} (source: {})", r.id, r.label, r.source);
    }
    for n in &d.notes {
        println!("Note: {n}");
    }
    Ok(())
}

fn fmt_num(x: f64) -> String {
    scaleup_format::up_to(x, 2)
}

fn print_score(inst: &Instrument, s: &Score, format: Format) -> Result<()> {
    match format {
        Format::Json => {
            println!("{}", serde_json::to_string_pretty(s)?);
            return Ok(());
        }
        Format::Html => bail!("--format html is not supported by `instruments score`"),
        Format::Text => {}
    }
    let coding = s
        .coding
        .as_ref()
        .map(|c| format!(" (coding {c})"))
        .unwrap_or_default();
    println!(
        "{} version {}: total {}{coding}, range {}..{}",
        inst.code(),
        s.version,
        fmt_num(s.total),
        fmt_num(s.range[0]),
        fmt_num(s.range[1])
    );
    for t in &s.totals_by_coding {
        println!("  total under coding {}: {}", t.coding, fmt_num(t.total));
    }
    println!(
        "Answered {}, missing {}{}",
        s.answered,
        s.missing,
        if s.prorated { " (prorated)" } else { "" }
    );
    for sub in &s.subscales {
        println!(
            "Subscale {}: {}",
            sub.id,
            sub.value.map_or("not scorable".into(), fmt_num)
        );
    }
    for b in &s.bands {
        println!("Band ({}): {}", b.band_set, b.label);
    }
    for c in &s.cutoffs {
        let result = match c.positive {
            Some(true) => "positive",
            Some(false) => "negative",
            None => "not applicable",
        };
        let selected = if s.selected_cutoff.as_deref() == Some(c.id.as_str()) {
            " (selected)"
        } else {
            ""
        };
        let overridden = if c.overridden {
            " (programme override)"
        } else {
            ""
        };
        println!(
            "Cut-off {}{selected}: {} {}{overridden} -> {result}",
            c.id,
            c.comparison.symbol(),
            fmt_num(c.threshold)
        );
    }
    for r in &s.rules {
        let met = match r.met {
            Some(true) => "met",
            Some(false) => "not met",
            None => "undecided",
        };
        println!("Rule {}: {met}", r.id);
    }
    if s.risk_flags.is_empty() {
        println!("Risk flags: none");
    }
    for f in &s.risk_flags {
        println!(
            "RISK FLAG {} [{}]: {}",
            f.rule,
            serde_json::to_value(f.escalation)?
                .as_str()
                .unwrap_or_default(),
            f.message
        );
    }
    if !s.unanswered_risk_items.is_empty() {
        println!(
            "Unanswered risk items: {}",
            s.unanswered_risk_items.join(", ")
        );
    }
    Ok(())
}

fn show_framework(f: &CompetencyFramework, format: Format) -> Result<()> {
    let d = f.def();
    match format {
        Format::Json => {
            println!("{}", serde_json::to_string_pretty(d)?);
            return Ok(());
        }
        Format::Html => bail!("--format html is not supported by `instruments show`"),
        Format::Text => {}
    }
    println!("{} ({}) version {}", d.name, d.code, d.version);
    println!(
        "Licence: {} - {} [{}]",
        serde_json::to_value(d.licence.status)?
            .as_str()
            .unwrap_or_default(),
        d.licence.text,
        d.licence.source
    );
    println!("Citations:");
    for c in &d.citations {
        println!("  - {}", c.text);
    }
    println!("Levels (per competency):");
    for l in &d.levels {
        let flag = if l.safety_flag {
            " [supervision safety flag]"
        } else {
            ""
        };
        println!("  {}: {}{flag}", l.level, l.label);
    }
    println!("Competent at level {} or above.", d.competent_level);
    println!("Competencies:");
    for c in &d.competencies {
        println!("  {:>3}. {}", c.id, c.name);
    }
    for n in &d.notes {
        println!("Note: {n}");
    }
    Ok(())
}

/// Competency ratings use the same `ITEM=CODE` syntax: competency id = level.
fn assess(f: &CompetencyFramework, ratings: &Responses, format: Format) -> Result<()> {
    let mut levels = BTreeMap::new();
    for (id, level) in ratings.iter() {
        let Some(level) = level else { continue };
        let level = u8::try_from(level).map_err(|_| {
            let allowed: Vec<String> = f.def().levels.iter().map(|l| l.level.to_string()).collect();
            anyhow::anyhow!(
                "competency {id}: level is not one of the framework's levels: {}",
                allowed.join(", ")
            )
        })?;
        levels.insert(id.to_string(), level);
    }
    let a = f
        .assess(&levels)
        .with_context(|| format!("assessing {}", f.code()))?;
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&a)?),
        Format::Html => bail!("--format html is not supported by `instruments score`"),
        Format::Text => {
            println!(
                "{} version {}: {} competencies rated",
                a.framework,
                a.version,
                a.levels.len()
            );
            for (id, level) in &a.levels {
                println!("  {id}: level {level}");
            }
            if !a.unrated.is_empty() {
                println!("Unrated: {}", a.unrated.join(", "));
            }
            match a.all_competent {
                Some(true) => println!("All competencies at the competent level."),
                Some(false) => println!("Not all competencies at the competent level."),
                None => {}
            }
            if a.safety_flag {
                println!(
                    "SAFETY FLAG: harmful or unhelpful behaviour observed in competencies {}",
                    a.safety_flag_competencies.join(", ")
                );
            }
        }
    }
    Ok(())
}
