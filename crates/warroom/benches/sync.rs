//! Team sync, measured on loopback against a real PostgreSQL 15 (started here, as the tests do):
//!
//! 1. append on laptop A → in laptop B's log: median and p99 over 300 appends at random gaps;
//! 2. catch-up after a partition: 10 000 events written on one side while the other was
//!    offline, until the other has them all (pull), and the reverse (push);
//! 3. 20 laptops writing at once for a minute (`SYNC_BENCH_SECS` to change it): every event on
//!    the hub and in every log, none lost, none doubled; how long after the last write they agree.
//!
//! A benchmark, not a test: it prints its figures (`make bench-sync`); the machines are shared
//! and noisy, so no figure here fails anything. Each laptop is a runtime syncing as the window
//! does, on its own SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/postgres.rs"]
mod postgres;

#[path = "../tests/common/laptop.rs"]
mod laptop;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use laptop::{Laptop, hub_config as config, laptop as open};
use warroom::sync::Hub;

async fn wait_until(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while !check() {
        if start.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Some(start.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn latency(url: &str, dir: &Path) {
    let a = open(dir, "a", "a", Some(url));
    let b = open(dir, "b", "b", Some(url));
    let id = a.declare("bench");
    wait_until(Duration::from_secs(10), || b.count(id) == 1).await.expect("the incident reaches b");
    let mut rng = fastrand::Rng::with_seed(7);
    let mut times = Vec::new();
    for n in 0..300 {
        tokio::time::sleep(Duration::from_millis(rng.u64(10..150))).await;
        let event = a.note(id, &format!("note {n}")).id;
        let took =
            wait_until(Duration::from_secs(10), || b.has(id, event)).await.expect("the note reaches b");
        times.push(took);
    }
    times.sort();
    println!(
        "append on A -> in B's log (300 appends, loopback): median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
}

async fn catch_up(url: &str, dir: &Path) {
    const EVENTS: usize = 10_000;
    // Pull: A writes while B is away.
    let a = open(dir, "pa", "pa", Some(url));
    let b = open(dir, "pb", "pb", None);
    let id = a.declare("bench");
    a.notes(id, EVENTS, "written while b was away");
    wait_until(Duration::from_secs(120), || a.runtime.sync_status().is_some_and(|s| s.pending_push == 0))
        .await
        .expect("a pushes everything");
    let start = Instant::now();
    b.runtime.use_sync(Some(config(url, "pb")), Some("pb".into()), "bench");
    wait_until(Duration::from_secs(120), || b.count(id) == EVENTS + 1).await.expect("b catches up");
    println!(
        "catch-up of {EVENTS} events after a partition (pull, until in the log): {:.2} s",
        start.elapsed().as_secs_f64()
    );

    // Push: C writes while away, then comes back; until A has them.
    let c = open(dir, "pc", "pc", None);
    c.runtime.log().import(&a.runtime.log().events(id).unwrap()[..1]).unwrap();
    c.notes(id, EVENTS, "written on the train");
    let start = Instant::now();
    c.runtime.use_sync(Some(config(url, "pc")), Some("pc".into()), "bench");
    wait_until(Duration::from_secs(120), || a.count(id) == 2 * EVENTS + 1).await.expect("a gets c's events");
    println!(
        "catch-up of {EVENTS} events after a partition (push, until in another laptop's log): {:.2} s",
        start.elapsed().as_secs_f64()
    );
}

async fn twenty(url: &str, dir: &Path, secs: u64) {
    const LAPTOPS: usize = 20;
    let fleet: Vec<Arc<Laptop>> = (0..LAPTOPS)
        .map(|i| Arc::new(open(dir, &format!("l{i:02}"), &format!("l{i:02}"), Some(url))))
        .collect();
    let id = fleet[0].declare("bench");
    for l in &fleet {
        wait_until(Duration::from_secs(30), || l.count(id) == 1).await.expect("everyone has the incident");
    }
    let until = Instant::now() + Duration::from_secs(secs);
    let writers: Vec<_> = fleet
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let l = l.clone();
            tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(i as u64);
                let mut written = 0usize;
                while Instant::now() < until {
                    l.note(id, &format!("{} note {written}", l.person));
                    written += 1;
                    tokio::time::sleep(Duration::from_millis(rng.u64(50..350))).await;
                }
                written
            })
        })
        .collect();
    let mut total = 1;
    for w in writers {
        total += w.await.unwrap();
    }
    let agreed = wait_until(Duration::from_secs(120), || fleet.iter().all(|l| l.count(id) == total)).await;
    let hub = Hub::connect(&config(url, "counter")).await.unwrap();
    let (rows, _) = hub.pull(0, i64::MAX).await.unwrap();
    let incident = id.to_string();
    let rows: Vec<_> = rows.into_iter().filter(|r| r.incident == incident).collect();
    let distinct: std::collections::HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let counts: Vec<usize> = fleet.iter().map(|l| l.count(id)).collect();
    let lost = counts.iter().map(|c| total.saturating_sub(*c)).max().unwrap_or(0);
    println!(
        "{LAPTOPS} laptops writing for {secs} s: {total} events written, {} on the hub ({} distinct), every log {} (lost {lost}); all agreed {} after the last write",
        rows.len(),
        distinct.len(),
        if counts.iter().all(|c| *c == total) { "complete".to_owned() } else { format!("counts {counts:?}") },
        agreed.map_or_else(|| "NOT within 120 s".to_owned(), |d| format!("{:.2} s", d.as_secs_f64())),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; anything else is a filter this bench has no use for.
    let secs = std::env::var("SYNC_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let pg = postgres::Postgres::start();
    let url = pg.url("postgres");
    let tokio = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    tokio.block_on(async {
        Hub::init(&config(&url, "admin")).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        latency(&url, dir.path()).await;
        catch_up(&url, dir.path()).await;
        twenty(&url, dir.path(), secs).await;
    });
}
