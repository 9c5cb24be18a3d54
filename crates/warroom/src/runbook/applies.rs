//! Which incidents a runbook is for, and how well it fits one.
//!
//! A runbook names what it applies to in its front matter: alert names, Prometheus label
//! matchers, node kinds and node ids. [`super::Runbook::matches`] scores the fit so that the
//! window can suggest runbooks in order: an alert, label or node match says "this is exactly
//! your problem", a kind only says "this is the kind of thing that breaks like this". A runbook
//! that lists fewer kinds is the more specific one, so the catch-all (`unknown-outage`, every
//! kind) comes last.

use std::collections::BTreeMap;
use std::str::FromStr;

use regex::Regex;
use serde::Serialize;

use crate::text::single_spaced;

/// What a runbook applies to. Every list is optional; a runbook with none is only found by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct AppliesTo {
    /// Alert names, compared exactly.
    pub alerts: Vec<String>,
    /// Label selectors, each as written (`alertname=~"MySQL.*"`); one matching is enough.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "Array<string>"))]
    pub labels: Vec<LabelSelector>,
    /// Node kinds, by their canonical name (`database`, `compute_node`, ...).
    pub kinds: Vec<String>,
    /// Node ids.
    pub nodes: Vec<String>,
}

/// One or more Prometheus label matchers that must all hold: `alertname=~"MySQL.*"`, or
/// `{alertname="X", namespace!="test"}`. Operators `=`, `!=`, `=~`, `!~`; regexes are fully
/// anchored, as in Prometheus; a missing label is the empty string, as in Prometheus.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct LabelSelector {
    text: String,
    #[serde(skip)]
    matchers: Vec<LabelMatcher>,
}

#[derive(Debug, Clone)]
struct LabelMatcher {
    name: String,
    test: Test,
}

#[derive(Debug, Clone)]
enum Test {
    Equal(String),
    NotEqual(String),
    Matches(Regex),
    NotMatches(Regex),
}

impl PartialEq for LabelSelector {
    /// Two selectors are the same when written the same.
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl LabelSelector {
    /// As written in the runbook.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether every matcher holds on these labels.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matchers.iter().all(|m| {
            let value = labels.get(&m.name).map_or("", String::as_str);
            match &m.test {
                Test::Equal(v) => value == v,
                Test::NotEqual(v) => value != v,
                Test::Matches(re) => re.is_match(value),
                Test::NotMatches(re) => !re.is_match(value),
            }
        })
    }
}

impl FromStr for LabelSelector {
    type Err = String;

    /// Parses `name op "value"` matchers separated by commas, optionally inside `{}`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let body = text.strip_prefix('{').and_then(|b| b.strip_suffix('}')).unwrap_or(text);
        let mut matchers = Vec::new();
        let mut rest = body.trim_start();
        while !rest.is_empty() {
            let (matcher, after) = matcher(rest)?;
            matchers.push(matcher);
            rest = after.trim_start();
            match rest.strip_prefix(',') {
                Some(after) => rest = after.trim_start(),
                None if rest.is_empty() => {}
                None => {
                    return Err(format!("unexpected '{rest}' after a matcher (separate matchers with ',')"));
                }
            }
        }
        if matchers.is_empty() {
            return Err("an empty label matcher: expected e.g. alertname=~\"MySQL.*\"".to_owned());
        }
        Ok(LabelSelector { text: text.to_owned(), matchers })
    }
}

/// One `name op "value"` at the start of `text`, and what follows it.
fn matcher(text: &str) -> Result<(LabelMatcher, &str), String> {
    let name_len = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
    let name = &text[..name_len];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("expected a label name at '{text}', e.g. alertname=~\"MySQL.*\""));
    }
    let rest = text[name_len..].trim_start();
    let (op, rest) = ["=~", "!~", "!=", "="]
        .into_iter()
        .find_map(|op| rest.strip_prefix(op).map(|r| (op, r.trim_start())))
        .ok_or_else(|| format!("expected =, !=, =~ or !~ after '{name}'"))?;
    let (value, rest) = quoted(rest)
        .ok_or_else(|| format!("expected a quoted value after '{name}{op}', e.g. {name}{op}\"value\""))?;
    let regex = || {
        Regex::new(&format!("^(?:{value})$"))
            .map_err(|e| format!("bad regex \"{value}\": {}", regex_reason(&e)))
    };
    let test = match op {
        "=" => Test::Equal(value),
        "!=" => Test::NotEqual(value),
        "=~" => Test::Matches(regex()?),
        _ => Test::NotMatches(regex()?),
    };
    Ok((LabelMatcher { name: name.to_owned(), test }, rest))
}

/// A PromQL string literal at the start of `text` ("...", '...' with backslash escapes, or `...`
/// raw), unescaped, and what follows it.
fn quoted(text: &str) -> Option<(String, &str)> {
    let quote = text.chars().next().filter(|c| matches!(c, '"' | '\'' | '`'))?;
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((at, c)) = chars.next() {
        match c {
            c if c == quote => return Some((value, &text[at + c.len_utf8()..])),
            '\\' if quote != '`' => {
                let (_, escaped) = chars.next()?;
                value.push(match escaped {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
            }
            c => value.push(c),
        }
    }
    None
}

/// The regex crate's error on one line: its last line says what is wrong.
fn regex_reason(err: &regex::Error) -> String {
    let full = err.to_string();
    full.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map_or_else(|| single_spaced(&full), str::to_owned)
}

/// Why a runbook fits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum Reason {
    /// The alert's name is listed.
    Alert(String),
    /// This label selector matched the alert's labels.
    Label(String),
    /// The node's id is listed.
    Node(String),
    /// The node's kind is listed.
    Kind(String),
}

/// How well a runbook fits, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Match {
    /// Higher is better: alert 100, label 90, node 80, kind 10 + 10 / (kinds listed); summed.
    pub score: u32,
    pub reasons: Vec<Reason>,
}

impl AppliesTo {
    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty() && self.labels.is_empty() && self.kinds.is_empty() && self.nodes.is_empty()
    }
}

/// The canonical name of a known node kind (synonyms such as `db` included); `None` for a kind
/// warroom does not know.
pub(super) fn canonical_kind(kind: &str) -> Option<String> {
    use crate::topology::NodeKind;
    match kind.parse::<NodeKind>() {
        Ok(NodeKind::Other(_)) | Err(_) => None,
        Ok(known) => Some(known.name().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn selectors_are_anchored_like_prometheus() {
        let s: LabelSelector = r#"alertname=~"MySQL.*""#.parse().unwrap();
        assert!(s.matches(&labels(&[("alertname", "MySQLDown")])));
        assert!(!s.matches(&labels(&[("alertname", "XMySQLDown")])), "anchored at the start");
        let s: LabelSelector = r#"alertname=~"Redis""#.parse().unwrap();
        assert!(!s.matches(&labels(&[("alertname", "RedisDown")])), "anchored at the end");
    }

    #[test]
    fn every_operator_and_a_missing_label_as_empty() {
        let s: LabelSelector =
            r#"{alertname="A", severity!="info", team=~'db|ops', env!~`test.*`}"#.parse().unwrap();
        assert!(s.matches(&labels(&[("alertname", "A"), ("team", "db"), ("env", "prod")])));
        assert!(!s.matches(&labels(&[("alertname", "A"), ("team", "db"), ("env", "test1")])));
        assert!(!s.matches(&labels(&[("alertname", "A"), ("severity", "info"), ("team", "db")])));
        let s: LabelSelector = r#"team="""#.parse().unwrap();
        assert!(s.matches(&labels(&[])), "a missing label equals the empty string");
        let s: LabelSelector = r#"a="x\"y""#.parse().unwrap();
        assert!(s.matches(&labels(&[("a", "x\"y")])));
    }

    #[test]
    fn bad_selectors_say_what_is_expected() {
        for (text, fragment) in [
            ("", "empty label matcher"),
            ("alertname", "expected =, !=, =~ or !~"),
            ("alertname=MySQL", "expected a quoted value"),
            ("alertname=\"MySQL", "expected a quoted value"),
            ("alertname=~\"(MySQL\"", "bad regex \"(MySQL\": unclosed group"),
            ("=\"x\"", "expected a label name"),
            ("a=\"x\" b=\"y\"", "separate matchers with ','"),
        ] {
            let err = text.parse::<LabelSelector>().unwrap_err();
            assert!(err.contains(fragment), "{text}: {err}");
        }
    }

    #[test]
    fn kinds_are_canonical() {
        assert_eq!(canonical_kind("db").as_deref(), Some("database"));
        assert_eq!(canonical_kind("compute-node").as_deref(), Some("compute_node"));
        assert_eq!(canonical_kind("lambda"), None);
    }
}
