//! The `warroom` binary, black-box: real processes on a temporary SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The CLI on a temporary log (shared with tests/hardening.rs; not in `common`, which the desktop
/// crate's tests include too, where this binary is not built).
#[path = "common/cli.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::process::Command;

use harness::Cli;
use serde_json::Value;

#[test]
fn declare_then_walk_the_stages_and_read_the_timeline_as_json() {
    let cli = Cli::new();
    let id = cli.ok(&[
        "incident",
        "declare",
        "--title",
        "Checkout returns 500",
        "--severity",
        "sev2",
        "--commander",
        "Mina",
        "--at",
        "2026-11-23T03:00:00Z",
    ]);
    let id = id.trim();
    assert_eq!(id.len(), 26, "declare prints the id: {id}");

    cli.ok(&["incident", "stage", &id[..10], "identify", "--at", "2026-11-23T03:04:00Z"]);
    cli.ok(&["incident", "note", id, "orders-db pool at 97%", "--at", "2026-11-23T03:06:00+00:00"]);
    cli.ok(&["incident", "role", id, "comms", "Jun", "--at", "2026-11-23T03:07:00Z"]);
    cli.ok(&["incident", "severity", id, "SEV1", "--at", "2026-11-23T03:08:00Z"]);
    cli.ok(&["incident", "stage", id, "isolate", "--at", "2026-11-23T03:10:00Z"]);
    cli.ok(&["incident", "stage", id, "identify", "--at", "2026-11-23T03:12:00Z"]);
    cli.ok(&["incident", "resolve", id, "--at", "2026-11-23T03:37:00Z"]);

    let shown = cli.json(&["incident", "show", id, "--json"]);
    assert_eq!(shown["id"], id);
    assert_eq!(shown["severity"], "SEV1");
    assert_eq!(shown["stage"], "identify");
    assert_eq!(shown["status"], "resolved");
    assert_eq!(shown["roles"]["commander"], "Mina");
    assert_eq!(shown["roles"]["communications_lead"], "Jun");
    assert_eq!(shown["resolved_at"], "2026-11-23T03:37:00Z");

    let timeline = cli.json(&["timeline", id, "--json"]);
    let kinds: Vec<&str> =
        timeline.as_array().unwrap().iter().map(|e| e["kind"]["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "declared",
            "stage_entered",
            "note",
            "role_assigned",
            "severity_changed",
            "stage_entered",
            "stage_entered",
            "resolved"
        ]
    );
    assert_eq!(timeline[2]["kind"]["text"], "orders-db pool at 97%");
    assert_eq!(timeline[2]["origin"], "cli");

    let list = cli.json(&["incident", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["title"], "Checkout returns 500");

    let text = cli.ok(&["timeline", id]);
    assert!(text.contains("2026-11-23T03:06:00Z  note: orders-db pool at 97%"), "{text}");
    assert!(cli.ok(&["incident", "list"]).contains("Checkout returns 500"));
}

#[test]
fn the_person_acting_is_recorded_from_by_or_the_environment() {
    let cli = Cli::new();
    let id = cli.ok(&["--by", "Ola", "incident", "declare", "--title", "t", "--severity", "3"]);
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["incident", "note", id.trim(), "from env"])
        .env("WARROOM_DB", &cli.db)
        .env("WARROOM_USER", "Jun")
        .output()
        .unwrap();
    assert!(out.status.success());
    let timeline = cli.json(&["timeline", id.trim(), "--json"]);
    assert_eq!(timeline[0]["by"], "Ola");
    assert_eq!(timeline[1]["by"], "Jun");
}

#[test]
fn every_bad_input_is_one_clear_line_and_a_non_zero_exit() {
    let cli = Cli::new();
    let a = cli.ok(&["incident", "declare", "--title", "a", "--severity", "SEV2"]);
    let a = a.trim();
    cli.ok(&["incident", "declare", "--title", "b", "--severity", "SEV2"]);

    let e = cli.fails(&["incident", "stage", a, "fix"]);
    assert!(e.contains("'fix'") && e.contains("detect, identify, isolate, recover, analyze"), "{e}");
    let e = cli.fails(&["incident", "note", a, "x", "--at", "yesterday 3am"]);
    assert!(e.contains("cannot read time 'yesterday 3am'") && e.contains("RFC 3339"), "{e}");
    let e = cli.fails(&["incident", "show", "7ZZZZZZZZZ"]);
    assert!(e.contains("no incident with id 7ZZZZZZZZZ"), "{e}");
    let e = cli.fails(&["incident", "show", "0"]);
    assert!(e.contains("matches 2 incidents"), "{e}");
    let e = cli.fails(&["incident", "declare", "--title", "x", "--severity", "SEV9"]);
    assert!(e.contains("SEV9") && e.contains("SEV1"), "{e}");
    let e = cli.fails(&["incident", "stage", a, "detect"]);
    assert!(e.contains("already in stage detect"), "{e}");
    let e = cli.fails(&["incident", "note", a, "x", "--at", "2099-01-01T00:00:00Z"]);
    assert!(e.contains("in the future"), "{e}");
    let e = cli.fails(&["incident", "role", a, "boss", "Ana"]);
    assert!(e.contains("'boss'"), "{e}");

    // Nothing above was written: the incident still has its one declared event.
    assert_eq!(cli.json(&["timeline", a, "--json"]).as_array().unwrap().len(), 1);
}

#[test]
fn a_file_that_is_not_a_warroom_database_is_named_in_the_error() {
    let cli = Cli::new();
    std::fs::write(&cli.db, "not a database at all, just some text that is long enough\n".repeat(30))
        .unwrap();
    let e = cli.fails(&["incident", "list"]);
    assert!(e.contains(&cli.db.display().to_string()) && e.contains("not a warroom database"), "{e}");
}

#[test]
fn the_database_path_comes_from_warroom_db_or_the_xdg_data_dir() {
    let home = tempfile::tempdir().unwrap();
    let xdg = home.path().join("xdg-data");
    let run = |envs: &[(&str, &Path)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_warroom"));
        cmd.args(["incident", "declare", "--title", "t", "--severity", "SEV4"]);
        cmd.env_remove("WARROOM_DB").env("HOME", home.path()).env("XDG_DATA_HOME", &xdg);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        assert!(cmd.output().unwrap().status.success());
    };
    run(&[]);
    assert!(xdg.join("warroom").join("warroom.db").exists());
    let custom = home.path().join("custom.db");
    run(&[("WARROOM_DB", &custom)]);
    assert!(custom.exists());
}

#[test]
fn help_explains_every_severity_and_stage() {
    let cli = Cli::new();
    let help = cli.ok(&["incident", "declare", "--help"]);
    for sev in ["SEV1: critical", "SEV2: major", "SEV3: minor", "SEV4: low"] {
        assert!(help.contains(sev), "{help}");
    }
    let help = cli.ok(&["incident", "stage", "--help"]);
    assert!(help.contains("root-cause analysis and prevention"), "{help}");
}

fn asset(path: &str) -> String {
    format!("{}/../../assets/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn topology_check_accepts_both_example_formats_and_lists_every_problem_with_its_line() {
    let cli = Cli::new();
    for example in ["topology/reference.toml", "topology/catalog-info.yaml"] {
        let out = cli.ok(&["topology", "check", &asset(example)]);
        assert!(out.contains(": ok: "), "{out}");
    }
    let bad = cli.db.with_file_name("bad.toml");
    std::fs::write(&bad, "[[node]]\nid = \"a\"\ndepends_on = [\"ghost\", \"a\"]\n[[group]]\nid = \"g\"\nmembers = [\"a\"]\nneeds = 3\n").unwrap();
    let out = cli.run(&["topology", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    let file = bad.display().to_string();
    assert!(err.contains(&format!("{file}:3: error: 'a' depends on unknown 'ghost'")), "{err}");
    assert!(err.contains(&format!("{file}:3: error: 'a' depends on itself")), "{err}");
    assert!(
        err.contains(&format!("{file}:4: error: group 'g' needs 3 healthy members but has only 1")),
        "{err}"
    );
}

#[test]
fn topology_blast_and_spof_print_the_documented_json() {
    let cli = Cli::new();
    let file = asset("topology/reference.toml");
    let blast = cli.json(&["topology", "blast", &file, "--fail", "mysql-primary,mysql-replica", "--json"]);
    assert_eq!(blast["down"], serde_json::json!(["mysql-primary", "mysql-replica"]));
    assert_eq!(blast["entrypoints_down"], serde_json::json!(["api-gateway"]));
    assert_eq!(blast["degraded"], serde_json::json!([]));
    let gateway = blast["impacted"].as_array().unwrap().iter().find(|i| i["id"] == "api-gateway").unwrap();
    assert_eq!(gateway["reason"][0], "api-gateway");
    let spof = cli.json(&["topology", "spof", &file, "--json"]);
    assert!(spof.as_array().unwrap().iter().any(|s| s["id"] == "payment-provider"));
    let e = cli.fails(&["topology", "blast", &file, "--fail", "nope"]);
    assert!(e.contains("no node 'nope'"), "{e}");
}

/// `warroom ... | head -1`: a reader that leaves early is not an error (no panic, no noise).
#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["drill", "run", "redis-down", "--speed", "500", "--headless"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("drill redis-down"), "{first}");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn runbook_check_passes_the_built_in_runbooks_and_lists_every_problem_with_its_line() {
    let cli = Cli::new();
    let out = cli.run(&["runbook", "check", &asset("runbooks")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("7 runbooks ok: "), "{err}");

    let dir = cli.db.with_file_name("runbooks");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("good.md"), "## Detect\n- [ ] look\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "not a runbook").unwrap();
    std::fs::write(
        dir.join("broken.md"),
        "---\nid: broken\nowner: me\n---\n## Detect\n- [ ] look\n  ```promql\n  up\n  ```\n## Fix\n- [ ] x\n",
    )
    .unwrap();
    let out = cli.run(&["runbook", "check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let file = dir.join("broken.md").display().to_string();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[0].starts_with(&format!("{file}:3: warning: front matter: 'owner' is not a warroom key")),
        "{stdout}"
    );
    assert!(lines[1].starts_with(&format!("{file}:7: a check without a condition")), "{stdout}");
    assert!(lines[2].starts_with(&format!("{file}:10: warning: section 'Fix' names no stage")), "{stdout}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end(), "warroom: checked 2 runbooks: 3 problems (1 error, 2 warnings)");

    // Warnings alone pass, and fail with --strict.
    std::fs::write(
        dir.join("broken.md"),
        "---\nweight: 20\n---\n## Detect\n- [ ] look\n## Notes\nAsk #infra.\n",
    )
    .unwrap();
    let out = cli.run(&["runbook", "check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("2 runbooks ok: 2 steps, 0 checks; 2 warnings"), "{err}");
    let strict = cli.run(&["runbook", "check", "--strict", dir.to_str().unwrap()]);
    assert_eq!(strict.status.code(), Some(1));
    let err = String::from_utf8(strict.stderr).unwrap();
    assert_eq!(
        err.trim_end(),
        "warroom: checked 2 runbooks: 2 problems (0 errors, 2 warnings; --strict fails on warnings)"
    );
}

#[test]
fn runbook_show_and_list_print_the_documented_json() {
    let cli = Cli::new();
    let runbook = cli.json(&["runbook", "show", "memory-leak", "--json"]);
    assert_eq!(runbook["id"], "memory-leak");
    let stages = runbook["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 5);
    assert_eq!(stages[3]["stage"], "recover");
    assert_eq!(stages[3]["steps"][2]["check"]["condition"]["op"], "<");
    let file = asset("runbooks/redis-down.md");
    let text = cli.ok(&["runbook", "show", &file]);
    assert!(text.starts_with("redis-down: Redis (cache) down (SEV3)"), "{text}");
    assert!(text.contains("check: min(up{service=\"$node\"}) expect == 1"), "{text}");
    let list = cli.json(&["runbook", "list", "--json"]);
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 7);
    assert!(ids.contains(&"unknown-outage"), "{ids:?}");
    let e = cli.fails(&["runbook", "show", "no-such-runbook"]);
    assert!(e.contains("no built-in runbook with that id (built-in: db-pool-exhaustion, "), "{e}");
}

/// `warroom replay ID --at TIME`: the incident as it stood then, from the log alone.
#[test]
fn replay_prints_the_incident_as_it_stood_at_an_instant() {
    let cli = Cli::new();
    let id = cli.ok(&[
        "incident",
        "declare",
        "--title",
        "Redis down",
        "--severity",
        "sev2",
        "--at",
        "2026-11-23T03:00:00Z",
    ]);
    let id = id.trim();
    cli.ok(&["incident", "stage", id, "identify", "--at", "2026-11-23T03:05:00Z"]);
    cli.ok(&["incident", "note", id, "failover to redis-2", "--at", "2026-11-23T03:06:00Z"]);
    cli.ok(&["incident", "stage", id, "recover", "--at", "2026-11-23T03:10:00Z"]);

    let early = cli.json(&["replay", id, "--at", "2026-11-23T03:04:00Z", "--json"]);
    assert_eq!(early["incident"]["stage"], "detect");
    assert_eq!(early["notes"], serde_json::json!([]));
    let mid = cli.json(&["replay", id, "--at", "2026-11-23T03:07:00Z", "--json"]);
    assert_eq!(mid["incident"]["stage"], "identify");
    assert_eq!(mid["notes"][0]["text"], "failover to redis-2");
    let text = cli.ok(&["replay", id, "--at", "2026-11-23T03:11:00Z"]);
    assert!(text.contains("stage recover for 1 min"), "{text}");
    assert!(text.contains("note 03:06:00: failover to redis-2"), "{text}");

    let err = cli.fails(&["replay", id, "--at", "2026-11-23T02:00:00Z"]);
    assert!(err.contains("was not declared yet at 2026-11-23T02:00:00"), "{err}");
    let err = cli.fails(&["replay", id, "--at", "yesterday"]);
    assert!(err.contains("--at"), "{err}");
}

/// `warroom export ID --format json --out DIR` then `warroom import FILE` into another log: the
/// same incident, ids preserved, replay identical; importing twice adds nothing; a broken or
/// foreign file is refused with where and why, and the log is left as it was.
#[test]
fn an_exported_incident_imports_into_another_log_once() {
    let source = Cli::new();
    let id = source.ok(&[
        "incident",
        "declare",
        "--title",
        "Kafka lag",
        "--severity",
        "sev3",
        "--at",
        "2026-11-23T03:00:00Z",
    ]);
    let id = id.trim();
    source.ok(&["incident", "note", id, "consumer group stuck", "--at", "2026-11-23T03:02:00Z"]);
    source.ok(&["incident", "stage", id, "isolate", "--at", "2026-11-23T03:04:00Z"]);
    let out = tempfile::tempdir().unwrap();
    let printed = source.ok(&["export", id, "--format", "json", "--out", out.path().to_str().unwrap()]);
    let file = out.path().join(format!("{id}.json"));
    assert_eq!(printed.trim(), file.to_str().unwrap());
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(exported["format"], "warroom-incident");
    assert_eq!(exported["events"].as_array().unwrap().len(), 3);

    let target = Cli::new();
    let said = target.ok(&["import", file.to_str().unwrap()]);
    assert!(said.contains("3 event(s) added, 0 already there"), "{said}");
    let said = target.ok(&["import", file.to_str().unwrap()]);
    assert!(said.contains("0 event(s) added, 3 already there"), "importing twice changes nothing: {said}");
    let at = ["replay", id, "--at", "2026-11-23T03:05:00Z", "--json"];
    assert_eq!(target.json(&at), source.json(&at), "the same incident, event for event");
    assert_eq!(target.json(&["timeline", id, "--json"]), source.json(&["timeline", id, "--json"]));

    let broken = out.path().join("broken.json");
    std::fs::write(
        &broken,
        "{\n  \"format\": \"warroom-incident\",\n  \"version\": 1,\n  \"incident\": 7\n}\n",
    )
    .unwrap();
    let err = target.fails(&["import", broken.to_str().unwrap()]);
    assert!(err.contains("broken.json:4: invalid type"), "{err}");
    let foreign = out.path().join("foreign.json");
    std::fs::write(
        &foreign,
        std::fs::read_to_string(&file).unwrap().replace("warroom-incident", "grafana-dashboard"),
    )
    .unwrap();
    let err = target.fails(&["import", foreign.to_str().unwrap()]);
    assert!(err.contains("format: expected \"warroom-incident\""), "{err}");
    // The file carries each laptop's chain head; an event edited by hand is refused, named.
    assert_eq!(exported["chains"].as_array().unwrap().len(), 1);
    assert_eq!(exported["chains"][0]["events"], 3);
    assert_eq!(exported["chains"][0]["head"], exported["events"][2]["hash"]);
    let edited = out.path().join("edited.json");
    std::fs::write(
        &edited,
        std::fs::read_to_string(&file).unwrap().replace("consumer group stuck", "all fine"),
    )
    .unwrap();
    let fresh = Cli::new();
    let err = fresh.fails(&["import", edited.to_str().unwrap()]);
    let note = exported["events"][1]["id"].as_str().unwrap();
    assert!(err.contains(&format!("event {note} does not match its chain")), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(fresh.fails(&["timeline", id]).contains("no incident"), "nothing of it was imported");
    assert_eq!(
        target.json(&["timeline", id, "--json"]).as_array().unwrap().len(),
        3,
        "nothing lost or added"
    );
    let err = target.fails(&["export", id, "--format", "pdf", "--out", out.path().to_str().unwrap()]);
    assert!(err.contains("pdf"), "{err}");
}

/// `warroom export ID --format md --out DIR`: the postmortem draft with its metrics, notes in
/// their sections, action items from `warroom action`, and no chart for an incident without
/// samples; bad input names what was expected and writes nothing.
#[test]
fn the_postmortem_is_exported_as_markdown_with_the_action_items() {
    let cli = Cli::new();
    let declared = cli.ok(&[
        "incident",
        "declare",
        "--title",
        "Payments <i>slow</i>",
        "--severity",
        "sev2",
        "--at",
        "2026-11-23T03:04:00Z",
    ]);
    let id = declared.trim();
    cli.ok(&[
        "--by",
        "Jun",
        "incident",
        "note",
        id,
        "#trigger a deploy at 03:00",
        "--at",
        "2026-11-23T03:06:00Z",
    ]);
    cli.ok(&["incident", "resolve", id, "--at", "2026-11-23T03:41:00Z"]);
    assert_eq!(
        cli.ok(&["action", "add", id, "Roll back faster", "--type", "mitigate", "--owner", "Jun"]).trim(),
        "A1 open: Roll back faster"
    );
    cli.ok(&["action", "add", id, "Canary the payments deploy", "--due", "2026-12-01"]);
    cli.ok(&["action", "set", id, "a1", "--status", "done", "--ticket", "OPS-7"]);
    let actions = cli.json(&["action", "list", id, "--json"]);
    assert_eq!(actions[0]["status"], "done");
    assert_eq!(actions[0]["ticket"], "OPS-7");
    assert_eq!(actions[1]["kind"], "prevent");
    assert_eq!(actions[1]["due"], "2026-12-01");

    let err = cli.fails(&["action", "set", id, "A1", "--due", "next week"]);
    assert!(err.contains("due date 'next week': expected YYYY-MM-DD"), "{err}");
    let err = cli.fails(&["action", "set", id, "A9", "--status", "done"]);
    assert!(err.contains("no action item A9"), "{err}");
    let err = cli.fails(&["action", "set", id, "A1", "--status", "later"]);
    assert!(err.contains("open, in_progress, done"), "{err}");
    let err = cli.fails(&["action", "set", id, "A1", "--status", "done"]);
    assert!(err.contains("nothing to change"), "{err}");

    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("postmortems");
    let err = cli.fails(&["export", id, "--format", "md", "--out", dir.to_str().unwrap(), "--slo", "100"]);
    assert!(err.contains("between 0 and 100"), "{err}");
    assert!(!dir.exists(), "nothing written on a refusal");
    let printed = cli.ok(&["export", id, "--format", "md", "--out", dir.to_str().unwrap(), "--slo", "99.99"]);
    let file = dir.join(format!("{id}.md"));
    assert_eq!(printed.trim(), file.to_str().unwrap(), "no charts without samples: the .md alone");
    let md = std::fs::read_to_string(&file).unwrap();
    assert!(md.starts_with("# Postmortem: Payments \\<i\\>slow\\</i\\>\n"), "{md}");
    assert!(md.contains("| Time to resolve | declared → resolved | 03:04:00 | 03:41:00 | 37 min |"), "{md}");
    assert!(md.contains("| 99.99% (ours) |"), "{md}");
    assert!(md.contains("## Trigger\n\n- a deploy at 03:00 — 03:06:00 (Jun)\n"), "{md}");
    assert!(md.contains("| A1 | Roll back faster | mitigate | Jun | OPS-7 | done | — |"), "{md}");
    assert_eq!(
        cli.json(&["timeline", id, "--json"]).as_array().unwrap().len(),
        6,
        "declared, note, resolved and three action edits (the refused ones wrote nothing, nor did the export)"
    );
}

/// `warroom watch --drill`: the window's loop headless, one JSON object per change, recorded
/// on the incident; it ends with the drill.
#[test]
fn watch_plays_a_drill_prints_json_lines_and_records_on_the_incident() {
    let cli = Cli::new();
    let id = cli.ok(&["incident", "declare", "--title", "Cache down", "--severity", "SEV2"]);
    let id = id.trim();
    let out = cli.ok(&[
        "watch",
        "--drill",
        "redis-down",
        "--speed",
        "1000",
        "--seed",
        "2",
        "--incident",
        id,
        "--json",
    ]);
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: std::collections::BTreeSet<&str> =
        lines.iter().map(|l| l["change"].as_str().unwrap()).collect();
    for kind in ["health", "alert_fired", "alert_resolved", "recorded", "finished"] {
        assert!(kinds.contains(kind), "{kind} in {kinds:?}");
    }
    assert_eq!(lines.last().unwrap()["change"], "finished");
    let recorded: u64 =
        lines.iter().filter(|l| l["change"] == "recorded").map(|l| l["events"].as_u64().unwrap()).sum();
    let timeline = cli.json(&["timeline", id, "--json"]);
    let kinds: Vec<&str> =
        timeline.as_array().unwrap().iter().map(|e| e["kind"]["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds.len() as u64,
        recorded + 3,
        "every recorded event was said, beside the declaration and the recording's start and stop: {kinds:?}"
    );
    assert_eq!(kinds[1], "recording_started");
    assert_eq!(*kinds.last().unwrap(), "recording_stopped", "the watch is over, and the timeline says so");

    // Text: the drill's clock and each change on a line.
    let text = cli.ok(&["watch", "--drill", "redis-down", "--speed", "1000"]);
    assert!(text.lines().any(|l| l.starts_with("+") && l.contains("ALERT")), "{text}");

    assert!(cli.fails(&["watch"]).contains("watch needs --drill NAME, or --config FILE"));
    assert!(cli.fails(&["watch", "--drill", "redis-down", "--until-resolved"]).contains("--incident"));
    assert!(cli.fails(&["watch", "--drill", "nope"]).contains("no drill scenario 'nope'"));
    assert!(cli.fails(&["watch", "--drill", "redis-down", "--for=0"]).contains("--for must be a positive"));
}

/// `--until-resolved`: the watch ends once someone resolves the incident from elsewhere;
/// `--for` ends it after that long.
#[test]
fn watch_ends_when_the_incident_is_resolved_elsewhere_or_after_its_time() {
    let cli = Cli::new();
    let id = cli.ok(&["incident", "declare", "--title", "Slow", "--severity", "SEV3"]);
    let id = id.trim().to_owned();
    let started = std::time::Instant::now();
    cli.ok(&["watch", "--drill", "memory-leak", "--speed", "1", "--for", "1"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "--for 1 ended it");

    let mut watch = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("--db")
        .arg(&cli.db)
        .args(["watch", "--drill", "memory-leak", "--speed", "5", "--incident", &id, "--until-resolved"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(watch.try_wait().unwrap().is_none(), "still watching");
    cli.ok(&["incident", "resolve", &id]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if let Some(status) = watch.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the watch did not end after the resolution");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A responder in a terminal follows a runbook: attach, check a step, see where it stands.
#[test]
fn a_runbook_is_attached_checked_and_followed_from_the_command_line() {
    let cli = Cli::new();
    let id = cli.ok(&["incident", "declare", "--title", "Pool", "--severity", "SEV2"]);
    let id = id.trim();
    cli.ok(&["runbook", "attach", id, "db-pool-exhaustion", "--node", "mysql-primary"]);
    assert!(cli.fails(&["runbook", "attach", id, "db-pool-exhaustion"]).contains("already attached"));
    assert!(cli.fails(&["runbook", "attach", id, "nope"]).contains("no runbook 'nope'"));
    cli.ok(&["--by", "Mina", "runbook", "step", id, "db-pool-exhaustion", "detect-1", "--done"]);
    assert!(
        cli.fails(&["runbook", "step", id, "db-pool-exhaustion", "detect-1", "--done"])
            .contains("already done")
    );
    assert!(
        cli.fails(&["runbook", "step", id, "db-pool-exhaustion", "detect-99", "--done"])
            .contains("no step 'detect-99'")
    );
    assert!(cli.fails(&["runbook", "step", id, "db-pool-exhaustion", "detect-1"]).contains("--done"));

    let status = cli.json(&["runbook", "status", id, "--json"]);
    let runbook = &status[0];
    assert_eq!(runbook["runbook"], "db-pool-exhaustion");
    assert_eq!(runbook["node"], "mysql-primary");
    let detect = runbook["stages"].as_array().unwrap().iter().find(|s| s["stage"] == "detect").unwrap();
    assert_eq!(detect["done"], 1);
    let step = &detect["steps"][0];
    assert_eq!(step["id"], "detect-1");
    assert_eq!(step["done"]["by"], "Mina");
    assert!(step["text"].as_str().unwrap().len() > 5);
    assert!(step["check"].is_null(), "nothing has evaluated its check yet");

    let text = cli.ok(&["runbook", "status", id]);
    assert!(
        text.contains("[x] detect-1") && text.contains("by Mina") && text.contains("<- current stage"),
        "{text}"
    );
    cli.ok(&["runbook", "step", id, "db-pool-exhaustion", "detect-1", "--undone"]);
    assert_eq!(cli.json(&["runbook", "status", id, "--json"])[0]["stages"][0]["done"], 0);
    let timeline = cli.json(&["timeline", id, "--json"]);
    let kinds: Vec<&str> =
        timeline.as_array().unwrap().iter().map(|e| e["kind"]["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["declared", "runbook_attached", "step_checked", "step_checked"]);
}

/// Whether `text` holds a control character a terminal would obey (anything but line breaks and
/// tabs): ESC starts a sequence that recolours, rewrites or retitles, CR prints over a line.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars().filter(|c| c.is_control() && *c != '\n' && *c != '\t').collect()
}

/// The bug: a title, a note, a name or an action item holding ESC, BEL or CR was printed raw, so
/// `warroom timeline` retitled the terminal and printed a green "OK" over the real line. Every
/// human output escapes them (`\u{1b}`, `\r`); `--json` keeps the exact text.
#[test]
fn terminal_escapes_in_outside_text_are_printed_escaped() {
    let retitle = "\x1b]0;pwned\x07";
    let fake_ok = "\x1b[32mOK\r";
    let title = format!("orders-db down {retitle} then {fake_ok} still down");
    let note = format!("failover {fake_ok} done {retitle}?");
    let cli = Cli::new();
    let id = cli.ok(&[
        "incident",
        "declare",
        "--title",
        &title,
        "--severity",
        "sev1",
        "--at",
        "2026-11-23T03:00:00Z",
    ]);
    let id = id.trim();
    cli.ok(&["incident", "note", id, &note, "--at", "2026-11-23T03:01:00Z"]);
    cli.ok(&["incident", "role", id, "scribe", "Jun\x1b[8m", "--at", "2026-11-23T03:02:00Z"]);
    cli.ok(&["action", "add", id, &format!("pool {fake_ok} alarm"), "--owner", "Mina\x1b[2J"]);

    let escaped_retitle = "\\u{1b}]0;pwned\\u{7}";
    let escaped_ok = "\\u{1b}[32mOK\\r";
    for args in [
        vec!["timeline", id],
        vec!["incident", "list"],
        vec!["incident", "show", id],
        vec!["action", "list", id],
        vec!["replay", id, "--at", "2026-11-23T03:05:00Z"],
    ] {
        let out = cli.run(&args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8(stream.clone()).unwrap();
            assert_eq!(
                raw_controls(&text),
                Vec::<char>::new(),
                "{args:?} printed raw control characters: {text:?}"
            );
        }
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(escaped_ok), "{args:?} shows what was there, escaped: {text}");
    }
    let timeline = cli.ok(&["timeline", id]);
    assert!(timeline.contains(&format!("note: failover {escaped_ok} done {escaped_retitle}?")), "{timeline}");
    assert!(cli.ok(&["incident", "show", id]).contains("Jun\\u{1b}[8m"));
    assert!(cli.ok(&["action", "list", id]).contains("Mina\\u{1b}[2J"));
    // What is echoed back in an error is escaped too.
    let err = cli.fails(&["incident", "show", "\x1b[31mX"]);
    assert_eq!(raw_controls(&err), Vec::<char>::new(), "{err:?}");
    assert!(err.contains("\\u{1b}[31mX"), "{err}");

    // JSON is for programs: the exact text, which serde escapes itself.
    assert_eq!(cli.json(&["incident", "show", id, "--json"])["title"], title.as_str());
    assert_eq!(cli.json(&["incident", "list", "--json"])[0]["title"], title.as_str());
    assert_eq!(cli.json(&["timeline", id, "--json"])[1]["kind"]["text"], note.as_str());
    assert_eq!(
        cli.json(&["action", "list", id, "--json"])[0]["title"],
        format!("pool {fake_ok} alarm").as_str()
    );
    assert_eq!(
        raw_controls(&cli.ok(&["timeline", id, "--json"])),
        Vec::<char>::new(),
        "JSON escapes them itself"
    );
}

/// The events of every incident in the log.
fn event_count(cli: &Cli) -> u64 {
    // Reading commands create no log: where there is none, there is no event.
    if !cli.db.exists() {
        return 0;
    }
    let list = cli.json(&["incident", "list", "--json"]);
    list.as_array().unwrap().iter().map(|i| i["events"].as_u64().unwrap()).sum()
}

/// Two incidents with a note each, exported as JSON into `out`; returns their ids and files.
fn two_exported_incidents(cli: &Cli, out: &Path) -> [(String, PathBuf); 2] {
    let mut exported = Vec::new();
    for (title, note, hour) in
        [("Checkout returns 500", "pool at 97%", "03"), ("Search slow", "reindexing", "04")]
    {
        let at = format!("2026-11-23T{hour}:00:00Z");
        let id = cli.ok(&["incident", "declare", "--title", title, "--severity", "sev2", "--at", &at]);
        let id = id.trim().to_owned();
        cli.ok(&["incident", "note", &id, note, "--at", &format!("2026-11-23T{hour}:01:00Z")]);
        cli.ok(&["export", &id, "--format", "json", "--out", out.to_str().unwrap()]);
        let file = out.join(format!("{id}.json"));
        exported.push((id, file));
    }
    exported.try_into().unwrap()
}

fn read_json(file: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

fn write_json(file: &Path, value: &Value) -> String {
    std::fs::write(file, serde_json::to_string_pretty(value).unwrap()).unwrap();
    file.to_str().unwrap().to_owned()
}

/// The same file as exported before chains: no device, prev or hash on its events.
fn without_chains(mut exported: Value) -> Value {
    for event in exported["events"].as_array_mut().unwrap() {
        let event = event.as_object_mut().unwrap();
        for key in ["device", "prev", "hash"] {
            event.remove(key);
        }
    }
    exported.as_object_mut().unwrap().remove("chains");
    exported
}

/// The bug: an event whose id the log already held for another incident's event, or for the same
/// event with other content, was skipped as known: exit 0, "1 already there", the rest of the
/// file written around it. Now such a file is refused whole, naming the event and what differs;
/// the same file again still changes nothing.
#[test]
fn an_import_with_a_conflicting_event_id_is_refused_whole() {
    let source = Cli::new();
    let dir = tempfile::tempdir().unwrap();
    let [(a, a_file), (b, b_file)] = two_exported_incidents(&source, dir.path());
    let a_note = read_json(&a_file)["events"][1]["id"].as_str().unwrap().to_owned();
    // A log that has incident A only.
    let target = Cli::new();
    assert!(target.ok(&["import", a_file.to_str().unwrap()]).contains("2 event(s) added"));

    // B's note given the id of A's note: as a file from before chains, and as exported (with its
    // chain).
    let mut collides = read_json(&b_file);
    collides["events"][1]["id"] = Value::from(a_note.as_str());
    for (name, file) in
        [("collides-unchained.json", without_chains(collides.clone())), ("collides.json", collides)]
    {
        let before = event_count(&target);
        let file = write_json(&dir.path().join(name), &file);
        let err = target.fails(&["import", &file]);
        assert_eq!(event_count(&target), before, "{name}: nothing of the file was written");
        assert!(target.fails(&["timeline", &b]).contains("no incident"), "{name}: B's declaration is not in");
        assert!(err.contains(&a_note), "{name}: the event is named: {err}");
        assert!(err.contains(&format!("its incident ({a} here, {b} in the import)")), "{name}: {err}");
        assert!(err.contains("nothing was written"), "{name}: {err}");
    }

    // A's note with other text, its id kept: as exported (its hash kept too), and unchained.
    let mut changed = read_json(&a_file);
    changed["events"][1]["kind"]["text"] = Value::from("pool fine, no incident");
    for (name, file) in
        [("changed.json", changed.clone()), ("changed-unchained.json", without_chains(changed))]
    {
        let before = event_count(&source);
        let file = write_json(&dir.path().join(name), &file);
        let err = source.fails(&["import", &file]);
        assert_eq!(event_count(&source), before, "{name}");
        assert!(err.contains(&format!("event {a_note} differs from the copy this log already has")), "{err}");
        assert!(err.contains("what it says (its note)"), "{name}: what differs is said: {err}");
    }
    let notes = source.json(&["timeline", &a, "--json"]);
    assert_eq!(notes[1]["kind"]["text"], "pool at 97%", "the log's copy is untouched");

    // The same file again changes nothing, and says so.
    let before = event_count(&target);
    let said = target.ok(&["import", a_file.to_str().unwrap()]);
    assert!(said.contains("0 event(s) added, 2 already there"), "{said}");
    let said = source.ok(&["import", b_file.to_str().unwrap()]);
    assert!(said.contains("0 event(s) added, 2 already there"), "{said}");
    assert_eq!(event_count(&target), before);
}

/// The bug: events and samples were written in two transactions, so a file whose samples the
/// log refused failed (exit 1) with its events already written. Now an import is one
/// transaction: the log refusing any part of the file leaves nothing of it.
#[test]
fn a_failed_import_writes_nothing() {
    let source = Cli::new();
    let dir = tempfile::tempdir().unwrap();
    let [(a, a_file), _] = two_exported_incidents(&source, dir.path());
    let mut exported = read_json(&a_file);
    exported["samples"] = serde_json::json!([
        {"node": "orders-db", "metric": "db_pool_ratio", "value": 0.97, "at": "2026-11-23T03:00:30Z"},
        {"node": "orders-db", "metric": "db_pool_ratio", "value": 0.99, "at": "2026-11-23T03:00:45Z"},
    ]);
    let file = write_json(&dir.path().join("with-samples.json"), &exported);

    // A log that cannot take samples (a full disk, a broken file): written after the events.
    let target = Cli::new();
    assert_eq!(event_count(&target), 0);
    // The log is made by a first write (an import of nothing would refuse): a declaration in
    // another incident, counted out below.
    let other = target.ok(&["incident", "declare", "--title", "unrelated", "--severity", "sev4"]);
    let before = event_count(&target);
    let refuse =
        "CREATE TRIGGER no_samples BEFORE INSERT ON samples BEGIN SELECT RAISE(ABORT, 'no room'); END";
    rusqlite::Connection::open(&target.db).unwrap().execute_batch(refuse).unwrap();
    let err = target.fails(&["import", &file]);
    assert_eq!(event_count(&target), before, "none of the file's events were written");
    assert!(!other.trim().is_empty());
    assert!(target.fails(&["timeline", &a]).contains("no incident"));
    assert!(err.contains("no room") && err.contains("was not imported"), "{err}");

    // The file itself was fine: once the log takes samples, all of it goes in, once.
    rusqlite::Connection::open(&target.db).unwrap().execute_batch("DROP TRIGGER no_samples").unwrap();
    let said = target.ok(&["import", &file]);
    assert!(said.contains("2 event(s) added, 0 already there; 2 sample(s) added"), "{said}");
    let said = target.ok(&["import", &file]);
    assert!(said.contains("0 event(s) added, 2 already there; 0 sample(s) added"), "{said}");
}
