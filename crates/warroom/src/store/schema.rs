//! The schema and its migrations.
//!
//! Migrations are append-only: a released one is never edited, a change is a new one at the end.
//! `user_version` counts how many have run (rusqlite_migration's convention), and
//! `application_id` marks the file as warroom's.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

use super::{APPLICATION_ID, Row, StoreError};

/// Every migration, oldest first. Append only.
const MIGRATIONS: &[M<'static>] = &[
    M::up(
        "CREATE TABLE incidents (
        id TEXT PRIMARY KEY NOT NULL,
        declared_event TEXT NOT NULL
    ) STRICT;
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        incident TEXT NOT NULL REFERENCES incidents (id),
        at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        origin TEXT NOT NULL,
        actor TEXT,
        kind TEXT NOT NULL,
        data TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_by_incident_time ON events (incident, at, seq);
    CREATE TRIGGER events_are_never_updated BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the incident log is append-only'); END;
    CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the incident log is append-only'); END;",
    ),
    // Every alert ever seen, by fingerprint: Alertmanager keeps no history, so this is how an
    // incident knows when its first alert fired. A cache of observations, not the incident log:
    // `last_seen` moves.
    M::up(
        "CREATE TABLE alerts_seen (
        fingerprint TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        node TEXT NOT NULL,
        severity TEXT NOT NULL,
        summary TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    ) STRICT;",
    ),
    // Metric samples of an incident's affected nodes, for the postmortem's charts and replay:
    // high-rate observations, so a table keyed by (incident, series, time), not events.
    M::up(
        "CREATE TABLE samples (
        incident TEXT NOT NULL REFERENCES incidents (id),
        node TEXT NOT NULL,
        metric TEXT NOT NULL,
        at TEXT NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (incident, node, metric, at)
    ) STRICT, WITHOUT ROWID;",
    ),
    // Recording asks every cycle whether its incident was resolved, and runbook checks which
    // incidents have a runbook: by kind, without reading the incident's whole log.
    M::up("CREATE INDEX events_by_incident_kind ON events (incident, kind, at, seq);"),
    // Team sync. Each event names the device that wrote it and is chained by hash to that
    // device's previous event on the incident; events written before are sealed once, as this
    // device's, when the log is opened (`seal_unsealed`): the chain columns may be filled in
    // while empty, and never changed after. Events sort by (at, id) on every laptop. A local
    // incident is never pushed; samples remember whether they were; `sync_state` keeps, per hub,
    // how far this log was pushed and pulled; `sync_pulled` the local rows that came from the hub
    // (not to be pushed back); `sync_problems` what a pull refused to fold and why.
    M::up(
        "ALTER TABLE events ADD COLUMN device TEXT;
    ALTER TABLE events ADD COLUMN prev TEXT;
    ALTER TABLE events ADD COLUMN hash TEXT;
    DROP TRIGGER events_are_never_updated;
    CREATE TRIGGER events_are_never_updated
        BEFORE UPDATE OF seq, id, incident, at, recorded_at, origin, actor, kind, data ON events
        BEGIN SELECT RAISE(ABORT, 'the incident log is append-only'); END;
    CREATE TRIGGER events_chains_are_sealed
        BEFORE UPDATE OF device, prev, hash ON events WHEN OLD.hash IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'the incident log is append-only: an event''s seal never changes'); END;
    CREATE INDEX events_by_chain ON events (incident, device, seq);
    CREATE INDEX events_by_seal ON events (hash);
    CREATE INDEX events_by_incident_order ON events (incident, at, id);
    ALTER TABLE incidents ADD COLUMN local INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE samples ADD COLUMN pushed INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX samples_to_push ON samples (pushed) WHERE pushed = 0;
    CREATE TABLE sync_state (
        hub TEXT PRIMARY KEY NOT NULL,
        events_cursor INTEGER NOT NULL DEFAULT 0,
        samples_cursor INTEGER NOT NULL DEFAULT 0,
        pushed_seq INTEGER NOT NULL DEFAULT 0,
        last_pull_at TEXT,
        last_push_at TEXT
    ) STRICT;
    CREATE TABLE sync_pulled (
        hub TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (hub, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE sync_problems (
        event TEXT PRIMARY KEY NOT NULL,
        incident TEXT NOT NULL,
        device TEXT NOT NULL,
        reason TEXT NOT NULL,
        seen_at TEXT NOT NULL
    ) STRICT;",
    ),
    // Stakeholder updates: the queue is the log's `update_queued` events (with no `update_sent`
    // or `update_failed` after them); this laptop's attempts at delivering each are kept beside
    // it: how many, the last error, when to try again, and whether one was under way when the
    // process stopped (its outcome unknown).
    M::up(
        "CREATE TABLE outbox (
        update_id TEXT PRIMARY KEY NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_try TEXT,
        in_flight INTEGER NOT NULL DEFAULT 0
    ) STRICT;",
    ),
    // Each incident's state kept beside its log (`store/folds.rs`), so a command validates an
    // append without folding the whole log: `incident_state` is the fold of every event of the
    // incident, with the (at, id) of its last event in time order and the version of the fold
    // that made it; `incident_checkpoints` the fold up to an (at, id) every so many events, for
    // an event arriving late to be folded in from there. Built when a log is opened (rows of
    // another fold version are built again), kept in the transaction of every write.
    //
    // Two indexes go, for appends: every index is written on every append. `events_by_seal`
    // (hash) put each new event at a random place (hashes are random), so a batch of 100 events
    // dirtied some 100 pages of it; a merge finds the event a row follows as its chain's head
    // (`store/merge.rs`), and only a fork looks further, along its device's chain
    // (`events_by_chain`). What remains of its use, events not sealed yet (a log from before
    // chains), has a partial index that stays empty. `events_by_incident_time` (incident, at,
    // seq) serves nothing `events_by_incident_order` (incident, at, id) does not.
    M::up(
        "DROP INDEX events_by_seal;
    CREATE INDEX events_unsealed ON events (seq) WHERE hash IS NULL;
    DROP INDEX events_by_incident_time;
    CREATE TABLE incident_state (
        incident TEXT PRIMARY KEY NOT NULL REFERENCES incidents (id),
        fold INTEGER NOT NULL,
        at TEXT NOT NULL,
        id TEXT NOT NULL,
        state TEXT NOT NULL
    ) STRICT;
    CREATE TABLE incident_checkpoints (
        incident TEXT NOT NULL REFERENCES incidents (id),
        at TEXT NOT NULL,
        id TEXT NOT NULL,
        state TEXT NOT NULL,
        UNIQUE (incident, at, id)
    ) STRICT;",
    ),
];

/// The schema version this build writes.
pub(crate) fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// Reads, without writing anything, whether the file may be opened as a warroom log.
pub(super) fn inspect(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let sqlite = |e| StoreError::from_sqlite(path, e);
    let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(sqlite)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(sqlite)?;
    let objects: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).map_err(sqlite)?;
    let empty = app_id == 0 && version == 0 && objects == 0;
    if app_id != APPLICATION_ID && !empty {
        return Err(StoreError::ForeignDatabase { path: path.to_owned() });
    }
    if version > latest() {
        return Err(StoreError::TooNew { path: path.to_owned(), found: version, supported: latest() });
    }
    Ok(())
}

/// Brings the file to the latest schema, marking a new file as warroom's.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let sqlite = |e| StoreError::from_sqlite(path, e);
    let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(sqlite)?;
    if app_id == 0 {
        conn.pragma_update(None, "application_id", APPLICATION_ID).map_err(sqlite)?;
    }
    migrations().to_latest(conn).map_err(|e| match e {
        rusqlite_migration::Error::RusqliteError { err, .. } => StoreError::from_sqlite(path, err),
        other => StoreError::CannotOpen { path: path.to_owned(), reason: other.to_string() },
    })
}

/// Seals the events written before chains existed, as `device`'s, in the order they were
/// written: once, when a log from an older warroom is first opened.
pub(super) fn seal_unsealed(conn: &mut Connection, path: &Path, device: &str) -> Result<(), StoreError> {
    let sqlite = |e| StoreError::from_sqlite(path, e);
    let any: Option<i64> = conn
        .query_row("SELECT seq FROM events WHERE hash IS NULL LIMIT 1", [], |r| r.get(0))
        .optional()
        .map_err(sqlite)?;
    if any.is_none() {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
    let unsealed: Vec<(i64, Row)> = {
        let mut stmt = tx
            .prepare(
                "SELECT id, incident, at, recorded_at, origin, actor, device, prev, hash, kind, data, seq
                 FROM events WHERE hash IS NULL ORDER BY seq",
            )
            .map_err(sqlite)?;
        stmt.query_map([], |r| Ok((r.get(11)?, super::events::row_of(r)?)))
            .and_then(Iterator::collect)
            .map_err(sqlite)?
    };
    for (seq, mut row) in unsealed {
        row.device = device.to_owned();
        row.prev = super::events::head(&tx, &row.incident, device).map_err(sqlite)?;
        row.hash = row.seal();
        tx.execute(
            "UPDATE events SET device = ?1, prev = ?2, hash = ?3 WHERE seq = ?4",
            rusqlite::params![row.device, row.prev, row.hash, seq],
        )
        .map_err(sqlite)?;
    }
    // The events now say which device wrote them, and so may the states folded from them.
    super::folds::forget_all(&tx).map_err(sqlite)?;
    tx.commit().map_err(sqlite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert_eq!(migrations().validate(), Ok(()));
    }
}
