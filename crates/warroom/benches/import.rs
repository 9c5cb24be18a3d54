//! `warroom import` of a ~100 MB export (issue 17: it took 510 MB of memory read whole; target
//! under 100 MB), next to the whole-file import it replaced.
//!
//! `cargo bench -p warroom --bench import` (`EVENTS=n` for another size). A plain binary that
//! prints its figures; it asserts nothing about time or memory (these machines are shared and
//! noisy). The incident is written into a real SQLite file (`common/incident.rs`, plus notes
//! dated back, recorded last, which wait in the import for what they follow) and exported as
//! `warroom export --format json` writes it; each import then runs in a process of its own (this
//! binary again), into a new log, and prints its peak resident memory (`VmHWM`) and its time:
//! - `streamed`: what `warroom import` does now (`files::open_streamed`, `export::import`);
//! - `whole`: the file read whole and parsed into memory, then imported (what it did before, but
//!   for the import itself, which is the streamed one's now: before, it took 510 MB here);
//! - `again`: the streamed import into the log that has it all already (every event compared).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/incident.rs"]
mod incident;
#[path = "common/memory.rs"]
mod memory;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chrono::Duration;
use warroom::export::Exported;
use warroom::model::{Event, EventKind};
use warroom::store::Store;

/// About 100 MB of JSON.
const EVENTS: usize = 190_000;

fn main() {
    if let Ok(how) = std::env::var("IMPORT_BENCH_CHILD") {
        let mut args = std::env::args().skip_while(|a| a != "--").skip(1);
        let (file, db) = (args.next().unwrap(), args.next().unwrap());
        child(&how, Path::new(&file), Path::new(&db));
        return;
    }
    let events = std::env::var("EVENTS").ok().and_then(|n| n.parse().ok()).unwrap_or(EVENTS);
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("source.db")).unwrap();
    let id = incident::write_incident(&mut store, events);
    let all = store.events(id).unwrap();
    let t0 = all[0].at;
    let mut late: Vec<Event> = (0..1000)
        .map(|k| {
            let at = t0 + Duration::seconds(k * 13);
            Event::new(id, at, at, "cli", None, EventKind::Note { text: format!("dated back {k}") })
        })
        .collect();
    store.append(&mut late).unwrap();
    let file = dir.path().join(format!("{id}.json"));
    let exported = Exported::new(store.events(id).unwrap(), store.samples(id).unwrap()).unwrap();
    warroom::files::write_atomically(&file, |out| {
        serde_json::to_writer_pretty(out, &exported).map_err(Into::into)
    })
    .unwrap();
    drop((exported, all, store));
    let size = std::fs::metadata(&file).unwrap().len();
    println!("import of one incident: {} events, a {:.1} MB file", events + 1000, size as f64 / 1e6);
    for (how, db) in [("streamed", "streamed.db"), ("whole", "whole.db"), ("again", "streamed.db")] {
        let out = Command::new(std::env::current_exe().unwrap())
            .env("IMPORT_BENCH_CHILD", how)
            .env("WARROOM_MAX_FILE_MB", "4096")
            .arg("--")
            .arg(&file)
            .arg(dir.path().join(db))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}

/// One import in this process: prints its time and this process's peak memory.
fn child(how: &str, file: &Path, db: &Path) {
    let mut store = Store::open(db).unwrap();
    let started = Instant::now();
    let imported = if how == "whole" {
        let text = warroom::files::read_to_string(file).unwrap();
        let exported: Exported = serde_json::from_str(&text).unwrap();
        store.import_incident(exported.incident.id, &exported.events, &exported.samples).unwrap()
    } else {
        let reader = warroom::files::open_streamed(file).unwrap();
        warroom::export::import(file, reader, &mut store).unwrap().1
    };
    let took = started.elapsed();
    println!(
        "  {how:<9} {took:>8.2?}  peak memory {:>6.1} MB  ({} added, {} known, {} samples)",
        memory::peak_mb(),
        imported.added,
        imported.known,
        imported.samples
    );
}
