//! Appending events to the log and reading them back.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use ulid::Ulid;

use super::chain::{self, ChainHead, ChainProblem, Row};
use super::{Store, StoreError, folds};
use crate::model::{Event, EventKind, Incident};

pub(super) const EVENT_COLUMNS: &str =
    "id, incident, at, recorded_at, origin, actor, device, prev, hash, kind, data";

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
        let mut writing = Writing::default();
        for event in events.iter_mut() {
            if event.device.is_empty() {
                event.device.clone_from(&self.device);
            }
            writing.seal_and_insert(&tx, event, &path)?;
        }
        folds::fold_in(&tx, events.iter()).map_err(sqlite)?;
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

    /// The incident's events written to this log after position `after` (0: all of them), in
    /// time order, and the position they go up to: given back next time, it asks for what is new
    /// since (the window's timeline takes only that, not the whole incident, on every change). A
    /// position is the log's own write order: an event dated back, or merged from another laptop,
    /// is new here when it arrives, wherever its time puts it.
    ///
    /// # Errors
    /// As [`Store::events`].
    pub fn events_after(&self, incident: Ulid, after: i64) -> Result<(Vec<Event>, i64), StoreError> {
        // The log's end first (the last row: a lookup, not a scan), so that the position moves
        // on while the incident is quiet and others are written, and an event written between
        // the two queries is left for next time, not lost.
        let through = self.last_seq()?;
        if through <= after {
            return Ok((Vec::new(), after));
        }
        // After a position, the rows written since are found by position (`+incident` keeps
        // SQLite from walking the incident's whole index instead): what is new costs what is new,
        // however long the incident. From the start, the incident's index is the way.
        let which = if after > 0 { "seq > ?2 AND +incident = ?1" } else { "incident = ?1 AND seq > ?2" };
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE {which} AND seq <= ?3");
        let mut events = self.query_events(&sql, rusqlite::params![incident.to_string(), after, through])?;
        events.sort_unstable_by_key(|e| (e.at, e.id));
        Ok((events, through))
    }

    /// The newest `keep` events of each kind of an incident (every one of the kinds in `whole`),
    /// in time order, with how many there are of each kind, and the log's end they go up to (as
    /// [`Store::events_after`] gives it). A window that draws a page of a long incident's newest
    /// events reads only those: one indexed count and a bounded read per kind, however many
    /// events the incident has.
    ///
    /// # Errors
    /// As [`Store::events`].
    pub fn newest_of_each_kind(
        &self,
        incident: Ulid,
        keep: usize,
        whole: &[&str],
    ) -> Result<NewestOfEachKind, StoreError> {
        let sqlite = |e| StoreError::from_sqlite(&self.path, e);
        let through = self.last_seq()?;
        let id = incident.to_string();
        let counts: Vec<(String, u64)> = self
            .conn
            .prepare_cached(
                "SELECT kind, count(*) FROM events WHERE incident = ?1 AND seq <= ?2 GROUP BY kind",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![id, through], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
            })
            .map_err(sqlite)?;
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE incident = ?1 AND kind = ?2 AND seq <= ?3
             ORDER BY at DESC, seq DESC LIMIT ?4"
        );
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let mut events = Vec::new();
        for (kind, _) in &counts {
            let limit = if whole.contains(&kind.as_str()) { -1 } else { keep };
            events.extend(self.query_events(&sql, params![id, kind, through, limit])?);
        }
        events.sort_unstable_by_key(|e| (e.at, e.id));
        Ok(NewestOfEachKind { events, counts, through })
    }

    /// The incident's events of one kind (`"change_seen"`, as [`EventKind`]'s tag names it), in
    /// time order: one indexed query, however long the incident (what changed is asked about
    /// every 30 s and for every chart).
    ///
    /// # Errors
    /// As [`Store::events`].
    pub fn events_of_kind(&self, incident: Ulid, kind: &str) -> Result<Vec<Event>, StoreError> {
        let sql =
            format!("SELECT {EVENT_COLUMNS} FROM events WHERE incident = ?1 AND kind = ?2 ORDER BY at, id");
        self.query_events(&sql, [incident.to_string(), kind.to_owned()])
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

    /// The state of one incident: the state kept beside the log (`store/folds.rs`), or the fold
    /// of its events where none is kept.
    ///
    /// # Errors
    /// [`StoreError::UnknownIncident`] when it has no declared event, or as [`Store::events`].
    pub fn incident(&self, id: Ulid) -> Result<Incident, StoreError> {
        if let Some(kept) =
            folds::kept(&self.conn, &id.to_string()).map_err(|e| StoreError::from_sqlite(&self.path, e))?
        {
            return Ok(kept);
        }
        self.fold_log(id)
    }

    /// The state of one incident folded from its events, ignoring the kept state: what the kept
    /// state must always equal.
    ///
    /// # Errors
    /// As [`Store::incident`].
    pub fn fold_log(&self, id: Ulid) -> Result<Incident, StoreError> {
        let events = self.events(id)?;
        Incident::fold(&events).ok_or_else(|| StoreError::UnknownIncident { id: id.to_string() })
    }

    /// Every incident, most recently declared first.
    ///
    /// # Errors
    /// As [`Store::events`].
    pub fn incidents(&self) -> Result<Vec<Incident>, StoreError> {
        let kept = folds::all_kept(&self.conn).map_err(|e| StoreError::from_sqlite(&self.path, e))?;
        self.with_kept(kept)
    }

    /// The incidents that hold an event of this kind (its tag, e.g. `runbook_attached`), most
    /// recently declared first.
    ///
    /// # Errors
    /// As [`Store::events`].
    pub fn incidents_with(&self, kind: &str) -> Result<Vec<Incident>, StoreError> {
        let sqlite = |e| StoreError::from_sqlite(&self.path, e);
        let ids: Vec<String> = self
            .conn
            .prepare_cached("SELECT DISTINCT incident FROM events WHERE kind = ?1")
            .and_then(|mut stmt| stmt.query_map([kind], |r| r.get(0))?.collect())
            .map_err(sqlite)?;
        let mut kept = Vec::with_capacity(ids.len());
        for id in ids {
            let state = folds::kept(&self.conn, &id).map_err(sqlite)?;
            kept.push((id, state));
        }
        self.with_kept(kept)
    }

    /// The incidents named, each its kept state or else folded from the log, most recently
    /// declared first.
    fn with_kept(&self, kept: Vec<(String, Option<Incident>)>) -> Result<Vec<Incident>, StoreError> {
        let mut incidents = Vec::with_capacity(kept.len());
        for (id, state) in kept {
            match state {
                Some(state) => incidents.push(state),
                None => {
                    let id = Ulid::from_string(&id).map_err(|e| StoreError::Unreadable {
                        path: self.path.clone(),
                        event: id.clone(),
                        reason: e.to_string(),
                    })?;
                    if let Some(incident) = Incident::fold(&self.events(id)?) {
                        incidents.push(incident);
                    }
                }
            }
        }
        incidents.sort_by(|a, b| b.declared_at.cmp(&a.declared_at).then(b.id.cmp(&a.id)));
        Ok(incidents)
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

/// What [`Store::newest_of_each_kind`] read.
#[derive(Debug, Clone, PartialEq)]
pub struct NewestOfEachKind {
    /// In time order.
    pub events: Vec<Event>,
    /// Each kind the incident has events of (its tag, as [`EventKind::tag`] names it), and how
    /// many.
    pub counts: Vec<(String, u64)>,
    /// The log's end these go up to.
    pub through: i64,
}

impl From<rusqlite::Error> for Insert {
    fn from(e: rusqlite::Error) -> Self {
        Insert::Sqlite(e)
    }
}

/// What one transaction learned of the log while writing to it: each chain's head and the
/// incidents that exist, so that a batch asks the log for each once, not once per event.
#[derive(Debug, Default)]
pub(super) struct Writing {
    /// The hash of the last event each (incident, device) wrote, as of this transaction.
    heads: HashMap<(String, String), Option<String>>,
    /// Incidents known to exist.
    incidents: HashSet<String>,
}

impl Writing {
    /// The hash of the last event `device` wrote on `incident`, if any.
    pub(super) fn head(
        &mut self,
        tx: &Transaction<'_>,
        incident: &str,
        device: &str,
    ) -> rusqlite::Result<Option<String>> {
        let key = (incident.to_owned(), device.to_owned());
        if let Some(head) = self.heads.get(&key) {
            return Ok(head.clone());
        }
        let head = head(tx, incident, device)?;
        self.heads.insert(key, head.clone());
        Ok(head)
    }

    /// Writes `event` at the end of its device's chain: its `prev` and `hash` are set to what
    /// they are in the log.
    pub(super) fn seal_and_insert(
        &mut self,
        tx: &Transaction<'_>,
        event: &mut Event,
        path: &Path,
    ) -> Result<(), StoreError> {
        let sqlite = |e| StoreError::from_sqlite(path, e);
        let mut row = Row::of(event).map_err(|e| sqlite(to_sql_error(e)))?;
        row.prev = self.head(tx, &row.incident, &row.device).map_err(sqlite)?;
        row.hash = row.seal();
        self.insert_one(tx, &row, path)?;
        event.prev.clone_from(&row.prev);
        event.hash = row.hash;
        Ok(())
    }

    /// Whether the log has `incident` (in this transaction).
    pub(super) fn has_incident(&mut self, tx: &Transaction<'_>, incident: &str) -> rusqlite::Result<bool> {
        if self.incidents.contains(incident) {
            return Ok(true);
        }
        let known = tx
            .prepare_cached("SELECT 1 FROM incidents WHERE id = ?1")?
            .query_row([incident], |_| Ok(()))
            .optional()?
            .is_some();
        if known {
            self.incidents.insert(incident.to_owned());
        }
        Ok(known)
    }

    /// Inserts one row, with the store's errors.
    pub(super) fn insert_one(
        &mut self,
        tx: &Transaction<'_>,
        row: &Row,
        path: &Path,
    ) -> Result<(), StoreError> {
        self.insert(tx, row).map_err(|e| match e {
            Insert::UnknownIncident => StoreError::UnknownIncident { id: row.incident.clone() },
            Insert::Sqlite(e) => StoreError::from_sqlite(path, e),
        })
    }

    /// Inserts one row: a declaration creates its incident, any other event needs one.
    pub(super) fn insert(&mut self, tx: &Transaction<'_>, row: &Row) -> Result<(), Insert> {
        if row.kind == "declared" {
            let local = serde_json::from_str::<EventKind>(&row.data)
                .is_ok_and(|k| matches!(k, EventKind::Declared { local: true, .. }));
            tx.prepare_cached("INSERT INTO incidents (id, declared_event, local) VALUES (?1, ?2, ?3)")?
                .execute(params![row.incident, row.id, local])?;
            self.incidents.insert(row.incident.clone());
        } else if !self.has_incident(tx, &row.incident)? {
            return Err(Insert::UnknownIncident);
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
        self.heads.insert((row.incident.clone(), row.device.clone()), Some(row.hash.clone()));
        Ok(())
    }
}
