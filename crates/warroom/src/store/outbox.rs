//! The outbox of stakeholder updates: what this laptop still has to deliver, and how its tries
//! went. The queue itself is the log (an `update_queued` event of this device with no
//! `update_sent` or `update_failed` for it); the `outbox` table keeps the attempts beside it.
//! An attempt is marked under way before anything is sent, durably: after a crash the next
//! attempt knows the outcome of the last one is unknown.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::model::Audience;
use crate::time;

/// An update waiting in this laptop's outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub update: String,
    pub incident: String,
    pub audience: Audience,
    pub channel: String,
    pub subject: String,
    pub text: String,
    pub queued_at: DateTime<Utc>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_try: Option<DateTime<Utc>>,
    /// An attempt was under way when it stopped: the channel may have it already.
    pub in_flight: bool,
}

/// How an update's tries went (this laptop's; other laptops' are not known here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attempts {
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_try: Option<DateTime<Utc>>,
}

/// A queued update and its attempts, as read.
struct OutboxRow {
    incident: String,
    at: String,
    data: String,
    attempts: Option<i64>,
    last_error: Option<String>,
    next_try: Option<String>,
    in_flight: Option<i64>,
}

impl Store {
    /// The updates this laptop queued and has not delivered (nor given up on), oldest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], [`StoreError::Unreadable`].
    pub fn outbox(&self) -> Result<Vec<Pending>, StoreError> {
        let sqlite = |e| StoreError::from_sqlite(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT q.incident, q.at, q.data, o.attempts, o.last_error, o.next_try, o.in_flight
                 FROM events q LEFT JOIN outbox o ON o.update_id = json_extract(q.data, '$.update')
                 WHERE q.kind = 'update_queued' AND q.device = ?1
                   AND NOT EXISTS (
                       SELECT 1 FROM events d
                       WHERE d.incident = q.incident AND d.kind IN ('update_sent', 'update_failed')
                         AND json_extract(d.data, '$.update') = json_extract(q.data, '$.update'))
                 ORDER BY q.seq",
            )
            .map_err(sqlite)?;
        let rows: Vec<OutboxRow> = stmt
            .query_map([&self.device], |r| {
                Ok(OutboxRow {
                    incident: r.get(0)?,
                    at: r.get(1)?,
                    data: r.get(2)?,
                    attempts: r.get(3)?,
                    last_error: r.get(4)?,
                    next_try: r.get(5)?,
                    in_flight: r.get(6)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(sqlite)?;
        let mut pending = Vec::with_capacity(rows.len());
        for OutboxRow { incident, at, data, attempts, last_error, next_try, in_flight } in rows {
            let unreadable = |reason: String| StoreError::Unreadable {
                path: self.path.clone(),
                event: format!("update of {incident}"),
                reason,
            };
            let kind: crate::model::EventKind =
                serde_json::from_str(&data).map_err(|e| unreadable(e.to_string()))?;
            let crate::model::EventKind::UpdateQueued { update, audience, channel, subject, text } = kind
            else {
                continue;
            };
            pending.push(Pending {
                update,
                queued_at: time::parse(&at).map_err(|e| unreadable(e.to_string()))?,
                incident,
                audience,
                channel,
                subject,
                text,
                attempts: u32::try_from(attempts.unwrap_or(0)).unwrap_or(u32::MAX),
                last_error,
                next_try: next_try.and_then(|t| time::parse(&t).ok()),
                in_flight: in_flight.unwrap_or(0) != 0,
            });
        }
        Ok(pending)
    }

    /// Marks an attempt at `update` under way (durably, before anything is sent).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], [`StoreError::Locked`].
    pub fn attempt_begins(&mut self, update: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO outbox (update_id, attempts, in_flight) VALUES (?1, 1, 1)
                 ON CONFLICT (update_id) DO UPDATE SET attempts = attempts + 1, in_flight = 1",
                [update],
            )
            .map(|_| ())
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// Notes how the attempt at `update` ended: `error` (and when to try again) for a failure
    /// to retry, none when it ended for good (its event says how).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], [`StoreError::Locked`].
    pub fn attempt_ends(
        &mut self,
        update: &str,
        error: Option<&str>,
        next_try: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET in_flight = 0, last_error = coalesce(?2, last_error), next_try = ?3
                 WHERE update_id = ?1",
                params![update, error, next_try.map(time::to_db)],
            )
            .map(|_| ())
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// How the tries at `update` went on this laptop.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn attempts(&self, update: &str) -> Result<Attempts, StoreError> {
        let row: Option<(i64, Option<String>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT attempts, last_error, next_try FROM outbox WHERE update_id = ?1",
                [update],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| StoreError::from_sqlite(&self.path, e))?;
        Ok(row.map_or_else(Attempts::default, |(attempts, last_error, next_try)| Attempts {
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            last_error,
            next_try: next_try.and_then(|t| time::parse(&t).ok()),
        }))
    }
}
