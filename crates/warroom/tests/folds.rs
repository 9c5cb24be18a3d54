//! The state kept beside the log (`store/folds.rs`) on real files: always the fold of the log,
//! after appends on a long incident, after events from another laptop arriving out of time
//! order, and on a log written before states were kept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use ulid::Ulid;
use warroom::model::{Event, EventKind, Incident, Role, Severity, Stage};
use warroom::ops::{self, Actor, Declaration};
use warroom::store::{CHECKPOINT_EVERY, Store};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 3, 0, 0).unwrap()
}

fn actor(seconds: i64) -> Actor {
    Actor { origin: "test".into(), by: Some("tester".into()), now: t0() + Duration::seconds(seconds) }
}

fn declare(store: &mut Store) -> Ulid {
    let decl = Declaration {
        title: "checkout down".into(),
        severity: Severity::Sev2,
        commander: None,
        at: None,
        local: false,
    };
    ops::declare(store, &actor(0), decl).unwrap().id
}

fn at(id: Ulid, millis: i64, kind: EventKind) -> Event {
    let at = t0() + Duration::milliseconds(millis);
    Event::new(id, at, at, "test", None, kind)
}

fn note(id: Ulid, millis: i64) -> Event {
    at(id, millis, EventKind::Note { text: format!("note {millis}") })
}

/// The kept state, checked against a fold of the whole log, and checked to be kept (a missing
/// row would make `incident` fold the log, and the comparison hold trivially).
fn state(store: &Store, id: Ulid) -> Incident {
    let rows: i64 = raw(store.path())
        .query_row("SELECT count(*) FROM incident_state WHERE incident = ?1", [id.to_string()], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1, "the incident's state is kept");
    let kept = store.incident(id).unwrap();
    assert_eq!(kept, store.fold_log(id).unwrap(), "the kept state is the fold of the log");
    kept
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn a_long_incident_keeps_its_state_through_late_events_of_every_sort() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.db");
    let mut store = Store::open(&path).unwrap();
    let id = declare(&mut store);
    let events = 3 * CHECKPOINT_EVERY + 100;
    let mut batch: Vec<Event> = (1..events as i64).map(|n| note(id, n * 1000)).collect();
    store.append(&mut batch).unwrap();
    assert_eq!(state(&store, id).events, events);
    let checkpoints: i64 =
        raw(&path).query_row("SELECT count(*) FROM incident_checkpoints", [], |r| r.get(0)).unwrap();
    assert_eq!(checkpoints, 3);

    // A stage entered long ago, written now: folded again from the checkpoint before it.
    ops::enter_stage(&mut store, &actor(5000), id, Stage::Recover, Some(t0() + Duration::seconds(1500)))
        .unwrap();
    // A stage entered after it, but written before the one that came earlier in time.
    store.append(&mut [at(id, 1_200_500, EventKind::StageEntered { stage: Stage::Identify })]).unwrap();
    let incident = state(&store, id);
    assert_eq!(incident.stage, Stage::Recover);
    assert_eq!(
        incident.stage_log.iter().map(|v| v.stage).collect::<Vec<_>>(),
        [Stage::Detect, Stage::Identify, Stage::Recover]
    );
    // A note dated back before every checkpoint: taken as it comes, the checkpoints amended.
    ops::add_note(&mut store, &actor(5000), id, "seen before the page", Some(t0() - Duration::hours(1)))
        .unwrap();
    state(&store, id);
    // And a role assigned before the first checkpoint, after that note: folded again from the start.
    store
        .append(&mut [at(id, 500, EventKind::RoleAssigned { role: Role::Scribe, name: "Jun".into() })])
        .unwrap();
    assert_eq!(state(&store, id).roles.get(Role::Scribe), Some("Jun"));
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(state(&store, id).events, events + 4);
}

#[test]
fn events_from_another_laptop_arriving_out_of_order_keep_the_state_exact() {
    let dir = tempfile::tempdir().unwrap();
    let mut mine = Store::open(&dir.path().join("mina.db")).unwrap();
    mine.set_device("mina-laptop");
    let mut theirs = Store::open(&dir.path().join("joon.db")).unwrap();
    theirs.set_device("joon-laptop");
    let id = declare(&mut mine);
    theirs.merge(&mine.rows(id).unwrap()).unwrap();

    // Both write over the same minutes, offline; Joon's laptop is behind on everything.
    for minute in 1..=40 {
        let when = Some(t0() + Duration::minutes(minute));
        ops::add_note(&mut mine, &actor(3600), id, &format!("mina {minute}"), when).unwrap();
        if minute % 10 == 0 {
            ops::change_severity(&mut mine, &actor(3600), id, Severity::ALL[minute as usize % 4], when).ok();
        }
        let earlier = Some(t0() + Duration::minutes(minute) - Duration::seconds(30));
        ops::add_note(&mut theirs, &actor(3600), id, &format!("joon {minute}"), earlier).unwrap();
        if minute % 7 == 0 {
            let stage = Stage::ALL[minute as usize % Stage::ALL.len()];
            ops::enter_stage(&mut theirs, &actor(3600), id, stage, earlier).ok();
            ops::assign_role(&mut theirs, &actor(3600), id, Role::Scribe, &format!("joon {minute}"), earlier)
                .ok();
        }
    }
    // Joon's chain arrives in pieces, each of them late for Mina's log.
    let rows: Vec<_> = theirs.rows(id).unwrap().into_iter().filter(|r| r.device == "joon-laptop").collect();
    for piece in rows.chunks(9) {
        let merged = mine.merge(piece).unwrap();
        assert!(merged.problems.is_empty(), "{:?}", merged.problems);
        state(&mine, id);
    }
    theirs.merge(&mine.rows(id).unwrap()).unwrap();
    assert_eq!(state(&mine, id), state(&theirs, id));
}

#[test]
fn a_log_from_before_kept_states_gets_them_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let id = {
        let mut store = Store::open(&path).unwrap();
        let id = declare(&mut store);
        ops::enter_stage(&mut store, &actor(60), id, Stage::Identify, None).unwrap();
        ops::add_note(&mut store, &actor(61), id, "pool exhausted", None).unwrap();
        id
    };
    // As an older warroom left it: no state tables, the indexes it had, one migration behind.
    let conn = raw(&path);
    conn.execute_batch(
        "DROP TABLE incident_checkpoints; DROP TABLE incident_state; DROP INDEX events_unsealed;
         CREATE INDEX events_by_seal ON events (hash);
         CREATE INDEX events_by_incident_time ON events (incident, at, seq);",
    )
    .unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    conn.pragma_update(None, "user_version", version - 1).unwrap();
    drop(conn);

    let mut store = Store::open(&path).unwrap();
    let kept: i64 = raw(&path).query_row("SELECT count(*) FROM incident_state", [], |r| r.get(0)).unwrap();
    assert_eq!(kept, 1, "opening the log built its state");
    assert_eq!(state(&store, id).stage, Stage::Identify);
    ops::enter_stage(&mut store, &actor(120), id, Stage::Isolate, None).unwrap();
    assert_eq!(state(&store, id).stage, Stage::Isolate);
}

#[test]
fn a_state_another_fold_made_is_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.db");
    let id = {
        let mut store = Store::open(&path).unwrap();
        let id = declare(&mut store);
        ops::enter_stage(&mut store, &actor(60), id, Stage::Identify, None).unwrap();
        id
    };
    raw(&path).execute("UPDATE incident_state SET fold = fold + 1, state = '{\"wrong\": true}'", []).unwrap();
    // Read only: the log is not written, the state is folded from it.
    let read_only = Store::open_read_only(&path).unwrap();
    assert_eq!(read_only.incident(id).unwrap().stage, Stage::Identify);
    drop(read_only);
    let store = Store::open(&path).unwrap();
    assert_eq!(state(&store, id).stage, Stage::Identify);
    let fold: i64 = raw(&path)
        .query_row("SELECT count(*) FROM incident_state WHERE state LIKE '%wrong%'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fold, 0, "the state was made again when the log was opened");
}

#[test]
fn listing_incidents_reads_their_kept_states() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("log.db")).unwrap();
    let first = declare(&mut store);
    let second = declare(&mut store);
    ops::resolve(&mut store, &actor(60), first, None).unwrap();
    ops::attach_runbook(&mut store, &actor(60), second, "db-pool", "DB pool", None).unwrap();
    let listed: Vec<Ulid> = store.incidents().unwrap().iter().map(|i| i.id).collect();
    assert_eq!(listed, [second, first]);
    let with: Vec<Ulid> = store.incidents_with("runbook_attached").unwrap().iter().map(|i| i.id).collect();
    assert_eq!(with, [second]);
    for id in [first, second] {
        state(&store, id);
    }
}
