//! `warroom export`, `import`, `replay` and `action`: an incident after the fact.

use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::Subcommand;
use warroom::model::{ActionKind, ActionStatus};
use warroom::ops::{self, ActionEdit, Actor};
use warroom::postmortem::{self, Options};
use warroom::replay::Replay;
use warroom::store::Store;

use super::print;

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Add an action item; prints its id (A1, A2, ...).
    Add {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// What will be done.
        title: String,
        /// mitigate, prevent or process.
        #[arg(long = "type", default_value = "prevent")]
        kind: ActionKind,
        #[arg(long)]
        owner: Option<String>,
        /// A ticket id or URL.
        #[arg(long)]
        ticket: Option<String>,
        /// YYYY-MM-DD.
        #[arg(long)]
        due: Option<String>,
    },
    /// Change an action item: only what is given changes (an empty value clears it).
    Set {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// The item: A1, A2, ...
        item: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long = "type")]
        kind: Option<ActionKind>,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        ticket: Option<String>,
        /// open, in_progress or done.
        #[arg(long)]
        status: Option<ActionStatus>,
        #[arg(long)]
        due: Option<String>,
    },
    /// The action items of an incident.
    List {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// Print JSON (an array of {"id","title","kind","owner","ticket","status","due"}).
        #[arg(long)]
        json: bool,
    },
}

/// `warroom export ID --format md|json --out DIR`.
pub fn export(
    store: &Store,
    id: &str,
    format: &str,
    out: &Path,
    slo: f64,
    config: Option<&Path>,
) -> Result<()> {
    let id = store.find_incident(id)?;
    let events = store.events(id)?;
    let samples = store.samples(id)?;
    if format == "json" {
        let exported = warroom::export::Exported::new(events, samples)
            .with_context(|| format!("incident {id} has no declared event"))?;
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let file = out.join(format!("{id}.json"));
        // Whole or not at all: a full disk leaves an earlier export of it as it was.
        warroom::files::write_atomically(&file, |out| {
            serde_json::to_writer_pretty(&mut *out, &exported)?;
            out.write_all(b"\n")
        })
        .with_context(|| format!("cannot write {}", file.display()))?;
        say!("{}", file.display());
        return Ok(());
    }
    let config = config.map(warroom::config::Config::read).transpose()?;
    let thresholds = warroom::health::Thresholds::default()
        .with(&config.as_ref().map(|c| c.thresholds.clone()).unwrap_or_default());
    let cadence = config.as_ref().map(|c| c.cadence).unwrap_or_default();
    let replay =
        Replay::new(events, samples).with_context(|| format!("incident {id} has no declared event"))?;
    let options =
        Options { slo, thresholds, history: store.incidents()?, cadence, ..Options::at(Utc::now()) };
    for path in postmortem::export(&replay, &options, out)?.files {
        say!("{path}");
    }
    Ok(())
}

/// `warroom import FILE.json`.
pub fn import(store: &mut Store, file: &Path) -> Result<()> {
    let reader =
        warroom::files::open_streamed(file).with_context(|| format!("cannot read {}", file.display()))?;
    // Events and samples in one transaction: a refused file leaves the log as it was.
    let (id, imported) = match warroom::export::import(file, reader, store) {
        Ok(done) => done,
        Err(warroom::export::ImportFailed::Store(e)) => {
            return Err(e).with_context(|| format!("{} was not imported", file.display()));
        }
        Err(e) => return Err(e.into()),
    };
    say!(
        "imported incident {id}: {} event(s) added, {} already there; {} sample(s) added",
        imported.added,
        imported.known,
        imported.samples
    );
    Ok(())
}

/// `warroom replay ID --at TIME`.
pub fn replay(store: &Store, id: &str, at: DateTime<Utc>, json: bool) -> Result<()> {
    let id = store.find_incident(id)?;
    let replay = Replay::new(store.events(id)?, Vec::new())
        .with_context(|| format!("incident {id} has no declared event"))?;
    let moment = replay
        .at(at)
        .with_context(|| format!("incident {id} was not declared yet at {}", warroom::time::to_db(at)))?;
    // The changes known by then, ranked on what was known by then.
    let until: Vec<warroom::model::Event> = replay.events().iter().filter(|e| e.at <= at).cloned().collect();
    let changes = warroom::changes::ranked(&until);
    if json {
        let mut value = serde_json::to_value(&moment)?;
        value["changes"] = serde_json::to_value(&changes)?;
        return print::json(&value);
    }
    print::moment(&moment)?;
    for r in &changes {
        say!(
            "change #{} {} {} {}: {} ({})",
            r.rank,
            warroom::time::to_db(r.change.at),
            r.change.kind,
            r.change.node,
            r.change.summary,
            r.reason
        );
    }
    Ok(())
}

/// `warroom action add|set|list`.
pub fn action(store: &mut Store, actor: &Actor, cmd: ActionCommand) -> Result<()> {
    let (id, edit) = match cmd {
        ActionCommand::List { id, json } => {
            let id = store.find_incident(&id)?;
            let actions = store.incident(id)?.actions;
            if json {
                return print::json(&actions);
            }
            for a in &actions {
                let owner = a.owner.as_deref().unwrap_or("no owner");
                let due = a.due.map(|d| format!(", due {d}")).unwrap_or_default();
                let ticket = a.ticket.as_deref().map(|t| format!(", {t}")).unwrap_or_default();
                say!("{} [{}] {} ({owner}{ticket}{due}): {}", a.id, a.status.name(), a.kind.name(), a.title);
            }
            return Ok(());
        }
        ActionCommand::Add { id, title, kind, owner, ticket, due } => (
            id,
            ActionEdit { id: None, title: Some(title), kind: Some(kind), owner, ticket, status: None, due },
        ),
        ActionCommand::Set { id, item, title, kind, owner, ticket, status, due } => {
            (id, ActionEdit { id: Some(item), title, kind, owner, ticket, status, due })
        }
    };
    let id = store.find_incident(&id)?;
    let item = ops::set_action(store, actor, id, edit)?;
    say!("{} {}: {}", item.id, item.status.name(), item.title);
    Ok(())
}
