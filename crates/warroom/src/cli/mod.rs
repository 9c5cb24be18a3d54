//! Arguments and dispatch of the `warroom` CLI.
//!
//! What the commands print for people goes through `say!` and `say_err!` (`print.rs`), which
//! escape the control characters that outside text may carry; `println!` and `eprintln!` are
//! denied here so that nothing goes around them.
#![deny(clippy::print_stdout, clippy::print_stderr)]

/// `println!` for people: the line goes out with its control characters escaped
/// ([`warroom::text::printable`]).
macro_rules! say {
    () => {
        $crate::cli::print::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::print::line(format_args!($($arg)*))
    };
}

/// `eprintln!` for people, as [`say!`].
macro_rules! say_err {
    ($($arg:tt)*) => {
        $crate::cli::print::line_to_stderr(format_args!($($arg)*))
    };
}

mod changes;
mod drill;
mod export;
mod incident;
mod poll;
mod print;
mod runbook;
mod secret;
mod sync;
mod topology;
mod update;
mod watch;

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};
use warroom::model::{Role, Severity, Stage};
use warroom::ops::Actor;
use warroom::store::Store;

/// warroom: the incident war-room, from the command line.
///
/// Declare an incident, move it through the five response stages (detect, identify, isolate,
/// recover, analyze), take notes and roles, and read its timeline. Everything is an event appended
/// to a local SQLite log, the same one the desktop window uses.
#[derive(Debug, Parser)]
#[command(name = "warroom", version, propagate_version = true)]
pub struct Args {
    /// The incident log. Default: the XDG data dir (~/.local/share/warroom/warroom.db).
    #[arg(long, global = true, env = "WARROOM_DB", value_name = "PATH")]
    db: Option<PathBuf>,
    /// The configuration: sources, topology, signals (see the README).
    #[arg(long, global = true, env = "WARROOM_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Your name, recorded on every event you write.
    #[arg(long = "by", global = true, env = "WARROOM_USER", value_name = "NAME")]
    by: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Declare, list, show and change incidents.
    #[command(subcommand)]
    Incident(incident::IncidentCommand),
    /// The built-in drills: list them, play one headless.
    #[command(subcommand)]
    Drill(drill::DrillCommand),
    /// Poll the configured sources: print every node's health and every source's status.
    Poll {
        /// One cycle, then print and exit.
        #[arg(long)]
        once: bool,
        /// With --once: print JSON {"at","nodes":[{"id","health","reasons","age_secs"}],"blast":{"down","impacted":[{"id","reason"}],"degraded","entrypoints_down","groups"},"sources","problems","warnings","alerts","queries"}.
        #[arg(long)]
        json: bool,
    },
    /// Run the war room headless, as the window does: poll the configured sources (or play a
    /// drill), judge health and the blast radius, check the attached runbooks, record on an
    /// incident, and print each change as it happens.
    Watch(watch::WatchArgs),
    /// Check topology files, compute blast radius and single points of failure.
    #[command(subcommand)]
    Topology(topology::TopologyCommand),
    /// Lint runbooks, show one as warroom reads it, list the built-in ones.
    #[command(subcommand)]
    Runbook(runbook::RunbookCommand),
    /// Store or delete a source's secret in the OS keyring (then name it in warroom.toml with
    /// bearer_token_keyring, basic_password_keyring or aws_secret_access_key_keyring).
    #[command(subcommand)]
    Secret(secret::SecretCommand),
    /// Export an incident: `--format md` writes the postmortem draft DIR/<id>.md with its charts
    /// (PNG and SVG) beside it; `--format json` writes DIR/<id>.json, the incident, every event
    /// and the samples kept for its charts.
    Export {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// The file format.
        #[arg(long, value_parser = ["md", "json"])]
        format: String,
        /// The folder to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// With --format md: the service's SLO in percent, for the error-budget table.
        #[arg(long, default_value_t = 99.9, value_parser = parse_slo)]
        slo: f64,
    },
    /// Import an incident exported with `--format json`, ids preserved: importing twice changes
    /// nothing.
    Import {
        /// The exported file.
        file: PathBuf,
    },
    /// An incident as it stood at an instant (offline: reads the log only): stage, roles,
    /// severity, runbook progress, node health as recorded, blast radius, alerts firing, notes.
    Replay {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// The instant (RFC 3339).
        #[arg(long, value_parser = parse_at)]
        at: DateTime<Utc>,
        /// Print JSON {"at","incident","health","radius","alerts","notes"} instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Add, edit and list an incident's action items (they go into the postmortem).
    #[command(subcommand)]
    Action(export::ActionCommand),
    /// Stakeholder updates: draft one from the live state, send it through the outbox, list
    /// them with their state, retry what waits.
    #[command(subcommand)]
    Update(update::UpdateCommand),
    /// Team sync through a PostgreSQL hub: set the hub up, sync once, say where sync stands.
    #[command(subcommand)]
    Sync(sync::SyncCommand),
    /// Check an incident's hash chains offline: each device's events, in the order it wrote them,
    /// each sealing the one before. Exits non-zero if an event does not match its chain.
    Verify {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// Print JSON {"incident","ok","chains":[{"device","events","head"}],"problems":[{"device","incident","event","reason"}]}.
        #[arg(long)]
        json: bool,
    },
    /// What changed (deploys, restarts, config reloads, commits, rollouts, cluster events)
    /// before and during an incident, most suspect first, with why. With --config naming
    /// [[changes]] sources they are asked first and what is new is written on the incident.
    Changes {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// Print JSON [{"at","node","kind","summary","from","to","source","rank","reason",...}].
        #[arg(long)]
        json: bool,
    },
    /// Every event of an incident, in time order.
    Timeline {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// Print JSON (an array of events) instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs one command.
pub fn run(args: Args) -> Result<()> {
    let Args { db, config, by, command } = args;
    let actor = Actor { origin: "cli".to_owned(), by: by.clone(), now: Utc::now() };
    let command = match command {
        Command::Topology(cmd) => return topology::run(cmd),
        Command::Secret(cmd) => return secret::run(cmd),
        Command::Drill(cmd) if !drill::needs_store(&cmd) => return drill::run(cmd, None, &actor, None),
        Command::Runbook(cmd) if !runbook::needs_store(&cmd) => return runbook::run(cmd),
        Command::Poll { once, json } => {
            let config = config.context("poll needs --config FILE (or WARROOM_CONFIG)")?;
            return if once { poll::once(&config, json) } else { poll::watch(&config) };
        }
        other => other,
    };
    let path = match db {
        Some(path) => path,
        None => default_db()?,
    };
    if let Command::Sync(cmd) = command {
        return sync::run(cmd, config.as_deref(), &path, by.as_deref());
    }
    if let Command::Watch(watch) = command {
        return watch::run(watch, config.as_deref(), &path, by);
    }
    // Whatever the command writes is pushed to the team's hub on the way out.
    let hub = sync::configured(config.as_deref());
    let last_seq = || Store::open(&path).and_then(|s| s.last_seq()).ok();
    let before = hub.as_ref().and_then(|_| last_seq());
    let done = run_on_log(command, config.as_deref(), &path, &actor, hub.as_ref());
    if let Some(hub) = &hub
        && last_seq() != before
    {
        sync::after_write(&path, hub, by.as_deref());
    }
    done
}

/// Whether `command` only reads the log.
fn reads_only(command: &Command, config: Option<&std::path::Path>) -> bool {
    match command {
        Command::Timeline { .. }
        | Command::Replay { .. }
        | Command::Export { .. }
        | Command::Verify { .. } => true,
        Command::Incident(cmd) => {
            matches!(cmd, incident::IncidentCommand::List { .. } | incident::IncidentCommand::Show { .. })
        }
        Command::Action(cmd) => matches!(cmd, export::ActionCommand::List { .. }),
        // With change sources configured, what they find is written.
        Command::Changes { .. } => config.is_none(),
        _ => false,
    }
}

/// The commands that read or write the log at `path`.
fn run_on_log(
    command: Command,
    config: Option<&std::path::Path>,
    path: &std::path::Path,
    actor: &Actor,
    hub: Option<&warroom::sync::SyncConfig>,
) -> Result<()> {
    let device = hub.map(|h| h.device.as_str());
    if let Command::Drill(cmd) = command {
        return drill::run(cmd, Some(path), actor, device);
    }
    // A command that only reads opens the log read-only: it creates nothing where there is no
    // log, and works on a read-only mount.
    let mut store =
        if reads_only(&command, config) { Store::open_read_only(path)? } else { Store::open(path)? };
    if let Some(device) = device {
        store.set_device(device);
    }
    if let Command::Update(cmd) = command {
        return update::run(cmd, store, config, actor);
    }
    if let Command::Changes { id, json } = command {
        return changes::run(store, config, &id, json);
    }
    match command {
        Command::Incident(cmd) => incident::run(&mut store, actor, cmd),
        Command::Runbook(cmd) => {
            let config = config.map(warroom::config::Config::read).transpose()?;
            runbook::run_on_log(cmd, &mut store, config.as_ref(), actor)
        }
        // Answered above.
        Command::Topology(_)
        | Command::Poll { .. }
        | Command::Secret(_)
        | Command::Watch(_)
        | Command::Sync(_)
        | Command::Update(_)
        | Command::Changes { .. }
        | Command::Drill(_) => Ok(()),
        Command::Export { id, format, out, slo } => export::export(&store, &id, &format, &out, slo, config),
        Command::Import { file } => export::import(&mut store, &file),
        Command::Replay { id, at, json } => export::replay(&store, &id, at, json),
        Command::Action(cmd) => export::action(&mut store, actor, cmd),
        Command::Verify { id, json } => sync::verify(&store, &id, json),
        Command::Timeline { id, json } => {
            let id = store.find_incident(&id)?;
            let events = store.events(id)?;
            if json { print::json(&events) } else { print::timeline(&events) }
        }
    }
}

fn default_db() -> Result<PathBuf> {
    warroom::store::default_path().context("no data folder (is HOME set?); pass --db PATH or set WARROOM_DB")
}

/// `--slo`: a percentage below 100.
fn parse_slo(text: &str) -> Result<f64, String> {
    match text.trim().trim_end_matches('%').parse::<f64>() {
        Ok(slo) if slo > 0.0 && slo < 100.0 => Ok(slo),
        _ => Err(format!("expected a percentage between 0 and 100, e.g. 99.9, got '{text}'")),
    }
}

/// `--at`: when it happened, RFC 3339.
fn parse_at(text: &str) -> Result<DateTime<Utc>, warroom::time::TimeError> {
    warroom::time::parse(text)
}

/// A parser that lists every severity with its meaning in `--help`.
fn severity_parser() -> impl TypedValueParser<Value = Severity> {
    let values = Severity::ALL.map(|s| {
        let digit = &s.name()[3..];
        PossibleValue::new(s.name()).help(s.meaning()).alias(digit)
    });
    PossibleValuesParser::new(values).try_map(|s| s.parse::<Severity>())
}

/// A parser that lists every stage with its meaning in `--help`.
fn stage_parser() -> impl TypedValueParser<Value = Stage> {
    let values = Stage::ALL.map(|s| PossibleValue::new(s.name()).help(s.meaning()).aliases(s.aliases()));
    PossibleValuesParser::new(values).try_map(|s| s.parse::<Stage>())
}

/// A parser that lists every role with its title in `--help`.
fn role_parser() -> impl TypedValueParser<Value = Role> {
    let values = Role::ALL.map(|r| PossibleValue::new(r.name()).help(r.title()).aliases(r.aliases()));
    PossibleValuesParser::new(values).try_map(|s| s.parse::<Role>())
}
