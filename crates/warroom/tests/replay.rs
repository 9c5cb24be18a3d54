//! Replay shows what the window showed: a drill is recorded into a real SQLite log the way the
//! app records it (topology, health changes, alerts, samples of the affected nodes), the live
//! state is kept at every step, and then the replay of the log at each of those instants must
//! give the same node health, blast radius, firing alerts and affected nodes' numbers. Also:
//! the postmortem of that recorded drill, and replay surviving an export/import round trip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use warroom::model::{AlertState, Health, Severity};
use warroom::monitor::GraphView;
use warroom::ops::{self, Actor, Declaration};
use warroom::rehearsal::Rehearsal;
use warroom::replay::Replay;
use warroom::store::Store;

/// What the window showed at one instant.
struct Shown {
    at: DateTime<Utc>,
    view: GraphView,
}

fn actor(now: DateTime<Utc>) -> Actor {
    Actor { origin: "drill".to_owned(), by: None, now }
}

/// Plays `scenario` at speed 1 on simulated time, recording every 5 s; returns the log and what
/// was shown at each step.
fn record(store: &mut Store, scenario: &str) -> (ulid::Ulid, Vec<Shown>) {
    let t0 = DateTime::parse_from_rfc3339("2026-11-20T03:00:00Z").unwrap().with_timezone(&Utc);
    let declaration = Declaration {
        title: format!("drill {scenario}"),
        severity: Severity::Sev2,
        commander: None,
        at: None,
    };
    let id =
        ops::declare(store, &Actor { origin: "cli".into(), by: Some("Mina".into()), now: t0 }, declaration)
            .unwrap()
            .id;
    let mut rehearsal = Rehearsal::start(scenario, 7, 1.0, t0).unwrap();
    let mut shown = Vec::new();
    let mut t = t0 + Duration::seconds(1);
    while !rehearsal.finished(t) {
        let changes = rehearsal.step(t).unwrap();
        ops::record_changes(store, &actor(t), id, &changes, rehearsal.monitor()).unwrap();
        shown.push(Shown { at: t, view: rehearsal.view(t) });
        t += Duration::seconds(5);
    }
    (id, shown)
}

fn firing(view: &GraphView) -> BTreeSet<String> {
    view.alerts.iter().filter(|a| a.state == AlertState::Firing).map(|a| a.fingerprint.clone()).collect()
}

fn check_replay_equals_live(scenario: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("w.db")).unwrap();
    let (id, shown) = record(&mut store, scenario);
    assert!(shown.len() > 100, "many instants: {}", shown.len());
    let replay = Replay::new(store.events(id).unwrap(), store.samples(id).unwrap()).unwrap();
    let mut unhealthy_instants = 0;
    for Shown { at, view: live } in &shown {
        let moment = replay.at(*at).unwrap();
        let replayed = replay.graph(*at).expect("the topology was recorded at the first step");
        for node in &live.nodes {
            let again = replayed.nodes.iter().find(|n| n.id == node.id).unwrap();
            assert_eq!(again.health, node.health, "{} at {at}", node.id);
            let recorded = moment.health.get(&node.id).copied().unwrap_or(Health::Unknown);
            assert_eq!(recorded, node.health, "{} at {at} (moment)", node.id);
            // The affected nodes' numbers are kept: the replay shows the same values.
            if moment.incident.affected.contains(&node.id) {
                for signal in &node.signals {
                    let kept = again.signals.iter().find(|s| s.metric == signal.metric);
                    assert_eq!(
                        kept.map(|s| s.value),
                        Some(signal.value),
                        "{} {:?} at {at}",
                        node.id,
                        signal.metric
                    );
                }
            }
        }
        assert_eq!(replayed.blast, live.blast, "blast radius at {at}");
        assert_eq!(moment.radius.as_ref(), Some(&live.blast), "moment's blast radius at {at}");
        let alerts: BTreeSet<String> = moment.alerts.iter().map(|a| a.fingerprint.clone()).collect();
        assert_eq!(alerts, firing(live), "alerts at {at}");
        assert_eq!(firing(&replayed), firing(live), "graph alerts at {at}");
        unhealthy_instants += usize::from(!live.blast.down.is_empty() || !live.blast.degraded.is_empty());
    }
    assert!(unhealthy_instants > 10, "the drill broke something: {unhealthy_instants}");
}

#[test]
fn replay_equals_what_was_shown_during_a_db_pool_drill() {
    check_replay_equals_live("db-pool-exhaustion");
}

#[test]
fn replay_equals_what_was_shown_during_a_redis_drill() {
    check_replay_equals_live("redis-down");
}

#[test]
fn a_recorded_drill_exports_a_postmortem_with_its_outage_and_charts_and_survives_import() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("w.db")).unwrap();
    let (id, shown) = record(&mut store, "db-pool-exhaustion");
    let end = shown.last().unwrap().at;
    ops::resolve(&mut store, &Actor { origin: "cli".into(), by: Some("Mina".into()), now: end }, id, None)
        .unwrap();
    let replay = Replay::new(store.events(id).unwrap(), store.samples(id).unwrap()).unwrap();
    let options = warroom::postmortem::Options { now: end, ..Default::default() };
    let postmortem = warroom::postmortem::render(&replay, &options).unwrap();
    let outage: i64 = shown
        .windows(2)
        .filter(|w| !w[0].view.blast.entrypoints_down.is_empty())
        .map(|w| (w[1].at - w[0].at).num_seconds())
        .sum();
    // Outage windows are measured between recorded changes: the same 5 s steps.
    assert_eq!(postmortem.metrics.outage_secs, outage);
    assert!(outage > 0, "the drill takes the gateway down");
    assert_eq!(postmortem.images.len(), 8, "four charts, PNG and SVG");
    assert!(postmortem.markdown.contains("## Timeline"));

    // The JSON export carries the samples: another log replays the same graph.
    let exported =
        warroom::export::Exported::new(store.events(id).unwrap(), store.samples(id).unwrap()).unwrap();
    let text = serde_json::to_string(&exported).unwrap();
    let parsed = warroom::export::Exported::parse(std::path::Path::new("x.json"), &text).unwrap();
    let mut other = Store::open(&dir.path().join("other.db")).unwrap();
    other.import(&parsed.events).unwrap();
    assert_eq!(other.record_samples(id, &parsed.samples).unwrap(), parsed.samples.len());
    assert_eq!(other.record_samples(id, &parsed.samples).unwrap(), 0, "importing twice adds nothing");
    let again = Replay::new(other.events(id).unwrap(), other.samples(id).unwrap()).unwrap();
    for Shown { at, .. } in shown.iter().step_by(17) {
        assert_eq!(again.graph(*at), replay.graph(*at), "at {at}");
    }
}
