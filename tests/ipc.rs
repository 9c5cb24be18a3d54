//! The window's commands over IPC, under Tauri's mock runtime: no window and no WebKit, but the
//! app's real capability (a command the window is not granted is refused), the runtime's real
//! loop with its pushes, and a real SQLite file.
//!
//! The drill here runs on a stepped clock (it moves only when the loop sleeps on it), so a
//! 20-minute scenario plays in well under a second and lands on the same instants every run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, Manager, WebviewWindow};
use warroom::runtime::SteppedClock;
use warroom_desktop::{AppState, Settings};

/// Where cargo put the workspace's binaries (the CLI is compared with the window below).
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_owned()
}

fn t0() -> DateTime<Utc> {
    warroom::time::parse("2026-11-30T03:00:00Z").unwrap()
}

struct Window {
    _app: App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
    /// What the window was told each time a broadcast waited (the event's payload, as sent).
    told: Arc<Mutex<Vec<String>>>,
    dir: tempfile::TempDir,
}

/// The app under the mock runtime on a fresh log, no drill unless asked, its pushes collected.
fn open(settings: impl FnOnce(&Path) -> Settings) -> Window {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::open(settings(dir.path()), Arc::new(SteppedClock::new(t0())));
    let app = warroom_desktop::app(mock_builder(), state).build(tauri::generate_context!()).unwrap();
    let webview = match app.get_webview_window("main") {
        Some(w) => w,
        None => tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap(),
    };
    let told = Arc::new(Mutex::new(Vec::new()));
    let sink = told.clone();
    app.listen(warroom_desktop::push::EVENT, move |event| {
        sink.lock().unwrap().push(event.payload().to_owned());
    });
    // The mock runtime has no event loop to run the app's setup: start the runtime's task as
    // the setup does.
    let state = app.state::<AppState>().inner().clone();
    warroom_desktop::push::spawn(app.handle().clone(), state);
    Window { _app: app, webview, told, dir }
}

fn settings(dir: &Path) -> Settings {
    Settings {
        db: Some(dir.join("ipc.db")),
        user: Some("ipc".into()),
        drill: Some("off".into()),
        export_dir: Some(dir.join("exports")),
        ..Settings::default()
    }
}

impl Window {
    /// Calls a command as the window does (a read over the read protocol, an action over IPC);
    /// its answer, or its error.
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        if warroom_desktop::read::names().any(|name| name == cmd) {
            let (status, body) = self.read(cmd, &args.to_string());
            return if status.is_success() { Ok(body) } else { Err(body) };
        }
        self.ipc(cmd, args)
    }

    /// A read over the window's read protocol (`warroom://localhost/<cmd>`, a POST of `body`):
    /// the status and the JSON answered.
    fn read(&self, cmd: &str, body: &str) -> (tauri::http::StatusCode, Value) {
        let answer = self.request("POST", cmd, body);
        (answer.status(), serde_json::from_slice(answer.body()).unwrap_or(Value::Null))
    }

    /// A request of `method` to the read protocol, answered as the page's `fetch` is.
    fn request(&self, method: &str, cmd: &str, body: &str) -> tauri::http::Response<Vec<u8>> {
        let request = tauri::http::Request::builder()
            .method(method)
            .uri(format!("warroom://localhost/{cmd}"))
            .body(body.as_bytes().to_vec())
            .unwrap();
        warroom_desktop::read::answer(self.webview.app_handle(), &request)
    }

    /// Calls a command over Tauri's IPC, as `invoke` in the page does.
    fn ipc(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.webview, request).map(|body| body.deserialize::<Value>().unwrap())
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.invoke(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("ipc.db")
    }
}

/// Waits until `check` holds (15 s at most).
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn incidents_are_declared_moved_and_read_over_ipc_and_errors_carry_a_code() {
    let w = open(settings);
    let incident =
        w.ok("declare_incident", json!({ "title": "Checkout 500", "severity": "SEV2", "commander": "Mina" }));
    let id = incident["id"].as_str().unwrap().to_owned();
    w.ok("enter_stage", json!({ "id": &id[..8], "stage": "identify" }));
    w.ok("add_note", json!({ "id": id, "text": "pool at 97%" }));
    let view = w.ok("get_incident", json!({ "id": id }));
    assert_eq!(view["incident"]["stage"], "identify");
    let kinds: Vec<&str> =
        view["events"].as_array().unwrap().iter().map(|e| e["kind"]["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["declared", "stage_entered", "note"]);
    assert!(view["events"].as_array().unwrap().iter().all(|e| e["origin"] == "desktop" && e["by"] == "ipc"));
    // Asked with where the last answer went up to, only what was written since comes.
    assert_eq!(view["since"], false);
    w.ok("add_note", json!({ "id": id, "text": "second look" }));
    let newer = w.ok("get_incident", json!({ "id": id, "after": view["through"] }));
    assert_eq!(newer["since"], true);
    let texts: Vec<&str> =
        newer["events"].as_array().unwrap().iter().map(|e| e["kind"]["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["second look"]);
    assert!(newer["through"].as_i64().unwrap() > view["through"].as_i64().unwrap());
    assert_eq!(newer["incident"]["events"], 4, "the incident itself is whole");
    let nothing = w.ok("get_incident", json!({ "id": id, "after": newer["through"] }));
    assert_eq!((nothing["events"].as_array().unwrap().len(), &nothing["through"]), (0, &newer["through"]));
    // Every event names the laptop it was written on, and seals the one before it.
    let events = view["events"].as_array().unwrap();
    assert!(events.iter().all(|e| e["device"].as_str().is_some_and(|d| !d.is_empty())));
    assert!(events[0]["prev"].is_null() && events[1]["prev"] == events[0]["hash"]);
    let private =
        w.ok("declare_incident", json!({ "title": "HR laptop", "severity": "SEV4", "local": true }));
    assert_eq!(private["local"], true, "kept on this laptop");

    // Errors are { code, message }: the window branches on the code.
    let err = w.invoke("declare_incident", json!({ "title": "  ", "severity": "SEV2" })).unwrap_err();
    assert_eq!(err["code"], "empty_text", "{err}");
    let err = w.invoke("declare_incident", json!({ "title": "x", "severity": "SEV9" })).unwrap_err();
    assert_eq!(err["code"], "invalid_input", "{err}");
    assert!(err["message"].as_str().unwrap().contains("SEV9"), "{err}");
    let err = w.invoke("enter_stage", json!({ "id": id, "stage": "identify" })).unwrap_err();
    assert_eq!(err["code"], "already_in_stage", "{err}");
    let err = w.invoke("get_incident", json!({ "id": "01ZZZZZZZZZZZZZZZZZZZZZZZZ" })).unwrap_err();
    assert_eq!(err["code"], "unknown_incident", "{err}");
    let err = w.invoke("config_file", json!({})).unwrap_err();
    assert_eq!(err["code"], "no_config", "{err}");
    let err = w.invoke("start_drill", json!({ "scenario": "nope", "speed": 4, "seed": 1 })).unwrap_err();
    assert_eq!(err["code"], "unknown_scenario", "{err}");
    let err =
        w.invoke("start_drill", json!({ "scenario": "redis-down", "speed": -1, "seed": 1 })).unwrap_err();
    assert_eq!(err["code"], "invalid_input", "{err}");

    // The window may call its own commands only: anything else is refused by the capability.
    assert!(w.invoke("plugin:opener|open_url", json!({ "url": "https://example.com" })).is_err());
    assert!(w.invoke("no_such_command", json!({})).is_err());

    let info = w.ok("app_info", json!({}));
    assert_eq!(info["stages"].as_array().unwrap().len(), 5);
    assert!(info["log_error"].is_null());
}

/// The window's reads come over its own protocol (`warroom://`, src-tauri/read.rs), not Tauri's
/// IPC, and answer what the log holds (as the CLI reads it); a wrong request is refused with a
/// status and `{ code, message }` naming the read and what was expected, and writes nothing.
#[test]
fn reads_come_over_their_own_protocol_and_refuse_bad_requests_by_name() {
    use tauri::http::StatusCode;
    use warroom_desktop::read;

    let w = open(settings);
    let ask = |method: &str, path: &str, body: &str| {
        let answer = w.request(method, path, body);
        let headers = answer.headers();
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert_eq!(headers["cache-control"], "no-store", "WebKit must not keep answers");
        (answer.status(), serde_json::from_slice::<Value>(answer.body()).unwrap_or(Value::Null))
    };
    let incident = w.ok("declare_incident", json!({ "title": "Checkout 500", "severity": "SEV2" }));
    let id = incident["id"].as_str().unwrap().to_owned();
    w.ok("add_note", json!({ "id": id, "text": "pool at 97%" }));

    // The same answers as over IPC.
    let args = json!({ "id": id, "after": null, "keep": 300 });
    let (status, view) = ask("POST", "get_incident", &args.to_string());
    assert_eq!(status, StatusCode::OK);
    let texts: Vec<&Value> = view["events"].as_array().unwrap().iter().map(|e| &e["kind"]["type"]).collect();
    assert_eq!(texts, [&json!("declared"), &json!("note")]);
    assert_eq!(view["incident"]["title"], "Checkout 500");
    let (status, list) = ask("POST", "list_incidents", "");
    assert_eq!((status, list[0]["id"].as_str()), (StatusCode::OK, Some(id.as_str())));
    // The CLI reads the same log the same way.
    let cli = Command::new(bin_dir().join("warroom"))
        .args(["--db", w.db().to_str().unwrap(), "incident", "list", "--json"])
        .output()
        .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&cli.stdout).unwrap()[0]["id"], list[0]["id"]);
    // Reads are not on Tauri's IPC: the window's capability grants its actions only.
    assert!(w.ipc("get_incident", json!({ "id": id })).is_err());
    assert!(w.ipc("pull_broadcast", json!({})).is_err());
    let (status, situation) = ask("POST", "situation", r#"{"node": null}"#);
    assert_eq!(status, StatusCode::OK);
    assert!(situation["feed"].is_object(), "{situation}");
    // Every read listed is answered (arguments missing are refused by name, never "no read").
    for name in read::names() {
        let (status, body) = ask("POST", name, "{}");
        assert_ne!(status, StatusCode::NOT_FOUND, "{name}: {body}");
    }

    // Refused: the core's errors keep their code; a wrong request names what was expected.
    let (status, err) = ask("POST", "get_incident", r#"{"id": "01ZZZZZZZZZZZZZZZZZZZZZZZZ"}"#);
    assert_eq!(
        (status, &err["code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("unknown_incident")),
        "{err}"
    );
    let (status, err) = ask("POST", "get_incident", r#"{"after": 3}"#);
    assert_eq!((status, &err["code"]), (StatusCode::BAD_REQUEST, &json!("bad_request")), "{err}");
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("get_incident") && message.contains("missing field `id`"), "{message}");
    let (status, err) = ask("POST", "review_at", "{\"id\": \"x\",\n \"at\": 5}");
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("review_at") && message.contains("expected a string") && message.contains("line 2"),
        "{message}"
    );
    let (status, err) = ask("POST", "situation", r#"{"nod": "api"}"#);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(err["message"].as_str().unwrap().contains("unknown field `nod`"), "{err}");
    let (status, err) = ask("POST", "add_note", &json!({ "id": id, "text": "sneaked in" }).to_string());
    assert_eq!(status, StatusCode::NOT_FOUND, "writes are not reads: {err}");
    assert!(err["message"].as_str().unwrap().contains("no read named 'add_note'"), "{err}");
    let (status, _) = ask("GET", "list_incidents", "");
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(ask("OPTIONS", "list_incidents", "").0, StatusCode::NO_CONTENT);
    // Nothing was written by any of it: the log holds the declaration and the one note.
    let after = w.ok("get_incident", json!({ "id": id }));
    assert_eq!(after["events"].as_array().unwrap().len(), 2);
}

/// The same drill with the same seed, once through the runtime as the window drives it (here)
/// and once headless (`warroom watch`), records the same events at the same offsets from its
/// start; the window is pushed the changes, fewer times than the drill cycled.
#[test]
fn the_window_and_warroom_watch_record_the_same_drill_alike() {
    let w = open(settings);
    let id = w.ok("declare_incident", json!({ "title": "Drill", "severity": "SEV1" }))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.ok("start_drill", json!({ "scenario": "db-pool-exhaustion", "speed": 200, "seed": 3, "incident": id }));
    // Pulled as the window pulls, while the drill plays and until its end is pushed.
    let mut pushes: Vec<Value> = Vec::new();
    let pull = |pushes: &mut Vec<Value>| {
        let broadcast = w.ok("pull_broadcast", json!({}));
        if !broadcast.is_null() {
            pushes.push(broadcast);
        }
    };
    eventually("the drill plays to its end", || {
        pull(&mut pushes);
        let situation = w.ok("situation", json!({}));
        situation["feed"]["kind"] == "drill" && situation["feed"]["finished"] == true
    });
    eventually("the end is pushed", || {
        pull(&mut pushes);
        pushes.iter().any(|p| p["update"]["finished"] == true)
    });
    let window = offsets(&w.ok("get_incident", json!({ "id": id }))["events"]);

    let told = w.told.lock().unwrap().clone();
    assert!(!told.is_empty(), "the window is told when a broadcast waits");
    assert!(told.len() < 241, "a drill cycling in a burst is pushed merged, not 241 times: {}", told.len());
    // Each telling is the same script to WebKit, compiled once (it keeps every distinct one).
    assert!(told.iter().all(|t| t == "null"), "the event carries nothing: {told:?}");
    assert!(pushes.iter().any(|p| p["update"]["health"].as_array().is_some_and(|h| !h.is_empty())));
    assert!(pushes.iter().all(|p| p["situation"]["view"]["nodes"].is_array()), "each push carries the graph");
    // Log lines come for the node whose panel is open only (none was named here).
    assert!(
        pushes.iter().all(|p| p["situation"]["view"]["logs"].as_array().is_some_and(Vec::is_empty)),
        "no node open, no log lines pushed"
    );
    let nodes: Vec<String> = w.ok("situation", json!({}))["view"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    let mut lines = 0;
    for node in &nodes {
        let logs = w.ok("situation", json!({ "node": node }))["view"]["logs"].as_array().unwrap().clone();
        assert!(logs.iter().all(|l| l["node"] == json!(node)), "{node}'s lines only: {logs:?}");
        lines += logs.len();
    }
    assert!(lines > 0, "the drill's nodes log, and a node's lines come when it is named");
    let recorded: usize = pushes.iter().map(|p| p["update"]["events"].as_array().map_or(0, Vec::len)).sum();
    assert_eq!(recorded, window.len(), "every recorded event was pushed");

    // Headless, on another log.
    let db = w.dir.path().join("cli.db");
    let cli = |args: &[&str]| {
        let out = Command::new(bin_dir().join("warroom")).arg("--db").arg(&db).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let other = cli(&["incident", "declare", "--title", "Drill", "--severity", "SEV1"]);
    let out = cli(&[
        "watch",
        "--drill",
        "db-pool-exhaustion",
        "--speed",
        "200",
        "--seed",
        "3",
        "--incident",
        other.trim(),
        "--json",
    ]);
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(
        lines.iter().any(|l| l["change"] == "health" && l["node"] == "order-service" && l["to"] == "down"),
        "{out}"
    );
    assert_eq!(lines.last().unwrap()["change"], "finished");
    let timeline: Value = serde_json::from_str(&cli(&["timeline", other.trim(), "--json"])).unwrap();
    let headless = offsets(&timeline);
    assert!(window.len() > 10, "{window:?}");
    assert_eq!(window, headless);
}

/// (kind, node, milliseconds after the drill's first snapshot) of every event the drill
/// recorded (not the declaration, nor when recording started and stopped: the window records
/// until told otherwise, a watch stops when the drill ends).
fn offsets(events: &Value) -> Vec<(String, String, i64)> {
    let events = events.as_array().unwrap();
    let at = |e: &Value| warroom::time::parse(e["at"].as_str().unwrap()).unwrap();
    let start = events.iter().find(|e| e["kind"]["type"] == "topology_recorded").map(at).expect("a snapshot");
    events
        .iter()
        .filter(|e| {
            !["declared", "recording_started", "recording_stopped"]
                .contains(&e["kind"]["type"].as_str().unwrap())
        })
        .map(|e| {
            let node = e["kind"]["node"].as_str().unwrap_or_default().to_owned();
            (e["kind"]["type"].as_str().unwrap().to_owned(), node, (at(e) - start).num_milliseconds())
        })
        .collect()
}

#[test]
fn a_runbook_is_suggested_attached_and_checked_over_ipc() {
    let w = open(settings);
    let id = w.ok("declare_incident", json!({ "title": "Orders", "severity": "SEV2" }))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.ok("start_drill", json!({ "scenario": "db-pool-exhaustion", "speed": 1, "seed": 1, "incident": id }));
    // A drill at ×1 on a stepped clock plays on: wait until the pool is failing.
    eventually("mysql-primary fails", || {
        let nodes = w.ok("situation", json!({}))["view"]["nodes"].clone();
        nodes.as_array().is_some_and(|n| {
            n.iter()
                .any(|n| n["id"] == "mysql-primary" && n["health"] != "healthy" && n["health"] != "unknown")
        })
    });
    w.ok("stop_drill", json!({}));
    let attached =
        w.ok("attach_runbook", json!({ "id": id, "runbook": "db-pool-exhaustion", "node": "mysql-primary" }));
    assert_eq!(attached[0]["runbook"]["id"], "db-pool-exhaustion");
    let err = w.invoke("attach_runbook", json!({ "id": id, "runbook": "db-pool-exhaustion" })).unwrap_err();
    assert_eq!(err["code"], "runbook_attached");
    let err = w.invoke("attach_runbook", json!({ "id": id, "runbook": "nope" })).unwrap_err();
    assert_eq!(err["code"], "unknown_runbook");
    let views = w.ok(
        "check_step",
        json!({ "id": id, "runbook": "db-pool-exhaustion", "step": "detect-1", "done": true }),
    );
    assert_eq!(views[0]["done"]["detect-1"]["by"], "ipc");
    let err = w
        .invoke(
            "check_step",
            json!({ "id": id, "runbook": "db-pool-exhaustion", "step": "nope-9", "done": true }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "unknown_step");
    let err = w
        .invoke(
            "open_runbook_link",
            json!({ "id": id, "runbook": "db-pool-exhaustion", "step": "detect-1", "index": 99 }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "unknown_link");
}

#[test]
fn a_resolved_incident_is_reviewed_and_its_postmortem_exported_over_ipc() {
    let w = open(settings);
    let id = w.ok("declare_incident", json!({ "title": "Checkout down", "severity": "SEV1" }))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.ok("start_drill", json!({ "scenario": "redis-down", "speed": 500, "seed": 1, "incident": id }));
    eventually("the drill plays to its end", || w.ok("situation", json!({}))["feed"]["finished"] == true);
    w.ok("resolve_incident", json!({ "id": id }));
    let info = w.ok("review_incident", json!({ "id": id }));
    assert!(info["marks"].as_array().unwrap().iter().any(|m| m["kind"] == "alert"), "{info}");
    assert!(info["marks"].as_array().unwrap().iter().any(|m| m["kind"] == "resolved"), "{info}");
    let peak = info["peak"].as_str().expect("a peak");
    let frame = w.ok("review_at", json!({ "id": id, "at": peak }));
    assert!(frame["graph"]["blast"]["down"].as_array().is_some_and(|d| !d.is_empty()), "{frame}");
    let err = w.invoke("review_at", json!({ "id": id, "at": "yesterday" })).unwrap_err();
    assert_eq!(err["code"], "invalid_input");
    let err = w.invoke("export_postmortem", json!({ "id": id, "slo": 100 })).unwrap_err();
    assert_eq!(err["code"], "invalid_input");
    let exported = w.ok("export_postmortem", json!({ "id": id, "slo": 99.95 }));
    let md = std::fs::read_to_string(exported["files"][0].as_str().unwrap()).unwrap();
    assert!(md.starts_with("# Postmortem: Checkout down"), "{md}");
    assert!(exported["dir"].as_str().unwrap().ends_with("exports"));
    let actions = w.ok("set_action", json!({ "id": id, "edit": { "id": null, "title": "Alert earlier", "kind": "prevent", "owner": "Mina", "ticket": null, "status": null, "due": null } }));
    assert_eq!(actions[0]["title"], "Alert earlier");
    assert!(w.db().exists());
}

/// With a configuration, a broken edit is refused naming its line and nothing is written; the
/// sources are listed without secrets.
#[test]
fn the_configuration_is_edited_over_ipc_and_a_broken_edit_writes_nothing() {
    let topology = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/topology/reference.toml");
    let w = open(|dir| {
        let config = dir.join("warroom.toml");
        let text = format!(
            "[topology]\nfile = \"{}\"\n[[source]]\nname = \"prom\"\nkind = \"prometheus\"\nurl = \"http://127.0.0.1:9\"\ninterval_secs = 30\n",
            topology.display()
        );
        std::fs::write(&config, text).unwrap();
        Settings { config: Some(config), ..settings(dir) }
    });
    let sources = w.ok("sources_config", json!({}));
    assert_eq!(sources[0]["name"], "prom");
    assert_eq!(sources[0]["auth"], "none");
    let file = w.ok("config_file", json!({}));
    let original = file["text"].as_str().unwrap().to_owned();
    let broken = format!("{original}[[source]]\nname = \"x\"\nkind = \"graphite\"\nurl = \"http://x\"\n");
    let err = w.invoke("save_config", json!({ "text": broken })).unwrap_err();
    assert_eq!(err["code"], "config", "{err}");
    assert!(err["message"].as_str().unwrap().contains("warroom.toml:"), "{err}");
    assert_eq!(std::fs::read_to_string(w.dir.path().join("warroom.toml")).unwrap(), original);
    let slower = original.replace("interval_secs = 30", "interval_secs = 60");
    w.ok("save_config", json!({ "text": slower }));
    assert_eq!(w.ok("sources_config", json!({}))[0]["interval_secs"], 60.0);
    assert!(w.dir.path().join("warroom.toml.bak").exists());
    let situation = w.ok("situation", json!({}));
    assert_eq!(situation["feed"]["kind"], "live");
}
