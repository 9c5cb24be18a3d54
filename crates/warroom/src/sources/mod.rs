//! Where signals come from: each source turns outside data into typed [`Signals`].
//!
//! A source never touches the graph or the store. The built-in drill is a source like any other,
//! so everything downstream (health, blast radius, timeline, UI) cannot tell a drill from
//! production; Prometheus, Alertmanager, Loki and the status pages join it behind the same trait.

pub mod alertmanager;
pub mod cloudwatch;
pub mod drill;
pub mod http;
pub mod loki;
pub mod poller;
pub mod prometheus;
pub mod statuspage;

use chrono::{DateTime, Utc};

use crate::model::Signals;

/// A source of signals, polled by the runtime.
pub trait Source: Send {
    /// A short name for the status bar ("drill", "prometheus", ...).
    fn name(&self) -> &str;

    /// What the source says as of `now`.
    ///
    /// # Errors
    /// [`SourceError`] when the source cannot answer; the runtime keeps the last good values and
    /// marks them stale.
    fn poll(&mut self, now: DateTime<Utc>) -> Result<Signals, SourceError>;
}

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

/// Why a source could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error("{source_name}: {message}")]
    Failed { source_name: String, message: String },
}
