//! The faults a source can have, each its own test, on a local stub server standing in for
//! Prometheus (a real Prometheus cannot be made to misbehave on cue; the stub answers in the
//! documented shape when healthy). For each fault: the state can be read in under 100 ms while a
//! cycle is stuck on the network, the nodes turn stale, the request rate to the failing endpoint
//! stays bounded by the breaker, and health recovers within two poll intervals once the fault
//! clears (a change must hold two cycles).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{Behaviour, Stub};
use warroom::config::Config;
use warroom::live::Live;
use warroom::model::Health;

const INTERVAL: f64 = 0.5;
const CYCLES: u32 = 8;

/// A healthy Prometheus answer, stamped now (an instant query's samples carry the query time).
fn healthy_answer() -> Behaviour {
    let now = Utc::now().timestamp_millis() as f64 / 1000.0;
    let body = format!(
        r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{"service":"order-service"}},"value":[{now},"0.001"]}}]}}}}"#
    );
    Behaviour::Ok { body: body.into_bytes(), content_type: "application/json" }
}

fn live_on(port: u16, dir: &std::path::Path) -> Live {
    std::fs::write(dir.join("topology.toml"), "[[node]]\nid = \"order-service\"\nentrypoint = true\n")
        .unwrap();
    let text = format!(
        "[topology]\nfile = \"topology.toml\"\n[[source]]\nname = \"prom\"\nkind = \"prometheus\"\nurl = \"http://127.0.0.1:{port}\"\ninterval_secs = {INTERVAL}\ntimeout_secs = 1\nmax_response_mb = 1\n[[signal]]\nmetric = \"http_5xx_ratio\"\nsource = \"prom\"\nquery = 'max by (service) (x)'\nlabel = \"service\"\n"
    );
    let path = dir.join("warroom.toml");
    std::fs::write(&path, text).unwrap();
    Live::start(&Config::read(&path).unwrap()).unwrap()
}

fn health(live: &Live) -> Health {
    live.monitor().health().get("order-service").copied().unwrap_or(Health::Unknown)
}

/// Healthy first; then the fault for `CYCLES` poll intervals; then the fault clears.
async fn survive(fault: Behaviour, stub_port: Option<u16>) {
    let stub = Stub::start(healthy_answer()).await;
    let dir = tempfile::tempdir().unwrap();
    // A port nobody listens on stands for a server that is down.
    let live = Arc::new(live_on(stub_port.unwrap_or(stub.port), dir.path()));
    if stub_port.is_none() {
        live.cycle(Utc::now()).await;
        assert_eq!(health(&live), Health::Healthy, "{:?}", live.report(Utc::now()));
    }
    stub.set(fault);
    let before = stub.requests();

    for _ in 0..CYCLES {
        let started = Instant::now();
        let cycle = tokio::spawn({
            let live = live.clone();
            async move { live.cycle(Utc::now()).await }
        });
        // While the cycle waits on the failing server, the state answers at once.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let asked = Instant::now();
        let report = live.report(Utc::now());
        assert!(asked.elapsed() < Duration::from_millis(100), "a state query took {:?}", asked.elapsed());
        assert_eq!(report.nodes.len(), 1);
        cycle.await.unwrap();
        let spent = started.elapsed();
        tokio::time::sleep(Duration::from_secs_f64(INTERVAL).saturating_sub(spent)).await;
    }
    let report = live.report(Utc::now());
    assert_eq!(health(&live), Health::Unknown, "stale, never healthy: {report:?}");
    let status = &report.sources[0];
    assert!(status.failing_since.is_some() && status.last_error.is_some(), "{status:?}");

    // Without a breaker: CYCLES calls of up to 3 tries. With it: at most 3 calls of 3 tries
    // before it opens, then one probe per interval.
    let sent = stub.requests() - before;
    if stub_port.is_none() {
        assert!(sent <= 3 * 3 + u64::from(CYCLES), "{sent} requests in {CYCLES} cycles");
    }

    stub.set(healthy_answer());
    if let Some(_down) = stub_port {
        return; // nothing to clear on a port nobody serves
    }
    // A change must hold two cycles before it is one: back to healthy at the second (each
    // answer stamped when it is served, as Prometheus stamps an instant query).
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_secs_f64(INTERVAL)).await;
        stub.set(healthy_answer());
        live.cycle(Utc::now()).await;
    }
    assert_eq!(
        health(&live),
        Health::Healthy,
        "recovered within two intervals: {:?}",
        live.report(Utc::now())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_source_is_down() {
    let (_held, port) = common::refused_port();
    survive(healthy_answer(), Some(port)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_source_answers_after_5_seconds() {
    survive(Behaviour::Slow(Duration::from_secs(5), Vec::new()), None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_source_answers_500() {
    survive(Behaviour::Status(500, None), None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_source_answers_429_with_retry_after() {
    survive(Behaviour::Status(429, Some(1)), None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_source_sends_truncated_json() {
    survive(
        Behaviour::Truncated(br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#.to_vec()),
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_source_sends_50_mb() {
    survive(Behaviour::Huge(50 * 1024 * 1024), None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_source_sends_the_wrong_content_type() {
    survive(
        Behaviour::Ok {
            body: b"<html><body>502 Bad Gateway</body></html>".to_vec(),
            content_type: "text/html",
        },
        None,
    )
    .await;
}
