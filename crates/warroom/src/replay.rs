//! An incident at any instant: the fold of its events up to that instant.
//!
//! Nothing is stored for replay: the state at `t` (stage, roles, severity, runbook progress,
//! every node's health as recorded, the blast radius on the topology recorded then, the alerts
//! firing, the notes so far) is what the events with `at <= t` add up to, and the graph's
//! numbers are the samples kept with the incident. It works with every source unreachable: it
//! reads the log only.
//!
//! A [`Replay`] sorts the events once and keeps checkpoints of the fold every
//! [`CHECKPOINT_EVERY`] events, so a seek folds at most that many events past the nearest one.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::topology::TopologySpec;
use crate::model::{Alert, AlertState, Event, EventKind, Health, Incident, Metric, Sample};
use crate::monitor::{GraphView, NodeState, SignalView};
use crate::topology::{BlastRadius, Topology};

/// A series' points, in time order.
type Points = Vec<(DateTime<Utc>, f64)>;

/// How many events lie between two checkpoints of the fold.
pub const CHECKPOINT_EVERY: usize = 2_000;

/// A note as it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteAt {
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub text: String,
}

/// A firing alert at the instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct FiringAt {
    pub name: String,
    pub node: String,
    pub severity: String,
    pub summary: String,
    pub fingerprint: String,
    pub since: DateTime<Utc>,
}

/// The incident at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moment {
    pub at: DateTime<Utc>,
    pub incident: Incident,
    /// Every node whose health was recorded, as last recorded by then.
    pub health: BTreeMap<String, Health>,
    /// The blast radius of that health on the topology recorded by then; `None` when the log
    /// holds no topology yet (incidents recorded by hand).
    pub radius: Option<BlastRadius>,
    /// Alerts firing then, by fingerprint order.
    pub alerts: Vec<FiringAt>,
    pub notes: Vec<NoteAt>,
}

/// What the window shows of one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frame {
    pub incident: Incident,
    /// `None` when no topology was recorded by then.
    pub graph: Option<GraphView>,
    /// Alerts firing then.
    pub alerts: Vec<FiringAt>,
    /// How many of the events, in time order, happened by then.
    pub events_until: usize,
}

/// The fold state between events: what [`Moment`] is made of.
#[derive(Debug, Clone)]
struct Folded {
    incident: Incident,
    health: BTreeMap<String, (Health, String)>,
    alerts: BTreeMap<String, FiringAt>,
    notes: usize,
    /// Index into `Replay::topologies` of the latest topology, if any.
    topology: Option<usize>,
}

impl Folded {
    /// Each node's health, as the blast radius takes it.
    fn health_map(&self) -> HashMap<String, Health> {
        self.health.iter().map(|(n, (h, _))| (n.clone(), *h)).collect()
    }
}

/// An incident's log, ready to be seen at any instant.
#[derive(Debug, Clone)]
pub struct Replay {
    events: Vec<Event>,
    /// Position of the declared event in `events`.
    declared: usize,
    notes: Vec<NoteAt>,
    topologies: Vec<Topology>,
    /// Event index of a topology snapshot → the one of `topologies` it built (a snapshot that
    /// does not build is left out).
    topology_of: HashMap<usize, usize>,
    /// The fold after `events[..i]`, at `i = declared + 1 + k * CHECKPOINT_EVERY`.
    checkpoints: Vec<(usize, Folded)>,
    samples: BTreeMap<(String, Metric), Points>,
}

impl Replay {
    /// Sorts the events in time order (log order for ties) and folds them once for the
    /// checkpoints; `None` when no event declares the incident. `samples` are the ones kept with
    /// the incident ([`crate::store::Store::samples`]), for the graph's numbers.
    pub fn new(mut events: Vec<Event>, samples: Vec<Sample>) -> Option<Replay> {
        events.sort_by_key(|e| (e.at, e.id));
        let declared = events.iter().position(|e| matches!(e.kind, EventKind::Declared { .. }))?;
        let mut by_series: BTreeMap<(String, Metric), Points> = BTreeMap::new();
        for s in samples {
            by_series.entry((s.node, s.metric)).or_default().push((s.at, s.value));
        }
        by_series.values_mut().for_each(|points| points.sort_by_key(|p| p.0));
        let mut replay = Replay {
            events,
            declared,
            notes: Vec::new(),
            topologies: Vec::new(),
            topology_of: HashMap::new(),
            checkpoints: Vec::new(),
            samples: by_series,
        };
        for (i, event) in replay.events.iter().enumerate() {
            match &event.kind {
                EventKind::Note { text } => {
                    replay.notes.push(NoteAt { at: event.at, by: event.by.clone(), text: text.clone() });
                }
                EventKind::TopologyRecorded { topology, .. } => {
                    if let Ok(built) = Topology::build(topology) {
                        replay.topology_of.insert(i, replay.topologies.len());
                        replay.topologies.push(built);
                    }
                }
                _ => {}
            }
        }
        // The fold starts with the declaration, then takes every event in time order, those
        // recorded with an earlier `at` too (as `Incident::fold` does).
        let mut folded = replay.start()?;
        replay.fold(&mut folded, 0, replay.declared + 1);
        let mut i = replay.declared + 1;
        replay.checkpoints.push((i, folded.clone()));
        while i < replay.events.len() {
            let until = (i + CHECKPOINT_EVERY).min(replay.events.len());
            replay.fold(&mut folded, i, until);
            i = until;
            replay.checkpoints.push((i, folded.clone()));
        }
        Some(replay)
    }

    /// The events, in time order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// When the incident was declared.
    pub fn declared_at(&self) -> DateTime<Utc> {
        self.events[self.declared].at
    }

    /// The end of the incident's span: its last event, action-item edits aside (they are
    /// written days later and would stretch the scrubber and the analysis stage).
    pub fn end(&self) -> DateTime<Utc> {
        let last = self.events.iter().rev().find(|e| !matches!(e.kind, EventKind::ActionItemSet { .. }));
        last.map_or(self.declared_at(), |e| e.at).max(self.declared_at())
    }

    /// The instant of the very last event (the whole log folds by then).
    pub fn last(&self) -> DateTime<Utc> {
        self.events.last().map_or(self.declared_at(), |e| e.at)
    }

    fn start(&self) -> Option<Folded> {
        let incident = Incident::fold(std::iter::once(&self.events[self.declared]))?;
        Some(Folded { incident, health: BTreeMap::new(), alerts: BTreeMap::new(), notes: 0, topology: None })
    }

    /// Applies `events[from..until]`, skipping the declared event (already in the start).
    fn fold(&self, state: &mut Folded, from: usize, until: usize) {
        for (i, event) in self.events.iter().enumerate().take(until).skip(from) {
            if i == self.declared {
                continue;
            }
            state.incident.apply(event);
            match &event.kind {
                EventKind::HealthChanged { node, to, reason, .. } => {
                    state.health.insert(node.clone(), (*to, reason.clone()));
                }
                EventKind::AlertFired { name, node, severity, summary, fingerprint, starts_at } => {
                    let firing = FiringAt {
                        name: name.clone(),
                        node: node.clone(),
                        severity: severity.clone(),
                        summary: summary.clone(),
                        fingerprint: fingerprint.clone(),
                        since: *starts_at,
                    };
                    state.alerts.insert(fingerprint.clone(), firing);
                }
                EventKind::AlertResolved { fingerprint, .. } => {
                    state.alerts.remove(fingerprint);
                }
                EventKind::Note { .. } => state.notes += 1,
                EventKind::TopologyRecorded { health, .. } => {
                    if let Some(built) = self.topology_of.get(&i) {
                        state.topology = Some(*built);
                    }
                    for (node, h) in health {
                        state.health.insert(node.clone(), (*h, String::new()));
                    }
                }
                _ => {}
            }
        }
    }

    /// The fold of every event with `at <= t`; `None` before the declaration.
    fn folded(&self, t: DateTime<Utc>) -> Option<Folded> {
        if t < self.declared_at() {
            return None;
        }
        // Events are sorted: those up to `t` are a prefix.
        let until = self.events.partition_point(|e| e.at <= t);
        let k = self.checkpoints.partition_point(|(i, _)| *i <= until).checked_sub(1)?;
        let (from, base) = &self.checkpoints[k];
        let mut state = base.clone();
        self.fold(&mut state, *from, until);
        Some(state)
    }

    /// The incident's fold at `t` alone, without the rest of the [`Moment`] (the notes so far,
    /// each node's health, the blast radius): what an export needs of the whole log, at the cost
    /// of at most [`CHECKPOINT_EVERY`] events. `None` when it was not yet declared then.
    pub fn incident_at(&self, t: DateTime<Utc>) -> Option<Incident> {
        Some(self.folded(t)?.incident)
    }

    /// The incident as it stood at `t`; `None` when it was not yet declared then.
    pub fn at(&self, t: DateTime<Utc>) -> Option<Moment> {
        let state = self.folded(t)?;
        let radius = state.topology.map(|k| self.topologies[k].blast_radius(&state.health_map()));
        Some(Moment {
            at: t,
            health: state.health.iter().map(|(n, (h, _))| (n.clone(), *h)).collect(),
            incident: state.incident,
            radius,
            alerts: state.alerts.into_values().collect(),
            notes: self.notes[..state.notes].to_vec(),
        })
    }

    /// The graph as the window drew it at `t`: the recorded topology, each node's recorded
    /// health and reason, its latest kept samples (aged from `t`), the blast radius and the
    /// alerts firing. `None` before the declaration or when no topology was recorded by then.
    pub fn graph(&self, t: DateTime<Utc>) -> Option<GraphView> {
        self.graph_of(&self.folded(t)?, t)
    }

    /// Everything the window shows of the instant `t`, from one fold; `None` before the
    /// declaration.
    pub fn frame(&self, t: DateTime<Utc>) -> Option<Frame> {
        let state = self.folded(t)?;
        Some(Frame {
            graph: self.graph_of(&state, t),
            alerts: state.alerts.values().cloned().collect(),
            events_until: self.events.partition_point(|e| e.at <= t),
            incident: state.incident,
        })
    }

    fn graph_of(&self, state: &Folded, t: DateTime<Utc>) -> Option<GraphView> {
        let topology = &self.topologies[state.topology?];
        let age = |at: DateTime<Utc>| (t - at).num_milliseconds() as f64 / 1000.0;
        let mut view = GraphView::of(topology, t, topology.blast_radius(&state.health_map()), |n| {
            let recorded = state.health.get(&n.id);
            let signals: Vec<SignalView> = Metric::ALL
                .iter()
                .filter_map(|m| {
                    let points = self.samples.get(&(n.id.clone(), *m))?;
                    let last = points.partition_point(|p| p.0 <= t).checked_sub(1)?;
                    let (at, value) = points[last];
                    Some(SignalView { metric: *m, value, display: m.format(value), age_secs: age(at) })
                })
                .collect();
            let newest = signals.iter().map(|s| s.age_secs).reduce(f64::min);
            NodeState {
                health: recorded.map_or(Health::Unknown, |r| r.0),
                reasons: recorded.filter(|r| !r.1.is_empty()).map(|r| vec![r.1.clone()]).unwrap_or_default(),
                age_secs: newest,
                signals,
            }
        });
        view.alerts = state
            .alerts
            .values()
            .map(|a| Alert {
                name: a.name.clone(),
                node: a.node.clone(),
                severity: a.severity.clone(),
                firing: true,
                state: AlertState::Firing,
                summary: a.summary.clone(),
                at: t,
                fingerprint: a.fingerprint.clone(),
                starts_at: a.since,
                runbook_url: None,
            })
            .collect();
        Some(view)
    }

    /// The samples kept of `node`'s `metric`, in time order.
    pub fn series(&self, node: &str, metric: Metric) -> &[(DateTime<Utc>, f64)] {
        self.samples.get(&(node.to_owned(), metric)).map_or(&[], Vec::as_slice)
    }

    /// A walk through the events in time order, keeping each node's health and the topology in
    /// force as it goes: the blast radius after any event in one pass, where seeking the replay
    /// at each change folds from a checkpoint every time.
    pub fn health_walk(&self) -> HealthWalk<'_> {
        HealthWalk { replay: self, next: 0, health: HashMap::new(), topology: None }
    }
}

/// Each node's health and the topology in force, event after event ([`Replay::health_walk`]):
/// what the postmortem's outages and peak and an update's "failing since" are taken on.
#[derive(Debug)]
pub struct HealthWalk<'a> {
    replay: &'a Replay,
    /// Index of the next event to take.
    next: usize,
    health: HashMap<String, Health>,
    topology: Option<(&'a Topology, &'a TopologySpec)>,
}

impl<'a> HealthWalk<'a> {
    /// Takes the next event; with it, whether it changed what the blast radius is taken on (a
    /// node's health, or a topology recorded with its baseline). `None` past the last event.
    pub fn step(&mut self) -> Option<(&'a Event, bool)> {
        let i = self.next;
        let event = self.replay.events.get(i)?;
        self.next += 1;
        let changed = match &event.kind {
            EventKind::HealthChanged { node, to, .. } => {
                self.health.insert(node.clone(), *to);
                true
            }
            EventKind::TopologyRecorded { topology: spec, health } => {
                // A snapshot that does not build leaves the topology in force (Replay::new).
                if let Some(built) = self.replay.topology_of.get(&i) {
                    self.topology = Some((&self.replay.topologies[*built], spec));
                }
                self.health.extend(health.iter().map(|(n, h)| (n.clone(), *h)));
                true
            }
            _ => false,
        };
        Some((event, changed))
    }

    /// When the next event happened; `None` past the last.
    pub fn next_at(&self) -> Option<DateTime<Utc>> {
        self.replay.events.get(self.next).map(|e| e.at)
    }

    /// Each node's health as last recorded by the events taken.
    pub fn health(&self) -> &HashMap<String, Health> {
        &self.health
    }

    /// The topology in force, built and as recorded; `None` before the first.
    pub fn topology(&self) -> Option<(&'a Topology, &'a TopologySpec)> {
        self.topology
    }

    /// The blast radius of that health on that topology; `None` before the first topology.
    pub fn radius(&self) -> Option<BlastRadius> {
        self.topology.map(|(t, _)| t.blast_radius(&self.health))
    }
}

/// A log on the drill's reference topology for tests: declared at 03:00:00, the topology
/// recorded a second later with every node healthy, then `changes` events 0 to 2 s apart: a
/// node's health changed at random (`seed`), or at the positions of `recorded_again` that
/// topology recorded again with every node healthy.
#[cfg(test)]
pub(crate) fn health_log(
    seed: u64,
    changes: usize,
    recorded_again: &[(usize, crate::model::topology::TopologySpec)],
) -> Vec<Event> {
    use chrono::TimeZone;
    let topology = crate::rehearsal::reference_topology().unwrap();
    let nodes: Vec<String> = topology.nodes().map(|n| n.id.clone()).collect();
    let id = ulid::Ulid::new();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
    let mut rng = fastrand::Rng::with_seed(seed);
    let healths = [Health::Healthy, Health::Degraded, Health::Down, Health::Unknown];
    let event = |secs: i64, kind| {
        let at = t0 + chrono::Duration::seconds(secs);
        Event::new(id, at, at, "test", None, kind)
    };
    let recorded = |spec| EventKind::TopologyRecorded {
        topology: spec,
        health: nodes.iter().map(|n| (n.clone(), Health::Healthy)).collect(),
    };
    let declared = EventKind::Declared {
        title: "t".into(),
        severity: crate::model::Severity::Sev1,
        commander: None,
        local: false,
    };
    let mut log = vec![event(0, declared), event(1, recorded(topology.spec()))];
    let mut secs = 1;
    for k in 0..changes {
        secs += rng.i64(0..3);
        let kind = match recorded_again.iter().find(|(at, _)| *at == k) {
            Some((_, spec)) => recorded(spec.clone()),
            None => EventKind::HealthChanged {
                node: nodes[rng.usize(0..nodes.len())].clone(),
                from: Health::Unknown,
                to: healths[rng.usize(0..healths.len())],
                reason: String::new(),
            },
        };
        log.push(event(secs, kind));
    }
    log
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use ulid::Ulid;

    use super::*;
    use crate::model::topology::{DependencySpec, Strength};
    use crate::model::{Severity, Stage};

    fn event(incident: Ulid, minute: u32, kind: EventKind) -> Event {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 3, minute, 0).unwrap();
        Event::new(incident, at, at, "test", None, kind)
    }

    #[test]
    fn each_instant_is_the_fold_of_what_came_before_it() {
        let id = Ulid::new();
        let t = |minute| Utc.with_ymd_and_hms(2026, 11, 23, 3, minute, 0).unwrap();
        let log = vec![
            event(
                id,
                0,
                EventKind::Declared {
                    title: "t".into(),
                    severity: Severity::Sev2,
                    commander: None,
                    local: false,
                },
            ),
            event(
                id,
                2,
                EventKind::AlertFired {
                    name: "RedisDown".into(),
                    node: "redis-1".into(),
                    severity: "critical".into(),
                    summary: String::new(),
                    fingerprint: "f".into(),
                    starts_at: t(1),
                },
            ),
            event(
                id,
                3,
                EventKind::HealthChanged {
                    node: "redis-1".into(),
                    from: Health::Healthy,
                    to: Health::Down,
                    reason: "up = 0".into(),
                },
            ),
            event(id, 5, EventKind::StageEntered { stage: Stage::Identify }),
            event(id, 6, EventKind::Note { text: "failover started".into() }),
            event(
                id,
                9,
                EventKind::HealthChanged {
                    node: "redis-1".into(),
                    from: Health::Down,
                    to: Health::Healthy,
                    reason: "ok".into(),
                },
            ),
            event(
                id,
                9,
                EventKind::AlertResolved {
                    name: "RedisDown".into(),
                    node: "redis-1".into(),
                    fingerprint: "f".into(),
                },
            ),
        ];
        let replay = Replay::new(log.clone(), Vec::new()).unwrap();
        let at = |t| replay.at(t);
        assert!(
            at(Utc.with_ymd_and_hms(2026, 11, 23, 2, 59, 0).unwrap()).is_none(),
            "before it was declared"
        );
        let peak = at(t(4)).unwrap();
        assert_eq!(peak.incident.stage, Stage::Detect);
        assert_eq!(peak.health["redis-1"], Health::Down);
        assert_eq!(peak.alerts.len(), 1);
        assert!(peak.notes.is_empty());
        let later = at(t(7)).unwrap();
        assert_eq!(later.incident.stage, Stage::Identify);
        assert_eq!(later.notes[0].text, "failover started");
        let end = at(t(10)).unwrap();
        assert_eq!(end.health["redis-1"], Health::Healthy);
        assert!(end.alerts.is_empty());
        assert_eq!(end.incident, Incident::fold(&log).unwrap(), "at the end, the whole fold");
    }

    /// Across many checkpoints and with events written out of time order (a scribe's late
    /// notes, events dated before the declaration), every instant is exactly the fold of the
    /// events up to it.
    #[test]
    fn checkpoints_give_the_same_state_as_folding_from_scratch() {
        let id = Ulid::new();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
        let mut rng = fastrand::Rng::with_seed(11);
        let nodes = ["a", "b", "c", "d"];
        let healths = [Health::Healthy, Health::Degraded, Health::Down, Health::Unknown];
        let mut log = vec![Event::new(
            id,
            t0,
            t0,
            "test",
            None,
            EventKind::Declared {
                title: "t".into(),
                severity: Severity::Sev2,
                commander: None,
                local: false,
            },
        )];
        for n in 0..(3 * CHECKPOINT_EVERY + 500) {
            // Mostly after the declaration, some before it, in no particular order.
            let at = t0 + chrono::Duration::seconds(rng.i64(-300..7200));
            let kind = match n % 6 {
                0 | 1 => EventKind::HealthChanged {
                    node: nodes[rng.usize(..4)].into(),
                    from: Health::Unknown,
                    to: healths[rng.usize(..4)],
                    reason: format!("r{n}"),
                },
                2 => EventKind::AlertFired {
                    name: "A".into(),
                    node: "a".into(),
                    severity: "critical".into(),
                    summary: String::new(),
                    fingerprint: format!("f{}", rng.usize(..20)),
                    starts_at: at,
                },
                3 => EventKind::AlertResolved {
                    name: "A".into(),
                    node: "a".into(),
                    fingerprint: format!("f{}", rng.usize(..20)),
                },
                4 => EventKind::Note { text: format!("n{n}") },
                _ => EventKind::StageEntered { stage: Stage::ALL[rng.usize(..5)] },
            };
            log.push(Event::new(id, at, at, "test", None, kind));
        }
        let replay = Replay::new(log.clone(), Vec::new()).unwrap();
        assert!(replay.checkpoints.len() > 3, "several checkpoints: {}", replay.checkpoints.len());
        let mut instants: Vec<DateTime<Utc>> =
            (0..80).map(|_| t0 + chrono::Duration::seconds(rng.i64(-400..7300))).collect();
        instants.extend(log.iter().step_by(97).map(|e| e.at));
        let mut sorted = log.clone();
        sorted.sort_by_key(|e| (e.at, e.id));
        for t in instants {
            let upto: Vec<&Event> = sorted.iter().filter(|e| e.at <= t).collect();
            let Some(moment) = replay.at(t) else {
                assert!(t < t0, "declared by {t}");
                continue;
            };
            assert_eq!(moment.incident, Incident::fold(upto.iter().copied()).unwrap(), "incident at {t}");
            let mut health = BTreeMap::new();
            let mut firing = BTreeMap::new();
            for e in &upto {
                match &e.kind {
                    EventKind::HealthChanged { node, to, .. } => {
                        health.insert(node.clone(), *to);
                    }
                    EventKind::AlertFired { fingerprint, .. } => {
                        firing.insert(fingerprint.clone(), ());
                    }
                    EventKind::AlertResolved { fingerprint, .. } => {
                        firing.remove(fingerprint);
                    }
                    _ => {}
                }
            }
            assert_eq!(moment.health, health, "health at {t}");
            let alerts: Vec<String> = moment.alerts.iter().map(|a| a.fingerprint.clone()).collect();
            assert_eq!(alerts, firing.into_keys().collect::<Vec<_>>(), "alerts at {t}");
            let notes = upto.iter().filter(|e| matches!(e.kind, EventKind::Note { .. })).count();
            assert_eq!(moment.notes.len(), notes, "notes at {t}");
            let frame = replay.frame(t).unwrap();
            assert_eq!(frame.events_until, upto.len());
            assert_eq!(frame.incident, moment.incident);
        }
    }

    /// The walk's health, topology and blast radius after the last event of each instant are
    /// the replay's at that instant, on a log where the topology is recorded again midway and a
    /// snapshot that does not build leaves the one in force.
    #[test]
    fn the_health_walk_sees_each_instant_as_the_replay_does() {
        let topology = crate::rehearsal::reference_topology().unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
        let mut broken = topology.spec();
        broken.nodes[0].depends_on.push(DependencySpec::on("nowhere", Strength::Hard));
        let mut log = health_log(5, 400, &[(150, broken), (250, topology.spec())]);
        let notes: Vec<Event> = log
            .iter()
            .step_by(7)
            .map(|e| Event::new(e.incident, e.at, e.at, "test", None, EventKind::Note { text: "n".into() }))
            .collect();
        log.extend(notes);
        let replay = Replay::new(log, Vec::new()).unwrap();
        assert_eq!(replay.topologies.len(), 2, "the broken snapshot does not build");
        let mut walk = replay.health_walk();
        let (mut instants, mut changes) = (0, 0);
        while let Some((e, changed)) = walk.step() {
            changes += usize::from(changed);
            if walk.next_at() == Some(e.at) {
                continue;
            }
            instants += 1;
            let moment = replay.at(e.at).unwrap();
            let health: BTreeMap<String, Health> =
                walk.health().iter().map(|(n, h)| (n.clone(), *h)).collect();
            assert_eq!(health, moment.health, "health at {}", e.at);
            assert_eq!(walk.radius(), moment.radius, "blast radius at {}", e.at);
            let in_force = walk.topology().map(|(_, spec)| spec.clone());
            assert_eq!(in_force, (e.at > t0).then(|| topology.spec()), "the topology in force at {}", e.at);
        }
        assert!(instants > 200 && changes == 401, "{instants} instants, {changes} changes");
    }
}
