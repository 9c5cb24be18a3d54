//! The Kubernetes and GitHub change sources against local stubs on 127.0.0.1 replaying the
//! documented shapes of their APIs (`tests/fixtures/kubernetes` and `tests/fixtures/github`,
//! copied from `../shared/fixtures/`): no API server or GitHub can be reached from a test. The
//! stubs check what a real server would (the bearer token, the paging parameters, GitHub's
//! headers) and answer errors the way the APIs document them.
//!
//! The Kubernetes stub is the shared receiver; GitHub's needs headers on its answers (`Link`,
//! the rate limit's), which the receiver does not send, so it has a small replaying server of
//! its own here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::receiver::{Answer, Receiver, Request};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use warroom::changes::{ChangeSource, ChangeSourceKind, Window, github, kubernetes};
use warroom::config::SecretRef;
use warroom::model::ChangeKind;

const REPLICASETS: &str = include_str!("fixtures/kubernetes/replicasets_apps_v1.json");
const EVENTS: &str = include_str!("fixtures/kubernetes/events_core_v1.json");
const DEPLOYMENTS: &str = include_str!("fixtures/github/deployments.json");
const STATUSES: &str = include_str!("fixtures/github/deployment_statuses.json");

/// The token the sources send: cargo sets `CARGO_PKG_NAME` for the test process, and a test
/// may not set a variable of its own (`set_var` is unsafe, and unsafe code is forbidden).
const TOKEN_VARIABLE: &str = "CARGO_PKG_NAME";

fn token() -> String {
    std::env::var(TOKEN_VARIABLE).expect("cargo sets CARGO_PKG_NAME when it runs a test")
}

fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// Around the fixtures' rollout and events (2026-11-30, 02:55 to 03:02).
fn window() -> Window {
    Window { from: t("2026-11-30T02:00:00Z"), to: t("2026-11-30T04:00:00Z") }
}

/// A request's path without its query, and its query's pairs (decoded).
fn split(r: &Request) -> (String, BTreeMap<String, String>) {
    let url = reqwest::Url::parse(&format!("http://stub{}", r.path)).unwrap();
    (url.path().to_owned(), url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
}

fn kubernetes_source(url: String, token: Option<&str>) -> ChangeSource {
    ChangeSource {
        name: "k8s-shop".to_owned(),
        timeout: Duration::from_secs(5),
        kind: ChangeSourceKind::Kubernetes {
            url,
            namespace: "shop".to_owned(),
            node_label: "app".to_owned(),
            token: token.map(|v| SecretRef::Env(v.to_owned())),
            ca_file: None,
        },
    }
}

/// A list of `items` as the API answers it, with a `continue` token when more pages follow.
fn list(kind: &str, items: &[Value], next: Option<&str>) -> String {
    let mut metadata = json!({ "resourceVersion": "4817263" });
    if let Some(next) = next {
        metadata["continue"] = json!(next);
    }
    json!({ "kind": kind, "apiVersion": "v1", "metadata": metadata, "items": items }).to_string()
}

fn items(fixture: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(fixture).unwrap()["items"].as_array().unwrap().clone()
}

/// The API's answer to a request without the right token.
fn unauthorized() -> Answer {
    Answer::Reply(
        401,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
            .to_string(),
    )
}

fn sorted_keys(changes: &[warroom::model::Change]) -> Vec<&str> {
    let mut keys: Vec<&str> = changes.iter().map(|c| c.key.as_str()).collect();
    keys.sort_unstable();
    keys
}

/// Against a local stub replaying the documented shapes of the Kubernetes API (no API server can
/// be reached from a test): the namespace's one rollout (revision 11 → 12, with its change
/// cause) and its two kept events (a back-off of a pod, the Deployment scaling its new
/// ReplicaSet) are found once each, on the node the ReplicaSets' label names, and every list
/// call carries the bearer token and `limit=500`.
#[tokio::test(flavor = "multi_thread")]
async fn kubernetes_finds_every_rollout_and_kept_event_once_sending_the_bearer_token() {
    let bearer = format!("Bearer {}", token());
    let stub = Receiver::start(move |r| {
        if r.headers.get("authorization") != Some(&bearer) {
            return unauthorized();
        }
        match split(r).0.as_str() {
            "/apis/apps/v1/namespaces/shop/replicasets" => Answer::Reply(200, REPLICASETS.to_owned()),
            "/api/v1/namespaces/shop/events" => Answer::Reply(200, EVENTS.to_owned()),
            _ => Answer::Reply(404, json!({"kind": "Status", "status": "Failure", "message": "the server could not find the requested resource", "reason": "NotFound", "code": 404}).to_string()),
        }
    })
    .await;
    let source = kubernetes_source(stub.url(""), Some(TOKEN_VARIABLE));

    let found = kubernetes::changes(&source, window()).await.unwrap();

    assert_eq!(
        sorted_keys(&found),
        [
            "event/5b0e2d8a-3f1c-4e6b-9a7d-2c4f8e1b6a30",
            "event/9e3a1c7b-2d4f-4b8a-8c6e-1f5a7d3b9c02",
            "rollout/order-service/12"
        ]
    );
    assert!(found.iter().all(|c| c.node == "order-service" && c.source == "k8s-shop"), "{found:?}");
    let rollout = found.iter().find(|c| c.kind == ChangeKind::Rollout).unwrap();
    assert_eq!(rollout.at, t("2026-11-30T02:55:03Z"));
    assert_eq!(rollout.from.as_deref(), Some("registry.example.com/shop/order-service:2.14.0"));
    assert_eq!(rollout.to.as_deref(), Some("registry.example.com/shop/order-service:2.15.0"));
    assert!(rollout.summary.ends_with(": deploy 2.15.0: lower the DB pool to 20"), "{}", rollout.summary);
    let backoff = found.iter().find(|c| c.summary.contains("BackOff")).unwrap();
    assert_eq!((backoff.kind, backoff.at), (ChangeKind::K8sEvent, t("2026-11-30T03:01:40Z")));
    assert!(backoff.summary.ends_with("(×7)"), "{}", backoff.summary);

    let requests = stub.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    for r in &requests {
        assert_eq!(r.method, "GET");
        assert_eq!(r.headers.get("authorization"), Some(&format!("Bearer {}", token())));
        assert_eq!(split(r).1, BTreeMap::from([("limit".to_owned(), "500".to_owned())]));
    }
    // Through `find`, as the war room asks: the same changes, oldest first.
    let all = warroom::changes::find(&source, &[], window()).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.windows(2).all(|w| w[0].at <= w[1].at), "{all:?}");
}

/// Against a local stub replaying the documented shapes of the Kubernetes API (no API server can
/// be reached from a test), each list served in two pages: the source follows
/// `metadata.continue` (sending it back as `continue`, encoded) until a page has none, and finds
/// the same changes as from one page.
#[tokio::test(flavor = "multi_thread")]
async fn kubernetes_lists_are_read_page_after_page_with_continue() {
    let (replicasets, events) = (items(REPLICASETS), items(EVENTS));
    let events_token = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDgxNzI2M30+/==";
    let stub = Receiver::start(move |r| {
        let (path, query) = split(r);
        let page = query.get("continue").map(String::as_str);
        let body = match (path.as_str(), page) {
            ("/apis/apps/v1/namespaces/shop/replicasets", None) => {
                list("ReplicaSetList", &replicasets[1..], Some("rs-page-2"))
            }
            ("/apis/apps/v1/namespaces/shop/replicasets", Some("rs-page-2")) => {
                list("ReplicaSetList", &replicasets[..1], None)
            }
            ("/api/v1/namespaces/shop/events", None) => list("EventList", &events[..1], Some(events_token)),
            ("/api/v1/namespaces/shop/events", Some(t)) if t == events_token => list("EventList", &events[1..], None),
            _ => {
                return Answer::Reply(
                    410,
                    json!({"kind": "Status", "status": "Failure", "message": "The provided continue parameter is too old", "reason": "Expired", "code": 410}).to_string(),
                );
            }
        };
        Answer::Reply(200, body)
    })
    .await;
    let source = kubernetes_source(stub.url(""), None);

    let found = kubernetes::changes(&source, window()).await.unwrap();

    assert_eq!(
        sorted_keys(&found),
        [
            "event/5b0e2d8a-3f1c-4e6b-9a7d-2c4f8e1b6a30",
            "event/9e3a1c7b-2d4f-4b8a-8c6e-1f5a7d3b9c02",
            "rollout/order-service/12"
        ]
    );
    let pages: Vec<(String, Option<String>)> =
        stub.requests().iter().map(split).map(|(p, q)| (p, q.get("continue").cloned())).collect();
    assert_eq!(
        pages,
        [
            ("/apis/apps/v1/namespaces/shop/replicasets".to_owned(), None),
            ("/apis/apps/v1/namespaces/shop/replicasets".to_owned(), Some("rs-page-2".to_owned())),
            ("/api/v1/namespaces/shop/events".to_owned(), None),
            ("/api/v1/namespaces/shop/events".to_owned(), Some(events_token.to_owned())),
        ]
    );
    assert!(
        stub.requests().iter().all(|r| !r.headers.contains_key("authorization")),
        "no token configured, none sent"
    );
}

/// Against a local stub replaying the documented shapes of the Kubernetes API (no API server can
/// be reached from a test): a `Status` answer refusing the events (403 Forbidden, RBAC's
/// message) is an error naming the source and saying the API's own message.
#[tokio::test(flavor = "multi_thread")]
async fn kubernetes_forbidden_is_an_error_naming_the_source_and_the_apis_message() {
    let message = "events is forbidden: User \"system:serviceaccount:shop:warroom\" cannot list resource \"events\" in API group \"\" in the namespace \"shop\"";
    let stub = Receiver::start(move |r| match split(r).0.as_str() {
        "/apis/apps/v1/namespaces/shop/replicasets" => Answer::Reply(200, REPLICASETS.to_owned()),
        _ => Answer::Reply(
            403,
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": "Forbidden", "details": {"kind": "events"}, "code": 403})
                .to_string(),
        ),
    })
    .await;
    let source = kubernetes_source(stub.url(""), None);

    let e = kubernetes::changes(&source, window()).await.unwrap_err();

    assert_eq!(e.source_name, "k8s-shop");
    assert_eq!(e.message, format!("HTTP 403 Forbidden: {message}"));
    assert!(
        e.to_string().starts_with("change source 'k8s-shop': HTTP 403 Forbidden: events is forbidden"),
        "{e}"
    );
}

/// Against a local stub replaying the documented shapes of the Kubernetes API (no API server can
/// be reached from a test): a proxy's HTML page instead of a list, and a port nobody listens
/// on, are errors naming the path asked; a token variable that is not set and a CA file holding
/// no certificate are errors before anything is sent.
#[tokio::test(flavor = "multi_thread")]
async fn kubernetes_a_foreign_answer_or_no_server_is_an_error_naming_the_path() {
    let stub = Receiver::start(|_| Answer::Reply(200, "<html><body>Sign in</body></html>".to_owned())).await;
    let e = kubernetes::changes(&kubernetes_source(stub.url(""), None), window()).await.unwrap_err();
    assert!(
        e.message.starts_with("/apis/apps/v1/namespaces/shop/replicasets: not a Kubernetes API answer"),
        "{e}"
    );

    let (_held, port) = common::refused_port();
    let e = kubernetes::changes(&kubernetes_source(format!("http://127.0.0.1:{port}"), None), window())
        .await
        .unwrap_err();
    assert!(e.message.starts_with("/apis/apps/v1/namespaces/shop/replicasets: "), "{e}");
    assert_eq!(e.source_name, "k8s-shop");

    let unset = "WARROOM_TEST_NEVER_SET_K8S_TOKEN";
    let e = kubernetes::changes(&kubernetes_source(stub.url(""), Some(unset)), window()).await.unwrap_err();
    assert!(e.message.contains(unset), "{e}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), "not a certificate\n").unwrap();
    let mut source = kubernetes_source(stub.url(""), None);
    if let ChangeSourceKind::Kubernetes { ca_file, .. } = &mut source.kind {
        *ca_file = Some(dir.path().join("ca.pem"));
    }
    let e = kubernetes::changes(&source, window()).await.unwrap_err();
    assert!(e.message.contains("ca_file"), "{e}");
    assert_eq!(stub.requests().len(), 1, "only the first call reached the stub");
}

/// One request as the replaying server got it: its path (with the query) and headers (names in
/// lower case).
type Seen = (String, BTreeMap<String, String>);

/// An answer of the replaying server: status, headers, body.
type Reply = (u16, Vec<(String, String)>, String);

/// A small HTTP/1.1 server on 127.0.0.1 answering GETs with `handler`, headers included; keeps
/// every request it gets.
struct Replay {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Replay {
    async fn start(
        handler: impl Fn(&str, &BTreeMap<String, String>, u16) -> Reply + Send + Sync + 'static,
    ) -> Replay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (kept, handler) = (seen.clone(), Arc::new(handler));
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else { return };
                let (kept, handler) = (kept.clone(), handler.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let mut lines = head.split("\r\n");
                    let path = lines.next().unwrap_or("").split(' ').nth(1).unwrap_or("").to_owned();
                    let headers: BTreeMap<String, String> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    kept.lock().unwrap().push((path.clone(), headers.clone()));
                    let (status, extra, body) = handler(&path, &headers, port);
                    let mut answer = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
                        body.len()
                    );
                    for (k, v) in extra {
                        answer.push_str(&format!("{k}: {v}\r\n"));
                    }
                    answer.push_str("\r\n");
                    answer.push_str(&body);
                    let _ = socket.write_all(answer.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Replay { port, seen, task }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn paths(&self) -> Vec<String> {
        self.seen.lock().unwrap().iter().map(|(p, _)| p.clone()).collect()
    }
}

fn github_source(url: String, repo: &str, token: Option<&str>) -> ChangeSource {
    ChangeSource {
        name: "gh-shop".to_owned(),
        timeout: Duration::from_secs(5),
        kind: ChangeSourceKind::Github {
            url,
            repo: repo.to_owned(),
            environment: Some("production".to_owned()),
            node: None,
            token: token.map(|v| SecretRef::Env(v.to_owned())),
        },
    }
}

/// The fixture's deployment changed by `edit`, as another deployment of the repository.
fn deployment(edit: Value) -> Value {
    let mut d = serde_json::from_str::<Value>(DEPLOYMENTS).unwrap()[0].clone();
    for (k, v) in edit.as_object().unwrap() {
        d[k.as_str()] = v.clone();
    }
    d
}

/// Against a local stub replaying the documented shapes of GitHub's Deployments API (GitHub
/// cannot be reached from a test): deployments come newest first in pages linked by `Link:
/// <...>; rel="next"`; the source follows the link while the page's oldest deployment is newer
/// than the window's start and no further, finds each deployment of the window once with its
/// latest status, takes `from` from the deployment before (on the next page), and sends GitHub's
/// headers and the bearer token.
#[tokio::test(flavor = "multi_thread")]
async fn github_finds_deployments_with_their_status_following_the_link_header() {
    let bearer = format!("Bearer {}", token());
    let stub = Replay::start(move |path, headers, port| {
        if headers.get("authorization") != Some(&bearer) {
            return (401, vec![], json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}).to_string());
        }
        let page = |n: u32| format!("http://127.0.0.1:{port}/repositories/42/deployments?environment=production&per_page=100&page={n}");
        let link = |n: u32| ("Link".to_owned(), format!("<{}>; rel=\"next\", <{}>; rel=\"last\"", page(n), page(5)));
        let newest = serde_json::from_str::<Value>(DEPLOYMENTS).unwrap()[0].clone();
        let earlier = deployment(json!({"id": 1873449000, "ref": "v2.14.1", "sha": "1b7e5c9a0d3f", "description": "order-service 2.14.1", "created_at": "2026-11-30T02:10:00Z"}));
        let before = deployment(json!({"id": 1873440000, "ref": "v2.14.0", "created_at": "2026-11-29T18:00:00Z"}));
        let older = deployment(json!({"id": 1873430000, "ref": "v2.13.0", "created_at": "2026-11-28T09:00:00Z"}));
        match path {
            "/repos/acme/shop/deployments?per_page=100&environment=production" => {
                (200, vec![link(2)], json!([newest, earlier]).to_string())
            }
            p if p.ends_with("&page=2") => (200, vec![link(3)], json!([before]).to_string()),
            p if p.ends_with("&page=3") => (200, vec![], json!([older]).to_string()),
            "/repos/acme/shop/deployments/1873450021/statuses?per_page=1" => (200, vec![], STATUSES.to_owned()),
            "/repos/acme/shop/deployments/1873449000/statuses?per_page=1" => {
                (200, vec![], json!([{"id": 1, "state": "failure"}, {"id": 0, "state": "in_progress"}]).to_string())
            }
            _ => (404, vec![], json!({"message": "Not Found"}).to_string()),
        }
    })
    .await;
    let source = github_source(stub.url(), "acme/shop", Some(TOKEN_VARIABLE));

    let mut found = github::changes(&source, window()).await.unwrap();
    found.sort_by_key(|c| c.at);

    let got: Vec<(&str, &str, Option<&str>, Option<&str>)> =
        found.iter().map(|c| (c.key.as_str(), c.node.as_str(), c.from.as_deref(), c.to.as_deref())).collect();
    assert_eq!(
        got,
        [
            ("deployment/1873449000", "order-service", Some("v2.14.0"), Some("v2.14.1")),
            ("deployment/1873450021", "order-service", Some("v2.14.1"), Some("v2.15.0")),
        ]
    );
    assert_eq!(found[0].summary, "production: order-service 2.14.1 (1b7e5c9) — failure");
    assert_eq!(found[1].summary, "production: order-service 2.15.0 (9f2c41e) — success");
    assert_eq!((found[1].at, found[1].kind), (t("2026-11-30T02:54:40Z"), ChangeKind::Deploy));
    assert_eq!(found[1].by.as_deref(), Some("deploy-bot"));

    let paths = stub.paths();
    assert_eq!(paths.len(), 4, "two pages and two statuses, never the third page: {paths:?}");
    assert!(
        paths[1].starts_with("/repositories/42/deployments?") && paths[1].ends_with("page=2"),
        "{paths:?}"
    );
    for (_, headers) in stub.seen.lock().unwrap().iter() {
        assert_eq!(headers.get("accept").map(String::as_str), Some("application/vnd.github+json"));
        assert_eq!(headers.get("x-github-api-version").map(String::as_str), Some("2022-11-28"));
        assert!(headers.get("user-agent").is_some_and(|ua| ua.starts_with("warroom")), "{headers:?}");
        assert_eq!(headers.get("authorization"), Some(&format!("Bearer {}", token())));
    }
}

/// Against a local stub replaying the documented shapes of GitHub's Deployments API (GitHub
/// cannot be reached from a test): a repository GitHub does not know (or the token cannot
/// see) answers 404 `{"message": "Not Found"}`, an error naming the source, the status and the
/// path.
#[tokio::test(flavor = "multi_thread")]
async fn github_not_found_is_a_clear_error() {
    let stub = Replay::start(|_, _, _| {
        (404, vec![], json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest/deployments/deployments#list-deployments", "status": "404"}).to_string())
    })
    .await;

    let e = github::changes(&github_source(stub.url(), "acme/gone", None), window()).await.unwrap_err();

    assert_eq!(e.source_name, "gh-shop");
    assert_eq!(e.message, "HTTP 404: Not Found (/repos/acme/gone/deployments)");
    assert!(!stub.seen.lock().unwrap()[0].1.contains_key("authorization"), "no token configured, none sent");
}

/// Against a local stub replaying the documented shapes of GitHub's Deployments API (GitHub
/// cannot be reached from a test): an exhausted rate limit (403, `x-ratelimit-remaining: 0`,
/// `x-ratelimit-reset`) is an error saying so and when the limit resets; a next page pointing
/// away from the configured API is not followed (the token would go with it).
#[tokio::test(flavor = "multi_thread")]
async fn github_rate_limited_says_when_it_resets_and_a_foreign_next_page_is_refused() {
    let reset = t("2026-11-30T03:12:00Z").timestamp().to_string();
    let limited = Replay::start(move |_, _, _| {
        let headers = vec![
            ("x-ratelimit-limit".to_owned(), "60".to_owned()),
            ("x-ratelimit-remaining".to_owned(), "0".to_owned()),
            ("x-ratelimit-reset".to_owned(), reset.clone()),
        ];
        (403, headers, json!({"message": "API rate limit exceeded for 203.0.113.7.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}).to_string())
    })
    .await;
    let e = github::changes(&github_source(limited.url(), "acme/shop", None), window()).await.unwrap_err();
    assert_eq!(
        e.message,
        "rate limited by GitHub (HTTP 403: API rate limit exceeded for 203.0.113.7.); the limit resets at 2026-11-30 03:12:00 UTC"
    );

    let elsewhere = Replay::start(|_, _, _| {
        let link =
            ("Link".to_owned(), "<https://attacker.example/deployments?page=2>; rel=\"next\"".to_owned());
        (200, vec![link], json!([deployment(json!({"created_at": "2026-11-30T03:00:00Z"}))]).to_string())
    })
    .await;
    let e = github::changes(&github_source(elsewhere.url(), "acme/shop", None), window()).await.unwrap_err();
    assert!(
        e.message.contains("https://attacker.example/deployments?page=2")
            && e.message.contains("not followed"),
        "{e}"
    );
}
