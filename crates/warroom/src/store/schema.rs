//! The schema and its migrations.
//!
//! Migrations are append-only: a released one is never edited, a change is a new one at the end.
//! `user_version` counts how many have run (rusqlite_migration's convention), and
//! `application_id` marks the file as warroom's.

use std::path::Path;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use super::{APPLICATION_ID, StoreError};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert_eq!(migrations().validate(), Ok(()));
    }
}
