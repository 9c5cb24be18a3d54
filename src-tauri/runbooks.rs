//! Runbooks in the app: the ones it knows (built in, plus the folder `WARROOM_RUNBOOKS` names),
//! and the checks of those attached to active incidents, evaluated after every drill step or
//! poll cycle. A check's outcome is written only when it changes.

use std::path::Path;

use chrono::{DateTime, Utc};
use warroom::checks::{self, Observed, Plan};
use warroom::ops::{self, Actor};
use warroom::runbook::Runbook;
use warroom::sources::http::{FetchError, get_file};

use crate::error::IpcError;
use crate::state::AppState;

/// The built-in runbooks, then those of `WARROOM_RUNBOOKS` (a folder of `.md` files) that parse;
/// a file that does not is logged with its problems and left out.
pub fn load() -> Vec<Runbook> {
    let mut runbooks = Runbook::built_in();
    let Some(dir) = std::env::var_os("WARROOM_RUNBOOKS") else { return runbooks };
    let dir = Path::new(&dir);
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            tracing::warn!("runbooks: {}: {e}", dir.display());
            return runbooks;
        }
    };
    files.retain(|p| p.extension().is_some_and(|x| x == "md"));
    files.sort();
    for file in files {
        match Runbook::read(&file) {
            Ok(runbook) => {
                // Your own runbook replaces a built-in one of the same id.
                runbooks.retain(|r| r.id != runbook.id);
                runbooks.push(runbook);
            }
            Err(problems) => {
                for p in problems {
                    tracing::warn!("runbook left out: {p}");
                }
            }
        }
    }
    runbooks
}

/// One check to answer: where it is and how.
struct Pending {
    incident: ulid::Ulid,
    runbook: String,
    step: String,
    condition: warroom::runbook::Condition,
    plan: Plan,
    last: Option<Option<bool>>,
}

/// The checks of every runbook attached to an active incident.
fn pending(state: &AppState) -> Result<Vec<Pending>, IpcError> {
    // Only incidents with a runbook attached are read: this runs every cycle.
    let incidents = state.with_store(|store| Ok(store.incidents_with("runbook_attached")?))?;
    let runbooks = state.runbooks();
    let mut out = Vec::new();
    for incident in incidents.iter().filter(|i| i.status == warroom::model::Status::Active) {
        for attached in &incident.runbooks {
            let Some(runbook) = runbooks.iter().find(|r| r.id == attached.id) else { continue };
            for step in runbook.steps() {
                let Some(check) = &step.check else { continue };
                out.push(Pending {
                    incident: incident.id,
                    runbook: runbook.id.clone(),
                    step: step.id.clone(),
                    condition: check.condition,
                    plan: checks::plan(check, attached.node.as_deref()),
                    last: attached.checks.get(&step.id).map(|c| c.passed),
                });
            }
        }
    }
    Ok(out)
}

/// Evaluates every pending check and records the outcomes that changed. `observe` answers the
/// plans, in order (it may lock the drill or ask Prometheus: no lock is held while it runs).
pub fn evaluate(state: &AppState, now: DateTime<Utc>, observe: impl FnOnce(&[&Plan]) -> Vec<Observed>) {
    let pending = match pending(state) {
        Ok(p) => p,
        Err(e) => return tracing::warn!("runbook checks: {}", e.message),
    };
    if pending.is_empty() {
        return;
    }
    let plans: Vec<&Plan> = pending.iter().map(|p| &p.plan).collect();
    let observed = observe(&plans);
    let actor = Actor { origin: "check".to_owned(), by: None, now };
    for (p, observed) in pending.iter().zip(observed) {
        let (passed, seen) = checks::judge(&p.condition, &observed);
        if p.last == Some(passed) {
            continue;
        }
        let recorded = state.with_store(|store| {
            Ok(ops::record_check(store, &actor, p.incident, &p.runbook, &p.step, passed, &seen)?)
        });
        if let Err(e) = recorded {
            tracing::warn!("recording a check: {}", e.message);
        }
    }
}

/// Answers plans from a monitor; PromQL that is not a warroom signal through `prometheus`.
pub fn observe_with(
    plans: &[&Plan],
    monitor: impl Fn(&checks::SignalQuery) -> Observed,
    prometheus: impl Fn(&str) -> Observed,
) -> Vec<Observed> {
    plans
        .iter()
        .map(|plan| match plan {
            Plan::Monitor(signal) => monitor(signal),
            Plan::Prometheus(query) => prometheus(query),
        })
        .collect()
}

/// The largest runbook fetched from a URL.
const MAX_REMOTE_BYTES: usize = 1024 * 1024;

/// The runbook an alert's `runbook_url` names, read once per URL and then added to the runbooks
/// the app knows: a local Markdown file at once, a web one (`http(s)://….md`) on a thread of its
/// own (the window never waits on it), offered once read. `None` for anything else, while a
/// fetch is under way, or when it could not be read.
pub fn from_alert(state: &AppState, url: &str) -> Option<Runbook> {
    let remote = (url.starts_with("https://") || url.starts_with("http://")) && url.ends_with(".md");
    let mut known = state.url_runbooks.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(read) = known.get(url) {
        let id = read.clone()?;
        drop(known);
        return state.runbooks().iter().find(|r| r.id == id).cloned();
    }
    if !remote {
        let runbook = from_alert_url(url);
        known.insert(url.to_owned(), runbook.as_ref().map(|r| r.id.clone()));
        drop(known);
        if let Some(runbook) = &runbook {
            state.add_runbook(runbook.clone());
        }
        return runbook;
    }
    known.insert(url.to_owned(), None);
    drop(known);
    let (state, url) = (state.clone(), url.to_owned());
    let spawned =
        std::thread::Builder::new().name("runbook-fetch".to_owned()).spawn(move || match fetch(&url) {
            Ok(runbook) => {
                let id = runbook.id.clone();
                state.add_runbook(runbook);
                state.url_runbooks.lock().unwrap_or_else(|p| p.into_inner()).insert(url, Some(id));
            }
            Err(why) => tracing::warn!("the runbook at {url}: {why}"),
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot fetch a runbook: {e}");
    }
    None
}

/// Fetches and reads one runbook (5 s at most, 1 MB at most).
fn fetch(url: &str) -> Result<Runbook, String> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let timeout = std::time::Duration::from_secs(5);
    let bytes = runtime.block_on(get_file(url, timeout, MAX_REMOTE_BYTES)).map_err(|e| match e {
        FetchError::Status { status, .. } => format!("HTTP {status}"),
        other => other.to_string(),
    })?;
    let name = url.rsplit('/').next().unwrap_or("runbook.md");
    Runbook::from_bytes(Path::new(name), &bytes)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
}

/// The runbook an alert's `runbook_url` names, when it is a local Markdown file (an absolute
/// path or a `file://` URL) that parses. Remote URLs are not fetched.
pub fn from_alert_url(url: &str) -> Option<Runbook> {
    let path = Path::new(url.strip_prefix("file://").unwrap_or(url));
    if !path.is_absolute() || path.extension().is_none_or(|x| x != "md") {
        return None;
    }
    match Runbook::read(path) {
        Ok(runbook) => Some(runbook),
        Err(problems) => {
            for p in problems {
                tracing::warn!("the runbook an alert names: {p}");
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// An alert's `runbook_url` naming a local Markdown runbook, as a path or a file:// URL, is
    /// read; remote, relative or broken ones are not.
    #[test]
    fn an_alerts_runbook_url_to_a_local_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("orders.md");
        std::fs::write(&file, "# Orders slow\n\n## Detect\n- [ ] Look at the orders dashboard.\n").unwrap();
        let path = file.to_str().unwrap();
        assert_eq!(from_alert_url(path).unwrap().id, "orders");
        assert_eq!(from_alert_url(&format!("file://{path}")).unwrap().title, "Orders slow");
        assert!(from_alert_url("https://runbooks.example.com/orders.md").is_none(), "never fetched");
        assert!(from_alert_url("orders.md").is_none(), "relative to nothing");
        let broken = dir.path().join("broken.md");
        std::fs::write(&broken, "# B\n\n## Somewhere\n- [ ] x\n").unwrap();
        assert!(from_alert_url(broken.to_str().unwrap()).is_none());
    }

    /// Serves one HTTP answer on 127.0.0.1 and returns the URL of `path`.
    fn serve_once(status: &str, body: Vec<u8>, path: &str) -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let status = status.to_owned();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut request = [0u8; 2048];
                let _ = stream.read(&mut request);
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        format!("http://127.0.0.1:{port}/{path}")
    }

    /// A runbook an alert names by URL is fetched (from a local HTTP server here: nothing else
    /// can be reached) and read; an error status or an oversized answer says why.
    #[test]
    fn a_runbook_url_is_fetched_and_read() {
        let text = b"# Payments slow\n\n## Detect\n- [ ] Look at the payments dashboard.\n".to_vec();
        let runbook = fetch(&serve_once("200 OK", text, "payments-slow.md")).unwrap();
        assert_eq!((runbook.id.as_str(), runbook.title.as_str()), ("payments-slow", "Payments slow"));
        let err = fetch(&serve_once("404 Not Found", b"no".to_vec(), "gone.md")).unwrap_err();
        assert_eq!(err, "HTTP 404");
        let err = fetch(&serve_once("200 OK", vec![b'a'; MAX_REMOTE_BYTES + 1], "huge.md")).unwrap_err();
        assert!(err.contains("larger than"), "{err}");
    }
}
