//! Each incident's state kept beside its log, so that validating an append costs as much on an
//! incident of a million events as on one of ten.
//!
//! The state is the fold of the log ([`Incident::fold`]), kept in `incident_state` and brought up
//! to date in the transaction of every write that adds events (append, merge, import): a crash
//! keeps both or neither. Events nearly always arrive in time order, and are then applied to the
//! kept state one by one. An event that arrives late (a scribe's note dated back, a teammate's
//! change pulled from the hub after later ones were written here) is applied as it comes when its
//! kind gives the same state wherever it falls ([`Incident::applies_in_any_order`]); for any
//! other, the incident is folded again from the last checkpoint before it
//! (`incident_checkpoints`, one every [`CHECKPOINT_EVERY`] events), so a late event costs at most
//! that many events plus those after it, never the whole log.
//!
//! A log from before this table, or whose state another version of the fold made
//! ([`FOLD_VERSION`]), has its incidents folded once when it is opened. The log stays the truth:
//! an incident without a kept state (an event this build cannot read) is folded from the log on
//! every read, as before.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::StoreError;
use super::events::{EVENT_COLUMNS, row_of};
use crate::model::{Event, EventKind, Incident};
use crate::time;

/// The version of [`Incident::fold`] the kept states were made with. Bump it whenever the fold
/// changes what it makes of a log: states of another version are folded again at open.
pub(super) const FOLD_VERSION: i64 = 1;

/// How many events apart the checkpoints are: the most a late event makes the log fold again,
/// besides the events after it.
#[cfg(not(test))]
pub const CHECKPOINT_EVERY: usize = 1024;
/// Close together in unit tests, so that a few hundred events cross many checkpoints.
#[cfg(test)]
pub const CHECKPOINT_EVERY: usize = 16;

/// An event's place in the fold's order, as the log stores it (`at` sorts as text).
type Key = (String, String);

fn key_of(event: &Event) -> Key {
    (time::to_db(event.at), event.id.to_string())
}

/// The kept state of `incident`, if there is one of this fold's version that this build reads.
pub(super) fn kept(conn: &Connection, incident: &str) -> rusqlite::Result<Option<Incident>> {
    Ok(kept_with_key(conn, incident)?.map(|(_, state)| state))
}

/// Every incident's kept state (`None` where there is none this build reads), in no order.
pub(super) fn all_kept(conn: &Connection) -> rusqlite::Result<Vec<(String, Option<Incident>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.id, s.state FROM incidents i
         LEFT JOIN incident_state s ON s.incident = i.id AND s.fold = ?1",
    )?;
    stmt.query_map([FOLD_VERSION], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?
        .map(|row| row.map(|(id, state)| (id, state.and_then(|s| serde_json::from_str(&s).ok()))))
        .collect()
}

fn kept_with_key(conn: &Connection, incident: &str) -> rusqlite::Result<Option<(Key, Incident)>> {
    let row = conn
        .prepare_cached("SELECT at, id, state FROM incident_state WHERE incident = ?1 AND fold = ?2")?
        .query_row(params![incident, FOLD_VERSION], |r| {
            Ok(((r.get::<_, String>(0)?, r.get::<_, String>(1)?), r.get::<_, String>(2)?))
        })
        .optional()?;
    Ok(row.and_then(|(key, state)| Some((key, serde_json::from_str(&state).ok()?))))
}

fn encode(state: &Incident) -> rusqlite::Result<String> {
    serde_json::to_string(state).map_err(super::events::to_sql_error)
}

fn keep(tx: &Transaction<'_>, incident: &str, key: &Key, state: &Incident) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO incident_state (incident, fold, at, id, state) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (incident) DO UPDATE
         SET fold = excluded.fold, at = excluded.at, id = excluded.id, state = excluded.state",
    )?
    .execute(params![incident, FOLD_VERSION, key.0, key.1, encode(state)?])?;
    Ok(())
}

fn checkpoint(tx: &Transaction<'_>, incident: &str, key: &Key, state: &Incident) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO incident_checkpoints (incident, at, id, state) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![incident, key.0, key.1, encode(state)?])?;
    Ok(())
}

/// Drops what is kept of `incident`: it is folded from the log until it is built again.
fn forget(tx: &Transaction<'_>, incident: &str) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM incident_state WHERE incident = ?1")?.execute([incident])?;
    tx.prepare_cached("DELETE FROM incident_checkpoints WHERE incident = ?1")?.execute([incident])?;
    Ok(())
}

/// Brings the kept states up to date with `events`, just written in `tx` (any incidents, any
/// order).
pub(super) fn fold_in<'a>(
    tx: &Transaction<'_>,
    events: impl IntoIterator<Item = &'a Event>,
) -> rusqlite::Result<()> {
    let mut by_incident: BTreeMap<String, Vec<&Event>> = BTreeMap::new();
    for event in events {
        by_incident.entry(event.incident.to_string()).or_default().push(event);
    }
    for (incident, events) in by_incident {
        fold_fresh(tx, &incident, events)?;
    }
    Ok(())
}

fn fold_fresh(tx: &Transaction<'_>, incident: &str, mut events: Vec<&Event>) -> rusqlite::Result<()> {
    events.sort_by_key(|e| (e.at, e.id));
    let Some((head, mut state)) = kept_with_key(tx, incident)? else {
        return refold(tx, incident, None);
    };
    // Compared as values, not as text: the same order (the text is fixed-width), without
    // writing every event's key.
    let Some(head_at) = time::parse(&head.0).ok().zip(ulid::Ulid::from_string(&head.1).ok()) else {
        return refold(tx, incident, None);
    };
    let (late, on_time): (Vec<&Event>, Vec<&Event>) =
        events.into_iter().partition(|e| (e.at, e.id) < head_at);
    if late.iter().any(|e| !Incident::applies_in_any_order(&e.kind)) {
        // From the earliest late event (`late` is in time order): the log has them all now.
        return refold(tx, incident, late.first().map(|e| key_of(e)));
    }
    for event in &late {
        state.apply(event);
        amend_checkpoints_after(tx, incident, &key_of(event), event)?;
    }
    for event in &on_time {
        state.apply(event);
        if state.events % CHECKPOINT_EVERY == 0 {
            checkpoint(tx, incident, &key_of(event), &state)?;
        }
    }
    let last = on_time.last().map_or(head, |e| key_of(e));
    keep(tx, incident, &last, &state)
}

/// Applies a late event that applies in any order to the checkpoints after it.
fn amend_checkpoints_after(
    tx: &Transaction<'_>,
    incident: &str,
    key: &Key,
    event: &Event,
) -> rusqlite::Result<()> {
    let after: Vec<(i64, String)> = tx
        .prepare_cached(
            "SELECT rowid, state FROM incident_checkpoints WHERE incident = ?1 AND (at, id) > (?2, ?3)",
        )?
        .query_map(params![incident, key.0, key.1], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (rowid, state) in after {
        match serde_json::from_str::<Incident>(&state) {
            Ok(mut state) => {
                state.apply(event);
                tx.prepare_cached("UPDATE incident_checkpoints SET state = ?1 WHERE rowid = ?2")?
                    .execute(params![encode(&state)?, rowid])?;
            }
            Err(_) => {
                tx.prepare_cached("DELETE FROM incident_checkpoints WHERE rowid = ?1")?.execute([rowid])?;
            }
        }
    }
    Ok(())
}

/// Folds `incident` again from the last checkpoint before `from` (from its declaration when
/// `from` is `None` or no checkpoint comes before it), reading the log in time order, one event
/// at a time; checkpoints from `from` on are made again. An incident whose log holds an event
/// this build cannot read keeps no state.
fn refold(tx: &Transaction<'_>, incident: &str, from: Option<Key>) -> rusqlite::Result<()> {
    let base = match &from {
        None => None,
        Some(from) => {
            tx.prepare_cached(
                "DELETE FROM incident_checkpoints WHERE incident = ?1 AND (at, id) >= (?2, ?3)",
            )?
            .execute(params![incident, from.0, from.1])?;
            tx.prepare_cached(
                "SELECT at, id, state FROM incident_checkpoints WHERE incident = ?1 AND (at, id) < (?2, ?3)
                 ORDER BY at DESC, id DESC LIMIT 1",
            )?
            .query_row(params![incident, from.0, from.1], |r| {
                Ok(((r.get::<_, String>(0)?, r.get::<_, String>(1)?), r.get::<_, String>(2)?))
            })
            .optional()?
            .and_then(|(key, state)| Some((key, serde_json::from_str::<Incident>(&state).ok()?)))
        }
    };
    let (mut state, mut last) = match base {
        Some((key, state)) => (state, key),
        None => {
            forget(tx, incident)?;
            let declared = tx
                .prepare_cached(&format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE incident = ?1 AND kind = 'declared'
                     ORDER BY at, id LIMIT 1"
                ))?
                .query_row([incident], row_of)
                .optional()?;
            let Some(state) = declared.and_then(|row| Incident::declared(&row.decode().ok()?)) else {
                return Ok(());
            };
            (state, (String::new(), String::new()))
        }
    };
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE incident = ?1 AND (at, id) > (?2, ?3) ORDER BY at, id"
    ))?;
    let rows = stmt.query_map(params![incident, last.0, last.1], row_of)?;
    for row in rows {
        let row = row?;
        let Ok(event) = row.decode() else {
            return forget(tx, incident);
        };
        let key = (row.at, row.id);
        // The declaration is the state's start (one per incident: the incidents table's key).
        if !matches!(event.kind, EventKind::Declared { .. }) {
            state.apply(&event);
            if state.events % CHECKPOINT_EVERY == 0 {
                checkpoint(tx, incident, &key, &state)?;
            }
        }
        last = key;
    }
    keep(tx, incident, &last, &state)
}

/// Folds, once, every incident that has no kept state of this fold's version: a log from before
/// kept states, or from a build whose fold differs. One transaction.
pub(super) fn build_missing(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let sqlite = |e| StoreError::from_sqlite(path, e);
    let missing: Vec<String> = conn
        .prepare(
            "SELECT id FROM incidents
             WHERE id NOT IN (SELECT incident FROM incident_state WHERE fold = ?1)",
        )
        .and_then(|mut stmt| stmt.query_map([FOLD_VERSION], |r| r.get(0))?.collect())
        .map_err(sqlite)?;
    if missing.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
    for incident in &missing {
        refold(&tx, incident, None).map_err(sqlite)?;
    }
    tx.commit().map_err(sqlite)
}

/// Drops every kept state (the events changed under them: sealed as this device's); they are
/// built again from the log.
pub(super) fn forget_all(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch("DELETE FROM incident_state; DELETE FROM incident_checkpoints;")
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use ulid::Ulid;

    use super::*;
    use crate::model::{Role, Severity, Stage};
    use crate::store::Store;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap()
    }

    fn event(id: Ulid, second: i64, kind: EventKind) -> Event {
        let at = t0() + Duration::seconds(second);
        Event::new(id, at, at, "test", Some("tester".into()), kind)
    }

    /// A kind of every sort: some apply in any order, most do not.
    fn kind(rng: &mut fastrand::Rng) -> EventKind {
        match rng.u8(0..12) {
            0..=3 => EventKind::Note { text: format!("note {}", rng.u32(..)) },
            4 => EventKind::StageEntered { stage: Stage::ALL[rng.usize(0..5)] },
            5 => EventKind::SeverityChanged {
                severity: [Severity::Sev1, Severity::Sev2, Severity::Sev3][rng.usize(0..3)],
            },
            6 => EventKind::RoleAssigned { role: Role::Scribe, name: format!("p{}", rng.u8(0..4)) },
            7 => EventKind::HealthChanged {
                node: format!("n{}", rng.u8(0..6)),
                from: crate::model::Health::Healthy,
                to: crate::model::Health::Down,
                reason: String::new(),
            },
            8 => EventKind::AlertFired {
                name: "a".into(),
                node: "n".into(),
                severity: "critical".into(),
                summary: String::new(),
                fingerprint: format!("f{}", rng.u8(0..3)),
                starts_at: t0() + Duration::seconds(rng.i64(0..1000)),
            },
            9 => EventKind::AlertResolved {
                name: "a".into(),
                node: "n".into(),
                fingerprint: format!("f{}", rng.u8(0..3)),
            },
            10 => EventKind::Resolved,
            _ => EventKind::Reopened,
        }
    }

    fn assert_kept_is_fold(store: &Store, id: Ulid, when: &str) {
        let kept = kept(&store.conn, &id.to_string()).unwrap().expect("a kept state");
        assert_eq!(kept, store.fold_log(id).unwrap(), "{when}");
    }

    /// Appends in batches of every size, mostly in time order, some late (a little, or far back,
    /// across several checkpoints), on two incidents at once: after every batch the kept state is
    /// the fold of the log.
    #[test]
    fn the_kept_state_is_always_the_fold_of_the_log() {
        for seed in 0..12 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let dir = tempfile::tempdir().unwrap();
            let mut store = Store::open(&dir.path().join("log.db")).unwrap();
            let ids = [Ulid::new(), Ulid::new()];
            let declarations = [Severity::Sev2, Severity::Sev3].map(|severity| EventKind::Declared {
                title: "t".into(),
                severity,
                commander: None,
                local: false,
            });
            let mut declared: Vec<Event> =
                ids.iter().zip(declarations).map(|(id, kind)| event(*id, 100, kind)).collect();
            store.append(&mut declared).unwrap();
            let mut clock = 100;
            for round in 0..40 {
                let size = rng.usize(1..12);
                let mut batch = Vec::with_capacity(size);
                for _ in 0..size {
                    clock += rng.i64(0..3);
                    let second = match rng.u8(0..10) {
                        0 => clock - rng.i64(1..5),
                        1 => rng.i64(0..clock),
                        _ => clock,
                    };
                    batch.push(event(ids[rng.usize(0..2)], second, kind(&mut rng)));
                }
                store.append(&mut batch).unwrap();
                for id in ids {
                    assert_kept_is_fold(&store, id, &format!("seed {seed}, round {round}"));
                }
            }
            let checkpoints: i64 =
                store.conn.query_row("SELECT count(*) FROM incident_checkpoints", [], |r| r.get(0)).unwrap();
            assert!(checkpoints >= 4, "seed {seed}: the test crossed {checkpoints} checkpoints");
        }
    }

    /// A failed batch leaves the kept state as it was: it is written in the same transaction.
    #[test]
    fn a_refused_batch_changes_no_kept_state() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("log.db")).unwrap();
        let id = Ulid::new();
        let declared = EventKind::Declared {
            title: "t".into(),
            severity: Severity::Sev2,
            commander: None,
            local: false,
        };
        store.append(&mut [event(id, 0, declared)]).unwrap();
        let before = store.incident(id).unwrap();
        let mut batch = [
            event(id, 1, EventKind::StageEntered { stage: Stage::Identify }),
            event(Ulid::new(), 2, EventKind::Note { text: "of no incident".into() }),
        ];
        assert!(store.append(&mut batch).is_err());
        assert_eq!(store.incident(id).unwrap(), before);
        assert_kept_is_fold(&store, id, "after a refused batch");
    }
}
