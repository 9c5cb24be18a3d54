//! `warroom runbook ...`: lint runbook files, show one as warroom reads it, list the built-in
//! ones (these read files and touch no incident log); and follow one on an incident from a
//! terminal: attach it, check its steps, see where it stands, exactly as the window does.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::Subcommand;
use serde::Serialize;
use warroom::config::Config;
use warroom::model::{CheckMark, Incident, Stage, StepMark};
use warroom::ops::Actor;
use warroom::runbook::{AppliesTo, Runbook};
use warroom::runtime::RunbookView;
use warroom::store::Store;

use super::print;

#[derive(Debug, Subcommand)]
pub enum RunbookCommand {
    /// Lint runbooks: every problem as `file:line: message` (warnings as `file:line: warning:
    /// message`) on stdout; exit 1 on an error (a runbook that cannot work), or on a warning with
    /// --strict (what an imported runbook uses that warroom does not map).
    Check {
        /// Runbook files, or directories (every `*.md` in them and in the folders below, but
        /// `README.md` and `_index.md`).
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Fail on warnings too.
        #[arg(long)]
        strict: bool,
    },
    /// A runbook as warroom reads it: stages, steps, checks, commands, links.
    Show {
        /// A runbook file, or the id of a built-in runbook (see `warroom runbook list`).
        runbook: String,
        /// Print the parsed runbook as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The built-in runbooks and what they apply to.
    List {
        /// Print JSON: [{"id", "title", "severity", "applies_to"}].
        #[arg(long)]
        json: bool,
    },
    /// Attach a runbook to an incident (built in, or from WARROOM_RUNBOOKS or the
    /// configuration's `runbooks` folders); its checks are evaluated while the incident is
    /// watched (`warroom watch`, the window).
    Attach {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// The runbook's id (see `warroom runbook list`).
        runbook: String,
        /// The node it is for: its commands, links and checks get `$node` filled in.
        #[arg(long, value_name = "NODE")]
        node: Option<String>,
    },
    /// Mark a step of an attached runbook done (or not done), recorded with who and when.
    Step {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// The runbook's id.
        runbook: String,
        /// The step's id (`detect-2`; see `warroom runbook show RUNBOOK`).
        step: String,
        /// Mark it done.
        #[arg(long, conflicts_with = "undone", required_unless_present = "undone")]
        done: bool,
        /// Mark it not done.
        #[arg(long)]
        undone: bool,
    },
    /// Each runbook attached to an incident: its steps per stage, who checked them and when,
    /// which were skipped, and the latest outcome of each step's check.
    Status {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// Print JSON: [{"runbook","title","node","attached_at","stages":[{"stage","done","total","steps":[{"id","text","done":{"at","by"}|null,"skipped","check":{"at","passed","observed"}|null}]}]}].
        #[arg(long)]
        json: bool,
    },
}

/// Whether the command needs the incident log.
pub fn needs_store(cmd: &RunbookCommand) -> bool {
    matches!(cmd, RunbookCommand::Attach { .. } | RunbookCommand::Step { .. } | RunbookCommand::Status { .. })
}

/// The commands that follow a runbook on an incident.
pub fn run_on_log(
    cmd: RunbookCommand,
    store: &mut Store,
    config: Option<&Config>,
    actor: &Actor,
) -> Result<()> {
    let library = super::watch::library(config);
    match cmd {
        RunbookCommand::Attach { id, runbook, node } => {
            let id = store.find_incident(&id)?;
            library.attach(store, actor, id, &runbook, node)?;
            say!("attached {runbook} to {id}");
            Ok(())
        }
        RunbookCommand::Step { id, runbook, step, done, undone } => {
            let id = store.find_incident(&id)?;
            let done = done && !undone;
            library.check_step(store, actor, id, &runbook, &step, done)?;
            say!("{runbook}/{step} {}", if done { "done" } else { "not done" });
            Ok(())
        }
        RunbookCommand::Status { id, json } => {
            let id = store.find_incident(&id)?;
            let incident = store.incident(id)?;
            let status: Vec<Attached> = library
                .views(&incident)
                .into_iter()
                .map(|view| {
                    let attached_at = incident.runbook(&view.runbook.id).map(|a| a.attached_at);
                    Attached::of(view, attached_at)
                })
                .collect();
            if json { print::json(&status) } else { status_text(&incident, &status) }
        }
        other => run(other),
    }
}

/// An attached runbook as `runbook status --json` prints it.
#[derive(Serialize)]
struct Attached {
    runbook: String,
    title: String,
    node: Option<String>,
    attached_at: Option<DateTime<Utc>>,
    stages: Vec<StageStatus>,
}

#[derive(Serialize)]
struct StageStatus {
    stage: Stage,
    done: usize,
    total: usize,
    steps: Vec<StepStatus>,
}

#[derive(Serialize)]
struct StepStatus {
    id: String,
    text: String,
    done: Option<StepMark>,
    skipped: bool,
    check: Option<CheckMark>,
}

impl Attached {
    fn of(view: RunbookView, attached_at: Option<DateTime<Utc>>) -> Attached {
        let stages = view
            .runbook
            .stages
            .iter()
            .map(|s| {
                let steps: Vec<StepStatus> = s
                    .steps
                    .iter()
                    .map(|step| StepStatus {
                        id: step.id.clone(),
                        text: step.text.clone(),
                        done: view.done.get(&step.id).cloned(),
                        skipped: view.skipped.contains(&step.id),
                        check: view.checks.get(&step.id).cloned(),
                    })
                    .collect();
                StageStatus {
                    stage: s.stage,
                    done: steps.iter().filter(|st| st.done.is_some()).count(),
                    total: steps.len(),
                    steps,
                }
            })
            .collect();
        Attached { runbook: view.runbook.id, title: view.runbook.title, node: view.node, attached_at, stages }
    }
}

fn status_text(incident: &Incident, attached: &[Attached]) -> Result<()> {
    if attached.is_empty() {
        say!(
            "no runbook attached to {} (attach one: warroom runbook attach {} RUNBOOK)",
            incident.id,
            incident.id
        );
        return Ok(());
    }
    for a in attached {
        let node = a.node.as_deref().map(|n| format!(" for {n}")).unwrap_or_default();
        let when =
            a.attached_at.map(|t| format!(", attached {}", t.format("%H:%M:%S UTC"))).unwrap_or_default();
        say!("{}: {}{node}{when}", a.runbook, a.title);
        for stage in &a.stages {
            let here = if stage.stage == incident.stage { "  <- current stage" } else { "" };
            say!("  {} {}/{}{here}", stage.stage, stage.done, stage.total);
            for step in &stage.steps {
                let mark = if step.done.is_some() {
                    "[x]"
                } else if step.skipped {
                    "[-]"
                } else {
                    "[ ]"
                };
                let who = step
                    .done
                    .as_ref()
                    .map(|d| {
                        format!(
                            "  (done {} by {})",
                            d.at.format("%H:%M:%S"),
                            d.by.as_deref().unwrap_or("someone")
                        )
                    })
                    .unwrap_or_default();
                say!("    {mark} {:<10} {}{who}", step.id, step.text.lines().next().unwrap_or_default());
                if let Some(check) = &step.check {
                    let outcome = match check.passed {
                        Some(true) => "passed",
                        Some(false) => "failed",
                        None => "not evaluable",
                    };
                    say!(
                        "               check {outcome} at {}: {}",
                        check.at.format("%H:%M:%S"),
                        check.observed
                    );
                }
            }
        }
    }
    Ok(())
}

pub fn run(cmd: RunbookCommand) -> Result<()> {
    match cmd {
        RunbookCommand::Attach { .. } | RunbookCommand::Step { .. } | RunbookCommand::Status { .. } => {
            bail!("this runbook command needs the incident log")
        }
        RunbookCommand::Check { paths, strict } => check(&paths, strict),
        RunbookCommand::Show { runbook, json } => {
            let runbook = load(&runbook)?;
            if json { print::json(&runbook) } else { show(&runbook) }
        }
        RunbookCommand::List { json } => {
            let runbooks = Runbook::built_in();
            if json {
                let rows: Vec<serde_json::Value> = runbooks
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id, "title": r.title, "severity": r.severity, "applies_to": r.applies_to,
                        })
                    })
                    .collect();
                return print::json(&rows);
            }
            let width = runbooks.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in &runbooks {
                say!("{:width$}  {}  [{}]", r.id, r.title, applies(&r.applies_to));
            }
            Ok(())
        }
    }
}

/// The files to check: the files given, and the runbook files under the directories given.
fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(warroom::runbook::files_in(path)?);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn check(paths: &[PathBuf], strict: bool) -> Result<()> {
    let files = files(paths)?;
    let (mut errors, mut warnings, mut steps, mut checks, mut loaded) = (0, 0, 0, 0, 0);
    for file in &files {
        let linted = Runbook::lint_file(file);
        for problem in &linted.problems {
            say!("{problem}");
            if problem.is_error() {
                errors += 1;
            } else {
                warnings += 1;
            }
        }
        if let Some(runbook) = linted.runbook {
            loaded += 1;
            steps += runbook.steps().count();
            checks += runbook.steps().filter(|s| s.check.is_some()).count();
        }
    }
    let n = files.len();
    let problems = errors + warnings;
    if errors > 0 || (strict && warnings > 0) {
        bail!(
            "checked {n} runbook{}: {problems} problem{} ({errors} error{}, {warnings} warning{}{})",
            plural(n),
            plural(problems),
            plural(errors),
            plural(warnings),
            if errors == 0 { "; --strict fails on warnings" } else { "" }
        );
    }
    let warned = if warnings > 0 {
        format!("; {warnings} warning{} (what warroom keeps aside, see above)", plural(warnings))
    } else {
        String::new()
    };
    say_err!("{loaded} runbook{} ok: {steps} steps, {checks} checks{warned}", plural(loaded));
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A file if there is one by that name, else a built-in runbook's id.
fn load(name: &str) -> Result<Runbook> {
    let path = Path::new(name);
    if path.exists() {
        return Runbook::read(path).map_err(|problems| {
            for p in &problems {
                say_err!("{p}");
            }
            anyhow::anyhow!("{name}: {} problem{}; see above", problems.len(), plural(problems.len()))
        });
    }
    Runbook::find_built_in(name).with_context(|| {
        let ids: Vec<String> = Runbook::built_in().into_iter().map(|r| r.id).collect();
        format!(
            "no runbook file '{name}' and no built-in runbook with that id (built-in: {})",
            ids.join(", ")
        )
    })
}

fn applies(a: &AppliesTo) -> String {
    if a.is_empty() {
        return "nothing listed; found by id".to_owned();
    }
    let mut parts = Vec::new();
    for (name, items) in [
        ("alerts", a.alerts.clone()),
        ("labels", a.labels.iter().map(|l| l.as_str().to_owned()).collect()),
        ("kinds", a.kinds.clone()),
        ("nodes", a.nodes.clone()),
    ] {
        if !items.is_empty() {
            parts.push(format!("{name}: {}", items.join(", ")));
        }
    }
    parts.join("; ")
}

fn show(r: &Runbook) -> Result<()> {
    let severity = r.severity.map(|s| format!(" ({s})")).unwrap_or_default();
    say!("{}: {}{severity}{}", r.id, r.title, if r.imported { " [imported]" } else { "" });
    say!("applies to: {}", applies(&r.applies_to));
    for stage in &r.stages {
        say!();
        say!("{}", stage.stage);
        for step in &stage.steps {
            let mark = if step.done_in_file { "[x]" } else { "[ ]" };
            let mut lines = step.text.lines();
            say!("  {mark} {}  {}", step.id, lines.next().unwrap_or_default());
            for more in lines {
                say!("      {more}");
            }
            if let Some(check) = &step.check {
                say!("      check: {} expect {}", check.query.replace('\n', " "), check.condition);
            }
            show_commands_and_links(&step.commands, &step.links);
        }
        for reference in &stage.references {
            show_reference(reference);
        }
    }
    if !r.references.is_empty() {
        say!();
        say!("reference");
        for reference in &r.references {
            show_reference(reference);
        }
    }
    Ok(())
}

/// A section that names no stage: its title, then its text and code, indented.
fn show_reference(reference: &warroom::runbook::Reference) {
    say!("  ({}, for reference)", reference.title);
    for line in reference.text.lines() {
        say!("      {line}");
    }
    show_commands_and_links(&reference.commands, &reference.links);
}

/// A step's or a reference's commands (`$` on each one's first line) and links, indented.
fn show_commands_and_links(commands: &[String], links: &[warroom::runbook::Link]) {
    for command in commands {
        for (i, line) in command.lines().enumerate() {
            say!("      {} {line}", if i == 0 { "$" } else { " " });
        }
    }
    for link in links {
        say!("      link: {} <{}>", link.text, link.url);
    }
}
