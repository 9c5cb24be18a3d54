//! One poll cycle over every configured source, all queries at once, none waiting on another.
//!
//! Each (source, query) pair is its own task, so a slow Prometheus query delays nothing else,
//! and a cycle starts only once the previous one is over, so there is at most one request in
//! flight per query. All sources share one HTTP client (connection pools, TLS setup).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::task::JoinSet;

use super::http::{Endpoint, EndpointStatus, FetchError};
use super::prometheus;
use super::{alertmanager, cloudwatch, loki, statuspage};
use crate::config::{Config, SignalConfig, SourceKind, SourceOptions};
use crate::model::Signals;

/// A source that could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("source {source_name}: {error}")]
pub struct PollerError {
    pub source_name: String,
    pub error: FetchError,
}

/// What went wrong in a cycle, per source: shown in the status bar, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CycleProblem {
    pub source: String,
    pub message: String,
}

/// The outcome of one cycle.
#[derive(Debug, Clone, Default)]
pub struct Cycle {
    pub signals: Signals,
    pub problems: Vec<CycleProblem>,
    /// Warnings Prometheus attached to successful answers.
    pub warnings: Vec<String>,
    /// Requests planned this cycle (one per query and alert source).
    pub queries: usize,
    /// Incidents the providers' status pages declare.
    pub provider_incidents: Vec<statuspage::Incident>,
    /// Dependencies seen in traces, when discovery is on and answered this cycle.
    pub discovered: Option<Vec<(String, String)>>,
}

struct Polled {
    config: crate::config::SourceConfig,
    endpoint: Arc<Endpoint>,
    signals: Vec<SignalConfig>,
}

/// Every configured source, ready to poll.
pub struct Poller {
    sources: Vec<Polled>,
}

enum Outcome {
    Samples(Result<prometheus::QueryResult, prometheus::PrometheusError>),
    Alerts(Result<Vec<alertmanager::FetchedAlert>, alertmanager::AlertmanagerError>),
    Provider(Result<(Vec<crate::model::Sample>, Vec<statuspage::Incident>), statuspage::StatuspageError>),
    LokiSamples(Result<Vec<crate::model::Sample>, loki::LokiError>),
    Edges(Result<Vec<(String, String)>, prometheus::PrometheusError>),
    Rules(Result<prometheus::Rules, prometheus::PrometheusError>),
    Alarms(Result<Vec<crate::model::Alert>, cloudwatch::CloudwatchError>),
    Logs(Result<Vec<crate::model::LogLine>, loki::LokiError>),
}

impl Poller {
    /// Builds the shared client and one endpoint per source.
    ///
    /// # Errors
    /// [`PollerError`] when a source's secret is missing or a header is invalid.
    pub fn new(config: &Config) -> Result<Poller, PollerError> {
        let client = super::http::client_builder().build().map_err(|e| PollerError {
            source_name: "(client)".into(),
            error: FetchError::Config(e.to_string()),
        })?;
        let sources = config
            .sources
            .iter()
            .map(|s| {
                let endpoint = Endpoint::new(client.clone(), s)
                    .map_err(|error| PollerError { source_name: s.name.clone(), error })?;
                Ok(Polled {
                    config: s.clone(),
                    endpoint: Arc::new(endpoint),
                    signals: config.signals.iter().filter(|g| g.source == s.name).cloned().collect(),
                })
            })
            .collect::<Result<_, PollerError>>()?;
        Ok(Poller { sources })
    }

    /// Tries one request to the source named `name` (its readiness endpoint, or the status page),
    /// through the same client, deadline and breaker as the polls; returns how long it took.
    ///
    /// # Errors
    /// What went wrong, in words; or that no source has that name.
    pub async fn test(&self, name: &str) -> Result<std::time::Duration, String> {
        let source = self
            .sources
            .iter()
            .find(|s| s.config.name == name)
            .ok_or_else(|| format!("no source named '{name}'"))?;
        let path = match &source.config.options {
            SourceOptions::Prometheus { .. } | SourceOptions::Alertmanager { .. } => "/-/ready",
            SourceOptions::Loki { .. } => "/ready",
            SourceOptions::Statuspage { .. } => "/api/v2/summary.json",
            SourceOptions::Cloudwatch { node_dimension, alarm_nodes } => {
                // A signed DescribeAlarms tells both that the endpoint answers and that the keys work.
                let started = std::time::Instant::now();
                cloudwatch::alarms(&source.endpoint, &mapping(node_dimension, alarm_nodes), Utc::now())
                    .await
                    .map_err(|e| e.to_string())?;
                return Ok(started.elapsed());
            }
        };
        let started = std::time::Instant::now();
        source.endpoint.get(path, &[], |_| Ok::<(), String>(())).await.map_err(|e| e.to_string())??;
        Ok(started.elapsed())
    }

    /// One number from the first Prometheus source: `query` as an instant query now (a runbook
    /// check that is not one of warroom's signals).
    ///
    /// # Errors
    /// What went wrong, in words; or that no Prometheus is configured.
    pub async fn scalar(&self, query: &str, now: DateTime<Utc>) -> Result<(f64, DateTime<Utc>), String> {
        let source = self
            .sources
            .iter()
            .find(|s| s.config.kind() == SourceKind::Prometheus)
            .ok_or_else(|| "no Prometheus source is configured".to_owned())?;
        prometheus::scalar(&source.endpoint, query, now).await.map_err(|e| e.to_string())
    }

    /// Every source's status: breaker, last success, failing since, last error.
    pub fn statuses(&self) -> Vec<EndpointStatus> {
        self.sources.iter().map(|s| s.endpoint.status()).collect()
    }

    /// The last `span` of every Prometheus signal (range queries, all at once), for the charts:
    /// they show half an hour from the start instead of filling up as polls come in. What
    /// fails is left out and said in the problems.
    pub async fn history(
        &self,
        now: DateTime<Utc>,
        span: std::time::Duration,
    ) -> (Vec<crate::model::Sample>, Vec<CycleProblem>) {
        let mut tasks = JoinSet::new();
        let start = now - chrono::Duration::from_std(span).unwrap_or(chrono::Duration::minutes(30));
        for source in self.sources.iter().filter(|s| s.config.kind() == SourceKind::Prometheus) {
            // One point per poll interval, as the polls would have given.
            let step = source.config.interval;
            for signal in &source.signals {
                let (endpoint, signal, name) =
                    (source.endpoint.clone(), signal.clone(), source.config.name.clone());
                tasks.spawn(async move {
                    (name, prometheus::query_range(&endpoint, &signal, start, now, step).await)
                });
            }
        }
        let (mut samples, mut problems) = (Vec::new(), Vec::new());
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((_, Ok(s))) => samples.extend(s),
                Ok((source, Err(e))) => problems.push(CycleProblem { source, message: e.to_string() }),
                Err(_) => problems.push(CycleProblem {
                    source: "(poller)".into(),
                    message: "a history task failed".into(),
                }),
            }
        }
        (samples, problems)
    }

    /// Runs one cycle as of `now`: every query, alert source, status page and log query at once.
    pub async fn cycle(&self, now: DateTime<Utc>) -> Cycle {
        let mut tasks: JoinSet<(String, Outcome)> = JoinSet::new();
        let mut cycle = Cycle::default();
        for source in &self.sources {
            let endpoint = &source.endpoint;
            let name = &source.config.name;
            match &source.config.options {
                SourceOptions::Prometheus { discover_edges, rule_alerts, node_label } => {
                    for signal in &source.signals {
                        let (endpoint, signal, name) = (endpoint.clone(), signal.clone(), name.clone());
                        tasks.spawn(async move {
                            (name, Outcome::Samples(prometheus::query(&endpoint, &signal, now).await))
                        });
                        cycle.queries += 1;
                    }
                    if *rule_alerts {
                        let (endpoint, label, name) = (endpoint.clone(), node_label.clone(), name.clone());
                        tasks.spawn(async move {
                            (name, Outcome::Rules(prometheus::rules(&endpoint, &label, now).await))
                        });
                        cycle.queries += 1;
                    }
                    if let Some(metric) = discover_edges.clone() {
                        let (endpoint, name) = (endpoint.clone(), name.clone());
                        tasks.spawn(async move {
                            (name, Outcome::Edges(prometheus::edges(&endpoint, &metric, now).await))
                        });
                        cycle.queries += 1;
                    }
                }
                SourceOptions::Cloudwatch { node_dimension, alarm_nodes } => {
                    let (endpoint, mapping, name) =
                        (endpoint.clone(), mapping(node_dimension, alarm_nodes), name.clone());
                    tasks.spawn(async move {
                        (name, Outcome::Alarms(cloudwatch::alarms(&endpoint, &mapping, now).await))
                    });
                    cycle.queries += 1;
                }
                SourceOptions::Alertmanager { node_label } => {
                    let (endpoint, label, name) = (endpoint.clone(), node_label.clone(), name.clone());
                    tasks.spawn(async move {
                        (name, Outcome::Alerts(alertmanager::alerts(&endpoint, &label, now).await))
                    });
                    cycle.queries += 1;
                }
                SourceOptions::Statuspage { components } => {
                    let (endpoint, components, name) = (endpoint.clone(), components.clone(), name.clone());
                    tasks.spawn(async move {
                        (name, Outcome::Provider(statuspage::summary(&endpoint, &components, now).await))
                    });
                    cycle.queries += 1;
                }
                SourceOptions::Loki { logs_query, logs_label, logs_limit, node_logs } => {
                    for signal in &source.signals {
                        let (endpoint, signal, name) = (endpoint.clone(), signal.clone(), name.clone());
                        tasks.spawn(async move {
                            (name, Outcome::LokiSamples(loki::metric(&endpoint, &signal, now).await))
                        });
                        cycle.queries += 1;
                    }
                    if let Some(query) = logs_query.clone() {
                        let (endpoint, name) = (endpoint.clone(), name.clone());
                        let (label, limit) = (logs_label.clone(), *logs_limit);
                        tasks.spawn(async move {
                            let of = loki::LinesOf::Label(&label);
                            (name, Outcome::Logs(loki::logs(&endpoint, &query, of, limit, now).await))
                        });
                        cycle.queries += 1;
                    }
                    // Per-node selectors: one request each, their lines that node's.
                    for (node, selector) in node_logs {
                        let (endpoint, name) = (endpoint.clone(), name.clone());
                        let (node, selector, limit) = (node.clone(), selector.clone(), *logs_limit);
                        tasks.spawn(async move {
                            let of = loki::LinesOf::Node(&node);
                            (name, Outcome::Logs(loki::logs(&endpoint, &selector, of, limit, now).await))
                        });
                        cycle.queries += 1;
                    }
                }
            }
        }
        let mut alerts_complete = true;
        while let Some(joined) = tasks.join_next().await {
            let Ok((source, outcome)) = joined else {
                cycle
                    .problems
                    .push(CycleProblem { source: "(poller)".into(), message: "a poll task failed".into() });
                continue;
            };
            let problem = match outcome {
                Outcome::Samples(Ok(result)) => {
                    cycle.signals.samples.extend(result.samples);
                    cycle.warnings.extend(result.warnings);
                    None
                }
                Outcome::Alerts(Ok(alerts)) => {
                    cycle.signals.alerts.extend(alerts.into_iter().map(|a| a.alert));
                    None
                }
                Outcome::Provider(Ok((samples, incidents))) => {
                    cycle.signals.samples.extend(samples);
                    cycle.provider_incidents.extend(incidents);
                    None
                }
                Outcome::LokiSamples(Ok(samples)) => {
                    cycle.signals.samples.extend(samples);
                    None
                }
                Outcome::Logs(Ok(lines)) => {
                    cycle.signals.logs.extend(lines);
                    None
                }
                Outcome::Edges(Ok(edges)) => {
                    cycle.discovered.get_or_insert_with(Vec::new).extend(edges);
                    None
                }
                Outcome::Edges(Err(e)) => Some(e.to_string()),
                Outcome::Alarms(Ok(alerts)) => {
                    cycle.signals.alerts.extend(alerts);
                    None
                }
                Outcome::Alarms(Err(e)) => {
                    alerts_complete = false;
                    Some(e.to_string())
                }
                Outcome::Rules(Ok(rules)) => {
                    cycle.signals.alerts.extend(rules.alerts);
                    cycle.warnings.extend(rules.broken);
                    None
                }
                Outcome::Rules(Err(e)) => {
                    alerts_complete = false;
                    Some(e.to_string())
                }
                Outcome::Alerts(Err(e)) => {
                    alerts_complete = false;
                    Some(e.to_string())
                }
                Outcome::Samples(Err(e)) => Some(e.to_string()),
                Outcome::Provider(Err(e)) => Some(e.to_string()),
                Outcome::LokiSamples(Err(e)) | Outcome::Logs(Err(e)) => Some(e.to_string()),
            };
            if let Some(message) = problem {
                cycle.problems.push(CycleProblem { source, message });
            }
        }
        cycle.signals.alerts_complete = alerts_complete;
        cycle
    }
}

/// How a CloudWatch source's alarms map to nodes.
fn mapping(
    node_dimension: &str,
    alarm_nodes: &std::collections::BTreeMap<String, String>,
) -> cloudwatch::Mapping {
    cloudwatch::Mapping { node_dimension: node_dimension.to_owned(), alarm_nodes: alarm_nodes.clone() }
}
