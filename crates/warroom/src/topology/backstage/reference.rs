//! Entity references, and reading the YAML of an entity: what every part of the importer shares.
//!
//! A reference is `[kind:][namespace/]name`. Backstage fills in what is left out from the field
//! it is written in (`providesApis` means APIs, `subcomponentOf` a component, `system` a system)
//! and from the referring entity (its namespace); `dependsOn` has no default kind. Names compare
//! case-insensitively, so a reference is kept in lower case.

use std::path::Path;

use saphyr::MarkedYaml;

use super::super::problem::Problem;

/// A fully qualified entity reference: kind, namespace, name, all lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct EntityRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl EntityRef {
    /// Parses `[kind:][namespace/]name` with the given defaults.
    ///
    /// # Errors
    /// Why it is not a reference, in words: no kind where the field has no default, or an empty
    /// part.
    pub fn parse(
        text: &str,
        default_kind: Option<&str>,
        default_namespace: &str,
    ) -> Result<EntityRef, String> {
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

    /// How warroom names what this refers to: its name, with `namespace/` in front outside the
    /// default namespace (the way node ids are made).
    pub fn local_id(&self) -> String {
        local_id(&self.namespace, &self.name)
    }
}

/// An entity's id in warroom: `name`, or `namespace/name` outside the default namespace.
pub(super) fn local_id(namespace: &str, name: &str) -> String {
    if namespace == "default" { name.to_owned() } else { format!("{namespace}/{name}") }
}

/// The 1-based line a YAML node starts on.
pub(super) fn line(node: &MarkedYaml<'_>) -> usize {
    node.span.start.line()
}

/// The node at `path` (mapping keys) under `node`.
pub(super) fn get<'a>(node: &'a MarkedYaml<'a>, path: &[&str]) -> Option<&'a MarkedYaml<'a>> {
    path.iter().try_fold(node, |at, key| at.data.as_mapping_get(key))
}

/// The text at `path` under `node`, when it is text.
pub(super) fn text<'a>(node: &'a MarkedYaml<'a>, path: &[&str]) -> Option<&'a str> {
    get(node, path).and_then(|n| n.data.as_str())
}

/// An error at `line` of `file` (`None`: the file the caller read).
pub(super) fn error(file: Option<&Path>, line: usize, message: impl Into<String>) -> Problem {
    Problem::error(Some(line), message).in_file(file)
}

/// A warning at `line` of `file` (`None`: the file the caller read).
pub(super) fn warning(file: Option<&Path>, line: usize, message: impl Into<String>) -> Problem {
    Problem::warning(Some(line), message).in_file(file)
}

/// The items of a list of strings, each with its line; a problem for anything else.
pub(super) fn string_list<'a>(
    node: &'a MarkedYaml<'a>,
    field: &str,
    file: Option<&Path>,
    problems: &mut Vec<Problem>,
) -> Vec<(&'a str, usize)> {
    match node.data.as_sequence() {
        Some(items) => items.iter().filter_map(|item| single(item, field, file, problems)).collect(),
        None => {
            problems.push(error(file, line(node), format!("{field}: expected a list of entity references")));
            Vec::new()
        }
    }
}

/// A single string field with its line; a problem when it is something else.
pub(super) fn single<'a>(
    node: &'a MarkedYaml<'a>,
    field: &str,
    file: Option<&Path>,
    problems: &mut Vec<Problem>,
) -> Option<(&'a str, usize)> {
    match node.data.as_str() {
        Some(s) => Some((s, line(node))),
        None => {
            problems.push(error(file, line(node), format!("{field}: expected an entity reference (text)")));
            None
        }
    }
}
