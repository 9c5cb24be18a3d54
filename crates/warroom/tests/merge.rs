//! Merging is exact: a property test. N laptops write at random (notes, and conflicting changes
//! of stage, severity and roles, often at the same instant), go offline and come back, push and
//! pull in random interleavings and batch sizes, and trade exported files in shuffled order; once
//! everything has been delivered, every laptop folds the same incident and prints the same
//! timeline. The hub here is a list with a cursor, as PostgreSQL is to the sync code (the real
//! hub is in `tests/sync.rs`); everything else is the real log: `Store::to_push`, `pushed`,
//! `merge_pulled`, `import`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use ulid::Ulid;
use warroom::model::{Role, Severity, Stage};
use warroom::ops::{self, Actor, Declaration};
use warroom::store::{Row, Store};

const HUB: &str = "hub";

#[derive(Debug, Clone)]
enum Op {
    /// A laptop writes something at `t0 + secs`.
    Write { laptop: usize, what: u8, secs: i64, pick: u8 },
    /// A laptop pushes what the hub lacks.
    Push { laptop: usize },
    /// A laptop pulls up to `batch` events.
    Pull { laptop: usize, batch: usize },
    /// A laptop loses (or regains) the network.
    Toggle { laptop: usize },
    /// One laptop hands its whole log to another as an exported file, shuffled.
    Hand { from: usize, to: usize, seed: u64 },
}

fn op(laptops: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..laptops, 0u8..6, 0i64..6, any::<u8>())
            .prop_map(|(laptop, what, secs, pick)| Op::Write { laptop, what, secs, pick }),
        2 => (0..laptops).prop_map(|laptop| Op::Push { laptop }),
        2 => (0..laptops, 1usize..8).prop_map(|(laptop, batch)| Op::Pull { laptop, batch }),
        1 => (0..laptops).prop_map(|laptop| Op::Toggle { laptop }),
        1 => (0..laptops, 0..laptops, any::<u64>()).prop_map(|(from, to, seed)| Op::Hand { from, to, seed }),
    ]
}

struct Laptop {
    store: Store,
    online: bool,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 3, 0, 0).unwrap()
}

fn write(store: &mut Store, id: Ulid, name: &str, what: u8, secs: i64, pick: u8) {
    let actor = Actor { origin: "cli".into(), by: Some(name.into()), now: t0() + Duration::seconds(secs) };
    let stage = Stage::ALL[usize::from(pick) % Stage::ALL.len()];
    let severity = Severity::ALL[usize::from(pick) % Severity::ALL.len()];
    let role = Role::ALL[usize::from(pick) % Role::ALL.len()];
    // Refusals (the stage it is in, the severity it has) are part of the game: nothing written.
    let _ = match what {
        0 => ops::add_note(store, &actor, id, &format!("{name} {pick}"), None).map(|_| ()),
        1 => ops::enter_stage(store, &actor, id, stage, None).map(|_| ()),
        2 => ops::change_severity(store, &actor, id, severity, None).map(|_| ()),
        3 => ops::assign_role(store, &actor, id, role, name, None).map(|_| ()),
        4 => ops::resolve(store, &actor, id, None).map(|_| ()),
        _ => ops::reopen(store, &actor, id, None).map(|_| ()),
    };
}

fn push(store: &mut Store, hub: &mut Vec<Row>) {
    let (rows, up_to) = store.to_push(HUB, 3).unwrap();
    let known: HashSet<String> = hub.iter().map(|r| r.id.clone()).collect();
    hub.extend(rows.into_iter().filter(|r| !known.contains(&r.id)));
    store.pushed(HUB, up_to, t0()).unwrap();
}

fn pull(store: &mut Store, hub: &[Row], batch: usize) {
    let cursor = usize::try_from(store.cursor(HUB).unwrap().events).unwrap();
    let end = hub.len().min(cursor + batch);
    let merged = store.merge_pulled(HUB, &hub[cursor..end], i64::try_from(end).unwrap(), t0()).unwrap();
    assert!(merged.problems.is_empty(), "{:?}", merged.problems);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_laptop_with_the_same_events_folds_the_same_incident(
        laptops in 2usize..5,
        ops in prop::collection::vec(op(4), 10..70),
    ) {
        let mut fleet: Vec<Laptop> = (0..laptops)
            .map(|i| {
                let mut store = Store::open_in_memory().unwrap();
                store.set_device(&format!("laptop-{i}"));
                Laptop { store, online: true }
            })
            .collect();
        let actor = Actor { origin: "cli".into(), by: Some("p0".into()), now: t0() };
        let decl = Declaration { title: "t".into(), severity: Severity::Sev2, commander: None, at: None, local: false };
        let id = ops::declare(&mut fleet[0].store, &actor, decl).unwrap().id;
        let mut hub: Vec<Row> = Vec::new();
        push(&mut fleet[0].store, &mut hub);
        for l in fleet.iter_mut().skip(1) {
            pull(&mut l.store, &hub, 1);
        }

        for op in ops {
            match op {
                Op::Write { laptop, what, secs, pick } if laptop < laptops => {
                    write(&mut fleet[laptop].store, id, &format!("p{laptop}"), what, secs, pick);
                }
                Op::Push { laptop } if laptop < laptops && fleet[laptop].online => {
                    push(&mut fleet[laptop].store, &mut hub);
                }
                Op::Pull { laptop, batch } if laptop < laptops && fleet[laptop].online => {
                    pull(&mut fleet[laptop].store, &hub, batch);
                }
                Op::Toggle { laptop } if laptop < laptops => fleet[laptop].online = !fleet[laptop].online,
                Op::Hand { from, to, seed } if from < laptops && to < laptops && from != to => {
                    let mut events = fleet[from].store.events(id).unwrap();
                    fastrand::Rng::with_seed(seed).shuffle(&mut events);
                    fleet[to].store.import(&events).unwrap();
                }
                _ => {}
            }
            // The state each laptop keeps beside its log is the fold of that log, whatever
            // arrived late and in whatever order.
            for l in &fleet {
                prop_assert_eq!(l.store.incident(id).unwrap(), l.store.fold_log(id).unwrap());
            }
        }

        // Everyone back online; everything delivered.
        for _ in 0..2 {
            for l in &mut fleet {
                loop {
                    let before = hub.len();
                    push(&mut l.store, &mut hub);
                    if hub.len() == before && l.store.pending_push(HUB).unwrap() == 0 {
                        break;
                    }
                }
            }
            for l in &mut fleet {
                pull(&mut l.store, &hub, usize::MAX / 2);
            }
        }
        let first = fleet[0].store.events(id).unwrap();
        let ids: HashSet<Ulid> = first.iter().map(|e| e.id).collect();
        prop_assert_eq!(ids.len(), first.len(), "no event twice");
        prop_assert_eq!(first.len(), hub.len());
        let incident = fleet[0].store.incident(id).unwrap();
        for l in &fleet[1..] {
            let events = l.store.events(id).unwrap();
            prop_assert_eq!(serde_json::to_string(&events).unwrap(), serde_json::to_string(&first).unwrap());
            prop_assert_eq!(&l.store.incident(id).unwrap(), &incident);
            let (_, problems) = l.store.verify(id).unwrap();
            prop_assert!(problems.is_empty(), "{:?}", problems);
        }
    }
}
