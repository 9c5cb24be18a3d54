//! The runtime's loop on a task of its own, and what it pushes to the window.
//!
//! The window does not poll: after each cycle it is told, by the Tauri event [`EVENT`], that a
//! [`Broadcast`] (what changed and the situation after it) is waiting, and pulls it with the
//! read `pull_broadcast` (over the read protocol, [`crate::read`]). A drill at high speed cycles
//! many times a second; the window is told at most once per [`GAP`], the updates in between
//! merged (and merged further while it has not pulled), so a fast drill costs the window no more
//! than a slow one. Desktop notifications the runtime decided on are shown here.
//!
//! The event carries nothing: Tauri delivers an event by handing the web process a script to
//! evaluate, and WebKit keeps what it compiles, one entry per distinct script text (its code
//! cache, up to 2 000 of them). With the broadcast inside, the web process grew by what it was
//! sent, about 10 MB a minute during a drill; with a counter inside, every push was a script
//! never seen before, and WebKit grew by some 60 MB over the first quarter hour of a recorded
//! drill until the cache was full (`benches/soak.sh`, heap snapshots through WebKit's
//! inspector). The same text each time is compiled once. The pulled answer comes back over the
//! read protocol and is freed once read.

use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::mpsc;
use warroom::runtime::{Broadcast, Flow, Situation, Update};

use crate::state::AppState;

/// The event the window listens to.
pub const EVENT: &str = "warroom://broadcast";

/// The least time between two pushes.
pub const GAP: Duration = Duration::from_millis(250);

/// Starts the runtime's loop and the pusher on the app's async runtime.
pub fn spawn<R: tauri::Runtime>(app: AppHandle<R>, state: AppState) {
    let (tx, rx) = mpsc::unbounded_channel();
    let runtime = state.runtime.clone();
    let clock = state.clock.clone();
    tauri::async_runtime::spawn(async move {
        runtime
            .run(clock.as_ref(), |update| match update {
                Ok(update) => {
                    if tx.send(update).is_err() {
                        Flow::Stop
                    } else {
                        Flow::Continue
                    }
                }
                Err(e) => {
                    tracing::warn!("cycle: {e}");
                    Flow::Continue
                }
            })
            .await;
    });
    if state.drill_loop {
        tauri::async_runtime::spawn(loop_drills(state.clone()));
    }
    tauri::async_runtime::spawn(push(app, state, rx));
}

/// With `WARROOM_DRILL_LOOP`: when a drill ends, the next built-in scenario starts at the same
/// speed, recorded on the incident the last one was recorded on (if any), forever.
async fn loop_drills(state: AppState) {
    let names: Vec<String> = warroom::sources::drill::Scenario::built_in()
        .map(|all| all.into_iter().map(|s| s.name).collect())
        .unwrap_or_default();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    loop {
        ticker.tick().await;
        let now = state.clock.now();
        let Some(feed) = state.runtime.feed() else { continue };
        let warroom::runtime::FeedStatus::Drill(drill) = feed.status(now) else { continue };
        if !drill.finished {
            continue;
        }
        let at = names.iter().position(|n| *n == drill.scenario).map_or(0, |i| i + 1);
        let Some(next) = names.get(at % names.len().max(1)) else { return };
        tracing::info!("drill '{}' ended; starting '{next}' (WARROOM_DRILL_LOOP)", drill.scenario);
        let recording = state.runtime.recording();
        if let Err(e) = state.runtime.start_drill(next, drill.seed, drill.speed, &state.actor(), recording) {
            tracing::warn!("cannot start the next drill '{next}': {e}");
            return;
        }
    }
}

/// Pushes what comes in, at most once per [`GAP`], merging what comes in between.
async fn push<R: tauri::Runtime>(
    app: AppHandle<R>,
    state: AppState,
    mut rx: mpsc::UnboundedReceiver<Update>,
) {
    let mut pending: Option<Update> = None;
    let mut last = tokio::time::Instant::now() - GAP;
    loop {
        let due = last + GAP;
        tokio::select! {
            got = rx.recv() => match got {
                Some(update) => match pending.as_mut() {
                    Some(p) => p.merge(update),
                    None => pending = Some(update),
                },
                None => return,
            },
            () = tokio::time::sleep_until(due), if pending.is_some() => {}
        }
        if tokio::time::Instant::now() >= due
            && let Some(update) = pending.take()
        {
            last = tokio::time::Instant::now();
            show(&app, &update);
            {
                let mut unpulled = state.unpulled.lock().unwrap_or_else(|p| p.into_inner());
                match unpulled.as_mut() {
                    Some(waiting) => waiting.merge(update),
                    None => *unpulled = Some(update),
                }
            }
            if let Err(e) = app.emit(EVENT, ()) {
                tracing::warn!("cannot tell the window: {e}");
            }
        }
    }
}

/// What the window pulls when told: the updates since its last pull, merged, and the situation
/// now with the log lines of `node` only; `None` when it has pulled them already (it was told
/// twice before it pulled).
pub fn pull(state: &AppState, node: Option<&str>) -> Option<Broadcast> {
    let update = state.unpulled.lock().unwrap_or_else(|p| p.into_inner()).take()?;
    Some(Broadcast { update, situation: logs_of(state.runtime.situation(state.clock.now()), node) })
}

/// `situation` with the log lines of `node` only (none without one). The window shows a node's
/// last five lines in its panel and nothing else of them; the hundred lines the graph keeps were
/// more than half of every push (14 of 26 KB in a drill), pulled and parsed four times a second
/// at ×60.
pub fn logs_of(mut situation: Situation, node: Option<&str>) -> Situation {
    if let Some(view) = situation.view.as_mut() {
        view.logs.retain(|line| Some(line.node.as_str()) == node);
    }
    situation
}

/// Shows the desktop notification an update carries. Showing may fail (no notification daemon):
/// that is logged, never fatal; without the plugin (tests) nothing is shown.
fn show<R: tauri::Runtime>(app: &AppHandle<R>, update: &Update) {
    let Some(notification) = &update.notification else { return };
    let Some(plugin) = app.try_state::<tauri_plugin_notification::Notification<R>>() else { return };
    let shown = plugin.builder().title(&notification.title).body(&notification.body).show();
    if let Err(e) = shown {
        tracing::warn!("cannot show a desktop notification: {e}");
    }
}
