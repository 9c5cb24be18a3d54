//! Every alert seen, kept locally by fingerprint (Alertmanager keeps no history).

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::{Store, StoreError};
use crate::model::Alert;
use crate::time;

/// An alert as remembered: when it started, when warroom first and last saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertSeen {
    pub fingerprint: String,
    pub name: String,
    pub node: String,
    pub severity: String,
    pub summary: String,
    pub starts_at: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

impl Store {
    /// Remembers the alerts seen at `now`: new fingerprints are added, known ones get a new
    /// `last_seen`. One transaction.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Locked`].
    pub fn remember_alerts(&mut self, alerts: &[Alert], now: DateTime<Utc>) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn.transaction().map_err(sqlite)?;
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO alerts_seen (fingerprint, name, node, severity, summary, starts_at, first_seen, last_seen)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
                     ON CONFLICT (fingerprint) DO UPDATE SET last_seen = excluded.last_seen",
                )
                .map_err(sqlite)?;
            let seen = time::to_db(time::truncate(now));
            for a in alerts {
                upsert
                    .execute(params![
                        a.fingerprint,
                        a.name,
                        a.node,
                        a.severity,
                        a.summary,
                        time::to_db(a.starts_at),
                        seen
                    ])
                    .map_err(sqlite)?;
            }
        }
        tx.commit().map_err(sqlite)
    }

    /// Every alert ever seen, earliest start first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], [`StoreError::Unreadable`] for a time that does not parse.
    pub fn alerts_seen(&self) -> Result<Vec<AlertSeen>, StoreError> {
        let sqlite = |e| StoreError::from_sqlite(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT fingerprint, name, node, severity, summary, starts_at, first_seen, last_seen
                 FROM alerts_seen ORDER BY starts_at, fingerprint",
            )
            .map_err(sqlite)?;
        let rows: Vec<[String; 8]> = stmt
            .query_map([], |r| {
                Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?])
            })
            .and_then(Iterator::collect)
            .map_err(sqlite)?;
        rows.into_iter()
            .map(|[fingerprint, name, node, severity, summary, starts_at, first_seen, last_seen]| {
                let at = |text: &str| {
                    time::parse(text).map_err(|e| StoreError::Unreadable {
                        path: self.path.clone(),
                        event: fingerprint.clone(),
                        reason: e.to_string(),
                    })
                };
                Ok(AlertSeen {
                    starts_at: at(&starts_at)?,
                    first_seen: at(&first_seen)?,
                    last_seen: at(&last_seen)?,
                    fingerprint: fingerprint.clone(),
                    name,
                    node,
                    severity,
                    summary,
                })
            })
            .collect()
    }
}
