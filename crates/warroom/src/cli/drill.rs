//! `warroom drill ...`: the built-in drills, headless.

use std::time::Duration;

use anyhow::{Result, bail};
use chrono::Utc;
use clap::Subcommand;
use warroom::ops::{self, Actor};
use warroom::rehearsal::Rehearsal;
use warroom::sources::drill::Scenario;
use warroom::store::Store;

use super::print;

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
        /// Record each health change on this incident's timeline.
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
    },
}

/// Whether the command needs the incident log.
pub fn needs_store(cmd: &DrillCommand) -> bool {
    matches!(cmd, DrillCommand::Run { incident: Some(_), .. })
}

pub fn run(cmd: DrillCommand, store: Option<&mut Store>, actor: &Actor) -> Result<()> {
    match cmd {
        DrillCommand::List { json } => {
            let scenarios = Scenario::built_in()?;
            if json {
                let rows: Vec<serde_json::Value> = scenarios
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "name": s.name, "title": s.title, "summary": s.summary,
                            "duration_secs": s.duration_secs, "peak_secs": s.peak_secs,
                        })
                    })
                    .collect();
                return print::json(&rows);
            }
            for s in scenarios {
                println!("{:<20} {}  ({} min)", s.name, s.title, (s.duration_secs / 60.0).round());
            }
            Ok(())
        }
        DrillCommand::Run { name, speed, seed, headless, incident } => {
            if !headless {
                bail!(
                    "the CLI plays drills headless only: add --headless, or open the window with `make run`"
                );
            }
            if !(speed.is_finite() && speed > 0.0) {
                bail!("--speed must be a positive number, got {speed}");
            }
            let mut target = match (store, incident) {
                (Some(store), Some(given)) => {
                    let id = store.find_incident(&given)?;
                    let recorder = ops::Recorder::attach(store, id)?;
                    Some((store, recorder))
                }
                _ => None,
            };
            let mut rehearsal = Rehearsal::start(&name, seed, speed, Utc::now())?;
            let scenario = rehearsal.scenario().clone();
            println!("drill {}: {} (speed ×{speed}, seed {seed})", scenario.name, scenario.title);
            let pause = Duration::from_secs_f64((scenario.tick_secs / speed).clamp(0.01, 1.0));
            let mut outage: Vec<String> = Vec::new();
            loop {
                let now = Utc::now();
                let t = rehearsal.scenario_time(now);
                let clock = format!("+{:02}:{:02}", (t / 60.0) as u64, (t % 60.0) as u64);
                let changes = rehearsal.step(now)?;
                for change in &changes.health {
                    println!(
                        "{clock}  {:<18} {} → {}  ({})",
                        change.node, change.from, change.to, change.reason
                    );
                }
                for alert in &changes.fired {
                    println!("{clock}  ALERT {} firing on {} ({})", alert.name, alert.node, alert.severity);
                }
                if let Some((store, recorder)) = target.as_mut() {
                    let actor = Actor { origin: "drill".to_owned(), by: actor.by.clone(), now };
                    recorder.record(store, &actor, &changes, rehearsal.monitor())?;
                }
                let radius = rehearsal.monitor().blast_radius();
                if radius.entrypoints_down != outage {
                    if radius.entrypoints_down.is_empty() {
                        println!("{clock}  OUTAGE OVER: every entrypoint serves again");
                    }
                    for id in radius.entrypoints_down.iter().filter(|id| !outage.contains(id)) {
                        let why = rehearsal
                            .monitor()
                            .topology()
                            .explain(&radius, id)
                            .unwrap_or_else(|| format!("{id} is down"));
                        println!("{clock}  OUTAGE: {why}");
                    }
                    outage = radius.entrypoints_down;
                }
                if rehearsal.finished(now) {
                    break;
                }
                std::thread::sleep(pause);
            }
            let radius = rehearsal.monitor().blast_radius();
            println!(
                "drill {} ended: down {}, impacted {}, entrypoints down {}",
                scenario.name,
                radius.down.len(),
                radius.impacted.len(),
                radius.entrypoints_down.len()
            );
            Ok(())
        }
    }
}
