//! A laptop for sync tests and the sync benchmark: its own SQLite log, and the runtime syncing
//! it with a hub exactly as the window does (its loop on a task, aborted when dropped).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chrono::Utc;
use ulid::Ulid;
use warroom::model::{Event, EventKind, Severity};
use warroom::ops::{self, Actor, Declaration};
use warroom::runtime::{Flow, Library, Runtime, SystemClock};
use warroom::store::Store;
use warroom::sync::SyncConfig;

/// A hub's `[sync]` with no password (test hubs trust loopback).
pub fn hub_config(url: &str, device: &str) -> SyncConfig {
    SyncConfig {
        url: url.to_owned(),
        password: None,
        ca_file: None,
        tls_verify: true,
        device: device.to_owned(),
    }
}

/// One laptop: its log, its runtime syncing with the hub, its person.
pub struct Laptop {
    pub runtime: Runtime,
    pub person: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Laptop {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A laptop named `device` (its log `DIR/<device>.db`), used by `person`, syncing with the hub at
/// `url` (or with none yet).
pub fn laptop(dir: &Path, device: &str, person: &str, url: Option<&str>) -> Laptop {
    let store = Store::open(&dir.join(format!("{device}.db"))).unwrap();
    let runtime = Runtime::new(store, Library::load(&[]).0);
    runtime.use_sync(url.map(|u| hub_config(u, device)), Some(person.to_owned()), "test");
    let looping = runtime.clone();
    let task = tokio::spawn(async move { looping.run(&SystemClock, |_| Flow::Continue).await });
    Laptop { runtime, person: person.to_owned(), task }
}

impl Laptop {
    pub fn actor(&self) -> Actor {
        Actor { origin: "cli".into(), by: Some(self.person.clone()), now: Utc::now() }
    }

    pub fn declare(&self, title: &str) -> Ulid {
        let decl = Declaration {
            title: title.into(),
            severity: Severity::Sev2,
            commander: None,
            at: None,
            local: false,
        };
        ops::declare(&mut self.runtime.log(), &self.actor(), decl).unwrap().id
    }

    pub fn note(&self, id: Ulid, text: &str) -> Event {
        ops::add_note(&mut self.runtime.log(), &self.actor(), id, text, None).unwrap()
    }

    /// Writes `n` notes in batches of 1 000 (what a laptop typed offline, written fast: the sync
    /// after it is what is measured).
    pub fn notes(&self, id: Ulid, n: usize, text: &str) {
        let now = Utc::now();
        let mut notes: Vec<Event> = (0..n)
            .map(|i| {
                let kind = EventKind::Note { text: format!("{text} {i}") };
                Event::new(id, now, now, "cli", Some(self.person.clone()), kind)
            })
            .collect();
        for batch in notes.chunks_mut(1000) {
            self.runtime.log().append(batch).unwrap();
        }
    }

    pub fn ids(&self, id: Ulid) -> Vec<Ulid> {
        self.runtime.log().events(id).map(|e| e.iter().map(|e| e.id).collect()).unwrap_or_default()
    }

    pub fn count(&self, id: Ulid) -> usize {
        self.runtime.log().event_count(id).unwrap_or(0)
    }

    pub fn has(&self, id: Ulid, event: Ulid) -> bool {
        self.ids(id).contains(&event)
    }

    /// The timeline as `warroom timeline --json` prints it.
    pub fn timeline(&self, id: Ulid) -> String {
        serde_json::to_string(&self.runtime.log().events(id).unwrap()).unwrap()
    }
}
