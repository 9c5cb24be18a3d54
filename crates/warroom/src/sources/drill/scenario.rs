//! A drill scenario: which topology, and a timed script of faults.
//!
//! Scenarios are TOML files; the built-in ones (`assets/scenarios/`) are compiled into the binary
//! so a drill runs anywhere, with nothing configured.
//!
//! ```toml
//! name = "db-pool-exhaustion"
//! title = "DB connection-pool exhaustion at the 11:00 peak"
//! summary = "..."
//! topology = "reference"     # the built-in reference architecture
//! duration_secs = 1200
//! peak_secs = 600            # the worst moment, for tests and the postmortem
//!
//! [[fault]]
//! node = "mysql-primary"
//! metric = "db_pool_ratio"
//! to = 0.99                  # the value the metric moves to
//! start_secs = 120
//! ramp_secs = 300            # how long it takes to get there (0: at once)
//! end_secs = 1000            # when it recovers, over the same ramp (optional)
//! alert = "MySQLPoolNearlyExhausted"   # fires while the fault is past half-way (optional)
//! log = "HikariPool-1 - Connection is not available"  # logged while it fires (optional)
//!
//! [[change]]                 # a change around the drill, for "what changed" (optional)
//! node = "order-service"
//! kind = "deploy"            # deploy, restart, config, commit, rollout, k8s_event
//! at_secs = -240             # scenario time: 4 min before the drill starts
//! summary = "order-service 2.14.0 → 2.15.0: lower the DB pool to 20"
//! from = "2.14.0"
//! to = "2.15.0"
//! by = "deploy-bot"
//! ```

use serde::Deserialize;

use crate::model::Metric;

/// One scripted fault: a metric of a node moving to a value, and back.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub node: String,
    pub metric: Metric,
    pub to: f64,
    pub start_secs: f64,
    #[serde(default)]
    pub ramp_secs: f64,
    #[serde(default)]
    pub end_secs: Option<f64>,
    #[serde(default)]
    pub alert: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub log: Option<String>,
}

/// A scenario as a list of drills shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct ScenarioInfo {
    pub name: String,
    pub title: String,
    pub summary: String,
    pub duration_secs: f64,
    /// When the outage is at its worst, seconds into the scenario.
    pub peak_secs: f64,
}

/// A whole scenario.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub title: String,
    pub summary: String,
    pub topology: String,
    pub duration_secs: f64,
    pub peak_secs: f64,
    #[serde(default = "default_tick")]
    pub tick_secs: f64,
    #[serde(rename = "fault")]
    pub faults: Vec<Fault>,
    /// Changes made around the drill (a deploy before it breaks), for "what changed".
    #[serde(default, rename = "change")]
    pub changes: Vec<ScriptedChange>,
}

/// A change in a scenario's script: `at_secs` in scenario time (negative: before the drill
/// starts).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedChange {
    pub node: String,
    pub kind: crate::model::ChangeKind,
    pub at_secs: f64,
    pub summary: String,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub by: Option<String>,
}

fn default_tick() -> f64 {
    5.0
}

/// A scenario file that cannot be read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("scenario {name}: line {line}: {message}")]
pub struct ScenarioError {
    pub name: String,
    pub line: usize,
    pub message: String,
}

const BUILT_IN: [(&str, &str); 5] = [
    ("memory-leak", include_str!("../../../../../assets/scenarios/memory-leak.toml")),
    ("db-pool-exhaustion", include_str!("../../../../../assets/scenarios/db-pool-exhaustion.toml")),
    ("redis-down", include_str!("../../../../../assets/scenarios/redis-down.toml")),
    ("k8s-node-failure", include_str!("../../../../../assets/scenarios/k8s-node-failure.toml")),
    ("traffic-surge", include_str!("../../../../../assets/scenarios/traffic-surge.toml")),
];

/// The built-in reference architecture the scenarios run on.
pub const REFERENCE_TOPOLOGY: &str = include_str!("../../../../../assets/topology/reference.toml");

/// The scenario a drill starts with when none is chosen.
pub const DEFAULT_SCENARIO: &str = "db-pool-exhaustion";

impl Scenario {
    /// The scenario as a list of drills shows it.
    pub fn info(&self) -> ScenarioInfo {
        ScenarioInfo {
            name: self.name.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            duration_secs: self.duration_secs,
            peak_secs: self.peak_secs,
        }
    }
}

impl Scenario {
    /// Parses a scenario file's text; `name` is used in errors.
    ///
    /// # Errors
    /// [`ScenarioError`] with the line of the first problem.
    pub fn parse(name: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| ScenarioError {
            name: name.to_owned(),
            line: e.span().map_or(1, |s| crate::text::line_at(text, s.start)),
            message: e.message().trim().to_owned(),
        })?;
        Ok(scenario)
    }

    /// Every built-in scenario, in the order of the seeds' playbooks.
    ///
    /// # Errors
    /// [`ScenarioError`] if a built-in file is broken (a test pins that none is).
    pub fn built_in() -> Result<Vec<Scenario>, ScenarioError> {
        BUILT_IN.iter().map(|(name, text)| Scenario::parse(name, text)).collect()
    }

    /// The built-in scenario with this name; `None` when there is none.
    ///
    /// # Errors
    /// [`ScenarioError`] if that built-in file is broken (a test pins that none is).
    pub fn find(name: &str) -> Result<Option<Scenario>, ScenarioError> {
        BUILT_IN.iter().find(|(n, _)| *n == name).map(|(file, text)| Scenario::parse(file, text)).transpose()
    }

    /// The names of the built-in scenarios.
    pub fn names() -> Vec<&'static str> {
        BUILT_IN.iter().map(|(n, _)| *n).collect()
    }
}
