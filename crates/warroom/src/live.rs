//! Production: the configured sources feeding a monitor, cycle after cycle.
//!
//! The monitor keeps the last good value of every signal; when a source fails its nodes' data
//! ages and turns stale (unknown) after two poll intervals, never silently healthy.

use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{Config, ConfigError};
use crate::health::Thresholds;
use crate::model::Health;
use crate::monitor::{Changes, Monitor};
use crate::sources::http::EndpointStatus;
use crate::sources::poller::{CycleProblem, Poller, PollerError};
use crate::topology::{Topology, TopologyError, TopologySpec, located, read_spec};

/// Why live monitoring could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{}: no [topology] file: say which nodes to watch", .0.display())]
    NoTopology(std::path::PathBuf),
    #[error("topology: {}", .0.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    Topology(TopologyError),
    #[error(transparent)]
    Poller(#[from] PollerError),
}

impl LiveError {
    /// A stable code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            LiveError::Config(_) | LiveError::NoTopology(_) => "config",
            LiveError::Topology(_) => "topology",
            LiveError::Poller(_) => "source",
        }
    }
}

/// The outcome of a connection test.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct SourceTest {
    pub ok: bool,
    pub millis: f64,
    /// "answers", or what went wrong.
    pub message: String,
}

/// One node in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeReport {
    pub id: String,
    pub health: Health,
    pub reasons: Vec<String>,
    pub age_secs: Option<f64>,
}

/// What `warroom poll` prints: every node's health and every source's status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub at: DateTime<Utc>,
    pub nodes: Vec<NodeReport>,
    /// What the nodes' health takes down with it: the shape `topology blast --json` prints.
    pub blast: crate::topology::BlastRadius,
    pub sources: Vec<EndpointStatus>,
    pub problems: Vec<CycleProblem>,
    pub warnings: Vec<String>,
    /// Incidents the providers' status pages declare ("is it us or is it them?").
    pub provider_incidents: Vec<crate::sources::statuspage::Incident>,
    /// Alerts firing now, from every alert source.
    pub alerts: Vec<crate::model::Alert>,
    /// Requests the last cycle planned: one per query and alert source, whatever the node count.
    pub queries: usize,
}

/// Sources, poller and monitor, together. A cycle holds no lock while it waits on the network:
/// the monitor is locked only to take in a finished cycle and to answer a query, so the state
/// can be read at any moment, however slow a source is.
pub struct Live {
    poller: Poller,
    monitor: Mutex<Monitor>,
    last: Mutex<Option<crate::sources::poller::Cycle>>,
    pub interval: std::time::Duration,
    /// The declared topology, to merge discovered edges into.
    spec: TopologySpec,
    /// The edges traces showed at the last cycle that answered.
    discovered: Mutex<Vec<(String, String)>>,
}

impl Live {
    /// Reads the topology the configuration names and sets up every source.
    ///
    /// # Errors
    /// [`LiveError`] naming what is wrong.
    pub fn start(config: &Config) -> Result<Live, LiveError> {
        let path = config.topology.clone().ok_or_else(|| LiveError::NoTopology(config.path.clone()))?;
        let locate = |e: TopologyError| {
            let problems = e
                .problems
                .iter()
                .map(|p| crate::topology::Problem { message: located(&path, p), file: None, ..p.clone() })
                .collect();
            LiveError::Topology(TopologyError { problems })
        };
        let spec = read_spec(&path).map_err(locate)?;
        let topology = Topology::build(&spec).map_err(locate)?;
        let interval =
            config.sources.iter().map(|s| s.interval).min().unwrap_or(std::time::Duration::from_secs(15));
        let thresholds = Thresholds {
            stale_after: chrono::Duration::from_std(interval * 2).unwrap_or(chrono::Duration::seconds(30)),
            hold_cycles: config.hysteresis.health_cycles,
            ..Thresholds::default()
        }
        .with(&config.thresholds);
        Ok(Live {
            poller: Poller::new(config)?,
            monitor: Mutex::new(Monitor::new(topology, thresholds)),
            last: Mutex::new(None),
            interval,
            spec,
            discovered: Mutex::new(Vec::new()),
        })
    }

    /// Fills the charts with the last half hour of every Prometheus signal (range queries).
    /// Returns what could not be read.
    pub async fn backfill(&self, now: DateTime<Utc>) -> Vec<CycleProblem> {
        let (samples, problems) = self.poller.history(now, std::time::Duration::from_secs(30 * 60)).await;
        self.monitor().backfill(samples, now);
        problems
    }

    /// One number from the configured Prometheus (a runbook check's PromQL), asked now.
    ///
    /// # Errors
    /// What went wrong, in words.
    pub async fn scalar(&self, query: &str, now: DateTime<Utc>) -> Result<(f64, DateTime<Utc>), String> {
        self.poller.scalar(query, now).await
    }

    /// Polls every source once and returns what changed.
    pub async fn cycle(&self, now: DateTime<Utc>) -> Changes {
        let mut cycle = self.poller.cycle(now).await;
        let signals = std::mem::take(&mut cycle.signals);
        if let Some(mut seen) = cycle.discovered.take() {
            seen.sort();
            seen.dedup();
            let mut known = self.discovered.lock().unwrap_or_else(|p| p.into_inner());
            if *known != seen {
                // The declared part was checked at start; merging never adds errors.
                if let Ok(topology) = Topology::build_with_discovered(&self.spec, &seen) {
                    self.monitor().set_topology(topology);
                    *known = seen;
                }
            }
        }
        let changes = self.monitor().ingest(signals, now);
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(cycle);
        changes
    }

    /// The monitor (health, blast radius, view), locked for as long as the guard lives: keep it
    /// short, and never across an `await`.
    pub fn monitor(&self) -> MutexGuard<'_, Monitor> {
        self.monitor.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tries one request to a source now; see [`Poller::test`].
    pub async fn test_source(&self, name: &str) -> SourceTest {
        let started = std::time::Instant::now();
        match self.poller.test(name).await {
            Ok(took) => {
                SourceTest { ok: true, millis: took.as_millis() as f64, message: "answers".to_owned() }
            }
            Err(message) => SourceTest { ok: false, millis: started.elapsed().as_millis() as f64, message },
        }
    }

    /// The incidents the providers' status pages declared at the last cycle.
    pub fn provider_incidents(&self) -> Vec<crate::sources::statuspage::Incident> {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        last.as_ref().map(|c| c.provider_incidents.clone()).unwrap_or_default()
    }

    /// Every source's status: breaker, last success, failing since, last error.
    pub fn sources(&self) -> Vec<EndpointStatus> {
        self.poller.statuses()
    }

    /// Every node's health and every source's status, as of `now`.
    pub fn report(&self, now: DateTime<Utc>) -> Report {
        // Health as the last cycle evaluated it (a cycle re-evaluates staleness every interval);
        // ages are computed fresh.
        let view = self.monitor().view(now);
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        Report {
            at: now,
            blast: view.blast.clone(),
            nodes: view
                .nodes
                .into_iter()
                .map(|n| NodeReport { id: n.id, health: n.health, reasons: n.reasons, age_secs: n.age_secs })
                .collect(),
            sources: self.poller.statuses(),
            problems: last.as_ref().map(|c| c.problems.clone()).unwrap_or_default(),
            warnings: last.as_ref().map(|c| c.warnings.clone()).unwrap_or_default(),
            alerts: self.monitor().firing_alerts(),
            provider_incidents: last.as_ref().map(|c| c.provider_incidents.clone()).unwrap_or_default(),
            queries: last.as_ref().map_or(0, |c| c.queries),
        }
    }
}
