//! Team sync against a real PostgreSQL 15 hub on 127.0.0.1 (started by the harness): several
//! laptops, each its own SQLite log and its own runtime syncing as the window does, converge on
//! one timeline through hub outages and long partitions, never lose or double an event, and
//! refuse what a superuser altered in the hub.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::laptop::{Laptop, hub_config, laptop};
use common::postgres::Postgres;
use ulid::Ulid;
use warroom::model::{EventKind, Severity, Stage};
use warroom::ops::{self, Actor, Declaration};
use warroom::store::{Row, Store};
use warroom::sync::{self, Hub};

/// The tests of this file run one at a time: each starts a PostgreSQL cluster, and a latency
/// measured while six others run initdb on two cores says nothing about sync.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn eventually(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A hub set up as its admin would (`warroom sync init-hub`), and this test's turn.
async fn hub() -> (Postgres, tokio::sync::MutexGuard<'static, ()>) {
    let turn = SERIAL.lock().await;
    let pg = tokio::task::spawn_blocking(Postgres::start).await.unwrap();
    Hub::init(&hub_config(&pg.url("postgres"), "admin")).await.unwrap();
    (pg, turn)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_note_on_one_laptop_is_in_the_others_log_within_a_second() {
    let (pg, _turn) = hub().await;
    let dir = tempfile::tempdir().unwrap();
    let url = pg.url("postgres");
    let a = laptop(dir.path(), "ana-laptop", "ana", Some(&url));
    let b = laptop(dir.path(), "ben-laptop", "ben", Some(&url));
    let id = a.declare("Checkout failing");
    eventually("the incident reaches ben's log", Duration::from_secs(5), || b.ids(id).len() == 1).await;

    for n in 0..5 {
        let note = a.note(id, &format!("pool at 9{n} %"));
        let written = Instant::now();
        let hub_has = || {
            pg.sql_ok(&format!("SELECT count(*) FROM warroom.events WHERE id = '{}'", note.id)).trim() == "1"
        };
        eventually(
            &format!("the note reaches the hub ({:?})", a.runtime.sync_status()),
            Duration::from_secs(3),
            hub_has,
        )
        .await;
        eprintln!("note {n}: on the hub after {:?}", written.elapsed());
        eventually("the note reaches ben's log", Duration::from_secs(1), || b.ids(id).contains(&note.id))
            .await;
        eprintln!("note {n}: in ben's log after {:?}", written.elapsed());
    }
    let theirs = b.runtime.log().events(id).unwrap();
    let last = theirs.last().unwrap();
    assert_eq!(last.by.as_deref(), Some("ana"), "the author travels with the event");
    assert_eq!(last.device, "ana-laptop");

    // Ben answers; Ana reads it, with his name and laptop.
    let reply = b.note(id, "restarting the pool");
    eventually("ben's note reaches ana", Duration::from_secs(1), || a.ids(id).contains(&reply.id)).await;
    let mine = a.runtime.log().events(id).unwrap();
    let got = mine.iter().find(|e| e.id == reply.id).unwrap();
    assert_eq!((got.by.as_deref(), got.device.as_str()), (Some("ben"), "ben-laptop"));
    assert_eq!(a.timeline(id), b.timeline(id));

    // Both say who is here, and on what: ben's first heartbeat was from before the incident
    // existed, and the one saying he is on it is sent when he pulls it, not at his next beat (10 s
    // apart); the hub announces the change, so ana reads it then too (at most 2 s after her last
    // read), well before her own next beat.
    let on = id.to_string();
    let asked = Instant::now();
    eventually("ana sees both laptops, ben on the incident", Duration::from_secs(5), || {
        a.runtime.sync_status().is_some_and(|s| {
            s.connected
                && s.devices.len() == 2
                && s.devices
                    .iter()
                    .any(|d| d.device == "ben-laptop" && d.incident.as_deref() == Some(on.as_str()))
        })
    })
    .await;
    eprintln!("ben on the incident, as ana sees it, after {:?}", asked.elapsed());
    let status = a.runtime.sync_status().unwrap();
    let ben = status.devices.iter().find(|d| d.device == "ben-laptop").unwrap();
    assert_eq!(ben.person.as_deref(), Some("ben"));
    assert_eq!(ben.incident.as_deref(), Some(id.to_string().as_str()));
    assert_eq!(status.pending_push, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hub_killed_while_everyone_writes_and_every_log_converges() {
    let (pg, _turn) = hub().await;
    let pg = Arc::new(pg);
    let dir = tempfile::tempdir().unwrap();
    let url = pg.url("postgres");
    let laptops: Vec<Arc<Laptop>> = ["ana", "ben", "cho"]
        .iter()
        .map(|p| Arc::new(laptop(dir.path(), &format!("{p}-laptop"), p, Some(&url))))
        .collect();
    let id = laptops[0].declare("Payments down");
    for l in &laptops {
        eventually("everyone has the incident", Duration::from_secs(5), || l.ids(id).len() == 1).await;
    }

    const NOTES: usize = 60;
    let writers: Vec<_> = laptops
        .iter()
        .map(|l| {
            let l = l.clone();
            tokio::spawn(async move {
                for n in 0..NOTES {
                    l.note(id, &format!("{} note {n}", l.person));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let killer = pg.clone();
    tokio::task::spawn_blocking(move || killer.kill()).await.unwrap();
    eventually("the laptops notice the hub is gone", Duration::from_secs(15), || {
        laptops.iter().all(|l| l.runtime.sync_status().is_some_and(|s| !s.connected))
    })
    .await;
    let offline = laptops[0].runtime.sync_status().unwrap();
    assert!(offline.since.is_some() && offline.error.is_some(), "{offline:?}");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(laptops.iter().any(|l| l.runtime.sync_status().unwrap().pending_push > 0), "events wait");
    let starter = pg.clone();
    tokio::task::spawn_blocking(move || starter.up()).await.unwrap();
    for w in writers {
        w.await.unwrap();
    }

    let expected = 1 + 3 * NOTES;
    for l in &laptops {
        eventually("every log has every event", Duration::from_secs(30), || l.ids(id).len() == expected)
            .await;
    }
    let timelines: Vec<String> = laptops.iter().map(|l| l.timeline(id)).collect();
    assert!(timelines.iter().all(|t| *t == timelines[0]), "every laptop has the same timeline");
    let on_hub: i64 = pg.sql_ok("SELECT count(*) FROM warroom.events").trim().parse().unwrap();
    assert_eq!(on_hub, expected as i64, "no event doubled on the hub");
    for l in &laptops {
        eventually("nothing waits", Duration::from_secs(10), || {
            l.runtime.sync_status().is_some_and(|s| s.connected && s.pending_push == 0)
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_laptop_offline_for_500_events_merges_without_loss_or_duplicates() {
    let (pg, _turn) = hub().await;
    let dir = tempfile::tempdir().unwrap();
    let url = pg.url("postgres");
    let a = laptop(dir.path(), "ana-laptop", "ana", Some(&url));
    // Cho's laptop is on a train: its hub does not answer.
    let (_held, port) = common::refused_port();
    let nowhere = format!("postgres://postgres@127.0.0.1:{port}/warroom");
    let c = laptop(dir.path(), "cho-laptop", "cho", Some(&nowhere));
    let id = a.declare("Search degraded");
    // Cho got the incident earlier (an export, or before the train left).
    let exported = a.runtime.log().events(id).unwrap();
    c.runtime.log().import(&exported).unwrap();

    for n in 0..500 {
        c.note(id, &format!("offline note {n}"));
        if n % 5 == 0 {
            a.note(id, &format!("online note {n}"));
        }
    }
    eventually("cho's laptop says it is offline", Duration::from_secs(10), || {
        c.runtime.sync_status().is_some_and(|s| !s.connected && s.error.is_some())
    })
    .await;
    eventually("the status says the incident and 500 notes wait", Duration::from_secs(2), || {
        c.runtime.sync_status().is_some_and(|s| s.pending_push == 501)
    })
    .await;

    c.runtime.use_sync(Some(hub_config(&url, "cho-laptop")), Some("cho".into()), "test");
    let expected = 1 + 500 + 100;
    eventually("cho's log has ana's notes", Duration::from_secs(20), || c.ids(id).len() == expected).await;
    eventually("ana's log has cho's notes", Duration::from_secs(20), || a.ids(id).len() == expected).await;
    let ids = a.ids(id);
    let unique: std::collections::BTreeSet<&Ulid> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no duplicates");
    assert_eq!(a.timeline(id), c.timeline(id));
    let on_hub: i64 = pg.sql_ok("SELECT count(*) FROM warroom.events").trim().parse().unwrap();
    assert_eq!(on_hub, expected as i64);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_event_delivered_twice_is_one_event() {
    let (pg, _turn) = hub().await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("a.db")).unwrap();
    let actor = Actor { origin: "cli".into(), by: Some("ana".into()), now: Utc::now() };
    let decl =
        Declaration { title: "x".into(), severity: Severity::Sev3, commander: None, at: None, local: false };
    let id = ops::declare(&mut store, &actor, decl).unwrap().id;
    ops::add_note(&mut store, &actor, id, "once", None).unwrap();
    let rows: Vec<Row> = store.rows(id).unwrap();

    let mut hub = Hub::connect(&hub_config(&pg.url("postgres"), "a")).await.unwrap();
    hub.push(&rows, &[]).await.unwrap();
    hub.push(&rows, &[]).await.unwrap();
    let on_hub: i64 = pg.sql_ok("SELECT count(*) FROM warroom.events").trim().parse().unwrap();
    assert_eq!(on_hub, 2);

    let mut other = Store::open(&dir.path().join("b.db")).unwrap();
    let first = other.merge(&rows).unwrap();
    let again = other.merge(&rows).unwrap();
    assert_eq!((first.added, first.known), (2, 0));
    assert_eq!((again.added, again.known), (0, 2));
    assert!(again.problems.is_empty());
    assert_eq!(other.events(id).unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_altered_in_the_hub_is_detected_and_never_folded() {
    let (pg, _turn) = hub().await;
    let dir = tempfile::tempdir().unwrap();
    let url = pg.url("postgres");
    let mut store = Store::open(&dir.path().join("ana.db")).unwrap();
    store.set_device("ana-laptop");
    let log = std::sync::Mutex::new(store);
    let actor = Actor { origin: "cli".into(), by: Some("ana".into()), now: Utc::now() };
    let decl =
        Declaration { title: "x".into(), severity: Severity::Sev2, commander: None, at: None, local: false };
    let id = ops::declare(&mut log.lock().unwrap(), &actor, decl).unwrap().id;
    let notes: Vec<Ulid> = ["one", "two", "three", "four"]
        .iter()
        .map(|t| ops::add_note(&mut log.lock().unwrap(), &actor, id, t, None).unwrap().id)
        .collect();
    let ana = hub_config(&url, "ana-laptop");
    sync::once(&ana, &log, Some("ana"), "test", None, Utc::now()).await.unwrap();

    // A superuser rewrites the second note, past the triggers.
    pg.sql_ok(&format!(
        "ALTER TABLE warroom.events DISABLE TRIGGER events_are_never_changed;
         UPDATE warroom.events SET data = '{{\"type\":\"note\",\"text\":\"all fine\"}}' WHERE id = '{}';
         ALTER TABLE warroom.events ENABLE TRIGGER events_are_never_changed;",
        notes[1]
    ));
    let joon = std::sync::Mutex::new(Store::open(&dir.path().join("joon.db")).unwrap());
    let once = sync::once(&hub_config(&url, "joon-laptop"), &joon, Some("joon"), "test", None, Utc::now())
        .await
        .unwrap();
    let refused: Vec<&str> = once.moved.problems.iter().map(|p| p.event.as_str()).collect();
    let altered = notes[1].to_string();
    assert!(refused.contains(&altered.as_str()), "{:?}", once.moved.problems);
    let problem = once.moved.problems.iter().find(|p| p.event == altered).unwrap();
    assert_eq!(
        problem.to_string(),
        format!(
            "device {}: event {} does not match its chain: what it says was changed after it was written",
            "ana-laptop", altered
        )
    );
    let folded = joon.lock().unwrap().events(id).unwrap();
    assert!(folded.iter().all(|e| !matches!(&e.kind, EventKind::Note { text } if text == "all fine")));
    assert!(folded.iter().all(|e| e.id != notes[1]), "the altered event is not folded");
    // What follows it on its chain is held back too: its predecessor is not here.
    assert!(folded.iter().all(|e| e.id != notes[2]));
    // The refusals are remembered, for `warroom verify` and the status bar.
    let remembered = joon.lock().unwrap().sync_problems(Some(&id.to_string())).unwrap();
    assert!(remembered.iter().any(|p| p.problem.event == altered));

    // A cleverer superuser re-seals the note too: the next one no longer follows it.
    let mut rows = log.lock().unwrap().rows(id).unwrap();
    let third = rows.iter().position(|r| r.id == notes[2].to_string()).unwrap();
    rows[third].data = r#"{"type":"note","text":"nothing to see"}"#.into();
    let forged = rows[third].seal();
    pg.sql_ok(&format!(
        "ALTER TABLE warroom.events DISABLE TRIGGER events_are_never_changed;
         UPDATE warroom.events SET data = '{}', hash = '{forged}' WHERE id = '{}';
         ALTER TABLE warroom.events ENABLE TRIGGER events_are_never_changed;",
        rows[third].data, notes[2]
    ));
    let min = std::sync::Mutex::new(Store::open(&dir.path().join("min.db")).unwrap());
    let once =
        sync::once(&hub_config(&url, "min-laptop"), &min, None, "test", None, Utc::now()).await.unwrap();
    let refused: Vec<String> = once.moved.problems.iter().map(|p| p.event.clone()).collect();
    assert!(refused.contains(&notes[3].to_string()), "{:?}", once.moved.problems);
}

#[tokio::test(flavor = "multi_thread")]
async fn responders_append_but_nobody_updates_or_deletes_events() {
    let (pg, _turn) = hub().await;
    pg.sql_ok(sync::GRANTS);
    pg.sql_ok("CREATE ROLE mina LOGIN IN ROLE warroom_responder");
    let dir = tempfile::tempdir().unwrap();
    let log = std::sync::Mutex::new(Store::open(&dir.path().join("mina.db")).unwrap());
    let actor = Actor { origin: "cli".into(), by: Some("mina".into()), now: Utc::now() };
    let decl =
        Declaration { title: "x".into(), severity: Severity::Sev2, commander: None, at: None, local: false };
    let id = ops::declare(&mut log.lock().unwrap(), &actor, decl).unwrap().id;
    ops::enter_stage(&mut log.lock().unwrap(), &actor, id, Stage::Identify, None).unwrap();
    let mina = hub_config(&pg.url("mina"), "mina-laptop");
    let once = sync::once(&mina, &log, Some("mina"), "test", None, Utc::now()).await.unwrap();
    assert_eq!(once.moved.pushed, 2, "the responder appends");

    let (client, connection) = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={} user=mina dbname=warroom", pg.port),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    for sql in [
        "UPDATE warroom.events SET data = '{}'",
        "DELETE FROM warroom.events",
        "TRUNCATE warroom.events",
        "UPDATE warroom.samples SET value = 0",
    ] {
        let err = client.batch_execute(sql).await.unwrap_err();
        let message = err.as_db_error().map(|d| d.message().to_owned()).unwrap_or_default();
        assert!(message.contains("permission denied"), "{sql}: {message}");
    }
    // Not even the hub's owner: the triggers refuse it.
    for sql in [
        "UPDATE warroom.events SET origin = 'forged'",
        "DELETE FROM warroom.events",
        "TRUNCATE warroom.events",
    ] {
        let out = pg.sql(sql);
        assert!(!out.status.success(), "{sql}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("append-only"),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let on_hub: i64 = pg.sql_ok("SELECT count(*) FROM warroom.events").trim().parse().unwrap();
    assert_eq!(on_hub, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_incident_never_leaves_the_laptop() {
    let (pg, _turn) = hub().await;
    let dir = tempfile::tempdir().unwrap();
    let log = std::sync::Mutex::new(Store::open(&dir.path().join("ana.db")).unwrap());
    let actor = Actor { origin: "cli".into(), by: Some("ana".into()), now: Utc::now() };
    let private = Declaration {
        title: "HR laptop stolen".into(),
        severity: Severity::Sev3,
        commander: None,
        at: None,
        local: true,
    };
    let secret = ops::declare(&mut log.lock().unwrap(), &actor, private).unwrap().id;
    ops::add_note(&mut log.lock().unwrap(), &actor, secret, "serial 1234", None).unwrap();
    let shared = Declaration {
        title: "Checkout".into(),
        severity: Severity::Sev2,
        commander: None,
        at: None,
        local: false,
    };
    ops::declare(&mut log.lock().unwrap(), &actor, shared).unwrap();
    let once =
        sync::once(&hub_config(&pg.url("postgres"), "ana-laptop"), &log, None, "test", None, Utc::now())
            .await
            .unwrap();
    assert_eq!(once.moved.pushed, 1);
    assert_eq!(
        pg.sql_ok(&format!("SELECT count(*) FROM warroom.events WHERE incident = '{secret}'")).trim(),
        "0"
    );
    assert!(log.lock().unwrap().incident(secret).unwrap().local);
}

/// Runs the `warroom` CLI on a laptop's log and configuration, with the hub passwords in its
/// environment (as a responder's shell has them).
fn cli(dir: &Path, laptop: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("--db")
        .arg(dir.join(format!("{laptop}.db")))
        .arg("--config")
        .arg(dir.join(format!("{laptop}.toml")))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("WARROOM_USER")
        .output()
        .unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&ok(out)).unwrap()
}

/// The command line, end to end, against a hub that asks for passwords: `sync init-hub` prints the
/// grants; responders log in with a password from their environment (never the file); every
/// writing command pushes on its way out; `sync once`, `sync status --json` and `verify --json`
/// say what they did in the documented shapes; a hub down never stops a note from being written.
#[tokio::test(flavor = "multi_thread")]
async fn the_command_line_syncs_through_a_hub_that_asks_for_passwords() {
    let _turn = SERIAL.lock().await;
    let pg = tokio::task::spawn_blocking(Postgres::with_passwords).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = |name: &str, user: &str, env: &str| {
        let text = format!(
            "[sync]\nurl = \"postgres://{user}@127.0.0.1:{}/warroom\"\npassword_env = \"{env}\"\ndevice = \"{name}-laptop\"\n",
            pg.port
        );
        std::fs::write(d.join(format!("{name}.toml")), text).unwrap();
    };
    config("admin", "postgres", "HUB_ADMIN_PASSWORD");
    config("ana", "ana", "ANA_HUB_PASSWORD");
    config("ben", "ben", "BEN_HUB_PASSWORD");
    let admin = [("HUB_ADMIN_PASSWORD", common::postgres::SUPERUSER_PASSWORD)];
    let ana = [("ANA_HUB_PASSWORD", "ana-secret")];
    let ben = [("BEN_HUB_PASSWORD", "ben-secret")];

    let grants = ok(&cli(d, "admin", &["sync", "init-hub"], &admin));
    assert!(grants.contains("GRANT SELECT, INSERT ON warroom.events"), "{grants}");
    pg.sql_ok(&grants);
    pg.sql_ok("CREATE ROLE ana LOGIN PASSWORD 'ana-secret' IN ROLE warroom_responder");
    pg.sql_ok("CREATE ROLE ben LOGIN PASSWORD 'ben-secret' IN ROLE warroom_responder");

    let declared = cli(
        d,
        "ana",
        &["--by", "ana", "incident", "declare", "--title", "Checkout", "--severity", "SEV2"],
        &ana,
    );
    let id = ok(&declared).trim().to_owned();
    assert!(String::from_utf8_lossy(&declared.stderr).is_empty(), "pushed quietly");
    assert_eq!(
        pg.sql_ok("SELECT count(*) FROM warroom.events").trim(),
        "1",
        "the declaration went to the hub"
    );

    let once = json(&cli(d, "ben", &["sync", "once", "--json"], &ben));
    assert_eq!(once["pulled"], 1);
    assert_eq!(once["from"]["ana-laptop"], 1);
    ok(&cli(d, "ben", &["--by", "ben", "incident", "note", &id, "pool exhausted"], &ben));
    ok(&cli(d, "ana", &["sync", "once"], &ana));
    let a = ok(&cli(d, "ana", &["timeline", &id, "--json"], &ana));
    let b = ok(&cli(d, "ben", &["timeline", &id, "--json"], &ben));
    assert_eq!(a, b, "both laptops print the same timeline");
    let timeline: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(timeline[1]["by"], "ben");
    assert_eq!(timeline[1]["device"], "ben-laptop");
    let text = ok(&cli(d, "ana", &["timeline", &id], &ana));
    assert!(text.contains("note: pool exhausted [ben @ ben-laptop]"), "{text}");

    let status = json(&cli(d, "ana", &["sync", "status", "--json"], &ana));
    assert_eq!(status["connected"], true);
    assert_eq!(status["pending_push"], 0);
    assert!(status["hub"].as_str().unwrap().starts_with("postgres://ana@127.0.0.1"));
    assert!(status["last_pull_at"].is_string());
    let devices: Vec<&str> =
        status["devices"].as_array().unwrap().iter().map(|d| d["device"].as_str().unwrap()).collect();
    assert!(devices.contains(&"ana-laptop") && devices.contains(&"ben-laptop"), "{devices:?}");
    let ben_there =
        status["devices"].as_array().unwrap().iter().find(|d| d["device"] == "ben-laptop").unwrap();
    assert_eq!(ben_there["person"], "ben");
    assert!(ben_there["last_seen"].is_string());

    // A local incident stays here.
    ok(&cli(d, "ana", &["incident", "declare", "--title", "private", "--severity", "SEV4", "--local"], &ana));
    assert_eq!(pg.sql_ok("SELECT count(*) FROM warroom.events").trim(), "2");

    // A wrong password is said, naming the hub.
    let wrong = cli(d, "ben", &["sync", "once"], &[("BEN_HUB_PASSWORD", "nope")]);
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("password authentication failed"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    let missing = cli(d, "ben", &["sync", "once"], &[]);
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("BEN_HUB_PASSWORD is not set"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );

    // The hub goes down: the note is written all the same, and waits.
    let killer = std::sync::Arc::new(pg);
    let pg = killer.clone();
    tokio::task::spawn_blocking(move || killer.kill()).await.unwrap();
    let offline = cli(d, "ana", &["incident", "note", &id, "written on the train"], &ana);
    ok(&offline);
    let said = String::from_utf8_lossy(&offline.stderr).to_string();
    assert!(said.contains("1 event(s) wait here for the next sync"), "{said}");
    let status = json(&cli(d, "ana", &["sync", "status", "--json"], &ana));
    assert_eq!(status["connected"], false);
    assert_eq!(status["pending_push"], 1);
    assert!(status["error"].is_string());
    let starter = pg.clone();
    tokio::task::spawn_blocking(move || starter.up()).await.unwrap();
    let once = json(&cli(d, "ana", &["sync", "once", "--json"], &ana));
    assert_eq!(once["pushed"], 1);

    let verified = json(&cli(d, "ana", &["verify", &id, "--json"], &ana));
    assert_eq!(verified["ok"], true);
    let chains: Vec<&str> =
        verified["chains"].as_array().unwrap().iter().map(|c| c["device"].as_str().unwrap()).collect();
    assert_eq!(chains, ["ana-laptop", "ben-laptop"]);

    let none = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["--db", d.join("x.db").to_str().unwrap(), "sync", "status"])
        .env_remove("WARROOM_CONFIG")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("[sync]"),
        "{}",
        String::from_utf8_lossy(&none.stderr)
    );
}
