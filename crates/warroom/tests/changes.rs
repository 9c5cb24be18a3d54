//! What changed, end to end from the command line: a real Prometheus (Debian's package, its
//! history written by promtool) whose version label flips, whose process restarts and whose
//! config reloads; a real git repository made by the test with commits at known times. Each
//! change is found once, at its time, on its node; the incident keeps them, so with every source
//! gone the list, the replay and the postmortem still show them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

fn warroom(db: &Path, config: Option<&Path>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_warroom"));
    c.arg("--db").arg(db).env_remove("WARROOM_CONFIG").env("WARROOM_USER", "Mina");
    if let Some(config) = config {
        c.arg("--config").arg(config);
    }
    c.args(args).output().unwrap()
}

fn ok(db: &Path, config: Option<&Path>, args: &[&str]) -> String {
    let out = warroom(db, config, args);
    assert!(out.status.success(), "warroom {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn changes(db: &Path, config: Option<&Path>, id: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(&ok(db, config, &["changes", id, "--json"]))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn at(v: &Value) -> DateTime<Utc> {
    v["at"].as_str().unwrap().parse().unwrap()
}

fn reference_topology() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/topology/reference.toml").canonicalize().unwrap()
}

/// A real Prometheus with 100 minutes of history: order-service runs 2.14.0 until 30 minutes
/// ago, then 2.15.0; redis-1's process started again 20 minutes ago (and first 3 hours ago,
/// outside the window); order-service reloaded its configuration 12 minutes ago. An incident
/// declared 5 minutes ago (look-back 2 h) gets exactly these three, once however often it is
/// asked; with Prometheus gone the list is the same, and the postmortem's Leadup ranks them.
#[tokio::test(flavor = "multi_thread")]
async fn prometheus_history_gives_deploys_restarts_and_reloads_once_each() {
    let now = Utc::now();
    let secs = |minutes_ago: i64| now.timestamp() - minutes_ago * 60;
    let (deploy, restart, reload, old_start) = (secs(30), secs(20), secs(12), secs(180));
    let mut om = String::from("# TYPE app_build_info gauge\n");
    for m in (31..=100).rev() {
        om.push_str(&format!(
            "app_build_info{{service=\"order-service\",version=\"2.14.0\"}} 1 {}\n",
            secs(m)
        ));
    }
    for m in (1..=30).rev() {
        om.push_str(&format!(
            "app_build_info{{service=\"order-service\",version=\"2.15.0\"}} 1 {}\n",
            secs(m)
        ));
    }
    om.push_str("# TYPE process_start_time_seconds gauge\n");
    for m in (1..=100).rev() {
        let value = if secs(m) >= restart { restart } else { old_start };
        om.push_str(&format!("process_start_time_seconds{{service=\"redis-1\"}} {value} {}\n", secs(m)));
    }
    om.push_str("# TYPE app_config_last_reload_success_timestamp_seconds gauge\n");
    for m in (1..=100).rev() {
        let value = if secs(m) >= reload { reload } else { secs(300) };
        om.push_str(&format!(
            "app_config_last_reload_success_timestamp_seconds{{service=\"order-service\"}} {value} {}\n",
            secs(m)
        ));
    }
    om.push_str("# EOF\n");
    let prom = common::prometheus_with_history(&[], "groups: []\n", None, Some(&om)).await;

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("warroom.toml");
    std::fs::write(
        &config,
        format!(
            r#"[topology]
file = "{}"

[[source]]
name = "prom"
kind = "prometheus"
url = "http://127.0.0.1:{}"

[[changes]]
name = "builds"
kind = "prometheus"
source = "prom"
deploys = "max by (service, version) (app_build_info)"
label = "service"
version_label = "version"
config_reloads = "max by (service) (app_config_last_reload_success_timestamp_seconds)"
step_secs = 15
"#,
            reference_topology().display(),
            prom.port
        ),
    )
    .unwrap();
    let db = dir.path().join("w.db");
    let declared = (now - Duration::minutes(5)).to_rfc3339();
    let id = ok(
        &db,
        None,
        &["incident", "declare", "--title", "Checkout failing", "--severity", "sev1", "--at", &declared],
    );
    let id = id.trim();

    let found = changes(&db, Some(&config), id);
    assert_eq!(found.len(), 3, "{found:#?}");
    let deploy_found = found.iter().find(|c| c["kind"] == "deploy").expect("the deploy");
    assert_eq!(deploy_found["node"], "order-service");
    assert_eq!(
        (deploy_found["from"].as_str(), deploy_found["to"].as_str()),
        (Some("2.14.0"), Some("2.15.0"))
    );
    let off = (at(deploy_found).timestamp() - deploy).abs();
    assert!(off <= 15, "the deploy within one step of when it happened: {off} s off");
    let restart_found = found.iter().find(|c| c["kind"] == "restart").expect("the restart");
    assert_eq!(restart_found["node"], "redis-1");
    assert_eq!(at(restart_found).timestamp(), restart, "dated by the start time itself");
    let reload_found = found.iter().find(|c| c["kind"] == "config").expect("the reload");
    assert_eq!(
        (reload_found["node"].as_str(), at(reload_found).timestamp()),
        (Some("order-service"), reload)
    );
    assert!(
        found.iter().all(|c| at(c).timestamp() != old_start),
        "the start 3 hours ago is outside the window"
    );
    for c in &found {
        assert_eq!(c["source"], "builds");
        assert!(c["rank"].as_u64().is_some() && c["reason"].as_str().is_some_and(|r| !r.is_empty()), "{c}");
    }

    // Asked again: nothing new is written.
    let again = changes(&db, Some(&config), id);
    assert_eq!(again.len(), 3);
    let timeline: Value = serde_json::from_str(&ok(&db, None, &["timeline", id, "--json"])).unwrap();
    let seen = timeline.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "change_seen").count();
    assert_eq!(seen, 3, "each change written once");

    // Every source gone: the log still answers, the same.
    drop(prom);
    let offline = changes(&db, None, id);
    let keys = |v: &[Value]| v.iter().map(|c| c["key"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(keys(&offline), keys(&found));
    let out = dir.path().join("pm");
    ok(&db, None, &["export", id, "--format", "md", "--out", out.to_str().unwrap()]);
    let md = std::fs::read_to_string(out.join(format!("{id}.md"))).unwrap();
    let leadup = &md[md.find("## Leadup").unwrap()..md.find("## Fault").unwrap()];
    assert!(leadup.contains("order-service 2.14.0 → 2.15.0"), "{leadup}");
    assert!(leadup.contains("redis-1: process started"), "{leadup}");
    let replay: Value =
        serde_json::from_str(&ok(&db, None, &["replay", id, "--at", &now.to_rfc3339(), "--json"])).unwrap();
    assert_eq!(replay["changes"].as_array().map(Vec::len), Some(3), "{replay}");
}

fn git(repo: &Path, args: &[&str], when: Option<DateTime<Utc>>) {
    let mut c = Command::new("git");
    c.arg("-C").arg(repo).args(args);
    c.env("GIT_AUTHOR_NAME", "Ana").env("GIT_AUTHOR_EMAIL", "ana@example.com");
    c.env("GIT_COMMITTER_NAME", "Ana").env("GIT_COMMITTER_EMAIL", "ana@example.com");
    if let Some(when) = when {
        let stamp = format!("@{} +0000", when.timestamp());
        c.env("GIT_AUTHOR_DATE", &stamp).env("GIT_COMMITTER_DATE", &stamp);
    }
    let out = c.output().expect("git is installed");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A real git repository, made here: commits touching `services/order/` are order-service's,
/// `services/user/` user-service's; a commit to `docs/` is nobody's; a commit 3 hours before
/// the declaration is outside the 2-hour look-back. Each mapped commit is found once, at its
/// commit time, with its author and subject.
#[test]
fn commits_touching_a_nodes_paths_are_its_changes() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("infra");
    std::fs::create_dir_all(repo.join("services/order")).unwrap();
    std::fs::create_dir_all(repo.join("services/user/deep")).unwrap();
    std::fs::create_dir_all(repo.join("docs")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"], None);
    let now = Utc::now();
    let commit = |path: &str, text: &str, subject: &str, minutes_ago: i64| {
        std::fs::write(repo.join(path), text).unwrap();
        git(&repo, &["add", "-A"], None);
        git(&repo, &["commit", "-q", "-m", subject], Some(now - Duration::minutes(minutes_ago)));
    };
    commit("services/order/pool.yaml", "size: 50\n", "order: pool 50", 180);
    commit("docs/README.md", "hello\n", "docs: readme", 60);
    commit("services/user/deep/flags.yaml", "a: 1\n", "user: flag a", 50);
    commit("services/order/pool.yaml", "size: 20\n", "order: lower the pool to 20", 15);

    let config = dir.path().join("warroom.toml");
    std::fs::write(
        &config,
        "[[changes]]\nname = \"infra\"\nkind = \"git\"\nrepo = \"infra\"\npaths = { \"order-service\" = \"services/order/**\", \"user-service\" = \"services/user/**\" }\n",
    )
    .unwrap();
    let db = dir.path().join("w.db");
    let declared = (now - Duration::minutes(5)).to_rfc3339();
    let id = ok(
        &db,
        None,
        &["incident", "declare", "--title", "Orders failing", "--severity", "sev2", "--at", &declared],
    );
    let found = changes(&db, Some(&config), id.trim());
    let mut got: Vec<(String, String, i64)> = found
        .iter()
        .map(|c| {
            (
                c["node"].as_str().unwrap().to_owned(),
                c["summary"].as_str().unwrap().to_owned(),
                at(c).timestamp(),
            )
        })
        .collect();
    got.sort_by_key(|g| g.2);
    assert_eq!(got.len(), 2, "{found:#?}");
    assert_eq!(got[0].0, "user-service");
    assert!(got[0].1.ends_with("user: flag a"), "{got:?}");
    assert_eq!(got[0].2, (now - Duration::minutes(50)).timestamp());
    assert_eq!(got[1].0, "order-service");
    assert!(got[1].1.ends_with("order: lower the pool to 20"));
    assert!(found.iter().all(|c| c["kind"] == "commit"
        && c["by"] == "Ana"
        && c["to"].as_str().is_some_and(|h| h.len() == 40)));
    assert_eq!(changes(&db, Some(&config), id.trim()).len(), 2, "found once");
}

/// A broken `[[changes]]` is refused with its line and what was expected; nothing is written.
#[test]
fn a_wrong_change_source_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let id = ok(&db, None, &["incident", "declare", "--title", "x", "--severity", "sev3"]);
    for (text, expected) in [
        (
            "\n[[changes]]\nname = \"x\"\nkind = \"svn\"\n",
            "warroom.toml:2: changes.kind: 'svn' is not a change source",
        ),
        (
            "[[changes]]\nname = \"x\"\nkind = \"prometheus\"\nsource = \"nope\"\n",
            "changes.source: 'nope' is not a configured prometheus [[source]]",
        ),
        (
            "[[changes]]\nname = \"x\"\nkind = \"git\"\nrepo = \".\"\npaths = { a = \"b/**\" }\n",
            "is not a git repository",
        ),
        (
            "[[changes]]\nname = \"x\"\nkind = \"github\"\nrepo = \"acme\"\n",
            "changes.repo: expected owner/name, got 'acme'",
        ),
        (
            "[[changes]]\nname = \"x\"\nkind = \"git\"\nnamespace = \"shop\"\n",
            "changes.namespace: not a key of a git change source",
        ),
    ] {
        let config = dir.path().join("warroom.toml");
        std::fs::write(&config, text).unwrap();
        let out = warroom(&db, Some(&config), &["changes", id.trim()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{text}");
        assert!(err.contains(expected), "{expected} in: {err}");
    }
}
