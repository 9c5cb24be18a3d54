//! What users see, and why: the outage banner as data.
//!
//! For every entrypoint down or impacted, the paths from it down to each failing node under it
//! (names, not ids; each node with its state and the reason it is in it: "Order service: down,
//! http_5xx_ratio 18.0% > 2.0%"), and the degraded nodes those failing ones depend on (the cause
//! is often upstream: the MySQL primary whose pool is exhausted, degraded, under the order
//! service that is down). The same data drafts the declaration of an incident from the outage.
//! The window, the replay and `warroom watch` all read it from here: one account of an outage.

use std::collections::{HashMap, HashSet, VecDeque};

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use serde::Serialize;

use super::graph::{Link, Topology, Vertex};
use super::{BlastRadius, Strength};
use crate::model::Severity;

/// A node's state in an outage, named as everywhere else (banner, legend, panel, timeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export, rename = "OutageState"))]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Failing by itself.
    Down,
    /// Down because something it needs is down.
    Impacted,
    /// Serving, but worse.
    Degraded,
    /// A redundancy group with too few healthy members.
    GroupDown,
}

/// One node (or group) on the way, as the banner names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export, rename = "OutageHop"))]
pub struct Hop {
    pub id: String,
    pub name: String,
    pub state: State,
    /// Why it is so: the worst threshold it breaches ("http_5xx_ratio 18.0% > 2.0%"), or the
    /// group's members left; `None` for an impacted node (its path says why).
    pub reason: Option<String>,
}

/// An entrypoint users reach, down or impacted, and each path down to what fails under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct AffectedEntrypoint {
    pub entrypoint: Hop,
    /// From the entrypoint (excluded) to a failing node (included), one per failing node.
    pub paths: Vec<Vec<Hop>>,
}

/// A declaration drafted from an outage: what a responder would type, filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Draft {
    pub title: String,
    /// SEV1: an entrypoint is down.
    pub severity: Severity,
    /// Every node down or impacted, by id.
    pub affected: Vec<String>,
}

/// The outage users see, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Outage {
    pub entrypoints: Vec<AffectedEntrypoint>,
    /// Degraded nodes the failing ones depend on, directly or further down: contributors.
    pub contributors: Vec<Hop>,
    pub draft: Draft,
}

/// How many failing nodes a banner names under one entrypoint.
const PATHS: usize = 6;

impl Topology {
    /// The outage `radius` makes, if an entrypoint is down or impacted. `reason` gives a node's
    /// reason for its health (the monitor's, or the log's in replay).
    pub fn outage(&self, radius: &BlastRadius, reason: impl Fn(&str) -> Option<String>) -> Option<Outage> {
        if radius.entrypoints_down.is_empty() {
            return None;
        }
        let down: HashSet<&str> = radius.down.iter().map(String::as_str).collect();
        let impacted: HashSet<&str> = radius.impacted.iter().map(|i| i.id.as_str()).collect();
        let degraded: HashSet<&str> = radius.degraded.iter().map(String::as_str).collect();
        let groups_down: HashMap<&str, &super::GroupState> =
            radius.groups.iter().filter(|g| g.down).map(|g| (g.id.as_str(), g)).collect();
        let hop = |i: NodeIndex| -> Hop {
            let vertex = &self.graph[i];
            let id = vertex.id().to_owned();
            match vertex {
                Vertex::Group(_) => {
                    let why = groups_down.get(id.as_str()).map(|g| {
                        format!("{} of {} members healthy, needs {}", g.healthy, g.members, g.needs)
                    });
                    Hop { name: format!("group {id}"), state: State::GroupDown, reason: why, id }
                }
                Vertex::Node(node) => {
                    let state = if down.contains(id.as_str()) {
                        State::Down
                    } else if impacted.contains(id.as_str()) {
                        State::Impacted
                    } else {
                        State::Degraded
                    };
                    let why = if state == State::Impacted { None } else { reason(&id) };
                    Hop { name: node.name.clone(), state, reason: why, id }
                }
            }
        };
        // The failing part of the graph: what a path may go through.
        let failing = |i: NodeIndex| {
            let id = self.graph[i].id();
            down.contains(id) || impacted.contains(id) || groups_down.contains_key(id)
        };
        let mut entrypoints = Vec::new();
        let mut roots_seen: Vec<NodeIndex> = Vec::new();
        for id in &radius.entrypoints_down {
            let Some(&start) = self.index.get(id.as_str()) else { continue };
            let mut paths = Vec::new();
            if down.contains(id.as_str()) {
                roots_seen.push(start);
            } else {
                for (root, path) in
                    self.paths_to_roots(start, &failing, |i| down.contains(self.graph[i].id()))
                {
                    roots_seen.push(root);
                    paths.push(path.into_iter().map(hop).collect());
                    if paths.len() == PATHS {
                        break;
                    }
                }
            }
            entrypoints.push(AffectedEntrypoint { entrypoint: hop(start), paths });
        }
        let contributors = self
            .contributors(&roots_seen, |i| degraded.contains(self.graph[i].id()))
            .into_iter()
            .map(hop)
            .collect();
        let draft = self.draft(radius, &entrypoints);
        Some(Outage { entrypoints, contributors, draft })
    }

    /// Breadth-first from `start` through hard dependencies (and group membership) inside
    /// `failing`: the shortest path to each vertex `root` accepts, in the order found.
    fn paths_to_roots(
        &self,
        start: NodeIndex,
        failing: &impl Fn(NodeIndex) -> bool,
        root: impl Fn(NodeIndex) -> bool,
    ) -> Vec<(NodeIndex, Vec<NodeIndex>)> {
        let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        let mut seen = HashSet::from([start]);
        let mut found = Vec::new();
        while let Some(u) = queue.pop_front() {
            for edge in self.graph.edges_directed(u, Direction::Outgoing) {
                let hard = matches!(edge.weight(), Link::Depends(Strength::Hard) | Link::Member);
                let v = edge.target();
                if !hard || !failing(v) || !seen.insert(v) {
                    continue;
                }
                parent.insert(v, u);
                if root(v) {
                    let mut path = vec![v];
                    let mut at = v;
                    while let Some(&p) = parent.get(&at) {
                        if p == start {
                            break;
                        }
                        path.push(p);
                        at = p;
                    }
                    path.reverse();
                    found.push((v, path));
                }
                queue.push_back(v);
            }
        }
        found
    }

    /// The vertices `wanted` accepts that `roots` depend on, directly or further down (hard or
    /// soft, through groups), nearest first.
    fn contributors(&self, roots: &[NodeIndex], wanted: impl Fn(NodeIndex) -> bool) -> Vec<NodeIndex> {
        let mut queue: VecDeque<NodeIndex> = roots.iter().copied().collect();
        let mut seen: HashSet<NodeIndex> = roots.iter().copied().collect();
        let mut found = Vec::new();
        while let Some(u) = queue.pop_front() {
            for v in self.graph.neighbors_directed(u, Direction::Outgoing) {
                if !seen.insert(v) {
                    continue;
                }
                if wanted(v) {
                    found.push(v);
                }
                queue.push_back(v);
            }
        }
        found
    }

    /// "Checkout down: API gateway impacted by Order service" — names, not ids.
    fn draft(&self, radius: &BlastRadius, entrypoints: &[AffectedEntrypoint]) -> Draft {
        let names = |hops: Vec<&Hop>| {
            let mut names: Vec<String> = Vec::new();
            for h in hops {
                if !names.contains(&h.name) {
                    names.push(h.name.clone());
                }
            }
            names.join(", ")
        };
        let users = names(entrypoints.iter().map(|e| &e.entrypoint).collect());
        let causes =
            names(entrypoints.iter().flat_map(|e| e.paths.iter().filter_map(|p| p.last())).collect());
        let title = if causes.is_empty() {
            format!("{users} down")
        } else {
            format!("{users} impacted: {causes} down")
        };
        let mut affected: Vec<String> = radius.down.clone();
        affected.extend(radius.impacted.iter().map(|i| i.id.clone()));
        affected.sort();
        affected.dedup();
        Draft { title, severity: Severity::Sev1, affected }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Health;
    use crate::topology::parse_toml;

    const REFERENCE: &str = include_str!("../../../../assets/topology/reference.toml");

    #[test]
    fn the_banner_names_every_path_down_to_the_failing_nodes_and_the_degraded_cause() {
        let topology = Topology::build(&parse_toml(REFERENCE).unwrap()).unwrap();
        let health: HashMap<String, Health> = [
            ("order-service".to_owned(), Health::Down),
            ("mysql-primary".to_owned(), Health::Degraded),
            ("payment-service".to_owned(), Health::Down),
        ]
        .into();
        let radius = topology.blast_radius(&health);
        let outage = topology
            .outage(&radius, |id| match id {
                "order-service" => Some("http_5xx_ratio 18.0% > 2.0%".into()),
                "mysql-primary" => Some("db_pool_ratio 99.0% > 90.0%".into()),
                _ => None,
            })
            .unwrap();
        let gateway = &outage.entrypoints[0];
        assert_eq!(gateway.entrypoint.id, "api-gateway");
        assert_eq!(gateway.entrypoint.state, State::Impacted);
        let ends: Vec<&str> = gateway.paths.iter().map(|p| p.last().unwrap().id.as_str()).collect();
        assert!(
            ends.contains(&"order-service") && ends.contains(&"payment-service"),
            "every failing node: {ends:?}"
        );
        let order = gateway.paths.iter().find(|p| p.last().unwrap().id == "order-service").unwrap();
        assert_eq!(order.last().unwrap().reason.as_deref(), Some("http_5xx_ratio 18.0% > 2.0%"));
        assert_ne!(order.last().unwrap().name, "order-service", "names, not ids");
        assert!(outage.contributors.iter().any(|c| c.id == "mysql-primary" && c.state == State::Degraded));
        assert_eq!(outage.draft.severity, Severity::Sev1);
        assert!(
            outage.draft.title.contains("API") || outage.draft.title.contains("gateway"),
            "{}",
            outage.draft.title
        );
        assert!(outage.draft.affected.contains(&"order-service".to_owned()));
        // Nothing users see: no banner.
        let fine = topology.blast_radius(&HashMap::from([("kafka-1".to_owned(), Health::Degraded)]));
        assert!(topology.outage(&fine, |_| None).is_none());
    }
}
