//! Where signals come from: each source turns outside data into typed
//! [`Signals`](crate::model::Signals).
//!
//! A source never touches the graph or the store. The configured sources are asked together,
//! once per cycle, by the [`poller`]; the built-in [`drill`] answers with the same signals, so
//! everything downstream (health, blast radius, timeline, UI) cannot tell a drill from
//! production. The runtime's feed (`crate::runtime::Feed`) is where the two meet.

pub mod alertmanager;
pub mod cloudwatch;
pub mod drill;
pub mod http;
pub mod loki;
pub mod poller;
pub mod prometheus;
pub mod statuspage;

/// An alert's name (`alertname`) and the node it belongs to: the value of `node_label`, else of
/// `service`, `job` or `instance`, else the alert's own name. Alertmanager and Prometheus's
/// rule alerts label alike.
pub(crate) fn alert_name_and_node(
    labels: &std::collections::BTreeMap<String, String>,
    node_label: &str,
) -> (String, String) {
    let name = labels.get("alertname").cloned().unwrap_or_else(|| "unnamed".to_owned());
    let node = [node_label, "service", "job", "instance"]
        .iter()
        .find_map(|l| labels.get(*l))
        .cloned()
        .unwrap_or_else(|| name.clone());
    (name, node)
}
