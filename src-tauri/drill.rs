//! The drill running inside the app: a background thread steps it once a second, records health
//! changes on the incident it is attached to, and leaves the latest state for the window to read.
//!
//! Commands never wait for the drill: they read what the last step left (with its time), so the
//! window stays responsive however slow a step is.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use warroom::checks::Observed;
use warroom::ops::{Actor, Batch, Recorder};
use warroom::rehearsal::{Rehearsal, RehearsalError};

use crate::error::IpcError;
use crate::state::AppState;

/// How often the drill is stepped, in wall-clock time.
const STEP: Duration = Duration::from_secs(1);

/// A drill in progress and where it records.
pub struct RunningDrill {
    pub rehearsal: Rehearsal,
    /// What records on the incident it is attached to, if any.
    pub recorder: Option<Recorder>,
    pub last_step: Option<DateTime<Utc>>,
}

/// What the window shows about the drill.
#[derive(Debug, Clone, Serialize)]
pub struct DrillStatus {
    pub scenario: String,
    pub title: String,
    pub summary: String,
    pub speed: f64,
    pub seed: u64,
    pub scenario_secs: f64,
    pub duration_secs: f64,
    pub finished: bool,
    pub incident: Option<String>,
    /// When the drill was last stepped (its data is that old).
    pub last_step: Option<DateTime<Utc>>,
}

impl RunningDrill {
    pub fn start(
        name: &str,
        seed: u64,
        speed: f64,
        recorder: Option<Recorder>,
    ) -> Result<RunningDrill, RehearsalError> {
        let mut rehearsal = Rehearsal::start(name, seed, speed, Utc::now())?;
        let now = Utc::now();
        rehearsal.step(now)?;
        Ok(RunningDrill { rehearsal, recorder, last_step: Some(now) })
    }

    pub fn status(&self, now: DateTime<Utc>) -> DrillStatus {
        let scenario = self.rehearsal.scenario();
        DrillStatus {
            scenario: scenario.name.clone(),
            title: scenario.title.clone(),
            summary: scenario.summary.clone(),
            speed: self.rehearsal.speed,
            seed: self.rehearsal.seed,
            scenario_secs: self.rehearsal.scenario_time(now),
            duration_secs: scenario.duration_secs,
            finished: self.rehearsal.finished(now),
            incident: self.recorder.as_ref().map(|r| r.incident().to_string()),
            last_step: self.last_step,
        }
    }
}

/// Steps the drill forever, once a second, on its own thread.
pub fn spawn_stepper(state: AppState) {
    let spawned = std::thread::Builder::new().name("drill".to_owned()).spawn(move || {
        loop {
            std::thread::sleep(STEP);
            if let Err(e) = step(&state) {
                tracing::warn!("drill step: {}", e.message);
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!("cannot start the drill thread: {e}");
    }
}

fn step(state: &AppState) -> Result<(), IpcError> {
    let now = Utc::now();
    // Whether the incident recorded on is resolved (then nothing more is recorded on it), asked
    // of the store before the drill is locked: the two locks are never held together.
    let attached = lock(&state.drill)?.as_ref().and_then(|d| d.recorder.as_ref().map(Recorder::incident));
    let resolved = match attached {
        Some(id) => state.with_store(|store| Ok(store.is_resolved(id)?))?,
        None => false,
    };
    let actor = Actor { origin: "drill".to_owned(), by: None, now };
    // Stepping and reading what to record happen in one hold of the drill's lock, so what is
    // recorded is what this very drill's monitor said.
    let (changes, firing, batch) = {
        let mut guard = lock(&state.drill)?;
        let Some(drill) = guard.as_mut() else { return Ok(()) };
        let changes = drill.rehearsal.step(now).map_err(|e| IpcError::new(e.code(), e.to_string()))?;
        drill.last_step = Some(now);
        let monitor = drill.rehearsal.monitor();
        // A recorder attached since the peek is left for the next step.
        let batch = match drill.recorder.as_mut() {
            Some(recorder) if Some(recorder.incident()) == attached => {
                recorder.cycle(resolved, &actor, &changes, monitor, &[])?
            }
            _ => None,
        };
        (changes, monitor.firing_alerts(), batch)
    };
    crate::state::notify(state, &changes, now);
    // Runbook checks: a drill answers warroom's signals, not arbitrary PromQL.
    crate::runbooks::evaluate(state, now, |plans| {
        let observed = state.with_monitor(|monitor| {
            crate::runbooks::observe_with(
                plans,
                |q| warroom::checks::from_monitor(q, monitor, now),
                |_| Observed::Nothing("a drill answers only warroom's signals, not PromQL".to_owned()),
            )
        });
        observed.ok().flatten().unwrap_or_else(|| {
            plans.iter().map(|_| Observed::Nothing("no drill is running".to_owned())).collect()
        })
    });
    state.with_store(|store| Ok(store.remember_alerts(&firing, now)?))?;
    write(state, batch)
}

/// Appends what a recorder prepared, if anything.
fn write(state: &AppState, batch: Option<Batch>) -> Result<(), IpcError> {
    match batch {
        Some(batch) => state.with_store(|store| {
            batch.write(store)?;
            Ok(())
        }),
        None => Ok(()),
    }
}

/// Records a live cycle on the incident chosen in the window. Locks, in this order and never
/// the other way: the recorder, the monitor (to prepare), then, released both, the store.
fn record_live(
    state: &AppState,
    live: &warroom::live::Live,
    changes: &warroom::monitor::Changes,
    now: DateTime<Utc>,
) -> Result<(), IpcError> {
    let attached = lock(&state.live_incident)?.as_ref().map(Recorder::incident);
    let Some(id) = attached else { return Ok(()) };
    // Read before the recorder is locked: the report locks the monitor itself.
    let providers = live.report(now).provider_incidents;
    let resolved = state.with_store(|store| Ok(store.is_resolved(id)?))?;
    let actor = Actor { origin: "live".to_owned(), by: None, now };
    let batch = {
        let mut guard = lock(&state.live_incident)?;
        match guard.as_mut() {
            Some(recorder) if recorder.incident() == id => {
                recorder.cycle(resolved, &actor, changes, &live.monitor(), &providers)?
            }
            _ => None,
        }
    };
    write(state, batch)
}

/// Locks a mutex, turning poisoning into an error the window can show.
pub fn lock<T>(mutex: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>, IpcError> {
    mutex
        .lock()
        .map_err(|_| IpcError::new("internal", "the drill stopped after an earlier failure; restart warroom"))
}

/// Polls the configured sources forever on their own thread, one cycle per interval, recording
/// health changes on the incident chosen in the window.
pub fn spawn_live(state: AppState) {
    if state.config_path.is_none() {
        return;
    }
    let spawned = std::thread::Builder::new().name("live".to_owned()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return tracing::error!("cannot start the poller: {e}"),
        };
        let mut backfilled: Option<std::sync::Arc<warroom::live::Live>> = None;
        loop {
            // Taken anew each cycle: an edit of the configuration in the window replaces it.
            let Some(live) = state.live() else {
                std::thread::sleep(STEP);
                continue;
            };
            // New sources: their charts start with the last half hour from Prometheus.
            if !backfilled.as_ref().is_some_and(|b| std::sync::Arc::ptr_eq(b, &live)) {
                for p in runtime.block_on(live.backfill(Utc::now())) {
                    tracing::warn!("chart history from {}: {}", p.source, p.message);
                }
                backfilled = Some(live.clone());
            }
            let started = std::time::Instant::now();
            let now = Utc::now();
            let changes = runtime.block_on(live.cycle(now));
            crate::state::notify(&state, &changes, now);
            crate::runbooks::evaluate(&state, now, |plans| {
                crate::runbooks::observe_with(
                    plans,
                    |q| warroom::checks::from_monitor(q, &live.monitor(), now),
                    |query| match runtime.block_on(live.scalar(query)) {
                        Ok((value, at)) => Observed::Value(value, at),
                        Err(why) => Observed::Nothing(why),
                    },
                )
            });
            let firing = live.monitor().firing_alerts();
            if let Err(e) = state.with_store(|store| Ok(store.remember_alerts(&firing, now)?)) {
                tracing::warn!("remembering alerts: {}", e.message);
            }
            if let Err(e) = record_live(&state, &live, &changes, now) {
                tracing::warn!("recording on the incident: {}", e.message);
            }
            std::thread::sleep(live.interval.saturating_sub(started.elapsed()));
        }
    });
    if let Err(e) = spawned {
        tracing::error!("cannot start the poller thread: {e}");
    }
}
