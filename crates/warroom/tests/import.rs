//! `warroom import` reads a file as it streams (issue 17: a 100 MB file took 510 MB read whole):
//! events are written a batch at a time as they are read, in one transaction. These tests hold
//! it to what the whole-file import did, on real SQLite files, with files big enough to take
//! several batches: events out of chain order wait for what they follow, the file's keys may come
//! in any order, and a file refused late (after batches were written) leaves nothing behind.
//! Memory is measured by `cargo bench -p warroom --bench import`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use ulid::Ulid;
use warroom::export::{Exported, ImportFailed, import};
use warroom::model::{Event, EventKind, Incident, Metric, Sample, Severity};
use warroom::store::{Imported, Store};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap()
}

fn note(incident: Ulid, at: DateTime<Utc>, text: String) -> Event {
    Event::new(incident, at, at, "cli", Some("mina".into()), EventKind::Note { text })
}

/// An incident written by two laptops (their chains interleave in time), with notes dated back
/// (recorded last, so they come early in the file but late in their chain: one before the
/// declaration itself), and samples for its charts.
fn source(events: usize) -> (tempfile::TempDir, Store, Ulid) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("source.db")).unwrap();
    store.set_device("laptop-a");
    let id = Ulid::new();
    let declared = EventKind::Declared {
        title: "Checkout returns 500".into(),
        severity: Severity::Sev2,
        commander: Some("Mina".into()),
        local: false,
    };
    store.append(&mut [Event::new(id, t0(), t0(), "cli", None, declared)]).unwrap();
    let mut batch: Vec<Event> = Vec::new();
    for n in 1..events {
        batch.push(note(id, t0() + Duration::seconds(n as i64), format!("note {n}")));
        if batch.len() == 500 {
            // Every other batch from the other laptop: two chains, interleaved in time.
            store.set_device(if n % 1000 < 500 { "laptop-b" } else { "laptop-a" });
            store.append(&mut batch).unwrap();
            batch.clear();
        }
    }
    store.append(&mut batch).unwrap();
    store.set_device("laptop-a");
    let mut late: Vec<Event> =
        (0..20).map(|k| note(id, t0() + Duration::seconds(k * 97 + 3), format!("dated back {k}"))).collect();
    late.push(note(id, t0() - Duration::minutes(5), "the deploy before it all".into()));
    store.append(&mut late).unwrap();
    let samples: Vec<Sample> = (0..5000)
        .map(|k| Sample {
            node: format!("node-{}", k % 5),
            metric: Metric::CpuRatio,
            value: (k % 100) as f64 / 100.0,
            at: t0() + Duration::seconds(k / 5 * 5),
        })
        .collect();
    store.record_samples(id, &samples).unwrap();
    (dir, store, id)
}

/// The exported file's text, as `warroom export --format json` writes it.
fn exported(store: &Store, id: Ulid) -> String {
    let file = Exported::new(store.events(id).unwrap(), store.samples(id).unwrap()).unwrap();
    serde_json::to_string_pretty(&file).unwrap()
}

fn import_text(store: &mut Store, text: &str) -> Result<(Ulid, Imported), ImportFailed> {
    import(std::path::Path::new("incident.json"), text.as_bytes(), store)
}

fn event_count(store: &Store) -> usize {
    store.incidents().unwrap().iter().map(|i| store.events(i.id).unwrap().len()).sum()
}

/// Events come in time order, chains do not: a note dated back waits for the event before it in
/// its chain, the event dated before the declaration waits for the declaration, across batches.
/// The log gets every event and sample, its chains check, its kept state is the fold of its
/// events; a second import adds nothing.
#[test]
fn a_big_file_out_of_chain_order_imports_whole_and_its_chains_check() {
    let (_dir, source, id) = source(3000);
    let text = exported(&source, id);
    let all = source.events(id).unwrap();
    assert_eq!(all.len(), 3021);
    assert!(all[0].at < t0(), "the file's first event comes before the declaration");

    let dir = tempfile::tempdir().unwrap();
    let mut target = Store::open(&dir.path().join("target.db")).unwrap();
    let (imported_id, imported) = import_text(&mut target, &text).unwrap();
    assert_eq!(imported_id, id);
    assert_eq!(imported, Imported { added: 3021, known: 0, samples: 5000 });
    assert_eq!(target.events(id).unwrap(), all, "event for event, chain for chain");
    assert_eq!(target.samples(id).unwrap(), source.samples(id).unwrap());
    let (heads, problems) = target.verify(id).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(heads, source.verify(id).unwrap().0);
    assert_eq!(heads.len(), 2, "two laptops' chains");
    assert_eq!(target.incident(id).unwrap(), Incident::fold(&all).unwrap(), "the kept state");

    let (_, again) = import_text(&mut target, &text).unwrap();
    assert_eq!(again, Imported { added: 0, known: 3021, samples: 0 });
    assert_eq!(event_count(&target), 3021);
}

/// A JSON object's keys may come in any order: events before the file says what it is and which
/// incident it is of, samples before either.
#[test]
fn the_files_keys_may_come_in_any_order() {
    let (_dir, source, id) = source(1500);
    let file = Exported::new(source.events(id).unwrap(), source.samples(id).unwrap()).unwrap();
    let text = format!(
        "{{\"samples\": {}, \"events\": {}, \"chains\": {}, \"incident\": {}, \"version\": 1, \"format\": \"warroom-incident\"}}",
        serde_json::to_string(&file.samples).unwrap(),
        serde_json::to_string(&file.events).unwrap(),
        serde_json::to_string(&file.chains).unwrap(),
        serde_json::to_string(&file.incident).unwrap(),
    );
    let mut target = Store::open_in_memory().unwrap();
    let (_, imported) = import_text(&mut target, &text).unwrap();
    assert_eq!(imported, Imported { added: 1521, known: 0, samples: 5000 });
    assert_eq!(target.events(id).unwrap(), source.events(id).unwrap());

    // The same file saying, at its end, that it is something else: nothing of it stays.
    let mut fresh = Store::open_in_memory().unwrap();
    let foreign = text.replace("\"format\": \"warroom-incident\"", "\"format\": \"grafana-dashboard\"");
    let err = import_text(&mut fresh, &foreign).unwrap_err().to_string();
    assert!(err.starts_with("incident.json:1: format: expected \"warroom-incident\""), "{err}");
    assert!(fresh.incidents().unwrap().is_empty(), "the events read before were not kept");
}

/// A file refused after several batches were written (an event edited by hand far into it, a
/// wrong value, a file cut short) leaves the log as it was, and says where.
#[test]
fn a_file_refused_late_leaves_the_log_as_it_was_and_says_where() {
    // The log has another incident, which nothing must touch.
    let (_other_dir, other, other_id) = source(10);
    let (_dir, source, id) = source(3000);
    let text = exported(&source, id);
    let dir = tempfile::tempdir().unwrap();
    let mut target = Store::open(&dir.path().join("target.db")).unwrap();
    import_text(&mut target, &exported(&other, other_id)).unwrap();
    let before = event_count(&target);
    assert_eq!(before, 31);

    // Edited by hand, near the end: its hash no longer says what it says.
    let edited = text.replace("\"note 2990\"", "\"all fine\"");
    assert_ne!(edited, text);
    let err = import_text(&mut target, &edited).unwrap_err();
    assert!(matches!(err, ImportFailed::Store(_)), "{err:?}");
    let said = err.to_string();
    assert!(said.contains("does not match its chain") && said.contains("nothing was written"), "{said}");
    assert_eq!(event_count(&target), before);
    assert!(target.incident(id).is_err(), "the incident is not in the log");

    // A value of the wrong type on a line far into the file: that line is named.
    let origin = "\"origin\": \"cli\"";
    let (at, _) = text.match_indices(origin).nth(2500).unwrap();
    let line = text[..at].lines().count();
    let wrong = format!("{}\"origin\": 7{}", &text[..at], &text[at + origin.len()..]);
    let err = import_text(&mut target, &wrong).unwrap_err();
    let ImportFailed::File(file) = &err else { panic!("{err:?}") };
    assert_eq!(file.line, Some(line), "{err}");
    assert!(file.message.starts_with("invalid type: integer `7`, expected a string"), "{err}");
    assert_eq!(event_count(&target), before);

    // Cut short, as by a full disk when it was copied.
    let cut = &text[..text.len() * 9 / 10];
    let err = import_text(&mut target, cut).unwrap_err();
    let ImportFailed::File(file) = &err else { panic!("{err:?}") };
    assert!(file.message.starts_with("EOF while parsing"), "{err}");
    assert_eq!(file.line, Some(cut.lines().count()), "{err}");
    assert_eq!(event_count(&target), before);

    // The file itself is fine: it all goes in, once.
    assert_eq!(import_text(&mut target, &text).unwrap().1.added, 3021);
}

/// Two copies of one laptop's log that went on apart (a fork of its chain): importing one into
/// the other adds the branch it lacks, from where it leaves the shared part, whatever the order
/// its events wait in.
#[test]
fn a_fork_of_a_chain_imports_from_where_it_leaves_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let mut first = Store::open(&a).unwrap();
    first.set_device("laptop-a");
    let id = Ulid::new();
    let declared =
        EventKind::Declared { title: "fork".into(), severity: Severity::Sev3, commander: None, local: false };
    first.append(&mut [Event::new(id, t0(), t0(), "cli", None, declared)]).unwrap();
    drop(first);
    std::fs::copy(&a, &b).unwrap();
    let mut here = Store::open(&a).unwrap();
    here.set_device("laptop-a");
    here.append(&mut [note(id, t0() + Duration::seconds(1), "on this copy".into())]).unwrap();
    let mut there = Store::open(&b).unwrap();
    there.set_device("laptop-a");
    // Dated back, so they come in the file before what the log has and in no chain order.
    let mut branch: Vec<Event> = (0..5)
        .map(|k| note(id, t0() + Duration::seconds(10 - k), format!("on the other copy {k}")))
        .collect();
    there.append(&mut branch).unwrap();
    let (_, imported) = import_text(&mut here, &exported(&there, id)).unwrap();
    assert_eq!((imported.added, imported.known), (5, 1));
    assert_eq!(here.events(id).unwrap().len(), 7);
}

/// An id given twice, its first copy still waiting for the event before it in its chain: the
/// second copy is compared with the first (refused when it differs), not taken for new.
#[test]
fn an_id_given_twice_while_its_first_copy_waits_is_compared_with_it() {
    let (_dir, source, id) = source(10);
    let events = source.events(id).unwrap();
    // The last event of the chain first: it waits for the rest.
    let last = events.iter().max_by_key(|e| e.recorded_at).unwrap().clone();
    let mut changed = last.clone();
    changed.kind = EventKind::Note { text: "something else".into() };
    let mut given = vec![last.clone(), changed];
    given.extend(events.iter().cloned());
    let mut target = Store::open_in_memory().unwrap();
    let err = target.import(&given).unwrap_err().to_string();
    assert!(err.contains(&format!("event {} differs from the copy earlier in the import", last.id)), "{err}");
    assert!(target.incidents().unwrap().is_empty());
    // The same copy twice is one event, known the second time.
    let mut twice = vec![last.clone(), last];
    twice.extend(events.iter().cloned());
    assert_eq!(target.import(&twice).unwrap(), events.len());
}

/// A file is of one incident: an event of another is refused wherever the file says which
/// incident it is of (before its events, after them, or twice).
#[test]
fn a_file_is_of_one_incident_wherever_it_says_which() {
    let (_a_dir, a, a_id) = source(10);
    let (_b_dir, b, b_id) = source(10);
    let a_file = Exported::new(a.events(a_id).unwrap(), Vec::new()).unwrap();
    let b_event = serde_json::to_string(&b.events(b_id).unwrap()[3]).unwrap();
    let events = serde_json::to_string(&a_file.events).unwrap();
    let mixed = format!("{},{b_event}]", &events[..events.len() - 1]);
    let incident = serde_json::to_string(&a_file.incident).unwrap();
    let head = "\"format\": \"warroom-incident\", \"version\": 1";
    for (order, text) in [
        ("incident first", format!("{{{head}, \"incident\": {incident}, \"events\": {mixed}}}")),
        ("incident last", format!("{{{head}, \"events\": {mixed}, \"incident\": {incident}}}")),
        (
            "incident twice",
            format!("{{{head}, \"incident\": {incident}, \"events\": {events}, \"incident\": {incident}}}"),
        ),
    ] {
        let mut target = Store::open_in_memory().unwrap();
        // B is in the log already: nothing of it may be taken as A's.
        import_text(&mut target, &exported(&b, b_id)).unwrap();
        let before = event_count(&target);
        let err = import_text(&mut target, &text).unwrap_err().to_string();
        let said = if order == "incident twice" { "incident: given twice" } else { "belongs to incident" };
        assert!(err.contains(said), "{order}: {err}");
        assert_eq!(event_count(&target), before, "{order}");
        assert!(target.incident(a_id).is_err(), "{order}");
    }
}

/// A file cut right after a line's end: the error names the last line there is, not the empty
/// one after it (read from a stream, the reader has taken the line's end when it judges).
#[test]
fn a_file_cut_at_a_line_end_names_its_last_line() {
    let (_dir, source, id) = source(10);
    let text = exported(&source, id);
    let cut_at = text[..text.len() / 2].rfind('\n').unwrap() + 1;
    let cut = &text[..cut_at];
    let mut target = Store::open_in_memory().unwrap();
    let err = import_text(&mut target, cut).unwrap_err();
    let ImportFailed::File(file) = &err else { panic!("{err:?}") };
    assert_eq!(file.line, Some(cut.lines().count()), "{err}");
}
