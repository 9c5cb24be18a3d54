//! Real sources: a real Prometheus (scraping a test exporter every second, with an alerting
//! rule) and a real Alertmanager, both from Debian's packages on 127.0.0.1, polled through
//! warroom's configuration, poller and monitor. Then the faults a source can have, each on a
//! local stub server (the only way to make a server misbehave on cue).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{Behaviour, Stub};
use warroom::config::Config;
use warroom::live::Live;
use warroom::model::Health;

const TOPOLOGY: &str = r#"
[[node]]
id = "api-gateway"
entrypoint = true
depends_on = ["order-service", "payment-service"]

[[node]]
id = "order-service"

[[node]]
id = "payment-service"
"#;

fn metrics(order_errors: f64) -> Behaviour {
    let text = format!(
        "# TYPE warroom_test_error_ratio gauge\nwarroom_test_error_ratio{{service=\"order-service\"}} {order_errors}\nwarroom_test_error_ratio{{service=\"payment-service\"}} 0.001\nwarroom_test_error_ratio{{service=\"api-gateway\"}} 0.001\n# TYPE warroom_test_up gauge\nwarroom_test_up{{service=\"order-service\"}} 1\nwarroom_test_up{{service=\"payment-service\"}} 1\nwarroom_test_up{{service=\"api-gateway\"}} 1\n"
    );
    Behaviour::Ok { body: text.into_bytes(), content_type: "text/plain; version=0.0.4" }
}

const RULES: &str = "groups:\n  - name: warroom\n    rules:\n      - alert: HighErrorRate\n        expr: warroom_test_error_ratio > 0.02\n        labels:\n          severity: critical\n        annotations:\n          summary: '{{ $labels.service }} answers 5xx'\n";

fn write_config(dir: &Path, prometheus: u16, alertmanager: Option<u16>, timeout: f64) -> Config {
    std::fs::write(dir.join("topology.toml"), TOPOLOGY).unwrap();
    let am = alertmanager
        .map(|p| format!("[[source]]\nname = \"am\"\nkind = \"alertmanager\"\nurl = \"http://127.0.0.1:{p}\"\ninterval_secs = 1\ntimeout_secs = {timeout}\n"))
        .unwrap_or_default();
    let text = format!(
        "[topology]\nfile = \"topology.toml\"\n\n[[source]]\nname = \"prom\"\nkind = \"prometheus\"\nurl = \"http://127.0.0.1:{prometheus}\"\ninterval_secs = 1\ntimeout_secs = {timeout}\n\n{am}\n[[signal]]\nmetric = \"http_5xx_ratio\"\nsource = \"prom\"\nquery = 'max by (service) (warroom_test_error_ratio)'\nlabel = \"service\"\n\n[[signal]]\nmetric = \"up\"\nsource = \"prom\"\nquery = 'max by (service) (warroom_test_up)'\nlabel = \"service\"\n"
    );
    let path = dir.join("warroom.toml");
    std::fs::write(&path, text).unwrap();
    Config::read(&path).unwrap()
}

/// A live monitor of `TOPOLOGY` on one Prometheus source, with `option` (one TOML line) added.
fn live_on_prometheus(dir: &Path, port: u16, option: &str) -> Live {
    std::fs::write(dir.join("topology.toml"), TOPOLOGY).unwrap();
    let path = dir.join("warroom.toml");
    let text = format!(
        "[topology]\nfile = \"topology.toml\"\n[[source]]\nname = \"prom\"\nkind = \"prometheus\"\nurl = \"http://127.0.0.1:{port}\"\ninterval_secs = 1\n{option}\n"
    );
    std::fs::write(&path, text).unwrap();
    Live::start(&Config::read(&path).unwrap()).unwrap()
}

/// Cycles every 250 ms until `check` holds on the live state, or 40 s pass.
async fn cycle_until(live: &Live, what: &str, check: impl Fn(&Live) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        live.cycle(Utc::now()).await;
        if check(live) {
            return;
        }
        let report = live.report(Utc::now());
        assert!(Instant::now() < deadline, "timed out waiting for: {what}; last report: {report:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn health(live: &Live, node: &str) -> Health {
    live.monitor().health().get(node).copied().unwrap_or(Health::Unknown)
}

#[tokio::test(flavor = "multi_thread")]
async fn real_prometheus_and_alertmanager_drive_health_alerts_and_staleness() {
    let exporter = Stub::start(metrics(0.3)).await;
    let am = common::alertmanager().await;
    let prom = common::prometheus(&[exporter.port], RULES, Some(am.port)).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), prom.port, Some(am.port), 2.0);
    let live = Live::start(&config).unwrap();

    cycle_until(&live, "order-service down from its 5xx ratio", |l| {
        health(l, "order-service") == Health::Down
    })
    .await;
    assert_eq!(health(&live, "payment-service"), Health::Healthy);
    let radius = live.monitor().blast_radius();
    assert_eq!(radius.entrypoints_down, ["api-gateway"]);
    let report = live.report(Utc::now());
    assert_eq!(report.queries, 3, "one request per signal and per alert source, not per node");
    let order = report.nodes.iter().find(|n| n.id == "order-service").unwrap();
    assert!(order.reasons[0].starts_with("http_5xx_ratio 30.0% > 2.0%"), "{order:?}");

    // The rule fires in Prometheus, reaches Alertmanager, and maps to the node by its label.
    cycle_until(&live, "the HighErrorRate alert on order-service", |l| {
        l.monitor()
            .view(Utc::now())
            .alerts
            .iter()
            .any(|a| a.name == "HighErrorRate" && a.node == "order-service")
    })
    .await;

    // A responder silences it in Alertmanager: still shown, as silenced, no longer firing.
    let now = Utc::now();
    let silence = serde_json::json!({
        "matchers": [{"name": "alertname", "value": "HighErrorRate", "isRegex": false, "isEqual": true}],
        "startsAt": now.to_rfc3339(),
        "endsAt": (now + chrono::Duration::hours(1)).to_rfc3339(),
        "createdBy": "warroom-test",
        "comment": "known, fixing",
    });
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/api/v2/silences", am.port))
        .header("content-type", "application/json")
        .body(silence.to_string())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    cycle_until(&live, "the alert shown as silenced", |l| {
        l.monitor().view(Utc::now()).alerts.iter().any(|a| {
            a.name == "HighErrorRate" && a.state == warroom::model::AlertState::Silenced && !a.firing
        }) && l.monitor().firing_alerts().iter().all(|a| a.name != "HighErrorRate")
    })
    .await;

    // The fix lands: errors drop, the node recovers.
    exporter.set(metrics(0.001));
    cycle_until(&live, "order-service healthy again", |l| health(l, "order-service") == Health::Healthy)
        .await;

    // Prometheus dies: the values are kept but age, turn stale (unknown, never healthy), and
    // the source says it is failing.
    drop(prom);
    cycle_until(&live, "stale data turns unknown", |l| health(l, "payment-service") == Health::Unknown).await;
    let report = live.report(Utc::now());
    let prom_status = report.sources.iter().find(|s| s.name == "prom").unwrap();
    assert!(prom_status.failing_since.is_some() && prom_status.last_error.is_some(), "{prom_status:?}");
    let node = report.nodes.iter().find(|n| n.id == "payment-service").unwrap();
    assert!(node.reasons[0].starts_with("stale: last data"), "{node:?}");
}

/// The CLI: `warroom poll --config FILE --once --json` against a real Prometheus.
#[tokio::test(flavor = "multi_thread")]
async fn poll_once_prints_every_node_and_source() {
    let exporter = Stub::start(metrics(0.3)).await;
    let prom = common::prometheus(&[exporter.port], RULES, None).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), prom.port, None, 2.0);
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(["poll", "--once", "--json", "--config"])
            .arg(&config.path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let order =
            report["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "order-service").cloned().unwrap();
        if order["health"] == "down" {
            assert_eq!(report["sources"][0]["name"], "prom");
            assert_eq!(report["queries"], 2);
            // The blast radius of the polled health: the gateway that depends on the failing
            // service is impacted, and users see it.
            let blast = &report["blast"];
            assert_eq!(blast["down"], serde_json::json!(["order-service"]), "{blast}");
            assert_eq!(blast["entrypoints_down"], serde_json::json!(["api-gateway"]), "{blast}");
            let gateway =
                blast["impacted"].as_array().unwrap().iter().find(|i| i["id"] == "api-gateway").unwrap();
            assert_eq!(gateway["reason"], serde_json::json!(["api-gateway", "order-service"]));
            assert!(blast["degraded"].is_array() && blast["groups"].is_array());
            break;
        }
        assert!(Instant::now() < deadline, "order-service never showed down: {report}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["poll", "--once"])
        .env_remove("WARROOM_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("poll needs --config"));
}

/// `warroom watch --config FILE --incident ID` runs the window's loop on a real Prometheus:
/// the changes are printed as JSON lines and recorded on the incident, with the topology
/// snapshot replay needs; `--for` ends it.
#[tokio::test(flavor = "multi_thread")]
async fn watch_records_live_sources_on_an_incident_headless() {
    let exporter = Stub::start(metrics(0.3)).await;
    let prom = common::prometheus(&[exporter.port], RULES, None).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), prom.port, None, 2.0);
    let db = dir.path().join("watch.db");
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
            .arg("--db")
            .arg(&db)
            .arg("--config")
            .arg(&config.path)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let id = cli(&["incident", "declare", "--title", "Orders 5xx", "--severity", "SEV2"]);
    let id = id.trim();
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let out = cli(&["watch", "--incident", id, "--for", "3", "--json"]);
        let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let timeline: serde_json::Value = serde_json::from_str(&cli(&["timeline", id, "--json"])).unwrap();
        let kinds: Vec<&str> =
            timeline.as_array().unwrap().iter().map(|e| e["kind"]["type"].as_str().unwrap()).collect();
        let down = timeline.as_array().unwrap().iter().any(|e| {
            (e["kind"]["type"] == "health_changed"
                && e["kind"]["node"] == "order-service"
                && e["kind"]["to"] == "down")
                || (e["kind"]["type"] == "topology_recorded"
                    && e["kind"]["health"]["order-service"] == "down")
        });
        if down {
            assert!(kinds.contains(&"topology_recorded"), "{kinds:?}");
            // What the sources said is written by them; starting and stopping the recording is
            // the responder's doing, from the command line.
            let foreign: Vec<&serde_json::Value> = timeline
                .as_array()
                .unwrap()
                .iter()
                .skip(1)
                .filter(|e| match e["kind"]["type"].as_str() {
                    Some("recording_started" | "recording_stopped") => e["origin"] != "cli",
                    _ => e["origin"] != "live" && e["origin"] != "check",
                })
                .collect();
            assert!(foreign.is_empty(), "{foreign:?}");
            assert!(lines.iter().all(|l| l["change"].is_string() && l["at"].is_string()), "{out}");
            let printed = |l: &serde_json::Value| {
                l["change"] == "health" && l["node"] == "order-service" && l["to"] == "down"
            };
            assert!(lines.iter().any(printed), "the change was printed as it was recorded: {out}");
            break;
        }
        assert!(Instant::now() < deadline, "order-service never recorded down: {kinds:?}\n{out}");
    }
}

/// Dependencies seen in traces (Tempo / OpenTelemetry service-graph metrics, scraped by the real
/// Prometheus) are merged into the declared topology and marked discovered.
#[tokio::test(flavor = "multi_thread")]
async fn service_graph_metrics_add_discovered_dependencies() {
    let text = "# TYPE traces_service_graph_request_total counter\n\
        traces_service_graph_request_total{client=\"order-service\",server=\"ledger\",connection_type=\"\"} 42\n\
        traces_service_graph_request_total{client=\"api-gateway\",server=\"order-service\",connection_type=\"\"} 420\n";
    let exporter =
        Stub::start(Behaviour::Ok { body: text.as_bytes().to_vec(), content_type: "text/plain" }).await;
    let prom = common::prometheus(&[exporter.port], "groups: []\n", None).await;
    let dir = tempfile::tempdir().unwrap();
    let live = live_on_prometheus(dir.path(), prom.port, "discover_edges = true");
    cycle_until(&live, "the ledger discovered from traces", |l| {
        l.monitor().topology().node("ledger").is_some()
    })
    .await;
    let view = live.monitor().view(Utc::now());
    let edge = view.edges.iter().find(|e| e.from == "order-service" && e.to == "ledger").unwrap();
    assert!(edge.discovered);
    let declared = view.edges.iter().find(|e| e.from == "api-gateway" && e.to == "order-service").unwrap();
    assert!(!declared.discovered, "declared in the file, so not marked discovered");
    // A discovered dependency counts in the blast radius like a declared one.
    assert_eq!(live.monitor().topology().what_if(&["ledger"]).entrypoints_down, ["api-gateway"]);
}

/// Prometheus's own rule alerts (`/api/v1/rules`), without an Alertmanager in between.
#[tokio::test(flavor = "multi_thread")]
async fn prometheus_rule_alerts_are_read_directly() {
    let exporter = Stub::start(metrics(0.3)).await;
    // A second rule that Prometheus loads but cannot evaluate (many-to-many matching).
    let rules = format!(
        "{RULES}      - alert: CannotFire\n        expr: warroom_test_error_ratio > on() group_left warroom_test_up\n"
    );
    let prom = common::prometheus(&[exporter.port], &rules, None).await;
    let dir = tempfile::tempdir().unwrap();
    let live = live_on_prometheus(dir.path(), prom.port, "alerts = true");
    cycle_until(&live, "HighErrorRate firing from Prometheus's rule", |l| {
        l.monitor().firing_alerts().iter().any(|a| a.name == "HighErrorRate" && a.node == "order-service")
    })
    .await;
    let alert = live.monitor().firing_alerts().into_iter().find(|a| a.node == "order-service").unwrap();
    assert_eq!(alert.severity, "critical");
    assert_eq!(alert.summary, "order-service answers 5xx");
    cycle_until(&live, "the broken rule reported", |l| {
        l.report(Utc::now()).warnings.iter().any(|w| w.starts_with("rule warroom/CannotFire: "))
    })
    .await;
}

/// The charts' half hour comes from Prometheus's range queries: history written into a real
/// Prometheus by promtool (one value a minute, 30 down to 2 minutes ago) is in the chart right
/// after start, in time order, with its values, before any poll.
#[tokio::test(flavor = "multi_thread")]
async fn charts_start_with_the_last_half_hour_from_range_queries() {
    let now = Utc::now();
    let mut history = String::from("# TYPE warroom_test_error_ratio gauge\n");
    for minutes_ago in (2..=30).rev() {
        let t = now.timestamp() - minutes_ago * 60;
        history.push_str(&format!(
            "warroom_test_error_ratio{{service=\"order-service\"}} {} {t}\n",
            minutes_ago as f64 / 1000.0
        ));
    }
    history.push_str("# EOF\n");
    let exporter = Stub::start(metrics(0.001)).await;
    let prom = common::prometheus_with_history(&[exporter.port], "groups: []\n", None, Some(&history)).await;
    let dir = tempfile::tempdir().unwrap();
    let live = live_on_prometheus(
        dir.path(),
        prom.port,
        "[[signal]]\nmetric = \"http_5xx_ratio\"\nsource = \"prom\"\nquery = 'max by (service) (warroom_test_error_ratio)'\nlabel = \"service\"\n",
    );
    let problems = live.backfill(Utc::now()).await;
    assert!(problems.is_empty(), "{problems:?}");
    let points = live.monitor().history("order-service", warroom::model::Metric::Http5xxRatio);
    assert!(points.windows(2).all(|w| w[0].0 < w[1].0), "oldest first, no duplicates");
    let oldest = points.first().unwrap();
    assert!(now - oldest.0 >= chrono::Duration::minutes(25), "half an hour back: {:?}", oldest.0);
    // Range queries step every poll interval (1 s here) and repeat the last value for up to 5
    // minutes (Prometheus's lookback), so each backfilled minute's value is in the chart.
    for minutes_ago in [29i64, 20, 10, 3] {
        let expected = minutes_ago as f64 / 1000.0;
        assert!(
            points.iter().any(|(_, v)| (v - expected).abs() < 1e-9),
            "the value of {minutes_ago} minutes ago ({expected}) is in the chart"
        );
    }
    assert!(
        live.monitor()
            .charts("order-service", &[])
            .unwrap()
            .iter()
            .any(|c| c.metric == warroom::model::Metric::Http5xxRatio && c.svg.contains("<svg"))
    );
}

/// Runbook checks against the real Prometheus: a warroom signal answered from what was polled,
/// raw PromQL answered by an instant query; passed, failed, and not evaluable (several series).
#[tokio::test(flavor = "multi_thread")]
async fn runbook_checks_pass_and_fail_against_a_real_prometheus() {
    use warroom::checks::{self, Observed, Plan};
    let exporter = Stub::start(metrics(0.3)).await;
    let prom = common::prometheus(&[exporter.port], "groups: []\n", None).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), prom.port, None, 2.0);
    let live = Live::start(&config).unwrap();
    cycle_until(&live, "order-service down from its 5xx ratio", |l| {
        health(l, "order-service") == Health::Down
    })
    .await;

    let text = "---\nid: t\ntitle: T\napplies_to:\n  kinds: [service]\n---\n# T\n\n## Detect\n- [ ] Errors on the node.\n  ```promql\n  max(http_5xx_ratio{service=\"$node\"})\n  expect: > 0.02\n  ```\n- [ ] Payment is fine.\n  ```promql\n  max(warroom_test_error_ratio{service=\"payment-service\"})\n  expect: > 0.02\n  ```\n- [ ] Every service at once.\n  ```promql\n  warroom_test_error_ratio\n  expect: < 1\n  ```\n";
    let runbook = warroom::runbook::Runbook::parse(Path::new("t.md"), text).unwrap();
    let mut outcomes = Vec::new();
    for step in runbook.steps() {
        let check = step.check.as_ref().unwrap();
        let observed = match checks::plan(check, Some("order-service")) {
            Plan::Monitor(signal) => checks::from_monitor(&signal, &live.monitor(), Utc::now()),
            Plan::Prometheus(query) => match live.scalar(&query, Utc::now()).await {
                Ok((v, at)) => Observed::Value(v, at),
                Err(why) => Observed::Nothing(why),
            },
        };
        outcomes.push(checks::judge(&check.condition, &observed));
    }
    assert_eq!(outcomes[0].0, Some(true), "the signal, from the monitor: {:?}", outcomes[0]);
    assert_eq!(outcomes[0].1, "0.3", "{:?}", outcomes[0]);
    assert_eq!(outcomes[1].0, Some(false), "raw PromQL, asked of Prometheus: {:?}", outcomes[1]);
    assert_eq!(outcomes[1].1, "0.001", "{:?}", outcomes[1]);
    assert_eq!(outcomes[2].0, None, "several series are no answer: {:?}", outcomes[2]);
    assert!(outcomes[2].1.contains("3 series"), "{:?}", outcomes[2]);
}
