//! The runtime driven by a clock moved by hand: a whole drill in milliseconds, with the same
//! instants on every run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::model::{EventKind, Health, Severity};
use crate::ops::Declaration;
use crate::topology::BlastRadius;

fn t0() -> DateTime<Utc> {
    crate::time::parse("2026-11-30T03:00:00Z").unwrap()
}

fn runtime() -> Runtime {
    let (library, problems) = Library::load(&[]);
    assert!(problems.is_empty());
    Runtime::new(Store::open_in_memory().unwrap(), library)
}

fn actor(now: DateTime<Utc>) -> Actor {
    Actor { origin: "test".into(), by: Some("Mina".into()), now }
}

fn declare(runtime: &Runtime, now: DateTime<Utc>) -> Ulid {
    let actor = Actor { origin: "test".into(), by: Some("Mina".into()), now };
    let decl = Declaration {
        title: "Checkout failing".into(),
        severity: Severity::Sev1,
        commander: None,
        at: None,
        local: false,
    };
    ops::declare(&mut runtime.log(), &actor, decl).unwrap().id
}

/// Plays a drill to its end on a stepped clock, recording on `id`; returns every update.
async fn play(runtime: &Runtime, clock: &SteppedClock) -> Vec<Update> {
    let mut updates = Vec::new();
    runtime
        .run(clock, |update| {
            let update = update.unwrap();
            let done = update.finished;
            updates.push(update);
            if done { Flow::Stop } else { Flow::Continue }
        })
        .await;
    updates
}

/// The pool drill at ×50, seed 7, played to its end on a stepped clock from [`t0`], recorded on
/// an incident declared then: the runtime, the incident and every update.
async fn recorded_pool_drill() -> (Runtime, Ulid, Vec<Update>) {
    let runtime = runtime();
    let clock = SteppedClock::new(t0());
    let id = declare(&runtime, t0());
    runtime.start_drill("db-pool-exhaustion", 7, 50.0, &actor(t0()), Some(id)).unwrap();
    let updates = play(&runtime, &clock).await;
    (runtime, id, updates)
}

#[tokio::test]
async fn a_drill_on_a_stepped_clock_cycles_on_its_ticks_and_records_what_changed() {
    let (runtime, id, updates) = recorded_pool_drill().await;

    // A 1 200 s scenario in 5 s ticks at ×50: 241 cycles 100 ms apart, each exactly on its tick.
    assert_eq!(updates.len(), 241);
    let period = chrono::Duration::milliseconds(100);
    for (k, u) in updates.iter().enumerate() {
        assert_eq!(u.at, t0() + period * i32::try_from(k).unwrap(), "cycle {k}");
    }
    assert!(updates.last().unwrap().finished);
    let down =
        updates.iter().flat_map(|u| &u.health).find(|c| c.node == "order-service" && c.to == Health::Down);
    assert!(down.is_some(), "order-service went down");
    assert!(
        updates.iter().any(|u| u
            .blast
            .as_ref()
            .is_some_and(|b| b.entrypoints_down.contains(&"api-gateway".to_owned())))
    );
    assert!(updates.iter().any(|u| u.notification.is_some()), "a node going down is worth a notification");

    // What the updates say was recorded is what the log holds, beside the declaration and the
    // start of recording (a change is dated from when it started, so the log's order may differ).
    let recorded: std::collections::BTreeSet<Ulid> =
        updates.iter().flat_map(|u| &u.events).map(|e| e.id).collect();
    let log: std::collections::BTreeSet<Ulid> = runtime
        .log()
        .events(id)
        .unwrap()
        .into_iter()
        .filter(|e| !matches!(e.kind, EventKind::Declared { .. } | EventKind::RecordingStarted { .. }))
        .map(|e| e.id)
        .collect();
    assert_eq!(recorded, log);
    let kinds: Vec<&str> = runtime.log().events(id).unwrap().iter().map(|e| e.kind.tag()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "topology_recorded").count(), 1);
    assert!(
        kinds.contains(&"alert_fired")
            && kinds.contains(&"alert_resolved")
            && kinds.contains(&"health_changed")
    );
    let events = runtime.log().events(id).unwrap();
    let started = events.iter().find(|e| matches!(e.kind, EventKind::RecordingStarted { .. })).unwrap();
    assert_eq!(
        (started.origin.as_str(), started.by.as_deref()),
        ("test", Some("Mina")),
        "who started recording"
    );
    assert!(
        matches!(&started.kind, EventKind::RecordingStarted { feed } if feed == "drill db-pool-exhaustion ×50, seed 7")
    );
    assert!(
        events
            .iter()
            .filter(|e| e.id != started.id && !matches!(e.kind, EventKind::Declared { .. }))
            .all(|e| e.origin == "drill")
    );
    // The scenario's deploy of order-service, 4 min (scenario time) before the drill started, is
    // on the incident, dated then, ranked first.
    let ranked = runtime.changes_of(id).unwrap();
    assert_eq!(ranked[0].change.node, "order-service", "{ranked:?}");
    assert_eq!(ranked[0].change.at, t0() - chrono::Duration::milliseconds(240_000 / 50));
    assert!(
        ranked[0].reason.starts_with("deployed to Order service, which is failing"),
        "{}",
        ranked[0].reason
    );
    assert!(
        !runtime.log().samples(id).unwrap().is_empty(),
        "the failing nodes' samples are kept for the charts"
    );
}

#[tokio::test]
async fn the_same_drill_and_seed_give_the_same_events_at_the_same_offsets() {
    let mut runs = Vec::new();
    for start in [t0(), t0() + chrono::Duration::hours(5)] {
        let runtime = runtime();
        let clock = SteppedClock::new(start);
        let id = declare(&runtime, start);
        runtime.start_drill("redis-down", 3, 200.0, &actor(start), Some(id)).unwrap();
        play(&runtime, &clock).await;
        let events: Vec<(String, Option<String>, chrono::Duration)> = runtime
            .log()
            .events(id)
            .unwrap()
            .iter()
            .skip(1)
            .map(|e| (e.kind.tag().to_owned(), node_of(&e.kind), e.at - start))
            .collect();
        runs.push(events);
    }
    assert!(runs[0].len() > 5, "{:?}", runs[0]);
    assert_eq!(runs[0], runs[1]);
}

fn node_of(kind: &EventKind) -> Option<String> {
    match kind {
        EventKind::HealthChanged { node, .. }
        | EventKind::AlertFired { node, .. }
        | EventKind::AlertResolved { node, .. } => Some(node.clone()),
        _ => None,
    }
}

/// A runbook attached to the incident recorded on is checked every cycle, and only changes are
/// written, by the checker, dated from when they started; checks of a stage not reached are
/// seen, not written. A drill that records on no incident checks no incident's runbook.
#[tokio::test]
async fn attached_runbooks_are_checked_and_only_changes_are_recorded() {
    let actor = Actor { origin: "test".into(), by: None, now: t0() };
    // Played for practice, on no incident: the incident's runbook is not checked.
    let practice = runtime();
    let other = declare(&practice, t0());
    practice.attach_runbook(&actor, other, "db-pool-exhaustion", Some("mysql-primary".into())).unwrap();
    practice.start_drill("db-pool-exhaustion", 1, 100.0, &actor, None).unwrap();
    let updates = play(&practice, &SteppedClock::new(t0())).await;
    assert!(updates.iter().all(|u| u.checks.is_empty()));
    assert!(
        !practice
            .log()
            .events(other)
            .unwrap()
            .iter()
            .any(|e| matches!(e.kind, EventKind::CheckEvaluated { .. }))
    );

    let runtime = runtime();
    let clock = SteppedClock::new(t0());
    let id = declare(&runtime, t0());
    runtime.attach_runbook(&actor, id, "db-pool-exhaustion", Some("mysql-primary".into())).unwrap();
    runtime.start_drill("db-pool-exhaustion", 1, 100.0, &actor, Some(id)).unwrap();
    let updates = play(&runtime, &clock).await;
    let outcomes: Vec<&CheckOutcome> = updates.iter().flat_map(|u| &u.checks).collect();
    assert!(outcomes.iter().any(|o| o.passed == Some(true)), "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| o.step.starts_with("detect")),
        "the incident stayed in detect: {outcomes:?}"
    );
    let seen = runtime.runbooks_of(id).unwrap().remove(0).live;
    assert!(
        seen.keys().any(|step| step.starts_with("recover")),
        "recover's checks are seen all the same: {seen:?}"
    );
    let written: Vec<_> = runtime
        .log()
        .events(id)
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.kind, EventKind::CheckEvaluated { .. }))
        .collect();
    assert_eq!(written.len(), outcomes.len(), "one event per change, none per cycle");
    assert!(written.iter().all(|e| e.origin == "check"));
    assert!(written.len() < 241, "changes only");
}

#[tokio::test]
async fn unknown_runbooks_and_steps_are_refused_by_name() {
    let runtime = runtime();
    let id = declare(&runtime, t0());
    let actor = Actor { origin: "test".into(), by: None, now: t0() };
    let err = runtime.attach_runbook(&actor, id, "nope", None).unwrap_err();
    assert_eq!(err.code(), "unknown_runbook");
    runtime.attach_runbook(&actor, id, "redis-down", None).unwrap();
    let err = runtime.check_step(&actor, id, "redis-down", "detect-99", true).unwrap_err();
    assert_eq!(err.code(), "unknown_step");
    assert!(err.to_string().contains("detect-99"), "{err}");
    let event = runtime.check_step(&actor, id, "redis-down", "detect-1", true).unwrap();
    assert!(matches!(event.kind, EventKind::StepChecked { ref text, .. } if !text.is_empty()));
}

/// With nothing to poll the loop only watches the log, and says when someone else wrote on it.
#[tokio::test(start_paused = true)]
async fn with_nothing_to_poll_the_loop_says_when_the_log_moved() {
    let runtime = runtime();
    let clock = SteppedClock::new(t0());
    // Someone declares before the loop starts (the runtime saw an empty log).
    declare(&runtime, t0());
    let writer = runtime.clone();
    let mut seen = Vec::new();
    let mut rounds = 0;
    runtime
        .run(&clock, |update| {
            rounds += 1;
            seen.push(update.unwrap());
            if rounds == 1 {
                // And again while it runs.
                declare(&writer, clock.now());
                return Flow::Continue;
            }
            Flow::Stop
        })
        .await;
    // Each declaration is one update saying the log moved, and nothing else; the watches in
    // between that saw nothing new said nothing.
    assert_eq!(rounds, 2);
    assert!(seen.iter().all(|u| u.log_changed && u.health.is_empty() && u.blast.is_none()));
}

#[test]
fn updates_merge_changes_and_keep_the_later_state() {
    let mut first = Update { at: t0(), log_changed: true, ..Update::default() };
    let later = Update {
        at: t0() + chrono::Duration::seconds(1),
        blast: Some(BlastRadius::default()),
        finished: true,
        ..Update::default()
    };
    first.merge(later);
    assert_eq!(first.at, t0() + chrono::Duration::seconds(1));
    assert!(first.log_changed && first.finished && first.blast.is_some());
    assert!(!first.is_empty());
}

/// An outage with no incident: declared from it in one step, as drafted (names, SEV1), the
/// impact's start noted at when users first saw it, and recording starts on it.
#[tokio::test]
async fn an_incident_is_declared_from_the_outage_users_see() {
    let runtime = runtime();
    let clock = SteppedClock::new(t0());
    runtime.start_drill("db-pool-exhaustion", 1, 50.0, &actor(t0()), None).unwrap();
    assert_eq!(runtime.declare_from_outage(&actor(t0())).unwrap_err().code(), "no_outage");
    runtime
        .run(&clock, |u| {
            let u = u.unwrap();
            if u.blast.is_some_and(|b| !b.entrypoints_down.is_empty()) { Flow::Stop } else { Flow::Continue }
        })
        .await;
    let now = clock.now();
    let situation = runtime.situation(now);
    let since = situation.outage_since.expect("since when users see it");
    let outage = situation.view.unwrap().outage.expect("the banner's data");
    assert!(
        outage.entrypoints[0].paths.iter().any(|p| p.last().is_some_and(|h| h.name == "Order service")),
        "{outage:?}"
    );
    let incident = runtime.declare_from_outage(&actor(now)).unwrap();
    assert_eq!(incident.severity, Severity::Sev1);
    assert!(
        incident.title.contains("API gateway") && incident.title.contains("Order service"),
        "{}",
        incident.title
    );
    assert_eq!(runtime.recording(), Some(incident.id));
    let events = runtime.log().events(incident.id).unwrap();
    let note = events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::Note { text } if text.starts_with("#impact-start")))
        .unwrap();
    assert_eq!(note.at, crate::time::truncate(since), "dated when the impact began");
    assert!(note.at < incident.declared_at, "before the declaration");
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::RecordingStarted { .. })));
}

/// The cadence's reminder on a clock moved by hand: a SEV1 declared at 03:00 with the default
/// cadence (15 min) is due at 03:15 (said once), overdue at 03:22:30 (said once more); an update
/// sent at 03:24 moves the next one to 03:39.
#[tokio::test]
async fn the_update_cadence_reminds_once_when_due_and_once_more_when_overdue() {
    let runtime = runtime();
    runtime.use_updates(Vec::new(), crate::updates::Cadence::default(), None);
    let id = declare(&runtime, t0());
    let at = |m: i64, s: i64| t0() + chrono::Duration::minutes(m) + chrono::Duration::seconds(s);
    let said = |u: Update| u.notification.map(|n| (n.title, n.body));

    assert_eq!(said(runtime.cycle(at(14, 59)).await.unwrap()), None, "not due before 03:15");
    let due = said(runtime.cycle(at(15, 0)).await.unwrap()).expect("due at 03:15");
    assert_eq!(due.0, "Update due");
    assert!(due.1.contains("Checkout failing"), "{due:?}");
    assert_eq!(said(runtime.cycle(at(15, 1)).await.unwrap()), None, "said once");
    assert_eq!(said(runtime.cycle(at(22, 29)).await.unwrap()), None, "not overdue before half the interval");
    let overdue = said(runtime.cycle(at(22, 30)).await.unwrap()).expect("overdue at 03:22:30");
    assert_eq!(overdue.0, "Update overdue");
    assert!(overdue.1.contains("overdue by 7 min"), "{overdue:?}");
    assert_eq!(said(runtime.cycle(at(23, 0)).await.unwrap()), None, "overdue said once");

    // An update is sent at 03:24 (queued: the outbox has no channel to deliver it, which does
    // not matter to the cadence): the next is due at 03:39.
    let writer = Actor { origin: "test".into(), by: Some("Jun".into()), now: at(24, 0) };
    let update = Ulid::new().to_string();
    let queued = EventKind::UpdateQueued {
        update,
        audience: crate::model::Audience::Exec,
        channel: "slack".into(),
        subject: "Checkout failing".into(),
        text: "We are on it".into(),
    };
    ops::record_on_log(&mut runtime.log(), &writer, id, queued).unwrap();
    assert_eq!(runtime.update_panel(id).unwrap().next_due, Some(at(39, 0)));
    assert_eq!(said(runtime.cycle(at(38, 59)).await.unwrap()), None);
    assert_eq!(said(runtime.cycle(at(39, 0)).await.unwrap()).map(|s| s.0).as_deref(), Some("Update due"));

    // Muted: nothing is said, and what was not said is not owed later.
    runtime.mute(true);
    assert_eq!(said(runtime.cycle(at(46, 30)).await.unwrap()), None, "muted");
}

/// Drafts at the peak of the db-pool drill: the public one speaks of what customers use (the
/// topology's public names) and names no internal node; the responders' one names the nodes
/// and what is failing; each says when the next update is due (SEV1: 15 min after declaring).
#[tokio::test]
async fn drafts_at_the_peak_say_the_outage_in_each_audiences_words() {
    let runtime = runtime();
    let clock = SteppedClock::new(t0());
    runtime.start_drill("db-pool-exhaustion", 1, 50.0, &actor(t0()), None).unwrap();
    runtime
        .run(&clock, |u| {
            let u = u.unwrap();
            if u.blast.is_some_and(|b| !b.entrypoints_down.is_empty()) { Flow::Stop } else { Flow::Continue }
        })
        .await;
    let now = clock.now();
    let incident = runtime.declare_from_outage(&actor(now)).unwrap();
    // The next cycle records the topology and the outage on the incident.
    let now = now + chrono::Duration::seconds(1);
    runtime.cycle(now).await.unwrap();
    let events = runtime.log().events(incident.id).unwrap();
    let topology = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::TopologyRecorded { topology, .. } => Some(topology.clone()),
            _ => None,
        })
        .expect("the topology is recorded on the incident");

    let public = runtime.draft_update(incident.id, crate::model::Audience::Public, now).unwrap();
    for node in &topology.nodes {
        for internal in [&node.id, &node.name] {
            assert!(
                !public.text.contains(internal.as_str()),
                "{internal} in the public draft:\n{}",
                public.text
            );
            assert!(
                !public.subject.contains(internal.as_str()),
                "{internal} in the public subject: {}",
                public.subject
            );
        }
    }
    assert!(public.subject.starts_with("Service disruption"), "{}", public.subject);
    assert!(
        public.text.contains("The website and mobile app are failing for some customers since"),
        "{}",
        public.text
    );
    let due = incident.declared_at + chrono::Duration::minutes(15);
    assert_eq!(public.next_due, Some(due));
    assert!(public.text.contains(&format!("Next update by {} UTC", due.format("%H:%M"))), "{}", public.text);

    let responders = runtime.draft_update(incident.id, crate::model::Audience::Responders, now).unwrap();
    assert!(responders.text.contains("API gateway impacted"), "{}", responders.text);
    assert!(responders.text.contains("Order service"), "{}", responders.text);
    let exec = runtime.draft_update(incident.id, crate::model::Audience::Exec, now).unwrap();
    assert!(exec.text.contains("Impact on customers"), "{}", exec.text);
    assert!(exec.subject.contains("SEV1"), "{}", exec.subject);
}

/// A drill started on the incident already recorded on (the next drill of a looping rehearsal
/// screen, or another one picked in the window) goes on recording there, and the log says what
/// it records from then on.
#[test]
fn another_drill_on_the_incident_recorded_on_says_so_on_the_log() {
    let runtime = runtime();
    let id = declare(&runtime, t0());
    runtime.start_drill("db-pool-exhaustion", 1, 50.0, &actor(t0()), Some(id)).unwrap();
    runtime.start_drill("redis-down", 1, 50.0, &actor(t0()), Some(id)).unwrap();
    assert_eq!(runtime.recording(), Some(id));
    let feeds: Vec<String> = runtime
        .log()
        .events(id)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::RecordingStarted { feed } => Some(feed),
            EventKind::RecordingStopped => Some("stopped".to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(feeds.len(), 2, "{feeds:?}");
    assert!(feeds[0].contains("db-pool-exhaustion") && feeds[1].contains("redis-down"), "{feeds:?}");
}

/// The ranking of changes is taken on from the last ask (only what was written since is read)
/// and says what a ranking of the whole incident says: after a drill, after a change written
/// later (dated before the others: it ranks by when it happened, not when it was written), and
/// for another incident asked in between.
#[tokio::test]
async fn the_ranking_of_changes_taken_on_from_the_last_ask_is_the_ranking_of_the_whole_incident() {
    let (runtime, id, _) = recorded_pool_drill().await;
    let whole = || crate::changes::ranked(&runtime.log().events(id).unwrap());
    let first = runtime.changes_of(id).unwrap();
    assert!(!first.is_empty(), "the drill records its scripted changes");
    assert_eq!(first, whole());

    let late = crate::model::Change {
        at: t0() - chrono::Duration::minutes(2),
        node: "mysql-primary".into(),
        kind: crate::model::ChangeKind::Config,
        summary: "max_connections 200 → 100".into(),
        from: Some("200".into()),
        to: Some("100".into()),
        source: "test".into(),
        by: None,
        key: "mysql/1".into(),
    };
    let now = t0() + chrono::Duration::minutes(30);
    crate::changes::record(&mut runtime.log(), &actor(now), id, std::slice::from_ref(&late)).unwrap();
    let other = declare(&runtime, now);
    assert!(runtime.changes_of(other).unwrap().is_empty(), "another incident, asked in between");
    let again = runtime.changes_of(id).unwrap();
    assert_eq!(again, whole());
    assert!(again.iter().any(|r| r.change == late), "the change written since is ranked: {again:?}");
    assert_eq!(again.len(), first.len() + 1);

    // Gathered in parts, in any order, the evidence ranks as the whole.
    let events = runtime.log().events(id).unwrap();
    let (early, later) = events.split_at(events.len() / 2);
    let mut evidence = crate::changes::Evidence::default();
    evidence.add(later);
    evidence.add(early);
    assert_eq!(evidence.ranked(), crate::changes::ranked(&events));
}
