//! The figures of issue 17 ("Scale"): what one note costs on a very long incident, and what a
//! batch of durable appends costs next to bare rusqlite.
//!
//! `cargo bench -p warroom --bench scale` (`-- notes` or `-- batch` for one half). A plain
//! binary that prints its figures (medians of many runs, alternated so noise hits both sides
//! alike): figures go in the issue notes, not in assertions, since the machines are shared and
//! noisy. Every write is durable (WAL, `synchronous=FULL`, one fsync per transaction) on a real
//! file in a temporary folder.
//!
//! - `notes`: one note through `ops::add_note` (find the incident's state, validate, append,
//!   commit) on an incident of 1 000 000 events and on one of 100, in the same log. The long
//!   incident is written first through `Store::append` in batches of 50 000 (the bulk path; its
//!   rate is printed too). Target: the long one within 1.5x of the short one.
//! - `batch`: 100 notes through `Store::append` (chains, JSON, kept state) against 100 rows
//!   inserted with bare rusqlite in one transaction, with the same pragmas: once into the same
//!   schema (every index the log keeps), once into a table with only the first schema's two
//!   indexes (the ceiling quoted in the issue). Target: at least 0.8x.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration as Elapsed, Instant};

use chrono::{DateTime, Duration, Utc};
use ulid::Ulid;
use warroom::model::{Event, EventKind, Health, Severity, Stage};
use warroom::ops::{self, Actor};
use warroom::store::Store;
use warroom::time;

/// The time this thread has run on a CPU (user and kernel, fsync waits excluded): Linux's
/// `/proc/thread-self/schedstat`, zero elsewhere.
fn cpu() -> Elapsed {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Elapsed::ZERO, Elapsed::from_nanos)
}

fn median(mut runs: Vec<Elapsed>) -> Elapsed {
    runs.sort();
    runs[runs.len() / 2]
}

fn pct(runs: &[Elapsed], p: usize) -> Elapsed {
    let mut runs = runs.to_vec();
    runs.sort();
    runs[(runs.len() * p / 100).min(runs.len() - 1)]
}

fn declared(id: Ulid, at: DateTime<Utc>) -> Event {
    let kind = EventKind::Declared {
        title: "bench".into(),
        severity: Severity::Sev1,
        commander: None,
        local: false,
    };
    Event::new(id, at, at, "bench", Some("bench".into()), kind)
}

/// The `n`th event of a long incident: mostly notes and health changes, a stage now and then.
fn nth(id: Ulid, at: DateTime<Utc>, n: usize) -> Event {
    let kind = match n % 20 {
        0..=2 => EventKind::HealthChanged {
            node: format!("node-{}", n % 50),
            from: Health::Healthy,
            to: if n.is_multiple_of(3) { Health::Degraded } else { Health::Healthy },
            reason: "p99 latency 812 ms > 500 ms".into(),
        },
        3 if n % 10_000 == 3 => EventKind::StageEntered { stage: Stage::ALL[(n / 10_000) % 5] },
        _ => EventKind::Note { text: format!("note {n}: checked the connection pool again") },
    };
    Event::new(id, at, at, "bench", Some("bench".into()), kind)
}

/// Writes an incident of `events` events spread over the day before `end`, in batches.
fn write_incident(store: &mut Store, events: usize, end: DateTime<Utc>) -> Ulid {
    let id = Ulid::new();
    let t0 = end - Duration::days(1);
    let step = Duration::days(1).num_microseconds().unwrap() / events as i64;
    store.append(&mut [declared(id, t0)]).unwrap();
    let mut n = 1;
    while n < events {
        let upto = (n + 50_000).min(events);
        let mut batch: Vec<Event> =
            (n..upto).map(|i| nth(id, t0 + Duration::microseconds(step * i as i64), i)).collect();
        store.append(&mut batch).unwrap();
        n = upto;
    }
    id
}

fn notes() {
    const LONG: usize = 1_000_000;
    const SHORT: usize = 100;
    const RUNS: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scale.db");
    let now = Utc::now();
    let mut store = Store::open(&path).unwrap();
    let start = Instant::now();
    let long = write_incident(&mut store, LONG, now - Duration::hours(1));
    let took = start.elapsed();
    println!(
        "notes: wrote the {LONG}-event incident in {:.1} s ({:.0} events/s, batches of 50 000)",
        took.as_secs_f64(),
        LONG as f64 / took.as_secs_f64()
    );
    let short = write_incident(&mut store, SHORT, now - Duration::hours(1));
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("notes: log is {:.0} MB", size as f64 / 1e6);
    // As the CLI does: open the log, then write.
    drop(store);
    let start = Instant::now();
    let mut store = Store::open(&path).unwrap();
    println!("notes: opening the log took {:.1} ms", start.elapsed().as_secs_f64() * 1e3);

    let actor = Actor { origin: "bench".into(), by: Some("bench".into()), now: Utc::now() };
    let mut on = |id: Ulid, i: usize| {
        let actor = Actor { now: Utc::now(), ..actor.clone() };
        let start = Instant::now();
        ops::add_note(&mut store, &actor, id, &format!("bench note {i}"), None).unwrap();
        start.elapsed()
    };
    for i in 0..20 {
        on(long, i);
        on(short, i);
    }
    let (mut long_runs, mut short_runs) = (Vec::new(), Vec::new());
    for i in 0..RUNS {
        long_runs.push(on(long, i));
        short_runs.push(on(short, i));
    }
    let (l, s) = (median(long_runs.clone()), median(short_runs.clone()));
    println!(
        "notes: one durable note, median of {RUNS}: {:.3} ms on {LONG} events (p90 {:.3} ms), {:.3} ms on {SHORT} events (p90 {:.3} ms): {:.2}x (target <= 1.5x)",
        l.as_secs_f64() * 1e3,
        pct(&long_runs, 90).as_secs_f64() * 1e3,
        s.as_secs_f64() * 1e3,
        pct(&short_runs, 90).as_secs_f64() * 1e3,
        l.as_secs_f64() / s.as_secs_f64()
    );
    let start = Instant::now();
    let state = store.incident(long).unwrap();
    println!(
        "notes: reading the long incident's state: {:.3} ms ({} events)",
        start.elapsed().as_secs_f64() * 1e3,
        state.events
    );

    // What the window asks on every change of the incident it shows: the events written since
    // its last answer, where it read the whole timeline before.
    let start = Instant::now();
    let (whole, mut through) = store.events_after(long, 0).unwrap();
    let (whole, whole_took) = (whole.len(), start.elapsed());
    let mut since = Vec::new();
    for i in 0..RUNS {
        let actor = Actor { now: Utc::now(), ..actor.clone() };
        ops::add_note(&mut store, &actor, long, &format!("bench note {}", RUNS + i), None).unwrap();
        let start = Instant::now();
        let (new, next) = store.events_after(long, through).unwrap();
        since.push(start.elapsed());
        assert_eq!(new.len(), 1);
        through = next;
    }
    println!(
        "notes: the window's timeline after a note: what is new {:.3} ms (median of {RUNS}), the whole timeline {:.0} ms ({whole} events)",
        median(since).as_secs_f64() * 1e3,
        whole_took.as_secs_f64() * 1e3
    );
}

fn note(id: Ulid, n: usize) -> Event {
    let at = time::truncate(Utc::now());
    Event::new(
        id,
        at,
        at,
        "bench",
        Some("bench".into()),
        EventKind::Note { text: format!("note number {n}: checked the pool again") },
    )
}

fn raw(path: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)).unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    conn
}

fn batch() {
    const BATCH: usize = 100;
    const RUNS: usize = 300;
    let dir = tempfile::tempdir().unwrap();

    let mut store = Store::open(&dir.path().join("warroom.db")).unwrap();
    let id = Ulid::new();
    store.append(&mut [declared(id, time::truncate(Utc::now()))]).unwrap();

    // The same schema, written bare: a log made by warroom, its incident declared.
    let same = dir.path().join("same.db");
    let raw_id = Ulid::new();
    Store::open(&same).unwrap().append(&mut [declared(raw_id, time::truncate(Utc::now()))]).unwrap();
    let same = raw(&same);
    let minimal = raw(&dir.path().join("minimal.db"));
    minimal
        .execute_batch(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, incident TEXT NOT NULL,
             at TEXT NOT NULL, recorded_at TEXT NOT NULL, origin TEXT NOT NULL, actor TEXT,
             device TEXT, prev TEXT, hash TEXT, kind TEXT NOT NULL, data TEXT NOT NULL) STRICT;
             CREATE INDEX events_by_incident_time ON events (incident, at, seq);",
        )
        .unwrap();
    let insert =
        "INSERT INTO events (id, incident, at, recorded_at, origin, actor, device, prev, hash, kind, data)
                  VALUES (?1, ?2, ?3, ?3, 'bench', 'bench', 'bench-laptop', ?4, ?5, 'note', ?6)";
    let incident = raw_id.to_string();
    let random_hash = || (0..4).map(|_| format!("{:016x}", fastrand::u64(..))).collect::<String>();
    let mut last_hash = random_hash();
    let mut bare = |conn: &rusqlite::Connection| {
        let (start, on_cpu) = (Instant::now(), cpu());
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        for i in 0..BATCH {
            let at = time::to_db(Utc::now());
            let data = format!(r#"{{"type":"note","text":"note number {i}: checked the pool again"}}"#);
            // Hashes look random, as SHA-256 ones do (where they land in the index matters).
            let prev = std::mem::replace(&mut last_hash, random_hash());
            conn.prepare_cached(insert)
                .unwrap()
                .execute((Ulid::new().to_string(), &incident, at, prev, &last_hash, data))
                .unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
        (start.elapsed(), cpu() - on_cpu)
    };
    let mut api = || {
        let (start, on_cpu) = (Instant::now(), cpu());
        let mut events: Vec<Event> = (0..BATCH).map(|i| note(id, i)).collect();
        store.append(&mut events).unwrap();
        (start.elapsed(), cpu() - on_cpu)
    };
    for _ in 0..20 {
        api();
        bare(&same);
        bare(&minimal);
    }
    let (mut ours, mut same_runs, mut minimal_runs) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        ours.push(api());
        same_runs.push(bare(&same));
        minimal_runs.push(bare(&minimal));
    }
    let figures = |runs: Vec<(Elapsed, Elapsed)>| {
        let (wall, on_cpu): (Vec<_>, Vec<_>) = runs.into_iter().unzip();
        (BATCH as f64 / median(wall).as_secs_f64(), median(on_cpu).as_secs_f64() * 1e6)
    };
    let ((ours, ours_cpu), (same, same_cpu), (minimal, minimal_cpu)) =
        (figures(ours), figures(same_runs), figures(minimal_runs));
    println!(
        "batch: {BATCH} durable events per transaction, median of {RUNS} (rate; CPU time per batch, fsync waits excluded):"
    );
    println!("batch:   warroom Store::append        {ours:>9.0} events/s  {ours_cpu:>6.0} us CPU");
    println!(
        "batch:   rusqlite, the same schema    {same:>9.0} events/s  {same_cpu:>6.0} us CPU  (warroom {:.2}x the rate, {:.2}x the CPU)",
        ours / same,
        ours_cpu / same_cpu
    );
    println!(
        "batch:   rusqlite, two indexes only   {minimal:>9.0} events/s  {minimal_cpu:>6.0} us CPU  (warroom {:.2}x the rate, {:.2}x the CPU)",
        ours / minimal,
        ours_cpu / minimal_cpu
    );
}

/// Batches of 100 through `Store::append` only, for a profiler (`perf record ... -- append`).
fn append_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("warroom.db")).unwrap();
    let id = Ulid::new();
    store.append(&mut [declared(id, time::truncate(Utc::now()))]).unwrap();
    let start = Instant::now();
    for _ in 0..3000 {
        let mut events: Vec<Event> = (0..100).map(|i| note(id, i)).collect();
        store.append(&mut events).unwrap();
    }
    println!("append: {:.0} events/s", 300_000.0 / start.elapsed().as_secs_f64());
}

fn main() {
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if only.iter().any(|o| o == "append") {
        append_only();
        return;
    }
    let wants = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if wants("batch") {
        batch();
    }
    if wants("notes") {
        notes();
    }
}
