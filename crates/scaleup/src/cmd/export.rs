//! `scaleup export`: files that leave the hub. `dataset` writes a de-identified analysis dataset
//! with its dictionary and R and Stata scripts; `fhir` a FHIR R4 transaction Bundle; `nda` NIMH
//! Data Archive submission files with a validation report.
//!
//! The formats are pure functions in scaleup-interop; this module reads the programme from the
//! store (which audits the read, as `export.<kind>` with the options), calls them and writes the
//! files all at once: into a temporary folder beside the destination, renamed into place at the
//! end, so an interrupted or refused export leaves nothing half-written.

use super::config::{DbArgs, block_on};
use anyhow::{Context, bail};
use scaleup_domain::record::Occasion;
use scaleup_interop::dataset::{self, DatasetOptions, Unit};
use scaleup_interop::deid::Deidentification;
use scaleup_interop::source::StudySource;
use std::path::{Path, PathBuf};

/// Arguments for `scaleup export`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ExportCommand,
}

#[derive(clap::Subcommand)]
pub enum ExportCommand {
    /// A de-identified analysis dataset: CSV, data dictionary (CSV, JSON), R and Stata scripts.
    Dataset(DatasetArgs),
    /// A FHIR R4 transaction Bundle: Questionnaires, pseudonymous Patients, QuestionnaireResponses
    /// and total-score Observations.
    Fhir(FhirArgs),
    /// NIMH Data Archive submission CSVs (ndar_subject01 and each instrument's structure) with a
    /// validation report of what NDA would reject.
    Nda(NdaArgs),
    /// Indicators as a DHIS2 dataValueSets payload (docs/dhis2-export.md): written to a file,
    /// or sent to a DHIS2 server with a personal access token.
    Dhis2(super::export_dhis2::AggregateArgs),
    /// A DHIS2 Tracker payload for POST /api/tracker, through the hub's mapping file.
    Dhis2Tracker(Dhis2TrackerArgs),
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        ExportCommand::Dataset(a) => export_dataset(a),
        ExportCommand::Fhir(a) => export_fhir(a),
        ExportCommand::Nda(a) => export_nda(a),
        ExportCommand::Dhis2(a) => super::export_dhis2::run(a),
        ExportCommand::Dhis2Tracker(a) => export_dhis2(a),
    }
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum UnitArg {
    Episode,
    Assessment,
    Session,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum OccasionArg {
    Endpoint,
    /// The occasion code, as records and the HTTP parameter spell it.
    #[value(name = "follow_up")]
    FollowUp,
}

#[derive(clap::Args)]
pub struct DatasetArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Programme code.
    #[arg(long, alias = "program", value_name = "CODE")]
    pub programme: String,
    /// One row per episode (with baseline and follow-up scores), assessment or session.
    #[arg(long, value_enum, default_value = "episode")]
    pub unit: UnitArg,
    /// Folder to create for the files (must not exist, or be empty).
    #[arg(long)]
    pub out: PathBuf,
    /// Outcome instrument of an episode row (default: the design's, else phq9).
    #[arg(long)]
    pub instrument: Option<String>,
    /// Occasion of the follow-up score of an episode row.
    #[arg(long, value_enum, default_value = "follow_up")]
    pub follow_up: OccasionArg,
    /// Exact ages in years instead of age bands.
    #[arg(long)]
    pub exact_ages: bool,
    /// Keep true dates (no per-client date shifting).
    #[arg(long)]
    pub no_date_shift: bool,
    /// Keep free-text variables.
    #[arg(long)]
    pub keep_free_text: bool,
    /// Keep the facility (and the cluster labels) instead of coarsening to district.
    #[arg(long)]
    pub keep_facility: bool,
    /// Every combination of the quasi-identifiers must be shared by at least k clients
    /// (1 turns the check off).
    #[arg(long, default_value_t = scaleup_interop::deid::DEFAULT_K)]
    pub k: usize,
    /// Quasi-identifiers checked for k-anonymity (comma-separated variable names; default sex,
    /// age_band or age, district, and facility when kept).
    #[arg(long, value_delimiter = ',')]
    pub quasi_identifiers: Option<Vec<String>>,
}

impl DatasetArgs {
    pub fn options(&self) -> DatasetOptions {
        DatasetOptions {
            unit: match self.unit {
                UnitArg::Episode => Unit::Episode,
                UnitArg::Assessment => Unit::Assessment,
                UnitArg::Session => Unit::Session,
            },
            instrument: self.instrument.clone(),
            follow_up: match self.follow_up {
                OccasionArg::Endpoint => Occasion::Endpoint,
                OccasionArg::FollowUp => Occasion::FollowUp,
            },
            deid: Deidentification {
                age_bands: !self.exact_ages,
                shift_dates: !self.no_date_shift,
                drop_free_text: !self.keep_free_text,
                coarsen_facility: !self.keep_facility,
                k: self.k,
                quasi_identifiers: self.quasi_identifiers.clone(),
            },
        }
    }
}

/// What the audit row of an export says about its options (no identifiers).
pub fn dataset_audit_detail(o: &DatasetOptions) -> serde_json::Value {
    serde_json::json!({
        "unit": o.unit.as_str(),
        "instrument": o.instrument,
        "age_bands": o.deid.age_bands,
        "date_shifting": o.deid.shift_dates,
        "free_text_dropped": o.deid.drop_free_text,
        "facility_coarsened": o.deid.coarsen_facility,
        "k": o.deid.k,
        "quasi_identifiers": o.deid.quasi_identifiers,
        "by": operator(),
    })
}

/// Who ran the command, for the audit log: the operating-system account.
fn operator() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

#[derive(clap::Args)]
pub struct FhirArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Programme code.
    #[arg(long, alias = "program", value_name = "CODE")]
    pub programme: String,
    /// The Bundle's file (must not exist).
    #[arg(long)]
    pub out: PathBuf,
}

fn export_fhir(a: FhirArgs) -> anyhow::Result<()> {
    if a.out.exists() {
        bail!("--out: {} exists; choose a new file", a.out.display());
    }
    let mut loaded = None;
    block_on(async {
        let store = a.db.open(false).await?;
        let catalog = store.catalogs().catalog(None).clone();
        store.close().await;
        loaded = Some(catalog);
        Ok(())
    })?;
    let catalog = loaded.expect("set by the block above");
    let (source, key) = read_source(
        &a.db,
        &a.programme,
        "fhir",
        serde_json::json!({"format": "fhir-r4-bundle", "by": operator()}),
    )?;
    let (bundle, summary) = scaleup_interop::fhir::bundle(&source, &catalog, &key);
    let text = serde_json::to_string_pretty(&bundle)? + "\n";
    write_file_all_or_nothing(&a.out, text.as_bytes())?;
    eprintln!(
        "wrote {} Questionnaire(s), {} Patient(s), {} QuestionnaireResponse(s) and {} Observation(s) to {}",
        summary.questionnaires,
        summary.patients,
        summary.responses,
        summary.observations,
        a.out.display()
    );
    for unknown in &summary.unknown_instruments {
        eprintln!("left out: administrations of {unknown} (not in the catalogue)");
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct NdaArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Programme code.
    #[arg(long, alias = "program", value_name = "CODE")]
    pub programme: String,
    /// The hub's GUID map: a CSV with a header and columns `client_id` (scaleup's client id or
    /// the client's export pseudonym) and `subjectkey` (the GUID or pseudo-GUID).
    #[arg(long)]
    pub guid_map: PathBuf,
    /// Shift every interview date of a subject by a persistent secret offset (when an IRB
    /// restricts dates); ages stay those of the true dates.
    #[arg(long)]
    pub shift_dates: bool,
    /// Folder to create for the files (must not exist, or be empty).
    #[arg(long)]
    pub out: PathBuf,
}

/// Reads the GUID map (parsed by scaleup-interop). Errors name the line, never a value.
fn read_guid_map(path: &Path) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--guid-map: reading {}", path.display()))?;
    scaleup_interop::nda::parse_guid_map(&text).map_err(|e| anyhow::anyhow!("--guid-map: {e}"))
}

fn export_nda(a: NdaArgs) -> anyhow::Result<()> {
    check_destination(&a.out)?;
    let guids = read_guid_map(&a.guid_map)?;
    let (source, key) = read_source(
        &a.db,
        &a.programme,
        "nda",
        serde_json::json!({"format": "nda", "date_shifting": a.shift_dates, "by": operator()}),
    )?;
    let out = scaleup_interop::nda::export(
        &source,
        &guids,
        &key,
        &scaleup_interop::nda::NdaOptions {
            shift_dates: a.shift_dates,
        },
    );
    let files: Vec<(String, Vec<u8>)> = out
        .files
        .iter()
        .map(|(n, t)| (n.clone(), t.clone().into_bytes()))
        .collect();
    write_all_or_nothing(&a.out, &files)?;
    let rejected = out.findings.iter().filter(|f| f.rejected).count();
    for (file, n) in &out.rows {
        eprintln!("{file}: {n} rows");
    }
    eprintln!(
        "{rejected} row(s) left out that NDA would reject: see {}",
        a.out.join("validation_report.txt").display()
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct Dhis2TrackerArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Programme code.
    #[arg(long, alias = "program", value_name = "CODE")]
    pub programme: String,
    /// The hub's mapping onto its DHIS2 server (TOML: tracked_entity_type, program, org_units,
    /// attributes, assessments.<instrument>, session; see docs/interoperability.md).
    #[arg(long)]
    pub mapping: PathBuf,
    /// The payload's file (must not exist).
    #[arg(long)]
    pub out: PathBuf,
}

fn export_dhis2(a: Dhis2TrackerArgs) -> anyhow::Result<()> {
    if a.out.exists() {
        bail!("--out: {} exists; choose a new file", a.out.display());
    }
    let text = std::fs::read_to_string(&a.mapping)
        .with_context(|| format!("--mapping: reading {}", a.mapping.display()))?;
    let mapping = scaleup_interop::dhis2::Mapping::from_toml(&text)
        .map_err(|e| anyhow::anyhow!("--mapping: {e}"))?;
    let (source, key) = read_source(
        &a.db,
        &a.programme,
        "dhis2",
        serde_json::json!({"format": "dhis2-tracker", "by": operator()}),
    )?;
    let (payload, summary) = scaleup_interop::dhis2::tracker_payload(&source, &mapping, &key);
    let text = serde_json::to_string_pretty(&payload)? + "\n";
    write_file_all_or_nothing(&a.out, text.as_bytes())?;
    eprintln!(
        "wrote {} tracked entities, {} enrollments and {} events to {}",
        summary.tracked_entities,
        summary.enrollments,
        summary.events,
        a.out.display()
    );
    if !summary.unmapped_facilities.is_empty() {
        eprintln!(
            "left out: clients of {} facility(ies) without an org unit in the mapping",
            summary.unmapped_facilities.len()
        );
    }
    for i in &summary.unmapped_instruments {
        eprintln!("left out: administrations of {i} (no stage in the mapping)");
    }
    if !summary.unmapped_values.is_empty() {
        eprintln!(
            "left out of events: values without a data element: {}",
            summary
                .unmapped_values
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// Writes one file beside its destination and renames it into place.
pub fn write_file_all_or_nothing(out: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    let tmp = out.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let result = std::fs::write(&tmp, bytes)
        .with_context(|| format!("writing {}", tmp.display()))
        .and_then(|()| {
            std::fs::rename(&tmp, out).with_context(|| format!("moving to {}", out.display()))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Reads a programme for an export (audited by the store), with the store's de-identification
/// key.
pub fn read_source(
    db: &DbArgs,
    programme: &str,
    purpose: &str,
    detail: serde_json::Value,
) -> anyhow::Result<(StudySource, scaleup_interop::deid::DeidKey)> {
    let mut loaded = None;
    block_on(async {
        let store = db.open(false).await?;
        let mut found = store.programme_by_code(programme).await?;
        if found.is_empty() {
            bail!("--programme: no programme with that code");
        }
        if found.len() > 1 {
            bail!(
                "--programme: {} hubs have a programme with that code",
                found.len()
            );
        }
        let p = found.remove(0);
        let source = store.study_source(None, &p.id, purpose, detail).await?;
        let key = store.deidentification_key();
        store.close().await;
        loaded = Some((source, key));
        Ok(())
    })?;
    Ok(loaded.expect("set by the block above"))
}

fn export_dataset(a: DatasetArgs) -> anyhow::Result<()> {
    let options = a.options();
    check_destination(&a.out)?;
    let (source, key) = read_source(
        &a.db,
        &a.programme,
        "dataset",
        dataset_audit_detail(&options),
    )?;
    let data = dataset::build(&source, &options, &key)?;
    let files = scaleup_interop::scripts::files(&data);
    write_all_or_nothing(&a.out, &files)?;
    eprintln!(
        "wrote {} rows ({} clients) of {} to {}",
        data.rows.len(),
        data.clients,
        data.name,
        a.out.display()
    );
    Ok(())
}

/// Refuses a destination that exists and is not an empty folder (checked before reading, so a
/// mistake costs no audit row).
pub fn check_destination(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        let empty = out.is_dir()
            && std::fs::read_dir(out)
                .with_context(|| format!("reading {}", out.display()))?
                .next()
                .is_none();
        if !empty {
            bail!(
                "--out: {} exists and is not an empty folder; choose a new one",
                out.display()
            );
        }
    }
    Ok(())
}

/// Writes every file into a fresh temporary folder beside `out`, then renames it to `out`: the
/// destination appears complete or not at all.
pub fn write_all_or_nothing(out: &Path, files: &[(String, Vec<u8>)]) -> anyhow::Result<()> {
    check_destination(out)?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let stem = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    let tmp = parent.join(format!(".{stem}.partial-{}", std::process::id()));
    let result = (|| -> anyhow::Result<()> {
        std::fs::create_dir(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        for (name, bytes) in files {
            std::fs::write(tmp.join(name), bytes).with_context(|| format!("writing {name}"))?;
        }
        if out.exists() {
            std::fs::remove_dir(out).with_context(|| format!("replacing {}", out.display()))?;
        }
        std::fs::rename(&tmp, out).with_context(|| format!("moving the files to {}", out.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}
