//! The built-in drill: a simulated infrastructure that breaks the way real ones do.
//!
//! [`DrillSource`] maps wall-clock time to scenario time (with a speed factor) and answers polls
//! from the [`Simulation`], exactly as a real source would answer from Prometheus.

mod scenario;
mod simulation;

use chrono::{DateTime, Utc};

pub use scenario::{DEFAULT_SCENARIO, Fault, REFERENCE_TOPOLOGY, Scenario, ScenarioError, ScenarioInfo};
pub use simulation::{SimNode, Simulation};

use crate::model::Signals;

/// A running drill, polled like any source.
#[derive(Debug, Clone)]
pub struct DrillSource {
    simulation: Simulation,
    started: DateTime<Utc>,
    speed: f64,
}

impl DrillSource {
    /// A drill that started at `started` and runs `speed` times faster than real time.
    pub fn new(simulation: Simulation, started: DateTime<Utc>, speed: f64) -> DrillSource {
        DrillSource { simulation, started, speed: speed.max(0.01) }
    }

    /// When the drill started (wall clock).
    pub fn started(&self) -> DateTime<Utc> {
        self.started
    }

    /// Scenario time at wall-clock `now`, in seconds, capped at the scenario's end.
    pub fn scenario_time(&self, now: DateTime<Utc>) -> f64 {
        let elapsed = (now - self.started).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6;
        (elapsed * self.speed).clamp(0.0, self.simulation.scenario.duration_secs)
    }

    /// Whether the scenario has played to its end.
    pub fn finished(&self, now: DateTime<Utc>) -> bool {
        self.scenario_time(now) >= self.simulation.scenario.duration_secs
    }

    /// The scenario being played.
    pub fn scenario(&self) -> &Scenario {
        &self.simulation.scenario
    }
}

impl DrillSource {
    /// The scenario's scripted changes made by `now`, dated on the wall clock (a change before
    /// the start is dated before it, at the drill's speed). Keys name this run of the drill.
    pub fn changes(&self, now: DateTime<Utc>) -> Vec<crate::model::Change> {
        let scenario = &self.simulation.scenario;
        scenario
            .changes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let at = self.started + chrono::Duration::milliseconds((c.at_secs / self.speed * 1e3) as i64);
                (at <= now).then(|| crate::model::Change {
                    at,
                    node: c.node.clone(),
                    kind: c.kind,
                    summary: c.summary.clone(),
                    from: c.from.clone(),
                    to: c.to.clone(),
                    source: "drill".to_owned(),
                    by: c.by.clone(),
                    key: format!("drill/{}/{i}/{}", scenario.name, self.started.timestamp_millis()),
                })
            })
            .collect()
    }

    /// The wall-clock instant of scenario time `secs`.
    pub fn wall(&self, secs: f64) -> DateTime<Utc> {
        self.started + chrono::Duration::microseconds((secs / self.speed * 1e6).round() as i64)
    }

    /// What the simulated infrastructure says at scenario tick `tick` (scenario time
    /// `tick × tick_secs`), dated at its wall-clock instant, as a real source would answer.
    pub fn poll_tick(&self, tick: u64) -> (Signals, DateTime<Utc>) {
        let t = tick as f64 * self.tick_secs();
        let at = self.wall(t);
        (self.simulation.signals_at(t, at, |secs| self.wall(secs)), at)
    }

    /// Scenario seconds between two polls.
    pub fn tick_secs(&self) -> f64 {
        self.simulation.scenario.tick_secs.max(0.1)
    }
}
