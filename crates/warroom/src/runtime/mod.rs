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

mod checking;
mod clock;
mod feed;
mod library;
mod pace;
mod update;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::{DateTime, Utc};
use ulid::Ulid;

pub use checking::CheckOutcome;
pub use clock::{Clock, SteppedClock, SystemClock};
pub use feed::{DrillStatus, Feed, FeedStatus, MAX_SPEED};
pub use library::{Library, RunbookView, SUGGESTIONS, Suggestion};
pub use pace::Flow;
pub use update::{Broadcast, NotificationStatus, Shown, Situation, Update, WhatIf};

use crate::config::{Config, Hysteresis};
use crate::health::Thresholds;
use crate::live::LiveError;
use crate::model::Event;
use crate::monitor::{Changes, Chart, GraphView};
use crate::notify::{Notification, Notifier};
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
        self.begin_recording(incident, &feed.describe(), actor)?;
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
        let feed = feed::live(config)?;
        crate::config::write(path, text)?;
        self.set_feed(Some(feed));
        Ok(crate::config::ConfigText { path: path.display().to_string(), text: text.to_owned() })
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
        }
    }

    /// The graph as of `now`, if anything feeds the runtime.
    pub fn view(&self, now: DateTime<Utc>) -> Option<GraphView> {
        self.feed().map(|f| f.with_monitor(|m| m.view(now)))
    }

    /// Charts of one node's signals over the last half hour, from what the monitor holds.
    ///
    /// # Errors
    /// [`RuntimeError::Chart`] if one cannot be drawn.
    pub fn charts(&self, node: &str) -> Result<Vec<Chart>, RuntimeError> {
        match self.feed() {
            Some(f) => Ok(f.with_monitor(|m| m.charts(node))?),
            None => Ok(Vec::new()),
        }
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

    /// Declares an incident. With live sources and nothing recorded yet, the war room records
    /// on it at once (what the sources say is what the incident is about); a drill is practice,
    /// recorded only when asked.
    ///
    /// # Errors
    /// The refusal of [`ops::declare`], the store's error.
    pub fn declare(
        &self,
        actor: &Actor,
        declaration: ops::Declaration,
    ) -> Result<crate::model::Incident, RuntimeError> {
        let incident = ops::declare(&mut self.log(), actor, declaration)?;
        if self.recording().is_none() && self.feed().is_some_and(|f| f.live().is_some()) {
            self.record_on(Some(incident.id), actor)?;
        }
        Ok(incident)
    }

    /// Declares an incident from the outage users see now, as drafted (title, SEV1, the
    /// affected nodes), records on it from now on, and notes when the impact started
    /// (`#impact-start`, dated then) and what is affected.
    ///
    /// # Errors
    /// [`RuntimeError::NoOutage`] when every entrypoint serves; the store's error.
    pub fn declare_from_outage(&self, actor: &Actor) -> Result<crate::model::Incident, RuntimeError> {
        let view = self.view(actor.now).ok_or(RuntimeError::NoOutage)?;
        let outage = view.outage.ok_or(RuntimeError::NoOutage)?;
        let since = self.state().outage_since;
        let declaration = ops::Declaration {
            title: outage.draft.title.clone(),
            severity: outage.draft.severity,
            commander: actor.by.clone(),
            at: None,
        };
        let incident = ops::declare(&mut self.log(), actor, declaration)?;
        let mut affected: Vec<String> = Vec::new();
        for e in &outage.entrypoints {
            let causes: Vec<String> = e
                .paths
                .iter()
                .filter_map(|p| p.last())
                .map(|h| {
                    format!(
                        "{} {}{}",
                        h.name,
                        state_word(h.state),
                        h.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
                    )
                })
                .collect();
            affected.push(format!(
                "{} {}: {}",
                e.entrypoint.name,
                state_word(e.entrypoint.state),
                causes.join("; ")
            ));
        }
        let text = format!("#impact-start Users see an outage. {}", affected.join(". "));
        ops::add_note(&mut self.log(), actor, incident.id, &text, since.filter(|s| *s < actor.now))?;
        self.record_on(Some(incident.id), actor)?;
        Ok(self.log().incident(incident.id)?)
    }

    /// The thresholds health is judged by (and charts draw): the feed's, else the defaults.
    pub fn thresholds(&self) -> Thresholds {
        self.feed().map(|f| f.with_monitor(|m| m.thresholds().clone())).unwrap_or_default()
    }

    /// Runbooks that fit what is failing now, for the incident `id` (none already attached).
    ///
    /// # Errors
    /// The store's error (an unknown incident).
    pub fn suggest(&self, id: Ulid, now: DateTime<Utc>) -> Result<Vec<Suggestion>, RuntimeError> {
        let incident = self.log().incident(id)?;
        Ok(match self.view(now) {
            Some(view) => self.library().suggest(&incident, &view),
            None => Vec::new(),
        })
    }

    /// Attaches a known runbook to incident `id` (for a node when given).
    ///
    /// # Errors
    /// [`RuntimeError::UnknownRunbook`], or the refusal of [`ops::attach_runbook`].
    pub fn attach_runbook(
        &self,
        actor: &Actor,
        id: Ulid,
        runbook: &str,
        node: Option<String>,
    ) -> Result<Event, RuntimeError> {
        self.library().attach(&mut self.log(), actor, id, runbook, node)
    }

    /// Marks a step of an attached runbook done or not done.
    ///
    /// # Errors
    /// [`RuntimeError::UnknownRunbook`], [`RuntimeError::UnknownStep`], or the refusal of
    /// [`ops::check_step`].
    pub fn check_step(
        &self,
        actor: &Actor,
        id: Ulid,
        runbook: &str,
        step: &str,
        done: bool,
    ) -> Result<Event, RuntimeError> {
        self.library().check_step(&mut self.log(), actor, id, runbook, step, done)
    }

    /// Enters a stage, recording the runbook steps (`runbook/step`) left undone on purpose with
    /// their texts.
    ///
    /// # Errors
    /// The refusal of [`ops::enter_stage_skipping`] (already in that stage, unknown incident).
    pub fn enter_stage(
        &self,
        actor: &Actor,
        id: Ulid,
        stage: crate::model::Stage,
        skipped: Vec<String>,
    ) -> Result<Event, RuntimeError> {
        let skipped = skipped
            .into_iter()
            .map(|step| {
                let text = step
                    .split_once('/')
                    .and_then(|(runbook, id)| self.library().get(runbook)?.step(id).map(|s| s.text.clone()))
                    .unwrap_or_default();
                ops::Skipped { step, text }
            })
            .collect();
        Ok(ops::enter_stage_skipping(&mut self.log(), actor, id, stage, skipped)?)
    }

    /// The runbooks attached to incident `id`, as a responder sees them.
    ///
    /// # Errors
    /// The store's error (an unknown incident).
    pub fn runbooks_of(&self, id: Ulid) -> Result<Vec<RunbookView>, RuntimeError> {
        let incident = self.log().incident(id)?;
        let mut views = self.library().views(&incident);
        let state = self.state();
        for view in &mut views {
            for ((incident, runbook, step), mark) in &state.seen.latest {
                if *incident == id && *runbook == view.runbook.id {
                    view.live.insert(step.clone(), mark.clone());
                }
            }
        }
        Ok(views)
    }

    /// Mutes (or unmutes) desktop notifications; everything still goes on the timeline.
    pub fn mute(&self, muted: bool) -> NotificationStatus {
        let mut state = self.state();
        state.notifier.set_muted(muted);
        NotificationStatus { muted, last: state.last_shown.clone() }
    }

    /// One cycle as of `now`: poll, health, blast radius, notification, checks, alerts seen,
    /// recording. Returns what changed.
    ///
    /// # Errors
    /// [`RuntimeError::Drill`] if the drill cannot be stepped, the store's error if the log
    /// cannot be written (nothing of this cycle's recording is written then).
    pub async fn cycle(&self, now: DateTime<Utc>) -> Result<Update, RuntimeError> {
        match self.feed() {
            Some(feed) => self.cycle_with(&feed, now).await,
            None => Ok(Update { at: now, log_changed: self.log_moved()?, ..Update::default() }),
        }
    }

    /// [`Runtime::cycle`] on this feed (the loop's, even if it was replaced meanwhile).
    async fn cycle_with(&self, feed: &Feed, now: DateTime<Utc>) -> Result<Update, RuntimeError> {
        let changes = feed.poll(now).await?;
        let (blast, firing) = feed.with_monitor(|m| (m.blast_radius(), m.firing_alerts()));
        {
            // Since when users see it: from the change that started it (dated from its first
            // cycle), else from this cycle.
            let mut state = self.state();
            state.outage_since = match (state.outage_since, blast.entrypoints_down.is_empty()) {
                (_, true) => None,
                (Some(since), false) => Some(since),
                (None, false) => Some(changes.health.iter().map(|c| c.at).min().unwrap_or(now).min(now)),
            };
        }
        let notification = self.notify(&changes, now);
        let checks = self.check(feed, now).await?;
        self.remember(&changes, &firing, now)?;
        let events = self.record(feed, &changes, now)?;
        let Changes { health, fired, resolved } = changes;
        Ok(Update {
            at: now,
            health,
            fired,
            resolved,
            blast: Some(blast),
            checks,
            events,
            notification,
            log_changed: self.log_moved()?,
            finished: feed.finished(now),
        })
    }

    /// Offers the changes to the notifier; what it says to show now, if anything.
    fn notify(&self, changes: &Changes, now: DateTime<Utc>) -> Option<Notification> {
        let mut state = self.state();
        let shown = state.notifier.offer(changes, now)?;
        state.last_shown = Some(Shown { title: shown.title.clone(), body: shown.body.clone(), at: now });
        Some(shown)
    }

    /// Evaluates the checks due and records the outcomes that changed.
    async fn check(&self, feed: &Feed, now: DateTime<Utc>) -> Result<Vec<CheckOutcome>, RuntimeError> {
        let seq = self.log().last_seq()?;
        let recording = self.recording();
        let cached = self
            .state()
            .checks
            .as_ref()
            .filter(|(at, on, _)| *at == seq && *on == recording)
            .map(|(_, _, p)| p.clone());
        let pending = match cached {
            Some(pending) => pending,
            None => {
                let pending = checking::pending(&self.log(), self.library(), recording)?;
                self.state().checks = Some((seq, recording, pending.clone()));
                pending
            }
        };
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let plans: Vec<&crate::checks::Plan> = pending.iter().map(|p| &p.plan).collect();
        let observed = feed.observe(&plans, now).await;
        let hold = feed.config().map_or(Hysteresis::default(), |c| c.hysteresis).check_cycles;
        let outcomes = self.state().seen.judge(&pending, &observed, now, hold);
        let actor = Actor { origin: "check".to_owned(), by: None, now };
        let mut recorded = Vec::with_capacity(outcomes.len());
        for o in outcomes {
            let mark = crate::model::CheckMark { at: o.at, passed: o.passed, observed: o.observed.clone() };
            let written = ops::record_check(&mut self.log(), &actor, o.incident, &o.runbook, &o.step, &mark);
            match written {
                Ok(_) => recorded.push(o),
                // Resolved or detached since the checks were read: the next cycle reads anew.
                Err(OpsError::RunbookNotAttached(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if !recorded.is_empty() {
            self.state().checks = None;
        }
        Ok(recorded)
    }

    /// Remembers the alerts firing in the log when the set changed, and every
    /// [`REMEMBER_EVERY`] while they fire (when they were last seen).
    fn remember(
        &self,
        changes: &Changes,
        firing: &[crate::model::Alert],
        now: DateTime<Utc>,
    ) -> Result<(), RuntimeError> {
        let fingerprints: BTreeSet<String> = firing.iter().map(|a| a.fingerprint.clone()).collect();
        let due = {
            let state = self.state();
            match &state.remembered {
                None => !firing.is_empty(),
                Some((at, known)) => {
                    *known != fingerprints
                        || !changes.fired.is_empty()
                        || (!firing.is_empty() && now - *at >= REMEMBER_EVERY)
                }
            }
        };
        if due {
            self.log().remember_alerts(firing, now)?;
            self.state().remembered = Some((now, fingerprints));
        }
        Ok(())
    }

    /// Records this cycle on the incident being recorded, if any; the events written.
    fn record(&self, feed: &Feed, changes: &Changes, now: DateTime<Utc>) -> Result<Vec<Event>, RuntimeError> {
        let Some(id) = self.recording() else { return Ok(Vec::new()) };
        let resolved = self.log().is_resolved(id)?;
        let providers = feed.provider_incidents();
        let actor = Actor { origin: feed.origin().to_owned(), by: None, now };
        let batch = {
            let mut state = self.state();
            match state.recorder.as_mut() {
                Some(recorder) if recorder.incident() == id => {
                    feed.with_monitor(|m| recorder.cycle(resolved, &actor, changes, m, &providers))?
                }
                _ => None,
            }
        };
        match batch {
            Some(batch) => {
                batch.write(&mut self.log())?;
                Ok(batch.events)
            }
            None => Ok(Vec::new()),
        }
    }

    /// Whether the log moved since the last cycle by a hand other than this cycle's (another
    /// process, a command): one cheap query.
    fn log_moved(&self) -> Result<bool, RuntimeError> {
        let seq = self.log().last_seq()?;
        let mut state = self.state();
        let moved = seq != state.seq;
        state.seq = seq;
        Ok(moved)
    }

    /// Wakes the loop at once (the feed changed).
    pub(crate) fn woken(&self) -> tokio::sync::futures::Notified<'_> {
        self.inner.wake.notified()
    }
}

/// A state as a sentence says it.
fn state_word(state: crate::topology::OutageState) -> &'static str {
    match state {
        crate::topology::OutageState::Down => "down",
        crate::topology::OutageState::Impacted => "impacted",
        crate::topology::OutageState::Degraded => "degraded",
        crate::topology::OutageState::GroupDown => "down (too few members)",
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
