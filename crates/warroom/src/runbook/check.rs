//! Checks: the PromQL query under a step whose value tells whether the step's goal is reached.
//!
//! A check is a fenced block with the info string `promql`: the query, and exactly one condition
//! line `expect: <op> <number>`. The condition line may be written as a PromQL comment
//! (`# expect: < 0.02`) so that the block still pastes into Prometheus as is. Other lines are the
//! query, comments included (Prometheus accepts them). `$node` in the query stands for the node
//! the runbook is opened for; [`Check::query_for`] fills it in.

use std::fmt;

use serde::Serialize;

use super::problem::Problems;

/// How a check's value is compared with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    /// Every operator, two-character ones first (the order a parser must try them in).
    const ALL: [Op; 6] = [Op::Le, Op::Ge, Op::Eq, Op::Ne, Op::Lt, Op::Gt];

    /// As written in a runbook: `<`, `<=`, ...
    fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

/// "The value is `op` `value`", e.g. `< 0.02`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Condition {
    pub op: Op,
    pub value: f64,
}

impl Condition {
    /// Whether a query's value satisfies the condition. `==` and `!=` compare exactly, as
    /// PromQL's comparison operators do; NaN (e.g. a ratio of zero requests) never satisfies one.
    pub fn holds(&self, value: f64) -> bool {
        if value.is_nan() {
            return false;
        }
        match self.op {
            Op::Lt => value < self.value,
            Op::Le => value <= self.value,
            Op::Gt => value > self.value,
            Op::Ge => value >= self.value,
            Op::Eq => value == self.value,
            Op::Ne => value != self.value,
        }
    }

    /// Parses what follows `expect:`, e.g. `< 0.02`.
    ///
    /// # Errors
    /// A message saying what was expected.
    fn parse(text: &str) -> Result<Condition, String> {
        let text = text.trim();
        let expected = || {
            format!(
                "bad condition 'expect: {text}': expected `expect: <op> <number>` with op one of \
                 <, <=, >, >=, ==, !=, e.g. `expect: < 0.02`"
            )
        };
        let op = Op::ALL.into_iter().find(|op| text.starts_with(op.symbol())).ok_or_else(expected)?;
        let number = text[op.symbol().len()..].trim();
        match number.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Condition { op, value }),
            _ => Err(expected()),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.op.symbol(), self.value)
    }
}

/// A PromQL query and the condition its value must meet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Check {
    /// The query as written, `$node` included.
    pub query: String,
    pub condition: Condition,
    /// The line of the opening fence.
    pub line: usize,
}

impl Check {
    /// The query for one node: `$node` replaced by its id, escaped for a double-quoted PromQL
    /// string (where `$node` belongs: `{service="$node"}`).
    pub fn query_for(&self, node: &str) -> String {
        let escaped = node.replace('\\', "\\\\").replace('"', "\\\"");
        substitute_node(&self.query, &escaped)
    }
}

/// Replaces every `$node` in `text` by `node` (not `$nodes` or `$node_name`): for commands and
/// links, which are shown, never run.
pub fn substitute_node(text: &str, node: &str) -> String {
    const VAR: &str = "$node";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(VAR) {
        let after = &rest[at + VAR.len()..];
        let whole_word = !after.starts_with(|c: char| c.is_alphanumeric() || c == '_');
        out.push_str(&rest[..at]);
        out.push_str(if whole_word { node } else { VAR });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// What a `promql` block turned out to be.
pub(super) enum Promql {
    Check(Check),
    /// A query without a condition line: a problem in a runbook's step, a query to show in an
    /// imported runbook.
    Query(String),
    /// Broken; the problems are recorded.
    Invalid,
}

/// Whether a line (a PromQL comment or not) is meant as the condition: `expect` as a word.
fn condition_line(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let line = line.strip_prefix('#').map_or(line, str::trim_start);
    let rest = line.strip_prefix("expect")?;
    if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        return None; // `expected_total`, `# expected to ...`
    }
    Some(rest)
}

/// Reads a `promql` block: `lines` with their line numbers, `fence` the line of its fence.
pub(super) fn parse_promql(lines: &[(usize, String)], fence: usize, problems: &mut Problems<'_>) -> Promql {
    let mut query: Vec<&str> = Vec::new();
    let mut condition: Option<(usize, Option<Condition>)> = None;
    for (line, text) in lines {
        let Some(rest) = condition_line(text) else {
            query.push(text.trim_end());
            continue;
        };
        if let Some((first, _)) = condition {
            problems.add(
                *line,
                format!("a second condition line (the first is on line {first}): a check has exactly one"),
            );
            continue;
        }
        let parsed = match rest.trim_start().strip_prefix(':') {
            Some(rest) => Condition::parse(rest),
            None => Err(format!(
                "bad condition '{}': expected `expect: <op> <number>`, e.g. `expect: < 0.02`",
                text.trim()
            )),
        };
        match parsed {
            Ok(c) => condition = Some((*line, Some(c))),
            Err(message) => {
                problems.add(*line, message);
                condition = Some((*line, None));
            }
        }
    }
    let query = query.join("\n").trim().to_owned();
    let meaningful = query.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if !meaningful {
        problems.add(fence, "an empty check: the promql block needs a query above its `expect:` line");
        return Promql::Invalid;
    }
    match condition {
        None => Promql::Query(query),
        Some((_, None)) => Promql::Invalid,
        Some((_, Some(condition))) => Promql::Check(Check { query, condition, line: fence }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse_and_hold() {
        let c = Condition::parse(" <= 0.8").unwrap();
        assert_eq!(c, Condition { op: Op::Le, value: 0.8 });
        assert!(c.holds(0.8) && !c.holds(0.81) && !c.holds(f64::NAN));
        assert!(Condition::parse("== 0").unwrap().holds(0.0));
        assert!(Condition::parse("!= 1").unwrap().holds(0.0));
        assert!(Condition::parse("> 1e3").unwrap().holds(1001.0));
        for bad in ["", "< ", "<< 2", "~ 3", "< 2%", "< NaN", "> inf", "0.5"] {
            let err = Condition::parse(bad).unwrap_err();
            assert!(err.contains("expect: < 0.02"), "{bad}: {err}");
        }
    }

    #[test]
    fn node_is_substituted_as_a_word_and_escaped_in_queries() {
        assert_eq!(
            substitute_node("up{service=\"$node\"} $nodes $node_x $node", "db"),
            "up{service=\"db\"} $nodes $node_x db"
        );
        let check = Check {
            query: "up{service=\"$node\"}".to_owned(),
            condition: Condition { op: Op::Eq, value: 1.0 },
            line: 1,
        };
        assert_eq!(check.query_for("a\"b"), "up{service=\"a\\\"b\"}");
    }
}
