//! The postmortem and replay of a 100 000-event incident, next to merely reading its events, and
//! the Markdown export of a 400 000-event one (issue 17: it must stay linear, target ≤ 4 s).
//!
//! `cargo bench -p warroom --bench postmortem` (`LARGE=0` leaves the 400 000-event case out;
//! `BREAKDOWN=1` prints where the export's time goes). A plain binary that prints its figures
//! (medians of several runs): figures go in the issue notes, not in assertions, since the
//! machines are shared and noisy. The incident is written into a real SQLite file first: a topology snapshot,
//! then 100 000 events (health changes, alerts firing and resolving, notes, check outcomes, ten
//! stage changes) over four hours, and four series of samples every 5 s (11 520 samples).
//!
//! - `read`: the events and samples from the log (the limit of any export);
//! - `export`: read, replay, metrics, Markdown, 4 charts as PNG and SVG, files written;
//! - `seek`: the state and the graph at a random instant of an already opened replay (what the
//!   review scrubber asks for), and opening the replay itself (once per review);
//! - `large`: the same incident at 400 000 events (the same four hours), read and exported, and
//!   an update drafted from it (what the window's "Draft" asks of the core).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration as Elapsed, Instant};

use chrono::Duration;
use ulid::Ulid;
use warroom::model::{Audience, Metric};
use warroom::postmortem::{self, Options};
use warroom::replay::Replay;
use warroom::store::Store;

#[path = "common/incident.rs"]
mod incident;

use incident::{SPAN_SECS, write_incident};

const EVENTS: usize = 100_000;
/// The large case: the incident of issue 17 whose export took 19.6 s.
const LARGE: usize = 400_000;

fn median(mut runs: Vec<Elapsed>) -> Elapsed {
    runs.sort_unstable();
    runs[runs.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Elapsed, Elapsed) {
    let mut took = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(f());
        took.push(start.elapsed());
    }
    let max = took.iter().copied().max().unwrap_or_default();
    (median(took), max)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("bench.db")).unwrap();
    let started = Instant::now();
    let id = write_incident(&mut store, EVENTS);
    println!("wrote {EVENTS} events and 11 520 samples in {:.1?}", started.elapsed());

    let (read, read_max) = time(5, || (store.events(id).unwrap(), store.samples(id).unwrap()));
    println!("read events + samples      median {read:>8.1?}  max {read_max:>8.1?}");

    let out = dir.path().join("out");
    let (export, export_max) = time(5, || {
        let replay = Replay::new(store.events(id).unwrap(), store.samples(id).unwrap()).unwrap();
        let options = Options { history: Vec::new(), ..Options::at(chrono::Utc::now()) };
        let written = postmortem::render(&replay, &options).unwrap();
        assert_eq!(written.images.len(), 8, "4 charts as PNG and SVG");
        postmortem::write(&out, &id.to_string(), &written).unwrap()
    });
    println!(
        "export md + 4 charts       median {export:>8.1?}  max {export_max:>8.1?}  ({:.2}× reading)",
        export.as_secs_f64() / read.as_secs_f64()
    );
    let md = std::fs::metadata(out.join(format!("{id}.md"))).unwrap().len();
    println!("  the Markdown is {:.1} MB", md as f64 / 1e6);
    if std::env::var_os("BREAKDOWN").is_some() {
        breakdown(&store, id);
    }

    let events = store.events(id).unwrap();
    let samples = store.samples(id).unwrap();
    let (open, open_max) = time(5, || Replay::new(events.clone(), samples.clone()).unwrap());
    println!("open a replay (once)       median {open:>8.1?}  max {open_max:>8.1?}");
    let replay = Replay::new(events, samples).unwrap();
    let start = replay.declared_at();
    let mut rng = fastrand::Rng::with_seed(7);
    let (seek, seek_max) = time(200, || {
        let at = start + Duration::milliseconds(rng.i64(0..SPAN_SECS * 1000));
        (replay.at(at).unwrap(), replay.graph(at).unwrap())
    });
    println!("seek: state + graph at T   median {seek:>8.1?}  max {seek_max:>8.1?}  (200 random instants)");
    if std::env::var("LARGE").map_or(true, |v| v != "0") {
        large(dir.path());
    }
}

/// Reads and exports an incident of [`LARGE`] events (3 runs: each takes seconds).
fn large(dir: &std::path::Path) {
    let mut store = Store::open(&dir.join("large.db")).unwrap();
    let started = Instant::now();
    let id = write_incident(&mut store, LARGE);
    println!("\nlarge: wrote {LARGE} events and 11 520 samples in {:.1?}", started.elapsed());
    let (read, read_max) = time(3, || (store.events(id).unwrap(), store.samples(id).unwrap()));
    println!("read events + samples      median {read:>8.1?}  max {read_max:>8.1?}");
    let out = dir.join("out-large");
    let (export, export_max) = time(3, || {
        let replay = Replay::new(store.events(id).unwrap(), store.samples(id).unwrap()).unwrap();
        let options = Options { history: Vec::new(), ..Options::at(chrono::Utc::now()) };
        postmortem::export(&replay, &options, &out).unwrap()
    });
    println!(
        "export md + 4 charts       median {export:>8.1?}  max {export_max:>8.1?}  ({:.2}× reading; target ≤ 4 s)",
        export.as_secs_f64() / read.as_secs_f64()
    );
    // What the window's "draft an update" asks of the core (`Runtime::draft_update`): the
    // events read, a replay opened without samples, the draft written as of the end.
    let (draft, draft_max) = time(3, || {
        let replay = Replay::new(store.events(id).unwrap(), Vec::new()).unwrap();
        let cadence = warroom::updates::Cadence::default();
        warroom::updates::draft::draft(&replay, Audience::Exec, &cadence, None, Vec::new(), replay.end())
            .unwrap()
    });
    println!("draft an update            median {draft:>8.1?}  max {draft_max:>8.1?}");
    if std::env::var_os("BREAKDOWN").is_some() {
        breakdown(&store, id);
    }
}

fn breakdown(store: &Store, id: Ulid) {
    let replay = Replay::new(store.events(id).unwrap(), store.samples(id).unwrap()).unwrap();
    let incident = replay.at(replay.last()).unwrap().incident;
    let (m, _) = time(3, || postmortem::metrics::compute(&replay, &incident, &[]));
    println!("  metrics {m:.1?}");
    let (at, _) = time(3, || replay.at(replay.end()).unwrap());
    println!("  fold to the end {at:.1?}");
    let (no_charts, _) = time(3, || {
        postmortem::render(&replay, &Options { charts: 0, ..Options::at(chrono::Utc::now()) }).unwrap()
    });
    println!("  render without charts {no_charts:.1?}");
    let (all, _) = time(3, || postmortem::render(&replay, &Options::at(chrono::Utc::now())).unwrap());
    println!("  render with charts {all:.1?}");
    let points = replay.series("order-service", Metric::Http5xxRatio).to_vec();
    let chart = warroom::chart::Chart {
        node: "order-service",
        metric: Metric::Http5xxRatio,
        points: &points,
        threshold: Some(0.02),
        marks: &[],
        span: None,
        size: (800, 300),
    };
    let (png, _) = time(3, || chart.png().unwrap());
    let (svg, _) = time(3, || chart.svg().unwrap());
    println!("  one chart: png {png:.1?}, svg {svg:.1?} ({} points)", points.len());
}
