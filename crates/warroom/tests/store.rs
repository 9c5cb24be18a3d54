//! The incident log on a real SQLite file: what it refuses to open, and how it says so.
//!
//! Every refusal must name the file, say what to do, and leave the file exactly as it was.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use warroom::model::{EventKind, Role, Severity, Stage, Status};
use warroom::ops::{self, Actor, Declaration, OpsError};
use warroom::store::{Store, StoreError};

fn actor() -> Actor {
    Actor { origin: "test".into(), by: Some("tester".into()), now: Utc::now() }
}

fn declare(store: &mut Store, title: &str) -> ulid::Ulid {
    let decl = Declaration {
        title: title.into(),
        severity: Severity::Sev2,
        commander: None,
        at: None,
        local: false,
    };
    ops::declare(store, &actor(), decl).unwrap().id
}

fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.db");
    (dir, path)
}

fn assert_untouched(path: &Path, before: &[u8]) {
    assert_eq!(std::fs::read(path).unwrap(), before, "the file must be left as it was");
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        assert!(!Path::new(&side).exists(), "no {suffix} file may be created beside {}", path.display());
    }
}

#[test]
fn events_survive_closing_and_reopening_in_time_order() {
    let (_dir, path) = temp_db();
    let id = {
        let mut store = Store::open(&path).unwrap();
        let at = |m| Some(Utc.with_ymd_and_hms(2026, 11, 23, 3, m, 0).unwrap());
        let decl = Declaration {
            title: "checkout 500s".into(),
            severity: Severity::Sev2,
            commander: None,
            at: at(5),
            local: false,
        };
        let id = ops::declare(&mut store, &actor(), decl).unwrap().id;
        ops::enter_stage(&mut store, &actor(), id, Stage::Identify, at(10)).unwrap();
        // Written last, dated first: what was seen shortly before the declaration.
        ops::add_note(&mut store, &actor(), id, "first 5xx seen", at(1)).unwrap();
        id
    };
    let store = Store::open(&path).unwrap();
    let events = store.events(id).unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.tag()).collect();
    // In the order they happened, not the order they were written.
    assert_eq!(kinds, ["note", "declared", "stage_entered"]);
    assert_eq!(events[0].by.as_deref(), Some("tester"));
    assert_eq!(store.incident(id).unwrap().stage, Stage::Identify);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn the_log_is_append_only_even_to_raw_sql() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    declare(&mut store, "t");
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let update = conn.execute("UPDATE events SET origin = 'forged'", []).unwrap_err();
    assert!(update.to_string().contains("append-only"), "{update}");
    let delete = conn.execute("DELETE FROM events", []).unwrap_err();
    assert!(delete.to_string().contains("append-only"), "{delete}");
}

#[test]
fn a_batch_is_written_whole_or_not_at_all() {
    let mut store = Store::open_in_memory().unwrap();
    let id = declare(&mut store, "t");
    let good = ops::add_note(&mut store, &actor(), id, "a", None).unwrap();
    let mut fresh = good.clone();
    fresh.id = ulid::Ulid::new();
    // The second event repeats an id already in the log: the whole batch must be refused.
    let err = store.append(&mut [fresh, good]).unwrap_err();
    assert_eq!(err.code(), "database");
    assert_eq!(store.events(id).unwrap().len(), 2);
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
    let (_dir, path) = temp_db();
    let text =
        b"# my notes\nthis is not a database, but it is long enough to have a header page.\n".repeat(20);
    std::fs::write(&path, &text).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()) && msg.contains("--db"), "{msg}");
    assert_untouched(&path, &text);
}

#[test]
fn another_programs_sqlite_database_is_refused_and_left_alone() {
    let (_dir, path) = temp_db();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Ana');")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err:?}");
    assert!(err.to_string().contains("another program"));
    assert_untouched(&path, &before);
}

#[test]
fn a_database_from_a_newer_warroom_is_refused_and_left_alone() {
    let (_dir, path) = temp_db();
    drop(Store::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    match &err {
        StoreError::TooNew { found, supported, .. } => {
            assert_eq!((*found, *supported), (99, 7), "7: the kept states' migration")
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    assert!(err.to_string().contains("upgrade warroom"));
    assert_untouched(&path, &before);
}

#[test]
fn a_read_only_file_is_refused_with_what_to_do() {
    let (_dir, path) = temp_db();
    drop(Store::open(&path).unwrap());
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
    assert!(err.to_string().contains("chmod u+w"));
}

#[test]
fn a_file_locked_by_another_writer_gives_a_clear_error_and_loses_nothing() {
    let (_dir, path) = temp_db();
    let mut store = Store::open_with_timeout(&path, Duration::from_millis(100)).unwrap();
    let id = declare(&mut store, "t");

    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let err = ops::add_note(&mut store, &actor(), id, "while locked", None).unwrap_err();
    assert_eq!(err.code(), "locked", "{err:?}");
    assert!(err.to_string().contains(&path.display().to_string()));
    other.execute_batch("ROLLBACK").unwrap();

    // Once the other writer lets go, the same store works again and nothing was lost.
    ops::add_note(&mut store, &actor(), id, "after the lock", None).unwrap();
    let notes: Vec<String> = store
        .events(id)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Note { text } => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(notes, ["after the lock"]);
}

#[test]
fn ids_are_found_by_unique_prefix_in_any_case() {
    let mut store = Store::open_in_memory().unwrap();
    let a = declare(&mut store, "a");
    let b = declare(&mut store, "b");
    assert_eq!(store.find_incident(&a.to_string()).unwrap(), a);
    assert_eq!(store.find_incident(&a.to_string().to_lowercase()).unwrap(), a);
    // Both were made in the same millisecond or so: their first characters are shared.
    match store.find_incident("0").unwrap_err() {
        StoreError::AmbiguousId { matches, .. } => {
            assert!(matches.contains(&a.to_string()) && matches.contains(&b.to_string()))
        }
        other => panic!("expected AmbiguousId, got {other:?}"),
    }
    assert!(matches!(store.find_incident("ZZZZ"), Err(StoreError::UnknownIncident { .. })));
    assert!(matches!(store.find_incident("01-bad!"), Err(StoreError::InvalidId { .. })));
    assert!(matches!(store.find_incident(""), Err(StoreError::InvalidId { .. })));
}

#[test]
fn events_of_an_undeclared_incident_are_refused() {
    let mut store = Store::open_in_memory().unwrap();
    let ghost = ulid::Ulid::new();
    let err = ops::add_note(&mut store, &actor(), ghost, "hello", None).unwrap_err();
    assert_eq!(err.code(), "unknown_incident");
}

#[test]
fn ops_refuse_what_makes_no_sense_and_write_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let id = declare(&mut store, "t");
    let a = actor();
    assert!(matches!(
        ops::enter_stage(&mut store, &a, id, Stage::Detect, None),
        Err(OpsError::AlreadyInStage(_))
    ));
    assert!(matches!(ops::add_note(&mut store, &a, id, "   ", None), Err(OpsError::EmptyNote)));
    assert!(matches!(ops::assign_role(&mut store, &a, id, Role::Scribe, "", None), Err(OpsError::EmptyName)));
    assert!(matches!(
        ops::change_severity(&mut store, &a, id, Severity::Sev2, None),
        Err(OpsError::SameSeverity(_))
    ));
    assert!(matches!(ops::reopen(&mut store, &a, id, None), Err(OpsError::NotResolved)));
    let next_year = Some(Utc::now() + chrono::Duration::days(365));
    assert!(matches!(ops::add_note(&mut store, &a, id, "typo", next_year), Err(OpsError::InFuture { .. })));
    let empty =
        Declaration { title: " ".into(), severity: Severity::Sev1, commander: None, at: None, local: false };
    assert!(matches!(ops::declare(&mut store, &a, empty), Err(OpsError::EmptyTitle)));
    assert_eq!(store.events(id).unwrap().len(), 1, "a refused action writes nothing");
    assert_eq!(store.incidents().unwrap().len(), 1);

    ops::resolve(&mut store, &a, id, None).unwrap();
    assert!(matches!(ops::resolve(&mut store, &a, id, None), Err(OpsError::AlreadyResolved)));
    ops::reopen(&mut store, &a, id, None).unwrap();
    assert_eq!(store.incident(id).unwrap().status, Status::Active);
    ops::assign_role(&mut store, &a, id, Role::Scribe, "Jun", None).unwrap();
    assert!(matches!(
        ops::assign_role(&mut store, &a, id, Role::Scribe, "Jun", None),
        Err(OpsError::SameRole(_))
    ));
}

#[test]
fn a_missing_folder_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep").join("er").join("warroom.db");
    let mut store = Store::open(&path).unwrap();
    declare(&mut store, "t");
    assert!(path.exists());
}

fn alert(fingerprint: &str, minute: u32) -> warroom::model::Alert {
    warroom::model::Alert {
        name: "RedisDown".into(),
        node: "redis".into(),
        severity: "critical".into(),
        firing: true,
        state: warroom::model::AlertState::Firing,
        summary: "redis-0 is not answering".into(),
        at: Utc.with_ymd_and_hms(2026, 11, 23, 3, minute, 0).unwrap(),
        fingerprint: fingerprint.into(),
        starts_at: Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap(),
        runbook_url: None,
    }
}

#[test]
fn an_alert_is_recorded_once_per_fingerprint_until_it_resolves() {
    let mut store = Store::open_in_memory().unwrap();
    let id = declare(&mut store, "t");
    let a = actor();
    let redis = alert("fp-1", 1);
    assert!(ops::record_alert(&mut store, &a, id, &redis, true).unwrap().is_some());
    assert!(
        ops::record_alert(&mut store, &a, id, &redis, true).unwrap().is_none(),
        "already firing: no duplicate"
    );
    let incident = store.incident(id).unwrap();
    assert!(incident.firing_alerts.contains("fp-1"));
    assert_eq!(incident.first_alert_at, Some(redis.starts_at), "the alert's own start, not when it was seen");
    assert!(ops::record_alert(&mut store, &a, id, &redis, false).unwrap().is_some());
    assert!(
        ops::record_alert(&mut store, &a, id, &redis, false).unwrap().is_none(),
        "not firing: nothing to resolve"
    );
    let kinds: Vec<&str> = store.events(id).unwrap().iter().map(|e| e.kind.tag()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "alert_fired").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "alert_resolved").count(), 1);
}

#[test]
fn every_alert_seen_is_kept_with_its_first_and_last_sighting() {
    let mut store = Store::open_in_memory().unwrap();
    store.remember_alerts(&[alert("fp-1", 1)], Utc.with_ymd_and_hms(2026, 11, 23, 3, 1, 0).unwrap()).unwrap();
    store
        .remember_alerts(
            &[alert("fp-1", 5), alert("fp-2", 5)],
            Utc.with_ymd_and_hms(2026, 11, 23, 3, 5, 0).unwrap(),
        )
        .unwrap();
    let seen = store.alerts_seen().unwrap();
    assert_eq!(seen.len(), 2);
    let first = seen.iter().find(|s| s.fingerprint == "fp-1").unwrap();
    assert_eq!(first.first_seen, Utc.with_ymd_and_hms(2026, 11, 23, 3, 1, 0).unwrap());
    assert_eq!(first.last_seen, Utc.with_ymd_and_hms(2026, 11, 23, 3, 5, 0).unwrap());
}

/// Runbooks on an incident: attached once, steps checked and unchecked by someone, check
/// outcomes written only when they change, skipped steps recorded with the stage change, and
/// all of it in the fold, surviving a reopen of the file.
#[test]
fn runbook_steps_and_checks_are_events_in_the_fold() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let id = declare(&mut store, "redis down");
    let ana = Actor { by: Some("Ana".into()), ..actor() };
    ops::attach_runbook(&mut store, &ana, id, "redis-down", "Redis (cache) down", Some("redis-1".into()))
        .unwrap();
    assert!(matches!(
        ops::attach_runbook(&mut store, &ana, id, "redis-down", "again", None),
        Err(OpsError::RunbookAttached(_))
    ));
    assert!(matches!(
        ops::check_step(&mut store, &ana, id, "memory-leak", "detect-1", "x", true),
        Err(OpsError::RunbookNotAttached(_))
    ));
    ops::check_step(&mut store, &ana, id, "redis-down", "detect-1", "Confirm redis is down", true).unwrap();
    assert!(matches!(
        ops::check_step(&mut store, &ana, id, "redis-down", "detect-1", "Confirm redis is down", true),
        Err(OpsError::StepAlready(..))
    ));
    ops::check_step(&mut store, &ana, id, "redis-down", "detect-2", "Look at MySQL CPU", true).unwrap();
    ops::check_step(&mut store, &ana, id, "redis-down", "detect-2", "Look at MySQL CPU", false).unwrap();

    // A check evaluated every cycle writes only its changes.
    let written = |store: &mut Store, passed| {
        let mark = warroom::model::CheckMark { at: ana.now, passed, observed: "up = 0".into() };
        ops::record_check(store, &ana, id, "redis-down", "recover-1", &mark).unwrap().is_some()
    };
    assert!(written(&mut store, Some(false)));
    assert!(!written(&mut store, Some(false)), "same outcome, nothing new");
    assert!(written(&mut store, Some(true)));

    let skipped = ops::Skipped { step: "redis-down/detect-2".into(), text: "Look at MySQL CPU".into() };
    ops::enter_stage_skipping(&mut store, &ana, id, Stage::Identify, vec![skipped]).unwrap();
    drop(store);

    let store = Store::open(&path).unwrap();
    let incident = store.incident(id).unwrap();
    let runbook = incident.runbook("redis-down").unwrap();
    assert_eq!(runbook.node.as_deref(), Some("redis-1"));
    assert_eq!(runbook.done.keys().collect::<Vec<_>>(), ["detect-1"]);
    assert_eq!(runbook.done["detect-1"].by.as_deref(), Some("Ana"));
    assert_eq!(runbook.checks["recover-1"].passed, Some(true));
    assert_eq!(runbook.skipped.iter().collect::<Vec<_>>(), ["detect-2"]);
    assert_eq!(incident.stage, Stage::Identify);
    assert_eq!(
        incident.stage_log.iter().map(|v| v.stage).collect::<Vec<_>>(),
        [Stage::Detect, Stage::Identify]
    );
    let kinds: Vec<&str> = store.events(id).unwrap().iter().map(|e| e.kind.tag()).collect();
    assert_eq!(
        kinds,
        [
            "declared",
            "runbook_attached",
            "step_checked",
            "step_checked",
            "step_checked",
            "check_evaluated",
            "check_evaluated",
            "steps_skipped",
            "stage_entered"
        ]
    );
}

/// Only the incidents holding an event of a kind are read back by `incidents_with`.
#[test]
fn incidents_with_an_event_kind_are_found_alone() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let with = declare(&mut store, "with a runbook");
    declare(&mut store, "without");
    ops::attach_runbook(&mut store, &actor(), with, "redis-down", "Redis (cache) down", None).unwrap();
    let found = store.incidents_with("runbook_attached").unwrap();
    assert_eq!(found.iter().map(|i| i.id).collect::<Vec<_>>(), [with]);
    assert_eq!(store.incidents().unwrap().len(), 2);
}

/// The bug: an import was compared with the log by id only (and the hub's rows by hash), so the
/// same id with other content was taken as known and dropped without a word. An import that
/// gives one id twice, differently, is refused whole, naming it; a pulled row that kept its hash
/// but changed what it says is reported, not counted as known.
#[test]
fn an_event_id_given_twice_differently_is_refused_not_taken_as_known() {
    let mut source = Store::open_in_memory().unwrap();
    let id = declare(&mut source, "Checkout returns 500");
    ops::add_note(&mut source, &actor(), id, "pool at 97%", None).unwrap();
    let events = source.events(id).unwrap();

    let mut twice = events.clone();
    let mut changed = events[1].clone();
    let EventKind::Note { text } = &mut changed.kind else { panic!("{:?}", changed.kind) };
    *text = "pool fine".into();
    twice.push(changed);
    let mut target = Store::open_in_memory().unwrap();
    let err = target.import_incident(id, &twice, &[]).unwrap_err();
    assert_eq!(err.code(), "import_conflict");
    let said = err.to_string();
    assert!(
        said.contains(&format!("event {} differs from the copy earlier in the import", events[1].id)),
        "{said}"
    );
    assert!(said.contains("what it says (its note)"), "{said}");
    assert!(target.incidents().unwrap().is_empty(), "nothing was written");
    let imported = target.import_incident(id, &events, &[]).unwrap();
    assert_eq!((imported.added, imported.known), (2, 0));
    assert_eq!(target.import_incident(id, &events, &[]).unwrap().known, 2, "again: nothing new");

    // From the hub: the note's row with other text, its hash kept.
    let mut rows = source.rows(id).unwrap();
    rows[1].data = r#"{"type":"note","text":"pool fine"}"#.into();
    let merged = target.merge(&rows).unwrap();
    assert_eq!(merged.known, 1, "the declaration is the same");
    assert_eq!(merged.problems.len(), 1, "{merged:?}");
    assert_eq!(merged.problems[0].event, events[1].id.to_string());
    assert_eq!(target.events(id).unwrap(), events, "the log's copy is untouched");
}

/// What the window asks on every change of a long incident: only the events written since its
/// last answer, a note dated back among them (new to the log, early in time), in time order.
#[test]
fn events_after_a_position_are_those_written_since_in_time_order() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let hour_ago = Utc::now() - chrono::Duration::hours(1);
    let declaration = Declaration {
        title: "Checkout returns 500".into(),
        severity: Severity::Sev2,
        commander: None,
        at: Some(hour_ago),
        local: false,
    };
    let id = ops::declare(&mut store, &actor(), declaration).unwrap().id;
    let other = declare(&mut store, "another incident");
    ops::add_note(&mut store, &actor(), id, "pool at 97%", None).unwrap();
    let (all, through) = store.events_after(id, 0).unwrap();
    assert_eq!(all, store.events(id).unwrap());
    assert_eq!(all.len(), 2);

    ops::add_note(&mut store, &actor(), other, "elsewhere", None).unwrap();
    let now = Utc::now();
    ops::add_note(&mut store, &actor(), id, "later", Some(now)).unwrap();
    let early = hour_ago + chrono::Duration::minutes(1);
    ops::add_note(&mut store, &actor(), id, "seen before, written now", Some(early)).unwrap();
    let (new, newer) = store.events_after(id, through).unwrap();
    let texts: Vec<String> = new
        .iter()
        .map(|e| match &e.kind {
            EventKind::Note { text } => text.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(texts, ["seen before, written now", "later"], "time order, the other incident's left out");
    assert!(newer > through);
    assert_eq!(store.events_after(id, newer).unwrap(), (Vec::new(), newer), "nothing new: the same position");
    // While it is quiet and another incident is written to, its position moves on with the log:
    // the next ask does not read again what was written since.
    ops::add_note(&mut store, &actor(), other, "elsewhere again", None).unwrap();
    let (none, moved) = store.events_after(id, newer).unwrap();
    assert!(none.is_empty() && moved > newer, "{moved} after {newer}");
}
