//! Records arriving from another system (`scaleup import`, the import API): they take the sync
//! path, [`Store::push`], so they are validated, scored, alerted and audited exactly like a
//! device's records, under the importing account and a device id `import:<source>`.
//!
//! The one thing an import needs beyond a push is to say "this is the version I am replacing":
//! records are named by ids derived from the source, so a second import of an edited source
//! updates the record (base version = its current version) instead of raising a sync conflict,
//! and a second import of the same source is answered `unchanged`.

use crate::records::{Ack, IncomingRecord};
use crate::scope::Actor;
use crate::{Result, Store};
use sqlx::Row;
use std::collections::HashMap;

/// Most ids looked up in one statement.
const LOOKUP_CHUNK: usize = 500;

impl Store {
    /// The current version of each of `ids` that exists in a hub the actor may see. Ids of
    /// records the actor may not see are left out, exactly as if they did not exist (the push
    /// then refuses to write them). Reads no record content.
    pub async fn record_versions(
        &self,
        actor: &Actor,
        ids: &[String],
    ) -> Result<HashMap<String, i64>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, version, hub_id FROM records WHERE id IN ({})",
                placeholders.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.clone());
            }
            for row in q.fetch_all(self.pool()).await? {
                let hub: String = row.try_get("hub_id")?;
                if actor.may_see_hub(&hub) {
                    out.insert(row.try_get("id")?, row.try_get::<i64, _>("version")?);
                }
            }
        }
        Ok(out)
    }

    /// Pushes a batch of imported records as `device_id`, each carrying the current version of
    /// its record as its base version, so an edited source updates and an unchanged one is
    /// answered `unchanged`. One acknowledgement per record, in order.
    pub async fn import_records(
        &self,
        actor: &Actor,
        device_id: &str,
        mut records: Vec<IncomingRecord>,
    ) -> Result<Vec<Ack>> {
        let ids: Vec<String> = records
            .iter()
            .filter_map(|r| r.id.as_str().map(str::to_string))
            .collect();
        let versions = self.record_versions(actor, &ids).await?;
        for r in &mut records {
            r.base_version = r.id.as_str().and_then(|id| versions.get(id).copied());
        }
        self.push(actor, device_id, records).await
    }
}
