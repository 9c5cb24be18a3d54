//! Alertmanager's API v2: `/api/v2/alerts`, a bare JSON array.
//!
//! An alert belongs to the node named by the configured label (default `service`), else by `job`
//! or `instance`. `active` and `unprocessed` alerts are firing; `suppressed` ones (silenced or
//! inhibited) are kept but not firing. `mutedBy` exists only on newer versions: it is optional.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::http::{Endpoint, FetchError};
use crate::model::{Alert, AlertState};

/// What went wrong reading alerts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AlertmanagerError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("not an Alertmanager v2 answer: {0}")]
    Malformed(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAlert {
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    fingerprint: String,
    starts_at: DateTime<Utc>,
    status: RawStatus,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStatus {
    state: String,
    #[serde(default)]
    silenced_by: Vec<String>,
    #[serde(default)]
    inhibited_by: Vec<String>,
}

/// An alert with what identifies it across polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedAlert {
    pub alert: Alert,
    pub fingerprint: String,
    pub starts_at: DateTime<Utc>,
    pub state: String,
}

/// Parses `/api/v2/alerts`; alerts that name no node are kept with the alert name as node.
///
/// # Errors
/// [`AlertmanagerError::Malformed`] for anything but a JSON array of alerts.
pub fn parse_alerts(
    body: &[u8],
    node_label: &str,
    now: DateTime<Utc>,
) -> Result<Vec<FetchedAlert>, AlertmanagerError> {
    let raw: Vec<RawAlert> =
        serde_json::from_slice(body).map_err(|e| AlertmanagerError::Malformed(e.to_string()))?;
    Ok(raw
        .into_iter()
        .map(|a| {
            let (name, node) = super::alert_name_and_node(&a.labels, node_label);
            let summary = a
                .annotations
                .get("summary")
                .or_else(|| a.annotations.get("description"))
                .cloned()
                .unwrap_or_default();
            FetchedAlert {
                alert: Alert {
                    name,
                    node,
                    severity: a.labels.get("severity").cloned().unwrap_or_else(|| "none".to_owned()),
                    firing: a.status.state != "suppressed",
                    state: match a.status.state.as_str() {
                        "suppressed"
                            if a.status.silenced_by.is_empty() && !a.status.inhibited_by.is_empty() =>
                        {
                            AlertState::Inhibited
                        }
                        "suppressed" => AlertState::Silenced,
                        _ => AlertState::Firing,
                    },
                    summary,
                    at: now,
                    fingerprint: a.fingerprint.clone(),
                    starts_at: a.starts_at,
                    runbook_url: a.annotations.get("runbook_url").cloned(),
                },
                fingerprint: a.fingerprint,
                starts_at: a.starts_at,
                state: a.status.state,
            }
        })
        .collect())
}

/// Fetches every alert.
///
/// # Errors
/// As [`parse_alerts`], or the fetch's error.
pub async fn alerts(
    endpoint: &Endpoint,
    node_label: &str,
    now: DateTime<Utc>,
) -> Result<Vec<FetchedAlert>, AlertmanagerError> {
    endpoint.get("/api/v2/alerts", &[], |answer| parse_alerts(&answer.body, node_label, now)).await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_shape_maps_to_nodes_and_states() {
        let body = include_bytes!("../../tests/fixtures/alertmanager/alerts_v2.json");
        let alerts = parse_alerts(body, "service", DateTime::<Utc>::UNIX_EPOCH).unwrap();
        assert_eq!(alerts[0].alert.name, "RedisDown");
        assert_eq!(alerts[0].alert.node, "redis");
        assert!(alerts[0].alert.firing);
        assert_eq!(alerts[0].alert.summary, "redis-0 is not answering");
        assert_eq!(alerts[0].fingerprint, "6f2b1c3d4e5a6b7c");
        assert_eq!(alerts[1].state, "suppressed");
        assert!(!alerts[1].alert.firing);
        assert_eq!(alerts[1].alert.state, AlertState::Silenced);
        assert_eq!(alerts[0].alert.state, AlertState::Firing);
        assert!(matches!(
            parse_alerts(b"{\"data\":[]}", "service", Utc::now()),
            Err(AlertmanagerError::Malformed(_))
        ));
    }
}
