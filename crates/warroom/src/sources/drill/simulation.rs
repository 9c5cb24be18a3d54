//! The simulated infrastructure: what every node's metrics read at scenario time `t`.
//!
//! A pure function of (scenario, nodes, seed, t): the same seed gives the same drill, however
//! fast or irregularly it is polled. Each metric starts at a baseline for the node's kind, moves
//! along the scripted faults, and carries a little noise drawn from a generator seeded by
//! (seed, node, metric, tick), so noise too is reproducible.

use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};

use super::scenario::{Fault, Scenario};
use crate::health::Thresholds;
use crate::model::{Alert, AlertState, LogLine, Metric, Sample, Signals};

/// One simulated node: its id and kind (as the topology names it).
#[derive(Debug, Clone)]
pub struct SimNode {
    pub id: String,
    pub kind: String,
}

/// A scenario running on a set of nodes with a seed.
#[derive(Debug, Clone)]
pub struct Simulation {
    pub scenario: Scenario,
    nodes: Vec<SimNode>,
    seed: u64,
    /// The thresholds an alert's rule fires at: the ones health is judged by, so that an alert
    /// and the node's health never contradict each other.
    thresholds: Thresholds,
}

/// The metrics a kind of node reports, with their normal values.
fn baseline(kind: &str) -> &'static [(Metric, f64)] {
    match kind {
        "gateway" => &[
            (Metric::Up, 1.0),
            (Metric::CpuRatio, 0.35),
            (Metric::MemoryRatio, 0.45),
            (Metric::Http5xxRatio, 0.002),
            (Metric::LatencyP99Seconds, 0.09),
            (Metric::RequestRate, 400.0),
        ],
        "service" | "website" => &[
            (Metric::Up, 1.0),
            (Metric::CpuRatio, 0.35),
            (Metric::MemoryRatio, 0.55),
            (Metric::Http5xxRatio, 0.003),
            (Metric::LatencyP99Seconds, 0.12),
            (Metric::RequestRate, 120.0),
            (Metric::Restarts, 0.0),
        ],
        "database" => &[
            (Metric::Up, 1.0),
            (Metric::CpuRatio, 0.30),
            (Metric::MemoryRatio, 0.60),
            (Metric::DbPoolRatio, 0.35),
        ],
        "cache" | "queue" | "storage" => {
            &[(Metric::Up, 1.0), (Metric::CpuRatio, 0.22), (Metric::MemoryRatio, 0.50)]
        }
        "compute_node" => &[(Metric::Up, 1.0), (Metric::CpuRatio, 0.45), (Metric::MemoryRatio, 0.60)],
        _ => &[(Metric::Up, 1.0)],
    }
}

/// The scenario time at which a fault is half-way in: when its alert fires.
fn fault_half(fault: &Fault) -> f64 {
    fault.start_secs + fault.ramp_secs / 2.0
}

/// How far along a fault is at `t`: 0 before it starts, 1 when fully in effect, back to 0 once
/// it has recovered.
fn progress(fault: &Fault, t: f64) -> f64 {
    let ramp =
        |since: f64| if fault.ramp_secs <= 0.0 { 1.0 } else { (since / fault.ramp_secs).clamp(0.0, 1.0) };
    if t < fault.start_secs {
        return 0.0;
    }
    let onset = ramp(t - fault.start_secs);
    match fault.end_secs {
        Some(end) if t >= end => onset * (1.0 - ramp(t - end)),
        _ => onset,
    }
}

impl Simulation {
    /// A simulation of `scenario` on `nodes`, its alerts firing at the default thresholds.
    pub fn new(scenario: Scenario, nodes: Vec<SimNode>, seed: u64) -> Simulation {
        Simulation { scenario, nodes, seed, thresholds: Thresholds::default() }
    }

    fn tick(&self, t: f64) -> u64 {
        (t / self.scenario.tick_secs.max(0.1)).floor() as u64
    }

    /// One metric of one node as reported at scenario time `t` (tick `tick`), noise included.
    fn sample(&self, node: &str, metric: Metric, base: f64, t: f64, tick: u64) -> f64 {
        let mut value = self.value(node, metric, base, t);
        if !matches!(metric, Metric::Up | Metric::Restarts) {
            // ±4 % relative noise: real dashboards wobble, and thresholds must hold anyway.
            value *= 1.0 + 0.08 * self.noise(node, metric, tick);
        }
        if matches!(
            metric,
            Metric::CpuRatio | Metric::MemoryRatio | Metric::Http5xxRatio | Metric::DbPoolRatio
        ) {
            value = value.clamp(0.0, 1.0);
        }
        value
    }

    fn base(&self, node: &str, metric: Metric) -> f64 {
        let kind = self.nodes.iter().find(|n| n.id == node).map_or("", |n| n.kind.as_str());
        baseline(kind).iter().find(|(m, _)| *m == metric).map_or(0.0, |(_, v)| *v)
    }

    /// When a fault's alert fires, as of scenario time `t`: the first tick at which the node's
    /// reported value crossed the threshold its rule has (the value then, and when), and it
    /// fires until the fault has receded below the threshold. A fault on a metric with no
    /// threshold fires once it is half-way in. `None`: not firing at `t`.
    fn firing(&self, fault: &Fault, t: f64) -> Option<(f64, f64)> {
        let tick_secs = self.scenario.tick_secs.max(0.1);
        let Some(rule) = self.thresholds.rule(&fault.node, fault.metric) else {
            let half = fault_half(fault);
            return (progress(fault, t) >= 0.5).then_some((half, fault.to));
        };
        let base = self.base(&fault.node, fault.metric);
        let first = (self.tick(fault.start_secs)..=self.tick(t)).find_map(|k| {
            let at = k as f64 * tick_secs;
            let value = self.sample(&fault.node, fault.metric, base, at, k);
            rule.breached(value).then_some((at, value))
        })?;
        let receded = fault
            .end_secs
            .is_some_and(|end| t >= end && !rule.breached(self.value(&fault.node, fault.metric, base, t)));
        (!receded).then_some(first)
    }

    fn noise(&self, node: &str, metric: Metric, tick: u64) -> f64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (self.seed, node, metric.name(), tick).hash(&mut hasher);
        let mut rng = fastrand::Rng::with_seed(hasher.finish());
        rng.f64() - 0.5
    }

    /// The value of one metric of one node at scenario time `t`, without noise.
    fn value(&self, node: &str, metric: Metric, base: f64, t: f64) -> f64 {
        self.scenario
            .faults
            .iter()
            .filter(|f| f.node == node && f.metric == metric)
            .fold(base, |value, fault| value + (fault.to - value) * progress(fault, t))
    }

    /// Every signal at scenario time `t`, stamped `at`; `wall` gives the wall-clock instant of
    /// an earlier scenario time (when an alert started).
    pub fn signals_at(&self, t: f64, at: DateTime<Utc>, wall: impl Fn(f64) -> DateTime<Utc>) -> Signals {
        let tick = self.tick(t);
        let mut signals = Signals { alerts_complete: true, ..Signals::default() };
        for node in &self.nodes {
            for &(metric, base) in baseline(&node.kind) {
                let value = self.sample(&node.id, metric, base, t, tick);
                signals.samples.push(Sample { node: node.id.clone(), metric, value, at });
            }
        }
        for fault in &self.scenario.faults {
            let Some(name) = &fault.alert else { continue };
            let Some((since, value)) = self.firing(fault, t) else { continue };
            // The value when it fired, as the rule saw it (the number the graph showed then).
            let summary = match self.thresholds.rule(&fault.node, fault.metric) {
                Some(rule) => rule.describe(value),
                None => format!("{} {}", fault.metric.name(), fault.metric.format(value)),
            };
            signals.alerts.push(Alert {
                name: name.clone(),
                node: fault.node.clone(),
                severity: fault.severity.clone().unwrap_or_else(|| "warning".to_owned()),
                firing: true,
                state: AlertState::Firing,
                summary,
                at,
                fingerprint: format!("drill:{name}:{}", fault.node),
                starts_at: crate::time::truncate(wall(since)),
                runbook_url: None,
            });
            if let Some(line) = &fault.log {
                signals.logs.push(LogLine {
                    node: fault.node.clone(),
                    at,
                    level: "error".to_owned(),
                    line: line.clone(),
                });
            }
        }
        signals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(start: f64, ramp: f64, end: Option<f64>) -> Fault {
        Fault {
            node: "n".into(),
            metric: Metric::CpuRatio,
            to: 1.0,
            start_secs: start,
            ramp_secs: ramp,
            end_secs: end,
            alert: None,
            severity: None,
            log: None,
        }
    }

    #[test]
    fn a_fault_ramps_in_holds_and_recovers() {
        let f = fault(100.0, 50.0, Some(300.0));
        assert_eq!(progress(&f, 99.0), 0.0);
        assert_eq!(progress(&f, 125.0), 0.5);
        assert_eq!(progress(&f, 200.0), 1.0);
        assert_eq!(progress(&f, 325.0), 0.5);
        assert_eq!(progress(&f, 400.0), 0.0);
        assert_eq!(progress(&fault(10.0, 0.0, None), 10.0), 1.0);
    }

    #[test]
    fn the_same_seed_gives_the_same_drill() {
        let scenario = Scenario::find("db-pool-exhaustion").unwrap().unwrap();
        let nodes = vec![SimNode { id: "order-service".into(), kind: "service".into() }];
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let wall = |_| at;
        let a = Simulation::new(scenario.clone(), nodes.clone(), 7).signals_at(500.0, at, wall);
        let b = Simulation::new(scenario.clone(), nodes.clone(), 7).signals_at(500.0, at, wall);
        let c = Simulation::new(scenario, nodes, 8).signals_at(500.0, at, wall);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
