//! `warroom runbook ...`: lint runbook files, show one as warroom reads it, list the built-in
//! ones. These read files and print; they touch no incident log.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use warroom::runbook::{AppliesTo, Runbook};

use super::print;

#[derive(Debug, Subcommand)]
pub enum RunbookCommand {
    /// Lint runbooks: every problem as `file:line: message` on stdout; exit 1 if any.
    Check {
        /// Runbook files, or directories (every `*.md` in them).
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
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
}

pub fn run(cmd: RunbookCommand) -> Result<()> {
    match cmd {
        RunbookCommand::Check { paths } => check(&paths),
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
                println!("{:width$}  {}  [{}]", r.id, r.title, applies(&r.applies_to));
            }
            Ok(())
        }
    }
}

/// The files to check: the files given, and the `*.md` of the directories given, sorted.
fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut found = Vec::new();
        for entry in std::fs::read_dir(path).with_context(|| format!("cannot list {}", path.display()))? {
            let file = entry.with_context(|| format!("cannot list {}", path.display()))?.path();
            if file.extension().is_some_and(|e| e == "md") && !file.is_dir() {
                found.push(file);
            }
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

fn check(paths: &[PathBuf]) -> Result<()> {
    let files = files(paths)?;
    let (mut problems, mut steps, mut checks) = (0, 0, 0);
    for file in &files {
        match Runbook::read(file) {
            Ok(runbook) => {
                steps += runbook.steps().count();
                checks += runbook.steps().filter(|s| s.check.is_some()).count();
            }
            Err(found) => {
                for problem in &found {
                    println!("{problem}");
                }
                problems += found.len();
            }
        }
    }
    let n = files.len();
    if problems > 0 {
        bail!("checked {n} runbook{}: {problems} problem{}", plural(n), plural(problems));
    }
    eprintln!("{n} runbook{} ok: {steps} steps, {checks} checks", plural(n));
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
                eprintln!("{p}");
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
    println!("{}: {}{severity}{}", r.id, r.title, if r.imported { " [imported]" } else { "" });
    println!("applies to: {}", applies(&r.applies_to));
    for stage in &r.stages {
        println!();
        println!("{}", stage.stage);
        for step in &stage.steps {
            let mark = if step.done_in_file { "[x]" } else { "[ ]" };
            let mut lines = step.text.lines();
            println!("  {mark} {}  {}", step.id, lines.next().unwrap_or_default());
            for more in lines {
                println!("      {more}");
            }
            if let Some(check) = &step.check {
                println!("      check: {} expect {}", check.query.replace('\n', " "), check.condition);
            }
            for command in &step.commands {
                for (i, line) in command.lines().enumerate() {
                    println!("      {} {line}", if i == 0 { "$" } else { " " });
                }
            }
            for link in &step.links {
                println!("      link: {} <{}>", link.text, link.url);
            }
        }
    }
    Ok(())
}
