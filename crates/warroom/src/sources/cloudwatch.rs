//! AWS CloudWatch alarms: `DescribeAlarms` over the JSON 1.0 protocol
//! (`X-Amz-Target: GraniteServiceVersion20100801.DescribeAlarms`), signed with Signature V4 by
//! the endpoint. The current AWS SDK speaks CBOR only; JSON 1.0 is what every CloudWatch
//! endpoint (and local peers such as moto) still answers.
//!
//! Only alarms in `ALARM` are asked for: they are the firing alerts. An alarm belongs to the node
//! named by its dimension called `node_label` (e.g. `DBInstanceIdentifier`), else by the
//! configured `alarm_nodes` table (alarm name → node), else by its own name. Pages are followed
//! (`NextToken`) up to [`MAX_PAGES`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::http::{Endpoint, FetchError};
use crate::model::Alert;

/// At most this many pages of 100 alarms per cycle.
pub const MAX_PAGES: usize = 10;

/// What went wrong reading alarms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CloudwatchError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("not a DescribeAlarms answer: {0}")]
    Malformed(String),
    #[error("CloudWatch refused: {kind}: {message}")]
    Refused { kind: String, message: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Page {
    #[serde(default)]
    metric_alarms: Vec<RawAlarm>,
    #[serde(default)]
    composite_alarms: Vec<RawAlarm>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawAlarm {
    alarm_name: String,
    alarm_arn: Option<String>,
    alarm_description: Option<String>,
    state_value: String,
    state_reason: Option<String>,
    /// Seconds since the epoch, with a fraction (JSON 1.0 timestamps).
    state_updated_timestamp: Option<f64>,
    #[serde(default)]
    dimensions: Vec<Dimension>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Dimension {
    name: String,
    value: String,
}

/// An AWS JSON 1.0 error body: `{"__type": "...#ValidationError", "message": "..."}`.
#[derive(Deserialize)]
struct AwsError {
    #[serde(rename = "__type")]
    kind: String,
    #[serde(alias = "Message")]
    message: Option<String>,
}

/// How alarms map to nodes.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    pub node_dimension: String,
    pub alarm_nodes: BTreeMap<String, String>,
}

/// Parses one page of `DescribeAlarms`: the alarms in `ALARM` as firing alerts, and the token of
/// the next page.
///
/// # Errors
/// [`CloudwatchError::Refused`] for an AWS error body, [`CloudwatchError::Malformed`] for anything
/// else that is not the documented shape.
pub fn parse_page(
    body: &[u8],
    mapping: &Mapping,
    now: DateTime<Utc>,
) -> Result<(Vec<Alert>, Option<String>), CloudwatchError> {
    if let Ok(error) = serde_json::from_slice::<AwsError>(body) {
        let kind = error.kind.rsplit('#').next().unwrap_or(&error.kind).to_owned();
        return Err(CloudwatchError::Refused { kind, message: error.message.unwrap_or_default() });
    }
    let page: Page = serde_json::from_slice(body).map_err(|e| CloudwatchError::Malformed(e.to_string()))?;
    let alerts = page
        .metric_alarms
        .into_iter()
        .chain(page.composite_alarms)
        .filter(|a| a.state_value == "ALARM")
        .map(|a| {
            let node = a
                .dimensions
                .iter()
                .find(|d| d.name == mapping.node_dimension)
                .map(|d| d.value.clone())
                .or_else(|| mapping.alarm_nodes.get(&a.alarm_name).cloned())
                .unwrap_or_else(|| a.alarm_name.clone());
            let starts_at = a
                .state_updated_timestamp
                .and_then(|t| DateTime::from_timestamp_millis((t * 1000.0).round() as i64))
                .unwrap_or(now);
            let fingerprint =
                format!("cloudwatch:{}", a.alarm_arn.clone().unwrap_or_else(|| a.alarm_name.clone()));
            Alert {
                name: a.alarm_name,
                node,
                // CloudWatch alarms carry no severity: one in ALARM is taken as a warning.
                severity: "warning".to_owned(),
                firing: true,
                state: crate::model::AlertState::Firing,
                summary: a.alarm_description.or(a.state_reason).unwrap_or_default(),
                at: now,
                fingerprint,
                starts_at,
                runbook_url: None,
            }
        })
        .collect();
    Ok((alerts, page.next_token))
}

/// Every alarm in `ALARM`, all pages (up to [`MAX_PAGES`]).
///
/// # Errors
/// As [`parse_page`], or the fetch's error.
pub async fn alarms(
    endpoint: &Endpoint,
    mapping: &Mapping,
    now: DateTime<Utc>,
) -> Result<Vec<Alert>, CloudwatchError> {
    let headers = [
        ("x-amz-target", "GraniteServiceVersion20100801.DescribeAlarms"),
        ("content-type", "application/x-amz-json-1.0"),
    ];
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut request = serde_json::json!({
            "StateValue": "ALARM",
            "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
            "MaxRecords": 100,
        });
        if let Some(token) = &token {
            request["NextToken"] = serde_json::Value::String(token.clone());
        }
        let body = request.to_string();
        let (alerts, next) = endpoint
            .post("/", &headers, body.as_bytes(), |answer| parse_page(&answer.body, mapping, now))
            .await??;
        all.extend(alerts);
        match next {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => break,
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_shape_maps_alarms_to_nodes_by_dimension_or_name() {
        let body = include_bytes!("../../tests/fixtures/cloudwatch/describe_alarms.json");
        let mapping = Mapping { node_dimension: "DBInstanceIdentifier".into(), ..Mapping::default() };
        let (alerts, next) = parse_page(body, &mapping, Utc::now()).unwrap();
        assert_eq!(next, None);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].name, "orders-db-cpu-high");
        assert_eq!(alerts[0].node, "orders-db");
        assert!(alerts[0].firing);
        assert_eq!(alerts[0].starts_at.timestamp_millis(), 1_763_885_100_123);
        assert!(alerts[0].fingerprint.starts_with("cloudwatch:arn:aws:cloudwatch:"));

        let by_name = Mapping {
            node_dimension: "InstanceId".into(),
            alarm_nodes: [("orders-db-cpu-high".to_owned(), "mysql-primary".to_owned())].into(),
        };
        let (alerts, _) = parse_page(body, &by_name, Utc::now()).unwrap();
        assert_eq!(alerts[0].node, "mysql-primary");
    }

    #[test]
    fn aws_errors_and_garbage_say_why() {
        let err = parse_page(
            br#"{"__type":"com.amazon.coral.validate#ValidationException","message":"bad StateValue"}"#,
            &Mapping::default(),
            Utc::now(),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "CloudWatch refused: ValidationException: bad StateValue");
        assert!(matches!(
            parse_page(b"<ErrorResponse/>", &Mapping::default(), Utc::now()),
            Err(CloudwatchError::Malformed(_))
        ));
    }
}
