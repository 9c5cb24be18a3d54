//! End-to-end through the real app: the built `warroom-desktop` binary in a real WebKitGTK,
//! driven over WebDriver (tauri-driver + WebKitWebDriver), on a real SQLite file.
//!
//! Needs an X display (`make test` runs the tests under `xvfb-run`), `tauri-driver` on PATH
//! (`make test` installs it) and the binaries built (`cargo build --workspace`). When one of
//! these is missing the test fails and says which: a skipped end-to-end test proves nothing.
//! A screenshot of the window is saved as `target/tmp/e2e-window.png`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The core's server harness: real Prometheus from Debian's packages, and a stub exporter.
#[path = "../crates/warroom/tests/common/mod.rs"]
mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// Where cargo put the binaries of this workspace: next to this test's `deps/` folder.
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// tauri-driver, stopped with SIGTERM on drop: SIGKILL would leave WebKitWebDriver running.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(db: &Path, log: &Path, env: &[(&str, &Path)]) -> Driver {
        let port = free_port();
        let native_port = free_port();
        let log = std::fs::File::create(log).unwrap();
        let child = Command::new(std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into()))
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("WARROOM_DB", db)
            .env("WARROOM_USER", "e2e")
            .envs(env.iter().map(|(k, v)| (*k, *v)))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start tauri-driver ({e}); `make test` installs it"));
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn connect(driver: &Driver, app: &Path) -> Client {
    let caps = json!({ "browserName": "wry", "tauri:options": { "application": app } });
    let caps = caps.as_object().unwrap().clone();
    let url = format!("http://127.0.0.1:{}", driver.port);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match ClientBuilder::native().capabilities(caps.clone()).connect(&url).await {
            Ok(client) => return client,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("tauri-driver did not accept a session in 30 s: {e}"),
        }
    }
}

/// The text of the element `css` names (empty when there is none), read in one script.
async fn text(c: &Client, css: &str) -> String {
    let script = "const e = document.querySelector(arguments[0]); return e ? (e.value ?? e.textContent) : ''";
    serde_json::from_value(c.execute(script, vec![json!(css)]).await.unwrap()).unwrap()
}

/// The timeline's texts, newest first, read in one script so a re-render cannot interleave.
async fn timeline_texts(c: &Client) -> Vec<String> {
    let script = "return [...document.querySelectorAll('#timeline li .event-text')].map(e => e.textContent)";
    serde_json::from_value(c.execute(script, vec![]).await.unwrap()).unwrap()
}

/// Polls `check` until it holds or 15 s pass; then fails saying what was awaited.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn cli(db: &Path, args: &[&str]) -> Value {
    let out = Command::new(bin_dir().join("warroom"))
        .arg("--db")
        .arg(db)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(out.status.success(), "warroom {args:?} failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The app under WebDriver on a fresh database: the driver, the client, the database's folder.
async fn launch(name: &str) -> (Driver, Client, tempfile::TempDir, PathBuf) {
    launch_with(name, &[]).await
}

async fn launch_with(name: &str, env: &[(&str, &Path)]) -> (Driver, Client, tempfile::TempDir, PathBuf) {
    assert!(std::env::var_os("DISPLAY").is_some(), "no DISPLAY: run under xvfb-run (as `make test` does)");
    let app = bin_dir().join("warroom-desktop");
    assert!(app.exists(), "{} is missing: cargo build --workspace first", app.display());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e2e.db");
    let driver = Driver::start(&db, &artifacts().join(format!("e2e-{name}-tauri-driver.log")), env);
    let c = connect(&driver, &app).await;
    (driver, c, dir, db)
}

fn artifacts() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

async fn screenshot(c: &Client, name: &str) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
    std::fs::write(artifacts().join(format!("e2e-{name}.png")), &png).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn declare_stage_and_note_in_the_window_then_the_cli_reads_the_same_log() {
    let (driver, c, _dir, db) = launch("incident").await;

    c.wait().for_element(Locator::Id("declare-title")).await.unwrap();
    let title = "Checkout returns 500 <script>alert(1)</script>";
    c.find(Locator::Id("declare-title")).await.unwrap().send_keys(title).await.unwrap();
    c.find(Locator::Id("declare-commander")).await.unwrap().send_keys("Mina").await.unwrap();
    c.find(Locator::Css("#declare-severity option[value='SEV1']")).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("declare-submit")).await.unwrap().click().await.unwrap();
    eventually("the header shows the declared incident", || async { text(&c, "#hdr-title").await == title })
        .await;
    assert_eq!(text(&c, "#hdr-severity").await, "SEV1");
    assert_eq!(text(&c, "#hdr-stage").await, "detect");
    assert_eq!(text(&c, "#hdr-commander").await, "Mina");

    c.find(Locator::Id("stage-identify")).await.unwrap().click().await.unwrap();
    eventually("the header shows stage identify", || async { text(&c, "#hdr-stage").await == "identify" })
        .await;

    let note = "orders-db pool at 97% <b>not bold</b>";
    c.find(Locator::Id("note-text")).await.unwrap().send_keys(note).await.unwrap();
    c.find(Locator::Id("note-submit")).await.unwrap().click().await.unwrap();
    eventually("the timeline shows three events", || async { timeline_texts(&c).await.len() == 3 }).await;

    // Newest first: the note, the stage, the declaration. Markup typed by people stays text.
    let texts = timeline_texts(&c).await;
    assert_eq!(texts[0], note);
    assert_eq!(texts[1], "entered stage identify");
    assert!(texts[2].starts_with("SEV1 \"Checkout returns 500 <script>"), "{texts:?}");
    assert!(c.find_all(Locator::Css("#timeline b, #incident-list script")).await.unwrap().is_empty());
    assert_eq!(text(&c, "#note-text").await, "", "the note box empties once the note is recorded");

    screenshot(&c, "window").await;
    c.close().await.unwrap();
    drop(driver);

    // The CLI, pointed at the same file, sees the same incident and the same three events.
    let list = cli(&db, &["incident", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["title"], title);
    assert_eq!(list[0]["stage"], "identify");
    assert_eq!(list[0]["severity"], "SEV1");
    let id = list[0]["id"].as_str().unwrap();
    let timeline = cli(&db, &["timeline", id, "--json"]);
    let kinds: Vec<&str> =
        timeline.as_array().unwrap().iter().map(|e| e["kind"]["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["declared", "stage_entered", "note"]);
    assert_eq!(timeline[2]["kind"]["text"], note);
    assert!(timeline.as_array().unwrap().iter().all(|e| e["origin"] == "desktop" && e["by"] == "e2e"));
}

/// Reads a node's classes from the graph library itself (Cytoscape), as the window drew them.
async fn node_classes(c: &Client, id: &str) -> Vec<String> {
    let script = "const g = window.warroomGraph; if (!g) return []; const n = g.getElementById(arguments[0]); return n.length ? n.classes() : []";
    serde_json::from_value(c.execute(script, vec![json!(id)]).await.unwrap()).unwrap()
}

/// Declares an incident in the window, then starts the drill `scenario` at `speed` from the
/// drill bar (a speed the bar does not list is added to it).
async fn declare_and_start_drill(c: &Client, title: &str, scenario: &str, speed: u32) {
    c.wait().for_element(Locator::Id("declare-title")).await.unwrap();
    c.find(Locator::Id("declare-title")).await.unwrap().send_keys(title).await.unwrap();
    c.find(Locator::Id("declare-submit")).await.unwrap().click().await.unwrap();
    eventually("the incident is declared", || async { text(c, "#hdr-title").await == title }).await;
    let option = format!("#drill-scenario option[value='{scenario}']");
    c.find(Locator::Css(&option)).await.unwrap().click().await.unwrap();
    let script = "const s = document.getElementById('drill-speed'); s.add(new Option('x' + arguments[0], arguments[0])); s.value = arguments[0];";
    c.execute(script, vec![json!(speed.to_string())]).await.unwrap();
    c.find(Locator::Id("drill-start")).await.unwrap().click().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_breaks_the_graph_and_records_on_the_incident() {
    let (driver, c, _dir, db) = launch("drill").await;
    // The pool-exhaustion drill at ×60: the order service fails about 7 s after the start and
    // stays down about 8 s, long enough for every check below (×120 left 4 s: flaky).
    declare_and_start_drill(&c, "Drill: checkout failing", "db-pool-exhaustion", 60).await;
    eventually("order-service is drawn down", || async {
        node_classes(&c, "order-service").await.contains(&"down".to_owned())
    })
    .await;
    eventually("api-gateway is drawn impacted", || async {
        node_classes(&c, "api-gateway").await.contains(&"impacted".to_owned())
    })
    .await;
    assert!(node_classes(&c, "api-gateway").await.contains(&"entrypoint".to_owned()));
    assert!(node_classes(&c, "kafka-1").await.contains(&"calm".to_owned()), "unaffected nodes step back");
    // The alerts panel: grouped by node, with severity and age.
    eventually("the alerts panel lists the drill's alerts by node", || async {
        let alerts = text(&c, "#alerts").await;
        alerts.contains("order-service")
            && alerts.contains("OrderServiceHighErrorRate")
            && alerts.contains("critical")
    })
    .await;
    // A desktop notification was decided for the node going down (Xvfb has no notification
    // daemon to show it; the status bar says what it said), and it can be muted.
    eventually("the status bar names the last notification", || async {
        let last = text(&c, "#notify-last").await;
        last.contains("down") || last.contains("Critical alert")
    })
    .await;
    c.find(Locator::Id("notify-toggle")).await.unwrap().click().await.unwrap();
    eventually("notifications are muted", || async {
        let script = "const b = document.getElementById('notify-toggle'); return b.getAttribute('aria-pressed') + ' ' + b.textContent";
        c.execute(script, vec![]).await.unwrap() == json!("true Notifications: muted")
    })
    .await;
    let banner = text(&c, "#outage").await;
    assert!(
        banner.contains("USER-VISIBLE OUTAGE")
            && banner.contains("api-gateway is down: api-gateway → order-service"),
        "{banner}"
    );

    // Selecting a node shows why it is down and its signals with their age.
    c.execute("window.warroomGraph.getElementById('api-gateway').emit('tap')", vec![]).await.unwrap();
    eventually("the node panel explains the outage", || async {
        text(&c, "#node-detail").await.contains("api-gateway → order-service")
    })
    .await;
    // Its signals over the last half hour, drawn by the core as SVG, shown as decoded images.
    eventually("the node panel shows charts", || async {
        let script = "return [...document.querySelectorAll('#node-detail img.chart')].filter(i => i.complete && i.naturalWidth > 0).length";
        c.execute(script, vec![]).await.unwrap().as_u64().unwrap_or(0) >= 3
    })
    .await;
    screenshot(&c, "drill").await;

    // What if the replica also fails? Pick both MySQL nodes: the whole back end goes.
    c.find(Locator::Id("whatif-toggle")).await.unwrap().click().await.unwrap();
    for id in ["mysql-primary", "mysql-replica"] {
        c.execute("window.warroomGraph.getElementById(arguments[0]).emit('tap')", vec![json!(id)])
            .await
            .unwrap();
    }
    eventually("the what-if marks user-service impacted", || async {
        node_classes(&c, "user-service").await.contains(&"impacted".to_owned())
    })
    .await;
    assert!(text(&c, "#outage").await.contains("WHAT IF"));
    c.close().await.unwrap();
    drop(driver);

    let list = cli(&db, &["incident", "list", "--json"]);
    let id = list[0]["id"].as_str().unwrap();
    let timeline = cli(&db, &["timeline", id, "--json"]);
    let changes: Vec<&Value> =
        timeline.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "health_changed").collect();
    assert!(
        changes.iter().any(|e| e["kind"]["node"] == "order-service" && e["kind"]["to"] == "down"),
        "the drill's health changes are on the incident's timeline: {changes:?}"
    );
}

/// A runbook through a drill: suggested for the failing database, attached, a step checked with
/// the keyboard (on the timeline, with who and when), its Detect check green while the pool is
/// exhausted and its Recover check green once the drill recovers; moving on with steps undone
/// asks first and records them as skipped.
#[tokio::test(flavor = "multi_thread")]
async fn a_runbook_guides_a_drill_and_checks_itself() {
    let (driver, c, _dir, db) = launch("runbook").await;
    // The pool-exhaustion drill at ×60: the pool is over 90 % from about 7 s, recovered at about
    // 17 s, over at 20 s. Its checks are evaluated on the incident it records on.
    declare_and_start_drill(&c, "Drill: orders time out", "db-pool-exhaustion", 60).await;

    // Suggested for what fails, then attached.
    eventually("db-pool-exhaustion is suggested", || async {
        c.execute("return document.querySelector('#runbook-suggestions button[data-runbook=\"db-pool-exhaustion\"]') !== null", vec![])
            .await
            .unwrap()
            == json!(true)
    })
    .await;
    c.find(Locator::Css("#runbook-suggestions button[data-runbook='db-pool-exhaustion']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    eventually("the runbook is attached with its stage tabs", || async {
        text(&c, "#runbooks").await.contains("DB connection-pool exhaustion")
    })
    .await;

    // The Detect check passes while the pool is exhausted.
    eventually("the detect check turns green", || async {
        let script =
            "return [...document.querySelectorAll('#runbooks .check-ok')].map(e => e.textContent).join('|')";
        c.execute(script, vec![]).await.unwrap().as_str().unwrap_or("").contains("check passed")
    })
    .await;

    // Keyboard: focus the first step, j to the second, space checks it.
    c.execute("document.querySelector('#runbooks li.step').focus()", vec![]).await.unwrap();
    let active = c.active_element().await.unwrap();
    active.send_keys("j").await.unwrap();
    let active = c.active_element().await.unwrap();
    active.send_keys(" ").await.unwrap();
    eventually("the second detect step is done", || async {
        let script = "return document.querySelectorAll('#runbooks li.step-done').length";
        c.execute(script, vec![]).await.unwrap().as_u64().unwrap_or(0) == 1
    })
    .await;
    eventually("checking it is on the timeline", || async {
        timeline_texts(&c)
            .await
            .iter()
            .any(|t| t.starts_with("done: ") && t.contains("(db-pool-exhaustion/detect-2)"))
    })
    .await;

    // The recovery: the Recover stage's check passes once the drill's pool is back under 80 %.
    c.find(Locator::Css(".stage-tabs .tab:nth-child(4)")).await.unwrap().click().await.unwrap();
    eventually("the recover check turns green when the drill recovers", || async {
        let script =
            "return [...document.querySelectorAll('#runbooks .check-ok')].map(e => e.textContent).join('|')";
        c.execute(script, vec![]).await.unwrap().as_str().unwrap_or("").contains("(expect < 0.8)")
    })
    .await;
    screenshot(&c, "runbook").await;

    // Moving on with detect steps undone asks, and records them as skipped.
    c.execute("document.body.focus()", vec![]).await.unwrap();
    c.find(Locator::Css("body")).await.unwrap().send_keys("]").await.unwrap();
    eventually("the confirmation names the undone steps", || async {
        text(&c, "#confirm-text").await.contains("db-pool-exhaustion/detect-1")
    })
    .await;
    c.find(Locator::Id("confirm-yes")).await.unwrap().click().await.unwrap();
    eventually("the stage moved on", || async { text(&c, "#hdr-stage").await == "identify" }).await;
    c.close().await.unwrap();
    drop(driver);

    let list = cli(&db, &["incident", "list", "--json"]);
    let id = list[0]["id"].as_str().unwrap();
    let timeline = cli(&db, &["timeline", id, "--json"]);
    let kinds: Vec<&str> =
        timeline.as_array().unwrap().iter().filter_map(|e| e["kind"]["type"].as_str()).collect();
    for kind in ["runbook_attached", "step_checked", "check_evaluated", "steps_skipped"] {
        assert!(kinds.contains(&kind), "{kind} on the timeline: {kinds:?}");
    }
    let evaluated: Vec<&Value> =
        timeline.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "check_evaluated").collect();
    assert!(evaluated.iter().all(|e| e["origin"] == "check"), "checks are written by the checker");
}

/// With `WARROOM_CONFIG`, the window watches real sources: a real Prometheus scraping a stub
/// exporter. The graph shows what Prometheus says, the status bar says how fresh it is, and when
/// Prometheus dies the status bar says so and the nodes turn unknown (stale), never healthy.
#[tokio::test(flavor = "multi_thread")]
async fn live_sources_drive_the_graph_and_the_status_bar() {
    let metrics = "# TYPE e2e_errors gauge\ne2e_errors{service=\"order-service\"} 0.3\ne2e_errors{service=\"api-gateway\"} 0.001\n";
    let exporter = common::Stub::start(common::Behaviour::Ok {
        body: metrics.as_bytes().to_vec(),
        content_type: "text/plain",
    })
    .await;
    let prom = common::prometheus(&[exporter.port], "groups: []\n", None).await;
    // No provider's status page can be reached from here: a local stub serves the documented
    // Statuspage v2 summary, with its incident.
    let status = common::Stub::start(common::Behaviour::Ok {
        body: include_bytes!("../crates/warroom/tests/fixtures/statuspage/summary.json").to_vec(),
        content_type: "application/json",
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("topology.toml"),
        "[[node]]\nid = \"api-gateway\"\nentrypoint = true\ndepends_on = [\"order-service\"]\n[[node]]\nid = \"order-service\"\n[[node]]\nid = \"cloud-api\"\nkind = \"external_provider\"\n",
    )
    .unwrap();
    let config = dir.path().join("warroom.toml");
    std::fs::write(
        &config,
        format!(
            "[topology]\nfile = \"topology.toml\"\n[grafana]\nurl = \"https://grafana.example\"\nprometheus_uid = \"prom-uid\"\n[[source]]\nname = \"cloud\"\nkind = \"statuspage\"\nurl = \"http://127.0.0.1:{}\"\ninterval_secs = 1\ncomponents = {{ \"cloud-api\" = \"API\" }}\n[[source]]\nname = \"prom\"\nkind = \"prometheus\"\nurl = \"http://127.0.0.1:{}\"\ninterval_secs = 1\ntimeout_secs = 1\n[[signal]]\nmetric = \"http_5xx_ratio\"\nsource = \"prom\"\nquery = 'max by (service) (e2e_errors)'\nlabel = \"service\"\n",
            status.port,
            prom.port
        ),
    )
    .unwrap();
    let (driver, c, _dir, _db) = launch_with("live", &[("WARROOM_CONFIG", &config)]).await;
    eventually("order-service is drawn down from Prometheus's data", || async {
        node_classes(&c, "order-service").await.contains(&"down".to_owned())
    })
    .await;
    assert!(node_classes(&c, "api-gateway").await.contains(&"impacted".to_owned()));
    assert!(text(&c, "#status-source").await.contains("prom: ok"), "{}", text(&c, "#status-source").await);
    assert!(text(&c, "#drill-clock").await.contains("live: 2 sources"));
    // "Is it us or is it them?": the provider's declared incident is in the status bar, and its
    // component's outage on its node.
    eventually("the provider's incident is shown", || async {
        text(&c, "#status-source")
            .await
            .contains("provider incident: Elevated API error rates (investigating, major)")
    })
    .await;
    eventually("the provider's node is degraded (partial outage) from its status page", || async {
        node_classes(&c, "cloud-api").await.contains(&"degraded".to_owned())
    })
    .await;
    // With a Grafana configured, the node panel offers Explore.
    c.execute("window.warroomGraph.getElementById('order-service').emit('tap')", vec![]).await.unwrap();
    eventually("the node panel offers Grafana Explore", || async {
        c.execute("return document.getElementById('grafana-open') !== null", vec![]).await.unwrap()
            == json!(true)
    })
    .await;

    // The sources dialog: the configuration without secrets, and a connection test that answers.
    c.find(Locator::Id("sources-open")).await.unwrap().click().await.unwrap();
    eventually("the sources dialog lists prom", || async {
        text(&c, "#sources-table").await.contains("prometheus")
    })
    .await;
    c.find(Locator::Id("test-prom")).await.unwrap().click().await.unwrap();
    eventually("the connection test answers", || async {
        text(&c, "#sources-table").await.contains("answers in")
    })
    .await;
    // The settings view: a broken edit is refused with its line and nothing is written; a good
    // one is saved (the old file kept as .bak) and in use at once.
    eventually("the settings view shows the file", || async {
        text(&c, "#config-text").await.contains("[[source]]")
    })
    .await;
    c.find(Locator::Css("#config-edit summary")).await.unwrap().click().await.unwrap();
    let original = std::fs::read_to_string(&config).unwrap();
    let broken = format!("{original}\n[[source]]\nname = \"x\"\nkind = \"graphite\"\nurl = \"http://x\"\n");
    let set_text = "const t = document.getElementById('config-text'); t.value = arguments[0]; t.dispatchEvent(new Event('input'));";
    c.execute(set_text, vec![json!(broken)]).await.unwrap();
    c.find(Locator::Id("config-save")).await.unwrap().click().await.unwrap();
    eventually("the broken edit is refused with its line", || async {
        let result = text(&c, "#config-result").await;
        result.contains("warroom.toml:") && result.contains("unknown variant `graphite`")
    })
    .await;
    assert_eq!(std::fs::read_to_string(&config).unwrap(), original, "a refused edit writes nothing");
    assert_eq!(text(&c, "#config-text").await, broken, "the refused edit stays in the box");
    let slower =
        original.replace("interval_secs = 1\ntimeout_secs = 1", "interval_secs = 2\ntimeout_secs = 1");
    assert_ne!(slower, original);
    c.execute(set_text, vec![json!(slower)]).await.unwrap();
    c.find(Locator::Id("config-save")).await.unwrap().click().await.unwrap();
    eventually("the edit is saved", || async { text(&c, "#config-result").await == "saved and in use" })
        .await;
    assert_eq!(std::fs::read_to_string(&config).unwrap(), slower);
    assert_eq!(std::fs::read_to_string(config.with_extension("toml.bak")).unwrap(), original);
    eventually("the sources dialog shows the new interval", || async {
        c.execute("document.getElementById('sources').close()", vec![]).await.unwrap();
        c.find(Locator::Id("sources-open")).await.unwrap().click().await.unwrap();
        text(&c, "#sources-table").await.contains("every 2 s")
    })
    .await;
    c.execute("document.getElementById('sources').close()", vec![]).await.unwrap();

    drop(prom);
    eventually("the status bar says Prometheus is failing", || async {
        text(&c, "#status-source").await.contains("prom: FAILING")
    })
    .await;
    eventually("order-service turns unknown (stale), not healthy", || async {
        node_classes(&c, "order-service").await.contains(&"unknown".to_owned())
    })
    .await;
    screenshot(&c, "live").await;
    c.close().await.unwrap();
    drop(driver);
}

/// The element with this id, scrolled into the middle of its scrolling column first (WebKit's
/// driver does not scroll nested containers for a click).
async fn visible(c: &Client, id: &str) -> fantoccini::elements::Element {
    let script = "document.getElementById(arguments[0]).scrollIntoView({ block: 'center' })";
    c.execute(script, vec![json!(id)]).await.unwrap();
    c.find(Locator::Id(id)).await.unwrap()
}

/// Runs the `warroom` CLI for its text output.
fn cli_text(db: &Path, args: &[&str]) -> String {
    let out = Command::new(bin_dir().join("warroom")).arg("--db").arg(db).args(args).output().unwrap();
    assert!(out.status.success(), "warroom {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// After the incident, offline: a drill is recorded on an incident by the CLI and resolved; the
/// window is then opened with a configuration whose only source cannot be reached (nothing
/// listens on its port), so nothing but the log can answer. The resolved incident opens in
/// review; at the peak the graph shows the blast radius of that moment, at the declaration it
/// does not; the timeline follows the scrubber; the postmortem is exported from the window and
/// an action item is added there, which the CLI reads back.
#[tokio::test(flavor = "multi_thread")]
async fn a_resolved_incident_is_reviewed_offline_and_its_postmortem_exported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e2e.db");
    let id = cli_text(&db, &["incident", "declare", "--title", "Checkout down", "--severity", "sev1"]);
    let id = id.trim();
    cli_text(&db, &["drill", "run", "db-pool-exhaustion", "--headless", "--speed", "300", "--incident", id]);
    cli_text(&db, &["incident", "resolve", id]);

    let closed = common::free_port();
    let config = dir.path().join("warroom.toml");
    std::fs::write(
        &config,
        format!(
            "[topology]\nfile = \"{}\"\n[[source]]\nname = \"prom\"\nkind = \"prometheus\"\nurl = \"http://127.0.0.1:{closed}\"\ninterval_secs = 1\ntimeout_secs = 1\n",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/topology/reference.toml").display()
        ),
    )
    .unwrap();
    let exports = dir.path().join("exports");
    let app = bin_dir().join("warroom-desktop");
    let driver = Driver::start(
        &db,
        &artifacts().join("e2e-review-tauri-driver.log"),
        &[("WARROOM_CONFIG", &config), ("WARROOM_EXPORT_DIR", &exports)],
    );
    let c = connect(&driver, &app).await;

    let frame = || async {
        let script = "const b = document.getElementById('review-bar'); return b && !b.hidden ? (b.dataset.frame ?? '') : ''";
        c.execute(script, vec![]).await.unwrap().as_str().unwrap_or("").to_owned()
    };
    eventually("the resolved incident opens in review", || async { !frame().await.is_empty() }).await;
    assert!(text(&c, "#review-bar").await.contains("Review"), "the mode is said");

    // The peak: the order service down, the gateway impacted, as at that moment.
    c.find(Locator::Id("review-peak")).await.unwrap().click().await.unwrap();
    eventually("at the peak the graph shows the blast radius", || async {
        node_classes(&c, "order-service").await.contains(&"down".to_owned())
            && node_classes(&c, "api-gateway").await.contains(&"impacted".to_owned())
    })
    .await;
    let at_peak = timeline_texts(&c).await.len();
    screenshot(&c, "review").await;

    // Scrubbed back to the declaration: nothing was down yet, and the timeline is shorter.
    let script = "const s = document.getElementById('review-scrubber'); s.value = s.min; s.dispatchEvent(new Event('input', { bubbles: true }));";
    c.execute(script, vec![]).await.unwrap();
    eventually("at the declaration nothing is drawn down", || async {
        !node_classes(&c, "order-service").await.contains(&"down".to_owned())
    })
    .await;
    eventually("the timeline shows what was recorded by then", || async {
        let n = timeline_texts(&c).await.len();
        n >= 1 && n < at_peak
    })
    .await;

    // The postmortem, written from the window into the export folder.
    let slo = "const s = document.getElementById('export-slo'); s.value = '99.99'; s.dispatchEvent(new Event('change', { bubbles: true }));";
    c.execute(slo, vec![]).await.unwrap();
    visible(&c, "export-postmortem").await.click().await.unwrap();
    eventually("the export says where it wrote", || async {
        text(&c, "#export-result").await.contains(".md")
    })
    .await;
    let md = std::fs::read_to_string(exports.join(format!("{id}.md"))).unwrap();
    assert!(md.starts_with("# Postmortem: Checkout down\n") && md.contains("## Timeline"), "{md}");
    assert!(md.contains("```mermaid\nflowchart LR\n"), "the graph at the peak is in it");
    assert!(md.contains("| 99.99% (ours) |"), "the SLO chosen in the window");
    let pngs = std::fs::read_dir(&exports)
        .unwrap()
        .filter(|f| f.as_ref().unwrap().path().extension().is_some_and(|e| e == "png"))
        .count();
    assert!(pngs >= 2, "charts of the affected nodes: {pngs}");

    // An action item added in the window is an event the CLI reads.
    visible(&c, "action-title").await.send_keys("Alert on the pool at 80%").await.unwrap();
    visible(&c, "action-owner").await.send_keys("Mina").await.unwrap();
    visible(&c, "action-submit").await.click().await.unwrap();
    eventually("the item is listed", || async {
        text(&c, "#action-list").await.contains("Alert on the pool at 80%")
    })
    .await;
    c.close().await.unwrap();
    drop(driver);
    let actions = cli(&db, &["action", "list", id, "--json"]);
    assert_eq!(actions[0]["title"], "Alert on the pool at 80%");
    assert_eq!(actions[0]["owner"], "Mina");
}
