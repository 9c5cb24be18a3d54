//! Appending events to the log and reading them back.

use rusqlite::{OptionalExtension, Row, Transaction, TransactionBehavior, params};
use ulid::Ulid;

use super::{Store, StoreError};
use crate::model::{Event, EventKind, Incident};
use crate::time;

const EVENT_COLUMNS: &str = "id, incident, at, recorded_at, origin, actor, data";

impl Store {
    /// Appends events in one transaction; returns once they are durable.
    ///
    /// A declared event creates its incident; any other event must belong to an incident that
    /// exists already (or is declared earlier in the same batch). Either every event is written
    /// or none is.
    ///
    /// # Errors
    /// [`StoreError::UnknownIncident`] for an event of an incident that was never declared,
    /// [`StoreError::Locked`] when another process holds the file past the busy timeout,
    /// [`StoreError::Sqlite`] for anything else SQLite refuses (a duplicate event id).
    pub fn append(&mut self, events: &[Event]) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        for event in events {
            insert_one(&tx, event, &path)?;
        }
        tx.commit().map_err(sqlite)
    }

    /// Adds the events not in the log yet (by id), in one transaction, the declared event first:
    /// importing an exported incident twice changes nothing. Returns how many were added.
    ///
    /// # Errors
    /// As [`Store::append`]; nothing is written then.
    pub fn import(&mut self, events: &[Event]) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let mut ordered: Vec<&Event> = events.iter().collect();
        ordered.sort_by_key(|e| (!matches!(e.kind, EventKind::Declared { .. }), e.at));
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        let mut added = 0;
        for event in ordered {
            let known = tx
                .prepare_cached("SELECT 1 FROM events WHERE id = ?1")
                .and_then(|mut stmt| stmt.query_row([event.id.to_string()], |_| Ok(())).optional())
                .map_err(sqlite)?;
            if known.is_some() {
                continue;
            }
            insert_one(&tx, event, &path)?;
            added += 1;
        }
        tx.commit().map_err(sqlite)?;
        Ok(added)
    }

    /// Every event of an incident, in time order (`at`, then the order they were written).
    ///
    /// # Errors
    /// [`StoreError::Unreadable`] for an event this build cannot decode, [`StoreError::Sqlite`].
    pub fn events(&self, incident: Ulid) -> Result<Vec<Event>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE incident = ?1 ORDER BY at, seq");
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
                 ORDER BY at DESC, seq DESC LIMIT 1",
                [incident.to_string()],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map(|kind| kind.as_deref() == Some("resolved"))
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
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
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY incident, at, seq");
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
             ORDER BY incident, at, seq"
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
        let sqlite = |e| StoreError::from_sqlite(&self.path, e);
        let mut stmt = self.conn.prepare_cached(sql).map_err(sqlite)?;
        let rows: Vec<RawEvent> =
            stmt.query_map(params, RawEvent::from_row).and_then(Iterator::collect).map_err(sqlite)?;
        rows.into_iter().map(|raw| raw.decode(&self.path)).collect()
    }
}

/// Folds events ordered by incident into incidents, most recently declared first.
fn fold_each(events: Vec<Event>) -> Vec<Incident> {
    let mut incidents: Vec<Incident> =
        events.chunk_by(|a, b| a.incident == b.incident).filter_map(Incident::fold).collect();
    incidents.sort_by(|a, b| b.declared_at.cmp(&a.declared_at).then(b.id.cmp(&a.id)));
    incidents
}

enum Insert {
    UnknownIncident,
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for Insert {
    fn from(e: rusqlite::Error) -> Self {
        Insert::Sqlite(e)
    }
}

/// Inserts one event, with the store's errors.
fn insert_one(tx: &Transaction<'_>, event: &Event, path: &std::path::Path) -> Result<(), StoreError> {
    insert(tx, event).map_err(|e| match e {
        Insert::UnknownIncident => StoreError::UnknownIncident { id: event.incident.to_string() },
        Insert::Sqlite(e) => StoreError::from_sqlite(path, e),
    })
}

fn insert(tx: &Transaction<'_>, event: &Event) -> Result<(), Insert> {
    let incident = event.incident.to_string();
    let id = event.id.to_string();
    if let EventKind::Declared { .. } = event.kind {
        tx.prepare_cached("INSERT INTO incidents (id, declared_event) VALUES (?1, ?2)")?
            .execute(params![incident, id])?;
    } else {
        let known = tx
            .prepare_cached("SELECT 1 FROM incidents WHERE id = ?1")?
            .query_row([&incident], |_| Ok(()))
            .optional()?;
        if known.is_none() {
            return Err(Insert::UnknownIncident);
        }
    }
    let data = serde_json::to_string(&event.kind)
        .map_err(|e| Insert::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
    tx.prepare_cached(
        "INSERT INTO events (id, incident, at, recorded_at, origin, actor, kind, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        id,
        incident,
        time::to_db(event.at),
        time::to_db(event.recorded_at),
        event.origin,
        event.by,
        event.kind.tag(),
        data,
    ])?;
    Ok(())
}

/// A row as SQLite gives it, before the text is decoded into an [`Event`].
struct RawEvent {
    id: String,
    incident: String,
    at: String,
    recorded_at: String,
    origin: String,
    by: Option<String>,
    data: String,
}

impl RawEvent {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<RawEvent> {
        Ok(RawEvent {
            id: row.get(0)?,
            incident: row.get(1)?,
            at: row.get(2)?,
            recorded_at: row.get(3)?,
            origin: row.get(4)?,
            by: row.get(5)?,
            data: row.get(6)?,
        })
    }

    fn decode(self, path: &std::path::Path) -> Result<Event, StoreError> {
        let unreadable =
            |reason: String| StoreError::Unreadable { path: path.to_owned(), event: self.id.clone(), reason };
        Ok(Event {
            id: Ulid::from_string(&self.id).map_err(|e| unreadable(format!("id: {e}")))?,
            incident: Ulid::from_string(&self.incident).map_err(|e| unreadable(format!("incident: {e}")))?,
            at: time::parse(&self.at).map_err(|e| unreadable(e.to_string()))?,
            recorded_at: time::parse(&self.recorded_at).map_err(|e| unreadable(e.to_string()))?,
            kind: serde_json::from_str(&self.data).map_err(|e| unreadable(e.to_string()))?,
            origin: self.origin,
            by: self.by,
        })
    }
}
