//! A drill running: the simulated source feeding a monitor, as production sources will.
//!
//! With nothing configured, warroom rehearses: the built-in reference architecture breaks the way
//! one of the seed's playbooks says, and health, blast radius and timeline follow exactly as they
//! would in a real incident.

use chrono::{DateTime, Utc};

use crate::health::Thresholds;
use crate::monitor::{Changes, GraphView, Monitor};
use crate::sources::drill::{DrillSource, REFERENCE_TOPOLOGY, Scenario, SimNode, Simulation};
use crate::topology::{Topology, TopologyError, parse_toml};

/// Why a drill could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RehearsalError {
    #[error("no drill scenario '{name}': the built-in ones are {}", known.join(", "))]
    UnknownScenario { name: String, known: Vec<String> },
    #[error("scenario '{scenario}' needs topology '{topology}', and only 'reference' is built in")]
    UnknownTopology { scenario: String, topology: String },
    #[error("the built-in topology is broken: {0}")]
    Topology(#[from] TopologyError),
    #[error("{0}")]
    Scenario(#[from] crate::sources::drill::ScenarioError),
}

impl RehearsalError {
    /// A stable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            RehearsalError::UnknownScenario { .. } => "unknown_scenario",
            RehearsalError::UnknownTopology { .. } => "unknown_topology",
            RehearsalError::Topology(_) => "topology",
            RehearsalError::Scenario(_) => "scenario",
        }
    }
}

/// The built-in reference architecture of the seeds.
///
/// # Errors
/// [`TopologyError`] if the built-in file is broken (a test pins that it is not).
pub fn reference_topology() -> Result<Topology, TopologyError> {
    let spec = parse_toml(REFERENCE_TOPOLOGY).map_err(|p| TopologyError { problems: vec![p] })?;
    Topology::build(&spec)
}

/// The simulation of a scenario on its topology.
///
/// # Errors
/// [`RehearsalError::UnknownScenario`], [`RehearsalError::UnknownTopology`].
pub fn simulation(name: &str, seed: u64) -> Result<(Simulation, Topology), RehearsalError> {
    let scenario = Scenario::find(name)?.ok_or_else(|| RehearsalError::UnknownScenario {
        name: name.to_owned(),
        known: Scenario::names().into_iter().map(str::to_owned).collect(),
    })?;
    if scenario.topology != "reference" {
        return Err(RehearsalError::UnknownTopology { scenario: scenario.name, topology: scenario.topology });
    }
    let topology = reference_topology()?;
    let nodes =
        topology.nodes().map(|n| SimNode { id: n.id.clone(), kind: n.kind.name().to_owned() }).collect();
    Ok((Simulation::new(scenario, nodes, seed), topology))
}

/// A drill in progress.
#[derive(Debug, Clone)]
pub struct Rehearsal {
    source: DrillSource,
    monitor: Monitor,
    pub seed: u64,
    pub speed: f64,
}

impl Rehearsal {
    /// Starts scenario `name` at `now`, `speed` times faster than real time.
    ///
    /// # Errors
    /// As [`simulation`].
    pub fn start(name: &str, seed: u64, speed: f64, now: DateTime<Utc>) -> Result<Rehearsal, RehearsalError> {
        let (simulation, topology) = simulation(name, seed)?;
        Ok(Rehearsal {
            source: DrillSource::new(simulation, now, speed),
            monitor: Monitor::new(topology, Thresholds::default()),
            seed,
            speed,
        })
    }

    /// The same drill, its health changes taken after `cycles` ticks in a row (1: at once).
    pub fn hold_cycles(mut self, cycles: u32) -> Rehearsal {
        self.monitor.set_hold_cycles(cycles);
        self
    }

    /// Polls the drill as of `now` and returns what changed.
    pub fn step(&mut self, now: DateTime<Utc>) -> Changes {
        let signals = self.source.poll(now);
        self.monitor.ingest(signals, now)
    }

    /// Everything the window draws.
    pub fn view(&self, now: DateTime<Utc>) -> GraphView {
        self.monitor.view(now)
    }

    /// The monitor behind the drill.
    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// The scenario being played.
    pub fn scenario(&self) -> &Scenario {
        self.source.scenario()
    }

    /// The scenario's scripted changes made by `now` (see [`DrillSource::changes`]).
    pub fn changes(&self, now: DateTime<Utc>) -> Vec<crate::model::Change> {
        self.source.changes(now)
    }

    /// When the drill started (wall clock).
    pub fn started(&self) -> DateTime<Utc> {
        self.source.started()
    }

    /// Scenario time at `now`, seconds.
    pub fn scenario_time(&self, now: DateTime<Utc>) -> f64 {
        self.source.scenario_time(now)
    }

    /// Whether the scenario has played to its end.
    pub fn finished(&self, now: DateTime<Utc>) -> bool {
        self.source.finished(now)
    }
}
