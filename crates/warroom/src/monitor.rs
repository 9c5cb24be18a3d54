//! The war-room runtime's view of the infrastructure: sources in, health and blast radius out.
//!
//! A [`Monitor`] keeps the newest sample of every (node, metric), the alerts firing and the
//! recent log lines. Each [`Monitor::ingest`] re-evaluates health and returns only the changes
//! (a node going from healthy to degraded), which become events on the incident's timeline; a
//! [`Monitor::view`] is everything the window draws, each value with its age.
//!
//! What it holds is one entry per node in a Vec, arrays by metric within it, and the nodes'
//! histories in a Vec beside it: a poll cycle brings thousands of samples and judges every node
//! of the topology, so a sample is stored with one lookup by the node's name (never a copy of
//! it), and the topology's nodes are judged in one pass over their entries, each in place from
//! its own readings, its verdict written over the last one only when something moved. Most of
//! that time is cache misses (the data is cold when a cycle comes back to it), hence the layout.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::chart::{self, ChartError};
use crate::health::{Judge, NO_READINGS, NodeHealth, Reading, Readings, Thresholds};
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

/// What the monitor judges one node by: the newest reading of each metric, by
/// [`Metric::index`], and its health while it is in the topology.
#[derive(Debug, Clone, Default)]
struct Tracked {
    /// The newest reading of each metric: health and staleness are judged by it.
    latest: Readings,
    /// Its health as last confirmed, and the change it may be heading for; `None` while it is
    /// not in the topology as last evaluated.
    judged: Option<Judged>,
}

/// The last half hour of each metric of one node, by [`Metric::index`], oldest first; `None`
/// until the metric's first sample (or backfill): only then has the node a chart of it.
type History = [Option<Series>; Metric::ALL.len()];

/// A topology node's entry in `Monitor::nodes`.
#[derive(Debug, Clone, Copy)]
struct Watched {
    entry: usize,
    /// Whether it has thresholds of its own: only then is its id read to judge it.
    own_thresholds: bool,
}

/// A topology node's health as last confirmed, and the change it may be heading for.
#[derive(Debug, Clone)]
struct Judged {
    health: NodeHealth,
    pending: Option<Pending>,
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
    /// Every node the sources spoke of or a topology named, by its id: where it is in `nodes`.
    index: HashMap<String, usize>,
    nodes: Vec<Tracked>,
    /// The history of every node, where it is in `nodes`: kept apart from what it is judged
    /// by, so judging every node reads only that.
    history: Vec<History>,
    /// The topology's nodes in `nodes`, in topology order; `None` once the topology changed,
    /// until the next evaluation finds them.
    watched: Option<Vec<Watched>>,
    /// Alerts firing, by fingerprint.
    alerts: BTreeMap<String, Alert>,
    /// Alerts reported but not firing (pending, silenced, inhibited), by fingerprint.
    quiet: BTreeMap<String, Alert>,
    logs: VecDeque<LogLine>,
}

impl Monitor {
    /// A monitor of `topology`; every node starts unknown.
    pub fn new(topology: Topology, thresholds: Thresholds) -> Monitor {
        let mut monitor = Monitor {
            topology,
            thresholds,
            index: HashMap::new(),
            nodes: Vec::new(),
            history: Vec::new(),
            watched: None,
            alerts: BTreeMap::new(),
            quiet: BTreeMap::new(),
            logs: VecDeque::new(),
        };
        // Without data every node is judged unknown ("no data"), which is no change.
        monitor.reevaluate(DateTime::<Utc>::UNIX_EPOCH);
        monitor
    }

    /// Watches a new topology (discovered edges merged in); health is re-derived on the next
    /// ingest, and nodes new to it start unknown.
    pub fn set_topology(&mut self, topology: Topology) {
        self.topology = topology;
        self.watched = None;
    }

    /// The topology watched.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The last half hour of one node's signal, oldest first (what its chart draws).
    pub fn history(&self, node: &str, metric: Metric) -> Vec<(DateTime<Utc>, f64)> {
        self.series(node, metric).map(|s| s.iter().copied().collect()).unwrap_or_default()
    }

    fn series(&self, node: &str, metric: Metric) -> Option<&Series> {
        self.index.get(node).and_then(|&i| self.history.get(i)?[metric.index()].as_ref())
    }

    fn tracked(&self, node: &str) -> Option<&Tracked> {
        self.index.get(node).and_then(|&i| self.nodes.get(i))
    }

    /// Where `node` is in `nodes`, a new entry if it is new.
    fn track(&mut self, node: String) -> usize {
        if let Some(&i) = self.index.get(&node) {
            return i;
        }
        self.nodes.push(Tracked::default());
        self.history.push(History::default());
        self.index.insert(node, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    /// Takes in past samples for the charts only: merged into the history in time order,
    /// never into the latest values, so health and staleness still come from polls alone.
    pub fn backfill(&mut self, samples: Vec<Sample>, now: DateTime<Utc>) {
        let mut by_series: HashMap<(String, Metric), Series> = HashMap::new();
        for s in samples.into_iter().filter(|s| s.at >= now - HISTORY && s.at <= now) {
            by_series.entry((s.node, s.metric)).or_default().push_back((s.at, s.value));
        }
        for ((node, metric), points) in by_series {
            let i = self.track(node);
            let series = self.history[i][metric.index()].get_or_insert_default();
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
        let horizon = now - HISTORY;
        // Every sample's node first, then every reading stored: two short loops keep many more
        // cache misses in flight than one long one (3 000 samples land in ~40 % less time).
        let mut found = Vec::with_capacity(signals.samples.len());
        for Sample { node, metric, value, at } in signals.samples {
            let i = match self.index.get(node.as_str()) {
                Some(&i) => i,
                None => self.track(node),
            };
            found.push((i, metric, Reading { value, at }));
        }
        for (i, metric, reading) in found {
            let slot = metric.index();
            let series = self.history[i][slot].get_or_insert_default();
            if series.back().is_none_or(|(at, _)| *at < reading.at) {
                series.push_back((reading.at, reading.value));
            }
            while series.front().is_some_and(|(at, _)| *at < horizon) {
                series.pop_front();
            }
            self.nodes[i].latest[slot] = Some(reading);
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
        let hold = self.thresholds.hold_cycles.max(1);
        let watched = match self.watched.take() {
            Some(watched) => watched,
            None => self.watch(),
        };
        let mut judge = Judge::new(&self.thresholds, now);
        // Each node's verdict is written here, then swapped with its confirmed health when it
        // is taken: the strings of the health it replaces are reused for the next node.
        let mut verdict = NodeHealth::unknown();
        let mut changes = Vec::new();
        for (node, watched) in self.topology.nodes().zip(&watched) {
            let tracked = &mut self.nodes[watched.entry];
            // Not `then_some`: reading the id is a cache miss per node, worth it for few nodes.
            let own = if watched.own_thresholds { Some(node.id.as_str()) } else { None };
            judge.weigh(own, &tracked.latest);
            let id = || node.id.as_str();
            let Some(judged) = &mut tracked.judged else {
                // New to the topology: its first verdict is taken at once, and a first verdict
                // of unknown or healthy is no news.
                judge.write(&mut verdict);
                if !matches!(verdict.health, Health::Unknown | Health::Healthy) {
                    changes.push(HealthChange::new(id(), Health::Unknown, &verdict, now));
                }
                let health = std::mem::replace(&mut verdict, NodeHealth::unknown());
                tracked.judged = Some(Judged { health, pending: None });
                continue;
            };
            if judge.stands(&judged.health) {
                // Judged from the same grounds, it is judged the same: no change, and the end
                // of any change it was heading for. Its data ages.
                judged.pending = None;
                judged.health.newest = judge.newest();
                continue;
            }
            judge.write(&mut verdict);
            let first_data = judged.health.newest.is_none();
            let was = judged.health.health;
            if was == verdict.health || first_data {
                judged.pending = None;
                // A node's first data saying it is fine is no news: only a change is an event.
                if was != verdict.health && !(first_data && verdict.health == Health::Healthy) {
                    changes.push(HealthChange::new(id(), was, &verdict, now));
                }
                std::mem::swap(&mut judged.health, &mut verdict);
                continue;
            }
            let pending =
                judged.pending.get_or_insert(Pending { health: verdict.health, since: now, seen: 0 });
            if pending.health != verdict.health {
                *pending = Pending { health: verdict.health, since: now, seen: 0 };
            }
            pending.seen += 1;
            if pending.seen >= hold {
                changes.push(HealthChange::new(id(), was, &verdict, pending.since));
                judged.pending = None;
                std::mem::swap(&mut judged.health, &mut verdict);
            } else {
                // Not yet a change: the node keeps its health and reasons, its data ages.
                judged.health.newest = verdict.newest;
            }
        }
        self.watched = Some(watched);
        // In node order, as they always came.
        changes.sort_by(|a, b| a.node.cmp(&b.node));
        changes
    }

    /// Finds the topology's nodes in `nodes`, in topology order; those no longer in it lose
    /// their health (a node back in it later starts unknown).
    fn watch(&mut self) -> Vec<Watched> {
        let ids: Vec<String> = self.topology.nodes().map(|n| n.id.clone()).collect();
        let watched: Vec<Watched> = ids
            .into_iter()
            .map(|id| Watched { own_thresholds: self.thresholds.has_own(&id), entry: self.track(id) })
            .collect();
        let mut in_topology = vec![false; self.nodes.len()];
        for w in &watched {
            in_topology[w.entry] = true;
        }
        for (tracked, watched) in self.nodes.iter_mut().zip(in_topology) {
            if !watched {
                tracked.judged = None;
            }
        }
        watched
    }

    /// Charts of every signal a node has, over the last half hour, each with its threshold and
    /// `marks` (the node's changes: deploys, restarts).
    ///
    /// # Errors
    /// [`ChartError`] if a chart cannot be drawn.
    pub fn charts(&self, node: &str, marks: &[(DateTime<Utc>, String)]) -> Result<Vec<Chart>, ChartError> {
        Metric::ALL
            .into_iter()
            .filter_map(|m| self.series(node, m).map(|series| (m, series)))
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

    /// The newest reading of one node's signal.
    pub fn latest(&self, node: &str, metric: Metric) -> Option<Reading> {
        self.tracked(node).and_then(|t| t.latest[metric.index()])
    }

    /// The health of the topology's nodes, as last evaluated, by id.
    fn judged(&self) -> impl Iterator<Item = (&String, &NodeHealth)> {
        self.index.iter().filter_map(|(id, &i)| Some((id, &self.nodes.get(i)?.judged.as_ref()?.health)))
    }

    /// How old the newest sample may be before it is stale.
    pub fn stale_after(&self) -> chrono::Duration {
        self.thresholds.stale_after
    }

    /// The health of every node, as last evaluated.
    pub fn health(&self) -> HashMap<String, Health> {
        self.judged().map(|(id, judged)| (id.clone(), judged.health)).collect()
    }

    /// Changes must hold `cycles` evaluations in a row from now on (1: every change at once).
    pub fn set_hold_cycles(&mut self, cycles: u32) {
        self.thresholds.hold_cycles = cycles.max(1);
    }

    /// Why a node is as it is: its first reason (the worst breached threshold, or why unknown).
    pub fn reason(&self, node: &str) -> Option<String> {
        let judged = self.tracked(node)?.judged.as_ref()?;
        judged.health.reasons.first().cloned()
    }

    /// The thresholds it judges health by (and charts draw).
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// Whether any node has data yet: before its first evaluated cycle a monitor knows nothing.
    pub fn has_data(&self) -> bool {
        self.judged().any(|(_, judged)| judged.newest.is_some())
    }

    /// The blast radius of what is down now.
    pub fn blast_radius(&self) -> BlastRadius {
        self.topology.blast_radius(&self.health())
    }

    /// Everything the window draws, as of `now`.
    pub fn view(&self, now: DateTime<Utc>) -> GraphView {
        let age = |at: DateTime<Utc>| (now - at).num_milliseconds() as f64 / 1000.0;
        let mut view = GraphView::of(&self.topology, now, self.blast_radius(), |n| {
            let tracked = self.tracked(&n.id);
            let health = tracked.and_then(|t| t.judged.as_ref()).map(|judged| &judged.health);
            let latest = tracked.map_or(&NO_READINGS, |t| &t.latest);
            let mut signals: Vec<SignalView> = Metric::ALL
                .into_iter()
                .filter_map(|metric| latest[metric.index()].map(|r| (metric, r)))
                .map(|(metric, r)| SignalView {
                    metric,
                    value: r.value,
                    display: metric.format(r.value),
                    age_secs: age(r.at),
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
        assert_eq!(monitor.history("a", Metric::CpuRatio).len(), 31, "half an hour, no more");
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

    /// Each node holds its own changes: one node's pending change neither hurries nor resets
    /// another's, and changes held in the same cycle come in node order.
    #[test]
    fn each_node_holds_its_own_changes_and_they_come_in_node_order() {
        let topology = Topology::build(
            &parse_toml("[[node]]\nid = \"c\"\n[[node]]\nid = \"a\"\n[[node]]\nid = \"b\"\n").unwrap(),
        )
        .unwrap();
        let mut monitor = Monitor::new(topology, Thresholds { hold_cycles: 3, ..Thresholds::default() });
        let t0 = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(1);
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        let cpu = |values: [(&str, f64); 3], s: i64| Signals {
            samples: values
                .iter()
                .map(|&(node, value)| Sample {
                    node: node.into(),
                    metric: Metric::CpuRatio,
                    value,
                    at: at(s),
                })
                .collect(),
            ..Signals::default()
        };
        assert!(monitor.ingest(cpu([("a", 0.5), ("b", 0.5), ("c", 0.5)], 0), at(0)).health.is_empty());
        // All three degrade; b is fine again for one poll.
        assert!(monitor.ingest(cpu([("a", 0.95), ("b", 0.95), ("c", 0.95)], 5), at(5)).health.is_empty());
        assert!(monitor.ingest(cpu([("a", 0.95), ("b", 0.5), ("c", 0.95)], 10), at(10)).health.is_empty());
        assert_eq!(monitor.health()["c"], Health::Healthy, "two evaluations of three");
        let changes = monitor.ingest(cpu([("a", 0.95), ("b", 0.95), ("c", 0.95)], 15), at(15)).health;
        let got: Vec<(&str, Health, DateTime<Utc>)> =
            changes.iter().map(|c| (c.node.as_str(), c.to, c.at)).collect();
        assert_eq!(got, [("a", Health::Degraded, at(5)), ("c", Health::Degraded, at(5))]);
        assert!(monitor.ingest(cpu([("a", 0.95), ("b", 0.95), ("c", 0.95)], 20), at(20)).health.is_empty());
        assert_eq!(monitor.health()["b"], Health::Healthy, "b's poll back to fine started its count again");
        let changes = monitor.ingest(cpu([("a", 0.95), ("b", 0.95), ("c", 0.95)], 25), at(25)).health;
        assert_eq!((changes.len(), changes[0].node.as_str(), changes[0].at), (1, "b", at(15)));
    }

    /// A node with thresholds of its own is judged by them, the others by the general ones.
    #[test]
    fn a_node_is_judged_by_its_own_thresholds() {
        let text = "[[node]]\nid = \"batch\"\n[[node]]\nid = \"api\"\n";
        let topology = Topology::build(&parse_toml(text).unwrap()).unwrap();
        let own = crate::health::Threshold {
            node: Some("batch".into()),
            metric: Metric::CpuRatio,
            above: Some(0.98),
            below: None,
            health: Health::Degraded,
        };
        let mut monitor = Monitor::new(topology, Thresholds::default().with(&[own]));
        let at = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(1);
        let samples = ["batch", "api"]
            .map(|node| Sample { node: node.into(), metric: Metric::CpuRatio, value: 0.95, at })
            .to_vec();
        monitor.ingest(Signals { samples, ..Signals::default() }, at);
        assert_eq!((monitor.health()["batch"], monitor.health()["api"]), (Health::Healthy, Health::Degraded));
    }

    /// A node that leaves the topology loses its health (the blast radius no longer counts it)
    /// but keeps its data; back in, or new, it starts unknown and its first data counts at once.
    #[test]
    fn nodes_leaving_the_topology_lose_their_health_and_new_ones_start_unknown() {
        let topology = |ids: &[&str]| {
            let text: String = ids.iter().map(|id| format!("[[node]]\nid = \"{id}\"\n")).collect();
            Topology::build(&parse_toml(&text).unwrap()).unwrap()
        };
        let mut monitor = Monitor::new(topology(&["a", "b"]), Thresholds::default());
        let t0 = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(1);
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        let down = |nodes: &[&str], s: i64| Signals {
            samples: nodes
                .iter()
                .map(|&node| Sample { node: node.into(), metric: Metric::Up, value: 0.0, at: at(s) })
                .collect(),
            ..Signals::default()
        };
        let changes = monitor.ingest(down(&["a", "b", "c"], 0), at(0)).health;
        assert_eq!(
            changes.iter().map(|c| c.node.as_str()).collect::<Vec<_>>(),
            ["a", "b"],
            "c is not watched"
        );
        assert_eq!(monitor.health().len(), 2);

        monitor.set_topology(topology(&["a", "c"]));
        let changes = monitor.reevaluate(at(1)).health_of("c");
        assert_eq!(changes, Some((Health::Unknown, Health::Down)), "c's data counts at once");
        let health = monitor.health();
        assert_eq!((health.len(), health.get("b")), (2, None), "b left");
        assert_eq!(monitor.latest("b", Metric::Up).map(|r| r.value), Some(0.0), "its data is kept");

        // Back in the topology, b starts over: its first verdict is taken at once.
        monitor.set_topology(topology(&["a", "b", "c"]));
        let changes = monitor.reevaluate(at(2)).health_of("b");
        assert_eq!(changes, Some((Health::Unknown, Health::Down)));
        monitor.set_topology(topology(&["a", "b", "c", "d"]));
        assert!(monitor.reevaluate(at(3)).is_empty(), "a new node without data is unknown: no news");
        assert_eq!(monitor.health()["d"], Health::Unknown);
        assert_eq!(monitor.reason("d").as_deref(), Some("no data"));
    }

    trait HealthOf {
        fn health_of(&self, node: &str) -> Option<(Health, Health)>;
    }

    impl HealthOf for Vec<HealthChange> {
        fn health_of(&self, node: &str) -> Option<(Health, Health)> {
            self.iter().find(|c| c.node == node).map(|c| (c.from, c.to))
        }
    }
}
