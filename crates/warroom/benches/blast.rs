//! Blast radius and what-if on a large generated estate, next to a bare petgraph BFS over the
//! same graph (the floor: no redundancy, no reasons, no ids).
//!
//! `cargo bench -p warroom --bench blast`. The graph: 100 000 nodes in 10 layers of 10 000, each
//! node of the first nine hard-depending on 11 distinct random nodes of the next layer (990 000
//! dependency edges), the last layer in failover pairs (5 000 groups needing 1 of 2: 10 000
//! membership edges), so 1 000 000 edges in all. The failure: 50 nodes of layer 8.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;

use criterion::{Criterion, criterion_group, criterion_main};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use warroom::topology::{DependencySpec, GroupSpec, NodeSpec, Strength, Topology, TopologySpec};

const LAYERS: usize = 10;
const WIDTH: usize = 10_000;
const FANOUT: usize = 11;

fn id(layer: usize, i: usize) -> String {
    format!("n{layer}-{i}")
}

/// The spec and the same edges as plain (dependent, dependency) index pairs.
fn estate() -> (TopologySpec, Vec<(usize, usize)>) {
    let mut rng = fastrand::Rng::with_seed(42);
    let mut nodes = Vec::with_capacity(LAYERS * WIDTH);
    let mut edges = Vec::with_capacity(LAYERS * WIDTH * FANOUT);
    for layer in 0..LAYERS {
        for i in 0..WIDTH {
            let mut depends_on = Vec::new();
            if layer + 1 < LAYERS {
                let mut targets: Vec<usize> = Vec::with_capacity(FANOUT);
                while targets.len() < FANOUT {
                    let t = rng.usize(0..WIDTH);
                    if !targets.contains(&t) {
                        targets.push(t);
                    }
                }
                for t in targets {
                    edges.push((layer * WIDTH + i, (layer + 1) * WIDTH + t));
                    depends_on.push(DependencySpec {
                        target: id(layer + 1, t),
                        strength: Strength::Hard,
                        line: None,
                    });
                }
            }
            nodes.push(NodeSpec { entrypoint: layer == 0, depends_on, ..NodeSpec::service(id(layer, i)) });
        }
    }
    let groups = (0..WIDTH / 2)
        .map(|g| GroupSpec {
            id: format!("pair-{g}"),
            members: vec![id(LAYERS - 1, 2 * g), id(LAYERS - 1, 2 * g + 1)],
            needs: 1,
            line: None,
        })
        .collect();
    (TopologySpec { nodes, groups }, edges)
}

fn bench(c: &mut Criterion) {
    let (spec, edges) = estate();
    let members: usize = spec.groups.iter().map(|g| g.members.len()).sum();
    println!("estate: {} nodes, {} dependency + {members} membership edges", spec.nodes.len(), edges.len());
    let topology = Topology::build(&spec).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    let failed_idx: Vec<usize> = (0..50).map(|_| 8 * WIDTH + rng.usize(0..WIDTH)).collect();
    let failed: Vec<String> = failed_idx.iter().map(|&i| id(i / WIDTH, i % WIDTH)).collect();

    let mut bare: DiGraph<(), ()> = DiGraph::with_capacity(spec.nodes.len(), edges.len());
    for _ in 0..spec.nodes.len() {
        bare.add_node(());
    }
    for &(a, b) in &edges {
        bare.add_edge(NodeIndex::new(a), NodeIndex::new(b), ());
    }
    let bfs = |roots: &[usize]| {
        let mut seen = vec![false; bare.node_count()];
        let mut queue: VecDeque<NodeIndex> = roots.iter().map(|&r| NodeIndex::new(r)).collect();
        for &r in roots {
            seen[r] = true;
        }
        let mut count = roots.len();
        while let Some(u) = queue.pop_front() {
            for v in bare.neighbors_directed(u, Direction::Incoming) {
                if !seen[v.index()] {
                    seen[v.index()] = true;
                    count += 1;
                    queue.push_back(v);
                }
            }
        }
        count
    };
    println!(
        "impacted or down: blast walk {}, bare BFS {}",
        topology.impacted_count(&failed),
        bfs(&failed_idx)
    );
    let radius = topology.what_if(&failed);
    println!(
        "what-if report: {} impacted, {} entrypoints down",
        radius.impacted.len(),
        radius.entrypoints_down.len()
    );

    let mut group = c.benchmark_group("blast_100k_nodes_1m_edges");
    group.sample_size(20);
    group.bench_function("bare_petgraph_bfs", |b| b.iter(|| bfs(&failed_idx)));
    group.bench_function("blast_walk", |b| b.iter(|| topology.impacted_count(&failed)));
    group.bench_function("what_if_with_reasons_and_ids", |b| b.iter(|| topology.what_if(&failed)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
