//! The checked topology: a petgraph graph of nodes and redundancy groups.

use std::collections::{HashMap, HashSet};

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::problem::{Level, Problem};
use super::spec::{DependencySpec, GroupSpec, NodeKind, NodeSpec, Strength, TopologySpec};

/// A dependency: `from` needs `to` (a node or a group), hard or soft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dependency<'t> {
    pub from: &'t str,
    pub to: &'t str,
    pub strength: Strength,
}

/// A redundancy group: it serves while `needs` of its members are healthy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Group {
    pub id: String,
    /// Sorted.
    pub members: Vec<String>,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub needs: usize,
}

/// A topology that could not be built: every problem found, errors and warnings.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} problem(s) in the topology, first: {}", problems.len(), problems.first().map(ToString::to_string).unwrap_or_default())]
pub struct TopologyError {
    pub problems: Vec<Problem>,
}

/// What a vertex of the graph is. Boxed so that the graph's vertex array stays small: the
/// blast-radius walk touches every vertex it passes, and a compact array keeps it in cache.
#[derive(Debug, Clone)]
pub(crate) enum Vertex {
    Node(Box<Node>),
    Group(Box<GroupVertex>),
}

/// A node of the infrastructure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: String,
    pub name: String,
    pub kind: NodeKind,
    pub owner: Option<String>,
    /// What customers call it.
    pub public_name: Option<String>,
    /// The system it is part of, for the layout.
    pub system: Option<String>,
    pub entrypoint: bool,
    /// The redundancy group it belongs to, if any.
    pub group: Option<String>,
}

/// A redundancy group as the graph holds it: its member count, not their ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupVertex {
    pub id: String,
    pub needs: usize,
    pub members: usize,
}

/// An edge: a dependency, or a group's membership (group → member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    Depends(Strength),
    Member,
}

/// A checked topology. Build it with [`Topology::build`].
#[derive(Debug, Clone)]
pub struct Topology {
    pub(crate) graph: DiGraph<Vertex, Link>,
    pub(crate) index: HashMap<String, NodeIndex>,
    warnings: Vec<Problem>,
    /// Dependencies seen in traces, not declared: (dependent, dependency).
    pub(crate) discovered: std::collections::BTreeSet<(String, String)>,
}

impl Topology {
    /// Checks the spec and builds the graph.
    ///
    /// # Errors
    /// [`TopologyError`] with every problem (each with its line) when there is at least one
    /// error: an unknown reference, a duplicate id, an edge to itself, a group needing more
    /// members than it has. Cycles are allowed (real systems have them) and only warned about,
    /// in [`Topology::warnings`].
    pub fn build(spec: &TopologySpec) -> Result<Topology, TopologyError> {
        Topology::build_in(spec, &|_| None)
    }

    /// [`Topology::build`] for a spec read from several files: `file_of` names the file a node
    /// came from (`None`: the caller's), so that a cycle's warning names the file of its line.
    /// (The importer of such specs checks everything else itself, naming files.)
    pub(crate) fn build_in(
        spec: &TopologySpec,
        file_of: &dyn Fn(&str) -> Option<std::path::PathBuf>,
    ) -> Result<Topology, TopologyError> {
        let mut problems = Vec::new();
        let mut graph = DiGraph::new();
        let mut index: HashMap<String, NodeIndex> = HashMap::new();
        let mut seen_at: HashMap<String, Option<usize>> = HashMap::new();
        let mut duplicate = |id: &str, line: Option<usize>, problems: &mut Vec<Problem>| match seen_at.get(id)
        {
            Some(first) => {
                let first = first.map(|l| format!(" (first at line {l})")).unwrap_or_default();
                problems.push(Problem::error(line, format!("duplicate id '{id}'{first}")));
                true
            }
            None => {
                seen_at.insert(id.to_owned(), line);
                false
            }
        };

        let mut group_of: HashMap<&str, &str> = HashMap::new();
        for node in &spec.nodes {
            if node.id.trim().is_empty() {
                problems.push(Problem::error(node.line, "a node has an empty id"));
                continue;
            }
            if duplicate(&node.id, node.line, &mut problems) {
                continue;
            }
            let vertex = Vertex::Node(Box::new(Node {
                id: node.id.clone(),
                name: if node.name.is_empty() { node.id.clone() } else { node.name.clone() },
                kind: node.kind.clone(),
                owner: node.owner.clone(),
                public_name: node.public_name.clone(),
                system: node.system.clone(),
                entrypoint: node.entrypoint,
                group: None,
            }));
            index.insert(node.id.clone(), graph.add_node(vertex));
        }
        for group in &spec.groups {
            if duplicate(&group.id, group.line, &mut problems) {
                continue;
            }
            let members: HashSet<&str> = group.members.iter().map(String::as_str).collect();
            if group.needs == 0 {
                problems.push(Problem::error(
                    group.line,
                    format!("group '{}' needs 0 healthy members: it must need at least 1", group.id),
                ));
            } else if group.needs > members.len() {
                problems.push(Problem::error(
                    group.line,
                    format!(
                        "group '{}' needs {} healthy members but has only {}",
                        group.id,
                        group.needs,
                        members.len()
                    ),
                ));
            }
            let gi = graph.add_node(Vertex::Group(Box::new(GroupVertex {
                id: group.id.clone(),
                needs: group.needs,
                members: members.len(),
            })));
            index.insert(group.id.clone(), gi);
            for member in &group.members {
                if let Some(other) = group_of.insert(member, &group.id) {
                    problems.push(Problem::error(
                        group.line,
                        format!("'{member}' is in two groups, '{other}' and '{}'", group.id),
                    ));
                }
            }
        }
        for group in &spec.groups {
            let Some(&gi) = index.get(&group.id) else { continue };
            for member in &group.members {
                match index.get(member).map(|&mi| (mi, &graph[mi])) {
                    Some((mi, Vertex::Node(_))) => {
                        graph.update_edge(gi, mi, Link::Member);
                    }
                    Some((_, Vertex::Group(_))) => problems.push(Problem::error(
                        group.line,
                        format!(
                            "group '{}' has the group '{member}' as a member: members are nodes",
                            group.id
                        ),
                    )),
                    None => problems.push(Problem::error(
                        group.line,
                        format!("group '{}': unknown member '{member}'", group.id),
                    )),
                }
            }
        }
        for (member, group) in &group_of {
            if let Some(&mi) = index.get(*member)
                && let Vertex::Node(node) = &mut graph[mi]
            {
                node.group = Some((*group).to_owned());
            }
        }

        for node in &spec.nodes {
            let Some(&from) = index.get(&node.id) else { continue };
            for dep in &node.depends_on {
                let line = dep.line.or(node.line);
                if dep.target == node.id {
                    problems.push(Problem::error(line, format!("'{}' depends on itself", node.id)));
                    continue;
                }
                let Some(&target) = index.get(&dep.target) else {
                    problems.push(Problem::error(
                        line,
                        format!("'{}' depends on unknown '{}'", node.id, dep.target),
                    ));
                    continue;
                };
                // A dependency on a group's member is a dependency on the group: failover.
                let target = match &graph[target] {
                    Vertex::Node(n) => n.group.as_ref().and_then(|g| index.get(g).copied()).unwrap_or(target),
                    Vertex::Group(_) => target,
                };
                if target == from || graph[target].group_of_node(&node.id, &graph, target) {
                    continue; // a member depending on its own group's peers: replication, not a dependency
                }
                graph.update_edge(from, target, Link::Depends(dep.strength));
            }
        }

        if problems.iter().any(|p| p.level == Level::Error) {
            return Err(TopologyError { problems });
        }
        let mut warnings = problems;
        for cycle in kosaraju_scc(&graph).into_iter().filter(|scc| scc.len() > 1) {
            let mut ids: Vec<&str> = cycle.iter().map(|&i| graph[i].id()).collect();
            ids.sort_unstable();
            let line =
                ids.first().and_then(|id| spec.nodes.iter().find(|n| n.id == *id)).and_then(|n| n.line);
            let more = ids.len().saturating_sub(12);
            let shown = ids[..ids.len().min(12)].join(", ");
            let text = if more > 0 { format!("{shown} and {more} more") } else { shown };
            let file = ids.first().and_then(|id| file_of(id));
            warnings
                .push(Problem::warning(line, format!("dependency cycle: {text}")).in_file(file.as_deref()));
        }
        Ok(Topology { graph, index, warnings, discovered: std::collections::BTreeSet::new() })
    }

    /// Warnings found while reading (what an importer ignored) and building (dependency
    /// cycles).
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// The same topology with the importer's warnings before the build's own.
    pub(crate) fn with_import_warnings(mut self, mut warnings: Vec<Problem>) -> Topology {
        warnings.append(&mut self.warnings);
        self.warnings = warnings;
        self
    }

    /// Every node (not the groups), in the order given.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.graph.node_weights().filter_map(|v| match v {
            Vertex::Node(n) => Some(n.as_ref()),
            Vertex::Group(_) => None,
        })
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        match self.index.get(id).map(|&i| &self.graph[i]) {
            Some(Vertex::Node(n)) => Some(n.as_ref()),
            _ => None,
        }
    }

    /// How many dependency hops lead from `from` down to `to` (0: the same node): `from` needs
    /// `to`, directly or through others; depending on a group is depending on its members.
    /// `None` when `from` does not depend on `to` at all.
    pub fn hops(&self, from: &str, to: &str) -> Option<usize> {
        let (a, b) = (*self.index.get(from)?, *self.index.get(to)?);
        let cost = |e: petgraph::graph::EdgeReference<'_, Link>| match e.weight() {
            Link::Depends(_) => 1,
            Link::Member => 0,
        };
        petgraph::algo::dijkstra(&self.graph, a, Some(b), cost).get(&b).copied()
    }

    /// Whether `id` names a node or a group.
    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// Every dependency; one on a group names the group. Membership is not included: see
    /// [`Topology::groups`].
    pub fn dependencies(&self) -> Vec<Dependency<'_>> {
        self.graph
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = self.graph.edge_endpoints(e)?;
                match self.graph[e] {
                    Link::Depends(strength) => {
                        Some(Dependency { from: self.graph[a].id(), to: self.graph[b].id(), strength })
                    }
                    Link::Member => None,
                }
            })
            .collect()
    }

    /// Every redundancy group, its members sorted.
    pub fn groups(&self) -> Vec<Group> {
        self.graph
            .node_indices()
            .filter_map(|i| match &self.graph[i] {
                Vertex::Group(g) => Some(Group {
                    id: g.id.clone(),
                    members: self.members(i).into_iter().map(str::to_owned).collect(),
                    needs: g.needs,
                }),
                Vertex::Node(_) => None,
            })
            .collect()
    }

    fn members(&self, group: NodeIndex) -> Vec<&str> {
        let mut members: Vec<&str> = self.graph.neighbors(group).map(|m| self.graph[m].id()).collect();
        members.sort_unstable();
        members
    }

    /// The topology as plain data again (without lines): what an incident's log records so
    /// that replay draws the graph as it was. `Topology::build(&t.spec())` gives the same graph.
    pub fn spec(&self) -> TopologySpec {
        let mut nodes: Vec<NodeSpec> = self
            .nodes()
            .map(|n| NodeSpec {
                id: n.id.clone(),
                name: n.name.clone(),
                kind: n.kind.clone(),
                owner: n.owner.clone(),
                public_name: n.public_name.clone(),
                system: n.system.clone(),
                entrypoint: n.entrypoint,
                depends_on: Vec::new(),
                line: None,
            })
            .collect();
        let position: HashMap<String, usize> =
            nodes.iter().enumerate().map(|(i, n)| (n.id.clone(), i)).collect();
        for Dependency { from, to, strength } in self.dependencies() {
            if let Some(&i) = position.get(from) {
                nodes[i].depends_on.push(DependencySpec { target: to.to_owned(), strength, line: None });
            }
        }
        let groups = self
            .groups()
            .into_iter()
            .map(|Group { id, members, needs }| GroupSpec { id, members, needs, line: None })
            .collect();
        TopologySpec { nodes, groups }
    }

    /// How many nodes (not counting groups).
    pub fn len(&self) -> usize {
        self.nodes().count()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Vertex {
    pub(crate) fn id(&self) -> &str {
        match self {
            Vertex::Node(n) => &n.id,
            Vertex::Group(g) => &g.id,
        }
    }

    /// True when `self` is the group vertex `group` and `node_id` is one of its members.
    fn group_of_node(&self, node_id: &str, graph: &DiGraph<Vertex, Link>, group: NodeIndex) -> bool {
        matches!(self, Vertex::Group(_)) && graph.neighbors(group).any(|m| graph[m].id() == node_id)
    }
}
