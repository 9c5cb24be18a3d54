//! Dependencies discovered live, from traces, merged with the declared topology.
//!
//! Service-graph metrics say which service called which. An edge seen there and not declared is
//! added as a hard dependency and marked discovered; a service seen there and not declared
//! becomes a node (kind `service`), so nothing traffic reveals is hidden. Declared edges keep
//! their strength: the file knows better (a cache with a fallback is soft, traces cannot tell).

use std::collections::BTreeSet;

use super::graph::{Topology, TopologyError};
use super::spec::{DependencySpec, NodeSpec, Strength, TopologySpec};

impl Topology {
    /// Builds `declared` with the `seen` (client, server) edges merged in.
    ///
    /// # Errors
    /// As [`Topology::build`] (the declared part; discovered edges never add errors).
    pub fn build_with_discovered(
        declared: &TopologySpec,
        seen: &[(String, String)],
    ) -> Result<Topology, TopologyError> {
        let mut spec = declared.clone();
        let mut discovered = BTreeSet::new();
        let known = |spec: &TopologySpec, id: &str| {
            spec.nodes.iter().any(|n| n.id == id) || spec.groups.iter().any(|g| g.id == id)
        };
        for (client, server) in seen {
            if client == server {
                continue;
            }
            for id in [client, server] {
                if !known(&spec, id) {
                    spec.nodes.push(NodeSpec::service(id.clone()));
                }
            }
            let Some(node) = spec.nodes.iter_mut().find(|n| n.id == *client) else { continue };
            if node.depends_on.iter().any(|d| d.target == *server) {
                continue;
            }
            node.depends_on.push(DependencySpec {
                target: server.clone(),
                strength: Strength::Hard,
                line: None,
            });
            discovered.insert((client.clone(), server.clone()));
        }
        let mut topology = Topology::build(&spec)?;
        topology.discovered = discovered;
        Ok(topology)
    }

    /// Whether the dependency `from` → `to` was discovered in traces rather than declared.
    pub fn is_discovered(&self, from: &str, to: &str) -> bool {
        self.discovered.contains(&(from.to_owned(), to.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::parse_toml;

    #[test]
    fn traces_add_edges_and_services_and_keep_declared_strength() {
        let declared = parse_toml(
            "[[node]]\nid = \"api\"\nentrypoint = true\nsoft_depends_on = [\"cache\"]\n[[node]]\nid = \"cache\"\n[[node]]\nid = \"orders\"\n",
        )
        .unwrap();
        let seen = vec![
            ("api".to_owned(), "cache".to_owned()),
            ("api".to_owned(), "orders".to_owned()),
            ("orders".to_owned(), "ledger".to_owned()),
            ("orders".to_owned(), "orders".to_owned()),
        ];
        let topology = Topology::build_with_discovered(&declared, &seen).unwrap();
        assert!(topology.node("ledger").is_some(), "a service only traces know becomes a node");
        assert!(topology.is_discovered("api", "orders"));
        assert!(!topology.is_discovered("api", "cache"), "declared, so not discovered");
        let cache = topology.dependencies().into_iter().find(|d| d.from == "api" && d.to == "cache").unwrap();
        assert_eq!(cache.strength, Strength::Soft, "the declared strength wins");
        assert_eq!(topology.what_if(&["ledger"]).entrypoints_down, ["api"]);
    }
}
