//! Topologies at real size (issue 17): a TOML topology file of 16 000 and 100 000 nodes loaded
//! and checked as `warroom topology check` does, their single points of failure, and the blast
//! radius of the bottom of a 10 000-node chain with every reason path serialized (the `topology
//! blast --json` output), with the process's peak memory.
//!
//! `cargo bench -p warroom --bench topology`. A plain binary that prints its figures; asserts
//! nothing about time. The estates: services in layers of 1 000, each depending on three of the
//! next layer, every tenth pair of the last layer a failover group, ten entrypoints on top.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::time::Instant;

use warroom::topology::{Topology, parse_toml};

/// A TOML topology of `n` nodes in layers of 1 000.
fn estate(n: usize) -> String {
    const WIDTH: usize = 1_000;
    let mut text = String::new();
    for i in 0..n {
        let (layer, at) = (i / WIDTH, i % WIDTH);
        writeln!(text, "[[node]]\nid = \"n{i}\"\nkind = \"service\"").unwrap();
        if layer == 0 && at < 10 {
            writeln!(text, "entrypoint = true").unwrap();
        }
        if (layer + 1) * WIDTH < n {
            let deps: Vec<String> = (0..3)
                .map(|k| format!("\"n{}\"", (layer + 1) * WIDTH + (at * 7 + k * 331) % WIDTH))
                .collect();
            writeln!(text, "depends_on = [{}]", deps.join(", ")).unwrap();
        }
        text.push('\n');
    }
    let last = n.saturating_sub(WIDTH);
    for g in (last..n.saturating_sub(1)).step_by(20) {
        writeln!(text, "[[group]]\nid = \"g{g}\"\nmembers = [\"n{g}\", \"n{}\"]\nneeds = 1\n", g + 1)
            .unwrap();
    }
    text
}

fn chain(n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        writeln!(text, "[[node]]\nid = \"c{i}\"").unwrap();
        if i == 0 {
            writeln!(text, "entrypoint = true").unwrap();
        }
        if i + 1 < n {
            writeln!(text, "depends_on = [\"c{}\"]", i + 1).unwrap();
        }
    }
    text
}

#[path = "common/memory.rs"]
mod memory;

use memory::peak_mb;

fn main() {
    println!("topologies at real size:");
    for n in [16_000, 100_000] {
        let text = estate(n);
        let t = Instant::now();
        let topology = Topology::build(&parse_toml(&text).unwrap()).unwrap();
        let load = t.elapsed();
        let t = Instant::now();
        let spofs = topology.single_points_of_failure();
        let spof = t.elapsed();
        println!(
            "  {n:>7} nodes: load and check {load:>10.2?}, single points of failure {spof:>10.2?} ({} found)",
            spofs.len()
        );
    }
    let n = 10_000;
    let topology = Topology::build(&parse_toml(&chain(n)).unwrap()).unwrap();
    let t = Instant::now();
    let radius = topology.what_if(&[format!("c{}", n - 1)]);
    let walk = t.elapsed();
    let t = Instant::now();
    let mut sink = std::io::sink();
    serde_json::to_writer(&mut sink, &radius).unwrap();
    let written = t.elapsed();
    println!(
        "  blast of the bottom of a {n}-node chain: walk {walk:.2?}, {} reason paths written as JSON in {written:.2?}",
        radius.impacted.len()
    );
    println!("  peak memory of this process: {:.0} MB", peak_mb());
}
