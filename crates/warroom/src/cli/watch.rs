//! `warroom watch`: the war room's loop, headless. The runtime runs exactly as in the window
//! (live sources or a drill, health, blast radius, runbook checks, recording), and each change
//! is printed as it happens: a line of text, or with `--json` one JSON object per line.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::Args as ClapArgs;
use serde::Serialize;
use ulid::Ulid;
use warroom::config::Config;
use warroom::model::{Alert, Health};
use warroom::ops::Actor;
use warroom::runtime::{CheckOutcome, FeedStatus, Flow, Library, Runtime, SystemClock, Update, runbook_dirs};
use warroom::store::Store;
use warroom::topology::BlastRadius;

use super::print;

#[derive(Debug, ClapArgs)]
pub struct WatchArgs {
    /// Record on this incident what the window would: health changes, alerts, samples, topology
    /// snapshots, runbook check outcomes.
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Play this built-in drill instead of polling the configured sources.
    #[arg(long, value_name = "NAME")]
    pub drill: Option<String>,
    /// With --drill: how many times faster than real time.
    #[arg(long, default_value_t = 1.0, requires = "drill")]
    pub speed: f64,
    /// With --drill: the seed of the simulated noise (the same seed gives the same drill).
    #[arg(long, default_value_t = 1, requires = "drill")]
    pub seed: u64,
    /// Stop once the incident is resolved (by anyone: the window, another terminal).
    #[arg(long, requires = "incident", conflicts_with = "for_secs")]
    pub until_resolved: bool,
    /// Stop after this many seconds.
    #[arg(long = "for", value_name = "SECS")]
    pub for_secs: Option<f64>,
    /// One JSON object per change and line: {"at","change":"health"|"alert_fired"|"alert_resolved"|"outage"|"check"|"recorded"|"notification"|"finished", ...}.
    #[arg(long)]
    pub json: bool,
}

/// One change, as `--json` prints it.
#[derive(Debug, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
enum Change<'a> {
    Health {
        at: DateTime<Utc>,
        node: &'a str,
        from: Health,
        to: Health,
        reason: &'a str,
    },
    AlertFired {
        at: DateTime<Utc>,
        name: &'a str,
        node: &'a str,
        severity: &'a str,
        summary: &'a str,
    },
    AlertResolved {
        at: DateTime<Utc>,
        name: &'a str,
        node: &'a str,
    },
    Outage {
        at: DateTime<Utc>,
        entrypoints_down: &'a [String],
        blast: &'a BlastRadius,
    },
    Check {
        at: DateTime<Utc>,
        #[serde(flatten)]
        outcome: &'a CheckOutcome,
    },
    Recorded {
        at: DateTime<Utc>,
        incident: Ulid,
        events: usize,
    },
    Notification {
        at: DateTime<Utc>,
        title: &'a str,
        body: &'a str,
    },
    Finished {
        at: DateTime<Utc>,
    },
}

/// How a watch prints and when it stops.
pub struct Watch {
    pub json: bool,
    pub incident: Option<Ulid>,
    pub until_resolved: bool,
    pub for_secs: Option<f64>,
    /// Stop when the drill has played to its end.
    pub stop_when_finished: bool,
    /// Who runs it (recording started and stopped are theirs).
    pub by: Option<String>,
}

/// `warroom watch ...`.
pub fn run(args: WatchArgs, config: Option<&Path>, db: &Path, by: Option<String>) -> Result<()> {
    if args.drill.is_none() && config.is_none() {
        bail!("watch needs --drill NAME, or --config FILE (or WARROOM_CONFIG) for live sources");
    }
    if let Some(secs) = args.for_secs
        && !(secs.is_finite() && secs > 0.0)
    {
        bail!("--for must be a positive number of seconds, got {secs}");
    }
    // A drill reads the configuration only for the team's hub and the stakeholder updates: one
    // that cannot be read is said, and the drill plays all the same.
    let (config, extras) = match config {
        Some(path) if args.drill.is_none() => {
            let config = Config::read(path)?;
            (Some(config.clone()), Some(config))
        }
        Some(path) => match Config::read(path) {
            Ok(c) => (None, Some(c)),
            Err(e) => {
                say_err!("warroom: the configuration cannot be read ({e}); no sync, no updates");
                (None, None)
            }
        },
        None => (None, None),
    };
    let hub = extras.as_ref().and_then(|c| c.sync.clone());
    let runtime = runtime(db, config.as_ref(), hub.as_ref().map(|h| h.device.as_str()))?;
    runtime.use_sync(hub, by.clone(), "watch");
    if let Some(c) = &extras {
        runtime.use_extras(c);
    }
    let incident = args.incident.as_deref().map(|id| runtime.log().find_incident(id)).transpose()?;
    let actor = Actor { origin: "cli".to_owned(), by: by.clone(), now: Utc::now() };
    match (&args.drill, config) {
        (Some(name), _) => {
            runtime.start_drill(name, args.seed, args.speed, &actor, incident)?;
        }
        (None, Some(config)) => {
            runtime.use_config(config)?;
            runtime.record_on(incident, &actor)?;
        }
        (None, None) => bail!("watch needs --drill NAME or --config FILE"),
    }
    let watch = Watch {
        json: args.json,
        incident,
        until_resolved: args.until_resolved,
        for_secs: args.for_secs,
        stop_when_finished: args.drill.is_some() && !args.until_resolved,
        by,
    };
    watch.run(&runtime)
}

/// A runtime over the log at `db` with the runbooks known (built in, `WARROOM_RUNBOOKS`, the
/// configuration's); runbook files that do not parse are said on stderr and left out.
pub fn runtime(db: &Path, config: Option<&Config>, device: Option<&str>) -> Result<Runtime> {
    let mut store = Store::open(db)?;
    if let Some(device) = device {
        store.set_device(device);
    }
    Ok(Runtime::new(store, library(config)))
}

/// The runbooks known to the CLI, as to the window.
pub fn library(config: Option<&Config>) -> Library {
    let env = std::env::var_os("WARROOM_RUNBOOKS");
    let (library, problems) = Library::load(&runbook_dirs(env.as_deref(), config));
    for p in problems {
        say_err!("warroom: runbook left out: {p}");
    }
    library
}

impl Watch {
    /// Runs the runtime until a stop condition holds, printing each change.
    pub fn run(&self, runtime: &Runtime) -> Result<()> {
        let tokio = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let mut outage: Vec<String> = Vec::new();
        let mut failure: Option<anyhow::Error> = None;
        tokio.block_on(async {
            let looping = runtime.run(&SystemClock, |update| match update {
                Ok(update) => {
                    match self.print(runtime, &update, &mut outage).and_then(|()| self.stop(runtime, &update))
                    {
                        Ok(true) => Flow::Stop,
                        Ok(false) => Flow::Continue,
                        Err(e) => {
                            failure = Some(e);
                            Flow::Stop
                        }
                    }
                }
                Err(e) => {
                    say_err!("warroom: {e}");
                    Flow::Continue
                }
            });
            match self.for_secs {
                Some(secs) => {
                    let _ = tokio::time::timeout(Duration::from_secs_f64(secs), looping).await;
                }
                None => looping.await,
            }
        });
        // The watch is over: so is its recording, and the timeline says so (and the hub hears it).
        if self.incident.is_some() {
            let actor = Actor { origin: "cli".to_owned(), by: self.by.clone(), now: Utc::now() };
            runtime.record_on(None, &actor)?;
        }
        let last = tokio.block_on(async {
            tokio::time::timeout(Duration::from_secs(4), runtime.sync_now(Utc::now())).await
        });
        match last {
            Ok(None | Some(Ok(_))) => {}
            Ok(Some(Err(e))) => say_err!("warroom: sync: {e}; the events wait here for the next sync"),
            Err(_) => {
                say_err!("warroom: sync: the hub did not answer; the events wait here for the next sync")
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// Whether to stop after this update.
    fn stop(&self, runtime: &Runtime, update: &Update) -> Result<bool> {
        if self.stop_when_finished && update.finished {
            return Ok(true);
        }
        match (self.until_resolved, self.incident) {
            (true, Some(id)) => Ok(runtime.log().is_resolved(id)?),
            _ => Ok(false),
        }
    }

    fn print(&self, runtime: &Runtime, update: &Update, outage: &mut Vec<String>) -> Result<()> {
        let at = update.at;
        let clock = clock(runtime, at);
        let mut changes: Vec<Change> = Vec::new();
        for c in &update.health {
            changes.push(Change::Health { at, node: &c.node, from: c.from, to: c.to, reason: &c.reason });
        }
        for a in &update.fired {
            changes.push(fired(at, a));
        }
        for a in &update.resolved {
            changes.push(Change::AlertResolved { at, name: &a.name, node: &a.node });
        }
        let blast = update.blast.as_ref();
        if let Some(blast) = blast.filter(|b| b.entrypoints_down != *outage) {
            changes.push(Change::Outage { at, entrypoints_down: &blast.entrypoints_down, blast });
        }
        for outcome in &update.checks {
            changes.push(Change::Check { at, outcome });
        }
        if let (Some(incident), false) = (self.incident, update.events.is_empty()) {
            changes.push(Change::Recorded { at, incident, events: update.events.len() });
        }
        if let Some(n) = &update.notification {
            changes.push(Change::Notification { at, title: &n.title, body: &n.body });
        }
        if update.finished && self.stop_when_finished {
            changes.push(Change::Finished { at });
        }
        for change in &changes {
            if self.json {
                print::json_line(change).context("cannot print a change as JSON")?;
            } else {
                self.text(runtime, &clock, change, outage);
            }
        }
        if let Some(blast) = blast {
            outage.clone_from(&blast.entrypoints_down);
        }
        Ok(())
    }

    fn text(&self, runtime: &Runtime, clock: &str, change: &Change, outage: &[String]) {
        match change {
            Change::Health { node, from, to, reason, .. } => {
                say!("{clock}  {node:<18} {from} → {to}  ({reason})");
            }
            Change::AlertFired { name, node, severity, .. } => {
                say!("{clock}  ALERT {name} firing on {node} ({severity})");
            }
            Change::AlertResolved { name, node, .. } => say!("{clock}  ALERT {name} on {node} resolved"),
            Change::Outage { entrypoints_down, blast, .. } => {
                if entrypoints_down.is_empty() {
                    say!("{clock}  OUTAGE OVER: every entrypoint serves again");
                }
                for id in entrypoints_down.iter().filter(|id| !outage.contains(id)) {
                    let why = runtime
                        .feed()
                        .and_then(|f| f.with_monitor(|m| m.topology().explain(blast, id)))
                        .unwrap_or_else(|| format!("{id} is down"));
                    say!("{clock}  OUTAGE: {why}");
                }
            }
            Change::Check { outcome, .. } => {
                let passed = match outcome.passed {
                    Some(true) => "passed",
                    Some(false) => "FAILED",
                    None => "not evaluable",
                };
                say!("{clock}  CHECK {}/{} {passed}: {}", outcome.runbook, outcome.step, outcome.observed);
            }
            Change::Recorded { .. } | Change::Finished { .. } => {}
            Change::Notification { title, body, .. } => say!("{clock}  NOTIFY {title}: {body}"),
        }
    }
}

fn fired(at: DateTime<Utc>, a: &Alert) -> Change<'_> {
    Change::AlertFired { at, name: &a.name, node: &a.node, severity: &a.severity, summary: &a.summary }
}

/// The time a line is stamped with: a drill's scenario clock (+MM:SS), else the wall clock.
fn clock(runtime: &Runtime, at: DateTime<Utc>) -> String {
    match runtime.feed().map(|f| f.status(at)) {
        Some(FeedStatus::Drill(d)) => {
            // To the nearest second: the wall clock's rounding must not show 05:59 for 06:00.
            let t = d.scenario_secs.round() as u64;
            format!("+{:02}:{:02}", t / 60, t % 60)
        }
        _ => at.format("%H:%M:%S").to_string(),
    }
}
