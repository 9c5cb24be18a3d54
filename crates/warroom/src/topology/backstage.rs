//! A Backstage software catalog (`catalog-info.yaml`) as a topology.
//!
//! Components and Resources become nodes; `spec.dependsOn` and `spec.dependencyOf` become hard
//! dependencies. Entity references are resolved as Backstage resolves them for these fields: the
//! kind must be given (`component:`, `resource:`), the namespace defaults to the referring
//! entity's own (`default` when it has none), and names compare case-insensitively. A node's id is
//! its name (with `namespace/` in front outside the default namespace).
//!
//! What Backstage cannot say, annotations can (all optional):
//! - `warroom.dev/entrypoint: "true"`: user-facing. Without any such annotation in the catalog,
//!   the Components nothing depends on are taken as the entrypoints.
//! - `warroom.dev/soft-depends-on: "resource:redis-cache, component:search"`: these of its
//!   dependencies only degrade it.
//! - `warroom.dev/redundancy-group: orders-db` with `warroom.dev/redundancy-needs: "1"` on each
//!   member: a replica set or failover pair.
//!
//! Every problem names its line.

use std::collections::{BTreeMap, HashMap, HashSet};

use saphyr::{LoadableYamlNode, MarkedYaml};

use super::problem::Problem;
use super::spec::{DependencySpec, GroupSpec, NodeKind, NodeSpec, Strength, TopologySpec};

const ENTRYPOINT: &str = "warroom.dev/entrypoint";
const SOFT: &str = "warroom.dev/soft-depends-on";
const GROUP: &str = "warroom.dev/redundancy-group";
const NEEDS: &str = "warroom.dev/redundancy-needs";

/// A fully qualified entity reference: kind, namespace, name, all lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct EntityRef {
    kind: String,
    namespace: String,
    name: String,
}

impl EntityRef {
    /// Parses `[kind:][namespace/]name` with the given defaults.
    fn parse(text: &str, default_kind: Option<&str>, default_namespace: &str) -> Result<EntityRef, String> {
        let text = text.trim();
        let (kind, rest) = match text.split_once(':') {
            Some((kind, rest)) => (Some(kind), rest),
            None => (default_kind, text),
        };
        let kind =
            kind.ok_or_else(|| format!("'{text}' needs a kind, e.g. component:{text} or resource:{text}"))?;
        let (namespace, name) = rest.split_once('/').unwrap_or((default_namespace, rest));
        if name.is_empty() || namespace.is_empty() || kind.is_empty() {
            return Err(format!("'{text}' is not an entity reference ([kind:][namespace/]name)"));
        }
        Ok(EntityRef {
            kind: kind.to_lowercase(),
            namespace: namespace.to_lowercase(),
            name: name.to_lowercase(),
        })
    }
}

struct Entity<'a> {
    line: usize,
    node: NodeSpec,
    doc: &'a MarkedYaml<'a>,
    namespace: String,
}

fn line(node: &MarkedYaml<'_>) -> usize {
    node.span.start.line()
}

fn get<'a>(node: &'a MarkedYaml<'a>, path: &[&str]) -> Option<&'a MarkedYaml<'a>> {
    path.iter().try_fold(node, |at, key| at.data.as_mapping_get(key))
}

fn text<'a>(node: &'a MarkedYaml<'a>, path: &[&str]) -> Option<&'a str> {
    get(node, path).and_then(|n| n.data.as_str())
}

/// The items of a list of strings, each with its line; a problem for anything else.
fn string_list<'a>(
    node: &'a MarkedYaml<'a>,
    field: &str,
    problems: &mut Vec<Problem>,
) -> Vec<(&'a str, usize)> {
    match node.data.as_sequence() {
        Some(items) => items
            .iter()
            .filter_map(|item| match item.data.as_str() {
                Some(s) => Some((s, line(item))),
                None => {
                    problems.push(Problem::error(
                        Some(line(item)),
                        format!("{field}: expected an entity reference (text)"),
                    ));
                    None
                }
            })
            .collect(),
        None => {
            problems.push(Problem::error(
                Some(line(node)),
                format!("{field}: expected a list of entity references"),
            ));
            Vec::new()
        }
    }
}

/// Parses a Backstage catalog into a spec (not yet checked).
///
/// # Errors
/// Every problem found, each with its line: YAML syntax, an entity without a name, a reference
/// without a kind, a reference to an entity that is not in the catalog.
pub fn parse_backstage(source: &str) -> Result<TopologySpec, Vec<Problem>> {
    let docs = MarkedYaml::load_from_str(source)
        .map_err(|e| vec![Problem::error(Some(e.marker().line()), format!("YAML: {}", e.info()))])?;
    let mut problems = Vec::new();
    let mut entities: BTreeMap<EntityRef, Entity<'_>> = BTreeMap::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();

    for doc in &docs {
        let at = line(doc);
        if doc.data.is_null() {
            continue; // an empty document, e.g. a trailing `---`
        }
        let Some(kind) = text(doc, &["kind"]) else {
            problems.push(Problem::error(Some(at), "an entity without `kind`"));
            continue;
        };
        if !matches!(kind.to_lowercase().as_str(), "component" | "resource") {
            continue; // systems, domains, groups, users, APIs: not infrastructure
        }
        let Some(name) = text(doc, &["metadata", "name"]) else {
            problems.push(Problem::error(Some(at), format!("a {kind} without `metadata.name`")));
            continue;
        };
        let namespace = text(doc, &["metadata", "namespace"]).unwrap_or("default").to_lowercase();
        let id = if namespace == "default" { name.to_owned() } else { format!("{namespace}/{name}") };
        if let Some(first) = by_id.insert(id.to_lowercase(), at) {
            problems
                .push(Problem::error(Some(at), format!("'{id}' is defined twice (first at line {first})")));
            continue;
        }
        let annotation = |key: &str| text(doc, &["metadata", "annotations", key]);
        let node = NodeSpec {
            id,
            name: text(doc, &["metadata", "title"]).unwrap_or(name).to_owned(),
            kind: text(doc, &["spec", "type"])
                .map_or(NodeKind::Service, |t| t.parse().unwrap_or(NodeKind::Service)),
            owner: text(doc, &["spec", "owner"]).map(str::to_owned),
            public_name: None,
            system: None,
            entrypoint: annotation(ENTRYPOINT).is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            depends_on: Vec::new(),
            line: Some(at),
        };
        let key =
            EntityRef { kind: kind.to_lowercase(), namespace: namespace.clone(), name: name.to_lowercase() };
        entities.insert(key, Entity { line: at, node, doc, namespace });
    }

    // Resolve the references now that every entity is known.
    let ids: HashMap<EntityRef, String> =
        entities.iter().map(|(k, e)| (k.clone(), e.node.id.clone())).collect();
    let mut edges: Vec<(String, String, usize)> = Vec::new(); // (dependent, dependency, line)
    let mut soft: HashSet<(String, String)> = HashSet::new();
    for entity in entities.values() {
        let me = &entity.node.id;
        let resolve = |reference: &str, at: usize, problems: &mut Vec<Problem>| match EntityRef::parse(
            reference,
            None,
            &entity.namespace,
        ) {
            Ok(r) => match ids.get(&r) {
                Some(id) => Some(id.clone()),
                None => {
                    problems
                        .push(Problem::error(Some(at), format!("'{me}' refers to unknown '{reference}'")));
                    None
                }
            },
            Err(why) => {
                problems.push(Problem::error(Some(at), format!("'{me}': {why}")));
                None
            }
        };
        if let Some(list) = get(entity.doc, &["spec", "dependsOn"]) {
            for (reference, at) in string_list(list, "spec.dependsOn", &mut problems) {
                if let Some(target) = resolve(reference, at, &mut problems) {
                    edges.push((me.clone(), target, at));
                }
            }
        }
        if let Some(list) = get(entity.doc, &["spec", "dependencyOf"]) {
            for (reference, at) in string_list(list, "spec.dependencyOf", &mut problems) {
                if let Some(dependent) = resolve(reference, at, &mut problems) {
                    edges.push((dependent, me.clone(), at));
                }
            }
        }
        if let Some(list) = get(entity.doc, &["metadata", "annotations", SOFT]) {
            let at = line(list);
            for reference in
                list.data.as_str().unwrap_or_default().split(',').filter(|r| !r.trim().is_empty())
            {
                if let Some(target) = resolve(reference, at, &mut problems) {
                    soft.insert((me.clone(), target));
                }
            }
        }
    }

    let groups = groups(&entities, &mut problems);
    let any_entrypoint = entities.values().any(|e| e.node.entrypoint);
    let depended_on: HashSet<&str> = edges.iter().map(|(_, to, _)| to.as_str()).collect();
    let mut nodes: Vec<NodeSpec> = Vec::new();
    for (key, entity) in &entities {
        let mut node = entity.node.clone();
        if !any_entrypoint && key.kind == "component" && !depended_on.contains(node.id.as_str()) {
            node.entrypoint = true;
        }
        for (from, to, at) in edges.iter().filter(|(from, _, _)| *from == node.id) {
            let strength =
                if soft.contains(&(from.clone(), to.clone())) { Strength::Soft } else { Strength::Hard };
            if !node.depends_on.iter().any(|d| d.target == *to) {
                node.depends_on.push(DependencySpec { target: to.clone(), strength, line: Some(*at) });
            }
        }
        nodes.push(node);
    }
    nodes.sort_by_key(|n| n.line);
    if problems.is_empty() { Ok(TopologySpec { nodes, groups }) } else { Err(problems) }
}

/// Redundancy groups from the annotations of their members.
fn groups(entities: &BTreeMap<EntityRef, Entity<'_>>, problems: &mut Vec<Problem>) -> Vec<GroupSpec> {
    let mut groups: BTreeMap<String, GroupSpec> = BTreeMap::new();
    for entity in entities.values() {
        let Some(group) = text(entity.doc, &["metadata", "annotations", GROUP]) else { continue };
        let needs = match text(entity.doc, &["metadata", "annotations", NEEDS])
            .map(|n| n.trim().parse::<usize>())
        {
            Some(Ok(n)) => n,
            Some(Err(_)) => {
                problems.push(Problem::error(Some(entity.line), format!("{NEEDS}: expected a whole number")));
                continue;
            }
            None => 1,
        };
        let spec = groups.entry(group.to_owned()).or_insert_with(|| GroupSpec {
            id: group.to_owned(),
            members: Vec::new(),
            needs,
            line: Some(entity.line),
        });
        spec.needs = spec.needs.max(needs);
        spec.members.push(entity.node.id.clone());
    }
    groups.into_values().collect()
}
