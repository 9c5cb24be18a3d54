//! The window's reads, over a protocol of their own (`warroom://localhost/<command>`) instead
//! of Tauri's IPC.
//!
//! Why: Tauri's `invoke` keeps each call's two callbacks in one JavaScript `Map` of the page
//! (`__TAURI_INTERNALS__.callbacks`), added and deleted on every call. JavaScriptCore stores a
//! `Map` in tables it replaces as entries come and go; a replaced table points to its successor
//! and keeps the values it held when it was replaced. One stale reference to an old table (seen
//! in about one window in four, at random, in the soaks of issue 17) keeps every later table
//! alive, and through them the callbacks, their promises and every answer they carried: the
//! window's web process grew by 100-250 MB an hour, each pulled broadcast still in its heap
//! (heap snapshots of such a window through WebKit's inspector: ~1 850 callbacks of Tauri's
//! `registerCallback` held by nothing but that chain after 12 minutes; an iterator kept on the
//! `Map` reproduces it in any window). A `fetch` of this protocol keeps nothing once its answer
//! is read, so what the window reads over and over (every push, every refresh, review playback)
//! comes this way; Tauri's IPC carries the user's actions, a few an hour.
//!
//! A read is `POST /<command>` with its arguments as a JSON object in the body, named as the
//! command's (the same names `invoke` takes). The answer is the command's JSON with status 200,
//! or `{ code, message }` ([`IpcError`]) with 400 (the request is wrong: an unknown command,
//! arguments that are not what it takes) or 422 (the command refused). Only the page of this
//! app can reach it: the scheme is registered on the app's own web context.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tauri::http::{Method, Request, Response, StatusCode, header};
use tauri::{AppHandle, Manager, Runtime, State};

use crate::commands::{app, changes, feed, incident, review, runbook, updates};
use crate::state::{AppState, IpcError};

/// The protocol's scheme.
pub const SCHEME: &str = "warroom";

/// How a read is answered: from the state, its name (for errors) and its body (its arguments).
type Answer = fn(State<'_, AppState>, &str, &[u8]) -> Result<Vec<u8>, Refusal>;

/// The reads, each once: its name (the path `/<name>`) and how it is answered. What the window
/// asks without a user's action (on every push, refresh or playback step), and what it asks many
/// times in a row.
const READS: &[(&str, Answer)] = &[
    ("pull_broadcast", |s, name, body| json(app::pull_broadcast(s, args::<Node>(name, body)?.node))),
    ("situation", |s, name, body| json(app::situation(s, args::<Node>(name, body)?.node))),
    ("list_incidents", |s, _, _| done(incident::list_incidents(s))),
    ("get_incident", |s, name, body| {
        let a: GetIncident = args(name, body)?;
        done(incident::get_incident(s, a.id, a.after, a.keep))
    }),
    ("incident_runbooks", |s, name, body| done(runbook::incident_runbooks(s, id(name, body)?))),
    ("runbook_suggestions", |s, name, body| done(runbook::runbook_suggestions(s, id(name, body)?))),
    ("update_panel", |s, name, body| done(updates::update_panel(s, id(name, body)?))),
    ("incident_changes", |s, name, body| done(changes::incident_changes(s, id(name, body)?))),
    ("node_charts", |s, name, body| done(feed::node_charts(s, args::<NodeCharts>(name, body)?.node))),
    ("what_if", |s, name, body| done(feed::what_if(s, args::<WhatIf>(name, body)?.failed))),
    ("review_incident", |s, name, body| done(review::review_incident(s, id(name, body)?))),
    ("review_at", |s, name, body| {
        let a: ReviewAt = args(name, body)?;
        done(review::review_at(s, a.id, a.at))
    }),
];

/// The names of the reads this protocol answers.
pub fn names() -> impl Iterator<Item = &'static str> {
    READS.iter().map(|(name, _)| *name)
}

/// Registers the protocol on `builder`; each read runs on a blocking thread (some read SQLite).
/// Every request is answered: a request left unanswered is a `fetch` the page waits on for
/// ever, so a read that panics answers 500 with why.
pub fn register<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.register_asynchronous_uri_scheme_protocol(SCHEME, |ctx, request, responder| {
        let app = ctx.app_handle().clone();
        tauri::async_runtime::spawn_blocking(move || {
            let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| answer(&app, &request)));
            responder.respond(answered.unwrap_or_else(|panic| {
                let why = panic
                    .downcast_ref::<&str>()
                    .copied()
                    .or(panic.downcast_ref::<String>().map(String::as_str));
                let e = IpcError::new(
                    "internal",
                    format!("{}: the read failed: {}", request.uri().path(), why.unwrap_or("a panic")),
                );
                tracing::error!("{}", e.message);
                refuse(StatusCode::INTERNAL_SERVER_ERROR, &e)
            }));
        });
    })
}

/// The answer to one request.
pub fn answer<R: Runtime>(app: &AppHandle<R>, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    if request.method() == Method::OPTIONS {
        return respond(StatusCode::NO_CONTENT, Vec::new());
    }
    if request.method() != Method::POST {
        let e = IpcError::new(
            "bad_request",
            format!("{SCHEME}: only POST is answered, not {}", request.method()),
        );
        return refuse(StatusCode::METHOD_NOT_ALLOWED, &e);
    }
    let command = request.uri().path().trim_start_matches('/');
    match read(app, command, request.body()) {
        Ok(body) => respond(StatusCode::OK, body),
        Err((status, e)) => refuse(status, &e),
    }
}

type Refusal = (StatusCode, IpcError);

/// Runs `command` on `body` (its arguments): its answer as JSON.
fn read<R: Runtime>(app: &AppHandle<R>, command: &str, body: &[u8]) -> Result<Vec<u8>, Refusal> {
    let Some((_, answer)) = READS.iter().find(|(name, _)| *name == command) else {
        let reads = names().collect::<Vec<_>>().join(", ");
        let e = IpcError::new(
            "bad_request",
            format!("{SCHEME}: no read named '{command}' (the reads are: {reads})"),
        );
        return Err((StatusCode::NOT_FOUND, e));
    };
    answer(app.state::<AppState>(), command, body)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Node {
    #[serde(default)]
    node: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Id {
    id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GetIncident {
    id: String,
    #[serde(default)]
    after: Option<i64>,
    #[serde(default)]
    keep: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeCharts {
    node: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WhatIf {
    failed: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewAt {
    id: String,
    at: String,
}

/// The arguments of `command`, or why they are not what it takes (serde names the field, and
/// the line and column of the body).
fn args<T: DeserializeOwned>(command: &str, body: &[u8]) -> Result<T, Refusal> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            IpcError::new("bad_request", format!("{SCHEME}: arguments of '{command}': {e}")),
        )
    })
}

fn id(command: &str, body: &[u8]) -> Result<String, Refusal> {
    args::<Id>(command, body).map(|a| a.id)
}

fn done<T: Serialize>(answer: Result<T, IpcError>) -> Result<Vec<u8>, Refusal> {
    json(answer.map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e))?)
}

fn json<T: Serialize>(answer: T) -> Result<Vec<u8>, Refusal> {
    serde_json::to_vec(&answer).map_err(|e| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            IpcError::new("internal", format!("cannot write the answer: {e}")),
        )
    })
}

fn refuse(status: StatusCode, e: &IpcError) -> Response<Vec<u8>> {
    // An `IpcError` is two strings: it always serialises.
    respond(status, serde_json::to_vec(e).unwrap_or_default())
}

/// The page's origin (`tauri://localhost`) is not the protocol's: the answer says any origin may
/// read it (only this app's page can reach the scheme), and that it is not to be cached.
fn respond(status: StatusCode, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, header::HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, header::HeaderValue::from_static("Content-Type"));
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}
