//! Runbooks: Markdown checklists that walk responders through the five response stages.
//!
//! A runbook is a Markdown file anyone can read and edit without warroom: optional YAML front
//! matter (id, title, severity, what it applies to), then one `##` section per stage (Detect,
//! Identify, Isolate, Recover, Analyze, and the other accepted headings in `heading.rs`), each a
//! GitHub task list. A step may carry a check (a `promql` block with an `expect:` line) that
//! warroom evaluates to tick the step by itself, commands (`sh` blocks, shown with a copy button,
//! never run) and links. Plain Markdown keeps runbooks diffable, reviewable in a pull request and
//! importable from elsewhere: a file without any task list (a prometheus-operator runbook) is read
//! in import mode, each list item or paragraph a step (see `parse.rs`).
//!
//! Parsing collects every problem of a file with its line, for `warroom runbook check`.

mod applies;
mod check;
mod front;
mod heading;
mod markdown;
mod parse;
mod problem;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

pub use applies::{AppliesTo, LabelSelector, Match, Reason};
pub use check::{Check, Condition, Op, substitute_node};
pub use problem::{Level, Problem};

use crate::model::{Severity, Stage};

/// A parsed runbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Runbook {
    /// Lowercase letters, digits and dashes; the file name when the front matter names none.
    pub id: String,
    pub title: String,
    /// A hint for the incident's severity.
    pub severity: Option<Severity>,
    /// The text before the first stage section, plain, paragraphs separated by a blank line.
    pub summary: String,
    pub applies_to: AppliesTo,
    /// The stages that have steps, in stage order.
    pub stages: Vec<StageSteps>,
    /// Read in import mode: the file has no task list (e.g. a prometheus-operator runbook).
    pub imported: bool,
    /// Sections that name no stage and come before any stage with steps (`## Prerequisites`):
    /// kept as reference text, shown apart from the steps.
    pub references: Vec<Reference>,
    /// Front-matter keys warroom does not use (a site generator's `weight`, `aliases`), kept as
    /// written (a list as its items joined by ", ").
    pub extra_front_matter: BTreeMap<String, String>,
}

/// A section that names no stage (`## Troubleshooting`, `## Escalation`): text to read, not
/// steps to tick.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Reference {
    /// The `##` heading.
    pub title: String,
    /// Its plain text, blocks on lines of their own.
    pub text: String,
    /// The heading's line.
    pub line: usize,
    /// Its code blocks, as written (shown with a copy button, never run).
    pub commands: Vec<String>,
    pub links: Vec<Link>,
}

/// A runbook file read with every problem: the runbook when none is an error.
#[derive(Debug)]
pub struct Linted {
    pub runbook: Option<Runbook>,
    /// Errors and warnings, sorted by line.
    pub problems: Vec<Problem>,
}

/// The steps of one stage, in file order (several sections may name the same stage).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct StageSteps {
    pub stage: Stage,
    pub steps: Vec<Step>,
    /// Sections naming no stage that follow this stage's (`## Notes` after `## Mitigation`).
    pub references: Vec<Reference>,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Step {
    /// `<stage>-<n>`, 1-based within the stage (`recover-2`): what events refer to.
    pub id: String,
    /// Plain text: inline code and links' text kept, nested list items as `- ...` lines.
    pub text: String,
    /// The line of its list item (or paragraph, in import mode).
    pub line: usize,
    /// Ticked in the file (`- [x]`).
    pub done_in_file: bool,
    pub check: Option<Check>,
    /// Shell commands to show and copy, as written (`$node` included; see [`substitute_node`]).
    pub commands: Vec<String>,
    pub links: Vec<Link>,
}

/// A Markdown link: `[text](url)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Link {
    pub text: String,
    pub url: String,
}

impl Linted {
    fn failed(problem: Problem) -> Linted {
        Linted { runbook: None, problems: vec![problem] }
    }

    /// The runbook, or every problem when one is an error.
    ///
    /// # Errors
    /// Every problem, when one is an error.
    pub fn into_result(self) -> Result<Runbook, Vec<Problem>> {
        self.runbook.ok_or(self.problems)
    }
}

/// The runbook files under `dir`, in every folder below it, sorted: every `*.md` but a folder's
/// `README.md` and a site generator's `_index.md` (section pages, not runbooks).
///
/// # Errors
/// A folder that cannot be listed, with its path.
pub fn files_in(dir: &Path) -> Result<Vec<std::path::PathBuf>, Problem> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|e| Problem::error(&folder, 0, format!("cannot list the runbook folder: {e}")))?;
        for entry in entries {
            let entry = entry
                .map_err(|e| Problem::error(&folder, 0, format!("cannot list the runbook folder: {e}")))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_lowercase();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                if !name.starts_with('.') {
                    folders.push(path);
                }
            } else if name.ends_with(".md") && name != "readme.md" && name != "_index.md" {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The built-in runbooks, by file name.
const BUILT_IN: [(&str, &str); 7] = [
    ("db-pool-exhaustion.md", include_str!("../../../../assets/runbooks/db-pool-exhaustion.md")),
    ("k8s-node-failure.md", include_str!("../../../../assets/runbooks/k8s-node-failure.md")),
    ("memory-leak.md", include_str!("../../../../assets/runbooks/memory-leak.md")),
    ("provider-outage.md", include_str!("../../../../assets/runbooks/provider-outage.md")),
    ("redis-down.md", include_str!("../../../../assets/runbooks/redis-down.md")),
    ("traffic-surge.md", include_str!("../../../../assets/runbooks/traffic-surge.md")),
    ("unknown-outage.md", include_str!("../../../../assets/runbooks/unknown-outage.md")),
];

impl Runbook {
    /// Parses a runbook's text; `path` names it in problems and gives the default id. Warnings
    /// are dropped: [`Runbook::lint`] keeps them.
    ///
    /// # Errors
    /// Every problem of the file (errors and warnings), each with its line, sorted by line, when
    /// one is an error.
    pub fn parse(path: &Path, text: &str) -> Result<Runbook, Vec<Problem>> {
        Runbook::lint(path, text).into_result()
    }

    /// Reads a runbook's text with every problem, warnings included.
    pub fn lint(path: &Path, text: &str) -> Linted {
        parse::parse(path, text)
    }

    /// [`Runbook::lint`] on a runbook's bytes, which must be UTF-8: bytes that are not are one
    /// error on the line of the first bad byte.
    pub fn lint_bytes(path: &Path, bytes: &[u8]) -> Linted {
        match std::str::from_utf8(bytes) {
            Ok(text) => Runbook::lint(path, text),
            Err(e) => {
                let good = e.valid_up_to();
                let valid = bytes.get(..good).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default();
                let line = crate::text::line_at(valid, good);
                Linted::failed(Problem::error(
                    path,
                    line,
                    format!("not UTF-8 text (a bad byte at offset {good}): save the file as UTF-8"),
                ))
            }
        }
    }

    /// [`Runbook::lint`] on a file: a file that cannot be read is one error on line 1.
    pub fn lint_file(path: &Path) -> Linted {
        match crate::files::read(path) {
            Ok(bytes) => Runbook::lint_bytes(path, &bytes),
            Err(e) => Linted::failed(Problem::error(path, 1, format!("cannot read: {e}"))),
        }
    }

    /// Parses a runbook's bytes, which must be UTF-8.
    ///
    /// # Errors
    /// As [`Runbook::parse`] and [`Runbook::lint_bytes`].
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Runbook, Vec<Problem>> {
        Runbook::lint_bytes(path, bytes).into_result()
    }

    /// Reads and parses a runbook file.
    ///
    /// # Errors
    /// As [`Runbook::parse`] and [`Runbook::lint_file`].
    pub fn read(path: &Path) -> Result<Runbook, Vec<Problem>> {
        Runbook::lint_file(path).into_result()
    }

    /// The runbooks that ship with warroom (`assets/runbooks/`). A test pins that each parses
    /// without a problem.
    pub fn built_in() -> Vec<Runbook> {
        BUILT_IN
            .iter()
            .filter_map(|(file, text)| Runbook::parse(&Path::new("assets/runbooks").join(file), text).ok())
            .collect()
    }

    /// The built-in runbook with this id.
    pub fn find_built_in(id: &str) -> Option<Runbook> {
        Runbook::built_in().into_iter().find(|r| r.id == id)
    }

    /// How well this runbook fits an alert (its name and labels; `None` and empty without one) on
    /// a node of some kind; `None` when it does not. See [`Match::score`]. Label selectors are
    /// tried only when there is an alert (a name or labels), and the alert's name counts as its
    /// `alertname` label.
    pub fn matches(
        &self,
        alert_name: Option<&str>,
        labels: &BTreeMap<String, String>,
        node_id: &str,
        node_kind: &str,
    ) -> Option<Match> {
        let applies = &self.applies_to;
        let mut reasons = Vec::new();
        let mut score = 0;
        if let Some(alert) = alert_name.filter(|a| applies.alerts.iter().any(|listed| listed == a)) {
            reasons.push(Reason::Alert(alert.to_owned()));
            score += 100;
        }
        if alert_name.is_some() || !labels.is_empty() {
            let mut labels = labels.clone();
            if let Some(alert) = alert_name {
                labels.entry("alertname".to_owned()).or_insert_with(|| alert.to_owned());
            }
            if let Some(selector) = applies.labels.iter().find(|s| s.matches(&labels)) {
                reasons.push(Reason::Label(selector.as_str().to_owned()));
                score += 90;
            }
        }
        if applies.nodes.iter().any(|n| n == node_id) {
            reasons.push(Reason::Node(node_id.to_owned()));
            score += 80;
        }
        let kind = applies::canonical_kind(node_kind).unwrap_or_else(|| node_kind.to_owned());
        if applies.kinds.contains(&kind) {
            reasons.push(Reason::Kind(kind));
            let listed = u32::try_from(applies.kinds.len()).unwrap_or(u32::MAX).max(1);
            score += 10 + 10 / listed;
        }
        (!reasons.is_empty()).then_some(Match { score, reasons })
    }

    /// Every step, stage by stage.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.stages.iter().flat_map(|s| &s.steps)
    }

    /// The step with this id (`recover-2`).
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps().find(|s| s.id == id)
    }

    /// The steps of one stage; empty when the runbook has none there.
    pub fn stage(&self, stage: Stage) -> &[Step] {
        self.stages.iter().find(|s| s.stage == stage).map_or(&[], |s| &s.steps)
    }
}

impl Runbook {
    /// This runbook as shown for one node: `$node` filled in in its commands and links (checks
    /// keep theirs: [`Check::query_for`] fills it in, escaped for PromQL, when they run).
    pub fn for_node(&self, node: &str) -> Runbook {
        let mut runbook = self.clone();
        for step in runbook.stages.iter_mut().flat_map(|s| &mut s.steps) {
            step.commands = step.commands_for(node);
            for link in &mut step.links {
                link.url = substitute_node(&link.url, node);
            }
        }
        runbook
    }
}

impl Step {
    /// The commands for one node, `$node` filled in: for display and copying.
    pub fn commands_for(&self, node: &str) -> Vec<String> {
        self.commands.iter().map(|c| substitute_node(c, node)).collect()
    }
}

/// The runbooks that fit, best first (ties by id): what the window suggests for an alert on a
/// node. Runbooks that do not match are left out.
pub fn suggest<'r>(
    runbooks: &'r [Runbook],
    alert_name: Option<&str>,
    labels: &BTreeMap<String, String>,
    node_id: &str,
    node_kind: &str,
) -> Vec<(&'r Runbook, Match)> {
    let mut fits: Vec<(&Runbook, Match)> = runbooks
        .iter()
        .filter_map(|r| r.matches(alert_name, labels, node_id, node_kind).map(|m| (r, m)))
        .collect();
    fits.sort_by(|(a, ma), (b, mb)| mb.score.cmp(&ma.score).then_with(|| a.id.cmp(&b.id)));
    fits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_runbook_parses() {
        for (file, text) in BUILT_IN {
            if let Err(problems) = Runbook::parse(Path::new(file), text) {
                panic!("{file}: {problems:#?}");
            }
        }
        assert_eq!(Runbook::built_in().len(), BUILT_IN.len());
    }

    #[test]
    fn bytes_that_are_not_utf8_are_a_problem_on_their_line() {
        let problems =
            Runbook::from_bytes(Path::new("x.md"), b"# T\n\n## Detect\n- [ ] a \xff\n").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 4);
        assert!(problems[0].to_string().starts_with("x.md:4: not UTF-8"), "{}", problems[0]);
    }
}
