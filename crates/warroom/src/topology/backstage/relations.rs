//! A catalog's relations as dependencies, groups and entrypoints (the rules are in the parent
//! module's documentation).
//!
//! Everything that [`crate::topology::Topology::build`] would refuse is checked here first, so
//! that each problem names the file and line it comes from: a reference to nothing, an entity
//! depending on itself, an impossible redundancy group. The build is left to warn of cycles.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::super::problem::Problem;
use super::super::spec::{DependencySpec, GroupSpec, NodeKind, NodeSpec, Strength};
use super::Entity;
use super::reference::{EntityRef, error, get, line, single, string_list, text, warning};

const SOFT: &str = "warroom.dev/soft-depends-on";
const GROUP: &str = "warroom.dev/redundancy-group";
const NEEDS: &str = "warroom.dev/redundancy-needs";

/// A dependency as the catalog states it: `from` needs `to` (a node, or a group).
struct Edge<'a> {
    from: String,
    to: String,
    strength: Strength,
    /// The API it comes from, when it is a consumption: a soft annotation may name the API.
    api: Option<EntityRef>,
    file: Option<&'a Path>,
    line: usize,
}

/// "`consumer` consumes `api`", where the catalog says so.
struct Consumption<'a> {
    consumer: String,
    api: EntityRef,
    written: &'a str,
    file: Option<&'a Path>,
    line: usize,
}

/// What the consumers of one API depend on.
enum Providers {
    /// This provider, or the redundancy group of all of them.
    One(String),
    /// Each of these, hard: they could not be made one group.
    Each(Vec<String>),
}

/// Everything one entity's fields say, gathered before the API relations can be decided.
#[derive(Default)]
struct Found<'a> {
    edges: Vec<Edge<'a>>,
    consumptions: Vec<Consumption<'a>>,
    /// Each API's providers, in the catalog's order, each once.
    providers: BTreeMap<EntityRef, Vec<String>>,
    /// (dependent, node) pairs a soft annotation names.
    soft: HashSet<(String, String)>,
    /// (consumer, API) pairs a soft annotation names.
    soft_apis: HashSet<(String, EntityRef)>,
    system_of: HashMap<String, String>,
}

/// The nodes (with their dependencies, system and entrypoint flag) and the groups of a catalog.
/// `systems` maps each System entity to its id, as written.
pub(super) fn link(
    entities: &BTreeMap<EntityRef, Entity<'_>>,
    systems: &HashMap<EntityRef, String>,
    problems: &mut Vec<Problem>,
) -> (Vec<NodeSpec>, Vec<GroupSpec>) {
    let ids: HashMap<EntityRef, String> =
        entities.iter().map(|(key, e)| (key.clone(), e.node.id.clone())).collect();
    let mut found = Found::default();
    for entity in entities.values() {
        read_relations(entity, &ids, systems, &mut found, problems);
    }
    let mut groups = annotated_groups(entities, problems);
    let decided = decide_providers(entities, &found, &mut groups, problems);
    for c in &found.consumptions {
        let targets = match decided.get(&c.api) {
            Some(Providers::One(to)) => std::slice::from_ref(to),
            Some(Providers::Each(providers)) => providers.as_slice(),
            None => {
                let message = format!(
                    "'{}' consumes API '{}', which nothing in the catalog provides: ignored",
                    c.consumer, c.written
                );
                problems.push(warning(c.file, c.line, message));
                continue;
            }
        };
        // A component consuming its own API does not depend on itself.
        found.edges.extend(targets.iter().filter(|to| **to != c.consumer).map(|to| Edge {
            from: c.consumer.clone(),
            to: to.clone(),
            strength: Strength::Hard,
            api: Some(c.api.clone()),
            file: c.file,
            line: c.line,
        }));
    }
    (nodes(entities, &found, &groups, problems), groups)
}

/// Reads one entity's relations into `found`.
fn read_relations<'a>(
    entity: &Entity<'a>,
    ids: &HashMap<EntityRef, String>,
    systems: &HashMap<EntityRef, String>,
    found: &mut Found<'a>,
    problems: &mut Vec<Problem>,
) {
    let me = entity.node.id.as_str();
    let (doc, file) = (entity.doc, entity.file);
    let parse = |written: &str, default_kind: Option<&str>, at: usize, problems: &mut Vec<Problem>| {
        EntityRef::parse(written, default_kind, &entity.namespace)
            .map_err(|why| problems.push(error(file, at, format!("'{me}': {why}"))))
            .ok()
    };
    let node = |r: &EntityRef, written: &str, at: usize, problems: &mut Vec<Problem>| match ids.get(r) {
        Some(id) => Some(id.clone()),
        None => {
            problems.push(error(file, at, format!("'{me}' refers to unknown '{written}'")));
            None
        }
    };
    let list = |field: &str, problems: &mut Vec<Problem>| {
        get(doc, &["spec", field])
            .map(|items| string_list(items, &format!("spec.{field}"), file, problems))
            .unwrap_or_default()
    };
    let edge = |from: &str, to: String, strength: Strength, line: usize| Edge {
        from: from.to_owned(),
        to,
        strength,
        api: None,
        file,
        line,
    };

    for (written, at) in list("dependsOn", problems) {
        if let Some(to) = parse(written, None, at, problems).and_then(|r| node(&r, written, at, problems)) {
            found.edges.push(edge(me, to, Strength::Hard, at));
        }
    }
    for (written, at) in list("dependencyOf", problems) {
        if let Some(from) = parse(written, None, at, problems).and_then(|r| node(&r, written, at, problems)) {
            found.edges.push(edge(&from, me.to_owned(), Strength::Hard, at));
        }
    }
    for (written, at) in list("consumesApis", problems) {
        let Some(r) = parse(written, Some("api"), at, problems) else { continue };
        if r.kind == "api" {
            found.consumptions.push(Consumption { consumer: me.to_owned(), api: r, written, file, line: at });
        } else if let Some(to) = node(&r, written, at, problems) {
            found.edges.push(edge(me, to, Strength::Hard, at)); // `component:x`: the component itself
        }
    }
    for (written, at) in list("providesApis", problems) {
        let Some(r) = parse(written, Some("api"), at, problems) else { continue };
        if r.kind == "api" {
            let providers = found.providers.entry(r).or_default();
            if !providers.iter().any(|p| p == me) {
                providers.push(me.to_owned());
            }
        } else {
            problems.push(warning(
                file,
                at,
                format!("'{me}' provides '{written}', which is not an API: ignored"),
            ));
        }
    }
    let field = |name: &str, problems: &mut Vec<Problem>| {
        get(doc, &["spec", name]).and_then(|n| single(n, &format!("spec.{name}"), file, problems))
    };
    if let Some((written, at)) = field("subcomponentOf", problems)
        && let Some(parent) =
            parse(written, Some("component"), at, problems).and_then(|r| node(&r, written, at, problems))
    {
        // A failing part degrades the whole: the parent depends softly on its subcomponent.
        found.edges.push(edge(&parent, me.to_owned(), Strength::Soft, at));
    }
    if let Some((written, at)) = field("system", problems)
        && let Some(r) = parse(written, Some("system"), at, problems)
    {
        if r.kind == "system" {
            let id = systems.get(&r).cloned().unwrap_or_else(|| r.local_id());
            found.system_of.insert(me.to_owned(), id);
        } else {
            problems.push(warning(
                file,
                at,
                format!("'{me}': spec.system '{written}' is not a system: ignored"),
            ));
        }
    }
    if let Some(value) = get(doc, &["metadata", "annotations", SOFT]) {
        let at = line(value);
        for written in
            value.data.as_str().unwrap_or_default().split(',').map(str::trim).filter(|r| !r.is_empty())
        {
            let Some(r) = parse(written, None, at, problems) else { continue };
            if r.kind == "api" {
                found.soft_apis.insert((me.to_owned(), r));
            } else if let Some(to) = node(&r, written, at, problems) {
                found.soft.insert((me.to_owned(), to));
            }
        }
    }
}

/// Redundancy groups from the annotations of their members, checked.
fn annotated_groups(
    entities: &BTreeMap<EntityRef, Entity<'_>>,
    problems: &mut Vec<Problem>,
) -> Vec<GroupSpec> {
    let mut groups: BTreeMap<String, (GroupSpec, Option<&Path>, usize)> = BTreeMap::new();
    for entity in entities.values() {
        let Some(group) = text(entity.doc, &["metadata", "annotations", GROUP]).map(str::trim) else {
            continue;
        };
        let needs = match text(entity.doc, &["metadata", "annotations", NEEDS])
            .map(|n| n.trim().parse::<usize>())
        {
            Some(Ok(n)) => n,
            Some(Err(_)) => {
                problems.push(error(entity.file, entity.line, format!("{NEEDS}: expected a whole number")));
                continue;
            }
            None => 1,
        };
        let (spec, _, _) = groups.entry(group.to_owned()).or_insert_with(|| {
            let spec =
                GroupSpec { id: group.to_owned(), members: Vec::new(), needs, line: Some(entity.line) };
            (spec, entity.file, entity.line)
        });
        spec.needs = spec.needs.max(needs);
        spec.members.push(entity.node.id.clone());
    }
    let node_ids: HashSet<&str> = entities.values().map(|e| e.node.id.as_str()).collect();
    let mut checked = Vec::new();
    for (spec, file, at) in groups.into_values() {
        let (id, needs, has) = (&spec.id, spec.needs, spec.members.len());
        let wrong = if node_ids.contains(id.as_str()) {
            Some(format!("group '{id}' has the id of a component or resource"))
        } else if needs == 0 {
            Some(format!("group '{id}' needs 0 healthy members: it must need at least 1"))
        } else if needs > has {
            Some(format!("group '{id}' needs {needs} healthy members but has only {has}"))
        } else {
            None
        };
        match wrong {
            Some(message) => problems.push(error(file, at, message)),
            None => checked.push(spec),
        }
    }
    checked
}

/// What the consumers of each consumed API depend on: its one provider, or a redundancy group
/// of its providers that needs one of them: the group that has exactly those members already
/// (annotated, or made for another API), else a new `api:<name>` group. A node can be in one
/// group only: when a provider already is in another, the consumers depend on each provider (a
/// warning says so). An API nothing provides is not in the answer.
fn decide_providers(
    entities: &BTreeMap<EntityRef, Entity<'_>>,
    found: &Found<'_>,
    groups: &mut Vec<GroupSpec>,
    problems: &mut Vec<Problem>,
) -> HashMap<EntityRef, Providers> {
    let mut first_use: BTreeMap<&EntityRef, (Option<&Path>, usize)> = BTreeMap::new();
    for c in &found.consumptions {
        first_use.entry(&c.api).or_insert((c.file, c.line));
    }
    let mut taken: HashSet<String> = entities.values().map(|e| e.node.id.clone()).collect();
    taken.extend(groups.iter().map(|g| g.id.clone()));
    let mut member_of: HashMap<String, String> =
        groups.iter().flat_map(|g| g.members.iter().map(|m| (m.clone(), g.id.clone()))).collect();
    let mut with_members: HashMap<Vec<String>, String> = groups
        .iter()
        .map(|g| {
            let mut members = g.members.clone();
            members.sort();
            (members, g.id.clone())
        })
        .collect();
    let mut decided = HashMap::new();
    for (api, (file, at)) in first_use {
        let Some(providers) = found.providers.get(api).filter(|p| !p.is_empty()) else { continue };
        let mut members = providers.clone();
        members.sort();
        let id = format!("api:{}", api.local_id());
        let cannot = |why: String| {
            let message = format!(
                "API '{}': its providers {} cannot be one redundancy group ({why}): its consumers depend on each of them",
                api.local_id(),
                members.join(", ")
            );
            warning(file, at, message)
        };
        let decision = if let [only] = members.as_slice() {
            Providers::One(only.clone())
        } else if let Some(group) = with_members.get(&members) {
            Providers::One(group.clone())
        } else if let Some((member, group)) = members.iter().find_map(|m| member_of.get(m).map(|g| (m, g))) {
            problems.push(cannot(format!("'{member}' is in group '{group}' already")));
            Providers::Each(members)
        } else if taken.contains(&id) {
            problems.push(cannot(format!("'{id}' is the id of something else")));
            Providers::Each(members)
        } else {
            member_of.extend(members.iter().map(|m| (m.clone(), id.clone())));
            taken.insert(id.clone());
            with_members.insert(members.clone(), id.clone());
            groups.push(GroupSpec { id: id.clone(), members, needs: 1, line: None });
            Providers::One(id)
        };
        decided.insert(api.clone(), decision);
    }
    decided
}

/// Which nodes are entrypoints: those an annotation marks, when any is marked; else the
/// websites and the components that provide APIs nothing depends on (their APIs are consumed
/// by nothing in the catalog: they are what is used from outside); else, in a catalog that
/// states neither websites nor APIs, the components nothing depends on.
fn entrypoints<'e>(
    entities: &BTreeMap<EntityRef, Entity<'_>>,
    found: &'e Found<'_>,
    depended_on: &'e HashSet<&str>,
) -> impl Fn(&EntityRef, &NodeSpec) -> bool + 'e {
    let annotated = entities.values().any(|e| e.node.entrypoint);
    let providing: HashSet<&str> = found.providers.values().flatten().map(String::as_str).collect();
    let stated = move |key: &EntityRef, node: &NodeSpec| {
        key.kind == "component"
            && (node.kind == NodeKind::Website
                || (providing.contains(node.id.as_str()) && !depended_on.contains(node.id.as_str())))
    };
    let any_stated = entities.iter().any(|(key, e)| stated(key, &e.node));
    move |key: &EntityRef, node: &NodeSpec| {
        if annotated {
            node.entrypoint
        } else if any_stated {
            stated(key, node)
        } else {
            key.kind == "component" && !depended_on.contains(node.id.as_str())
        }
    }
}

/// The nodes in the catalog's order, each with its dependencies (one per target: hard wins,
/// unless a soft annotation names it), its system, and whether it is an entrypoint.
fn nodes(
    entities: &BTreeMap<EntityRef, Entity<'_>>,
    found: &Found<'_>,
    groups: &[GroupSpec],
    problems: &mut Vec<Problem>,
) -> Vec<NodeSpec> {
    let members: HashMap<&str, &[String]> =
        groups.iter().map(|g| (g.id.as_str(), g.members.as_slice())).collect();
    let mut depended_on: HashSet<&str> = HashSet::new();
    let mut from: HashMap<&str, Vec<&Edge<'_>>> = HashMap::new();
    for edge in &found.edges {
        if edge.from == edge.to {
            problems.push(error(edge.file, edge.line, format!("'{}' depends on itself", edge.from)));
            continue;
        }
        match members.get(edge.to.as_str()) {
            // A member does not depend on its own group: that is replication.
            Some(group) => depended_on.extend(group.iter().filter(|m| **m != edge.from).map(String::as_str)),
            None => {
                depended_on.insert(&edge.to);
            }
        }
        from.entry(&edge.from).or_default().push(edge);
    }
    let entrypoint = entrypoints(entities, found, &depended_on);
    let mut ordered: Vec<(&EntityRef, &Entity<'_>)> = entities.iter().collect();
    ordered.sort_by_key(|(_, e)| (e.source, e.line));
    let mut nodes = Vec::with_capacity(ordered.len());
    for (key, entity) in ordered {
        let mut node = entity.node.clone();
        node.system = found.system_of.get(&node.id).cloned();
        node.entrypoint = entrypoint(key, &node);
        for edge in from.get(node.id.as_str()).into_iter().flatten() {
            let soft = found.soft.contains(&(edge.from.clone(), edge.to.clone()))
                || edge
                    .api
                    .as_ref()
                    .is_some_and(|api| found.soft_apis.contains(&(edge.from.clone(), api.clone())));
            let strength = if soft { Strength::Soft } else { edge.strength };
            match node.depends_on.iter_mut().find(|d| d.target == edge.to) {
                Some(known) if strength == Strength::Hard => known.strength = Strength::Hard,
                Some(_) => {}
                None => node.depends_on.push(DependencySpec {
                    target: edge.to.clone(),
                    strength,
                    line: Some(edge.line),
                }),
            }
        }
        nodes.push(node);
    }
    nodes
}
