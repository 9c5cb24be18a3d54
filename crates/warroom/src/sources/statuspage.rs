//! Provider status pages in the Atlassian Statuspage v2 format (`/api/v2/summary.json`), which
//! many cloud and SaaS providers publish: "is it us or is it them?".
//!
//! An external-provider node takes its health from one component of the page, named in the
//! configuration. Unknown component statuses (the format allows new ones) are kept as degraded
//! rather than ignored: a provider saying something unusual is worth a look.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::http::{Endpoint, FetchError};
use crate::model::{Metric, Sample};

/// What went wrong reading a status page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatuspageError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("not a Statuspage v2 summary: {0}")]
    Malformed(String),
    #[error("the status page has no component named '{0}'")]
    NoComponent(String),
}

#[derive(Deserialize)]
struct Summary {
    components: Vec<Component>,
    #[serde(default)]
    incidents: Vec<Incident>,
}

#[derive(Deserialize)]
struct Component {
    name: String,
    status: String,
}

/// An incident the provider has declared.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export, rename = "ProviderIncident"))]
pub struct Incident {
    pub name: String,
    pub status: String,
    #[serde(default)]
    pub impact: String,
    pub shortlink: Option<String>,
}

/// The component statuses as a number: 0 operational … 3 major outage.
fn level(status: &str) -> f64 {
    match status {
        "operational" => 0.0,
        "degraded_performance" | "under_maintenance" => 1.0,
        "partial_outage" => 2.0,
        "major_outage" => 3.0,
        _ => 1.0,
    }
}

/// The samples for the configured (node → component) pairs, and the provider's open incidents.
///
/// # Errors
/// [`StatuspageError::Malformed`] for anything but a summary, [`StatuspageError::NoComponent`]
/// when a configured component is not on the page.
pub fn parse_summary(
    body: &[u8],
    components: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Result<(Vec<Sample>, Vec<Incident>), StatuspageError> {
    let summary: Summary =
        serde_json::from_slice(body).map_err(|e| StatuspageError::Malformed(e.to_string()))?;
    let mut samples = Vec::new();
    for (node, wanted) in components {
        let component = summary
            .components
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| StatuspageError::NoComponent(wanted.clone()))?;
        samples.push(Sample {
            node: node.clone(),
            metric: Metric::ProviderStatus,
            value: level(&component.status),
            at: now,
        });
    }
    let open = summary
        .incidents
        .into_iter()
        .filter(|i| i.status != "resolved" && i.status != "postmortem")
        .collect();
    Ok((samples, open))
}

/// Fetches the page.
///
/// # Errors
/// As [`parse_summary`], or the fetch's error.
pub async fn summary(
    endpoint: &Endpoint,
    components: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Result<(Vec<Sample>, Vec<Incident>), StatuspageError> {
    endpoint.get("/api/v2/summary.json", &[], |answer| parse_summary(&answer.body, components, now)).await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_summary() {
        let body = include_bytes!("../../tests/fixtures/statuspage/summary.json");
        let components: BTreeMap<String, String> =
            [("cloud-api".to_owned(), "API".to_owned()), ("storage".to_owned(), "Storage".to_owned())].into();
        let (samples, incidents) = parse_summary(body, &components, Utc::now()).unwrap();
        assert_eq!(samples[0].node, "cloud-api");
        assert_eq!(samples[0].value, 2.0, "partial_outage");
        assert_eq!(samples[1].value, 0.0);
        assert_eq!(incidents[0].name, "Elevated API error rates");
        let missing: BTreeMap<String, String> = [("x".to_owned(), "Queues".to_owned())].into();
        assert!(matches!(parse_summary(body, &missing, Utc::now()), Err(StatuspageError::NoComponent(_))));
        assert_eq!(level("some_new_status"), 1.0);
    }
}
