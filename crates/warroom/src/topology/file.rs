//! warroom's own topology file (TOML): everything the model can express.
//!
//! ```toml
//! [[node]]
//! id = "order-service"
//! name = "Order service"
//! kind = "service"
//! owner = "team-commerce"
//! system = "commerce"                      # optional: laid out with the rest of its system
//! depends_on = ["orders-db", "kafka"]      # hard: it fails without them
//! soft_depends_on = ["redis"]              # soft: it degrades without them
//!
//! [[group]]
//! id = "orders-db"
//! members = ["mysql-primary", "mysql-replica"]
//! needs = 1                                # healthy members needed to serve
//! ```
//!
//! Every problem names its line: syntax errors as the TOML parser finds them, then unknown
//! references, duplicate ids and impossible groups as [`Topology::build`] finds them.

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::graph::{Topology, TopologyError};
use super::problem::Problem;
use super::spec::{DependencySpec, GroupSpec, NodeKind, NodeSpec, Strength, TopologySpec};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    node: Vec<Spanned<NodeEntry>>,
    #[serde(default)]
    group: Vec<Spanned<GroupEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeEntry {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    public_name: Option<String>,
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    entrypoint: bool,
    #[serde(default)]
    depends_on: Vec<Spanned<String>>,
    #[serde(default)]
    soft_depends_on: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupEntry {
    id: String,
    members: Vec<String>,
    needs: usize,
}

/// The 1-based line where a span starts, from the file's line index (built once: counting the
/// lines before each of a hundred thousand nodes again made loading quadratic).
fn line_of(lines: &crate::text::Lines<'_>, span: Range<usize>) -> usize {
    lines.at(span.start)
}

/// Parses a topology file's text into a spec (not yet checked).
///
/// # Errors
/// A single [`Problem`] with the line of the first syntax error or unknown key.
pub fn parse_toml(text: &str) -> Result<TopologySpec, Problem> {
    let lines = crate::text::Lines::new(text);
    let file: File = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(&lines, s));
        Problem::error(line, e.message().trim().to_owned())
    })?;
    let deps = |list: Vec<Spanned<String>>, strength| {
        list.into_iter()
            .map(|target| {
                let line = Some(line_of(&lines, target.span()));
                DependencySpec { target: target.into_inner(), strength, line }
            })
            .collect::<Vec<_>>()
    };
    let nodes = file
        .node
        .into_iter()
        .map(|spanned| {
            let line = Some(line_of(&lines, spanned.span()));
            let n = spanned.into_inner();
            let mut depends_on = deps(n.depends_on, Strength::Hard);
            depends_on.extend(deps(n.soft_depends_on, Strength::Soft));
            let kind =
                n.kind.as_deref().map_or(NodeKind::Service, |k| k.parse().unwrap_or(NodeKind::Service));
            NodeSpec {
                id: n.id,
                name: n.name,
                kind,
                owner: n.owner,
                public_name: n.public_name.filter(|p| !p.trim().is_empty()),
                system: n.system.filter(|s| !s.trim().is_empty()),
                entrypoint: n.entrypoint,
                depends_on,
                line,
            }
        })
        .collect();
    let groups = file
        .group
        .into_iter()
        .map(|spanned| {
            let line = Some(line_of(&lines, spanned.span()));
            let g = spanned.into_inner();
            GroupSpec { id: g.id, members: g.members, needs: g.needs, line }
        })
        .collect();
    Ok(TopologySpec { nodes, groups })
}

/// Reads and builds a topology: a Backstage catalog when the file ends in `.yaml` or `.yml`
/// (with the files its Locations name), warroom's TOML topology file otherwise. What the
/// catalog's import ignored is among the topology's warnings.
///
/// # Errors
/// [`TopologyError`] with every problem found, each with its line (and its file, when it is
/// not `path`).
pub fn read(path: &Path) -> Result<Topology, TopologyError> {
    if is_yaml(path) { read_backstage(path)?.build() } else { Topology::build(&read_toml_spec(path)?) }
}

/// Reads a topology file into a spec, not yet checked (to merge discovered edges into it). A
/// catalog's warnings are dropped: [`read`] gives them.
///
/// # Errors
/// [`TopologyError`]: the file cannot be read, or its syntax is wrong (with the line).
pub fn read_spec(path: &Path) -> Result<TopologySpec, TopologyError> {
    if is_yaml(path) { Ok(read_backstage(path)?.spec) } else { read_toml_spec(path) }
}

fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

fn read_backstage(path: &Path) -> Result<super::backstage::Catalog, TopologyError> {
    super::backstage::read_backstage(path).map_err(|problems| TopologyError { problems })
}

fn read_toml_spec(path: &Path) -> Result<TopologySpec, TopologyError> {
    parse_toml(&read_text(path)?).map_err(|p| TopologyError { problems: vec![p] })
}

fn read_text(path: &Path) -> Result<String, TopologyError> {
    crate::files::read_to_string(path).map_err(|e| TopologyError {
        problems: vec![Problem::error(None, format!("cannot read {}: {e}", path.display()))],
    })
}

/// Reads and builds a topology file.
///
/// # Errors
/// [`TopologyError`] with every problem, each prefixed with the file's name by its `Display`
/// in the CLI; a file that cannot be read is one problem without a line.
pub fn read_toml(path: &Path) -> Result<Topology, TopologyError> {
    Topology::build(&read_toml_spec(path)?)
}
