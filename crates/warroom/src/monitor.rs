//! The war-room runtime's view of the infrastructure: sources in, health and blast radius out.
//!
//! A [`Monitor`] keeps the newest sample of every (node, metric), the alerts firing and the
//! recent log lines. Each [`Monitor::ingest`] re-evaluates health and returns only the changes
//! (a node going from healthy to degraded), which become events on the incident's timeline; a
//! [`Monitor::view`] is everything the window draws, each value with its age.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::chart::{self, ChartError};
use crate::health::{NodeHealth, Thresholds, evaluate};
use crate::model::{Alert, Health, LogLine, Metric, Sample, Signals};
use crate::topology::{BlastRadius, Group, Outage, Strength, Topology};

/// How many log lines the monitor keeps.
const LOG_LINES: usize = 500;

/// One signal's recent values, oldest first.
type Series = VecDeque<(DateTime<Utc>, f64)>;

/// How far back the monitor keeps every sample, for the node panel's charts.
const HISTORY: chrono::Duration = chrono::Duration::minutes(30);

/// A node's health changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct HealthChange {
    pub node: String,
    pub from: Health,
    pub to: Health,
    pub reason: String,
    /// When it started: the first evaluation that saw it (it became a change only once it held).
    pub at: DateTime<Utc>,
}

impl HealthChange {
    fn new(node: &str, from: Health, to: &NodeHealth, at: DateTime<Utc>) -> HealthChange {
        let reason =
            to.reasons.first().cloned().unwrap_or_else(|| "all signals within thresholds".to_owned());
        HealthChange { node: node.to_owned(), from, to: to.health, reason, at }
    }
}

/// A health a node has been evaluated at, not held long enough yet to be a change.
#[derive(Debug, Clone)]
struct Pending {
    health: Health,
    since: DateTime<Utc>,
    seen: u32,
}

/// What one ingest changed: node health, and alerts that started or stopped firing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub health: Vec<HealthChange>,
    pub fired: Vec<Alert>,
    pub resolved: Vec<Alert>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.health.is_empty() && self.fired.is_empty() && self.resolved.is_empty()
    }
}

/// One metric of a node, with its age.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct SignalView {
    pub metric: Metric,
    pub value: f64,
    pub display: String,
    pub age_secs: f64,
}

/// A node as the window draws it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct NodeView {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub owner: Option<String>,
    /// The system it is part of: the window lays a system's nodes out together.
    pub system: Option<String>,
    pub entrypoint: bool,
    pub group: Option<String>,
    pub health: Health,
    pub reasons: Vec<String>,
    /// Age of the newest sample, seconds; `None` when there was never any.
    pub age_secs: Option<f64>,
    pub signals: Vec<SignalView>,
}

/// An edge as the window draws it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct EdgeView {
    pub from: String,
    pub to: String,
    pub strength: Strength,
    /// Seen in traces, not declared in the topology.
    pub discovered: bool,
}

/// Everything the window draws of the infrastructure at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct GraphView {
    pub at: DateTime<Utc>,
    pub nodes: Vec<NodeView>,
    pub edges: Vec<EdgeView>,
    /// Redundancy groups.
    pub groups: Vec<Group>,
    pub blast: BlastRadius,
    /// What users see of it, and why; `None` while every entrypoint serves.
    pub outage: Option<Outage>,
    /// Alerts firing, then those pending, silenced or inhibited (shown as such).
    pub alerts: Vec<Alert>,
    pub logs: Vec<LogLine>,
}

/// A chart of one signal, as SVG.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Chart {
    pub metric: Metric,
    pub svg: String,
}

/// Sources in, health and blast radius out.
#[derive(Debug, Clone)]
pub struct Monitor {
    topology: Topology,
    thresholds: Thresholds,
    latest: HashMap<(String, Metric), Sample>,
    health: BTreeMap<String, NodeHealth>,
    /// Alerts firing, by fingerprint.
    alerts: BTreeMap<String, Alert>,
    /// Alerts reported but not firing (pending, silenced, inhibited), by fingerprint.
    quiet: BTreeMap<String, Alert>,
    logs: VecDeque<LogLine>,
    /// The last half hour of every (node, metric), oldest first.
    history: HashMap<(String, Metric), Series>,
    /// Changes seen but not held long enough yet, by node.
    pending: BTreeMap<String, Pending>,
}

impl Monitor {
    /// A monitor of `topology`; every node starts unknown.
    pub fn new(topology: Topology, thresholds: Thresholds) -> Monitor {
        let ids: Vec<&str> = topology.nodes().map(|n| n.id.as_str()).collect();
        let health = evaluate(&ids, &HashMap::new(), &thresholds, DateTime::<Utc>::UNIX_EPOCH);
        Monitor {
            topology,
            thresholds,
            latest: HashMap::new(),
            health,
            alerts: BTreeMap::new(),
            quiet: BTreeMap::new(),
            logs: VecDeque::new(),
            history: HashMap::new(),
            pending: BTreeMap::new(),
        }
    }

    /// Watches a new topology (discovered edges merged in); health is re-derived on the next
    /// ingest, and nodes new to it start unknown.
    pub fn set_topology(&mut self, topology: Topology) {
        self.topology = topology;
    }

    /// The topology watched.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The last half hour of one node's signal, oldest first (what its chart draws).
    pub fn history(&self, node: &str, metric: Metric) -> Vec<(DateTime<Utc>, f64)> {
        self.history.get(&(node.to_owned(), metric)).map(|s| s.iter().copied().collect()).unwrap_or_default()
    }

    /// Takes in past samples for the charts only: merged into the history in time order,
    /// never into the latest values, so health and staleness still come from polls alone.
    pub fn backfill(&mut self, samples: Vec<Sample>, now: DateTime<Utc>) {
        let mut by_series: HashMap<(String, Metric), Series> = HashMap::new();
        for s in samples.into_iter().filter(|s| s.at >= now - HISTORY && s.at <= now) {
            by_series.entry((s.node, s.metric)).or_default().push_back((s.at, s.value));
        }
        for (key, points) in by_series {
            let series = self.history.entry(key).or_default();
            let mut merged: Vec<(DateTime<Utc>, f64)> = points.into_iter().chain(series.drain(..)).collect();
            merged.sort_by_key(|(at, _)| *at);
            merged.dedup_by_key(|(at, _)| *at);
            series.extend(merged);
        }
    }

    /// Takes in what a source said; returns the health changes and alert changes it caused.
    ///
    /// When `signals.alerts_complete`, its alerts replace the firing set (an alert no longer
    /// reported is resolved); otherwise the alerts known before are kept.
    pub fn ingest(&mut self, signals: Signals, now: DateTime<Utc>) -> Changes {
        for sample in signals.samples {
            let series = self.history.entry((sample.node.clone(), sample.metric)).or_default();
            if series.back().is_none_or(|(at, _)| *at < sample.at) {
                series.push_back((sample.at, sample.value));
            }
            while series.front().is_some_and(|(at, _)| *at < now - HISTORY) {
                series.pop_front();
            }
            self.latest.insert((sample.node.clone(), sample.metric), sample);
        }
        // When an alert source failed, the set is not complete: keep what was firing rather than
        // take it for resolved.
        let mut changes = Changes::default();
        if signals.alerts_complete {
            let (firing, quiet): (Vec<Alert>, Vec<Alert>) =
                signals.alerts.into_iter().partition(|a| a.firing);
            self.quiet = quiet.into_iter().map(|a| (a.fingerprint.clone(), a)).collect();
            let now_firing: BTreeMap<String, Alert> =
                firing.into_iter().map(|a| (a.fingerprint.clone(), a)).collect();
            changes.fired = now_firing
                .iter()
                .filter(|(f, _)| !self.alerts.contains_key(*f))
                .map(|(_, a)| a.clone())
                .collect();
            changes.resolved = self
                .alerts
                .iter()
                .filter(|(f, _)| !now_firing.contains_key(*f))
                .map(|(_, a)| a.clone())
                .collect();
            self.alerts = now_firing;
        }
        // Log sources answer with a window that overlaps the last one: keep the buffer in time
        // order and take only lines newer than what is already there for the node.
        let mut lines = signals.logs;
        lines.sort_by_key(|l| l.at);
        for line in lines {
            let newest = self.logs.iter().rev().find(|l| l.node == line.node).map(|l| l.at);
            if newest.is_some_and(|at| line.at <= at) {
                continue;
            }
            if self.logs.len() == LOG_LINES {
                self.logs.pop_front();
            }
            self.logs.push_back(line);
        }
        changes.health = self.reevaluate(now);
        changes
    }

    /// Re-evaluates health as of `now` (data turns stale with time alone); returns the changes.
    ///
    /// A change must hold for [`Thresholds::hold_cycles`] evaluations in a row before it is one
    /// (a node flapping degraded → healthy → degraded within two cycles is no news); when it
    /// is, it is dated from its first evaluation, so the timeline and the postmortem keep the
    /// truth about when it started. A node's first data is taken at once.
    pub fn reevaluate(&mut self, now: DateTime<Utc>) -> Vec<HealthChange> {
        let ids: Vec<&str> = self.topology.nodes().map(|n| n.id.as_str()).collect();
        let evaluated = evaluate(&ids, &self.latest, &self.thresholds, now);
        let hold = self.thresholds.hold_cycles.max(1);
        let mut changes = Vec::new();
        let mut confirmed = BTreeMap::new();
        for (node, new) in evaluated {
            let old = self.health.remove(&node);
            let first_data = old.as_ref().is_none_or(|h| h.newest.is_none());
            let was = old.as_ref().map_or(Health::Unknown, |h| h.health);
            if was == new.health || first_data {
                self.pending.remove(&node);
                // A node's first data saying it is fine is no news: only a change is an event.
                if was != new.health && !(first_data && new.health == Health::Healthy) {
                    changes.push(HealthChange::new(&node, was, &new, now));
                }
                confirmed.insert(node, new);
                continue;
            }
            let pending = self.pending.entry(node.clone()).or_insert_with(|| Pending {
                health: new.health,
                since: now,
                seen: 0,
            });
            if pending.health != new.health {
                *pending = Pending { health: new.health, since: now, seen: 0 };
            }
            pending.seen += 1;
            if pending.seen >= hold {
                changes.push(HealthChange::new(&node, was, &new, pending.since));
                self.pending.remove(&node);
                confirmed.insert(node, new);
            } else {
                // Not yet a change: the node keeps its health and reasons, its data ages.
                let kept = old.map_or(new.clone(), |o| NodeHealth { newest: new.newest, ..o });
                confirmed.insert(node, kept);
            }
        }
        self.health = confirmed;
        changes
    }

    /// Charts of every signal a node has, over the last half hour, each with its threshold and
    /// `marks` (the node's changes: deploys, restarts).
    ///
    /// # Errors
    /// [`ChartError`] if a chart cannot be drawn.
    pub fn charts(&self, node: &str, marks: &[(DateTime<Utc>, String)]) -> Result<Vec<Chart>, ChartError> {
        Metric::ALL
            .iter()
            .filter_map(|m| self.history.get(&(node.to_owned(), *m)).map(|series| (*m, series)))
            .map(|(metric, series)| {
                let points: Vec<(DateTime<Utc>, f64)> = series.iter().copied().collect();
                let limit = self.thresholds.limit(node, metric);
                Ok(Chart { metric, svg: chart::svg(node, metric, &points, limit, marks)? })
            })
            .collect()
    }

    /// The alerts firing now.
    pub fn firing_alerts(&self) -> Vec<Alert> {
        self.alerts.values().cloned().collect()
    }

    /// The newest sample of one node's signal.
    pub fn latest(&self, node: &str, metric: Metric) -> Option<&Sample> {
        self.latest.get(&(node.to_owned(), metric))
    }

    /// How old the newest sample may be before it is stale.
    pub fn stale_after(&self) -> chrono::Duration {
        self.thresholds.stale_after
    }

    /// The health of every node, as last evaluated.
    pub fn health(&self) -> HashMap<String, Health> {
        self.health.iter().map(|(id, h)| (id.clone(), h.health)).collect()
    }

    /// Changes must hold `cycles` evaluations in a row from now on (1: every change at once).
    pub fn set_hold_cycles(&mut self, cycles: u32) {
        self.thresholds.hold_cycles = cycles.max(1);
    }

    /// Why a node is as it is: its first reason (the worst breached threshold, or why unknown).
    pub fn reason(&self, node: &str) -> Option<String> {
        self.health.get(node).and_then(|h| h.reasons.first().cloned())
    }

    /// The thresholds it judges health by (and charts draw).
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// Whether any node has data yet: before its first evaluated cycle a monitor knows nothing.
    pub fn has_data(&self) -> bool {
        self.health.values().any(|h| h.newest.is_some())
    }

    /// The blast radius of what is down now.
    pub fn blast_radius(&self) -> BlastRadius {
        self.topology.blast_radius(&self.health())
    }

    /// Everything the window draws, as of `now`.
    pub fn view(&self, now: DateTime<Utc>) -> GraphView {
        let age = |at: DateTime<Utc>| (now - at).num_milliseconds() as f64 / 1000.0;
        let mut view = GraphView::of(&self.topology, now, self.blast_radius(), |n| {
            let health = self.health.get(&n.id);
            let mut signals: Vec<SignalView> = Metric::ALL
                .iter()
                .filter_map(|m| self.latest.get(&(n.id.clone(), *m)))
                .map(|s| SignalView {
                    metric: s.metric,
                    value: s.value,
                    display: s.metric.format(s.value),
                    age_secs: age(s.at),
                })
                .collect();
            signals.sort_by_key(|s| s.metric);
            NodeState {
                health: health.map_or(Health::Unknown, |h| h.health),
                reasons: health.map(|h| h.reasons.clone()).unwrap_or_default(),
                age_secs: health.and_then(|h| h.newest).map(age),
                signals,
            }
        });
        view.alerts = self.alerts.values().chain(self.quiet.values()).cloned().collect();
        view.logs = self.logs.iter().rev().take(100).cloned().collect();
        view
    }
}

/// What a graph view says of one node besides what the topology says.
pub struct NodeState {
    pub health: Health,
    pub reasons: Vec<String>,
    pub age_secs: Option<f64>,
    pub signals: Vec<SignalView>,
}

impl GraphView {
    /// The view of `topology` at `at`: each node as `state` says, the edges and groups, the blast
    /// radius; no alerts or logs yet (the caller adds them). Live monitors and replay both draw
    /// through it, so the window draws the past as it drew the present.
    pub fn of(
        topology: &Topology,
        at: DateTime<Utc>,
        blast: BlastRadius,
        state: impl Fn(&crate::topology::Node) -> NodeState,
    ) -> GraphView {
        let nodes: Vec<NodeView> = topology
            .nodes()
            .map(|n| {
                let NodeState { health, reasons, age_secs, signals } = state(n);
                NodeView {
                    id: n.id.clone(),
                    name: n.name.clone(),
                    kind: n.kind.name().to_owned(),
                    owner: n.owner.clone(),
                    system: n.system.clone(),
                    entrypoint: n.entrypoint,
                    group: n.group.clone(),
                    health,
                    reasons,
                    age_secs,
                    signals,
                }
            })
            .collect();
        let edges = topology
            .dependencies()
            .into_iter()
            .map(|d| EdgeView {
                discovered: topology.is_discovered(d.from, d.to),
                from: d.from.to_owned(),
                to: d.to.to_owned(),
                strength: d.strength,
            })
            .collect();
        let groups = topology.groups();
        let reasons: std::collections::HashMap<&str, &str> =
            nodes.iter().filter_map(|n| n.reasons.first().map(|r| (n.id.as_str(), r.as_str()))).collect();
        let outage = topology.outage(&blast, |id| reasons.get(id).map(|r| (*r).to_owned()));
        GraphView { at, nodes, edges, groups, blast, outage, alerts: Vec::new(), logs: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sample;
    use crate::topology::parse_toml;

    fn alert(fingerprint: &str) -> Alert {
        Alert {
            name: "HighErrorRate".into(),
            node: "a".into(),
            severity: "critical".into(),
            firing: true,
            state: crate::model::AlertState::Firing,
            summary: String::new(),
            at: DateTime::<Utc>::UNIX_EPOCH,
            fingerprint: fingerprint.into(),
            starts_at: DateTime::<Utc>::UNIX_EPOCH,
            runbook_url: None,
        }
    }

    #[test]
    fn the_last_half_hour_of_each_signal_is_charted_with_its_threshold() {
        let topology = Topology::build(&parse_toml("[[node]]\nid = \"a\"\n").unwrap()).unwrap();
        let mut monitor = Monitor::new(topology, Thresholds::default());
        let t0 = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(1);
        for minute in 0..45 {
            let at = t0 + chrono::Duration::minutes(minute);
            let sample = Sample { node: "a".into(), metric: Metric::CpuRatio, value: 0.5, at };
            monitor.ingest(Signals { samples: vec![sample], ..Signals::default() }, at);
        }
        assert_eq!(monitor.history[&("a".to_owned(), Metric::CpuRatio)].len(), 31, "half an hour, no more");
        let charts = monitor.charts("a", &[]).unwrap();
        assert_eq!(charts.len(), 1);
        assert_eq!(charts[0].metric, Metric::CpuRatio);
        assert!(charts[0].svg.contains("stroke=\"#EF4444\""), "with the 80 % threshold drawn");
        assert!(monitor.charts("nobody", &[]).unwrap().is_empty());
    }

    #[test]
    fn alerts_fire_once_resolve_once_and_survive_a_failed_alert_source() {
        let topology = Topology::build(&parse_toml("[[node]]\nid = \"a\"\n").unwrap()).unwrap();
        let mut monitor = Monitor::new(topology, Thresholds::default());
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let complete = |alerts: Vec<Alert>| Signals { alerts, alerts_complete: true, ..Signals::default() };
        let changes = monitor.ingest(complete(vec![alert("f1")]), now);
        assert_eq!(changes.fired.len(), 1);
        assert!(monitor.ingest(complete(vec![alert("f1")]), now).fired.is_empty(), "still firing is no news");
        // The alert source failed this cycle: what was firing is kept, not taken for resolved.
        let changes = monitor.ingest(Signals::default(), now);
        assert!(changes.resolved.is_empty());
        assert_eq!(monitor.firing_alerts().len(), 1);
        let changes = monitor.ingest(complete(vec![]), now);
        assert_eq!(changes.resolved.len(), 1);
        assert!(monitor.firing_alerts().is_empty());

        // Silenced: shown as such, never fired, never notified.
        let silenced = Alert { firing: false, state: crate::model::AlertState::Silenced, ..alert("f2") };
        let changes = monitor.ingest(complete(vec![silenced.clone()]), now);
        assert!(changes.fired.is_empty() && monitor.firing_alerts().is_empty());
        assert_eq!(monitor.view(now).alerts, [silenced]);
        monitor.ingest(complete(vec![]), now);
        assert!(monitor.view(now).alerts.is_empty(), "gone when no longer reported");
    }

    /// A change must hold two evaluations before it is one, and is then dated from the first:
    /// a node flapping degraded → healthy → degraded from one poll to the next is no news.
    #[test]
    fn a_change_must_hold_and_is_dated_from_when_it_started() {
        let topology = Topology::build(&parse_toml("[[node]]\nid = \"a\"\n").unwrap()).unwrap();
        let mut monitor = Monitor::new(topology, Thresholds::default());
        let t0 = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(1);
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        let cpu = |value: f64, s: i64| Signals {
            samples: vec![Sample { node: "a".into(), metric: Metric::CpuRatio, value, at: at(s) }],
            ..Signals::default()
        };
        // The first data is taken at once (healthy: no news).
        assert!(monitor.ingest(cpu(0.5, 0), at(0)).health.is_empty());
        assert_eq!(monitor.health()["a"], Health::Healthy);
        // Degraded for one poll, healthy again: nothing.
        assert!(monitor.ingest(cpu(0.95, 5), at(5)).health.is_empty());
        assert_eq!(monitor.health()["a"], Health::Healthy, "not yet");
        assert!(monitor.ingest(cpu(0.5, 10), at(10)).health.is_empty());
        // Degraded for two polls: one change, dated from the first.
        assert!(monitor.ingest(cpu(0.95, 15), at(15)).health.is_empty());
        let changes = monitor.ingest(cpu(0.96, 20), at(20)).health;
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].from, changes[0].to, changes[0].at),
            (Health::Healthy, Health::Degraded, at(15))
        );
        assert!(changes[0].reason.starts_with("cpu_ratio 9"), "{:?}", changes[0]);
        assert_eq!(monitor.health()["a"], Health::Degraded);
        // One cycle at a time when asked.
        monitor.set_hold_cycles(1);
        let changes = monitor.ingest(cpu(0.5, 25), at(25)).health;
        assert_eq!((changes.len(), changes[0].at), (1, at(25)));
    }
}
