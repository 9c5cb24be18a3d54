//! Stakeholder updates through the outbox, end to end from the command line, to real receivers on
//! 127.0.0.1: an HTTP receiver standing in for a Slack incoming webhook and for a signed webhook
//! (it keeps every request), a real SMTP server (aiosmtpd from PyPI, STARTTLS required) and a
//! Statuspage stub of the manage API's documented shapes (`../shared/fixtures/statuspage`: no
//! Statuspage can be reached from a test).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::receiver::{Answer, Receiver, slack_ok, statuspage};
use common::smtp::Smtp;
use serde_json::Value;

/// The CLI on a database and a configuration of its own.
struct Cli {
    dir: tempfile::TempDir,
    env: Vec<(&'static str, String)>,
}

impl Cli {
    fn new(config: &str, env: &[(&'static str, String)]) -> Cli {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("warroom.toml"), config).unwrap();
        Cli { dir, env: env.to_vec() }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_warroom"));
        c.arg("--db")
            .arg(self.dir.path().join("w.db"))
            .arg("--config")
            .arg(self.dir.path().join("warroom.toml"))
            .args(args)
            .env_remove("WARROOM_USER")
            .env("WARROOM_USER", "Jun")
            .envs(self.env.iter().map(|(k, v)| (*k, v)));
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(out.status.success(), "warroom {args:?} failed: {stderr}");
        (stdout, stderr)
    }

    fn declare(&self, severity: &str) -> String {
        let (id, _) =
            self.ok(&["incident", "declare", "--title", "Checkout returns 500", "--severity", severity]);
        id.trim().to_owned()
    }

    fn list(&self, id: &str) -> Vec<Value> {
        let (out, _) = self.ok(&["update", "list", id, "--json"]);
        serde_json::from_str::<Value>(&out).unwrap().as_array().unwrap().clone()
    }
}

fn hostile() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile.txt")).unwrap()
}

/// A webhook that cannot be reached: the update stays queued with the reason, `update list`
/// says so in the documented shape; the receiver comes up where it was configured and `update
/// flush` delivers it, once: a second flush has nothing to send. The body is signed with the
/// named secret and carries the update's id as its idempotency key.
#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_down_keeps_the_update_queued_with_its_reason_and_delivers_it_once_when_up() {
    let port = common::free_port();
    let config = format!(
        "[[channel]]\nname = \"ops-hook\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{port}/hook\"\nsecret_env = \"HOOK_SECRET\"\ntimeout_secs = 5\n"
    );
    let cli = Cli::new(&config, &[("HOOK_SECRET", "s3cret".to_owned())]);
    let id = cli.declare("sev1");
    let text = "Checkout is failing for most users.\nNext update by 03:30.";

    let (out, err) =
        cli.ok(&["update", "send", &id, "--channel", "ops-hook", "--audience", "responders", "--text", text]);
    let update = out.trim().to_owned();
    assert_eq!(update.len(), 26, "send prints the update's id: {out}");
    assert!(err.contains("queued") && err.contains("ops-hook"), "it says it is queued, and where: {err}");

    let listed = cli.list(&id);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let u = &listed[0];
    for key in ["id", "audience", "channel", "state", "attempts", "last_error", "sent_at", "text"] {
        assert!(u.get(key).is_some(), "{key} in {u}");
    }
    assert_eq!(u["id"], update.as_str());
    assert_eq!(u["audience"], "responders");
    assert_eq!(u["channel"], "ops-hook");
    assert_eq!(u["state"], "queued");
    assert_eq!(u["attempts"], 1);
    assert!(u["last_error"].as_str().unwrap().contains("cannot reach"), "the reason: {u}");
    assert_eq!(u["sent_at"], Value::Null);
    assert_eq!(u["text"], text);

    let receiver = Receiver::start_on(port, |_| Answer::Reply(200, "{}".to_owned())).await;
    let (flushed, _) = cli.ok(&["update", "flush"]);
    assert!(flushed.contains(&update) && flushed.contains("sent"), "{flushed}");
    let u = &cli.list(&id)[0];
    assert_eq!(u["state"], "sent", "{u}");
    assert_eq!(u["attempts"], 2);
    assert!(u["sent_at"].is_string(), "{u}");
    let (again, _) = cli.ok(&["update", "flush"]);
    assert_eq!(again.trim(), "nothing queued");

    let got = receiver.requests();
    assert_eq!(got.len(), 1, "delivered exactly once");
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/hook");
    assert_eq!(r.headers["idempotency-key"], update);
    assert_eq!(r.headers["x-warroom-signature"], warroom::updates::signature("s3cret", &r.body));
    let body = r.json();
    assert_eq!(body["text"], text);
    assert_eq!(body["id"], update.as_str());
    assert_eq!(body["incident"], id.as_str());
    assert_eq!(body["severity"], "SEV1");
    assert_eq!(body["channel"], "ops-hook");
}

/// Hostile text (the XSS and injection corpus in `tests/fixtures/hostile.txt`) sent at once to
/// Slack, a webhook and email arrives literal: Slack gets `&`, `<`, `>` escaped (no mention, no
/// link), the webhook's JSON carries the text exactly, the email's subject with CR/LF in it
/// injects no header and reaches only the configured recipient, over STARTTLS.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_text_arrives_literal_in_slack_a_webhook_and_email() {
    let slack = Receiver::start(slack_ok).await;
    let hook = Receiver::start(|_| Answer::Reply(204, String::new())).await;
    let smtp = Smtp::start().await;
    let config = format!(
        r#"
[[channel]]
name = "slack-incident"
kind = "slack"
url_env = "SLACK_URL"
audiences = ["responders"]

[[channel]]
name = "hook"
kind = "webhook"
url = "{}"

[[channel]]
name = "exec-mail"
kind = "email"
host = "127.0.0.1"
port = {}
ca_file = "{}"
from = "warroom@example.com"
to = ["cto@example.com"]
audiences = ["exec"]
"#,
        hook.url("/in"),
        smtp.server.port,
        smtp.cert.display()
    );
    let cli = Cli::new(&config, &[("SLACK_URL", slack.url("/services/T0/B0/x"))]);
    let id = cli.declare("sev2");
    let typed = hostile();
    // What is kept and sent is the text without its trailing line break.
    let text = typed.trim_end().to_owned();
    let file = cli.dir.path().join("update.md");
    std::fs::write(&file, &typed).unwrap();
    let subject = "Checkout down\r\nBcc: victim@evil.example\r\n\r\nforged body";
    let args = [
        "update",
        "send",
        &id,
        "--channel",
        "slack-incident",
        "--channel",
        "hook",
        "--channel",
        "exec-mail",
        "--audience",
        "exec",
        "--subject",
        subject,
        "--text-file",
    ];
    let mut args = args.to_vec();
    let file_arg = file.display().to_string();
    args.push(&file_arg);
    let (out, err) = cli.ok(&args);
    assert_eq!(out.lines().count(), 3, "an update id per channel: {out}");
    for channel in ["slack-incident", "hook", "exec-mail"] {
        assert!(err.contains(&format!("sent to {channel}")), "{channel}: {err}");
    }
    let listed = cli.list(&id);
    assert!(listed.iter().all(|u| u["state"] == "sent" && u["text"] == text.as_str()), "{listed:#?}");

    // Slack: exactly three characters escaped, so no control sequence survives.
    let posted = slack.requests()[0].json()["text"].as_str().unwrap().to_owned();
    assert!(!posted.contains('<') && !posted.contains('>'), "no control sequence reaches Slack: {posted}");
    let unescaped = posted.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    assert!(unescaped.ends_with(&text), "the text, literal: {unescaped}");
    assert!(
        unescaped.contains("<!channel>") && unescaped.contains("<http://evil.example/steal|the runbook>")
    );

    // The webhook: JSON carries the text exactly.
    let body = hook.requests()[0].json();
    assert_eq!(body["text"], text.as_str());
    assert_eq!(
        body["subject"], "Checkout down  Bcc: victim@evil.example    forged body",
        "a subject is one line"
    );

    // Email: one line of subject, no injected header, only the configured recipient, over TLS.
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail["tls"], true, "STARTTLS");
    assert_eq!(mail["rcpt_tos"], serde_json::json!(["cto@example.com"]));
    let names: Vec<&str> =
        mail["headers"].as_array().unwrap().iter().map(|h| h[0].as_str().unwrap()).collect();
    assert!(!names.iter().any(|n| n.eq_ignore_ascii_case("bcc")), "no injected header: {names:?}");
    let got_subject = mail["subject"].as_str().unwrap();
    assert!(!got_subject.contains('\n') && !got_subject.contains('\r'), "{got_subject:?}");
    assert!(
        got_subject.starts_with("Checkout down") && got_subject.contains("Bcc: victim"),
        "{got_subject:?}"
    );
    let got_body = mail["body"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(got_body.trim_end(), text, "the body as typed");
    assert!(!got_body.contains("forged body"));
}

/// The mail server is down: the update waits with the mail server's reason; it comes up on the
/// same port and the flush delivers it once, with the update's id as its Message-ID.
#[tokio::test(flavor = "multi_thread")]
async fn an_email_waits_for_the_mail_server_and_goes_once() {
    let port = common::free_port();
    // The certificate comes with the server: a first server made only to have one for the
    // configuration is stopped before the send.
    let first = Smtp::start().await;
    let kept = tempfile::tempdir().unwrap();
    let cert = kept.path().join("cert.pem");
    std::fs::copy(&first.cert, &cert).unwrap();
    let config = format!(
        "[[channel]]\nname = \"mail\"\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {port}\nca_file = \"{}\"\nfrom = \"warroom@example.com\"\nto = [\"oncall@example.com\"]\ntimeout_secs = 5\n",
        cert.display()
    );
    let cli = Cli::new(&config, &[]);
    let id = cli.declare("sev1");
    let (out, err) = cli.ok(&[
        "update",
        "send",
        &id,
        "--channel",
        "mail",
        "--audience",
        "responders",
        "--text",
        "We are on it.",
    ]);
    let update = out.trim().to_owned();
    assert!(err.contains("queued"), "{err}");
    let u = &cli.list(&id)[0];
    assert_eq!(u["state"], "queued");
    assert!(u["last_error"].as_str().unwrap().contains("mail server"), "{u}");

    // The server comes up where the channel points, with a certificate the channel trusts.
    let smtp = Smtp::start_on(port).await;
    std::fs::copy(&smtp.cert, &cert).unwrap();
    drop(first);
    let (flushed, _) = cli.ok(&["update", "flush"]);
    assert!(flushed.contains("sent"), "{flushed}");
    let (again, _) = cli.ok(&["update", "flush"]);
    assert_eq!(again.trim(), "nothing queued");
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "delivered exactly once");
    let message_id = mails[0]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("message-id"))
        .map(|h| h[1].as_str().unwrap().to_owned());
    assert_eq!(message_id, Some(format!("<{update}@warroom>")));
    assert_eq!(cli.list(&id)[0]["state"], "sent");
}

/// The process is killed while the status page is taking the first public update (the incident
/// is made there, the answer never comes back): the update stays queued, marked as maybe
/// delivered; after the restart `update flush` looks first, finds the incident it made (by the
/// metadata it carries) and does not post twice. The next public update patches that incident.
#[tokio::test(flavor = "multi_thread")]
async fn the_process_killed_mid_send_delivers_the_update_once_after_restart() {
    let (page, pages) = statuspage("kctbh9vrtdwd", "k3y", true).await;
    let config = format!(
        "[[channel]]\nname = \"status\"\nkind = \"statuspage\"\nurl = \"{}\"\npage_id = \"kctbh9vrtdwd\"\napi_key_env = \"SP_KEY\"\ntimeout_secs = 60\n",
        page.url("")
    );
    let cli = Cli::new(&config, &[("SP_KEY", "k3y".to_owned())]);
    let id = cli.declare("sev1");
    let first = "We are investigating failed checkouts.";
    let mut child = cli
        .command(&["update", "send", &id, "--channel", "status", "--audience", "public", "--text", first])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    page.wait_for(1).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(pages.lock().unwrap().len(), 1, "the status page made the incident");
    let u = &cli.list(&id)[0];
    assert_eq!(u["state"], "queued", "killed before it knew: {u}");

    let (flushed, _) = cli.ok(&["update", "flush"]);
    assert!(flushed.contains("sent"), "{flushed}");
    {
        let pages = pages.lock().unwrap();
        assert_eq!(pages.len(), 1, "one incident on the page");
        let incident = pages.values().next().unwrap();
        assert_eq!(incident["incident_updates"].as_array().unwrap().len(), 1, "posted once: {incident}");
        assert_eq!(incident["metadata"]["warroom"]["incident"], id.as_str());
        assert_eq!(incident["status"], "investigating");
    }
    let methods: Vec<String> = page.requests().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(methods.iter().filter(|m| m.starts_with("POST")).count(), 1, "{methods:?}");
    assert!(methods.iter().any(|m| m.ends_with("/incidents/unresolved")), "it looked first: {methods:?}");

    // The next public update (after the stage moved) patches the same incident.
    cli.ok(&["incident", "stage", &id, "identify"]);
    let (out, err) = cli.ok(&[
        "update",
        "send",
        &id,
        "--channel",
        "status",
        "--audience",
        "public",
        "--text",
        "We found the cause.",
    ]);
    assert_eq!(out.trim().len(), 26);
    assert!(err.contains("sent to status"), "{err}");
    let pages = pages.lock().unwrap();
    assert_eq!(pages.len(), 1, "still one incident");
    let incident = pages.values().next().unwrap();
    let bodies: Vec<&str> = incident["incident_updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["We found the cause.", first]);
    assert_eq!(incident["status"], "identified");
    let listed = cli.list(&id);
    assert!(listed.iter().all(|u| u["state"] == "sent"), "{listed:?}");
}

/// A channel that refuses for good (a revoked Statuspage key: 401) marks the update failed with
/// the channel's words, and it is not retried; an unknown channel is refused before anything is
/// written.
#[tokio::test(flavor = "multi_thread")]
async fn refusals_are_final_and_named() {
    let (page, pages) = statuspage("p1", "right", false).await;
    let config = format!(
        "[[channel]]\nname = \"status\"\nkind = \"statuspage\"\nurl = \"{}\"\npage_id = \"p1\"\napi_key_env = \"SP_KEY\"\n",
        page.url("")
    );
    let cli = Cli::new(&config, &[("SP_KEY", "wrong".to_owned())]);
    let id = cli.declare("sev2");
    let (_, err) =
        cli.ok(&["update", "send", &id, "--channel", "status", "--audience", "public", "--text", "x"]);
    assert!(err.contains("refused") && err.contains("401"), "{err}");
    let u = &cli.list(&id)[0];
    assert_eq!(u["state"], "failed");
    assert!(u["last_error"].as_str().unwrap().contains("Could not authenticate"), "{u}");
    let (flushed, _) = cli.ok(&["update", "flush"]);
    assert_eq!(flushed.trim(), "nothing queued", "a refusal is not retried");
    assert!(pages.lock().unwrap().is_empty());

    let out = cli.run(&["update", "send", &id, "--channel", "nope", "--audience", "public", "--text", "x"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope"), "the unknown channel is named: {err}");
    assert_eq!(cli.list(&id).len(), 1, "nothing written for it");
}
