//! The built-in drills: every scenario parses, and each one's worst moment (its peak) gives the
//! health and blast radius its playbook describes (golden snapshots in `tests/snapshots/`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::process::Command;

use chrono::{DateTime, Utc};
use serde_json::json;
use warroom::health::Thresholds;
use warroom::model::Health;
use warroom::monitor::Monitor;
use warroom::rehearsal::simulation;
use warroom::sources::drill::Scenario;

/// Health and blast radius of a scenario at its peak, with seed 1.
fn peak(name: &str) -> serde_json::Value {
    let (sim, topology) = simulation(name, 1).unwrap();
    let at = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20_000);
    let mut monitor = Monitor::new(topology, Thresholds::default());
    monitor.ingest(sim.signals_at(sim.scenario.peak_secs, at, |_| at), at);
    let unhealthy: BTreeMap<String, Health> =
        monitor.health().into_iter().filter(|(_, h)| *h != Health::Healthy).collect();
    let radius = monitor.blast_radius();
    let alerts: Vec<String> =
        monitor.view(at).alerts.iter().map(|a| format!("{} on {}", a.name, a.node)).collect();
    json!({ "unhealthy": unhealthy, "blast": radius, "alerts": alerts })
}

#[test]
fn every_built_in_scenario_parses_and_names_known_nodes() {
    let scenarios = Scenario::built_in().unwrap();
    assert_eq!(scenarios.len(), 5);
    let topology = warroom::rehearsal::reference_topology().unwrap();
    for s in &scenarios {
        assert!(s.peak_secs < s.duration_secs, "{}: the peak lies inside the scenario", s.name);
        for fault in &s.faults {
            assert!(topology.node(&fault.node).is_some(), "{}: unknown node {}", s.name, fault.node);
        }
    }
}

#[test]
fn db_pool_exhaustion_at_its_peak() {
    insta::assert_json_snapshot!(peak("db-pool-exhaustion"));
}

#[test]
fn memory_leak_at_its_peak() {
    insta::assert_json_snapshot!(peak("memory-leak"));
}

#[test]
fn redis_down_at_its_peak() {
    insta::assert_json_snapshot!(peak("redis-down"));
}

#[test]
fn k8s_node_failure_at_its_peak() {
    insta::assert_json_snapshot!(peak("k8s-node-failure"));
}

#[test]
fn traffic_surge_at_its_peak() {
    insta::assert_json_snapshot!(peak("traffic-surge"));
}

#[test]
fn a_broken_scenario_names_its_line() {
    let err = Scenario::parse("x", "name = \"x\"\ntitle = \"t\"\nsummary = \"s\"\ntopology = \"reference\"\nduration_secs = 10\npeak_secs = 5\n[[fault]]\nnode = \"a\"\nmetric = \"temperature\"\nto = 1\nstart_secs = 0\n").unwrap_err();
    assert_eq!(err.line, 9, "{err}");
    assert!(err.message.contains("temperature"), "{err}");
}

/// The CLI plays a whole scenario fast, prints the changes and records them on an incident.
#[test]
fn the_cli_plays_a_drill_headless_and_records_health_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("drill.db");
    let cli = |args: &[&str]| {
        let out =
            Command::new(env!("CARGO_BIN_EXE_warroom")).arg("--db").arg(&db).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let id = cli(&["incident", "declare", "--title", "drill", "--severity", "SEV3"]);
    let out = cli(&[
        "drill",
        "run",
        "db-pool-exhaustion",
        "--speed",
        "2000",
        "--seed",
        "1",
        "--headless",
        "--incident",
        id.trim(),
    ]);
    assert!(out.contains("order-service      degraded → down  (http_5xx_ratio"), "{out}");
    assert!(out.contains("OUTAGE: api-gateway is down because api-gateway → order-service"), "{out}");
    assert!(out.contains("OUTAGE OVER"), "{out}");
    let timeline: serde_json::Value = serde_json::from_str(&cli(&["timeline", id.trim(), "--json"])).unwrap();
    let changes: Vec<&serde_json::Value> =
        timeline.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "health_changed").collect();
    assert!(changes.len() >= 6, "{changes:?}");
    assert!(changes.iter().all(|e| e["origin"] == "drill"));
    assert!(changes.iter().any(|e| e["kind"]["node"] == "mysql-primary" && e["kind"]["to"] == "degraded"));
    // Alerts too, once each per fingerprint, fired then resolved as the drill recovers.
    let fired: Vec<&serde_json::Value> =
        timeline.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "alert_fired").collect();
    let resolved =
        timeline.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "alert_resolved").count();
    assert_eq!(fired.len(), 3, "{fired:?}");
    assert_eq!(resolved, 3);
    assert!(
        fired
            .iter()
            .any(|e| e["kind"]["name"] == "OrderServiceHighErrorRate" && e["kind"]["severity"] == "critical")
    );
    assert!(out.contains("ALERT MySQLConnectionPoolNearlyExhausted firing on mysql-primary"), "{out}");
    let shown: serde_json::Value =
        serde_json::from_str(&cli(&["incident", "show", id.trim(), "--json"])).unwrap();
    assert!(shown["first_alert_at"].is_string(), "the incident knows when its first alert fired: {shown}");

    // The recording carries the topology: `replay` gives the blast radius at the moment the
    // order service went down, and the affected nodes' samples make the postmortem's charts.
    let down = changes
        .iter()
        .find(|e| e["kind"]["node"] == "order-service" && e["kind"]["to"] == "down")
        .expect("order-service went down");
    let at = down["at"].as_str().unwrap();
    let moment: serde_json::Value =
        serde_json::from_str(&cli(&["replay", id.trim(), "--at", at, "--json"])).unwrap();
    assert!(moment["radius"]["down"].as_array().unwrap().iter().any(|n| n == "order-service"), "{moment}");
    assert!(moment["radius"]["entrypoints_down"].as_array().unwrap().iter().any(|n| n == "api-gateway"));
    let out_dir = dir.path().join("pm");
    let written = cli(&["export", id.trim(), "--format", "md", "--out", out_dir.to_str().unwrap()]);
    let files: Vec<&str> = written.lines().collect();
    assert!(files[0].ends_with(".md") && files.len() == 9, "the .md and 4 charts as PNG and SVG: {files:?}");
    let md = std::fs::read_to_string(files[0]).unwrap();
    assert!(md.contains("Entrypoints affected over the incident: api-gateway."), "{md}");

    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["drill", "run", "db-pool-exhaustion"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--headless"));
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["drill", "run", "nope", "--headless"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the built-in ones are memory-leak, db-pool-exhaustion")
    );
}

/// A drill's alert fires when its node's reported value crosses the threshold its rule has,
/// carrying that value and that instant: the alert, the node's health and the reason the panel
/// shows agree (regression: the pool alert said 99 % while the node showed 88 % and healthy).
#[test]
fn a_drill_alert_fires_at_the_crossing_with_the_value_then() {
    use warroom::rehearsal::Rehearsal;
    for scenario in ["db-pool-exhaustion", "redis-down", "memory-leak"] {
        let t0 = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20_000);
        let mut drill = Rehearsal::start(scenario, 3, 1.0, t0).unwrap().hold_cycles(1);
        let mut seen = std::collections::BTreeSet::new();
        let mut t = t0;
        while !drill.finished(t) {
            let changes = drill.step(t);
            for alert in &changes.fired {
                seen.insert(alert.name.clone());
                let health = drill.monitor().health()[&alert.node];
                assert_ne!(
                    health,
                    Health::Healthy,
                    "{scenario}: {} fired while {} was healthy",
                    alert.name,
                    alert.node
                );
                assert_eq!(alert.starts_at, t, "{scenario}: {} started when it was first seen", alert.name);
                let reasons = drill.view(t).nodes.into_iter().find(|n| n.id == alert.node).unwrap().reasons;
                assert!(
                    reasons.contains(&alert.summary),
                    "{scenario}: '{}' is the node's own reason {reasons:?}",
                    alert.summary
                );
            }
            t += chrono::Duration::seconds(5);
        }
        assert!(!seen.is_empty(), "{scenario} fired alerts");
    }
}
