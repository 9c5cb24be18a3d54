//! The war-room runtime: one loop that the window, `warroom watch` and the tests all drive.
//!
//! Each cycle polls the feed (a drill, or the configured sources), re-evaluates health and the
//! blast radius, decides which desktop notification to show, evaluates the attached runbooks'
//! checks, remembers the alerts seen, records what changed on the incident being recorded, and
//! returns an [`Update`]: a typed account of what changed. Time comes in as an argument
//! ([`Runtime::cycle`] takes `now`; [`Runtime::run`] takes a [`Clock`]), so tests drive it with
//! a clock they move by hand.
//!
//! A [`Runtime`] is a handle: cloning shares it. Everything in it can be read at any moment
//! (the window's commands answer at once with what the runtime has, with its age): no lock is
//! held while a source answers over the network. Locks are taken one at a time, except that
//! recording reads the feed's monitor while holding the runtime's own state.

mod changes;
mod checking;
mod clock;
mod cycle;
mod feed;
mod incident;
mod library;
mod pace;
mod sync;
mod update;
mod updates;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::{DateTime, Utc};
use ulid::Ulid;

pub use changes::{CHANGES_LOOK, ChangeSourceStatus};
pub use checking::CheckOutcome;
pub use clock::{Clock, SteppedClock, SystemClock};
pub use feed::{DrillStatus, Feed, FeedStatus, MAX_SPEED};
pub use library::{Library, RunbookView, SUGGESTIONS, Suggestion};
pub use pace::Flow;
pub use sync::BACKOFF_MAX;
pub use update::{Broadcast, NotificationStatus, Shown, Situation, Update, WhatIf};
pub use updates::{ChannelInfo, UpdateInfo, UpdatePanel};

use crate::config::Config;
use crate::health::Thresholds;
use crate::live::LiveError;
use crate::monitor::{Chart, GraphView};
use crate::notify::Notifier;
use crate::ops::{self, Actor, OpsError, Recorder};
use crate::rehearsal::{RehearsalError, reference_topology};
use crate::store::{Store, StoreError};
use crate::topology::TopologyError;

/// Why the runtime could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    #[error(transparent)]
    Drill(#[from] RehearsalError),
    #[error("{0}")]
    Live(#[from] LiveError),
    #[error("speed must be above 0 and at most {MAX_SPEED}, not {0}")]
    InvalidSpeed(f64),
    #[error("no drill is running: start one first")]
    NoDrill,
    #[error("users see no outage now: every entrypoint serves")]
    NoOutage,
    #[error("no runbook '{0}' (see `warroom runbook list`)")]
    UnknownRunbook(String),
    #[error("runbook '{runbook}' has no step '{step}' (see `warroom runbook show {runbook}`)")]
    UnknownStep { runbook: String, step: String },
    #[error("the built-in topology is broken: {0}")]
    Topology(#[from] TopologyError),
    #[error("cannot draw a chart: {0}")]
    Chart(#[from] crate::chart::ChartError),
    #[error("no sources are configured: start warroom with a configuration (WARROOM_CONFIG or --config)")]
    NoSources,
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("no channel named '{0}': the configuration's [[channel]] entries name them")]
    UnknownChannel(String),
    #[error(transparent)]
    Template(#[from] crate::updates::TemplateError),
    #[error(transparent)]
    Ops(#[from] OpsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RuntimeError {
    /// A stable code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            RuntimeError::Drill(e) => e.code(),
            RuntimeError::Live(e) => e.code(),
            RuntimeError::InvalidSpeed(_) => "invalid_input",
            RuntimeError::NoDrill => "no_drill",
            RuntimeError::NoOutage => "no_outage",
            RuntimeError::UnknownRunbook(_) => "unknown_runbook",
            RuntimeError::UnknownStep { .. } => "unknown_step",
            RuntimeError::Topology(_) => "topology",
            RuntimeError::Chart(_) => "chart",
            RuntimeError::NoSources => "no_sources",
            RuntimeError::Config(_) => "config",
            RuntimeError::UnknownChannel(_) => "unknown_channel",
            RuntimeError::Template(_) => "template",
            RuntimeError::Ops(e) => e.code(),
            RuntimeError::Store(e) => e.code(),
        }
    }
}

/// The war room's loop and everything it holds. Cloning shares it.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    log: Mutex<Store>,
    feed: RwLock<Option<Arc<Feed>>>,
    library: Arc<Library>,
    state: Mutex<State>,
    /// Wakes the loop when the feed changed (a drill started, a configuration put in use).
    wake: tokio::sync::Notify,
    /// Asks the loop to tell its caller at once that the log moved or sync changed.
    poke: tokio::sync::Notify,
    /// Wakes the sync loop when its setup changed.
    sync_wake: tokio::sync::Notify,
    /// Wakes the outbox when an update was queued.
    outbox_wake: tokio::sync::Notify,
    /// Wakes the change sources' loop when an incident was declared or the sources changed.
    changes_wake: tokio::sync::Notify,
}

/// What the runtime keeps between cycles.
#[derive(Default)]
struct State {
    recorder: Option<Recorder>,
    notifier: Notifier,
    last_shown: Option<Shown>,
    /// The checks due, as of the log's last sequence number and the incident recorded on when
    /// they were read.
    checks: Option<(i64, Option<Ulid>, Vec<checking::Pending>)>,
    /// What the checks have seen (recorded or not).
    seen: checking::Seen,
    /// The alerts last remembered in the log, and when.
    remembered: Option<(DateTime<Utc>, BTreeSet<String>)>,
    /// The log's last sequence number as of the last cycle: a change is someone else's write.
    seq: i64,
    /// Since when an entrypoint has been down or impacted, while one is.
    outage_since: Option<DateTime<Utc>>,
    /// The hub synced with, if any, and where that stands.
    sync: Option<sync::SyncSetup>,
    sync_status: Option<crate::sync::SyncStatus>,
    /// The sync status changed since the loop last told its caller.
    sync_changed: bool,
    /// Where stakeholder updates go, and how often they are due.
    updates: updates::UpdatesSetup,
    /// The update reminders already shown.
    reminded: updates::Reminded,
    /// Where changes are found, and what each source said last.
    changes: changes::ChangesSetup,
    change_status: changes::ChangeStatus,
    /// What the ranking of changes last read of an incident, taken on at the next ask.
    changes_read: Option<changes::ChangesRead>,
    /// The drill's scripted changes already written, by incident and key.
    drill_changes: BTreeSet<(Ulid, String)>,
}

/// How often the alerts firing are remembered again when nothing about them changed.
const REMEMBER_EVERY: chrono::Duration = chrono::Duration::seconds(30);

impl Runtime {
    /// A runtime over this log and these runbooks, with nothing feeding it yet.
    pub fn new(log: Store, library: Library) -> Runtime {
        let seq = log.last_seq().unwrap_or(0);
        Runtime {
            inner: Arc::new(Inner {
                log: Mutex::new(log),
                feed: RwLock::new(None),
                library: Arc::new(library),
                state: Mutex::new(State { seq, ..State::default() }),
                wake: tokio::sync::Notify::new(),
                poke: tokio::sync::Notify::new(),
                sync_wake: tokio::sync::Notify::new(),
                outbox_wake: tokio::sync::Notify::new(),
                changes_wake: tokio::sync::Notify::new(),
            }),
        }
    }

    /// The log, locked for as long as the guard lives. A writer that panicked left no
    /// half-written transaction behind (SQLite rolls it back), so a poisoned lock is taken over.
    pub fn log(&self) -> MutexGuard<'_, Store> {
        self.inner.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The runbooks known.
    pub fn library(&self) -> &Arc<Library> {
        &self.inner.library
    }

    /// What feeds the runtime now, if anything.
    pub fn feed(&self) -> Option<Arc<Feed>> {
        self.inner.feed.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replaces what feeds the runtime (`None`: nothing). The incident being recorded gets a new
    /// snapshot of the topology at the next cycle with data: replay draws it from then on.
    pub fn set_feed(&self, feed: Option<Feed>) {
        *self.inner.feed.write().unwrap_or_else(|p| p.into_inner()) = feed.map(Arc::new);
        if let Some(recorder) = self.state().recorder.as_mut() {
            recorder.resnapshot();
        }
        self.inner.wake.notify_one();
    }

    /// Starts a drill at the actor's `now` (replacing what fed the runtime), recording it on
    /// `incident` (or on none) from its first tick.
    ///
    /// # Errors
    /// [`RuntimeError::Drill`] for an unknown scenario, [`RuntimeError::InvalidSpeed`], the
    /// store's error for an unknown incident; nothing changes then.
    pub fn start_drill(
        &self,
        scenario: &str,
        seed: u64,
        speed: f64,
        actor: &Actor,
        incident: Option<Ulid>,
    ) -> Result<DrillStatus, RuntimeError> {
        let feed = feed::drill(scenario, seed, speed, actor.now)?;
        let FeedStatus::Drill(status) = feed.status(actor.now) else { return Err(RuntimeError::NoDrill) };
        match incident {
            // Recording on goes on; the log says what it records from now on.
            Some(id) if self.recording() == Some(id) => {
                let started = crate::model::EventKind::RecordingStarted { feed: feed.describe() };
                ops::record_on_log(&mut self.log(), actor, id, started)?;
            }
            _ => self.begin_recording(incident, &feed.describe(), actor)?,
        }
        self.set_feed(Some(feed));
        Ok(status)
    }

    /// Stops the drill, if one runs; live sources are left alone.
    pub fn stop_drill(&self) {
        if self.feed().is_some_and(|f| f.started().is_some()) {
            self.set_feed(None);
        }
    }

    /// Puts a configuration's sources in use (replacing a drill or earlier sources).
    ///
    /// # Errors
    /// [`RuntimeError::Live`] naming what is wrong; what fed the runtime is left as it was.
    pub fn use_config(&self, config: Config) -> Result<(), RuntimeError> {
        let feed = feed::live(config)?;
        self.set_feed(Some(feed));
        Ok(())
    }

    /// Checks an edited configuration as a start would (syntax, keys, topology, secrets); only
    /// if it holds is it written (atomically, the previous file kept as `.bak`) and its sources
    /// put in use at once. A refused edit changes nothing and says which line is wrong.
    ///
    /// # Errors
    /// [`RuntimeError::Config`] or [`RuntimeError::Live`] naming what is wrong.
    pub fn save_config(
        &self,
        path: &std::path::Path,
        text: &str,
    ) -> Result<crate::config::ConfigText, RuntimeError> {
        let config = Config::parse(path, text)?;
        let sync = config.sync.clone();
        let extras = config.clone();
        let feed = feed::live(config)?;
        crate::config::write(path, text)?;
        self.set_feed(Some(feed));
        self.resync(sync);
        self.use_extras(&extras);
        Ok(crate::config::ConfigText { path: path.display().to_string(), text: text.to_owned() })
    }

    /// Puts to use what a configuration says besides its sources and hub: where stakeholder
    /// updates go and how often (`[[channel]]`, `[cadence]`, `templates`), where changes are
    /// found (`[[changes]]`, `change_lookback_minutes`).
    pub fn use_extras(&self, c: &Config) {
        self.use_updates(c.channels.clone(), c.cadence, c.templates.clone());
        self.use_changes(c.changes.clone(), c.change_lookback, c.sources.clone());
    }

    /// Tries one request to a configured source, now.
    ///
    /// # Errors
    /// [`RuntimeError::NoSources`] when no sources are in use.
    pub async fn test_source(&self, name: &str) -> Result<crate::live::SourceTest, RuntimeError> {
        let feed = self.feed().filter(|f| f.live().is_some()).ok_or(RuntimeError::NoSources)?;
        match feed.live() {
            Some(live) => Ok(live.test_source(name).await),
            None => Err(RuntimeError::NoSources),
        }
    }

    /// The configuration of the live sources in use, if any.
    pub fn config(&self) -> Option<Arc<Config>> {
        self.feed().and_then(|f| f.config().cloned())
    }

    /// Records what the feed says on incident `id` from now on (or on none): recording stops on
    /// the incident recorded before and starts on this one, each an event on its timeline.
    ///
    /// # Errors
    /// [`OpsError::AlreadyResolved`] for a resolved incident (nothing is recorded on one), the
    /// store's error (an unknown incident); nothing changes then.
    pub fn record_on(&self, id: Option<Ulid>, actor: &Actor) -> Result<(), RuntimeError> {
        let feed = self.feed().map_or_else(|| "nothing yet".to_owned(), |f| f.describe());
        self.begin_recording(id, &feed, actor)
    }

    /// Switches recording to `id`, writing when it stopped and started and on what feed.
    fn begin_recording(&self, id: Option<Ulid>, feed: &str, actor: &Actor) -> Result<(), RuntimeError> {
        let current = self.recording();
        if current == id {
            return Ok(());
        }
        let mut log = self.log();
        let recorder = match id {
            Some(id) => {
                if log.is_resolved(id)? {
                    return Err(OpsError::AlreadyResolved.into());
                }
                Some(Recorder::attach(&log, id)?)
            }
            None => None,
        };
        if let Some(previous) = current
            && !log.is_resolved(previous)?
        {
            ops::record_on_log(&mut log, actor, previous, crate::model::EventKind::RecordingStopped)?;
        }
        if let Some(id) = id {
            ops::record_on_log(
                &mut log,
                actor,
                id,
                crate::model::EventKind::RecordingStarted { feed: feed.to_owned() },
            )?;
        }
        drop(log);
        self.state().recorder = recorder;
        Ok(())
    }

    /// The incident being recorded on, if any.
    pub fn recording(&self) -> Option<Ulid> {
        self.state().recorder.as_ref().map(Recorder::incident)
    }

    /// What the window shows of the feed as of `now`: its status, the graph, what is recorded,
    /// the notifications. Answers at once from what the last cycle left.
    pub fn situation(&self, now: DateTime<Utc>) -> Situation {
        let feed = self.feed();
        let (status, view) = match &feed {
            Some(f) => (f.status(now), Some(f.with_monitor(|m| m.view(now)))),
            None => (FeedStatus::None, None),
        };
        let state = self.state();
        Situation {
            at: now,
            feed: status,
            view,
            recording: state.recorder.as_ref().map(Recorder::incident),
            outage_since: state.outage_since,
            notifications: NotificationStatus {
                muted: state.notifier.muted(),
                last: state.last_shown.clone(),
            },
            sync: state.sync_status.clone(),
        }
    }

    /// The graph as of `now`, if anything feeds the runtime.
    pub fn view(&self, now: DateTime<Utc>) -> Option<GraphView> {
        self.feed().map(|f| f.with_monitor(|m| m.view(now)))
    }

    /// Charts of one node's signals over the last half hour, from what the monitor holds, with
    /// the node's changes recorded on the incident being recorded on marked.
    ///
    /// # Errors
    /// [`RuntimeError::Chart`] if one cannot be drawn.
    pub fn charts(&self, node: &str) -> Result<Vec<Chart>, RuntimeError> {
        let Some(feed) = self.feed() else { return Ok(Vec::new()) };
        let marks: Vec<(DateTime<Utc>, String)> = match self.recording() {
            Some(id) => crate::changes::recorded(&self.log().events_of_kind(id, crate::changes::SEEN)?)
                .iter()
                .filter(|c| c.node == node)
                .map(crate::model::Change::chart_mark)
                .collect(),
            None => Vec::new(),
        };
        Ok(feed.with_monitor(|m| m.charts(node, &marks))?)
    }

    /// What would break if these nodes failed, on the topology watched (the built-in one when
    /// nothing feeds the runtime).
    ///
    /// # Errors
    /// [`RuntimeError::Topology`] only if the built-in topology is broken.
    pub fn what_if(&self, failed: &[String]) -> Result<WhatIf, RuntimeError> {
        let hypothesis = |topology: &crate::topology::Topology| {
            let blast = topology.what_if(failed);
            let outage = topology
                .outage(&blast, |id| failed.iter().any(|f| f == id).then(|| "what if it failed".to_owned()));
            WhatIf { blast, outage }
        };
        match self.feed() {
            Some(f) => Ok(f.with_monitor(|m| hypothesis(m.topology()))),
            None => Ok(hypothesis(&reference_topology()?)),
        }
    }

    /// The thresholds health is judged by (and charts draw): the feed's, else the defaults.
    pub fn thresholds(&self) -> Thresholds {
        self.feed().map(|f| f.with_monitor(|m| m.thresholds().clone())).unwrap_or_default()
    }

    /// Mutes (or unmutes) desktop notifications; everything still goes on the timeline.
    pub fn mute(&self, muted: bool) -> NotificationStatus {
        let mut state = self.state();
        state.notifier.set_muted(muted);
        NotificationStatus { muted, last: state.last_shown.clone() }
    }
}

/// The folders of runbooks to load besides the built-in ones: those `WARROOM_RUNBOOKS` names
/// (`env`, a list as `PATH` is), then the configuration's `runbooks` (relative to its file).
pub fn runbook_dirs(env: Option<&std::ffi::OsStr>, config: Option<&Config>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = env.map(|v| std::env::split_paths(v).collect()).unwrap_or_default();
    dirs.retain(|d| !d.as_os_str().is_empty());
    if let Some(config) = config {
        dirs.extend(config.runbooks.iter().cloned());
    }
    dirs
}

#[cfg(test)]
mod tests;
