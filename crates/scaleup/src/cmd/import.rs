//! `scaleup import`: data and definitions from other systems.
//!
//! - `xlsform` and `redcap-dictionary` turn a form into instrument definition files (TOML),
//!   written for review and then `scaleup definitions add`; nothing touches the database.
//! - `odk` (ODK Central and KoboToolbox submission CSVs, or Central's export zip as downloaded),
//!   `redcap` (the flat record export) and `dhis2-tracker` (a `/api/tracker` payload) turn rows
//!   into records through a mapping file and push them through the sync path (`Store::import_records` → `Store::push`) as the
//!   account named by `--as` and the device `import:<source>`: the same validation, scoring,
//!   alerts and audit as a phone's records. Rows are read one at a time and pushed in batches,
//!   so memory does not grow with the file.
//!
//! The readers and the mapping are pure (scaleup-interop `import`); this module opens files,
//! resolves the codes a mapping names (programmes, facilities, usernames) in the store, pushes
//! and reports. Reports name file, row and column, never a value.

use super::config::{DbArgs, block_on};
use anyhow::{Context, bail};
use scaleup_domain::instrument::{LicenceStatus, Method};
use scaleup_interop::import::central::{self, CentralZip};
use scaleup_interop::import::form::{Form, InstrumentOptions};
use scaleup_interop::import::kobo::{self, KoboWorkbook};
use scaleup_interop::import::mapping::{Join, Mapping, Pass, Source, Tables, read_export};
use scaleup_interop::import::table::{RowSource, Table};
use scaleup_interop::import::{ImportError, Location, Targets, Unit, dhis2, redcap, xlsform};
use scaleup_storage::{Actor, Store};
use scaleup_web::imports::{DEFAULT_BATCH, DEFAULT_MAX_UPLOAD, Importer, Summary, resolve_targets};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Arguments for `scaleup import`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ImportCommand,
}

#[derive(clap::Subcommand)]
pub enum ImportCommand {
    /// An XLSForm (.xlsx) as instrument definition files (and item texts per language).
    Xlsform(FormArgs),
    /// A REDCap data dictionary (18-column CSV) as instrument definition files, one per form.
    RedcapDictionary(FormArgs),
    /// An ODK Central or KoboToolbox submission CSV, or ODK Central's export zip as downloaded,
    /// through a mapping file.
    Odk(RecordArgs),
    /// A KoboToolbox export through a mapping file whose source is "kobo": its XLSX export
    /// (repeat groups read from their sheets) or its CSV.
    Kobo(RecordArgs),
    /// A REDCap flat record export (CSV), through a mapping file.
    Redcap(RecordArgs),
    /// A DHIS2 Tracker payload (JSON), through the tracker export's mapping file.
    Dhis2Tracker(TrackerArgs),
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        ImportCommand::Xlsform(a) => forms(a, true),
        ImportCommand::RedcapDictionary(a) => forms(a, false),
        ImportCommand::Odk(a) => tabular(a, &["odk", "kobo"]),
        ImportCommand::Kobo(a) => tabular(a, &["kobo"]),
        ImportCommand::Redcap(a) => tabular(a, &["redcap"]),
        ImportCommand::Dhis2Tracker(a) => tracker(a),
    }
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum LicenceArg {
    Open,
    Attribution,
    PermissionRequired,
    Unknown,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ScoringArg {
    Sum,
    Mean,
    ProratedSum,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Sentences for a person.
    #[default]
    Text,
    /// One JSON object on standard output.
    Json,
}

#[derive(clap::Args)]
pub struct FormArgs {
    /// The form file.
    pub file: PathBuf,
    /// Folder to write the definition files into (created if missing; existing files are not
    /// replaced).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Instrument code (default: the form id; REDCap: the form name).
    #[arg(long)]
    pub code: Option<String>,
    /// REDCap: only this form (instrument) of the dictionary.
    #[arg(long)]
    pub form: Option<String>,
    /// The instrument's licence: item and option wording is carried only when open or
    /// attribution-only.
    #[arg(long, value_enum, default_value = "unknown")]
    pub licence: LicenceArg,
    /// How the total is computed.
    #[arg(long, value_enum, default_value = "sum")]
    pub scoring: ScoringArg,
    /// Questions to leave out by name (comma-separated), e.g. a date beside the items.
    #[arg(long, value_delimiter = ',')]
    pub leave_out: Vec<String>,
    /// Read and check only: write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// `json` prints the form as read (questions, types, choices, required, relevant,
    /// constraint) instead of writing files.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
}

fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string())
}

fn report(errors: &[ImportError]) -> anyhow::Error {
    let lines: Vec<String> = errors.iter().take(200).map(|e| format!("  {e}")).collect();
    let more = if errors.len() > 200 {
        format!("\n  ... and {} more", errors.len() - 200)
    } else {
        String::new()
    };
    anyhow::anyhow!("the file cannot be imported:\n{}{more}", lines.join("\n"))
}

/// The form as read, for scripts (scripts/compare-pyxform.py reads this).
fn form_json(f: &Form) -> serde_json::Value {
    serde_json::json!({
        "id": f.id,
        "title": f.title,
        "version": f.version,
        "default_language": f.default_language,
        "languages": f.languages,
        "questions": f.questions.iter().map(|q| serde_json::json!({
            "name": q.name,
            "type": q.kind.as_str(),
            "list": q.list,
            "labels": q.labels,
            "required": q.required,
            "relevant": q.relevant.as_ref().map(|e| e.value.to_string()),
            "constraint": q.constraint.as_ref().map(|e| e.value.to_string()),
        })).collect::<Vec<_>>(),
        "choices": f.choices.iter().map(|(list, cs)| (list.clone(), serde_json::Value::Array(cs.iter().map(|c| serde_json::json!({
            "name": c.name, "labels": c.labels,
        })).collect()))).collect::<serde_json::Map<String, serde_json::Value>>(),
        "left_out": f.left_out,
    })
}

fn forms(a: FormArgs, xls: bool) -> anyhow::Result<()> {
    let label = file_label(&a.file);
    let forms: Vec<Form> = if xls {
        let file = std::fs::File::open(&a.file)
            .with_context(|| format!("opening {}", a.file.display()))?;
        vec![xlsform::read(&label, std::io::BufReader::new(file)).map_err(|e| report(&e))?]
    } else {
        let file = std::fs::File::open(&a.file)
            .with_context(|| format!("opening {}", a.file.display()))?;
        let all = redcap::read_dictionary(&label, file).map_err(|e| report(&e))?;
        match &a.form {
            Some(name) => {
                let one: Vec<Form> = all
                    .into_iter()
                    .filter(|f| f.id.as_deref() == Some(name.as_str()))
                    .collect();
                if one.is_empty() {
                    bail!("--form: the dictionary has no form of this name");
                }
                one
            }
            None => all,
        }
    };
    if a.format == OutputFormat::Json {
        let out: Vec<serde_json::Value> = forms.iter().map(form_json).collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let options = InstrumentOptions {
        code: a.code.clone(),
        licence: match a.licence {
            LicenceArg::Open => LicenceStatus::Open,
            LicenceArg::Attribution => LicenceStatus::Attribution,
            LicenceArg::PermissionRequired => LicenceStatus::PermissionRequired,
            LicenceArg::Unknown => LicenceStatus::Unknown,
        },
        method: match a.scoring {
            ScoringArg::Sum => Method::Sum,
            ScoringArg::Mean => Method::Mean,
            ScoringArg::ProratedSum => Method::ProratedSum,
        },
        leave_out: a.leave_out.iter().cloned().collect(),
    };
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for f in &forms {
        match f.to_instrument(&options) {
            Ok(x) => files.push(x),
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return Err(report(&errors));
    }
    let Some(out) = &a.out else {
        if a.dry_run {
            for x in &files {
                println!(
                    "{}: would write {}.toml and {} item-text file(s)",
                    label,
                    x.code,
                    x.item_texts.len()
                );
            }
            return Ok(());
        }
        bail!("--out: name the folder to write the definition files into (or use --dry-run)");
    };
    let mut planned = Vec::new();
    for x in &files {
        planned.push((out.join(format!("{}.toml", x.code)), x.instrument.clone()));
        for (lang, text) in &x.item_texts {
            planned.push((out.join(format!("{}.{lang}.toml", x.code)), text.clone()));
        }
    }
    for (path, _) in &planned {
        if path.exists() {
            bail!("{} exists; nothing was written", path.display());
        }
    }
    if !a.dry_run {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        for (path, text) in &planned {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    for (path, _) in &planned {
        println!(
            "{} {}",
            if a.dry_run { "would write" } else { "wrote" },
            path.display()
        );
    }
    for x in &files {
        for n in &x.notes {
            eprintln!("note: {n}");
        }
    }
    Ok(())
}

/// Options shared by every record import.
#[derive(clap::Args)]
pub struct PushArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The mapping file (TOML).
    #[arg(long)]
    pub mapping: PathBuf,
    /// The account the records are written as (a counsellor, or a supervisor for clients of
    /// the counsellors they supervise): its permissions and caseload apply, and the audit log
    /// names it.
    #[arg(long = "as", value_name = "USERNAME")]
    pub as_user: String,
    /// Read, map and check every row and report; write nothing. (The server's own rules —
    /// scores, protocol checks — run only on a real import.)
    #[arg(long)]
    pub dry_run: bool,
    /// Records per push.
    #[arg(long, default_value_t = DEFAULT_BATCH)]
    pub batch: usize,
    /// The as-of date bounding dates in the file (YYYY-MM-DD; default: today, UTC).
    #[arg(long)]
    pub today: Option<String>,
    /// `json` prints the summary as one JSON object.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
}

#[derive(clap::Args)]
pub struct RecordArgs {
    /// The export (CSV, UTF-8). ODK: or Central's "all submissions" zip as downloaded, which
    /// holds the submissions' CSV and each repeat group's; KoboToolbox: or its XLSX export ("XML
    /// values and headers"), which holds each repeat group on a sheet. Both are known by their
    /// bytes, whatever their name.
    pub file: PathBuf,
    /// ODK Central: the CSV of a repeat group from the same export zip (`<form>-<group>.csv`),
    /// for the mapping's `[[repeats]]` group of that name; repeat once per group. Its rows are
    /// joined to their submissions by PARENT_KEY and imported after the main file. Not with the
    /// zip itself, which carries them.
    #[arg(long = "repeat", value_name = "GROUP=FILE")]
    pub repeats: Vec<String>,
    #[command(flatten)]
    pub push: PushArgs,
}

#[derive(clap::Args)]
pub struct TrackerArgs {
    /// The payload (JSON).
    pub file: PathBuf,
    /// The programme the tracked entities are clients of (code).
    #[arg(long, alias = "program", value_name = "CODE")]
    pub programme: String,
    #[command(flatten)]
    pub push: PushArgs,
}

fn today(text: &Option<String>) -> anyhow::Result<scaleup_domain::date::Date> {
    let t = match text {
        Some(t) => t.clone(),
        None => now_rfc3339()[..10].to_string(),
    };
    scaleup_domain::date::Date::parse(&t, "today")
        .map_err(|_| anyhow::anyhow!("--today: must be a date in YYYY-MM-DD form"))
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let d = scaleup_domain::date::Date::parse("1970-01-01", "epoch")
        .map(|e| e.add_days(days))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| "1970-01-01".into());
    format!(
        "{d}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Counts bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    bar: indicatif::ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// Opens the store and resolves the acting account and the codes a mapping may name.
async fn prepare(push: &PushArgs, usernames: &[String]) -> anyhow::Result<(Store, Actor, Targets)> {
    let store = push.db.open(false).await?;
    let user = store
        .user_by_username(&push.as_user)
        .await?
        .filter(|u| u.active)
        .context("--as: no active account with this username")?;
    let actor = store.actor_for(&user).await?;
    let mut names: Vec<String> = usernames.to_vec();
    names.push(push.as_user.clone());
    let targets = resolve_targets(&store, &actor, &names).await?;
    Ok((store, actor, targets))
}

/// Prints the problems found so far (at most `MAX_PROBLEMS` in all; the rest are counted).
fn print_problems(importer: &mut Importer<'_>) {
    for line in importer.take_problems() {
        eprintln!("{line}");
    }
}

fn print_summary(
    s: &Summary,
    total_problems: u64,
    format: OutputFormat,
    dry_run: bool,
) -> anyhow::Result<()> {
    if total_problems > scaleup_web::imports::MAX_PROBLEMS as u64 {
        eprintln!(
            "({} problems in all; the first {} are listed)",
            total_problems,
            scaleup_web::imports::MAX_PROBLEMS
        );
    }
    if format == OutputFormat::Json {
        println!("{}", serde_json::to_string(s)?);
    } else if dry_run {
        println!(
            "dry run: {} rows read, {} refused; {} records would be created, {} exist already (updated or unchanged); nothing was written",
            s.rows, s.rows_refused, s.would_create, s.would_replace
        );
    } else {
        println!(
            "{} rows read, {} refused; records: {} created, {} updated, {} unchanged, {} rejected, {} conflicts",
            s.rows, s.rows_refused, s.created, s.updated, s.unchanged, s.rejected, s.conflicts
        );
    }
    Ok(())
}

fn tabular(a: RecordArgs, sources: &[&str]) -> anyhow::Result<()> {
    let label = file_label(&a.file);
    let mapping_text = std::fs::read_to_string(&a.push.mapping)
        .with_context(|| format!("reading {}", a.push.mapping.display()))?;
    let mapping = Mapping::from_toml(&file_label(&a.push.mapping), &mapping_text)
        .map_err(|e| report(&[e]))?;
    if !sources.contains(&mapping.source.as_str()) {
        bail!(
            "{}: source = \"{}\" is not read by this command (use one of: {})",
            a.push.mapping.display(),
            mapping.source.as_str(),
            sources.join(", ")
        );
    }
    if starts_as_zip(&a.file)? {
        // A zip is KoboToolbox's workbook or ODK Central's export: the mapping's source says
        // which, and each reader refuses the other's by its entries.
        if mapping.source == Source::Kobo {
            if !a.repeats.is_empty() {
                bail!(
                    "--repeat: {label} is KoboToolbox's XLSX export, which holds its repeat groups as sheets; give the workbook alone"
                );
            }
            return kobo_workbook(a, mapping);
        }
        if mapping.source != Source::Odk {
            bail!(
                "{label} is a zip: scaleup reads a zip only as ODK Central's export (`scaleup import odk`, with a mapping whose source is \"odk\") or KoboToolbox's XLSX export (source \"kobo\"); unzip it and give the CSV"
            );
        }
        if !a.repeats.is_empty() {
            bail!(
                "--repeat: {label} is ODK Central's export zip, which carries its repeat groups' CSVs; give the zip alone"
            );
        }
        return central_zip(a, mapping);
    }
    if mapping.source == Source::Kobo && (!mapping.repeats.is_empty() || !a.repeats.is_empty()) {
        bail!(
            "{label}: KoboToolbox's CSV export cannot hold repeat groups: give its XLSX export (\"XML values and headers\") for a mapping with [[repeats]]"
        );
    }
    // Every repeat group of the mapping has its file, and every file its group.
    let mut repeats: Vec<(String, PathBuf)> = Vec::new();
    for r in &a.repeats {
        let Some((group, path)) = r.split_once('=') else {
            bail!("--repeat: give GROUP=FILE (the mapping's [[repeats]] group and its CSV)");
        };
        if !mapping.repeats.iter().any(|m| m.group == group) {
            bail!(
                "--repeat: the mapping has no [[repeats]] group of this name (it has: {})",
                mapping.repeat_group_names()
            );
        }
        if repeats.iter().any(|(g, _)| g == group) {
            bail!("--repeat: the group {group} is given twice: give each group its one CSV");
        }
        repeats.push((group.to_string(), PathBuf::from(path)));
    }
    if let Some(group) = mapping.repeat_without_file(|g| repeats.iter().any(|(r, _)| r == g)) {
        bail!(
            "{}: the mapping reads the repeat group {group}: give its CSV with --repeat {group}=FILE",
            a.push.mapping.display(),
        );
    }
    let len = std::fs::metadata(&a.file)
        .with_context(|| format!("opening {}", a.file.display()))?
        .len();
    // The main file's bytes are the progress; a group is read after the group it is nested in
    // (`read_export`), whatever the order of --repeat.
    push_from_reader(
        &a.push,
        &mapping,
        len,
        "bytes",
        |targets, today, now, bar, sink| {
            let mut files = CsvFiles {
                main: (label.clone(), a.file.clone()),
                repeats: repeats
                    .iter()
                    .map(|(g, path)| (g.clone(), file_label(path), path.clone()))
                    .collect(),
                bar,
            };
            read_export(&mut files, &mapping, targets, today, now, sink)
        },
    )
}

/// The CSVs of `import odk` given one by one (the main file and `--repeat GROUP=FILE`), each
/// opened again for each reading `read_export` asks for.
struct CsvFiles<'b> {
    main: (String, PathBuf),
    /// Group, the name reports give its file, its path.
    repeats: Vec<(String, String, PathBuf)>,
    bar: &'b indicatif::ProgressBar,
}

/// A CSV opened as a table, or why not (named as the file).
fn csv_table(
    label: &str,
    path: &Path,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<Box<dyn RowSource + 'static>, Vec<ImportError>> {
    let file = std::fs::File::open(path)
        .map_err(|_| vec![Location::file(label).error("the file could not be opened")])?;
    let input: Box<dyn Read> = match bar {
        Some(bar) => Box::new(Counting {
            inner: file,
            bar: bar.clone(),
        }),
        None => Box::new(file),
    };
    Ok(Box::new(Table::new(label, input).map_err(|e| vec![e])?))
}

impl Tables for CsvFiles<'_> {
    fn join(&self) -> Join {
        Join::Central
    }

    fn main(&mut self, pass: Pass) -> Result<Box<dyn RowSource + '_>, Vec<ImportError>> {
        let bar = (pass == Pass::Read).then_some(self.bar);
        csv_table(&self.main.0, &self.main.1, bar)
    }

    fn group(&mut self, group: &str, _: Pass) -> Result<Box<dyn RowSource + '_>, Vec<ImportError>> {
        match self.repeats.iter().find(|(g, _, _)| g == group) {
            Some((_, label, path)) => csv_table(label, path, None),
            None => Err(vec![Location::file(&self.main.0).error(format!(
                "the repeat group {group} has no CSV (--repeat {group}=FILE)"
            ))]),
        }
    }
}

/// Whether a file begins as a zip does (its bytes decide, not its name).
fn starts_as_zip(path: &Path) -> anyhow::Result<bool> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut head = Vec::with_capacity(4);
    file.take(4)
        .read_to_end(&mut head)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(central::is_zip(&head))
}

/// `import odk` of ODK Central's export zip: the submissions' CSV and the mapping's repeat
/// groups' are found and measured in the zip, then read from it entry by entry (nothing is
/// unpacked) and pushed as `tabular` pushes unzipped CSVs.
fn central_zip(a: RecordArgs, mapping: Mapping) -> anyhow::Result<()> {
    let label = file_label(&a.file);
    let file =
        std::fs::File::open(&a.file).with_context(|| format!("opening {}", a.file.display()))?;
    // The bound a server puts on an upload (decompressed), so a zip is held to the same limit
    // whichever way it comes in; a larger export can still be unzipped and its CSVs given with
    // --repeat.
    let mut zip = CentralZip::open(
        &label,
        std::io::BufReader::new(file),
        &mapping,
        DEFAULT_MAX_UPLOAD,
    )
    .map_err(|e| report(&[e]))?;
    let len = zip.unzipped_len();
    push_from_reader(
        &a.push,
        &mapping,
        len,
        "bytes",
        |targets, today, now, bar, sink| {
            zip.read(&mapping, targets, today, now, &mut |n| bar.inc(n), sink)
        },
    )
}

/// `import kobo` (or `odk`) of KoboToolbox's XLSX export: measured, its submissions' sheet and
/// the mapping's repeat groups' sheets read (a workbook is read whole, so one too large is
/// refused before reading), then pushed as `tabular` pushes a CSV's rows.
fn kobo_workbook(a: RecordArgs, mapping: Mapping) -> anyhow::Result<()> {
    let label = file_label(&a.file);
    let file =
        std::fs::File::open(&a.file).with_context(|| format!("opening {}", a.file.display()))?;
    let book = KoboWorkbook::open(
        &label,
        std::io::BufReader::new(file),
        &mapping,
        kobo::MAX_UNZIPPED,
    )
    .map_err(|e| report(&[e]))?;
    let rows = book.rows();
    push_from_reader(
        &a.push,
        &mapping,
        rows,
        "rows",
        |targets, today, now, bar, sink| {
            book.read(&mapping, targets, today, now, &mut |unit| {
                bar.inc(1);
                sink(unit)
            })
        },
    )
}

/// Runs a synchronous reader that hands units to a sink (Central's zip, Kobo's workbook) and
/// pushes them: each full batch is pushed on this runtime before the reader goes on, so memory
/// holds one batch beside what the reader holds.
fn push_from_reader(
    push: &PushArgs,
    mapping: &Mapping,
    len: u64,
    unit: &str,
    read: impl FnOnce(
        &Targets,
        scaleup_domain::date::Date,
        &str,
        &indicatif::ProgressBar,
        &mut dyn FnMut(Unit) -> bool,
    ) -> Result<(), Vec<ImportError>>,
) -> anyhow::Result<()> {
    let today = today(&push.today)?;
    let usernames: Vec<String> = mapping.users.values().cloned().collect();
    block_on(async move {
        let (store, actor, targets) = prepare(push, &usernames).await?;
        let bar = crate::progress::bar(len, unit);
        let now = now_rfc3339();
        let mut importer = Importer::new(
            &store,
            actor,
            mapping.source.as_str(),
            push.batch,
            push.dry_run,
        );
        let mut failure: Option<anyhow::Error> = None;
        let handle = tokio::runtime::Handle::current();
        let done =
            tokio::task::block_in_place(|| {
                read(&targets, today, &now, &bar, &mut |unit| match handle
                    .block_on(importer.unit(unit))
                {
                    Ok(()) => {
                        print_problems(&mut importer);
                        true
                    }
                    Err(e) => {
                        failure = Some(e.into());
                        false
                    }
                })
            });
        if let Some(e) = failure {
            return Err(e.context("pushing a batch"));
        }
        let (summary, rest, total) = importer.finish().await?;
        bar.finish_and_clear();
        for line in rest {
            eprintln!("{line}");
        }
        done.map_err(|e| report(&e))?;
        print_summary(&summary, total, push.format, push.dry_run)?;
        store.close().await;
        Ok(())
    })
}

fn tracker(a: TrackerArgs) -> anyhow::Result<()> {
    let label = file_label(&a.file);
    let mapping_text = std::fs::read_to_string(&a.push.mapping)
        .with_context(|| format!("reading {}", a.push.mapping.display()))?;
    let mapping = scaleup_interop::dhis2::Mapping::from_toml(&mapping_text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.push.mapping.display()))?;
    let today = today(&a.push.today)?;
    let len = std::fs::metadata(&a.file)
        .with_context(|| format!("opening {}", a.file.display()))?
        .len();
    block_on(async move {
        let (store, actor, targets) = prepare(&a.push, &[]).await?;
        let mut reader = dhis2::TrackerReader::new(
            &label,
            &mapping,
            &targets,
            &a.programme,
            today,
            &now_rfc3339(),
        )
        .map_err(|e| report(&[e]))?;
        let bar = crate::progress::bar(2 * len, "bytes");
        // The reader is synchronous and hands units to a sink: the sink pushes each full
        // batch on this runtime before the reader goes on, so memory holds one batch.
        let mut importer = Importer::new(&store, actor, "dhis2", a.push.batch, a.push.dry_run);
        let mut failure: Option<anyhow::Error> = None;
        let path = a.file.clone();
        let bar2 = bar.clone();
        let handle = tokio::runtime::Handle::current();
        let read = tokio::task::block_in_place(|| {
            reader.read(
                || {
                    std::fs::File::open(&path).map(|f| Counting {
                        inner: std::io::BufReader::new(f),
                        bar: bar2.clone(),
                    })
                },
                &mut |unit| {
                    if failure.is_some() {
                        return;
                    }
                    if let Err(e) = handle.block_on(importer.unit(unit)) {
                        failure = Some(e.into());
                    }
                    print_problems(&mut importer);
                },
            )
        });
        if let Some(e) = failure {
            return Err(e.context("pushing a batch"));
        }
        let (summary, rest, total) = importer.finish().await?;
        bar.finish_and_clear();
        for line in rest {
            eprintln!("{line}");
        }
        read.map_err(|e| report(&[e]))?;
        print_summary(&summary, total, a.push.format, a.push.dry_run)?;
        store.close().await;
        Ok(())
    })
}
