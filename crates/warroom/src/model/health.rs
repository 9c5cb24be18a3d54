//! Health of a node, and what signals say about it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A node's health, as its signals say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Healthy,
    /// No fresh data: never taken for healthy.
    Unknown,
    Degraded,
    Down,
}

impl Health {
    /// Degraded or down: failing, as signals say (unknown is no data, not a failure).
    pub fn is_failing(self) -> bool {
        matches!(self, Health::Degraded | Health::Down)
    }

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unknown => "unknown",
            Health::Degraded => "degraded",
            Health::Down => "down",
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What is measured. The names are the signal names of the configuration and the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// 1 when the target answers its scrape, 0 when not (Prometheus `up`).
    Up,
    /// CPU use, 0..1.
    CpuRatio,
    /// Memory use against the limit, 0..1.
    MemoryRatio,
    /// Share of HTTP responses that are 5xx, 0..1.
    #[serde(rename = "http_5xx_ratio")]
    Http5xxRatio,
    /// 99th percentile latency, seconds.
    LatencyP99Seconds,
    /// Database connection pool in use, 0..1.
    DbPoolRatio,
    /// Requests per second.
    RequestRate,
    /// Container restarts in the last five minutes.
    Restarts,
    /// A provider's status page for the component: 0 operational, 1 degraded performance or
    /// maintenance, 2 partial outage, 3 major outage.
    ProviderStatus,
    /// Error log lines per second (a Loki metric query).
    ErrorLogRate,
}

impl Metric {
    /// Every metric.
    pub const ALL: [Metric; 10] = [
        Metric::Up,
        Metric::CpuRatio,
        Metric::MemoryRatio,
        Metric::Http5xxRatio,
        Metric::LatencyP99Seconds,
        Metric::DbPoolRatio,
        Metric::RequestRate,
        Metric::Restarts,
        Metric::ProviderStatus,
        Metric::ErrorLogRate,
    ];

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Up => "up",
            Metric::CpuRatio => "cpu_ratio",
            Metric::MemoryRatio => "memory_ratio",
            Metric::Http5xxRatio => "http_5xx_ratio",
            Metric::LatencyP99Seconds => "latency_p99_seconds",
            Metric::DbPoolRatio => "db_pool_ratio",
            Metric::RequestRate => "request_rate",
            Metric::Restarts => "restarts",
            Metric::ProviderStatus => "provider_status",
            Metric::ErrorLogRate => "error_log_rate",
        }
    }

    /// Its place in [`Metric::ALL`]: per-metric slots (a node's newest readings) are arrays
    /// indexed by it rather than maps keyed by it.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The value as people read it: ratios in %, seconds in ms.
    pub fn format(self, value: f64) -> String {
        self.display(value).to_string()
    }

    /// [`Metric::format`] without building a `String`, to write into one already there (health
    /// reasons are rewritten every poll cycle for every node in breach).
    pub fn display(self, value: f64) -> impl fmt::Display {
        Shown { metric: self, value }
    }
}

// `Metric::index` is the place in `Metric::ALL`: the declaration order and `ALL` must agree.
const _: () = {
    let mut i = 0;
    while i < Metric::ALL.len() {
        assert!(Metric::ALL[i].index() == i, "Metric::ALL is not in declaration order");
        i += 1;
    }
};

/// A metric's value as people read it.
struct Shown {
    metric: Metric,
    value: f64,
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.value;
        match self.metric {
            Metric::CpuRatio | Metric::MemoryRatio | Metric::Http5xxRatio | Metric::DbPoolRatio => {
                write!(f, "{:.1}%", value * 100.0)
            }
            Metric::LatencyP99Seconds => write!(f, "{:.0} ms", value * 1000.0),
            Metric::RequestRate | Metric::ErrorLogRate => write!(f, "{value:.1}/s"),
            Metric::ProviderStatus => f.write_str(match value.round() as i64 {
                0 => "operational",
                1 => "degraded performance",
                2 => "partial outage",
                _ => "major outage",
            }),
            Metric::Up | Metric::Restarts => write!(f, "{value:.0}"),
        }
    }
}

impl std::str::FromStr for Metric {
    type Err = super::ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == s.trim())
            .ok_or_else(|| super::ParseError::new("metric", s, &Metric::ALL.map(Metric::name)))
    }
}

/// One measured value of one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Sample {
    pub node: String,
    pub metric: Metric,
    pub value: f64,
    pub at: DateTime<Utc>,
}

/// Where an alert stands. Only a firing alert fires; the others are shown as what they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    #[default]
    Firing,
    /// Its condition holds but not yet for its `for` duration (Prometheus rules).
    Pending,
    /// Muted by a silence (Alertmanager).
    Silenced,
    /// Muted by an inhibition rule: a more important alert covers it (Alertmanager).
    Inhibited,
}

/// An alert as a source reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Alert {
    pub name: String,
    pub node: String,
    /// "critical", "warning", ...
    pub severity: String,
    pub firing: bool,
    /// Firing, pending, silenced or inhibited (older logs have no state: firing).
    #[serde(default)]
    pub state: AlertState,
    pub summary: String,
    /// When it was seen.
    pub at: DateTime<Utc>,
    /// What identifies the alert across polls (Alertmanager's fingerprint).
    pub fingerprint: String,
    /// When the alert started, as its source says.
    pub starts_at: DateTime<Utc>,
    /// Its `runbook_url` annotation: a runbook for it, when the rule's author gave one.
    #[serde(default)]
    pub runbook_url: Option<String>,
}

/// A log line of a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct LogLine {
    pub node: String,
    pub at: DateTime<Utc>,
    pub level: String,
    pub line: String,
}

/// What one poll of a source brought.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    pub samples: Vec<Sample>,
    pub alerts: Vec<Alert>,
    /// Whether `alerts` is the complete set firing now. When an alert source failed it is not,
    /// and the alerts known before are kept rather than taken for resolved.
    pub alerts_complete: bool,
    pub logs: Vec<LogLine>,
}
