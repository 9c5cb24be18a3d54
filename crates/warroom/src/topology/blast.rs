//! The blast radius: what fails, what is impacted, and why.
//!
//! From the down nodes, walk to everything that depends on them (edges backwards). A hard
//! dependency on a failed vertex makes the dependent impacted; a soft one only degrades it. A
//! redundancy group fails only when fewer than `needs` members are left healthy; until then it is
//! degraded and stops the walk. Each vertex is visited once, with a counter per group, so the
//! walk is linear in the size of the graph: it answers a what-if at 3 a.m. on a large estate as
//! fast as a plain BFS. Every impacted node keeps the vertex it was reached from, which gives its
//! reason path back to a down node.

use std::collections::{HashMap, VecDeque};

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use serde::Serialize;

use super::graph::{Link, Topology, Vertex};
use super::spec::Strength;
use crate::model::Health;

/// An impacted node and the path that takes it down: from the node to a down node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Impacted {
    pub id: String,
    pub reason: Vec<String>,
}

/// A redundancy group's state in this blast radius.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct GroupState {
    pub id: String,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub healthy: usize,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub members: usize,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub needs: usize,
    pub down: bool,
}

/// What is down, impacted and degraded. The JSON shape is the CLI's `--json` contract.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct BlastRadius {
    /// Down by themselves (the roots).
    pub down: Vec<String>,
    /// Down because something they hard-depend on is down, with the path to it.
    pub impacted: Vec<Impacted>,
    /// Still serving, but worse: across a soft edge, or a group that lost members.
    pub degraded: Vec<String>,
    /// User-facing nodes that are down or impacted: the outage users see.
    pub entrypoints_down: Vec<String>,
    /// Every group that lost at least one member.
    pub groups: Vec<GroupState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    Ok,
    Degraded,
    Impacted,
    Down,
}

const NONE: u32 = u32::MAX;

/// The walk's result over vertex indices, before ids are looked up.
pub(crate) struct Walk {
    state: Vec<State>,
    parent: Vec<u32>,
    failed_members: Vec<u32>,
}

impl Topology {
    /// The blast radius of the nodes whose health is `Down`; `Degraded` nodes degrade what
    /// hard-depends on them. Ids that name no node are ignored.
    pub fn blast_radius(&self, health: &HashMap<String, Health>) -> BlastRadius {
        let roots: Vec<NodeIndex> = self.node_indices_with(health, Health::Down);
        let degraded: Vec<NodeIndex> = self.node_indices_with(health, Health::Degraded);
        self.report(&self.walk(&roots, &degraded))
    }

    /// What if these nodes failed? The same walk, for a hypothetical set (the Isolate stage:
    /// "what breaks if I drain this node?").
    pub fn what_if<S: AsRef<str>>(&self, failed: &[S]) -> BlastRadius {
        let roots: Vec<NodeIndex> = failed.iter().filter_map(|id| self.node_index(id.as_ref())).collect();
        self.report(&self.walk(&roots, &[]))
    }

    /// Nodes whose failure alone takes down at least one entrypoint, each with the entrypoints
    /// it takes down. An entrypoint counts too: on its own it is the outage.
    pub fn single_points_of_failure(&self) -> Vec<(String, Vec<String>)> {
        let mut spofs = Vec::new();
        for i in self.graph.node_indices() {
            let Vertex::Node(node) = &self.graph[i] else { continue };
            let walk = self.walk(&[i], &[]);
            let entrypoints = self.entrypoints_down(&walk);
            if !entrypoints.is_empty() {
                spofs.push((node.id.clone(), entrypoints));
            }
        }
        spofs.sort();
        spofs
    }

    /// How many vertices the walk for `failed` marks impacted or down (for benchmarks).
    pub fn impacted_count<S: AsRef<str>>(&self, failed: &[S]) -> usize {
        let roots: Vec<NodeIndex> = failed.iter().filter_map(|id| self.node_index(id.as_ref())).collect();
        self.walk(&roots, &[]).state.iter().filter(|s| **s >= State::Impacted).count()
    }

    fn node_index(&self, id: &str) -> Option<NodeIndex> {
        self.index.get(id).copied().filter(|&i| matches!(self.graph[i], Vertex::Node(_)))
    }

    fn node_indices_with(&self, health: &HashMap<String, Health>, wanted: Health) -> Vec<NodeIndex> {
        let mut found: Vec<NodeIndex> =
            health.iter().filter(|(_, h)| **h == wanted).filter_map(|(id, _)| self.node_index(id)).collect();
        found.sort_unstable();
        found
    }

    pub(crate) fn walk(&self, roots: &[NodeIndex], degraded: &[NodeIndex]) -> Walk {
        let n = self.graph.node_count();
        let mut walk = Walk { state: vec![State::Ok; n], parent: vec![NONE; n], failed_members: vec![0; n] };
        let mut queue: VecDeque<NodeIndex> = VecDeque::new();
        let mut softened: Vec<NodeIndex> = degraded.to_vec();
        for &root in roots {
            if walk.state[root.index()] != State::Down {
                walk.state[root.index()] = State::Down;
                queue.push_back(root);
            }
        }
        while let Some(u) = queue.pop_front() {
            for edge in self.graph.edges_directed(u, Direction::Incoming) {
                let v = edge.source();
                let vi = v.index();
                match *edge.weight() {
                    Link::Member => {
                        walk.failed_members[vi] += 1;
                        let Vertex::Group(group) = &self.graph[v] else { continue };
                        let healthy = group.members.saturating_sub(walk.failed_members[vi] as usize);
                        if healthy < group.needs && walk.state[vi] < State::Impacted {
                            walk.state[vi] = State::Impacted;
                            walk.parent[vi] = u.index() as u32;
                            queue.push_back(v);
                        } else if walk.state[vi] == State::Ok {
                            walk.state[vi] = State::Degraded;
                            softened.push(v);
                        }
                    }
                    Link::Depends(Strength::Hard) => {
                        if walk.state[vi] < State::Impacted {
                            walk.state[vi] = State::Impacted;
                            walk.parent[vi] = u.index() as u32;
                            queue.push_back(v);
                        }
                    }
                    Link::Depends(Strength::Soft) => {
                        if walk.state[vi] == State::Ok {
                            walk.state[vi] = State::Degraded;
                            softened.push(v);
                        }
                    }
                }
            }
        }
        // Degradation spreads to what hard-depends on a degraded vertex, and no further across
        // soft edges: a slower cache does not make its users slower in any way we can claim.
        for &seed in &softened {
            if walk.state[seed.index()] == State::Ok {
                walk.state[seed.index()] = State::Degraded;
            }
        }
        let mut queue: VecDeque<NodeIndex> = softened.into_iter().collect();
        while let Some(u) = queue.pop_front() {
            for edge in self.graph.edges_directed(u, Direction::Incoming) {
                let vi = edge.source().index();
                if matches!(edge.weight(), Link::Depends(Strength::Hard) | Link::Member)
                    && walk.state[vi] == State::Ok
                {
                    walk.state[vi] = State::Degraded;
                    queue.push_back(edge.source());
                }
            }
        }
        walk
    }

    fn entrypoints_down(&self, walk: &Walk) -> Vec<String> {
        let mut ids: Vec<String> = self
            .graph
            .node_indices()
            .filter(|i| walk.state[i.index()] >= State::Impacted)
            .filter_map(|i| match &self.graph[i] {
                Vertex::Node(n) if n.entrypoint => Some(n.id.clone()),
                _ => None,
            })
            .collect();
        ids.sort();
        ids
    }

    fn reason(&self, walk: &Walk, from: NodeIndex) -> Vec<String> {
        let mut path = vec![self.graph[from].id().to_owned()];
        let mut at = walk.parent[from.index()];
        while at != NONE {
            let i = NodeIndex::new(at as usize);
            path.push(self.graph[i].id().to_owned());
            at = walk.parent[at as usize];
        }
        path
    }

    fn report(&self, walk: &Walk) -> BlastRadius {
        let mut radius = BlastRadius {
            down: Vec::new(),
            impacted: Vec::new(),
            degraded: Vec::new(),
            entrypoints_down: self.entrypoints_down(walk),
            groups: Vec::new(),
        };
        for i in self.graph.node_indices() {
            let state = walk.state[i.index()];
            match &self.graph[i] {
                Vertex::Node(n) => match state {
                    State::Down => radius.down.push(n.id.clone()),
                    State::Impacted => {
                        radius.impacted.push(Impacted { id: n.id.clone(), reason: self.reason(walk, i) })
                    }
                    State::Degraded => radius.degraded.push(n.id.clone()),
                    State::Ok => {}
                },
                Vertex::Group(g) if walk.failed_members[i.index()] > 0 => {
                    let failed = walk.failed_members[i.index()] as usize;
                    radius.groups.push(GroupState {
                        id: g.id.clone(),
                        healthy: g.members.saturating_sub(failed),
                        members: g.members,
                        needs: g.needs,
                        down: state >= State::Impacted,
                    });
                }
                Vertex::Group(_) => {}
            }
        }
        radius.down.sort();
        radius.impacted.sort_by(|a, b| a.id.cmp(&b.id));
        radius.degraded.sort();
        radius.groups.sort_by(|a, b| a.id.cmp(&b.id));
        radius
    }

    /// The reason an impacted node is down, in words: "checkout is down because checkout →
    /// order-service → orders-db (group orders-db: 0 of 2 healthy) → mysql-primary".
    pub fn explain(&self, radius: &BlastRadius, id: &str) -> Option<String> {
        let impacted = radius.impacted.iter().find(|i| i.id == id)?;
        let hops: Vec<String> = impacted
            .reason
            .iter()
            .map(|hop| match radius.groups.iter().find(|g| g.id == *hop) {
                Some(g) => {
                    format!("{hop} (group {hop}: {} of {} healthy, needs {})", g.healthy, g.members, g.needs)
                }
                None => hop.clone(),
            })
            .collect();
        Some(format!("{id} is down because {}", hops.join(" → ")))
    }
}
