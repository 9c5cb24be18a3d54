//! `warroom drill ...`: the built-in drills, headless.

use std::path::Path;

use anyhow::{Result, bail};
use chrono::Utc;
use clap::Subcommand;
use warroom::ops::Actor;
use warroom::runtime::Runtime;
use warroom::sources::drill::Scenario;
use warroom::store::Store;

use super::print;
use super::watch::Watch;

#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// The built-in scenarios, one per seed playbook.
    List {
        /// Print JSON: [{"name", "title", "summary", "duration_secs", "peak_secs"}].
        #[arg(long)]
        json: bool,
    },
    /// Play a scenario and print each health change as it happens.
    Run {
        /// The scenario (see `warroom drill list`).
        name: String,
        /// How many times faster than real time (60: a 20-minute scenario in 20 s).
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// The seed of the simulated noise: the same seed gives the same drill.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Run without a window (the only way the CLI runs drills).
        #[arg(long)]
        headless: bool,
        /// Record on this incident's timeline what the window would (as `warroom watch --drill`).
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
    },
}

/// Whether the command needs the incident log.
pub fn needs_store(cmd: &DrillCommand) -> bool {
    matches!(cmd, DrillCommand::Run { incident: Some(_), .. })
}

pub fn run(cmd: DrillCommand, db: Option<&Path>, actor: &Actor, device: Option<&str>) -> Result<()> {
    match cmd {
        DrillCommand::List { json } => {
            let scenarios = Scenario::built_in()?;
            if json {
                let rows: Vec<_> = scenarios.iter().map(Scenario::info).collect();
                return print::json(&rows);
            }
            for s in scenarios {
                say!("{:<20} {}  ({} min)", s.name, s.title, (s.duration_secs / 60.0).round());
            }
            Ok(())
        }
        DrillCommand::Run { name, speed, seed, headless, incident } => {
            if !headless {
                bail!(
                    "the CLI plays drills headless only: add --headless, or open the window with `make run`"
                );
            }
            // The same loop as `warroom watch --drill` and the window: what it records on the
            // incident is what they would.
            let runtime = match db {
                Some(db) => super::watch::runtime(db, None, device)?,
                None => Runtime::new(Store::open_in_memory()?, super::watch::library(None)),
            };
            let incident = incident.as_deref().map(|id| runtime.log().find_incident(id)).transpose()?;
            let actor = Actor { now: Utc::now(), ..actor.clone() };
            let status = runtime.start_drill(&name, seed, speed, &actor, incident)?;
            say!("drill {}: {} (speed ×{speed}, seed {seed})", status.scenario, status.title);
            let watch = Watch {
                json: false,
                incident,
                until_resolved: false,
                for_secs: None,
                stop_when_finished: true,
                by: actor.by.clone(),
            };
            watch.run(&runtime)?;
            let radius = runtime.feed().map(|f| f.with_monitor(|m| m.blast_radius())).unwrap_or_default();
            say!(
                "drill {} ended: down {}, impacted {}, entrypoints down {}",
                status.scenario,
                radius.down.len(),
                radius.impacted.len(),
                radius.entrypoints_down.len()
            );
            Ok(())
        }
    }
}
