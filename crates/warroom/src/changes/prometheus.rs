//! Changes in a Prometheus's history, read with range queries over the look-back window (so
//! changes made before warroom started are found):
//! - deploys: a query giving a version label per node (`max by (service, version)
//!   (app_build_info)`): a node's version appearing after another is a deploy from → to;
//! - restarts: a node's process start time (`process_start_time_seconds`): each start time
//!   inside the window is a restart, dated by the value itself (to the second);
//! - config reloads: a node's last successful reload time, read the same way.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

use super::{ChangeError, ChangeSource, ChangeSourceKind, Window};
use crate::config::SourceConfig;
use crate::model::{Change, ChangeKind};
use crate::sources::http::Endpoint;

/// One series of a range query's answer: its labels and (time, value) pairs, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub values: Vec<(DateTime<Utc>, f64)>,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    data: Option<Data>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<Matrix>,
}

#[derive(Deserialize)]
struct Matrix {
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// Reads a range query's answer (a matrix).
///
/// # Errors
/// Prometheus's own error (`errorType: error`), or an answer that is not a matrix.
pub fn parse_matrix(query: &str, body: &[u8]) -> Result<Vec<Series>, String> {
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|e| format!("query `{query}`: not a Prometheus answer ({e})"))?;
    if envelope.status != "success" {
        return Err(format!(
            "query `{query}`: {}: {}",
            envelope.error_type.unwrap_or_else(|| "error".to_owned()),
            envelope.error.unwrap_or_default()
        ));
    }
    let data = envelope.data.ok_or_else(|| format!("query `{query}`: no data"))?;
    if data.result_type != "matrix" {
        return Err(format!("query `{query}`: expected a matrix, got a {}", data.result_type));
    }
    Ok(data
        .result
        .into_iter()
        .map(|m| Series {
            labels: m.metric,
            values: m
                .values
                .into_iter()
                .filter_map(|(t, v)| Some((instant(t)?, v.parse::<f64>().ok().filter(|v| v.is_finite())?)))
                .collect(),
        })
        .collect())
}

fn instant(secs: f64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt((secs * 1000.0).round() as i64).single()
}

/// Deploys in a version query's answer: per node, each version in the order it first appeared;
/// one appearing after the first sample of the window is a deploy from the one before it.
pub fn deploys(series: &[Series], label: &str, version_label: &str, source: &str) -> Vec<Change> {
    let mut by_node: BTreeMap<&str, Vec<(DateTime<Utc>, &str)>> = BTreeMap::new();
    for s in series {
        let (Some(node), Some(version), Some((first, _))) =
            (s.labels.get(label), s.labels.get(version_label), s.values.first())
        else {
            continue;
        };
        by_node.entry(node).or_default().push((*first, version));
    }
    let mut changes = Vec::new();
    for (node, mut versions) in by_node {
        versions.sort();
        let Some(&(start, _)) = versions.first() else { continue };
        for pair in versions.windows(2) {
            let ((_, from), (at, to)) = (pair[0], pair[1]);
            if at <= start || from == to {
                continue;
            }
            changes.push(Change {
                at,
                node: node.to_owned(),
                kind: ChangeKind::Deploy,
                summary: format!("{node} {from} → {to}"),
                from: Some(from.to_owned()),
                to: Some(to.to_owned()),
                source: source.to_owned(),
                by: None,
                key: format!("deploy/{node}/{to}/{}", at.timestamp()),
            });
        }
    }
    changes
}

/// Restarts or reloads in a timestamp query's answer: each distinct value (a Unix time, to the
/// second) inside the window is one, dated by that value.
pub fn stamps(series: &[Series], label: &str, kind: ChangeKind, window: Window, source: &str) -> Vec<Change> {
    let mut changes = Vec::new();
    for s in series {
        let Some(node) = s.labels.get(label) else { continue };
        let mut seen: Vec<i64> = s.values.iter().map(|(_, v)| v.round() as i64).collect();
        seen.sort_unstable();
        seen.dedup();
        for secs in seen {
            let Some(at) = Utc.timestamp_opt(secs, 0).single().filter(|at| window.contains(*at)) else {
                continue;
            };
            let (what, key) = match kind {
                ChangeKind::Restart => ("process started", "restart"),
                _ => ("configuration reloaded", "config"),
            };
            changes.push(Change {
                at,
                node: node.clone(),
                kind,
                summary: format!("{node}: {what}"),
                from: None,
                to: None,
                source: source.to_owned(),
                by: None,
                key: format!("{key}/{node}/{secs}"),
            });
        }
    }
    changes
}

/// The changes a Prometheus change source finds in `window`.
///
/// # Errors
/// [`ChangeError`]: the named `[[source]]` is missing or unreachable, or a query fails.
pub async fn changes(
    source: &ChangeSource,
    sources: &[SourceConfig],
    window: Window,
) -> Result<Vec<Change>, ChangeError> {
    let ChangeSourceKind::Prometheus {
        source: server,
        deploys: deploy_query,
        label,
        version_label,
        restarts,
        config_reloads,
        step,
    } = &source.kind
    else {
        return Ok(Vec::new());
    };
    let fail = |e: &dyn std::fmt::Display| ChangeError::new(&source.name, e);
    let config = sources
        .iter()
        .find(|s| s.name == *server)
        .ok_or_else(|| fail(&format!("no [[source]] named '{server}'")))?;
    let config = SourceConfig { timeout: config.timeout.max(source.timeout), ..config.clone() };
    let endpoint =
        Endpoint::new(crate::sources::http::client_builder().build().map_err(|e| fail(&e))?, &config)
            .map_err(|e| fail(&e))?;
    let secs = |t: DateTime<Utc>| format!("{:.3}", t.timestamp_millis() as f64 / 1000.0);
    let (start, end, step) =
        (secs(window.from), secs(window.to), format!("{:.0}", step.as_secs_f64().max(1.0)));
    let range = |query: String| {
        let (endpoint, start, end, step) = (&endpoint, start.clone(), end.clone(), step.clone());
        async move {
            let params = [("query", query.as_str()), ("start", &start), ("end", &end), ("step", &step)];
            endpoint
                .get("/api/v1/query_range", &params, |answer| parse_matrix(&query, &answer.body))
                .await
                .map_err(|e| e.to_string())?
        }
    };
    let mut found = Vec::new();
    if let Some(q) = deploy_query {
        found.extend(deploys(
            &range(q.clone()).await.map_err(|e| fail(&e))?,
            label,
            version_label,
            &source.name,
        ));
    }
    if let Some(q) = restarts {
        found.extend(stamps(
            &range(q.clone()).await.map_err(|e| fail(&e))?,
            label,
            ChangeKind::Restart,
            window,
            &source.name,
        ));
    }
    if let Some(q) = config_reloads {
        found.extend(stamps(
            &range(q.clone()).await.map_err(|e| fail(&e))?,
            label,
            ChangeKind::Config,
            window,
            &source.name,
        ));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(m: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_000 + m * 60, 0).single().unwrap_or_default()
    }

    fn series(labels: &[(&str, &str)], values: &[(i64, f64)]) -> Series {
        Series {
            labels: labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            values: values.iter().map(|(m, v)| (t(*m), *v)).collect(),
        }
    }

    #[test]
    fn a_version_appearing_after_another_is_a_deploy() {
        let answer = [
            series(&[("service", "order-service"), ("version", "2.14.0")], &[(0, 1.0), (1, 1.0), (2, 1.0)]),
            series(&[("service", "order-service"), ("version", "2.15.0")], &[(2, 1.0), (3, 1.0)]),
            series(&[("service", "user-service"), ("version", "1.0.0")], &[(0, 1.0), (3, 1.0)]),
        ];
        let found = deploys(&answer, "service", "version", "prom");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].node, "order-service");
        assert_eq!(found[0].at, t(2));
        assert_eq!((found[0].from.as_deref(), found[0].to.as_deref()), (Some("2.14.0"), Some("2.15.0")));
    }

    #[test]
    fn start_times_inside_the_window_are_restarts_once_each() {
        let window = Window { from: t(0), to: t(60) };
        let before = t(-30).timestamp() as f64;
        let restart = t(20).timestamp() as f64;
        let answer =
            [series(&[("service", "redis-1")], &[(0, before), (10, before), (21, restart), (22, restart)])];
        let found = stamps(&answer, "service", ChangeKind::Restart, window, "prom");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].at, t(20));
        assert_eq!(found[0].kind, ChangeKind::Restart);
    }

    #[test]
    fn an_error_answer_names_the_query() {
        let body = br#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#;
        let e = parse_matrix("max by (", body).unwrap_err();
        assert!(e.contains("max by (") && e.contains("bad_data"), "{e}");
    }
}
