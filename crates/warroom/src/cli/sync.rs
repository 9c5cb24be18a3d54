//! `warroom sync ...` and `warroom verify`: the team's hub from the command line, and the push
//! every writing command makes on its way out.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::Subcommand;
use warroom::config::Config;
use warroom::store::Store;
use warroom::sync::{self, GRANTS, Hub, SyncConfig, SyncStatus};

use super::print;

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Create (or migrate) the hub's schema, as the hub's admin, then print the SQL that lets
    /// responders read and append events but never change or delete them.
    InitHub,
    /// Push what the hub lacks and pull what the other laptops wrote, once; print what moved.
    Once {
        /// Print JSON {"hub","pushed","pushed_samples","pulled","pulled_samples","known","from","problems"}.
        #[arg(long)]
        json: bool,
    },
    /// Where sync stands: the hub, whether it answers, what waits to be pushed, who is there.
    Status {
        /// Print JSON {"hub","connected","pending_push","last_pull_at","devices":[{"device","person","last_seen"}]}.
        #[arg(long)]
        json: bool,
    },
}

/// How long a writing command waits for the hub on its way out before leaving its events to
/// the next sync.
const AFTER_WRITE: Duration = Duration::from_secs(4);

/// The `[sync]` of the configuration at `path`, if any. A configuration that cannot be read is
/// said on stderr and sync is skipped: what was typed is written to the log either way.
pub fn configured(path: Option<&Path>) -> Option<SyncConfig> {
    match Config::read(path?) {
        Ok(config) => config.sync,
        Err(e) => {
            say_err!("warroom: sync skipped, the configuration cannot be read: {e}");
            None
        }
    }
}

fn required(path: Option<&Path>) -> Result<SyncConfig> {
    let path = path.context("sync needs --config FILE (or WARROOM_CONFIG) with a [sync] table")?;
    Config::read(path)?.sync.with_context(|| {
        format!("{}: no [sync] table: add one with url = \"postgres://user@host:port/db\"", path.display())
    })
}

fn tokio() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

/// `warroom sync ...`.
pub fn run(cmd: SyncCommand, config: Option<&Path>, db: &Path, by: Option<&str>) -> Result<()> {
    let sync = required(config)?;
    let tokio = tokio()?;
    match cmd {
        SyncCommand::InitHub => {
            let applied = tokio.block_on(Hub::init(&sync))?;
            match applied.as_slice() {
                [] => say_err!("hub {}: schema up to date", sync.hub()),
                _ => say_err!("hub {}: schema migrations {applied:?} applied", sync.hub()),
            }
            print::text(GRANTS.strip_suffix('\n').unwrap_or(GRANTS));
            Ok(())
        }
        SyncCommand::Once { json } => {
            let log = Mutex::new(open(db, &sync)?);
            let incident = latest(&log);
            let once = tokio.block_on(sync::once(&sync, &log, by, "cli", incident.as_deref(), Utc::now()))?;
            let m = &once.moved;
            if json {
                print::json(&serde_json::json!({
                    "hub": sync.hub(),
                    "pushed": m.pushed,
                    "pushed_samples": m.pushed_samples,
                    "pulled": m.pulled,
                    "pulled_samples": m.pulled_samples,
                    "known": m.known,
                    "from": m.from,
                    "problems": m.problems,
                }))?;
            } else {
                let from: Vec<String> = m.from.iter().map(|(d, n)| format!("{n} from {d}")).collect();
                say!(
                    "hub {}: pushed {} event(s), {} sample(s); pulled {} event(s){}, {} sample(s)",
                    sync.hub(),
                    m.pushed,
                    m.pushed_samples,
                    m.pulled,
                    if from.is_empty() { String::new() } else { format!(" ({})", from.join(", ")) },
                    m.pulled_samples
                );
                for p in &m.problems {
                    say!("refused: {p}");
                }
            }
            if m.problems.is_empty() {
                Ok(())
            } else {
                bail!("{} event(s) refused: they break their chain", m.problems.len())
            }
        }
        SyncCommand::Status { json } => {
            let store = open(db, &sync)?;
            let known = store.last_hub()?;
            let mut status = SyncStatus::of_log(&sync, &store, known.as_deref())?;
            let log = Mutex::new(store);
            let reached = tokio.block_on(async {
                let hub = tokio::time::timeout(sync::CONNECT_TIMEOUT * 2, Hub::connect(&sync))
                    .await
                    .map_err(|_| sync::SyncError::Timeout)??;
                let devices = hub.devices().await?;
                Ok::<_, sync::SyncError>((hub.id, devices))
            });
            match reached {
                Ok((hub, devices)) => {
                    let store = lock(&log);
                    status = SyncStatus {
                        devices,
                        connected: true,
                        ..SyncStatus::of_log(&sync, &store, Some(&hub))?
                    };
                }
                Err(e) => status.error = Some(e.to_string()),
            }
            if json {
                print::json(&status)
            } else {
                print_status(&status);
                Ok(())
            }
        }
    }
}

fn print_status(s: &SyncStatus) {
    let state = if s.connected {
        "connected".to_owned()
    } else {
        format!("offline ({})", s.error.as_deref().unwrap_or("not reached"))
    };
    say!("hub {} as {}: {state}", s.hub, s.device);
    say!("{} event(s) wait to be pushed", s.pending_push);
    if let Some(at) = s.last_pull_at {
        say!("last pulled {}", warroom::time::to_db(at));
    }
    for d in &s.devices {
        say!(
            "device {} ({}): last seen {} ({:.0} s ago){}",
            d.device,
            d.person.as_deref().unwrap_or("nobody named"),
            warroom::time::to_db(d.last_seen),
            d.silent_secs,
            d.incident.as_deref().map(|i| format!(", on {i}")).unwrap_or_default()
        );
    }
    for p in &s.problems {
        say!("refused: {}", p.problem);
    }
}

fn lock(log: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    log.lock().unwrap_or_else(|p| p.into_inner())
}

/// The log at `db`, writing as the configured device.
pub fn open(db: &Path, sync: &SyncConfig) -> Result<Store> {
    let mut store = Store::open(db)?;
    store.set_device(&sync.device);
    Ok(store)
}

fn latest(log: &Mutex<Store>) -> Option<String> {
    lock(log).latest_active().ok().flatten().map(|id| id.to_string())
}

/// After a command wrote to the log: pushes (and pulls) once, waiting at most [`AFTER_WRITE`].
/// An unreachable hub is said on stderr, never an error: the events are durable here and wait
/// for the next sync.
pub fn after_write(db: &Path, sync: &SyncConfig, by: Option<&str>) {
    let pushed = (|| -> Result<()> {
        let log = Mutex::new(open(db, sync)?);
        let incident = latest(&log);
        let tokio = tokio()?;
        let once = sync::once(sync, &log, by, "cli", incident.as_deref(), Utc::now());
        tokio
            .block_on(async { tokio::time::timeout(AFTER_WRITE, once).await })
            .map_err(|_| sync::SyncError::Timeout)??;
        Ok(())
    })();
    if let Err(e) = pushed {
        let waiting = Store::open(db)
            .ok()
            .and_then(|s| s.last_hub().ok().flatten().map(|h| (s, h)))
            .and_then(|(s, h)| s.pending_push(&h).ok());
        match waiting {
            Some(n) => say_err!("warroom: sync: {e:#}; {n} event(s) wait here for the next sync"),
            None => say_err!("warroom: sync: {e:#}; the events wait here for the next sync"),
        }
    }
}

/// `warroom verify ID`.
pub fn verify(store: &Store, id: &str, json: bool) -> Result<()> {
    let id = store.find_incident(id)?;
    let (chains, mut problems) = store.verify(id)?;
    let refused = store.sync_problems(Some(&id.to_string()))?;
    problems.extend(refused.into_iter().map(|p| p.problem));
    let ok = problems.is_empty();
    if json {
        print::json(&serde_json::json!({
            "incident": id.to_string(),
            "ok": ok,
            "chains": chains,
            "problems": problems,
        }))?;
    } else {
        for c in &chains {
            say!("device {}: {} event(s), head {}", c.device, c.events, c.head);
        }
        for p in &problems {
            say!("problem: {p}");
        }
        if ok {
            say!("incident {id}: every chain holds");
        }
    }
    if ok { Ok(()) } else { bail!("incident {id}: {} event(s) do not match their chain", problems.len()) }
}
