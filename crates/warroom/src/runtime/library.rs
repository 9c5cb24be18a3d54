//! The runbooks the war room knows, and which of them fit what is failing.
//!
//! The built-in runbooks, then every `*.md` of the folders given (`WARROOM_RUNBOOKS`, and the
//! `runbooks = [...]` key of warroom.toml), then those that firing alerts name by `runbook_url`
//! (a local file at once, a web one fetched once in the background). A runbook of your own
//! replaces a built-in one of the same id. Readers take the list as it is now (an `Arc`);
//! adding one replaces the list, so no reader ever waits on a fetch.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use ulid::Ulid;

use crate::model::{CheckMark, Event, Health, Incident, StepMark};
use crate::monitor::GraphView;
use crate::ops::{self, Actor};
use crate::runbook::{self, Match, Problem, Reason, Runbook};
use crate::sources::http::{FetchError, get_file};
use crate::store::Store;

use super::RuntimeError;

/// How many suggestions the runbook panel offers at most.
pub const SUGGESTIONS: usize = 6;

/// The largest runbook fetched from a URL.
const MAX_REMOTE_BYTES: usize = 1024 * 1024;

/// A runbook that fits what is failing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Suggestion {
    pub runbook: String,
    pub title: String,
    /// The node it fits (its checks' `$node`).
    pub node: String,
    pub why: Match,
}

/// An attached runbook as a responder sees it: its steps (commands and links with `$node`
/// filled in), and what was done, checked and skipped.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct RunbookView {
    pub runbook: Runbook,
    pub node: Option<String>,
    pub done: BTreeMap<String, StepMark>,
    /// Each check's outcome as last recorded on the timeline.
    pub checks: BTreeMap<String, CheckMark>,
    /// Each check's outcome as last seen, recorded or not (a check of a stage not reached yet
    /// is evaluated and shown, not recorded); empty under review.
    pub live: BTreeMap<String, CheckMark>,
    pub skipped: Vec<String>,
}

/// The runbooks known, and what alerts' `runbook_url`s gave.
#[derive(Debug, Default)]
pub struct Library {
    runbooks: RwLock<Arc<Vec<Runbook>>>,
    /// URL → the runbook's id once read; `None` while fetching or when unreadable.
    urls: Arc<Mutex<HashMap<String, Option<String>>>>,
}

impl Library {
    /// The built-in runbooks, then every runbook file under `dirs` ([`crate::runbook::files_in`]) that parses. What does not parse is
    /// returned as problems (each naming its file and line) and left out.
    pub fn load(dirs: &[PathBuf]) -> (Library, Vec<Problem>) {
        let mut runbooks = Runbook::built_in();
        let mut problems = Vec::new();
        for dir in dirs {
            let files = match crate::runbook::files_in(dir) {
                Ok(files) => files,
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            };
            for file in files {
                match Runbook::read(&file) {
                    Ok(runbook) => {
                        runbooks.retain(|r| r.id != runbook.id);
                        runbooks.push(runbook);
                    }
                    Err(found) => problems.extend(found),
                }
            }
        }
        let library = Library { runbooks: RwLock::new(Arc::new(runbooks)), urls: Arc::default() };
        (library, problems)
    }

    /// Every runbook known now.
    pub fn all(&self) -> Arc<Vec<Runbook>> {
        self.runbooks.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The steps of the incident's current stage not done (nor skipped) in its attached
    /// runbooks, as texts: its next steps.
    pub fn open_steps(&self, incident: &crate::model::Incident) -> Vec<String> {
        let mut steps = Vec::new();
        for attached in &incident.runbooks {
            let Some(book) = self.get(&attached.id) else { continue };
            for stage in book.stages.iter().filter(|s| s.stage == incident.stage) {
                for step in &stage.steps {
                    if !attached.done.contains_key(&step.id) && !attached.skipped.contains(&step.id) {
                        steps.push(step.text.clone());
                    }
                }
            }
        }
        steps
    }

    /// The runbook with this id.
    pub fn get(&self, id: &str) -> Option<Runbook> {
        self.all().iter().find(|r| r.id == id).cloned()
    }

    /// Adds a runbook, replacing one of the same id.
    pub fn add(&self, runbook: Runbook) {
        let mut current = self.runbooks.write().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<Runbook> = current.iter().filter(|r| r.id != runbook.id).cloned().collect();
        all.push(runbook);
        *current = Arc::new(all);
    }

    /// Runbooks for the alerts firing and the nodes in trouble in `view`, best first, one per
    /// runbook, none already attached to `incident`, at most [`SUGGESTIONS`]. The runbook an
    /// alert's author pointed at (`runbook_url`) comes first.
    pub fn suggest(self: &Arc<Self>, incident: &Incident, view: &GraphView) -> Vec<Suggestion> {
        let kind_of =
            |node: &str| view.nodes.iter().find(|n| n.id == node).map_or("", |n| n.kind.as_str()).to_owned();
        let mut best: BTreeMap<String, Suggestion> = BTreeMap::new();
        let mut offer = |runbook: &Runbook, node: &str, why: Match| {
            if incident.runbook(&runbook.id).is_some() {
                return;
            }
            if best.get(&runbook.id).is_none_or(|s| s.why.score < why.score) {
                let suggestion = Suggestion {
                    runbook: runbook.id.clone(),
                    title: runbook.title.clone(),
                    node: node.to_owned(),
                    why,
                };
                best.insert(runbook.id.clone(), suggestion);
            }
        };
        let firing: Vec<_> = view.alerts.iter().filter(|a| a.firing).collect();
        for alert in &firing {
            let Some(url) = alert.runbook_url.as_deref() else { continue };
            let Some(runbook) = self.from_alert(url) else { continue };
            offer(
                &runbook,
                &alert.node,
                Match { score: 1000, reasons: vec![Reason::Alert(alert.name.clone())] },
            );
        }
        let runbooks = self.all();
        for alert in &firing {
            let labels = BTreeMap::from([("alertname".to_owned(), alert.name.clone())]);
            let kind = kind_of(&alert.node);
            for (runbook, why) in runbook::suggest(&runbooks, Some(&alert.name), &labels, &alert.node, &kind)
            {
                offer(runbook, &alert.node, why);
            }
        }
        for node in view.nodes.iter().filter(|n| matches!(n.health, Health::Down | Health::Degraded)) {
            for (runbook, why) in runbook::suggest(&runbooks, None, &BTreeMap::new(), &node.id, &node.kind) {
                offer(runbook, &node.id, why);
            }
        }
        let mut suggestions: Vec<Suggestion> = best.into_values().collect();
        suggestions.sort_by(|a, b| b.why.score.cmp(&a.why.score).then_with(|| a.runbook.cmp(&b.runbook)));
        suggestions.truncate(SUGGESTIONS);
        suggestions
    }

    /// The runbooks attached to `incident` (as it is, or as it was at an instant under review),
    /// as a responder sees them. One attached but no longer known is left out.
    pub fn views(&self, incident: &Incident) -> Vec<RunbookView> {
        let runbooks = self.all();
        incident
            .runbooks
            .iter()
            .filter_map(|attached| {
                let runbook = runbooks.iter().find(|r| r.id == attached.id)?;
                Some(RunbookView {
                    runbook: match &attached.node {
                        Some(node) => runbook.for_node(node),
                        None => runbook.clone(),
                    },
                    node: attached.node.clone(),
                    done: attached.done.clone(),
                    checks: attached.checks.clone(),
                    live: BTreeMap::new(),
                    skipped: attached.skipped.iter().cloned().collect(),
                })
            })
            .collect()
    }

    /// Attaches a known runbook to incident `id`: what the window, the CLI and the runtime share.
    ///
    /// # Errors
    /// [`RuntimeError::UnknownRunbook`], or the refusal of [`ops::attach_runbook`].
    pub fn attach(
        &self,
        store: &mut Store,
        actor: &Actor,
        id: Ulid,
        runbook: &str,
        node: Option<String>,
    ) -> Result<Event, RuntimeError> {
        let known = self.get(runbook).ok_or_else(|| RuntimeError::UnknownRunbook(runbook.to_owned()))?;
        Ok(ops::attach_runbook(store, actor, id, &known.id, &known.title, node)?)
    }

    /// Marks a step of an attached runbook done or not done, keeping the step's text on the event.
    ///
    /// # Errors
    /// [`RuntimeError::UnknownRunbook`], [`RuntimeError::UnknownStep`], or the refusal of
    /// [`ops::check_step`].
    pub fn check_step(
        &self,
        store: &mut Store,
        actor: &Actor,
        id: Ulid,
        runbook: &str,
        step: &str,
        done: bool,
    ) -> Result<Event, RuntimeError> {
        let known = self.get(runbook).ok_or_else(|| RuntimeError::UnknownRunbook(runbook.to_owned()))?;
        let text = known.step(step).map(|s| s.text.clone()).ok_or_else(|| RuntimeError::UnknownStep {
            runbook: runbook.to_owned(),
            step: step.to_owned(),
        })?;
        Ok(ops::check_step(store, actor, id, runbook, step, &text, done)?)
    }

    /// The runbook an alert's `runbook_url` names, read once per URL and then known: a local
    /// Markdown file at once, a web one (`http(s)://….md`) on a thread of its own (nobody waits
    /// on it), offered once read. `None` for anything else, while a fetch is under way, or when
    /// it could not be read (logged once).
    pub fn from_alert(self: &Arc<Self>, url: &str) -> Option<Runbook> {
        let remote = (url.starts_with("https://") || url.starts_with("http://")) && url.ends_with(".md");
        let mut known = self.urls.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(read) = known.get(url) {
            let id = read.clone()?;
            drop(known);
            return self.get(&id);
        }
        if !remote {
            let runbook = from_local_url(url);
            known.insert(url.to_owned(), runbook.as_ref().map(|r| r.id.clone()));
            drop(known);
            if let Some(runbook) = &runbook {
                self.add(runbook.clone());
            }
            return runbook;
        }
        known.insert(url.to_owned(), None);
        drop(known);
        let (library, url) = (Arc::clone(self), url.to_owned());
        let spawned =
            std::thread::Builder::new().name("runbook-fetch".to_owned()).spawn(move || match fetch(&url) {
                Ok(runbook) => {
                    let id = runbook.id.clone();
                    library.add(runbook);
                    library.urls.lock().unwrap_or_else(|p| p.into_inner()).insert(url, Some(id));
                }
                Err(why) => tracing::warn!("the runbook at {url}: {why}"),
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot fetch a runbook: {e}");
        }
        None
    }
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
/// path or a `file://` URL) that parses.
fn from_local_url(url: &str) -> Option<Runbook> {
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
        assert_eq!(from_local_url(path).unwrap().id, "orders");
        assert_eq!(from_local_url(&format!("file://{path}")).unwrap().title, "Orders slow");
        assert!(from_local_url("https://runbooks.example.com/orders.md").is_none(), "never fetched here");
        assert!(from_local_url("orders.md").is_none(), "relative to nothing");
        let broken = dir.path().join("broken.md");
        std::fs::write(&broken, "# B\n\n## Somewhere\n- [ ] x\n").unwrap();
        assert!(from_local_url(broken.to_str().unwrap()).is_none());
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

    /// Folders of your own runbooks join the built-in ones (yours replace one of the same id);
    /// one that does not parse is a problem naming its file, and the others still load.
    #[test]
    fn folders_of_runbooks_load_beside_the_built_in_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("orders.md"), "# Orders slow\n\n## Detect\n- [ ] Look.\n").unwrap();
        std::fs::write(dir.path().join("redis-down.md"), "# Our Redis\n\n## Recover\n- [ ] Restart.\n")
            .unwrap();
        std::fs::write(dir.path().join("broken.md"), "# B\n\n## Somewhere\n- [ ] x\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a runbook").unwrap();
        let missing = dir.path().join("missing");
        let (library, problems) = Library::load(&[dir.path().to_owned(), missing.clone()]);
        let built_in = Runbook::built_in().len();
        assert_eq!(library.all().len(), built_in + 1, "orders added, redis-down replaced");
        assert_eq!(library.get("redis-down").unwrap().title, "Our Redis");
        assert_eq!(library.get("orders").unwrap().title, "Orders slow");
        assert!(problems.iter().any(|p| p.to_string().contains("broken.md")), "{problems:?}");
        assert!(problems.iter().any(|p| p.to_string().contains("missing")), "{problems:?}");
    }
}
