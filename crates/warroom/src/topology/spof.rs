//! Single points of failure, all at once, without a walk per node.
//!
//! "x kills y" when the failure of x alone takes y down (the blast radius of `[x]` marks y
//! impacted or down). Killing is transitive, so the entrypoints x takes down are the entrypoints
//! reachable from x in the *kill graph*, whose edges say who kills whom directly:
//! - a node dies with any hard dependency (a dependency on a failover group is on the group);
//! - a group that tolerates no loss (`needs` = its members) dies with any member;
//! - a group that tolerates `t` losses dies with any x that kills more than `t` of its members.
//!   Those x are found by walking, for each member, what kills it (down the dependencies, through
//!   inner groups already solved: groups are solved dependencies first) and counting.
//!
//! Then one pass over the kill graph's strongly connected components, dependencies first, gives
//! every vertex the set of entrypoints it reaches, as a bit set. The cost is linear in the graph
//! times the number of entrypoints / 64, plus, for each tolerant group, the size of what lies
//! below its members (a database's replicas and their hosts: small next to the estate), where a
//! walk per node took V·(V+E): 16 000 nodes took 20 s.
//!
//! The per-node walk ([`Topology::walk`]) stays the definition: a property test holds the two
//! to the same answers on random topologies.

use petgraph::Direction;
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use super::graph::{Link, Topology, Vertex};
use super::spec::Strength;

impl Topology {
    /// Nodes whose failure alone takes down at least one entrypoint, each with the entrypoints
    /// it takes down (sorted by id). An entrypoint counts too: on its own it is the outage.
    pub fn single_points_of_failure(&self) -> Vec<(String, Vec<String>)> {
        let graph = &self.graph;
        let mut entrypoints: Vec<NodeIndex> =
            graph.node_indices().filter(|&i| matches!(&graph[i], Vertex::Node(n) if n.entrypoint)).collect();
        if entrypoints.is_empty() {
            return Vec::new();
        }
        entrypoints.sort_by(|a, b| graph[*a].id().cmp(graph[*b].id()));
        let killers = self.killers();
        let reached = reached_entrypoints(graph.node_count(), &killers, &entrypoints);
        let mut spofs: Vec<(String, Vec<String>)> = graph
            .node_indices()
            .filter_map(|i| {
                let Vertex::Node(node) = &graph[i] else { return None };
                let bits = &reached[i.index()];
                let down: Vec<String> = entrypoints
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| bits[k / 64] & (1 << (k % 64)) != 0)
                    .map(|(_, &e)| graph[e].id().to_owned())
                    .collect();
                (!down.is_empty()).then(|| (node.id.clone(), down))
            })
            .collect();
        spofs.sort();
        spofs
    }

    /// For every vertex, the vertices whose failure kills it directly (see the module's doc).
    fn killers(&self) -> Vec<Vec<u32>> {
        let graph = &self.graph;
        let n = graph.node_count();
        let mut killers: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut tolerant = Vec::new();
        for v in graph.node_indices() {
            let tolerates = match &graph[v] {
                Vertex::Group(g) => g.members.saturating_sub(g.needs),
                Vertex::Node(_) => 0,
            };
            if tolerates > 0 {
                tolerant.push((v, tolerates));
                continue;
            }
            for edge in graph.edges_directed(v, Direction::Outgoing) {
                if matches!(edge.weight(), Link::Depends(Strength::Hard) | Link::Member) {
                    killers[v.index()].push(edge.target().index() as u32);
                }
            }
        }
        if tolerant.is_empty() {
            return killers;
        }
        // Tolerant groups, dependencies first (kosaraju gives the components in that order).
        let order: Vec<usize> = kosaraju_scc(graph).into_iter().flatten().map(NodeIndex::index).collect();
        let mut rank = vec![0usize; n];
        for (k, &i) in order.iter().enumerate() {
            rank[i] = k;
        }
        tolerant.sort_by_key(|(v, _)| rank[v.index()]);
        let mut seen = vec![0u32; n];
        let mut count = vec![0usize; n];
        let mut stamp = 0u32;
        for (group, tolerates) in tolerant {
            let mut touched = Vec::new();
            for member in graph.edges_directed(group, Direction::Outgoing).map(|e| e.target().index()) {
                stamp += 1;
                let mut stack = vec![member];
                seen[member] = stamp;
                while let Some(x) = stack.pop() {
                    if count[x] == 0 {
                        touched.push(x);
                    }
                    count[x] += 1;
                    for &k in &killers[x] {
                        let k = k as usize;
                        if seen[k] != stamp {
                            seen[k] = stamp;
                            stack.push(k);
                        }
                    }
                }
            }
            for x in touched {
                if count[x] > tolerates {
                    killers[group.index()].push(x as u32);
                }
                count[x] = 0;
            }
        }
        killers
    }
}

/// For every vertex, the entrypoints (bit k: `entrypoints[k]`) its failure reaches through the
/// kill graph: one pass over its components, those killed first.
fn reached_entrypoints(n: usize, killers: &[Vec<u32>], entrypoints: &[NodeIndex]) -> Vec<Vec<u64>> {
    let words = entrypoints.len().div_ceil(64);
    // x → y when x kills y.
    let mut kills: DiGraph<(), ()> = DiGraph::with_capacity(n, killers.iter().map(Vec::len).sum());
    for _ in 0..n {
        kills.add_node(());
    }
    for (y, of) in killers.iter().enumerate() {
        for &x in of {
            kills.add_edge(NodeIndex::new(x as usize), NodeIndex::new(y), ());
        }
    }
    let components = kosaraju_scc(&kills);
    let mut component = vec![0usize; n];
    for (c, members) in components.iter().enumerate() {
        for &m in members {
            component[m.index()] = c;
        }
    }
    let mut bits = vec![vec![0u64; words]; components.len()];
    for (k, e) in entrypoints.iter().enumerate() {
        bits[component[e.index()]][k / 64] |= 1 << (k % 64);
    }
    // Components come killed-first: whatever a component kills is already complete.
    for (c, members) in components.iter().enumerate() {
        let mut acc = std::mem::take(&mut bits[c]);
        for &m in members {
            for next in kills.neighbors_directed(m, Direction::Outgoing) {
                let d = component[next.index()];
                if d != c {
                    for (a, b) in acc.iter_mut().zip(&bits[d]) {
                        *a |= *b;
                    }
                }
            }
        }
        bits[c] = acc;
    }
    (0..n).map(|i| bits[component[i]].clone()).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::topology::{DependencySpec, GroupSpec, NodeSpec, Strength, Topology, TopologySpec};

    /// The definition: a walk per node.
    fn by_walking(topology: &Topology) -> Vec<(String, Vec<String>)> {
        let mut spofs = Vec::new();
        for node in topology.nodes() {
            let radius = topology.what_if(&[node.id.as_str()]);
            if !radius.entrypoints_down.is_empty() {
                spofs.push((node.id.clone(), radius.entrypoints_down));
            }
        }
        spofs.sort();
        spofs
    }

    fn node(i: usize, entrypoint: bool, deps: Vec<(usize, bool)>) -> NodeSpec {
        let mut node = NodeSpec::service(format!("n{i}"));
        node.entrypoint = entrypoint;
        node.depends_on = deps
            .into_iter()
            .filter(|(d, _)| *d != i)
            .map(|(d, hard)| {
                DependencySpec::on(format!("n{d}"), if hard { Strength::Hard } else { Strength::Soft })
            })
            .collect();
        node
    }

    /// Random estates: nodes with hard and soft dependencies (cycles allowed), a few
    /// redundancy groups of 2 to 4 members needing 1 to all of them.
    fn estates() -> impl Strategy<Value = TopologySpec> {
        (4usize..24).prop_flat_map(|n| {
            let nodes = proptest::collection::vec(
                (any::<bool>(), proptest::collection::vec((0..n, any::<bool>()), 0..4)),
                n,
            );
            let groups = proptest::collection::vec(
                (proptest::sample::subsequence((0..n).collect::<Vec<_>>(), 2..5), 1usize..5),
                0..3,
            );
            (nodes, groups).prop_map(move |(nodes, groups)| {
                let nodes: Vec<NodeSpec> =
                    nodes.into_iter().enumerate().map(|(i, (ep, deps))| node(i, ep, deps)).collect();
                let mut used = std::collections::HashSet::new();
                let groups = groups
                    .into_iter()
                    .enumerate()
                    .filter_map(|(g, (members, needs))| {
                        let members: Vec<usize> = members.into_iter().filter(|m| used.insert(*m)).collect();
                        (members.len() >= 2).then(|| GroupSpec {
                            id: format!("g{g}"),
                            needs: needs.min(members.len()),
                            members: members.into_iter().map(|m| format!("n{m}")).collect(),
                            line: None,
                        })
                    })
                    .collect();
                TopologySpec { nodes, groups }
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// The kill graph finds exactly the single points of failure a walk per node finds.
        #[test]
        fn the_kill_graph_agrees_with_a_walk_per_node(spec in estates()) {
            let topology = Topology::build(&spec);
            prop_assert!(topology.is_ok(), "{:?}", topology.err());
            if let Ok(topology) = topology {
                prop_assert_eq!(topology.single_points_of_failure(), by_walking(&topology));
            }
        }
    }
}
