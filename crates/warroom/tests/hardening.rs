//! Regression tests for what a hostile probe of the command line found (issue 16), black-box:
//! the `warroom` binary on a temporary SQLite file. Each test is named after its defect.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
/// The CLI on a temporary log (shared with tests/cli.rs).
#[path = "common/cli.rs"]
mod harness;

use std::process::Command;

use harness::Cli;
use serde_json::Value;

fn declare(cli: &Cli, at: &str) -> String {
    cli.ok(&["incident", "declare", "--title", "Checkout down", "--severity", "sev1", "--at", at])
        .trim()
        .to_owned()
}

/// Defect 6, time travel: `resolve --at 0001-01-02` on an incident declared in 2026 was accepted
/// and the postmortem said "Duration 0 s". A stage, a role, a severity, a resolution cannot come
/// before the declaration; a note may say what was seen shortly before it (`#impact-start`), not
/// years before.
#[test]
fn time_travel_before_the_declaration_is_refused() {
    let cli = Cli::new();
    let id = declare(&cli, "2026-11-23T03:00:00Z");
    for args in [
        vec!["incident", "resolve", &id, "--at", "0001-01-02T00:00:00Z"],
        vec!["incident", "stage", &id, "identify", "--at", "2026-11-23T02:59:00Z"],
        vec!["incident", "severity", &id, "SEV2", "--at", "2020-01-01T00:00:00Z"],
        vec!["incident", "role", &id, "comms", "Jun", "--at", "2026-11-22T00:00:00Z"],
        vec!["incident", "note", &id, "typo year", "--at", "2016-11-23T03:00:00Z"],
    ] {
        let err = cli.refused(&args);
        assert!(err.contains("before the incident was declared (2026-11-23T03:00:00"), "{args:?}: {err}");
    }
    let shown = cli.json(&["incident", "show", &id, "--json"]);
    assert_eq!(shown["status"], "active", "nothing was written");
    assert_eq!(shown["events"], 1, "{shown}");
    // What was seen before the declaration is still a note, dated then.
    cli.ok(&["incident", "note", &id, "#impact-start customers wrote in", "--at", "2026-11-23T02:50:00Z"]);
    cli.ok(&["incident", "resolve", &id, "--at", "2026-11-23T03:40:00Z"]);
    let out = cli.path("pm");
    cli.ok(&["export", &id, "--format", "md", "--out", out.to_str().unwrap()]);
    let md = std::fs::read_to_string(out.join(format!("{id}.md"))).unwrap();
    assert!(md.contains("| Time to resolve | declared → resolved | 03:00:00 | 03:40:00 | 40 min |"), "{md}");
}

/// Defect 1: `export --format md` never finished when a sample was ≥ ~1.57e308. An imported
/// incident with huge, infinite and NaN samples exports, with its charts.
#[test]
fn an_export_with_huge_samples_finishes() {
    let cli = Cli::new();
    let id = declare(&cli, "2026-11-23T03:00:00Z");
    let json_dir = cli.path("json");
    cli.ok(&["export", &id, "--format", "json", "--out", json_dir.to_str().unwrap()]);
    let file = json_dir.join(format!("{id}.json"));
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    // The order service fails with samples no chart could scale to.
    let events = doc["events"].as_array_mut().unwrap();
    let mut failed = events[0].clone();
    failed["id"] = Value::String("01KAQ0000000000000000000F1".into());
    failed["at"] = Value::String("2026-11-23T03:01:00Z".into());
    failed["recorded_at"] = failed["at"].clone();
    failed["kind"] = serde_json::json!({"type": "health_changed", "node": "order-service", "from": "healthy", "to": "down", "reason": "5xx"});
    failed["prev"] = Value::Null;
    failed["hash"] = Value::String(String::new());
    failed["device"] = Value::String("probe".into());
    events.push(failed);
    let samples: Vec<Value> = [1.7e308, f64::MAX, 2.0, 1e-320]
        .iter()
        .enumerate()
        .map(|(i, v)| serde_json::json!({"node": "order-service", "metric": "http_5xx_ratio", "value": v, "at": format!("2026-11-23T03:0{}:00Z", i + 1)}))
        .collect();
    doc["samples"] = Value::Array(samples);
    // Another log imports it (the hash chain is sealed again by the log that writes it).
    let other = Cli::new();
    let import = other.path("in.json");
    std::fs::write(&import, doc.to_string()).unwrap();
    other.ok(&["import", import.to_str().unwrap()]);
    let out = other.path("pm");
    other.ok(&["export", &id, "--format", "md", "--out", out.to_str().unwrap()]);
    assert!(out.join(format!("{id}.md")).is_file());
    let charts = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("-chart-"))
        .count();
    assert!(charts >= 2, "the huge samples' chart is drawn (PNG and SVG): {charts}");
}

/// Defect 3: a failed export destroyed the earlier good one (the JSON was written in place; a
/// failed Markdown export left `.md.partial`). The export runs again with a file-size limit
/// (`ulimit -f`, which binds root too, with SIGXFSZ ignored so the write fails as on a full
/// disk): it fails, the earlier files are whole, and nothing of the new ones is left.
#[test]
fn a_failed_export_leaves_the_earlier_one_whole() {
    let cli = Cli::new();
    let id = declare(&cli, "2026-11-23T03:00:00Z");
    let out = cli.path("out");
    cli.ok(&["export", &id, "--format", "json", "--out", out.to_str().unwrap()]);
    cli.ok(&["export", &id, "--format", "md", "--out", out.to_str().unwrap()]);
    let json = out.join(format!("{id}.json"));
    let md = out.join(format!("{id}.md"));
    let (json_before, md_before) = (std::fs::read(&json).unwrap(), std::fs::read(&md).unwrap());
    assert!(json_before.len() > 512 && md_before.len() > 512);
    // A long note makes the next export larger than the limit (the log's own files stay under
    // it: the database is read, and SQLite's shared memory is 32 KiB).
    let long = "the pool ran dry again; ".repeat(1_700);
    for _ in 0..4 {
        cli.ok(&["incident", "note", &id, &long]);
    }
    for format in ["json", "md"] {
        let script = format!(
            "trap '' XFSZ; ulimit -f 96; exec \"$0\" --db \"$1\" export {id} --format {format} --out \"$2\""
        );
        let run = Command::new("bash")
            .args(["-c", &script, env!("CARGO_BIN_EXE_warroom")])
            .arg(&cli.db)
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{format}: the export must fail under the limit");
        assert!(
            err.contains("cannot write") || err.contains("too large") || err.contains("File too large"),
            "{format}: {err}"
        );
    }
    assert_eq!(std::fs::read(&json).unwrap(), json_before, "the good JSON export is intact");
    assert_eq!(std::fs::read(&md).unwrap(), md_before, "the good Markdown export is intact");
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains("partial") && !n.contains(".tmp")),
        "nothing of the new files: {names:?}"
    );
}

/// Defect 7: `topology check /dev/zero` and `import /dev/zero` read ~7 GB. Every file read whole
/// has a cap (`WARROOM_MAX_FILE_MB`, default 64), and an import of anything but a regular file is
/// read whole first: refused at once, saying so.
#[test]
fn an_endless_file_is_refused_at_the_cap() {
    let cli = Cli::new();
    for args in [
        vec!["topology", "check", "/dev/zero"],
        vec!["import", "/dev/zero"],
        vec!["runbook", "check", "/dev/zero"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .arg("--db")
            .arg(&cli.db)
            .args(&args)
            .env("WARROOM_MAX_FILE_MB", "2")
            .output()
            .unwrap();
        let said =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!out.status.success(), "{args:?}");
        assert!(said.contains("larger than 2 MiB"), "{args:?}: {said}");
    }
}

/// Defect 8: a server's error body went into the source's status verbatim (a 503 body faked a
/// green line and retitled the terminal, and could echo the token back); a source URL with a
/// query string built a wrong request path; a redirect sent the full URL as `Referer`. Against
/// local HTTP servers: the error is one line, capped, with the token redacted; the base's path
/// and query are kept under the API's path; the redirected request carries no `Referer`.
#[tokio::test(flavor = "multi_thread")]
async fn a_servers_words_are_cleaned_and_urls_joined_without_a_referer() {
    use common::receiver::{Answer, Receiver};
    let hostile = format!("\x1b]0;pwned\x07\x1b[32mall green\r token=s3cr3t-t0ken {}", "x".repeat(2_000));
    let failing = Receiver::start(move |_| Answer::Reply(503, hostile.clone())).await;
    let target = Receiver::start(|_| {
        Answer::Reply(200, r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#.into())
    })
    .await;
    let to = target.url("/landed");
    let redirecting =
        Receiver::start(move |_| Answer::With(302, vec![("Location".into(), to.clone())], String::new()))
            .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("warroom.toml");
    std::fs::write(
        &config,
        format!(
            "[[source]]\nname = \"bad\"\nkind = \"prometheus\"\nurl = \"{}\"\nbearer_token_env = \"CARGO_PKG_NAME\"\ntimeout_secs = 2\n\n[[source]]\nname = \"proxied\"\nkind = \"prometheus\"\nurl = \"{}\"\n",
            failing.url(""),
            redirecting.url("/prometheus?org=2&token=in-the-url")
        ),
    )
    .unwrap();
    let config = warroom::config::Config::read(&config).unwrap();
    let client = warroom::sources::http::client_builder().build().unwrap();
    // The token here is the value of CARGO_PKG_NAME ("warroom"), which the body does not hold:
    // the redaction is checked with a status built from a body that does.
    let bad = warroom::sources::http::Endpoint::new(client.clone(), &config.sources[0]).unwrap();
    let _ = bad.get("/api/v1/query", &[("query", "up")], |a| Ok::<_, String>(a.body.clone())).await;
    let said = bad.status().last_error.expect("the failure is said");
    assert!(!said.chars().any(char::is_control), "{said:?}");
    assert!(said.chars().count() <= 301, "capped: {} chars", said.chars().count());
    assert!(
        failing
            .requests()
            .iter()
            .all(|r| r.headers.get("authorization").is_some_and(|a| a == "Bearer warroom"))
    );

    let proxied = warroom::sources::http::Endpoint::new(client, &config.sources[1]).unwrap();
    proxied
        .get("/api/v1/query", &[("query", "up")], |a| Ok::<_, String>(a.body.clone()))
        .await
        .unwrap()
        .unwrap();
    let first = &redirecting.requests()[0];
    assert!(first.path.starts_with("/prometheus/api/v1/query?"), "the base's path kept: {}", first.path);
    assert!(first.path.contains("org=2") && first.path.contains("query=up"), "{}", first.path);
    let landed = &target.requests()[0];
    assert_eq!(landed.path, "/landed");
    assert!(!landed.headers.contains_key("referer"), "no Referer after a redirect: {:?}", landed.headers);
}

/// The cleaning itself: control characters, the request's secrets, the length.
#[test]
fn an_error_text_is_cleaned_of_controls_secrets_and_length() {
    let body = format!("\x1b[2J token s3cr3t-t0ken in \r\n{}", "y".repeat(500));
    let cleaned = warroom::sources::http::clean_error(&body, &["s3cr3t-t0ken".to_owned()]);
    assert!(!cleaned.contains("s3cr3t") && cleaned.contains("[redacted]"), "{cleaned}");
    assert!(!cleaned.chars().any(char::is_control));
    assert_eq!(cleaned.chars().count(), 301);
}

/// Defect 9: a read-only command given `--db /nonexistent/dir/x.db` created the folder and a
/// database, and a log that cannot be written (a read-only file, a read-only mount) could not
/// even be read. Reading commands open the log read-only: they refuse a missing log creating
/// nothing, and read a read-only one.
#[test]
fn reading_commands_create_nothing_and_read_a_read_only_log() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Cli::new();
    let missing = cli.path("no/such/dir/x.db");
    for args in [
        vec!["incident", "list"],
        vec!["timeline", "01M8NGTF2QMR3M3M34AS4TNNK6"],
        vec!["action", "list", "x"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .arg("--db")
            .arg(&missing)
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains("no log here"), "{args:?}: {err}");
        assert!(!cli.path("no").exists(), "{args:?} created nothing");
    }
    let id = declare(&cli, "2026-11-23T03:00:00Z");
    cli.ok(&["incident", "note", &id, "pool at 97%"]);
    std::fs::set_permissions(&cli.db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let list = cli.json(&["incident", "list", "--json"]);
    assert_eq!(list[0]["id"], id.as_str());
    let timeline = cli.json(&["timeline", &id, "--json"]);
    assert_eq!(timeline.as_array().map(Vec::len), Some(2));
    let out = cli.path("export");
    cli.ok(&["export", &id, "--format", "json", "--out", out.to_str().unwrap()]);
    // Writing is still refused, saying why.
    let err = cli.refused(&["incident", "note", &id, "more"]);
    assert!(err.contains("read-only") || err.contains("read only"), "{err}");
}

/// Defect 9 on a real read-only mount: the log's folder bind-mounted read-only (in a user and
/// mount namespace of its own, `unshare -rm`, so no privilege is needed and nothing outside the
/// test sees the mount). SQLite cannot make the log's shared memory there: the reading commands
/// read it anyway, an export goes elsewhere, and a write is refused naming the read-only file
/// system.
#[test]
fn a_log_on_a_read_only_mount_is_read_and_a_write_says_why_not() {
    let cli = Cli::new();
    let id = declare(&cli, "2026-11-23T03:00:00Z");
    cli.ok(&["incident", "note", &id, "pool at 97%"]);
    let logs = cli.path("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::rename(&cli.db, logs.join("warroom.db")).unwrap();
    let exports = tempfile::tempdir().unwrap();
    let warroom = env!("CARGO_BIN_EXE_warroom");
    let db = logs.join("warroom.db");
    let (db, dir, out) = (db.display(), logs.display(), exports.path().join("x.json"));
    let out = out.display();
    let script = format!(
        r#"set -u
mount --bind "{dir}" "{dir}" && mount -o remount,bind,ro "{dir}" "{dir}" || exit 10
touch "{dir}/probe" 2>/dev/null && exit 11
echo "== list"; "{warroom}" --db "{db}" incident list --json || exit 12
echo "== timeline"; "{warroom}" --db "{db}" timeline {id} --json || exit 13
echo "== export"
"{warroom}" --db "{db}" export {id} --format json --out "{out}" || exit 14
"{warroom}" --db "{db}" incident note {id} "more" && exit 15
exit 0
"#
    );
    let run = Command::new("unshare").args(["-rm", "bash", "-c", &script]).output().unwrap();
    let printed = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "exit {:?}\nstdout: {printed}\nstderr: {err}", run.status.code());
    let (list, timeline) = printed.split_once("== timeline").unwrap();
    let list: Value = serde_json::from_str(list.trim_start_matches("== list")).unwrap();
    assert_eq!(list[0]["id"], id.as_str());
    let timeline: Value = serde_json::from_str(timeline.split("== export").next().unwrap()).unwrap();
    assert_eq!(timeline.as_array().map(Vec::len), Some(2));
    let written = exports.path().join("x.json").join(format!("{id}.json"));
    let export: Value = serde_json::from_slice(&std::fs::read(written).unwrap()).unwrap();
    assert_eq!(export["incident"]["id"], id.as_str(), "{export}");
    assert!(err.contains("read-only file system"), "{err}");
    assert!(err.contains("copy it elsewhere"), "{err}");
}
