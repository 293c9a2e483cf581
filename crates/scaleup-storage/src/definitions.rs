//! Definition files uploaded by a hub (or, network-wide, by an admin): instruments, protocols,
//! competency frameworks, item texts and price lists; and the live catalogue built from them.
//!
//! Scoping: a file stored with a hub applies to that hub's programmes and records only; a file
//! without one (admins only) applies to every hub. The catalogue a record of hub H is scored
//! with is the built-in one, then the network's files, then H's own, each in upload order
//! ([`CatalogSet`]); lookups by code take the last version added, so a hub's own version of an
//! instrument wins over the network's in that hub.
//!
//! Live: every upload bumps `store_state.definitions_version` in its own transaction. A store
//! running on stored definitions ([`Store::load_definitions`]) remembers the version its
//! catalogue was built at; [`Store::refresh_definitions`] compares it with the database's and
//! rebuilds when it moved. The uploading server rebuilds at once; others do on their next
//! check (the server polls every two seconds, and every sync push checks first, so no record
//! is scored with definitions older than the push). No restart.
//!
//! A stored file that no longer loads (a later network file took its code and version, say) is
//! skipped and reported ([`CatalogSet::problems`]), never a reason to stop serving; uploads are
//! validated so that they cannot cause that for files already stored.

use crate::audit::AuditEvent;
use crate::catalog_rules::CatalogRules;
use crate::records::Rules;
use crate::scope::Actor;
use crate::time_util::now_timestamp;
use crate::{Result, Store, StoreError};
use scaleup_domain::catalog::{Added, Catalog, DefinitionError, DefinitionKind, identify};
use scaleup_domain::role::Capability;
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `kind` stored for a price-list file (costing prices; validated by the caller, which
/// reads them with `scaleup-econ`, and never part of the catalogue).
pub const PRICE_LIST_KIND: &str = "price_list";

/// The largest definition file accepted (the biggest built-in is 15 KB).
pub const MAX_DEFINITION_BYTES: usize = 512 * 1024;

/// A stored definition file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DefinitionRow {
    pub id: String,
    /// `instrument`, `protocol`, `competency_framework`, `item_texts` or `price_list`.
    pub kind: String,
    pub code: String,
    /// As the file declares it (empty for files stored before schema 9 that were not re-read).
    pub version: String,
    /// The hub it applies to; `None`: every hub.
    pub hub_id: Option<String>,
    /// The file name it was uploaded as.
    pub origin: String,
    #[serde(skip)]
    pub source: String,
    pub added_by: String,
    pub added_at: String,
}

/// A stored file that did not load into its catalogue, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DefinitionProblem {
    pub id: String,
    pub hub_id: Option<String>,
    pub origin: String,
    pub message: String,
}

/// The catalogues in force: the network's (built-ins plus network-wide files) and, for each
/// hub with files of its own, the network's plus those. Immutable; a reload builds a new one.
pub struct CatalogSet {
    version: i64,
    network: Arc<Catalog>,
    network_rules: Arc<CatalogRules>,
    hubs: BTreeMap<String, (Arc<Catalog>, Arc<CatalogRules>)>,
    problems: Vec<DefinitionProblem>,
}

impl CatalogSet {
    /// The built-in catalogue alone, for every hub.
    pub fn builtin() -> CatalogSet {
        Self::build(0, &[])
    }

    /// The built-in set, made once per process.
    pub fn builtin_shared() -> Arc<CatalogSet> {
        static SET: std::sync::OnceLock<Arc<CatalogSet>> = std::sync::OnceLock::new();
        SET.get_or_init(|| Arc::new(CatalogSet::builtin())).clone()
    }

    /// Builds the catalogues from stored files in upload order. A file that does not load is
    /// skipped and reported.
    pub fn build(version: i64, rows: &[DefinitionRow]) -> CatalogSet {
        let mut problems = Vec::new();
        let mut network = Catalog::builtin_shared().clone();
        let catalogued = |r: &&DefinitionRow| r.kind != PRICE_LIST_KIND;
        for row in rows
            .iter()
            .filter(|r| r.hub_id.is_none())
            .filter(catalogued)
        {
            if let Err(e) = network.add_file(&row.origin, &row.source) {
                problems.push(problem(row, &e));
            }
        }
        let network = Arc::new(network);
        let mut by_hub: BTreeMap<&str, Vec<&DefinitionRow>> = BTreeMap::new();
        for row in rows.iter().filter(catalogued) {
            if let Some(hub) = &row.hub_id {
                by_hub.entry(hub).or_default().push(row);
            }
        }
        let hubs = by_hub
            .into_iter()
            .map(|(hub, rows)| {
                let mut catalog = (*network).clone();
                for row in rows {
                    if let Err(e) = catalog.add_file(&row.origin, &row.source) {
                        problems.push(problem(row, &e));
                    }
                }
                let catalog = Arc::new(catalog);
                (
                    hub.to_string(),
                    (catalog.clone(), Arc::new(CatalogRules::new(catalog))),
                )
            })
            .collect();
        CatalogSet {
            version,
            network_rules: Arc::new(CatalogRules::new(network.clone())),
            network,
            hubs,
            problems,
        }
    }

    /// The `definitions_version` this set was built at.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The network's catalogue: built-ins and network-wide files.
    pub fn network(&self) -> &Arc<Catalog> {
        &self.network
    }

    /// The catalogue of a hub (the network's when the hub has no files, or for `None`).
    pub fn catalog(&self, hub_id: Option<&str>) -> &Arc<Catalog> {
        hub_id
            .and_then(|h| self.hubs.get(h))
            .map(|(c, _)| c)
            .unwrap_or(&self.network)
    }

    /// Stored files that did not load.
    pub fn problems(&self) -> &[DefinitionProblem] {
        &self.problems
    }
}

fn problem(row: &DefinitionRow, e: &DefinitionError) -> DefinitionProblem {
    tracing::error!(definition = %row.id, error = %e, "a stored definition file does not load; skipped");
    DefinitionProblem {
        id: row.id.clone(),
        hub_id: row.hub_id.clone(),
        origin: row.origin.clone(),
        message: e.to_string(),
    }
}

impl Rules for CatalogSet {
    fn score(
        &self,
        assessment: &scaleup_domain::record::Assessment,
    ) -> std::result::Result<crate::ScoreSummary, scaleup_domain::error::FieldError> {
        self.network_rules.score(assessment)
    }

    fn protocol(&self, code: &str) -> Option<&scaleup_domain::protocol::Protocol> {
        self.network_rules.protocol(code)
    }

    fn harmful_competencies(
        &self,
        rating: &scaleup_domain::record::CompetencyAssessment,
    ) -> Vec<String> {
        self.network_rules.harmful_competencies(rating)
    }

    fn for_hub(&self, hub_id: &str) -> Option<Arc<dyn Rules>> {
        self.hubs
            .get(hub_id)
            .map(|(_, rules)| rules.clone() as Arc<dyn Rules>)
    }
}

/// Files are stored with a first line naming the file they were uploaded as.
fn stored_text(origin: &str, source: &str) -> String {
    format!("# origin: {origin}\n{source}")
}

fn row_from(r: &sqlx::any::AnyRow) -> Result<DefinitionRow> {
    let stored: String = r.try_get("source")?;
    let (origin, source) = match stored.split_once('\n') {
        Some((first, rest)) if first.starts_with("# origin: ") => (
            first.trim_start_matches("# origin: ").to_string(),
            rest.to_string(),
        ),
        _ => ("database".to_string(), stored.clone()),
    };
    Ok(DefinitionRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        code: r.try_get("code")?,
        version: r.try_get("version")?,
        hub_id: r.try_get("hub_id")?,
        origin,
        source,
        added_by: r.try_get("added_by")?,
        added_at: r.try_get("added_at")?,
    })
}

/// Who may upload to a scope: network-wide needs an admin (or the command line); a hub's files
/// an admin or that hub's manager. The refusal says what the caller may do instead.
fn check_upload(actor: Option<&Actor>, hub_id: Option<&str>) -> Result<()> {
    let Some(actor) = actor else { return Ok(()) };
    if !actor.role.can(Capability::ManageDefinitions) {
        return Err(StoreError::Forbidden(
            "definition files are uploaded by admins and hub managers",
        ));
    }
    match hub_id {
        None if !actor.role.can(Capability::ManageNetworkDefinitions) => {
            Err(StoreError::Forbidden(
                "only an admin can upload network-wide definitions; upload the file for your hub instead",
            ))
        }
        Some(hub) if !actor.may_see_hub(hub) => Err(StoreError::Forbidden(
            "you can upload definitions for your own hub only",
        )),
        _ => Ok(()),
    }
}

impl Store {
    /// Every stored definition file (catalogue kinds and price lists), in upload order.
    pub async fn definitions(&self) -> Result<Vec<DefinitionRow>> {
        let rows = sqlx::query(
            "SELECT id, kind, code, version, hub_id, source, added_by, added_at FROM definitions ORDER BY added_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_from).collect()
    }

    /// The files that apply to the actor's hubs: network-wide ones and their hubs' own
    /// (admins: all), in upload order.
    pub async fn definitions_visible(&self, actor: &Actor) -> Result<Vec<DefinitionRow>> {
        Ok(self
            .definitions()
            .await?
            .into_iter()
            .filter(|d| d.hub_id.as_deref().is_none_or(|h| actor.may_see_hub(h)))
            .collect())
    }

    /// The definitions version in the database (bumped by every upload).
    pub async fn definitions_version(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT definitions_version FROM store_state WHERE id = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Builds the catalogues from the built-ins and the stored files and makes them this
    /// store's rules (for every clone of it), from now on kept in step with the database by
    /// [`Store::refresh_definitions`]. Returns the set.
    pub async fn load_definitions(&self) -> Result<Arc<CatalogSet>> {
        let _one = self.live.reload.lock().await;
        self.reload_definitions().await
    }

    async fn reload_definitions(&self) -> Result<Arc<CatalogSet>> {
        // The version first: a file committed between the two reads makes the set look older
        // than it is, and the next check loads again, rather than newer and never.
        let version = self.definitions_version().await?;
        let rows = self.definitions().await?;
        let set = Arc::new(CatalogSet::build(version, &rows));
        *self.live.rules.write().unwrap_or_else(|e| e.into_inner()) = set.clone();
        *self
            .live
            .catalogs
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(set.clone());
        tracing::info!(
            version,
            files = rows.len(),
            problems = set.problems().len(),
            "loaded definitions"
        );
        Ok(set)
    }

    /// The catalogues in force: the loaded set, or the built-in one for a store that was not
    /// given stored definitions (tests with their own rules).
    pub fn catalogs(&self) -> Arc<CatalogSet> {
        self.live
            .catalogs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(CatalogSet::builtin_shared)
    }

    /// Reloads the catalogues if a definition was stored since they were built (by any
    /// server); returns whether it did. One indexed read when nothing changed; a no-op for a
    /// store that does not run on stored definitions.
    pub async fn refresh_definitions(&self) -> Result<bool> {
        let loaded = self
            .live
            .catalogs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|s| s.version());
        let Some(loaded) = loaded else {
            return Ok(false);
        };
        if self.definitions_version().await? == loaded {
            return Ok(false);
        }
        let _one = self.live.reload.lock().await;
        // Another caller may have reloaded while this one waited.
        let current = self.catalogs().version();
        if self.definitions_version().await? == current {
            return Ok(false);
        }
        self.reload_definitions().await?;
        Ok(true)
    }

    /// Validates definition files and stores them for a hub (`hub_id`) or, with `None`, for
    /// every hub. Each file is checked against the catalogue it will join (the network's, plus
    /// the hub's own files) with the files before it; a network-wide file also against every
    /// hub's own files, so that it cannot stop one of them from loading. A file with the
    /// kind, code and version of one already stored in the same scope replaces it. The first
    /// file that does not validate is refused as [`StoreError::Definition`] (file, line,
    /// field, message) and nothing is stored. `actor` is `None` only for the command line.
    pub async fn add_definitions(
        &self,
        actor: Option<&Actor>,
        hub_id: Option<&str>,
        files: &[(String, String)],
    ) -> Result<Vec<Added>> {
        check_upload(actor, hub_id)?;
        if let Some(hub) = hub_id {
            self.hub_code(hub).await?;
        }
        for (origin, text) in files {
            check_file(origin, text)?;
        }
        let rows = self.definitions().await?;
        let in_scope = |r: &DefinitionRow| r.hub_id.as_deref() == hub_id;
        // What each new file is, and which stored files of the same scope it replaces.
        let mut identities = Vec::new();
        let mut replaced: Vec<String> = Vec::new();
        for (origin, text) in files {
            let id = identify(origin, text).map_err(StoreError::Definition)?;
            for row in rows
                .iter()
                .filter(|r| in_scope(r) && r.kind == id.kind.as_str())
            {
                if identify(&row.origin, &row.source).is_ok_and(|stored| stored == id) {
                    replaced.push(row.id.clone());
                }
            }
            identities.push(id);
        }
        let kept: Vec<&DefinitionRow> = rows
            .iter()
            .filter(|r| r.kind != PRICE_LIST_KIND && !replaced.contains(&r.id))
            .collect();
        let load = |catalog: &mut Catalog, rows: &[&DefinitionRow]| {
            for row in rows {
                // A stored file that does not load already is reported by the loader.
                let _ = catalog.add_file(&row.origin, &row.source);
            }
        };
        let network_rows: Vec<&DefinitionRow> = kept
            .iter()
            .copied()
            .filter(|r| r.hub_id.is_none())
            .collect();
        let mut catalog = Catalog::builtin_shared().clone();
        load(&mut catalog, &network_rows);
        let before = catalog.clone();
        if let Some(hub) = hub_id {
            let own: Vec<&DefinitionRow> = kept
                .iter()
                .copied()
                .filter(|r| r.hub_id.as_deref() == Some(hub))
                .collect();
            load(&mut catalog, &own);
        }
        let mut added = Vec::new();
        for (origin, text) in files {
            let new = catalog
                .add_file(origin, text)
                .map_err(StoreError::Definition)?;
            check_targets(&catalog, &new, origin, text)?;
            added.push(new);
        }
        if hub_id.is_none() {
            // Every hub's own files must still load on top of the new network catalogue.
            let mut hubs: BTreeMap<&str, Vec<&DefinitionRow>> = BTreeMap::new();
            for row in &kept {
                if let Some(h) = &row.hub_id {
                    hubs.entry(h).or_default().push(row);
                }
            }
            for (hub, own) in hubs {
                let mut old = before.clone();
                let mut new = catalog.clone();
                for row in own {
                    let was_ok = old.add_file(&row.origin, &row.source).is_ok();
                    if let Err(e) = new.add_file(&row.origin, &row.source)
                        && was_ok
                    {
                        let code = self.hub_code(hub).await.unwrap_or_else(|_| hub.to_string());
                        return Err(StoreError::Definition(DefinitionError {
                            origin: files[0].0.clone(),
                            line: None,
                            field: String::new(),
                            message: format!(
                                "network-wide, this would stop hub {code}'s own file {} from loading ({}); upload it for the hubs that need it instead",
                                row.origin, e.message
                            ),
                            more: Vec::new(),
                        }));
                    }
                }
            }
        }
        let stored: Vec<(String, String, String, String, String)> = files
            .iter()
            .zip(&identities)
            .map(|((origin, text), id)| {
                (
                    id.kind.as_str().to_string(),
                    id.code.clone(),
                    id.version.clone(),
                    origin.clone(),
                    text.clone(),
                )
            })
            .collect();
        self.store_files(actor, hub_id, &stored, &replaced).await?;
        Ok(added)
    }

    /// Stores a price-list file (`[[price_list]]` tables, as `scaleup econ cost --prices`
    /// reads them) for a hub or, with `None`, network-wide. The caller has parsed and checked
    /// it; `hubs` and `years` are the hub codes and price years it prices. A hub's file may
    /// price only that hub. A file pricing the same hubs and years in the same scope replaces
    /// the earlier one.
    pub async fn put_price_list(
        &self,
        actor: Option<&Actor>,
        hub_id: Option<&str>,
        origin: &str,
        text: &str,
        hubs: &[String],
        years: &[i32],
    ) -> Result<()> {
        check_upload(actor, hub_id)?;
        check_file(origin, text)?;
        if hubs.is_empty() {
            return Err(StoreError::invalid(
                "file",
                "has no [[price_list]] table to store",
            ));
        }
        if let Some(hub) = hub_id {
            let code = self.hub_code(hub).await?;
            if let Some(other) = hubs.iter().find(|h| **h != code) {
                return Err(StoreError::invalid(
                    "file",
                    format!(
                        "prices hub {other}, but this upload is for hub {code}: a hub's price lists price that hub only (an admin can upload network-wide)"
                    ),
                ));
            }
        }
        let mut codes: Vec<String> = hubs.to_vec();
        codes.sort();
        codes.dedup();
        let mut years: Vec<String> = years.iter().map(|y| y.to_string()).collect();
        years.sort();
        years.dedup();
        let (code, version) = (codes.join(","), years.join(","));
        let replaced: Vec<String> = self
            .definitions()
            .await?
            .into_iter()
            .filter(|r| {
                r.kind == PRICE_LIST_KIND
                    && r.hub_id.as_deref() == hub_id
                    && r.code == code
                    && r.version == version
            })
            .map(|r| r.id)
            .collect();
        self.store_files(
            actor,
            hub_id,
            &[(
                PRICE_LIST_KIND.to_string(),
                code,
                version,
                origin.to_string(),
                text.to_string(),
            )],
            &replaced,
        )
        .await
    }

    /// The price-list files that apply to the actor's hubs (network-wide and their own).
    pub async fn price_lists(&self, actor: &Actor) -> Result<Vec<DefinitionRow>> {
        Ok(self
            .definitions_visible(actor)
            .await?
            .into_iter()
            .filter(|d| d.kind == PRICE_LIST_KIND)
            .collect())
    }

    /// Writes validated files (kind, code, version, origin, text), removes the ones they
    /// replace, bumps the definitions version and audits, in one transaction; then reloads
    /// this server's catalogues.
    async fn store_files(
        &self,
        actor: Option<&Actor>,
        hub_id: Option<&str>,
        files: &[(String, String, String, String, String)],
        replaced: &[String],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE store_state SET definitions_version = definitions_version + 1 WHERE id = 1",
        )
        .execute(&mut *tx)
        .await?;
        for id in replaced {
            sqlx::query("DELETE FROM definitions WHERE id = $1")
                .bind(id.clone())
                .execute(&mut *tx)
                .await?;
        }
        let now = now_timestamp();
        for (kind, code, version, origin, text) in files {
            let id = uuid::Uuid::new_v4().to_string();
            sqlx::query(
                "INSERT INTO definitions (id, kind, code, version, hub_id, source, added_by, added_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id.clone())
            .bind(kind.clone())
            .bind(code.clone())
            .bind(version.clone())
            .bind(hub_id.map(str::to_string))
            .bind(stored_text(origin, text))
            .bind(
                actor
                    .map(|a| a.user_id.clone())
                    .unwrap_or_else(|| "cli".into()),
            )
            .bind(now.clone())
            .execute(&mut *tx)
            .await?;
            self.audit_in(
                &mut tx,
                actor,
                &AuditEvent::new("definition.put", "definition")
                    .entity(id)
                    .hub(hub_id.map(str::to_string))
                    .detail(serde_json::json!({
                        "kind": kind, "code": code, "version": version, "origin": origin,
                        "scope": if hub_id.is_some() { "hub" } else { "network" },
                        "replaced": replaced.len(),
                    })),
            )
            .await?;
        }
        tx.commit().await?;
        // This server sees its own upload at once; the others at their next check.
        if self
            .live
            .catalogs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
        {
            self.refresh_definitions().await?;
        }
        Ok(())
    }

    /// A hub's code (for messages and price lists); `Invalid` when there is no such hub.
    pub(crate) async fn hub_code(&self, hub_id: &str) -> Result<String> {
        sqlx::query_scalar("SELECT code FROM hubs WHERE id = $1")
            .bind(hub_id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::invalid("hub_id", "no such hub"))
    }
}

/// Size and encoding limits of an uploaded file; the message names the file.
fn check_file(origin: &str, text: &str) -> Result<()> {
    if origin.is_empty() || origin.len() > 200 || origin.contains(['\n', '\r']) {
        return Err(StoreError::invalid(
            "file_name",
            "must be 1-200 characters on one line",
        ));
    }
    if text.len() > MAX_DEFINITION_BYTES {
        return Err(StoreError::invalid(
            "text",
            format!("{origin} is larger than {} KB", MAX_DEFINITION_BYTES / 1024),
        ));
    }
    if text.trim().is_empty() {
        return Err(StoreError::invalid("text", format!("{origin} is empty")));
    }
    Ok(())
}

/// A protocol's targets name shares of the indicator catalogue (the domain checks their form;
/// the catalogue lives in scaleup-indicators, which the domain does not know).
fn check_targets(catalog: &Catalog, added: &Added, origin: &str, text: &str) -> Result<()> {
    if added.kind != DefinitionKind::Protocol {
        return Ok(());
    }
    let Some(protocol) = catalog
        .protocols()
        .map(|(_, p)| p)
        .find(|p| p.code() == added.code && p.version() == added.version)
    else {
        return Ok(());
    };
    for (i, target) in protocol.targets().iter().enumerate() {
        if let Err(message) = scaleup_indicators::check_target(&target.indicator) {
            return Err(StoreError::Definition(DefinitionError::at_field(
                origin,
                text,
                &format!("targets[{i}].indicator"),
                message,
            )));
        }
    }
    Ok(())
}
