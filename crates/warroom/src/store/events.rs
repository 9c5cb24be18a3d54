//! Appending events to the log and reading them back.

use std::path::Path;

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use ulid::Ulid;

use super::chain::{self, ChainHead, ChainProblem, Row};
use super::{Store, StoreError};
use crate::model::{Event, EventKind, Incident};

const EVENT_COLUMNS: &str = "id, incident, at, recorded_at, origin, actor, device, prev, hash, kind, data";

impl Store {
    /// Appends events in one transaction; returns once they are durable.
    ///
    /// Each event is written as this laptop's (its `device` if it has none yet) and takes its
    /// place at the end of its device's chain on the incident: the log fills in `device`, `prev`
    /// and `hash` on the events given.
    ///
    /// A declared event creates its incident; any other event must belong to an incident that
    /// exists already (or is declared earlier in the same batch). Either every event is written
    /// or none is.
    ///
    /// # Errors
    /// [`StoreError::UnknownIncident`] for an event of an incident that was never declared,
    /// [`StoreError::Locked`] when another process holds the file past the busy timeout,
    /// [`StoreError::Sqlite`] for anything else SQLite refuses (a duplicate event id).
    pub fn append(&mut self, events: &mut [Event]) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        for event in events.iter_mut() {
            if event.device.is_empty() {
                event.device.clone_from(&self.device);
            }
            event.prev = head(&tx, &event.incident.to_string(), &event.device).map_err(sqlite)?;
            let mut row = Row::of(event).map_err(|e| sqlite(to_sql_error(e)))?;
            row.hash = row.seal();
            insert_one(&tx, &row, &path)?;
            event.hash = row.hash;
        }
        tx.commit().map_err(sqlite)
    }

    /// Every event of an incident exactly as stored, in the order this log wrote them.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn rows(&self, incident: Ulid) -> Result<Vec<Row>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE incident = ?1 ORDER BY seq");
        self.query_rows(&sql, [incident.to_string()])
    }

    /// Checks the incident's chains, offline: each device's chain head, and every event that
    /// breaks its chain.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn verify(&self, incident: Ulid) -> Result<(Vec<ChainHead>, Vec<ChainProblem>), StoreError> {
        Ok(chain::check(&self.rows(incident)?))
    }

    /// Every event of an incident, in time order (`at`, then id: the same order on every laptop
    /// that holds the same events).
    ///
    /// # Errors
    /// [`StoreError::Unreadable`] for an event this build cannot decode, [`StoreError::Sqlite`].
    pub fn events(&self, incident: Ulid) -> Result<Vec<Event>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE incident = ?1 ORDER BY at, id");
        self.query_events(&sql, [incident.to_string()])
    }

    /// Whether the incident's latest resolve/reopen is a resolve: one indexed query, no fold
    /// (recording asks every cycle).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn is_resolved(&self, incident: Ulid) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT kind FROM events WHERE incident = ?1 AND kind IN ('resolved', 'reopened')
                 ORDER BY at DESC, id DESC LIMIT 1",
                [incident.to_string()],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map(|kind| kind.as_deref() == Some("resolved"))
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// The most recently declared incident still active, if any (among the last 20 declared).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn latest_active(&self) -> Result<Option<Ulid>, StoreError> {
        Ok(self.active()?.into_iter().next())
    }

    /// The incidents still active among the last 20 declared, most recent first: a few indexed
    /// queries, no fold.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn active(&self) -> Result<Vec<Ulid>, StoreError> {
        let sqlite = |e| StoreError::from_sqlite(&self.path, e);
        let ids: Vec<String> = self
            .conn
            .prepare_cached("SELECT id FROM incidents ORDER BY declared_event DESC LIMIT 20")
            .and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect())
            .map_err(sqlite)?;
        let mut active = Vec::new();
        for id in ids {
            let Ok(id) = Ulid::from_string(&id) else { continue };
            if !self.is_resolved(id)? {
                active.push(id);
            }
        }
        Ok(active)
    }

    /// The sequence number of the last event written, by anyone (0 for an empty log): it
    /// changes whenever the log grows, so a reader can tell at the cost of one lookup whether
    /// anything was written since it last looked.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn last_seq(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get::<_, i64>(0))
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// How many events an incident has: cheap, to tell whether its log grew.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn event_count(&self, incident: Ulid) -> Result<usize, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM events WHERE incident = ?1", [incident.to_string()], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| usize::try_from(n).unwrap_or(0))
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// The state of one incident.
    ///
    /// # Errors
    /// [`StoreError::UnknownIncident`] when it has no declared event, or as [`Store::events`].
    pub fn incident(&self, id: Ulid) -> Result<Incident, StoreError> {
        let events = self.events(id)?;
        Incident::fold(&events).ok_or_else(|| StoreError::UnknownIncident { id: id.to_string() })
    }

    /// Every incident, most recently declared first.
    ///
    /// # Errors
    /// As [`Store::events`].
    pub fn incidents(&self) -> Result<Vec<Incident>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY incident, at, id");
        Ok(fold_each(self.query_events(&sql, [])?))
    }

    /// The incidents that hold an event of this kind (its tag, e.g. `runbook_attached`), most
    /// recently declared first: only those are read and folded.
    ///
    /// # Errors
    /// As [`Store::events`].
    pub fn incidents_with(&self, kind: &str) -> Result<Vec<Incident>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events
             WHERE incident IN (SELECT DISTINCT incident FROM events WHERE kind = ?1)
             ORDER BY incident, at, id"
        );
        Ok(fold_each(self.query_events(&sql, [kind])?))
    }

    /// Finds the incident whose id is `given` or starts with it (any case).
    ///
    /// # Errors
    /// [`StoreError::InvalidId`] for text that cannot be part of an id,
    /// [`StoreError::UnknownIncident`] when nothing matches, [`StoreError::AmbiguousId`] when
    /// more than one does.
    pub fn find_incident(&self, given: &str) -> Result<Ulid, StoreError> {
        let prefix = given.trim().to_ascii_uppercase();
        let valid = !prefix.is_empty()
            && prefix.len() <= ulid::ULID_LEN
            && prefix.chars().all(|c| c.is_ascii_alphanumeric());
        if !valid {
            return Err(StoreError::InvalidId { given: given.to_owned() });
        }
        let sqlite = |e| StoreError::from_sqlite(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id FROM incidents WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 6",
            )
            .map_err(sqlite)?;
        let matches: Vec<String> =
            stmt.query_map([&prefix], |row| row.get(0)).and_then(Iterator::collect).map_err(sqlite)?;
        match matches.as_slice() {
            [] => Err(StoreError::UnknownIncident { id: given.to_owned() }),
            [one] => Ulid::from_string(one).map_err(|e| StoreError::Unreadable {
                path: self.path.clone(),
                event: one.clone(),
                reason: e.to_string(),
            }),
            _ => Err(StoreError::AmbiguousId { prefix: given.to_owned(), matches }),
        }
    }

    fn query_events<P: rusqlite::Params>(&self, sql: &str, params: P) -> Result<Vec<Event>, StoreError> {
        let rows = self.query_rows(sql, params)?;
        rows.iter()
            .map(|row| {
                row.decode().map_err(|reason| StoreError::Unreadable {
                    path: self.path.clone(),
                    event: row.id.clone(),
                    reason,
                })
            })
            .collect()
    }

    pub(super) fn query_rows<P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
    ) -> Result<Vec<Row>, StoreError> {
        let sqlite = |e| StoreError::from_sqlite(&self.path, e);
        let mut stmt = self.conn.prepare_cached(sql).map_err(sqlite)?;
        stmt.query_map(params, row_of).and_then(Iterator::collect).map_err(sqlite)
    }
}

/// Folds events ordered by incident into incidents, most recently declared first.
fn fold_each(events: Vec<Event>) -> Vec<Incident> {
    let mut incidents: Vec<Incident> =
        events.chunk_by(|a, b| a.incident == b.incident).filter_map(Incident::fold).collect();
    incidents.sort_by(|a, b| b.declared_at.cmp(&a.declared_at).then(b.id.cmp(&a.id)));
    incidents
}

/// A stored row (the columns of [`EVENT_COLUMNS`], in order).
pub(super) fn row_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: r.get(0)?,
        incident: r.get(1)?,
        at: r.get(2)?,
        recorded_at: r.get(3)?,
        origin: r.get(4)?,
        actor: r.get(5)?,
        device: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
        prev: r.get(7)?,
        hash: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
        kind: r.get(9)?,
        data: r.get(10)?,
    })
}

pub(super) fn to_sql_error(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

/// The hash of the last event `device` wrote on `incident` here, if any.
pub(super) fn head(tx: &Transaction<'_>, incident: &str, device: &str) -> rusqlite::Result<Option<String>> {
    tx.prepare_cached(
        "SELECT hash FROM events WHERE incident = ?1 AND device = ?2 ORDER BY seq DESC LIMIT 1",
    )?
    .query_row([incident, device], |r| r.get(0))
    .optional()
}

/// The event with this id as the log stores it, if the log has it.
pub(super) fn stored(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<Option<Row>> {
    tx.prepare_cached(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"))?
        .query_row([id], row_of)
        .optional()
}

/// The hash of the event with this id, if the log has it.
pub(super) fn known(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<Option<Option<String>>> {
    tx.prepare_cached("SELECT hash FROM events WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()
}

pub(super) enum Insert {
    UnknownIncident,
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for Insert {
    fn from(e: rusqlite::Error) -> Self {
        Insert::Sqlite(e)
    }
}

/// Inserts one row, with the store's errors.
pub(super) fn insert_one(tx: &Transaction<'_>, row: &Row, path: &Path) -> Result<(), StoreError> {
    insert(tx, row).map_err(|e| match e {
        Insert::UnknownIncident => StoreError::UnknownIncident { id: row.incident.clone() },
        Insert::Sqlite(e) => StoreError::from_sqlite(path, e),
    })
}

pub(super) fn insert(tx: &Transaction<'_>, row: &Row) -> Result<(), Insert> {
    if row.kind == "declared" {
        let local = serde_json::from_str::<EventKind>(&row.data)
            .is_ok_and(|k| matches!(k, EventKind::Declared { local: true, .. }));
        tx.prepare_cached("INSERT INTO incidents (id, declared_event, local) VALUES (?1, ?2, ?3)")?
            .execute(params![row.incident, row.id, local])?;
    } else {
        let known = tx
            .prepare_cached("SELECT 1 FROM incidents WHERE id = ?1")?
            .query_row([&row.incident], |_| Ok(()))
            .optional()?;
        if known.is_none() {
            return Err(Insert::UnknownIncident);
        }
    }
    tx.prepare_cached(
        "INSERT INTO events (id, incident, at, recorded_at, origin, actor, device, prev, hash, kind, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        row.id,
        row.incident,
        row.at,
        row.recorded_at,
        row.origin,
        row.actor,
        row.device,
        row.prev,
        row.hash,
        row.kind,
        row.data,
    ])?;
    Ok(())
}
