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
        local: false,
    };
    let id =
        ops::declare(store, &Actor { origin: "cli".into(), by: Some("Mina".into()), now: t0 }, declaration)
            .unwrap()
            .id;
    // Every change at once: what is shown at a step is then exactly what the log says of it
    // (with hysteresis the log dates a change from its first step, a step before it is shown).
    let mut rehearsal = Rehearsal::start(scenario, 7, 1.0, t0).unwrap().hold_cycles(1);
    let mut recorder = ops::Recorder::attach(store, id).unwrap();
    let mut shown = Vec::new();
    let mut t = t0 + Duration::seconds(1);
    while !rehearsal.finished(t) {
        let changes = rehearsal.step(t);
        recorder.record(store, &actor(t), &changes, rehearsal.monitor()).unwrap();
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
    let options = warroom::postmortem::Options::at(end);
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
    let mut other = Store::open(&dir.path().join("other.db")).unwrap();
    let file = std::path::Path::new("x.json");
    let (_, imported) = warroom::export::import(file, text.as_bytes(), &mut other).unwrap();
    assert_eq!(imported.samples, exported.samples.len());
    let (_, again) = warroom::export::import(file, text.as_bytes(), &mut other).unwrap();
    assert_eq!((again.added, again.samples), (0, 0), "importing twice adds nothing");
    let again = Replay::new(other.events(id).unwrap(), other.samples(id).unwrap()).unwrap();
    for Shown { at, .. } in shown.iter().step_by(17) {
        assert_eq!(again.graph(*at), replay.graph(*at), "at {at}");
    }
}

/// The usual order at 3 a.m.: the alert fires, someone declares, then the drill (or the live
/// sources) is attached. The alert that led to the declaration is on the log from the first
/// recorded cycle, and it is resolved there when it stops.
#[test]
fn an_alert_already_firing_when_recording_starts_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("w.db")).unwrap();
    let t0 = DateTime::parse_from_rfc3339("2026-11-20T03:00:00Z").unwrap().with_timezone(&Utc);
    let mut rehearsal = Rehearsal::start("db-pool-exhaustion", 7, 1.0, t0).unwrap();
    let mut t = t0;
    while rehearsal.monitor().firing_alerts().is_empty() {
        t += Duration::seconds(5);
        rehearsal.step(t);
    }
    let firing = rehearsal.monitor().firing_alerts();
    let declaration = Declaration {
        title: "pool".into(),
        severity: Severity::Sev2,
        commander: None,
        at: None,
        local: false,
    };
    let id = ops::declare(&mut store, &actor(t), declaration).unwrap().id;
    let mut recorder = ops::Recorder::attach(&store, id).unwrap();
    let mut end = t;
    while !rehearsal.finished(end) {
        end += Duration::seconds(5);
        let changes = rehearsal.step(end);
        recorder.record(&mut store, &actor(end), &changes, rehearsal.monitor()).unwrap();
    }
    let events = store.events(id).unwrap();
    for alert in &firing {
        let fired = events.iter().filter(|e| matches!(&e.kind, warroom::model::EventKind::AlertFired { fingerprint, .. } if *fingerprint == alert.fingerprint)).count();
        let resolved = events.iter().filter(|e| matches!(&e.kind, warroom::model::EventKind::AlertResolved { fingerprint, .. } if *fingerprint == alert.fingerprint)).count();
        assert_eq!((fired, resolved), (1, 1), "{} once fired, once resolved", alert.name);
    }
    let incident = store.incident(id).unwrap();
    assert!(incident.first_alert_at.is_some_and(|first| first <= t), "the alert started by the declaration");
}

/// Recording stops when the incident is resolved, and starts again with a fresh snapshot when it
/// is reopened; a recorder attached anew (the app restarted) writes a snapshot of what the
/// monitor says now, so a node recorded down before is not down for ever in the replay.
#[test]
fn recording_stops_at_resolution_and_a_new_snapshot_resets_what_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("w.db")).unwrap();
    let (id, shown) = record(&mut store, "db-pool-exhaustion");
    let peak = shown.iter().find(|s| s.view.blast.down.contains(&"order-service".to_owned())).unwrap().at;
    let before = store.events(id).unwrap().len();

    // Resolved: a new drill on it records nothing.
    let end = shown.last().unwrap().at;
    ops::resolve(&mut store, &actor(end), id, None).unwrap();
    let mut rehearsal = Rehearsal::start("db-pool-exhaustion", 7, 1.0, end).unwrap();
    let mut recorder = ops::Recorder::attach(&store, id).unwrap();
    let mut t = end;
    for _ in 0..10 {
        t += Duration::seconds(5);
        let changes = rehearsal.step(t);
        assert_eq!(recorder.record(&mut store, &actor(t), &changes, rehearsal.monitor()).unwrap(), 0);
    }
    assert_eq!(store.events(id).unwrap().len(), before + 1, "only the resolution");

    // The log last said the order service was down (as when a recorder dies mid-outage).
    let stale = warroom::model::Event::new(
        id,
        t,
        t,
        "drill",
        None,
        warroom::model::EventKind::HealthChanged {
            node: "order-service".into(),
            from: Health::Healthy,
            to: Health::Down,
            reason: "http_5xx_ratio 18.0% > 2.0%".into(),
        },
    );
    store.append(&mut [stale]).unwrap();

    // Reopened: the next cycle writes what differs from the log on the same topology (the
    // order service healthy again early in the scenario), and no second snapshot: one per
    // change of topology. The replay after it no longer shows the old state.
    ops::reopen(&mut store, &actor(t), id, None).unwrap();
    let mut recorder = ops::Recorder::attach(&store, id).unwrap();
    t += Duration::seconds(5);
    let changes = rehearsal.step(t);
    assert!(recorder.record(&mut store, &actor(t), &changes, rehearsal.monitor()).unwrap() >= 1);
    let events = store.events(id).unwrap();
    let snapshots = events
        .iter()
        .filter(|e| matches!(e.kind, warroom::model::EventKind::TopologyRecorded { .. }))
        .count();
    assert_eq!(snapshots, 1, "the same topology is not snapshotted twice");
    let healed = events.iter().any(|e| {
        e.at == t && matches!(&e.kind, warroom::model::EventKind::HealthChanged { node, to: Health::Healthy, .. } if node == "order-service")
    });
    assert!(healed, "what differs from the log is written");
    let replay = Replay::new(store.events(id).unwrap(), store.samples(id).unwrap()).unwrap();
    let graph = replay.graph(t).unwrap();
    let live = rehearsal.view(t);
    for node in &live.nodes {
        let again = graph.nodes.iter().find(|n| n.id == node.id).unwrap();
        assert_eq!(again.health, node.health, "{} after the new snapshot", node.id);
    }
    assert!(
        replay.graph(peak).unwrap().blast.down.contains(&"order-service".to_owned()),
        "the past is unchanged"
    );
}

/// Action items added in two copies of a log (two responders, merged by import) are both kept:
/// an item is known by the event that added it, and the fold numbers them A1, A2 anew.
#[test]
fn action_items_added_in_two_logs_both_survive_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Store::open(&dir.path().join("a.db")).unwrap();
    let t0 = DateTime::parse_from_rfc3339("2026-11-20T03:00:00Z").unwrap().with_timezone(&Utc);
    let cli = |minutes| Actor {
        origin: "cli".into(),
        by: Some("Mina".into()),
        now: t0 + Duration::minutes(minutes),
    };
    let declaration =
        Declaration { title: "x".into(), severity: Severity::Sev3, commander: None, at: None, local: false };
    let id = ops::declare(&mut first, &cli(0), declaration).unwrap().id;
    let mut second = Store::open(&dir.path().join("b.db")).unwrap();
    second.import(&first.events(id).unwrap()).unwrap();
    let add = |title: &str| ops::ActionEdit { title: Some(title.into()), ..Default::default() };
    assert_eq!(ops::set_action(&mut first, &cli(1), id, add("Alert on the pool")).unwrap().id, "A1");
    assert_eq!(ops::set_action(&mut second, &cli(2), id, add("Load-test checkout")).unwrap().id, "A1");
    first.import(&second.events(id).unwrap()).unwrap();
    let actions = first.incident(id).unwrap().actions;
    let titles: Vec<(&str, &str)> = actions.iter().map(|a| (a.id.as_str(), a.title.as_str())).collect();
    assert_eq!(titles, [("A1", "Alert on the pool"), ("A2", "Load-test checkout")]);
    // Edited by its number in the merged log, the right one changes.
    let edit = ops::ActionEdit { id: Some("a2".into()), owner: Some("Jun".into()), ..Default::default() };
    ops::set_action(&mut first, &cli(3), id, edit).unwrap();
    let actions = first.incident(id).unwrap().actions;
    assert_eq!(actions[1].owner.as_deref(), Some("Jun"));
    assert_eq!(actions[0].owner, None);
}
