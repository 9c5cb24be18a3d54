//! A Backstage software catalog (`catalog-info.yaml`) as a topology.
//!
//! Components and Resources become nodes; every other kind (API, System, Domain, Group, User)
//! is not infrastructure and is not a node. Real catalogs state most runtime dependencies as
//! API relations rather than `dependsOn`, so warroom reads all of these:
//! - `spec.dependsOn` and `spec.dependencyOf`: hard dependencies.
//! - `spec.consumesApis` / `spec.providesApis`: a consumer of an API hard-depends on the
//!   component that provides it. Several providers of one API are a redundancy group that needs
//!   one of them (`api:<name>`): one provider down degrades the consumer, all of them down take
//!   it down. As for any redundancy group, a dependency on one of its members (a `dependsOn`
//!   naming one provider) is then a dependency on the group. `consumesApis: ['component:x']`
//!   names the component itself: a dependency on it.
//!   An API that nothing in the catalog provides is a warning, and its consumption is ignored.
//! - `spec.subcomponentOf`: the parent soft-depends on its subcomponent, so a failing part
//!   degrades the whole.
//! - `spec.system`: kept on the node ([`NodeSpec::system`]) so the graph lays a system out
//!   together.
//!
//! Entity references are resolved as Backstage resolves them: the kind defaults from the field
//! (`api` for `consumesApis`/`providesApis`, `component` for `subcomponentOf`, `system` for
//! `system`; `dependsOn` and `dependencyOf` have none), the namespace defaults to the referring
//! entity's own (`default` when it has none), and names compare case-insensitively. A node's id
//! is its name (with `namespace/` in front outside the default namespace).
//!
//! Read from a file ([`super::read`]), a catalog may spread over several files: `kind: Location`
//! entities name them (see `location`). Parsed from text ([`parse_backstage`]), Locations are
//! only warned about.
//!
//! Without any `warroom.dev/entrypoint` annotation in the catalog, the entrypoints (what users
//! see) are the websites (`spec.type: website`), and the components that provide APIs which
//! nothing in the catalog consumes and that nothing depends on by any other relation either
//! (`dependsOn`, a parent): what is used from outside. A back-end service that provides no API
//! is not an entrypoint just because nothing depends on it: the catalog does not say who uses
//! it. Only a catalog that states no website and no API at all falls back to the components
//! nothing depends on (warroom's rule before API relations were read).
//!
//! What Backstage cannot say, annotations can (all optional):
//! - `warroom.dev/entrypoint: "true"`: user-facing. When any entity has it, only those so marked
//!   are entrypoints.
//! - `warroom.dev/soft-depends-on: "resource:redis-cache, api:search"`: these of its
//!   dependencies (or of the APIs it consumes) only degrade it.
//! - `warroom.dev/redundancy-group: orders-db` with `warroom.dev/redundancy-needs: "1"` on each
//!   member: a replica set or failover pair.
//!
//! Every problem names its line, and its file when it is not the one the caller named.

mod location;
mod reference;
mod relations;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use saphyr::{LoadableYamlNode, MarkedYaml};

use self::reference::{EntityRef, error, line, local_id, text, warning};
use super::graph::{Topology, TopologyError};
use super::problem::{Level, Problem};
use super::spec::{NodeKind, NodeSpec, TopologySpec};

const ENTRYPOINT: &str = "warroom.dev/entrypoint";

/// A catalog read into a spec (not yet checked), with what was ignored on the way.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub spec: TopologySpec,
    /// What was ignored, each with its line: an API nothing provides, a Location target that
    /// is a URL.
    pub warnings: Vec<Problem>,
    /// The file each node came from, when not the caller's.
    files: HashMap<String, PathBuf>,
}

impl Catalog {
    /// Checks the spec and builds the graph; the catalog's warnings come first among the
    /// topology's.
    ///
    /// # Errors
    /// [`TopologyError`] as [`Topology::build`], the catalog's warnings included.
    pub fn build(&self) -> Result<Topology, TopologyError> {
        match Topology::build_in(&self.spec, &|id| self.files.get(id).cloned()) {
            Ok(topology) => Ok(topology.with_import_warnings(self.warnings.clone())),
            Err(TopologyError { mut problems }) => {
                let mut all = self.warnings.clone();
                all.append(&mut problems);
                Err(TopologyError { problems: all })
            }
        }
    }
}

/// One text of a catalog: `file` is `None` for the one the caller named.
struct Source<'a> {
    file: Option<&'a Path>,
    text: &'a str,
}

/// A Component or Resource, before its relations are resolved.
struct Entity<'a> {
    /// Which source it is in, and where: its nodes keep the catalog's order.
    source: usize,
    file: Option<&'a Path>,
    line: usize,
    node: NodeSpec,
    doc: &'a MarkedYaml<'a>,
    namespace: String,
}

/// Parses a Backstage catalog's text (one or more YAML documents) into a spec, not yet checked.
/// `kind: Location` entities are not followed here (there is no file to be relative to): see
/// [`super::read`].
///
/// # Errors
/// Every problem found, errors and warnings, each with its line, when there is at least one
/// error: YAML syntax, an entity without a name, a reference without a kind, a reference to an
/// entity that is not in the catalog.
pub fn parse_backstage(source: &str) -> Result<Catalog, Vec<Problem>> {
    parse(&[Source { file: None, text: source }], false)
}

/// Reads a catalog from `path` and every file its Locations name.
///
/// # Errors
/// As [`parse_backstage`], and a file that cannot be read: the one named without a line, one a
/// Location names at the line of the target.
pub(super) fn read_backstage(path: &Path) -> Result<Catalog, Vec<Problem>> {
    let loaded = location::load(path)?;
    let sources: Vec<Source<'_>> =
        loaded.files.iter().map(|f| Source { file: f.path.as_deref(), text: &f.text }).collect();
    let with_load_warnings = |mut problems: Vec<Problem>| {
        let mut all = loaded.warnings.clone();
        all.append(&mut problems);
        all
    };
    match parse(&sources, true) {
        Ok(mut catalog) => {
            catalog.warnings = with_load_warnings(catalog.warnings);
            Ok(catalog)
        }
        Err(problems) => Err(with_load_warnings(problems)),
    }
}

/// Parses the sources of one catalog; `followed`: their Locations were read already.
fn parse(sources: &[Source<'_>], followed: bool) -> Result<Catalog, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut docs: Vec<(usize, MarkedYaml<'_>)> = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        match MarkedYaml::load_from_str(source.text) {
            Ok(loaded) => docs.extend(loaded.into_iter().map(|doc| (i, doc))),
            Err(e) => problems.push(error(source.file, e.marker().line(), format!("YAML: {}", e.info()))),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut entities: BTreeMap<EntityRef, Entity<'_>> = BTreeMap::new();
    let mut systems: HashMap<EntityRef, String> = HashMap::new();
    let mut by_id: HashMap<String, (Option<&Path>, usize)> = HashMap::new();
    for (source, doc) in &docs {
        let (source, file) = (*source, sources[*source].file);
        let at = line(doc);
        if doc.data.is_null() {
            continue; // an empty document, e.g. a trailing `---`
        }
        let Some(kind) = text(doc, &["kind"]) else {
            problems.push(error(file, at, "an entity without `kind`"));
            continue;
        };
        let namespace = text(doc, &["metadata", "namespace"]).unwrap_or("default").to_lowercase();
        let name = text(doc, &["metadata", "name"]).map(str::trim).filter(|n| !n.is_empty());
        match kind.to_lowercase().as_str() {
            "component" | "resource" => {}
            "system" => {
                if let Some(name) = name {
                    let key = EntityRef {
                        kind: "system".into(),
                        namespace: namespace.clone(),
                        name: name.to_lowercase(),
                    };
                    systems.insert(key, local_id(&namespace, name));
                }
                continue;
            }
            "location" if !followed => {
                let message =
                    "a Location's targets are read only when the catalog is read from a file: not followed";
                problems.push(warning(file, at, message));
                continue;
            }
            _ => continue, // domains, groups, users, APIs: not infrastructure
        }
        let Some(name) = name else {
            problems.push(error(file, at, format!("a {kind} without `metadata.name`")));
            continue;
        };
        let id = local_id(&namespace, name);
        if let Some((first_file, first)) = by_id.insert(id.to_lowercase(), (file, at)) {
            let first = match first_file {
                Some(f) if first_file != file => format!("{}:{first}", f.display()),
                _ => format!("line {first}"),
            };
            problems.push(error(file, at, format!("'{id}' is defined twice (first at {first})")));
            continue;
        }
        let node = NodeSpec {
            id,
            name: text(doc, &["metadata", "title"]).unwrap_or(name).to_owned(),
            kind: text(doc, &["spec", "type"])
                .map_or(NodeKind::Service, |t| t.parse().unwrap_or(NodeKind::Service)),
            owner: text(doc, &["spec", "owner"]).map(str::to_owned),
            public_name: None,
            system: None,
            entrypoint: text(doc, &["metadata", "annotations", ENTRYPOINT])
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            depends_on: Vec::new(),
            line: Some(at),
        };
        let key =
            EntityRef { kind: kind.to_lowercase(), namespace: namespace.clone(), name: name.to_lowercase() };
        entities.insert(key, Entity { source, file, line: at, node, doc, namespace });
    }

    let (nodes, groups) = relations::link(&entities, &systems, &mut problems);
    let files =
        entities.values().filter_map(|e| e.file.map(|f| (e.node.id.clone(), f.to_path_buf()))).collect();
    if problems.iter().any(|p| p.level == Level::Error) {
        return Err(problems);
    }
    Ok(Catalog { spec: TopologySpec { nodes, groups }, warnings: problems, files })
}
