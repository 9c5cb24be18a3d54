//! The topology file, its checks, and the blast radius on the seed's reference architecture,
//! plus property tests of the blast radius on random graphs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use proptest::prelude::*;
use warroom::topology::{
    DependencySpec, GroupSpec, Health, Level, NodeKind, NodeSpec, Strength, Topology, TopologySpec,
    parse_toml, read_toml,
};

fn reference() -> Topology {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/topology/reference.toml");
    read_toml(&path).unwrap()
}

#[test]
fn the_reference_architecture_builds_cleanly() {
    let topo = reference();
    assert_eq!(topo.len(), 16);
    assert!(topo.warnings().is_empty(), "{:?}", topo.warnings());
    assert!(topo.node("api-gateway").unwrap().entrypoint);
    assert_eq!(topo.node("mysql-replica").unwrap().group.as_deref(), Some("mysql"));
}

#[test]
fn one_database_down_is_absorbed_by_failover() {
    let radius = reference().what_if(&["mysql-primary"]);
    assert_eq!(radius.down, ["mysql-primary"]);
    assert!(radius.impacted.is_empty(), "{radius:?}");
    assert!(radius.entrypoints_down.is_empty());
    let mysql = radius.groups.iter().find(|g| g.id == "mysql").unwrap();
    assert_eq!((mysql.healthy, mysql.members, mysql.needs, mysql.down), (1, 2, 1, false));
    // The services keep working on the replica, but with no redundancy left: degraded.
    assert!(radius.degraded.contains(&"order-service".to_owned()), "{radius:?}");
}

#[test]
fn both_databases_down_take_the_gateway_down_with_a_reason_path() {
    let topo = reference();
    let radius = topo.what_if(&["mysql-primary", "mysql-replica"]);
    assert_eq!(radius.entrypoints_down, ["api-gateway"]);
    let impacted: Vec<&str> = radius.impacted.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(impacted, ["api-gateway", "order-service", "payment-service", "user-service"]);
    let order = radius.impacted.iter().find(|i| i.id == "order-service").unwrap();
    let reason = order.reason.to_vec();
    assert_eq!(reason[..2], ["order-service".to_owned(), "mysql".to_owned()]);
    assert!(reason[2].starts_with("mysql-"));
    let words = topo.explain(&radius, "order-service").unwrap();
    assert!(
        words.starts_with("order-service is down because order-service → mysql (group mysql: 0 of 2 healthy"),
        "{words}"
    );
}

#[test]
fn a_cache_down_only_degrades_across_soft_edges() {
    let radius = reference().what_if(&["redis-1", "redis-2"]);
    assert!(radius.impacted.is_empty(), "{radius:?}");
    assert!(radius.degraded.contains(&"user-service".to_owned()));
    assert!(radius.degraded.contains(&"api-gateway".to_owned()), "degradation spreads over hard edges");
}

#[test]
fn health_signals_drive_the_same_walk() {
    let health: HashMap<String, Health> = [
        ("payment-provider".to_owned(), Health::Down),
        ("redis-3".to_owned(), Health::Degraded),
        ("user-service".to_owned(), Health::Healthy),
        ("no-such-node".to_owned(), Health::Down),
    ]
    .into();
    let radius = reference().blast_radius(&health);
    assert_eq!(radius.down, ["payment-provider"]);
    let ids: Vec<&str> = radius.impacted.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["api-gateway", "order-service", "payment-service"]);
    assert_eq!(radius.entrypoints_down, ["api-gateway"]);
}

#[test]
fn single_points_of_failure_of_the_reference() {
    let spofs: Vec<String> = reference().single_points_of_failure().into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        spofs,
        ["api-gateway", "order-service", "payment-provider", "payment-service", "user-service"]
    );
}

#[test]
fn blast_json_has_the_documented_shape() {
    let radius = reference().what_if(&["payment-provider"]);
    let json = serde_json::to_value(&radius).unwrap();
    for key in ["down", "impacted", "degraded", "entrypoints_down"] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["impacted"][0]["id"], "api-gateway");
    assert_eq!(json["impacted"][0]["reason"][0], "api-gateway");
}

#[test]
fn every_problem_is_reported_with_its_line() {
    let text = r#"
[[node]]
id = "a"
depends_on = ["ghost"]

[[node]]
id = "a"

[[node]]
id = "b"
depends_on = ["b"]

[[group]]
id = "pair"
members = ["b"]
needs = 2
"#;
    let err = Topology::build(&parse_toml(text).unwrap()).unwrap_err();
    let got: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "line 6: error: duplicate id 'a' (first at line 2)",
            "line 13: error: group 'pair' needs 2 healthy members but has only 1",
            "line 4: error: 'a' depends on unknown 'ghost'",
            "line 11: error: 'b' depends on itself",
        ]
    );
}

#[test]
fn syntax_errors_and_unknown_keys_name_their_line() {
    let err = parse_toml("[[node]]\nid = \"a\"\ndepends = [\"b\"]\n").unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    assert!(err.message.contains("unknown field `depends`"), "{err}");
    let err = parse_toml("[[node]]\nid = \"a\"\nentrypoint = yes\n").unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
}

#[test]
fn cycles_are_allowed_and_warned_about() {
    let text = "[[node]]\nid = \"a\"\ndepends_on = [\"b\"]\n[[node]]\nid = \"b\"\ndepends_on = [\"a\"]\n";
    let topo = Topology::build(&parse_toml(text).unwrap()).unwrap();
    assert_eq!(topo.warnings().len(), 1);
    assert_eq!(topo.warnings()[0].level, Level::Warning);
    assert!(topo.warnings()[0].message.contains("cycle: a, b"));
    let radius = topo.what_if(&["a"]);
    assert_eq!(radius.impacted[0].reason, ["b", "a"]);
}

// ---- properties ---------------------------------------------------------------------------

/// A random topology: `n` nodes, random hard/soft edges, and a few redundancy groups over
/// disjoint node ranges.
fn arb_topology() -> impl Strategy<Value = TopologySpec> {
    (4usize..40)
        .prop_flat_map(|n| {
            let edges = prop::collection::vec((0..n, 0..n, any::<bool>()), 0..n * 3);
            let groups = prop::collection::vec((0..n, 2usize..4, 1usize..4), 0..3);
            let entry = prop::collection::vec(any::<bool>(), n);
            (Just(n), edges, groups, entry)
        })
        .prop_map(|(n, edges, groups, entry)| {
            let mut nodes: Vec<NodeSpec> = (0..n)
                .map(|i| NodeSpec {
                    id: format!("n{i}"),
                    name: String::new(),
                    kind: NodeKind::Service,
                    owner: None,
                    public_name: None,
                    system: None,
                    entrypoint: entry[i],
                    depends_on: Vec::new(),
                    line: None,
                })
                .collect();
            for (a, b, soft) in edges {
                if a != b && !nodes[a].depends_on.iter().any(|d| d.target == format!("n{b}")) {
                    let strength = if soft { Strength::Soft } else { Strength::Hard };
                    nodes[a].depends_on.push(DependencySpec {
                        target: format!("n{b}"),
                        strength,
                        line: None,
                    });
                }
            }
            let mut used = vec![false; n];
            let mut specs = Vec::new();
            for (g, (start, size, needs)) in groups.into_iter().enumerate() {
                let members: Vec<usize> = (start..(start + size).min(n)).filter(|&m| !used[m]).collect();
                if members.len() < 2 {
                    continue;
                }
                for &m in &members {
                    used[m] = true;
                }
                let needs = needs.min(members.len());
                specs.push(GroupSpec {
                    id: format!("g{g}"),
                    members: members.iter().map(|m| format!("n{m}")).collect(),
                    needs,
                    line: None,
                });
            }
            TopologySpec { nodes, groups: specs }
        })
}

fn failed_set(n: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(0..n, 0..5).prop_map(|v| v.into_iter().map(|i| format!("n{i}")).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn failing_more_nodes_never_shrinks_the_impacted_set(
        (spec, a, b) in arb_topology().prop_flat_map(|s| {
            let n = s.nodes.len();
            (Just(s), failed_set(n), failed_set(n))
        })
    ) {
        let topo = Topology::build(&spec).unwrap();
        let small = topo.what_if(&a);
        let more: Vec<String> = a.iter().chain(&b).cloned().collect();
        let large = topo.what_if(&more);
        let out = |r: &warroom::topology::BlastRadius| -> std::collections::BTreeSet<String> {
            r.down.iter().cloned().chain(r.impacted.iter().map(|i| i.id.clone())).collect()
        };
        prop_assert!(out(&small).is_subset(&out(&large)));
        let small_entry: std::collections::BTreeSet<_> = small.entrypoints_down.iter().collect();
        let large_entry: std::collections::BTreeSet<_> = large.entrypoints_down.iter().collect();
        prop_assert!(small_entry.is_subset(&large_entry));
    }

    #[test]
    fn reason_paths_are_real_paths_ending_at_a_down_node(
        (spec, failed) in arb_topology().prop_flat_map(|s| { let n = s.nodes.len(); (Just(s), failed_set(n)) })
    ) {
        let topo = Topology::build(&spec).unwrap();
        let radius = topo.what_if(&failed);
        let hard: std::collections::HashSet<(&str, &str)> = topo
            .dependencies()
            .into_iter()
            .filter(|d| d.strength == Strength::Hard)
            .map(|d| (d.from, d.to))
            .collect();
        let groups = topo.groups();
        for impacted in &radius.impacted {
            let path = impacted.reason.to_vec();
            prop_assert_eq!(&path[0], &impacted.id);
            prop_assert!(radius.down.contains(path.last().unwrap()), "path {:?} does not end at a down node", path);
            for hop in path.windows(2) {
                let (from, to) = (hop[0].as_str(), hop[1].as_str());
                let is_member = groups.iter().any(|g| g.id == from && g.members.iter().any(|m| m == to));
                prop_assert!(hard.contains(&(from, to)) || is_member, "{} → {} is not a hard edge", from, to);
            }
        }
    }

    #[test]
    fn soft_edges_and_healthy_groups_never_take_anything_down(
        (spec, failed) in arb_topology().prop_flat_map(|s| { let n = s.nodes.len(); (Just(s), failed_set(n)) })
    ) {
        let topo = Topology::build(&spec).unwrap();
        let radius = topo.what_if(&failed);
        // A group that still has enough healthy members is never on a reason path.
        for group in radius.groups.iter().filter(|g| !g.down) {
            prop_assert!(group.healthy >= group.needs);
            prop_assert!(radius.impacted.iter().all(|i| !i.reason.contains(&group.id)));
        }
        // Every impacted node has a hard dependency (or is a group member) that failed.
        let failed_ids: std::collections::HashSet<&str> = radius
            .down
            .iter()
            .map(String::as_str)
            .chain(radius.impacted.iter().map(|i| i.id.as_str()))
            .chain(radius.groups.iter().filter(|g| g.down).map(|g| g.id.as_str()))
            .collect();
        for impacted in &radius.impacted {
            let hard_failed = topo
                .dependencies()
                .into_iter()
                .any(|d| d.from == impacted.id && d.strength == Strength::Hard && failed_ids.contains(d.to));
            prop_assert!(hard_failed, "{} is impacted with no failed hard dependency", impacted.id);
        }
    }
}

// ---- Backstage --------------------------------------------------------------------------

/// The catalog of `../shared/fixtures/backstage/` (copied here), in Backstage's documented shape.
fn fixture_catalog() -> Topology {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/backstage/catalog-info.yaml");
    warroom::topology::read(&path).unwrap()
}

#[test]
fn a_backstage_catalog_imports_with_references_resolved_as_backstage_does() {
    let topo = fixture_catalog();
    let mut ids: Vec<&str> = topo.nodes().map(|n| n.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "api-gateway",
            "kafka",
            "order-service",
            "orders-db",
            "payment-service",
            "redis-cache",
            "user-service"
        ]
    );
    let deps: Vec<(&str, &str)> = topo.dependencies().into_iter().map(|d| (d.from, d.to)).collect();
    // `component:user-service` (no namespace) resolves in the referrer's namespace, default.
    assert!(deps.contains(&("api-gateway", "user-service")));
    assert!(deps.contains(&("order-service", "orders-db")));
    assert_eq!(deps.len(), 10);
    assert_eq!(topo.node("orders-db").unwrap().kind, NodeKind::Database);
    assert_eq!(topo.node("kafka").unwrap().kind, NodeKind::Queue);
    assert_eq!(topo.node("order-service").unwrap().owner.as_deref(), Some("team-commerce"));
    // No entrypoint annotation anywhere: the component nothing depends on is the entrypoint.
    let entry: Vec<&str> = topo.nodes().filter(|n| n.entrypoint).map(|n| n.id.as_str()).collect();
    assert_eq!(entry, ["api-gateway"]);
    assert_eq!(topo.what_if(&["orders-db"]).entrypoints_down, ["api-gateway"]);
}

#[test]
fn backstage_annotations_express_soft_edges_groups_and_entrypoints() {
    let catalog = r#"
kind: Component
metadata:
  name: web
  annotations:
    warroom.dev/entrypoint: "true"
    warroom.dev/soft-depends-on: "resource:cache"
spec:
  type: website
  dependsOn: [resource:cache, resource:db-a]
---
kind: Resource
metadata:
  name: cache
spec:
  type: cache
---
kind: Resource
metadata:
  name: db-a
  annotations:
    warroom.dev/redundancy-group: db
    warroom.dev/redundancy-needs: "1"
---
kind: Resource
metadata:
  name: db-b
  annotations:
    warroom.dev/redundancy-group: db
spec:
  dependencyOf: [component:web]
"#;
    let topo = warroom::topology::parse_backstage(catalog).unwrap().build().unwrap();
    let group =
        warroom::topology::Group { id: "db".into(), members: vec!["db-a".into(), "db-b".into()], needs: 1 };
    assert_eq!(topo.groups(), [group]);
    assert!(topo.what_if(&["cache"]).impacted.is_empty(), "a soft edge only degrades");
    assert!(topo.what_if(&["db-a"]).impacted.is_empty(), "the replica absorbs one failure");
    assert_eq!(topo.what_if(&["db-a", "db-b"]).entrypoints_down, ["web"]);
}

#[test]
fn broken_backstage_catalogs_name_each_line() {
    let catalog = "kind: Component\nmetadata:\n  name: a\nspec:\n  dependsOn:\n    - component:ghost\n    - b\n---\nkind: Resource\nspec: {}\n";
    let problems = warroom::topology::parse_backstage(catalog).unwrap_err();
    let got: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "line 9: error: a Resource without `metadata.name`",
            "line 6: error: 'a' refers to unknown 'component:ghost'",
            "line 7: error: 'a': 'b' needs a kind, e.g. component:b or resource:b",
        ]
    );
    let problems =
        warroom::topology::parse_backstage("kind: Component\nmetadata:\n  name: [a\n").unwrap_err();
    assert!(problems[0].message.starts_with("YAML:"), "{problems:?}");
    assert!(problems[0].line.is_some());
}

/// Defect: a 25 000-node dependency chain aborted the process (stack overflow in the cycle
/// check, which recursed). Every graph algorithm on user input is iterative: a long chain, with
/// a cycle closing it, loads and warns of its cycle (naming a few of its nodes, not 25 000), on a
/// test thread's small stack. (The blast radius of such a chain is issue 17's: its reason paths
/// are quadratic in memory today.)
/// A chain n0 → n1 → … → n(len-1), n0 the entrypoint; closed into a cycle (the last node
/// depending on n0) when `closed`.
fn chain(len: usize, closed: bool) -> warroom::model::topology::TopologySpec {
    use warroom::model::topology::{DependencySpec, NodeSpec, Strength, TopologySpec};
    let nodes = (0..len)
        .map(|i| {
            let mut node = NodeSpec::service(format!("n{i}"));
            node.entrypoint = i == 0;
            if i + 1 < len || closed {
                node.depends_on.push(DependencySpec::on(format!("n{}", (i + 1) % len), Strength::Hard));
            }
            node
        })
        .collect();
    TopologySpec { nodes, groups: Vec::new() }
}

#[test]
fn a_long_dependency_chain_loads_without_recursion() {
    const N: usize = 25_000;
    let spec = chain(N, true);
    let topology = warroom::topology::Topology::build(&spec).expect("a chain is a valid topology");
    let cycle = topology.warnings().iter().map(ToString::to_string).find(|w| w.contains("dependency cycle"));
    assert!(cycle.as_deref().is_some_and(|c| c.ends_with("and 24988 more") && c.len() < 300), "{cycle:?}");
    assert_eq!(topology.hops("n0", &format!("n{}", N - 1)), Some(N - 1));
}

/// Issue 16 (defect 2) and 17 (scale): a chain of a million nodes loads, its single points of
/// failure are found without a walk per node (all million of them take the top down), and the
/// blast radius of its bottom node keeps every reason path in memory linear in the chain: the
/// top's path names all million nodes, sharing its tail with every other path.
#[test]
fn a_million_node_chain_loads_and_its_blast_radius_and_spofs_stay_linear() {
    const N: usize = 1_000_000;
    let topology = warroom::topology::Topology::build(&chain(N, false)).unwrap();
    assert_eq!(topology.len(), N);
    assert!(topology.warnings().is_empty());

    let spofs = topology.single_points_of_failure();
    assert_eq!(spofs.len(), N);
    assert!(spofs.iter().all(|(_, down)| down == &["n0".to_owned()]));

    let bottom = format!("n{}", N - 1);
    let radius = topology.what_if(&[bottom.as_str()]);
    assert_eq!(radius.impacted.len(), N - 1);
    assert_eq!(radius.entrypoints_down, ["n0"]);
    let top = radius.impacted.iter().find(|i| i.id == "n0").unwrap();
    assert_eq!(top.reason.len(), N);
    assert_eq!(top.reason.root(), bottom);
    let next = radius.impacted.iter().find(|i| i.id == "n1").unwrap();
    assert!(top.reason.iter().skip(1).eq(next.reason.iter()), "the paths share their tail");
}
