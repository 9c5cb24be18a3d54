//! Any bytes as an answer from a monitored server: Prometheus (instant, range, scalar, rules,
//! service graph), Alertmanager, Loki (streams, matrix) and a Statuspage summary. Never a panic:
//! a server under stress or a proxy's error page must not take the war room down.

#![no_main]

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use warroom::config::SignalConfig;
use warroom::model::Metric;
use warroom::sources::{alertmanager, loki, prometheus, statuspage};

fuzz_target!(|data: &[u8]| {
    let now = Utc.timestamp_opt(1_790_000_000, 0).single().unwrap_or_default();
    let signal = SignalConfig {
        metric: Metric::Http5xxRatio,
        source: "prom".to_owned(),
        query: "sum by (service) (x)".to_owned(),
        label: "service".to_owned(),
    };
    let _ = prometheus::parse_instant(&signal, data);
    let _ = prometheus::parse_range(&signal, data);
    let _ = prometheus::parse_scalar("x", data);
    let _ = prometheus::parse_rules(data, "service", now);
    let _ = prometheus::parse_edges("x", data);
    let _ = warroom::changes::prometheus::parse_matrix("x", data);
    let _ = alertmanager::parse_alerts(data, "service", now);
    let _ = loki::parse_streams(data, "application/json", loki::LinesOf::Label("service"));
    let _ = loki::parse_streams(data, "text/plain", loki::LinesOf::Node("order-service"));
    let _ = loki::parse_matrix(data, "application/json", &signal);
    let components: BTreeMap<String, String> = [("api-gateway".to_owned(), "API".to_owned())].into();
    let _ = statuspage::parse_summary(data, &components, now);
});
