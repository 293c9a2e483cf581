//! Gauges for the server's `/metrics`: counts of open and overdue risk alerts per hub, and the
//! connection pool's use. Counts and hub codes only: no client, no clinical value.

use crate::time_util::now_timestamp;
use crate::{Result, Store};
use sqlx::Row;

/// Open and overdue risk alerts of one hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertGauge {
    pub hub_code: String,
    pub open: i64,
    /// Open and past their deadline (the sweep escalates them).
    pub overdue: i64,
}

/// The connection pool at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolGauge {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

impl Store {
    /// Open and overdue alerts per hub, from the `(status, due_at)` index: one walk over the
    /// open alerts, however many were ever raised.
    pub async fn alert_gauges(&self) -> Result<Vec<AlertGauge>> {
        let rows = sqlx::query(
            "SELECT h.code AS hub_code,
                    CAST(COUNT(*) AS BIGINT) AS open,
                    CAST(SUM(CASE WHEN a.due_at < $1 THEN 1 ELSE 0 END) AS BIGINT) AS overdue
             FROM risk_alerts a JOIN hubs h ON h.id = a.hub_id
             WHERE a.status = 'open'
             GROUP BY h.code ORDER BY h.code",
        )
        .bind(now_timestamp())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AlertGauge {
                    hub_code: r.try_get("hub_code")?,
                    open: r.try_get("open")?,
                    overdue: r.try_get("overdue")?,
                })
            })
            .collect()
    }

    /// How many connections the pool holds, how many are idle, and its ceiling.
    pub fn pool_gauge(&self) -> PoolGauge {
        PoolGauge {
            size: self.pool.size(),
            idle: self.pool.num_idle() as u32,
            max: self.pool.options().get_max_connections(),
        }
    }
}
