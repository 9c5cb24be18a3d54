//! The front matter: the YAML block between `---` lines at the top of a runbook.
//!
//! ```yaml
//! id: db-pool-exhaustion          # lowercase letters, digits, dashes; default: the file name
//! title: DB connection-pool exhaustion   # default: the `#` heading
//! severity: SEV2                  # a hint for the incident's severity
//! applies_to:
//!   alerts: [MySQLConnectionPoolNearlyExhausted]
//!   labels: ['alertname=~"MySQL.*Pool.*"']
//!   kinds: [database]
//!   nodes: [mysql-primary]
//! ```
//!
//! It is read with saphyr's marked nodes so that every problem names its line in the file. A key
//! warroom does not know is kept and warned about (a site generator's `weight` or `aliases`, in a
//! runbook written for Hugo); one a letter or two from a known key (`applies-to`, `severty`) is an
//! error: it is a typo, and the runbook would silently never match.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use super::applies::{AppliesTo, LabelSelector, canonical_kind};
use super::problem::Problems;
use crate::model::Severity;
use crate::topology::NodeKind;

const KEYS: [&str; 4] = ["id", "title", "severity", "applies_to"];
const APPLIES_KEYS: [&str; 4] = ["alerts", "labels", "kinds", "nodes"];

/// What the front matter says; `None` for what it leaves out.
#[derive(Debug, Default)]
pub(super) struct Front {
    pub id: Option<String>,
    pub title: Option<String>,
    pub severity: Option<Severity>,
    pub applies_to: AppliesTo,
    /// Keys warroom does not use, with their values as written.
    pub extra: std::collections::BTreeMap<String, String>,
}

/// Whether `id` is a valid runbook id: lowercase ASCII letters, digits and dashes, not starting
/// with a dash.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Reads the YAML of the front matter; `first_line` is the file's line of the YAML's first line.
pub(super) fn parse(yaml: &str, first_line: usize, problems: &mut Problems<'_>) -> Front {
    let at = |node: &MarkedYaml<'_>| first_line + node.span.start.line().saturating_sub(1);
    let mut front = Front::default();
    let docs = match MarkedYaml::load_from_str(yaml) {
        Ok(docs) => docs,
        Err(e) => {
            // An error at the end of the input points past the last line: keep it on the YAML.
            let last = yaml.lines().count().max(1);
            let line = e.marker().line().clamp(1, last);
            problems.add(first_line + line - 1, format!("front matter: YAML: {}", e.info()));
            return front;
        }
    };
    let Some(root) = docs.first() else { return front };
    if root.data.is_null() {
        return front;
    }
    let Some(mapping) = root.data.as_mapping() else {
        problems.add(at(root), "front matter: expected `key: value` lines (id, title, severity, applies_to)");
        return front;
    };
    for (key, value) in mapping {
        let line = at(key);
        match key.data.as_str() {
            Some("id") => match text(value) {
                Some(id) if valid_id(&id) => front.id = Some(id),
                Some(id) => problems.add(
                    at(value),
                    format!("id: '{id}' is not a valid id: use lowercase letters, digits and dashes"),
                ),
                None => problems.add(at(value), "id: expected text, e.g. `id: db-pool-exhaustion`"),
            },
            Some("title") => match text(value).filter(|t| !t.trim().is_empty()) {
                Some(title) => front.title = Some(title.trim().to_owned()),
                None => problems.add(at(value), "title: expected text"),
            },
            Some("severity") => match text(value).map(|s| s.parse::<Severity>()) {
                Some(Ok(severity)) => front.severity = Some(severity),
                Some(Err(e)) => problems.add(at(value), format!("severity: {e}")),
                None => problems.add(
                    at(value),
                    format!("severity: expected one of {}", Severity::ALL.map(Severity::name).join(", ")),
                ),
            },
            Some("applies_to") => front.applies_to = applies_to(value, &at, problems),
            _ => {
                let name = key_name(key);
                match near(&name, &KEYS) {
                    Some(meant) => problems.add(
                        line,
                        format!(
                            "front matter: unknown key '{name}': did you mean '{meant}'? (expected one of {})",
                            KEYS.join(", ")
                        ),
                    ),
                    None => {
                        problems.warn(
                            line,
                            format!(
                                "front matter: '{name}' is not a warroom key (kept, not used; warroom reads {})",
                                KEYS.join(", ")
                            ),
                        );
                        front.extra.insert(name, written(value));
                    }
                }
            }
        }
    }
    front
}

fn applies_to(
    node: &MarkedYaml<'_>,
    at: &dyn Fn(&MarkedYaml<'_>) -> usize,
    problems: &mut Problems<'_>,
) -> AppliesTo {
    let mut applies = AppliesTo::default();
    if node.data.is_null() {
        return applies;
    }
    let Some(mapping) = node.data.as_mapping() else {
        problems.add(at(node), format!("applies_to: expected the keys {}", APPLIES_KEYS.join(", ")));
        return applies;
    };
    for (key, value) in mapping {
        let name = key_name(key);
        let Some(field) = APPLIES_KEYS.into_iter().find(|k| *k == name) else {
            problems.add(
                at(key),
                format!("applies_to: unknown key '{name}': expected one of {}", APPLIES_KEYS.join(", ")),
            );
            continue;
        };
        for (item, line) in list(value, field, at, problems) {
            match field {
                "alerts" => applies.alerts.push(item),
                "nodes" => applies.nodes.push(item),
                "kinds" => match canonical_kind(&item) {
                    Some(kind) => applies.kinds.push(kind),
                    None => problems.add(
                        line,
                        format!(
                            "applies_to.kinds: unknown node kind '{item}': expected one of {}",
                            known_kinds()
                        ),
                    ),
                },
                _ => match item.parse::<LabelSelector>() {
                    Ok(selector) => applies.labels.push(selector),
                    Err(why) => problems.add(line, format!("applies_to.labels: '{item}': {why}")),
                },
            }
        }
    }
    applies
}

/// The items of a list of text, each with its line; a problem for anything else.
fn list(
    node: &MarkedYaml<'_>,
    field: &str,
    at: &dyn Fn(&MarkedYaml<'_>) -> usize,
    problems: &mut Problems<'_>,
) -> Vec<(String, usize)> {
    if node.data.is_null() {
        return Vec::new();
    }
    let Some(items) = node.data.as_sequence() else {
        problems.add(at(node), format!("applies_to.{field}: expected a list, e.g. `{field}: [a, b]`"));
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match text(item) {
            Some(s) => Some((s, at(item))),
            None => {
                problems.add(at(item), format!("applies_to.{field}: expected text in the list"));
                None
            }
        })
        .collect()
}

/// A scalar as text: strings, and numbers (an id or alert name may be all digits).
fn text(node: &MarkedYaml<'_>) -> Option<String> {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
        _ => None,
    }
}

/// The known key `name` is a typo of: the same once case, `-` and `_` are set aside, or a letter
/// or two away from one of four letters or more.
fn near(name: &str, known: &[&'static str]) -> Option<&'static str> {
    let plain = |s: &str| s.to_lowercase().replace(['-', '_', ' '], "");
    known.iter().copied().find(|k| {
        plain(name) == plain(k)
            || (k.len() >= 4 && (1..=2).contains(&strsim::damerau_levenshtein(&name.to_lowercase(), k)))
    })
}

/// A value as written, for keeping: text as is, a list as its items joined by ", ".
fn written(node: &MarkedYaml<'_>) -> String {
    match node.data.as_sequence() {
        Some(items) => items.iter().map(written).collect::<Vec<_>>().join(", "),
        None => match &node.data {
            YamlData::Value(Scalar::String(s)) => s.to_string(),
            YamlData::Value(Scalar::Integer(i)) => i.to_string(),
            YamlData::Value(Scalar::FloatingPoint(f)) => f.to_string(),
            YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
            _ => String::new(),
        },
    }
}

/// A key as written, for messages.
fn key_name(key: &MarkedYaml<'_>) -> String {
    text(key).unwrap_or_else(|| "(not text)".to_owned())
}

fn known_kinds() -> String {
    [
        NodeKind::Gateway,
        NodeKind::Service,
        NodeKind::Database,
        NodeKind::Cache,
        NodeKind::Queue,
        NodeKind::ComputeNode,
        NodeKind::ExternalProvider,
        NodeKind::Storage,
        NodeKind::Website,
    ]
    .iter()
    .map(NodeKind::name)
    .collect::<Vec<_>>()
    .join(", ")
}
