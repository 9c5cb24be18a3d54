//! Receivers for stakeholder updates on 127.0.0.1: an HTTP server that keeps every request it
//! gets (for Slack's incoming webhooks and signed webhooks), and a Statuspage stub of the manage
//! API's documented shapes (`../shared/fixtures/statuspage`: no Statuspage can be reached from a
//! test). The window's end-to-end test uses it too (through `common`).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// What the receiver does with a request.
pub enum Answer {
    Reply(u16, String),
    /// A status, headers (a redirect's `Location`), a body.
    With(u16, Vec<(String, String)>, String),
    /// Keeps the request and never answers (the sender's timeout or its death ends it).
    Hang,
}

type Handler = Arc<dyn Fn(&Request) -> Answer + Send + Sync>;

/// An HTTP/1.1 receiver on a port of its own, answering with `handler`, keeping every request.
pub struct Receiver {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// Starts on a port the system picks as it binds (none asked for first, which another test
    /// could take meanwhile).
    pub async fn start(handler: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Receiver {
        Receiver::start_on(0, handler).await
    }

    /// Starts on `port` (a channel that was down comes up where it was configured), or on one the
    /// system picks when `port` is 0.
    pub async fn start_on(
        port: u16,
        handler: impl Fn(&Request) -> Answer + Send + Sync + 'static,
    ) -> Receiver {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(handler);
        let kept = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else { return };
                let (kept, handler) = (kept.clone(), handler.clone());
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut socket).await else { return };
                    kept.lock().unwrap().push(request.clone());
                    let answer = match handler(&request) {
                        Answer::Reply(status, body) => Answer::With(status, Vec::new(), body),
                        other => other,
                    };
                    match answer {
                        Answer::Reply(..) => {}
                        Answer::With(status, headers, body) => {
                            let extra: String =
                                headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
                            let head = format!(
                                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
                                body.len()
                            );
                            let _ = socket.write_all(head.as_bytes()).await;
                            let _ = socket.write_all(body.as_bytes()).await;
                            let _ = socket.shutdown().await;
                        }
                        Answer::Hang => {
                            let mut sink = [0u8; 1024];
                            while matches!(socket.read(&mut sink).await, Ok(n) if n > 0) {}
                        }
                    }
                });
            }
        });
        Receiver { port, requests, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// Waits up to 20 s until `n` requests have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Request> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.requests();
            if got.len() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "{} request(s) arrived, {n} expected", got.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut seen = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let end = loop {
        if let Some(i) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&seen[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = seen[end..].to_vec();
    while body.len() < length {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    Some(Request { method, path, headers, body })
}

/// Slack's answer to a good post: `200 ok`.
pub fn slack_ok(_: &Request) -> Answer {
    Answer::Reply(200, "ok".to_owned())
}

/// The incidents a Statuspage stub holds, by id.
pub type Pages = Arc<Mutex<BTreeMap<String, Value>>>;

/// A Statuspage stub: `POST /v1/pages/{page}/incidents` creates an incident (201, the shape of
/// `manage_incident_response.json`), `PATCH .../incidents/{id}` adds an update to it (200),
/// `GET .../incidents/unresolved` lists the unresolved ones; `Authorization: OAuth KEY` is
/// required (401 `{"error": "Could not authenticate"}` otherwise). When `hang_first_create` is
/// set, the first create is made and never answered (the sender may be killed meanwhile).
pub async fn statuspage(page: &str, key: &str, hang_first_create: bool) -> (Receiver, Pages) {
    let pages: Pages = Arc::default();
    let held = pages.clone();
    let prefix = format!("/v1/pages/{page}/incidents");
    let auth = format!("OAuth {key}");
    let hang = Mutex::new(hang_first_create);
    let receiver = Receiver::start(move |r| {
        if r.headers.get("authorization") != Some(&auth) {
            return Answer::Reply(401, json!({"error": "Could not authenticate"}).to_string());
        }
        let mut pages = held.lock().unwrap();
        let now = chrono::Utc::now().to_rfc3339();
        let update = |body: &Value, incident: &str| {
            let i = &body["incident"];
            json!({
                "id": format!("up{}", ulid::Ulid::new().to_string().to_lowercase()),
                "incident_id": incident,
                "body": i["body"],
                "status": i["status"],
                "created_at": now,
                "display_at": now,
                "deliver_notifications": i["deliver_notifications"],
                "affected_components": i["components"].as_object().map(|c| c.iter().map(|(code, s)| json!({"code": code, "new_status": s})).collect::<Vec<_>>()),
            })
        };
        match (r.method.as_str(), r.path.strip_prefix(&prefix)) {
            ("POST", Some("")) => {
                let body = r.json();
                let Some(name) = body["incident"]["name"].as_str().filter(|n| !n.is_empty()) else {
                    return Answer::Reply(422, json!({"error": ["Name can't be blank"]}).to_string());
                };
                let id = format!("in{}", pages.len() + 1);
                let incident = json!({
                    "id": id,
                    "name": name,
                    "status": body["incident"]["status"],
                    "page_id": page_of(&prefix),
                    "metadata": body["incident"]["metadata"],
                    "components": body["incident"]["components"],
                    "incident_updates": [update(&body, &id)],
                    "created_at": now,
                    "resolved_at": null,
                });
                pages.insert(id, incident.clone());
                if std::mem::replace(&mut *hang.lock().unwrap(), false) {
                    return Answer::Hang;
                }
                Answer::Reply(201, incident.to_string())
            }
            ("GET", Some("/unresolved")) => {
                let open: Vec<&Value> = pages.values().filter(|i| i["status"] != "resolved").collect();
                Answer::Reply(200, json!(open).to_string())
            }
            ("PATCH", Some(rest)) => {
                let id = rest.trim_start_matches('/');
                let body = r.json();
                let Some(incident) = pages.get_mut(id) else {
                    return Answer::Reply(404, json!({"error": "Not found"}).to_string());
                };
                let up = update(&body, id);
                incident["incident_updates"].as_array_mut().unwrap().insert(0, up);
                incident["status"] = body["incident"]["status"].clone();
                incident["components"] = body["incident"]["components"].clone();
                Answer::Reply(200, incident.to_string())
            }
            ("GET", Some(rest)) => match pages.get(rest.trim_start_matches('/')) {
                Some(i) => Answer::Reply(200, i.to_string()),
                None => Answer::Reply(404, json!({"error": "Not found"}).to_string()),
            },
            _ => Answer::Reply(404, json!({"error": "Not found"}).to_string()),
        }
    })
    .await;
    (receiver, pages)
}

fn page_of(prefix: &str) -> String {
    prefix.trim_start_matches("/v1/pages/").trim_end_matches("/incidents").to_owned()
}
