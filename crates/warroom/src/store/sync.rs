//! What the team's hub needs to know of this log: per hub, how far it was pushed and pulled,
//! which rows came from it (never pushed back), and what a pull refused to fold.
//!
//! "Pushed up to `pushed_seq`" means every event written here up to that sequence number is on
//! the hub, came from it, or belongs to a local incident. Reads of what to push run in one
//! snapshot, so an event written meanwhile is never skipped.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::chain::{ChainProblem, Row};
use super::events::row_of;
use super::merge::{Merged, merge_rows};
use super::{Store, StoreError};
use crate::time;

/// How far this log went with one hub.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub hub: String,
    /// The hub's last event pulled (its own sequence number).
    pub events: i64,
    /// The hub's last sample pulled.
    pub samples: i64,
    /// Every local event up to this sequence number needs no push.
    pub pushed_seq: i64,
    pub last_pull_at: Option<DateTime<Utc>>,
    pub last_push_at: Option<DateTime<Utc>>,
}

/// A sample as it crosses to the hub.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingSample {
    pub incident: String,
    pub node: String,
    pub metric: String,
    pub at: String,
    pub value: f64,
}

/// An event a pull refused to fold, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct SyncProblem {
    #[serde(flatten)]
    #[cfg_attr(any(test, feature = "ts"), ts(flatten))]
    pub problem: ChainProblem,
    pub seen_at: DateTime<Utc>,
}

/// Which events wait to be pushed: above the cursor, of shared incidents, not from the hub.
const PENDING: &str = "FROM events e JOIN incidents i ON i.id = e.incident
     WHERE e.seq > ?1 AND i.local = 0
       AND NOT EXISTS (SELECT 1 FROM sync_pulled p WHERE p.hub = ?2 AND p.seq = e.seq)";

impl Store {
    /// How far this log went with `hub` (all zero for a hub it never met).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn cursor(&self, hub: &str) -> Result<Cursor, StoreError> {
        let sqlite = |e| StoreError::from_sqlite(&self.path, e);
        let row = self
            .conn
            .query_row(
                "SELECT events_cursor, samples_cursor, pushed_seq, last_pull_at, last_push_at
                 FROM sync_state WHERE hub = ?1",
                [hub],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(sqlite)?;
        let when = |t: Option<String>| t.and_then(|t| time::parse(&t).ok());
        Ok(match row {
            None => Cursor { hub: hub.to_owned(), ..Cursor::default() },
            Some((events, samples, pushed_seq, pull, push)) => Cursor {
                hub: hub.to_owned(),
                events,
                samples,
                pushed_seq,
                last_pull_at: when(pull),
                last_push_at: when(push),
            },
        })
    }

    /// The hub this log last exchanged with, if any.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn last_hub(&self) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT hub FROM sync_state
                 ORDER BY max(coalesce(last_pull_at, ''), coalesce(last_push_at, '')) DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// Up to `limit` events waiting to be pushed to `hub`, in the order they were written, and the
    /// sequence number the cursor may move to once they are on the hub.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn to_push(&self, hub: &str, limit: usize) -> Result<(Vec<Row>, i64), StoreError> {
        let sqlite = |e| StoreError::from_sqlite(&self.path, e);
        let cursor = self.cursor(hub)?;
        // One snapshot: what is pending, and how far the log went.
        let tx = self.conn.unchecked_transaction().map_err(sqlite)?;
        let last: i64 =
            tx.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0)).map_err(sqlite)?;
        let sql = format!(
            "SELECT e.id, e.incident, e.at, e.recorded_at, e.origin, e.actor, e.device, e.prev, e.hash,
                    e.kind, e.data, e.seq {PENDING} ORDER BY e.seq LIMIT ?3"
        );
        let rows: Vec<(Row, i64)> = {
            let mut stmt = tx.prepare_cached(&sql).map_err(sqlite)?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            stmt.query_map(params![cursor.pushed_seq, hub, limit], |r| Ok((row_of(r)?, r.get(11)?)))
                .and_then(Iterator::collect)
                .map_err(sqlite)?
        };
        tx.finish().map_err(sqlite)?;
        let up_to = match rows.last() {
            Some((_, seq)) if rows.len() >= limit => *seq,
            _ => last.max(cursor.pushed_seq),
        };
        Ok((rows.into_iter().map(|(row, _)| row).collect(), up_to))
    }

    /// How many events wait to be pushed to `hub`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn pending_push(&self, hub: &str) -> Result<usize, StoreError> {
        let cursor = self.cursor(hub)?;
        let sql = format!("SELECT count(*) {PENDING}");
        self.conn
            .query_row(&sql, params![cursor.pushed_seq, hub], |r| r.get::<_, i64>(0))
            .map(|n| usize::try_from(n).unwrap_or(0))
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// Notes that everything [`Store::to_push`] gave, up to `up_to`, is on `hub`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], [`StoreError::Locked`].
    pub fn pushed(&mut self, hub: &str, up_to: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        tx.execute(
            "INSERT INTO sync_state (hub, pushed_seq, last_push_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (hub) DO UPDATE SET pushed_seq = max(pushed_seq, ?2), last_push_at = ?3",
            params![hub, up_to, time::to_db(at)],
        )
        .map_err(sqlite)?;
        tx.execute("DELETE FROM sync_pulled WHERE hub = ?1 AND seq <= ?2", params![hub, up_to])
            .map_err(sqlite)?;
        tx.commit().map_err(sqlite)
    }

    /// Folds in rows pulled from `hub` (the hub's order) and moves the pull cursor to `cursor`,
    /// in one transaction. What breaks a chain is kept out and remembered as a problem.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], [`StoreError::Locked`]; nothing is written then.
    pub fn merge_pulled(
        &mut self,
        hub: &str,
        rows: &[Row],
        cursor: i64,
        at: DateTime<Utc>,
    ) -> Result<Merged, StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        let merged = merge_rows(&tx, &mut super::events::Writing::default(), rows, &path)?;
        for seq in &merged.seqs {
            tx.execute("INSERT OR IGNORE INTO sync_pulled (hub, seq) VALUES (?1, ?2)", params![hub, seq])
                .map_err(sqlite)?;
        }
        for p in &merged.problems {
            tx.execute(
                "INSERT OR IGNORE INTO sync_problems (event, incident, device, reason, seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![p.event, p.incident, p.device, p.reason, time::to_db(at)],
            )
            .map_err(sqlite)?;
        }
        tx.execute(
            "INSERT INTO sync_state (hub, events_cursor, last_pull_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (hub) DO UPDATE SET events_cursor = max(events_cursor, ?2), last_pull_at = ?3",
            params![hub, cursor, time::to_db(at)],
        )
        .map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(merged)
    }

    /// Up to `limit` samples of shared incidents not pushed yet.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn samples_to_push(&self, limit: usize) -> Result<Vec<PendingSample>, StoreError> {
        let sqlite = |e| StoreError::from_sqlite(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT s.incident, s.node, s.metric, s.at, s.value FROM samples s
                 JOIN incidents i ON i.id = s.incident
                 WHERE s.pushed = 0 AND i.local = 0 LIMIT ?1",
            )
            .map_err(sqlite)?;
        stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok(PendingSample {
                incident: r.get(0)?,
                node: r.get(1)?,
                metric: r.get(2)?,
                at: r.get(3)?,
                value: r.get(4)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(sqlite)
    }

    /// Notes that these samples are on the hub.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], [`StoreError::Locked`].
    pub fn samples_pushed(&mut self, samples: &[PendingSample]) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        {
            let mut mark = tx
                .prepare_cached(
                    "UPDATE samples SET pushed = 1 WHERE incident = ?1 AND node = ?2 AND metric = ?3 AND at = ?4",
                )
                .map_err(sqlite)?;
            for s in samples {
                mark.execute(params![s.incident, s.node, s.metric, s.at]).map_err(sqlite)?;
            }
        }
        tx.commit().map_err(sqlite)
    }

    /// Keeps samples pulled from `hub` (those of incidents this log has) and moves its sample
    /// cursor to `cursor`. Returns how many were new.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], [`StoreError::Locked`].
    pub fn merge_samples(
        &mut self,
        hub: &str,
        samples: &[PendingSample],
        cursor: i64,
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        let mut added = 0;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO samples (incident, node, metric, at, value, pushed)
                     SELECT ?1, ?2, ?3, ?4, ?5, 1 WHERE EXISTS (SELECT 1 FROM incidents WHERE id = ?1)",
                )
                .map_err(sqlite)?;
            for s in samples.iter().filter(|s| s.value.is_finite()) {
                added +=
                    insert.execute(params![s.incident, s.node, s.metric, s.at, s.value]).map_err(sqlite)?;
            }
        }
        tx.execute(
            "INSERT INTO sync_state (hub, samples_cursor) VALUES (?1, ?2)
             ON CONFLICT (hub) DO UPDATE SET samples_cursor = max(samples_cursor, ?2)",
            params![hub, cursor],
        )
        .map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(added)
    }

    /// What pulls refused to fold, most recent first (of one incident, or all).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn sync_problems(&self, incident: Option<&str>) -> Result<Vec<SyncProblem>, StoreError> {
        let sqlite = |e| StoreError::from_sqlite(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT event, incident, device, reason, seen_at FROM sync_problems
                 WHERE ?1 IS NULL OR incident = ?1 ORDER BY seen_at DESC, event",
            )
            .map_err(sqlite)?;
        let rows: Vec<(String, String, String, String, String)> = stmt
            .query_map([incident], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .and_then(Iterator::collect)
            .map_err(sqlite)?;
        Ok(rows
            .into_iter()
            .map(|(event, incident, device, reason, seen_at)| SyncProblem {
                problem: ChainProblem { device, incident, event, reason },
                seen_at: time::parse(&seen_at).unwrap_or_default(),
            })
            .collect())
    }
}
