//! Prometheus's HTTP API: one instant query per signal, for all nodes at once.
//!
//! Each configured signal is a query aggregated by the label that names the node
//! (`sum by (service) (...)`), so a poll cycle sends one request per signal whatever the number
//! of nodes. Sample values arrive as strings; `NaN` (no data, e.g. 0/0) is dropped, `+Inf`/`-Inf`
//! are kept as the extremes they are. `warnings` on success are passed on; an error body
//! (`status: error`) becomes an error naming its `errorType`.
//!
//! A signal's answer is read as it is parsed, for the one label that names the node
//! (`answer.rs`): a poll cycle reads thousands of series. Other answers (ranges, checks, service
//! graphs) are few and small, and read whole into the structs below.

mod answer;

use std::borrow::Cow;
use std::marker::PhantomData;

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny};

use self::answer::{Envelope, EnvelopeSeed, Instant, InstantSeed};
use super::http::{Endpoint, FetchError};
use crate::config::SignalConfig;
use crate::model::Sample;

/// What went wrong with a query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrometheusError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("query `{query}`: {error_type}: {error}")]
    Query { query: String, error_type: String, error: String },
    #[error("query `{query}`: not a Prometheus answer ({reason})")]
    Malformed { query: String, reason: String },
}

#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum Data<'a> {
    #[serde(borrow)]
    Vector(Vec<VectorSample<'a>>),
    #[serde(borrow)]
    Scalar((f64, Cow<'a, str>)),
    #[serde(borrow)]
    Matrix(Vec<MatrixSeries<'a>>),
    String(IgnoredAny),
}

/// One series of a matrix (a range query's answer).
#[derive(Deserialize)]
struct MatrixSeries<'a> {
    #[serde(borrow)]
    metric: std::collections::HashMap<Cow<'a, str>, Cow<'a, str>>,
    #[serde(borrow)]
    values: Vec<(f64, Cow<'a, str>)>,
}

/// One series of a vector, every label of it.
#[derive(Deserialize)]
struct VectorSample<'a> {
    #[serde(borrow)]
    metric: std::collections::HashMap<Cow<'a, str>, Cow<'a, str>>,
    #[serde(borrow)]
    value: (f64, Cow<'a, str>),
}

/// The samples of one signal, and any warnings Prometheus gave.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub samples: Vec<Sample>,
    pub warnings: Vec<String>,
}

fn at(ts: f64) -> DateTime<Utc> {
    let millis = (ts * 1000.0).round() as i64;
    Utc.timestamp_millis_opt(millis).single().unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Parses a value as Prometheus writes it: a decimal, `NaN`, `+Inf`, `-Inf`.
fn value(text: &str) -> Option<f64> {
    match text {
        "NaN" => None,
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        other => other.parse::<f64>().ok().filter(|v| !v.is_nan()),
    }
}

/// Reads a query's answer, its `data` with `data`: a successful envelope, or the error it carries.
fn successful<'a, S: DeserializeSeed<'a>>(
    query: &str,
    body: &'a [u8],
    data: S,
) -> Result<Envelope<S::Value>, PrometheusError> {
    let mut json = serde_json::Deserializer::from_slice(body);
    let envelope = EnvelopeSeed(data)
        .deserialize(&mut json)
        .and_then(|envelope| json.end().map(|()| envelope))
        .map_err(|e| PrometheusError::Malformed { query: query.to_owned(), reason: e.to_string() })?;
    if envelope.status != "success" {
        return Err(PrometheusError::Query {
            query: query.to_owned(),
            error_type: envelope.error_type.unwrap_or_else(|| "error".to_owned()),
            error: envelope.error.unwrap_or_default(),
        });
    }
    Ok(envelope)
}

/// Turns an instant-query answer into samples of `signal`.
///
/// # Errors
/// [`PrometheusError::Query`] for an error body, [`PrometheusError::Malformed`] for anything
/// that is not Prometheus JSON (truncated, HTML from a proxy, a matrix where a vector was due).
pub fn parse_instant(signal: &SignalConfig, body: &[u8]) -> Result<QueryResult, PrometheusError> {
    let malformed = |reason: String| PrometheusError::Malformed { query: signal.query.clone(), reason };
    let seed = InstantSeed { label: &signal.label, metric: signal.metric };
    let envelope = successful(&signal.query, body, seed)?;
    let data = match envelope.data {
        Some(Instant::Unordered) => read_whole(signal, body)?,
        data => data,
    };
    let samples = match data {
        Some(Instant::Vector(samples)) => samples,
        Some(Instant::Scalar) => {
            return Err(malformed(format!(
                "a scalar has no `{}` label: aggregate `by ({})`",
                signal.label, signal.label
            )));
        }
        Some(Instant::Matrix) => return Err(malformed("a range vector: use an instant vector".to_owned())),
        Some(Instant::Unordered) | None => return Err(malformed("no data".to_owned())),
    };
    Ok(QueryResult { samples, warnings: envelope.warnings })
}

/// Reads an instant query's answer whole, every label of every series, when it could not be
/// read as it was parsed.
fn read_whole(signal: &SignalConfig, body: &[u8]) -> Result<Option<Instant>, PrometheusError> {
    Ok(match successful(&signal.query, body, PhantomData::<Data>)?.data {
        Some(Data::Vector(vector)) => Some(Instant::Vector(
            vector
                .into_iter()
                .filter_map(|s| {
                    let node = s.metric.get(signal.label.as_str())?.to_string();
                    let v = value(&s.value.1)?;
                    Some(Sample { node, metric: signal.metric, value: v, at: at(s.value.0) })
                })
                .collect(),
        )),
        Some(Data::Scalar(_) | Data::String(_)) => Some(Instant::Scalar),
        Some(Data::Matrix(_)) => Some(Instant::Matrix),
        None => None,
    })
}

/// Turns a range-query answer into samples of `signal`, oldest first per node.
///
/// # Errors
/// As [`parse_instant`]; a vector where a matrix was due is malformed.
pub fn parse_range(signal: &SignalConfig, body: &[u8]) -> Result<Vec<Sample>, PrometheusError> {
    let malformed = |reason: String| PrometheusError::Malformed { query: signal.query.clone(), reason };
    let envelope = successful(&signal.query, body, PhantomData::<Data>)?;
    let Some(Data::Matrix(series)) = envelope.data else {
        return Err(malformed("expected a matrix from a range query".to_owned()));
    };
    Ok(series
        .into_iter()
        .filter_map(|s| Some((s.metric.get(signal.label.as_str())?.to_string(), s.values)))
        .flat_map(|(node, values)| {
            values.into_iter().filter_map(move |(t, v)| {
                Some(Sample { node: node.clone(), metric: signal.metric, value: value(&v)?, at: at(t) })
            })
        })
        .collect())
}

/// Runs one signal's query over `[start, end]` every `step` (the charts' history).
///
/// # Errors
/// As [`parse_range`], or the fetch's error.
pub async fn query_range(
    endpoint: &Endpoint,
    signal: &SignalConfig,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    step: std::time::Duration,
) -> Result<Vec<Sample>, PrometheusError> {
    let secs = |t: DateTime<Utc>| format!("{:.3}", t.timestamp_millis() as f64 / 1000.0);
    let (start, end, step) = (secs(start), secs(end), format!("{:.3}", step.as_secs_f64().max(1.0)));
    let query = [("query", signal.query.as_str()), ("start", &start), ("end", &end), ("step", &step)];
    endpoint.get("/api/v1/query_range", &query, |answer| parse_range(signal, &answer.body)).await?
}

/// Reads an instant query's answer as one number: a scalar, or a vector of exactly one series
/// (a runbook check's value).
///
/// # Errors
/// As [`parse_instant`]; no series, several series, or `NaN` are malformed, saying which.
pub fn parse_scalar(query: &str, body: &[u8]) -> Result<(f64, DateTime<Utc>), PrometheusError> {
    let malformed = |reason: String| PrometheusError::Malformed { query: query.to_owned(), reason };
    let (t, text) = match successful(query, body, PhantomData::<Data>)?.data {
        Some(Data::Scalar((t, v))) => (t, v.into_owned()),
        Some(Data::Vector(mut series)) if series.len() == 1 => {
            let (t, v) = series.remove(0).value;
            (t, v.into_owned())
        }
        Some(Data::Vector(series)) => {
            return Err(malformed(format!(
                "{} series: a check needs exactly one (aggregate it)",
                series.len()
            )));
        }
        _ => return Err(malformed("not a number".to_owned())),
    };
    let v = value(&text).ok_or_else(|| malformed(format!("the value is {text}")))?;
    Ok((v, at(t)))
}

/// Runs `query` as an instant query now and reads one number.
///
/// # Errors
/// As [`parse_scalar`], or the fetch's error.
pub async fn scalar(
    endpoint: &Endpoint,
    query: &str,
    now: DateTime<Utc>,
) -> Result<(f64, DateTime<Utc>), PrometheusError> {
    let time = format!("{:.3}", now.timestamp_millis() as f64 / 1000.0);
    endpoint
        .get("/api/v1/query", &[("query", query), ("time", time.as_str())], |answer| {
            parse_scalar(query, &answer.body)
        })
        .await?
}

/// Parses a service-graph answer: one (client, server) pair per series.
///
/// # Errors
/// As [`parse_instant`].
pub fn parse_edges(query: &str, body: &[u8]) -> Result<Vec<(String, String)>, PrometheusError> {
    let malformed = |reason: String| PrometheusError::Malformed { query: query.to_owned(), reason };
    let Some(Data::Vector(vector)) = successful(query, body, PhantomData::<Data>)?.data else {
        return Err(malformed("expected an instant vector".to_owned()));
    };
    let mut edges: Vec<(String, String)> = vector
        .into_iter()
        .filter_map(|s| Some((s.metric.get("client")?.to_string(), s.metric.get("server")?.to_string())))
        .filter(|(client, server)| client != server)
        .collect();
    edges.sort();
    edges.dedup();
    Ok(edges)
}

/// The dependencies seen in traces: Tempo / OpenTelemetry service-graph metrics, a series per
/// (client, server) pair that had traffic in the lookback window.
///
/// # Errors
/// As [`parse_edges`], or the fetch's error.
pub async fn edges(
    endpoint: &Endpoint,
    metric: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(String, String)>, PrometheusError> {
    let query = format!("group by (client, server) ({metric})");
    let time = format!("{:.3}", now.timestamp_millis() as f64 / 1000.0);
    endpoint
        .get("/api/v1/query", &[("query", query.as_str()), ("time", time.as_str())], |answer| {
            parse_edges(&query, &answer.body)
        })
        .await?
}

#[derive(Deserialize)]
struct RulesEnvelope {
    status: String,
    data: Option<RulesData>,
}

#[derive(Deserialize)]
struct RulesData {
    groups: Vec<RuleGroup>,
}

#[derive(Deserialize)]
struct RuleGroup {
    name: String,
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    name: String,
    #[serde(default)]
    health: String,
    last_error: Option<String>,
    #[serde(default)]
    alerts: Vec<RuleAlert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuleAlert {
    labels: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    annotations: std::collections::BTreeMap<String, String>,
    state: String,
    active_at: DateTime<Utc>,
}

/// What Prometheus's own rules say: their alerts, and the rules it cannot evaluate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    /// Firing alerts fire; pending ones are kept as not firing yet.
    pub alerts: Vec<crate::model::Alert>,
    /// "group/rule: last error" for every rule whose health is not ok: an alert that cannot fire
    /// is worth knowing about during an incident.
    pub broken: Vec<String>,
}

/// Parses `/api/v1/rules`. Prometheus gives alerts no fingerprint, so the sorted labels are one.
///
/// # Errors
/// [`PrometheusError::Malformed`] for anything but the documented shape with status success.
pub fn parse_rules(body: &[u8], node_label: &str, now: DateTime<Utc>) -> Result<Rules, PrometheusError> {
    let malformed = |reason: String| PrometheusError::Malformed { query: "/api/v1/rules".to_owned(), reason };
    let envelope: RulesEnvelope = serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
    let Some(data) = envelope.data.filter(|_| envelope.status == "success") else {
        return Err(malformed(format!("status {}", envelope.status)));
    };
    let mut rules = Rules::default();
    for group in data.groups {
        for rule in group.rules {
            if !rule.health.is_empty() && rule.health != "ok" && rule.health != "unknown" {
                let error = rule.last_error.unwrap_or_else(|| format!("health {}", rule.health));
                rules.broken.push(format!("rule {}/{}: {error}", group.name, rule.name));
            }
            rules.alerts.extend(rule.alerts.into_iter().map(|a| {
                let (name, node) = super::alert_name_and_node(&a.labels, node_label);
                let fingerprint = format!(
                    "prometheus:{}",
                    a.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
                );
                crate::model::Alert {
                    name,
                    node,
                    severity: a.labels.get("severity").cloned().unwrap_or_else(|| "none".to_owned()),
                    firing: a.state == "firing",
                    state: if a.state == "firing" {
                        crate::model::AlertState::Firing
                    } else {
                        crate::model::AlertState::Pending
                    },
                    summary: a.annotations.get("summary").cloned().unwrap_or_default(),
                    at: now,
                    fingerprint,
                    starts_at: a.active_at,
                    runbook_url: a.annotations.get("runbook_url").cloned(),
                }
            }));
        }
    }
    Ok(rules)
}

/// The alerting rules' alerts (firing or about to) and broken rules, from `/api/v1/rules`.
///
/// # Errors
/// As [`parse_rules`], or the fetch's error.
pub async fn rules(
    endpoint: &Endpoint,
    node_label: &str,
    now: DateTime<Utc>,
) -> Result<Rules, PrometheusError> {
    endpoint
        .get("/api/v1/rules", &[("type", "alert")], |answer| parse_rules(&answer.body, node_label, now))
        .await?
}

/// Runs one signal's query as of `now`.
///
/// # Errors
/// As [`parse_instant`], or the fetch's error.
pub async fn query(
    endpoint: &Endpoint,
    signal: &SignalConfig,
    now: DateTime<Utc>,
) -> Result<QueryResult, PrometheusError> {
    let time = format!("{:.3}", now.timestamp_millis() as f64 / 1000.0);
    let query = [("query", signal.query.as_str()), ("time", time.as_str())];
    endpoint
        .get("/api/v1/query", &query, |answer| {
            if !answer.content_type.contains("json") {
                let ct = if answer.content_type.is_empty() {
                    "no content type"
                } else {
                    answer.content_type.as_str()
                };
                return Err(PrometheusError::Malformed {
                    query: signal.query.clone(),
                    reason: format!("expected application/json, got {ct}"),
                });
            }
            parse_instant(signal, &answer.body)
        })
        .await?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Metric;

    fn signal(label: &str) -> SignalConfig {
        SignalConfig { metric: Metric::Up, source: "p".into(), query: "up".into(), label: label.into() }
    }

    #[test]
    fn the_documented_matrix_shape_for_charts() {
        let body = include_bytes!("../../tests/fixtures/prometheus/query_range_matrix.json");
        let samples = parse_range(&signal("service"), body).unwrap();
        let order: Vec<f64> = samples.iter().filter(|s| s.node == "order-service").map(|s| s.value).collect();
        assert_eq!(order, [0.004, 0.011, 0.035, 0.081]);
        let payment: Vec<f64> =
            samples.iter().filter(|s| s.node == "payment-service").map(|s| s.value).collect();
        assert_eq!(payment, [0.0, 0.0, f64::INFINITY], "NaN is a gap, +Inf is kept");
        assert_eq!(samples[1].at.timestamp(), 1_763_880_015);
        let vector = include_bytes!("../../tests/fixtures/prometheus/query_vector.json");
        assert!(parse_range(&signal("job"), vector).unwrap_err().to_string().contains("expected a matrix"));
    }

    #[test]
    fn a_check_reads_one_number_and_says_why_not() {
        let scalar = include_bytes!("../../tests/fixtures/prometheus/query_scalar.json");
        assert!(parse_scalar("q", scalar).is_ok());
        let vector = include_bytes!("../../tests/fixtures/prometheus/query_vector.json");
        let err = parse_scalar("q", vector).unwrap_err().to_string();
        assert!(err.contains("2 series: a check needs exactly one"), "{err}");
        let one = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.5"]}]}}"#;
        assert_eq!(parse_scalar("q", one).unwrap().0, 0.5);
        let nan = br#"{"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}}"#;
        assert!(parse_scalar("q", nan).unwrap_err().to_string().contains("the value is NaN"));
    }

    #[test]
    fn the_documented_vector_shape() {
        let body = include_bytes!("../../tests/fixtures/prometheus/query_vector.json");
        let result = parse_instant(&signal("job"), body).unwrap();
        let got: Vec<(&str, f64)> = result.samples.iter().map(|s| (s.node.as_str(), s.value)).collect();
        assert_eq!(got, [("order-service", 1.0), ("payment-service", 0.0)]);
        assert_eq!(result.samples[0].at.timestamp_millis(), 1_763_880_000_781);
    }

    #[test]
    fn the_documented_rules_give_alerts_and_broken_rules() {
        let body = include_bytes!("../../tests/fixtures/prometheus/rules.json");
        let rules = parse_rules(body, "service", Utc::now()).unwrap();
        assert_eq!(
            rules.broken,
            [
                "rule example/QueueBacklog: many-to-many matching not allowed: matching labels must be unique on one side"
            ]
        );
        let alerts = rules.alerts;
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0].runbook_url.as_deref(), Some("https://runbooks.example.com/high-error-rate"));
        assert_eq!(alerts[1].runbook_url, None);
        assert!(alerts[0].firing && !alerts[1].firing, "pending is not firing yet");
        assert_eq!(alerts[0].node, "order-service");
        assert_eq!(alerts[0].starts_at.to_rfc3339(), "2026-11-23T06:27:12.606021440+00:00");
        assert!(alerts[0].fingerprint.contains("alertname=HighErrorRate"));
    }

    #[test]
    fn the_documented_service_graph_edges() {
        let body = include_bytes!("../../tests/fixtures/prometheus/servicegraph_edges.json");
        let edges = parse_edges("q", body).unwrap();
        assert_eq!(edges.len(), 4);
        assert!(edges.contains(&("order-service".to_owned(), "orders-db".to_owned())));
    }

    #[test]
    fn nan_is_dropped_and_infinities_kept() {
        let body = br#"{"status":"success","warnings":["partial data"],"data":{"resultType":"vector","result":[
            {"metric":{"job":"a"},"value":[1,"NaN"]},{"metric":{"job":"b"},"value":[1,"+Inf"]},{"metric":{"other":"c"},"value":[1,"1"]}]}}"#;
        let result = parse_instant(&signal("job"), body).unwrap();
        assert_eq!(result.samples.len(), 1);
        assert_eq!(result.samples[0].value, f64::INFINITY);
        assert_eq!(result.warnings, ["partial data"]);
    }

    #[test]
    fn error_bodies_and_garbage_are_errors_that_say_why() {
        let body = include_bytes!("../../tests/fixtures/prometheus/error_bad_data.json");
        let err = parse_instant(&signal("job"), body).unwrap_err();
        assert!(err.to_string().contains("bad_data: invalid parameter"), "{err}");
        let err =
            parse_instant(&signal("job"), br#"{"status":"success","data":{"resultType":"vec"#).unwrap_err();
        assert!(matches!(err, PrometheusError::Malformed { .. }), "{err}");
        let err = parse_instant(&signal("job"), b"<html>502 Bad Gateway</html>").unwrap_err();
        assert!(matches!(err, PrometheusError::Malformed { .. }));
        let scalar = include_bytes!("../../tests/fixtures/prometheus/query_scalar.json");
        assert!(
            parse_instant(&signal("job"), scalar).unwrap_err().to_string().contains("aggregate `by (job)`")
        );
    }

    /// The signal's answer is read as it is parsed, for one label: it must read as the whole
    /// answer does, whatever the other labels, escapes or the order of the keys.
    #[test]
    fn reading_as_parsed_gives_what_reading_whole_gives() {
        let vector = include_bytes!("../../tests/fixtures/prometheus/query_vector.json");
        let escaped = br#"{"data":{"resultType":"vector","result":[
            {"value":[1.5,"2"],"metric":{"job":"a","service":"caf\u00e9 \"x\"","z":"\\n"}},
            {"metric":{"service":"b"},"value":[1.5,"-Inf"],"extra":true},
            {"metric":{"job":"c"},"value":[1.5,"3"]}]},"status":"success"}"#;
        for (label, body) in [("job", &vector[..]), ("service", &escaped[..])] {
            let signal = signal(label);
            let whole = match read_whole(&signal, body).unwrap() {
                Some(Instant::Vector(samples)) => samples,
                _ => panic!("not a vector"),
            };
            assert_eq!(parse_instant(&signal, body).unwrap().samples, whole);
            assert!(!whole.is_empty());
        }
        let samples = parse_instant(&signal("service"), escaped).unwrap().samples;
        assert_eq!(samples[0].node, "café \"x\"");
        assert_eq!(samples.len(), 2, "a series without the label is left out");

        // `result` before `resultType`: read whole, with the same outcome.
        let late = br#"{"status":"success","data":{"result":[{"metric":{"job":"a"},"value":[1,"1"]}],"resultType":"vector"}}"#;
        assert_eq!(parse_instant(&signal("job"), late).unwrap().samples[0].node, "a");
        let late = br#"{"status":"success","data":{"result":[1,"1"],"resultType":"scalar"}}"#;
        assert!(parse_instant(&signal("job"), late).unwrap_err().to_string().contains("a scalar has no"));
        for broken in [
            &br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a"}}]}}"#[..],
            br#"{"status":"success","data":{"resultType":"vector","result":[]}} trailing"#,
            br#"{"status":"success","status":"success","data":null}"#,
            br#"{"status":"success","data":{"resultType":"vectors","result":[]}}"#,
            br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a","z":1},"value":[1,"1"]}]}}"#,
        ] {
            let err = parse_instant(&signal("job"), broken).unwrap_err();
            assert!(matches!(err, PrometheusError::Malformed { .. }), "{err}");
        }
        let none = br#"{"status":"success","data":null}"#;
        assert!(parse_instant(&signal("job"), none).unwrap_err().to_string().contains("no data"));
    }
}
