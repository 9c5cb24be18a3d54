//! Loki and Statuspage, which cannot be installed here: a local HTTP server replays the responses
//! in the exact shapes of their official documentation (`tests/fixtures/`, copied from
//! `../shared/fixtures/`), and warroom's configuration, poller and monitor read them as they
//! would the real services.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Utc;
use common::{Behaviour, Stub};
use warroom::config::Config;
use warroom::live::Live;
use warroom::model::Health;

#[tokio::test(flavor = "multi_thread")]
async fn a_status_page_and_loki_feed_health_and_log_lines() {
    let status = Stub::start(Behaviour::Ok {
        body: include_bytes!("fixtures/statuspage/summary.json").to_vec(),
        content_type: "application/json",
    })
    .await;
    let loki = Stub::start(Behaviour::Ok {
        body: include_bytes!("fixtures/loki/query_range_streams.json").to_vec(),
        content_type: "application/json",
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("topology.toml"),
        "[[node]]\nid = \"order-service\"\nentrypoint = true\ndepends_on = [\"cloud-api\"]\n[[node]]\nid = \"cloud-api\"\nkind = \"external_provider\"\n",
    )
    .unwrap();
    let config = dir.path().join("warroom.toml");
    std::fs::write(
        &config,
        format!(
            "[topology]\nfile = \"topology.toml\"\n\
             [[source]]\nname = \"cloud\"\nkind = \"statuspage\"\nurl = \"http://127.0.0.1:{}\"\ncomponents = {{ \"cloud-api\" = \"API\" }}\n\
             [[source]]\nname = \"logs\"\nkind = \"loki\"\nurl = \"http://127.0.0.1:{}\"\nlogs_query = '{{level=~\"error|warn\"}}'\nlogs_limit = 50\nnode_logs = {{ \"cloud-api\" = '{{job=\"egress-proxy\"}} |= \"cloud-api\"' }}\n",
            status.port, loki.port
        ),
    )
    .unwrap();
    let live = Live::start(&Config::read(&config).unwrap()).unwrap();
    live.cycle(Utc::now()).await;

    // "Is it us or is it them?": the provider's page says partial outage on its API.
    let health = live.monitor().health();
    assert_eq!(health["cloud-api"], Health::Degraded);
    let view = live.monitor().view(Utc::now());
    let provider = view.nodes.iter().find(|n| n.id == "cloud-api").unwrap();
    assert_eq!(provider.reasons, ["status page: partial outage"]);

    // Loki's lines arrive per node, newest first; markup in them is just text.
    let order_lines: Vec<&str> =
        view.logs.iter().filter(|l| l.node == "order-service").map(|l| l.line.as_str()).collect();
    assert_eq!(order_lines.len(), 2);
    assert!(order_lines[1].contains("<script>alert(1)</script>"));
    let report = live.report(Utc::now());
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.queries, 3, "status page, the shared log query, one per-node selector");
    // A per-node selector's lines are that node's, whatever their stream labels say.
    assert!(view.logs.iter().any(|l| l.node == "cloud-api"), "{:?}", view.logs);
    // Loki was asked (its answer is the documented shape; the stub does not check the limit).
    assert!(loki.requests() >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn loki_plain_text_errors_reach_the_status_bar() {
    let loki = Stub::start(Behaviour::Ok {
        body: include_bytes!("fixtures/loki/error.txt").to_vec(),
        content_type: "text/plain; charset=utf-8",
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("topology.toml"), "[[node]]\nid = \"a\"\n").unwrap();
    let config = dir.path().join("warroom.toml");
    std::fs::write(
        &config,
        format!("[topology]\nfile = \"topology.toml\"\n[[source]]\nname = \"logs\"\nkind = \"loki\"\nurl = \"http://127.0.0.1:{}\"\nlogs_query = 'oops'\n", loki.port),
    )
    .unwrap();
    let live = Live::start(&Config::read(&config).unwrap()).unwrap();
    live.cycle(Utc::now()).await;
    let report = live.report(Utc::now());
    assert_eq!(
        report.problems[0].message,
        "Loki: parse error at line 1, col 8: syntax error: unexpected IDENTIFIER, expecting STRING"
    );
    assert_eq!(report.sources[0].last_error.as_deref(), Some(report.problems[0].message.as_str()));
}
