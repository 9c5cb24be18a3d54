//! Which change most likely explains the outage: the ones on a failing node, or on a node a
//! failing node depends on, made shortly before the first failure, come first.
//!
//! A change's score is its closeness in the graph times its closeness in time:
//! - graph: 1 on a failing node, halved for each dependency hop down from a failing node to the
//!   changed one; 0.15 for a node that depends on a failing one (it may have pushed load on it);
//!   0.05 for an unrelated node;
//! - time: 1 when made just before the first failure, falling with a half-life of 20 min before
//!   it; a change after the first failure cannot have started it (0.1, still listed: it may have
//!   made things worse, or be the fix).
//!
//! The reason says it in words: "deployed to Order service, which the failing API gateway depends
//! on, 6 min before the first failure".

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use ulid::Ulid;

use crate::model::{Change, Event, EventKind};
use crate::topology::Topology;

/// A change with its rank (1: most suspect) and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct RankedChange {
    #[serde(flatten)]
    #[cfg_attr(any(test, feature = "ts"), ts(flatten))]
    pub change: Change,
    pub rank: usize,
    /// 0..=1: graph closeness × time closeness.
    pub score: f64,
    pub reason: String,
}

/// What the ranking knows of the incident: the nodes that failed (and when first), the first
/// failure, the topology, the nodes' names.
#[derive(Debug, Clone, Default)]
pub struct Suspects {
    /// Each failing node and when it first failed (a health change or an alert).
    pub failing: BTreeMap<String, DateTime<Utc>>,
    /// The first failure of all (the declaration when nothing failed).
    pub first_failure: Option<DateTime<Utc>>,
    pub topology: Option<Topology>,
}

/// How long before the first failure a change's time weight halves.
const HALF_LIFE_MINUTES: f64 = 20.0;

impl Suspects {
    /// What an incident's events say: failing nodes from its health changes and alerts, the
    /// topology it recorded last.
    pub fn of(events: &[Event]) -> Suspects {
        Evidence::of(events).suspects
    }

    fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.topology
            .as_ref()
            .and_then(|t| t.node(id))
            .map_or(id, |n| if n.name.is_empty() { id } else { n.name.as_str() })
    }

    /// How close `node` is to the failure in the graph, and the words for it.
    fn closeness(&self, node: &str) -> (f64, String) {
        if self.failing.contains_key(node) {
            return (1.0, ", which is failing".to_owned());
        }
        let Some(t) = &self.topology else { return (0.05, String::new()) };
        // The nearest failing node that depends on it.
        let below =
            self.failing.keys().filter_map(|f| t.hops(f, node).filter(|h| *h > 0).map(|h| (h, f))).min();
        if let Some((hops, failing)) = below {
            let how = if hops == 1 { "depends on" } else { "depends on, through others," };
            return (
                0.5f64.powi(hops as i32 - 1) * 0.8,
                format!(", which the failing {} {how}", self.name(failing)),
            );
        }
        let above = self.failing.keys().find(|f| t.hops(node, f).is_some_and(|h| h > 0));
        if let Some(failing) = above {
            return (0.15, format!(", which depends on the failing {}", self.name(failing)));
        }
        (0.05, String::new())
    }

    /// How close in time, and the words for it.
    fn timeliness(&self, at: DateTime<Utc>) -> (f64, String) {
        let Some(first) = self.first_failure else { return (0.5, String::new()) };
        let minutes = (first - at).num_seconds() as f64 / 60.0;
        let ago = |m: f64| {
            let m = m.abs();
            if m < 1.0 {
                format!("{} s", (m * 60.0).round())
            } else if m < 120.0 {
                format!("{} min", m.round())
            } else {
                format!("{:.1} h", m / 60.0)
            }
        };
        if minutes >= 0.0 {
            (
                (0.5f64).powf(minutes / HALF_LIFE_MINUTES),
                format!(", {} before the first failure", ago(minutes)),
            )
        } else {
            (0.1, format!(", {} after the first failure", ago(minutes)))
        }
    }

    /// Ranks `changes`, most suspect first (ties: the later change first, then by key).
    pub fn rank(&self, changes: &[Change]) -> Vec<RankedChange> {
        let mut ranked: Vec<RankedChange> = changes
            .iter()
            .map(|c| {
                let (near, where_) = self.closeness(&c.node);
                let (soon, when) = self.timeliness(c.at);
                let reason = format!("{} {}{where_}{when}", c.kind.verb(), self.name(&c.node));
                RankedChange { change: c.clone(), rank: 0, score: near * soon, reason }
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(b.change.at.cmp(&a.change.at))
                .then(a.change.key.cmp(&b.change.key))
        });
        for (i, r) in ranked.iter_mut().enumerate() {
            r.rank = i + 1;
        }
        ranked
    }
}

/// The changes recorded on an incident, once each (by source and key), oldest first.
pub fn recorded(events: &[Event]) -> Vec<Change> {
    Evidence::of(events).changes()
}

/// The incident's changes, ranked.
pub fn ranked(events: &[Event]) -> Vec<RankedChange> {
    Evidence::of(events).ranked()
}

/// Where an event stands in an incident's order: its time, then its id.
type Order = (DateTime<Utc>, Ulid);

/// What ranking needs of an incident's events, gathered as they come: [`Evidence::add`] over
/// the events in parts, in any order, gives what it gives over all of them at once. The window
/// asks for the ranking every 2 s (`Runtime::changes_of`): a long incident is read once, then
/// only what was written since, instead of whole at every ask.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    suspects: Suspects,
    declared: Option<DateTime<Utc>>,
    /// The topology's record the suspects' topology was built from: the last one.
    topology_of: Option<Order>,
    /// Each change once (by source and key): its first record.
    changes: BTreeMap<(String, String), (Order, Change)>,
}

impl Evidence {
    /// What these events say, all at once.
    pub fn of(events: &[Event]) -> Evidence {
        let mut evidence = Evidence::default();
        evidence.add(events);
        evidence
    }

    /// Takes these events into account.
    pub fn add(&mut self, events: &[Event]) {
        for e in events {
            let order = (e.at, e.id);
            let (node, at) = match &e.kind {
                EventKind::Declared { .. } => {
                    self.declared = Some(self.declared.map_or(e.at, |d| d.min(e.at)));
                    continue;
                }
                EventKind::TopologyRecorded { topology, .. } => {
                    if self.topology_of.is_none_or(|seen| seen < order) {
                        self.topology_of = Some(order);
                        self.suspects.topology = Topology::build(topology).ok();
                    }
                    continue;
                }
                EventKind::ChangeSeen { change } => {
                    let key = (change.source.clone(), change.key.clone());
                    if self.changes.get(&key).is_none_or(|(seen, _)| order < *seen) {
                        self.changes.insert(key, (order, change.clone()));
                    }
                    continue;
                }
                EventKind::HealthChanged { node, to, .. } if to.is_failing() => (node, e.at),
                EventKind::AlertFired { node, starts_at, .. } => (node, (*starts_at).min(e.at)),
                _ => continue,
            };
            let first = self.suspects.failing.entry(node.clone()).or_insert(at);
            *first = (*first).min(at);
        }
        self.suspects.first_failure = self.suspects.failing.values().min().copied().or(self.declared);
    }

    /// The changes recorded, once each, oldest first.
    pub fn changes(&self) -> Vec<Change> {
        let mut changes: Vec<&(Order, Change)> = self.changes.values().collect();
        changes.sort_by(|(a_order, a), (b_order, b)| {
            a.at.cmp(&b.at).then(a.key.cmp(&b.key)).then(a_order.cmp(b_order))
        });
        changes.into_iter().map(|(_, c)| c.clone()).collect()
    }

    /// The changes recorded, ranked.
    pub fn ranked(&self) -> Vec<RankedChange> {
        self.suspects.rank(&self.changes())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::model::ChangeKind;

    fn first_failure() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 3, 0, 0).single().unwrap_or_default()
    }

    fn deploy(node: &str, minutes_before: i64) -> Change {
        Change {
            at: first_failure() - chrono::Duration::minutes(minutes_before),
            node: node.to_owned(),
            kind: ChangeKind::Deploy,
            summary: format!("{node} 1 → 2"),
            from: Some("1".into()),
            to: Some("2".into()),
            source: "test".into(),
            by: None,
            key: format!("{node}/{minutes_before}"),
        }
    }

    fn suspects(failing: &str) -> Suspects {
        let topology = crate::rehearsal::reference_topology().ok();
        Suspects {
            failing: [(failing.to_owned(), first_failure())].into(),
            first_failure: Some(first_failure()),
            topology,
        }
    }

    #[test]
    fn a_deploy_on_a_failing_nodes_dependency_5_min_before_outranks_an_unrelated_one_90_min_before() {
        let s = suspects("order-service");
        let ranked = s.rank(&[deploy("user-service", 90), deploy("mysql-primary", 5)]);
        assert_eq!(ranked[0].change.node, "mysql-primary", "{ranked:?}");
        assert_eq!(ranked[0].rank, 1);
        assert_eq!(
            ranked[0].reason,
            "deployed to MySQL primary, which the failing Order service depends on, 5 min before the first failure"
        );
        assert_eq!(ranked[1].reason, "deployed to User service, 90 min before the first failure");
    }

    #[test]
    fn a_change_after_the_first_failure_says_so_and_ranks_low() {
        let s = suspects("order-service");
        let ranked = s.rank(&[deploy("order-service", -10), deploy("order-service", 30)]);
        assert_eq!(ranked[0].change.key, "order-service/30");
        assert!(ranked[1].reason.ends_with("10 min after the first failure"), "{}", ranked[1].reason);
    }

    #[test]
    fn without_a_topology_or_failures_changes_still_rank_by_time() {
        let s = Suspects { first_failure: Some(first_failure()), ..Suspects::default() };
        let ranked = s.rank(&[deploy("a", 100), deploy("b", 2)]);
        assert_eq!(ranked.iter().map(|r| r.change.node.as_str()).collect::<Vec<_>>(), ["b", "a"]);
    }

    proptest! {
        /// Whatever node fails, a deploy on one of its dependencies (up to three hops down) made
        /// within 15 minutes before the failure ranks above a deploy on a node unrelated to it
        /// (neither depends on the other) made an hour or more before.
        #[test]
        fn near_dependencies_outrank_old_unrelated_changes(
            failing in prop::sample::select(vec!["api-gateway", "order-service", "payment-service", "user-service"]),
            near in 0i64..=15,
            far in 60i64..=240,
            pick_dependency in any::<prop::sample::Index>(),
            pick_unrelated in any::<prop::sample::Index>(),
        ) {
            let s = suspects(failing);
            let t = s.topology.clone().unwrap_or_else(|| unreachable!("the reference topology builds"));
            let ids: Vec<String> = t.nodes().map(|n| n.id.clone()).collect();
            let dependencies: Vec<&String> =
                ids.iter().filter(|n| t.hops(failing, n).is_some_and(|h| (1..=3).contains(&h))).collect();
            let unrelated: Vec<&String> = ids
                .iter()
                .filter(|n| n.as_str() != failing && t.hops(failing, n).is_none() && t.hops(n, failing).is_none())
                .collect();
            prop_assume!(!dependencies.is_empty() && !unrelated.is_empty());
            let (dependency, other): (&&String, &&String) = (pick_dependency.get(&dependencies), pick_unrelated.get(&unrelated));
            let near_change = deploy(dependency, near);
            let far_change = deploy(other, far);
            let ranked = s.rank(&[far_change, near_change.clone()]);
            prop_assert_eq!(&ranked[0].change, &near_change, "{:?}", ranked);
        }
    }
}
