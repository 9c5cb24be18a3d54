//! One poll cycle for a 1 000-node topology with 3 signals per node against a real Prometheus,
//! next to a raw HTTP fetch of the same three queries (the floor).
//!
//! `cargo bench -p warroom --bench poll` (needs `prometheus` installed: `make test` installs it).
//! Prometheus scrapes a local exporter that serves 3 gauges for each of 1 000 services; the
//! signals aggregate `by (service)`, so a cycle is 3 requests whatever the number of nodes.
//! Prints its figures; asserts nothing about time (these machines are shared and noisy).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use common::{Behaviour, Stub};
use warroom::config::Config;
use warroom::live::Live;
use warroom::monitor::Monitor;

const NODES: usize = 1000;
const ROUNDS: u32 = 50;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let mut text = String::new();
    for metric in ["bench_cpu", "bench_errors", "bench_up"] {
        text.push_str(&format!("# TYPE {metric} gauge\n"));
        for i in 0..NODES {
            text.push_str(&format!("{metric}{{service=\"svc-{i}\"}} 0.{}\n", i % 10));
        }
    }
    let exporter =
        Stub::start(Behaviour::Ok { body: text.into_bytes(), content_type: "text/plain; version=0.0.4" })
            .await;
    let prom = common::prometheus(&[exporter.port], "groups: []\n", None).await;
    let dir = tempfile::tempdir().unwrap();
    let mut topology = String::new();
    for i in 0..NODES {
        topology.push_str(&format!("[[node]]\nid = \"svc-{i}\"\n"));
    }
    std::fs::write(dir.path().join("topology.toml"), topology).unwrap();
    let queries = [
        ("cpu_ratio", "max by (service) (bench_cpu)"),
        ("http_5xx_ratio", "max by (service) (bench_errors)"),
        ("up", "max by (service) (bench_up)"),
    ];
    let mut config = format!(
        "[topology]\nfile = \"topology.toml\"\n[[source]]\nname = \"prom\"\nkind = \"prometheus\"\nurl = \"http://127.0.0.1:{}\"\ninterval_secs = 15\n",
        prom.port
    );
    for (metric, query) in queries {
        config.push_str(&format!(
            "[[signal]]\nmetric = \"{metric}\"\nsource = \"prom\"\nquery = '{query}'\nlabel = \"service\"\n"
        ));
    }
    std::fs::write(dir.path().join("warroom.toml"), config).unwrap();
    let config = Config::read(&dir.path().join("warroom.toml")).unwrap();
    let live = Live::start(&config).unwrap();
    let poller = warroom::sources::poller::Poller::new(&config).unwrap();

    // Wait for the first scrape to land.
    let deadline = Instant::now() + Duration::from_secs(30);
    while live.report(Utc::now()).nodes.iter().filter(|n| n.age_secs.is_some()).count() < NODES {
        live.cycle(Utc::now()).await;
        assert!(Instant::now() < deadline, "Prometheus never had the data");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{}/api/v1/query", prom.port);
    let raw = || async {
        let fetches = queries.map(|(_, q)| {
            let client = client.clone();
            let url = url.clone();
            async move {
                client.get(&url).query(&[("query", q)]).send().await.unwrap().bytes().await.unwrap().len()
            }
        });
        let [a, b, c] = fetches;
        let (a, b, c) = tokio::join!(a, b, c);
        a + b + c
    };
    let mut raw_times = Vec::new();
    let mut cycle_times = Vec::new();
    let mut fetch_times = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let bytes = raw().await;
        raw_times.push(t.elapsed());
        assert!(bytes > 0);
        let t = Instant::now();
        live.cycle(Utc::now()).await;
        cycle_times.push(t.elapsed());
        let t = Instant::now();
        poller.cycle(Utc::now()).await;
        fetch_times.push(t.elapsed());
    }
    let report = live.report(Utc::now());
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (raw_median, cycle_median) = (median(&mut raw_times), median(&mut cycle_times));
    println!("poll cycle, {NODES} nodes x 3 signals, real Prometheus, {ROUNDS} rounds:");
    println!("  requests per cycle: {}", report.queries);
    println!("  raw HTTP fetch of the 3 queries (median): {raw_median:?}");
    println!("  warroom cycle: fetch, parse, health for every node (median): {cycle_median:?}");
    println!("  of which fetch and parse only (median): {:?}", median(&mut fetch_times));
    println!(
        "  and ingest and health alone, measured apart (median): {:?}",
        ingest_median(&live, &poller).await
    );
    println!("  ratio: {:.2}x", cycle_median.as_secs_f64() / raw_median.as_secs_f64());
}

/// How long a monitor of the same topology takes to take in a cycle's samples and judge every
/// node: the rest of a warroom cycle. Measured after the rounds, each right after a fetch as in a
/// cycle, so the rounds above are timed as they always were.
async fn ingest_median(live: &Live, poller: &warroom::sources::poller::Poller) -> Duration {
    let (topology, thresholds) = {
        let monitor = live.monitor();
        (monitor.topology().clone(), monitor.thresholds().clone())
    };
    let mut monitor = Monitor::new(topology, thresholds);
    let mut times = Vec::new();
    for _ in 0..ROUNDS {
        let signals = poller.cycle(Utc::now()).await.signals;
        let t = Instant::now();
        monitor.ingest(signals, Utc::now());
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}
