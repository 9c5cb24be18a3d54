//! Loki's `/loki/api/v1/query_range`: log lines for the nodes, and metric queries.
//!
//! A log query returns streams whose values are `[nanosecond string, line]`, newest first; each
//! stream's label (by default `app`) names the node. A metric query returns a matrix whose last
//! value per series becomes a sample. Loki answers errors as plain text, which is passed on as
//! it is. The number of lines is capped by `limit`, which Loki honours server-side.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Deserialize;

use super::http::{Endpoint, FetchError};
use crate::config::SignalConfig;
use crate::model::{LogLine, Sample};

/// What went wrong with a Loki query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LokiError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("Loki: {0}")]
    Query(String),
    #[error("not a Loki answer: {0}")]
    Malformed(String),
}

#[derive(Deserialize)]
struct Envelope<'a> {
    status: String,
    #[serde(borrow)]
    data: Data<'a>,
}

#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum Data<'a> {
    #[serde(borrow)]
    Streams(Vec<Stream<'a>>),
    #[serde(borrow)]
    Matrix(Vec<Series<'a>>),
}

#[derive(Deserialize)]
struct Stream<'a> {
    #[serde(borrow)]
    stream: HashMap<Cow<'a, str>, Cow<'a, str>>,
    #[serde(borrow)]
    values: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

#[derive(Deserialize)]
struct Series<'a> {
    #[serde(borrow)]
    metric: HashMap<Cow<'a, str>, Cow<'a, str>>,
    #[serde(borrow)]
    values: Vec<(f64, Cow<'a, str>)>,
}

fn envelope<'a>(body: &'a [u8], content_type: &str) -> Result<Envelope<'a>, LokiError> {
    if !content_type.contains("json") {
        let text = String::from_utf8_lossy(body).trim().chars().take(300).collect();
        return Err(LokiError::Query(text));
    }
    let envelope: Envelope<'a> =
        serde_json::from_slice(body).map_err(|e| LokiError::Malformed(e.to_string()))?;
    if envelope.status != "success" {
        return Err(LokiError::Malformed(format!("status {}", envelope.status)));
    }
    Ok(envelope)
}

/// Which node a log line belongs to.
#[derive(Debug, Clone, Copy)]
pub enum LinesOf<'a> {
    /// The node named by this stream label.
    Label(&'a str),
    /// This node (a per-node selector).
    Node(&'a str),
}

/// Parses a log query's streams into lines, newest first, each given its node by `of`.
///
/// # Errors
/// [`LokiError::Query`] for Loki's plain-text errors, [`LokiError::Malformed`] otherwise.
pub fn parse_streams(body: &[u8], content_type: &str, of: LinesOf<'_>) -> Result<Vec<LogLine>, LokiError> {
    let Data::Streams(streams) = envelope(body, content_type)?.data else {
        return Err(LokiError::Malformed("a matrix where log lines were due".to_owned()));
    };
    let mut lines: Vec<LogLine> = streams
        .into_iter()
        .flat_map(|s| {
            let node = match of {
                LinesOf::Node(node) => node.to_owned(),
                LinesOf::Label(label) => {
                    s.stream.get(label).map(|v| v.to_string()).unwrap_or_else(|| "unknown".to_owned())
                }
            };
            let level = s.stream.get("level").map(|v| v.to_string()).unwrap_or_default();
            s.values.into_iter().filter_map(move |(ns, line)| {
                let ns: i64 = ns.parse().ok()?;
                Some(LogLine {
                    node: node.clone(),
                    at: Utc.timestamp_nanos(ns),
                    level: level.clone(),
                    line: line.into_owned(),
                })
            })
        })
        .collect();
    lines.sort_by_key(|l| std::cmp::Reverse(l.at));
    Ok(lines)
}

/// Parses a metric query's matrix: the last value of each series becomes a sample of `signal`.
///
/// # Errors
/// As [`parse_streams`].
pub fn parse_matrix(
    body: &[u8],
    content_type: &str,
    signal: &SignalConfig,
) -> Result<Vec<Sample>, LokiError> {
    let Data::Matrix(series) = envelope(body, content_type)?.data else {
        return Err(LokiError::Malformed("streams where a metric was due".to_owned()));
    };
    Ok(series
        .into_iter()
        .filter_map(|s| {
            let node = s.metric.get(signal.label.as_str())?.to_string();
            let (ts, value) = s.values.last()?;
            let value: f64 = value.parse().ok().filter(|v: &f64| !v.is_nan())?;
            let at = Utc.timestamp_millis_opt((ts * 1000.0) as i64).single()?;
            Some(Sample { node, metric: signal.metric, value, at })
        })
        .collect())
}

fn range(now: DateTime<Utc>) -> (String, String) {
    let start = (now - Duration::minutes(5)).timestamp_nanos_opt().unwrap_or_default();
    (start.to_string(), now.timestamp_nanos_opt().unwrap_or_default().to_string())
}

/// The newest `limit` lines of `query` over the last five minutes.
///
/// # Errors
/// As [`parse_streams`], or the fetch's error.
pub async fn logs(
    endpoint: &Endpoint,
    query: &str,
    of: LinesOf<'_>,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<Vec<LogLine>, LokiError> {
    let (start, end) = range(now);
    let limit = limit.to_string();
    let params =
        [("query", query), ("start", &start), ("end", &end), ("limit", &limit), ("direction", "backward")];
    endpoint.get("/loki/api/v1/query_range", &params, |a| parse_streams(&a.body, &a.content_type, of)).await?
}

/// A metric query over the last five minutes; the last point of each series.
///
/// # Errors
/// As [`parse_matrix`], or the fetch's error.
pub async fn metric(
    endpoint: &Endpoint,
    signal: &SignalConfig,
    now: DateTime<Utc>,
) -> Result<Vec<Sample>, LokiError> {
    let (start, end) = range(now);
    let params = [("query", signal.query.as_str()), ("start", &start), ("end", &end), ("step", "60")];
    endpoint
        .get("/loki/api/v1/query_range", &params, |a| parse_matrix(&a.body, &a.content_type, signal))
        .await?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Metric;

    #[test]
    fn the_documented_streams_newest_first_with_nanoseconds() {
        let body = include_bytes!("../../tests/fixtures/loki/query_range_streams.json");
        let lines = parse_streams(body, "application/json", LinesOf::Label("app")).unwrap();
        let pinned = parse_streams(body, "application/json", LinesOf::Node("order-service")).unwrap();
        assert!(
            pinned.iter().all(|l| l.node == "order-service"),
            "a per-node selector's lines are its node's"
        );
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].node, "order-service");
        assert!(lines[0].line.contains("HikariPool-1"));
        assert_eq!(lines[1].at.timestamp_subsec_nanos(), 123_456_789, "nanoseconds survive");
        assert_eq!(lines[1].node, "payment-service");
    }

    #[test]
    fn the_documented_matrix_and_plain_text_errors() {
        let body = include_bytes!("../../tests/fixtures/loki/query_range_matrix.json");
        let signal = SignalConfig {
            metric: Metric::ErrorLogRate,
            source: "loki".into(),
            query: "q".into(),
            label: "app".into(),
        };
        let samples = parse_matrix(body, "application/json", &signal).unwrap();
        assert!(!samples.is_empty());
        let error = include_bytes!("../../tests/fixtures/loki/error.txt");
        let err = parse_streams(error, "text/plain; charset=utf-8", LinesOf::Label("app")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Loki: parse error at line 1, col 8: syntax error: unexpected IDENTIFIER, expecting STRING"
        );
    }
}
