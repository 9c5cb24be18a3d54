//! How fast the log takes durable appends, how fast a long incident folds, how fast the window
//! reads a long incident the first time, and how fast it is told what changed.
//!
//! `cargo bench -p warroom --bench store`. Figures go in the issue notes, not in assertions: the
//! machines are shared and noisy. Every append here is durable (WAL, `synchronous=FULL`, one
//! fsync per transaction) on a real file in a temporary folder. `raw_insert` writes the same rows
//! with bare rusqlite and the same settings, without validation or JSON: the ceiling for
//! `append`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ulid::Ulid;
use warroom::model::{Event, EventKind, Incident, Severity, Stage};
use warroom::runtime::{Library, Runtime};
use warroom::store::Store;
use warroom::time;

fn event(incident: Ulid, n: i64, kind: EventKind) -> Event {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
    let at = t0 + Duration::milliseconds(n);
    Event::new(incident, at, at, "bench", Some("bench".into()), kind)
}

fn declared(incident: Ulid) -> Event {
    let kind = EventKind::Declared {
        title: "bench".into(),
        severity: Severity::Sev2,
        commander: None,
        local: false,
    };
    event(incident, 0, kind)
}

fn note(incident: Ulid, n: i64) -> Event {
    event(incident, n, EventKind::Note { text: format!("note number {n}: checked the pool again") })
}

fn store_with_incident() -> (tempfile::TempDir, Store, Ulid) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("bench.db")).unwrap();
    let id = Ulid::new();
    store.append(&mut [declared(id)]).unwrap();
    (dir, store, id)
}

fn appends(c: &mut Criterion) {
    let mut group = c.benchmark_group("durable_append");
    group.sample_size(20);

    let (_dir, mut store, id) = store_with_incident();
    let mut n = 1;
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_event_per_transaction", |b| {
        b.iter(|| {
            n += 1;
            store.append(&mut [note(id, n)]).unwrap();
        })
    });

    const BATCH: u64 = 100;
    group.throughput(Throughput::Elements(BATCH));
    group.bench_function("batch_of_100", |b| {
        b.iter_batched(
            || (0..BATCH as i64).map(|i| note(id, i)).collect::<Vec<_>>(),
            |mut batch| store.append(&mut batch).unwrap(),
            BatchSize::SmallInput,
        )
    });

    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("raw.db")).unwrap();
    conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)).unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, incident TEXT NOT NULL,
         at TEXT NOT NULL, recorded_at TEXT NOT NULL, origin TEXT NOT NULL, actor TEXT,
         kind TEXT NOT NULL, data TEXT NOT NULL) STRICT;
         CREATE INDEX events_by_incident_time ON events (incident, at, seq);",
    )
    .unwrap();
    let raw_row = |i: i64| {
        (Ulid::new().to_string(), time::to_db(Utc::now()), format!(r#"{{"type":"note","text":"note {i}"}}"#))
    };
    let insert = "INSERT INTO events (id, incident, at, recorded_at, origin, actor, kind, data)
                  VALUES (?1, 'X', ?2, ?2, 'bench', 'bench', 'note', ?3)";
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_insert_one_per_transaction", |b| {
        b.iter(|| {
            let (id, at, data) = raw_row(0);
            conn.prepare_cached(insert).unwrap().execute((id, at, data)).unwrap();
        })
    });
    group.throughput(Throughput::Elements(BATCH));
    group.bench_function("raw_insert_batch_of_100", |b| {
        b.iter(|| {
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            for i in 0..BATCH as i64 {
                let (id, at, data) = raw_row(i);
                conn.prepare_cached(insert).unwrap().execute((id, at, data)).unwrap();
            }
            conn.execute_batch("COMMIT").unwrap();
        })
    });
    group.finish();
}

fn fold(c: &mut Criterion) {
    const EVENTS: i64 = 100_000;
    let id = Ulid::new();
    let mut log = vec![declared(id)];
    for n in 1..EVENTS {
        let kind = if n % 1000 == 0 {
            EventKind::StageEntered { stage: Stage::ALL[(n / 1000) as usize % 5] }
        } else {
            EventKind::Note { text: format!("note {n}") }
        };
        log.push(event(id, n, kind));
    }
    let mut group = c.benchmark_group("fold");
    group.sample_size(20);
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function("in_memory_100k_events", |b| b.iter(|| Incident::fold(&log).unwrap()));

    let (_dir, mut store, stored) = store_with_incident();
    let mut batch: Vec<Event> = (1..EVENTS).map(|n| note(stored, n)).collect();
    store.append(&mut batch).unwrap();
    group.sample_size(10);
    group.bench_function("read_and_fold_100k_events_from_sqlite", |b| {
        b.iter(|| store.incident(stored).unwrap())
    });
    // The window's first read of a live incident: whole (as it was), or the newest page of each
    // kind with the counts of the rest (as it is).
    group.bench_function("window_first_read_100k_events_whole", |b| {
        b.iter(|| store.events_after(stored, 0).unwrap())
    });
    group.throughput(Throughput::Elements(300));
    group.bench_function("window_first_read_100k_events_newest_300", |b| {
        b.iter(|| store.newest_of_each_kind(stored, 300, &["declared"]).unwrap())
    });
    // What changed, as the window asks it every 2 s with an event or two written since: ranked
    // from the whole incident read again (as it was), or taken on from the last ask (as it is).
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function("changes_100k_events_whole", |b| {
        b.iter(|| warroom::changes::ranked(&store.events(stored).unwrap()))
    });
    let runtime = Runtime::new(store, Library::load(&[]).0);
    runtime.changes_of(stored).unwrap();
    let mut n = EVENTS;
    group.bench_function("changes_100k_events_taken_on", |b| {
        b.iter_batched(
            || {
                n += 1;
                runtime.log().append(&mut [note(stored, n)]).unwrap();
            },
            |()| runtime.changes_of(stored).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, appends, fold);
criterion_main!(benches);
