//! Test servers on 127.0.0.1: real Prometheus and Alertmanager from Debian's packages (started
//! by hand, as TOOLING.md says: no systemd here), and a tiny HTTP server for what cannot be had
//! for real or must misbehave on purpose. Every server gets a free port and its own temporary
//! folder, and is stopped when dropped.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub mod laptop;
pub mod postgres;
pub mod receiver;
pub mod smtp;

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A port nobody serves, kept so while the returned socket lives: bound, never listening, so a
/// connection to it is refused. A port from [`free_port`] is only free when asked: another test
/// of the same binary once started its stub server on it, and "the server is down" answered.
pub fn refused_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}

/// A child process killed on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary(name: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path;
        }
    }
    panic!(
        "{name} is not installed: `make test` installs it (apt-get install prometheus prometheus-alertmanager)"
    );
}

/// Waits for `url` to answer 200, up to 30 s.
pub async fn wait_ready(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(url).await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "{url} did not become ready in 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn alertmanager() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("am.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: 'null'\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: 'null'\n",
    )
    .unwrap();
    let args = [
        format!("--config.file={}", config.display()),
        format!("--storage.path={}", dir.path().join("data").display()),
        "--cluster.listen-address=".to_owned(),
    ];
    start("prometheus-alertmanager", &args, port, dir).await
}

/// Starts a server listening on `port`, its files in `dir`, and waits until it is ready.
async fn start(name: &str, args: &[String], port: u16, dir: tempfile::TempDir) -> Server {
    let child = Command::new(binary(name))
        .args(args)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port, dir };
    wait_ready(&format!("http://127.0.0.1:{port}/-/ready")).await;
    server
}

/// A real Prometheus scraping `targets` every second, with `rules`, sending alerts to `alertmanager`.
pub async fn prometheus(targets: &[u16], rules: &str, alertmanager: Option<u16>) -> Server {
    prometheus_with_history(targets, rules, alertmanager, None).await
}

/// As [`prometheus`], with history written into its storage first by
/// `promtool tsdb create-blocks-from openmetrics` (the text must end with `# EOF`).
pub async fn prometheus_with_history(
    targets: &[u16],
    rules: &str,
    alertmanager: Option<u16>,
    openmetrics: Option<&str>,
) -> Server {
    let dir = tempfile::tempdir().unwrap();
    if let Some(text) = openmetrics {
        let file = dir.path().join("history.om");
        std::fs::write(&file, text).unwrap();
        let out = Command::new(binary("promtool"))
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&file)
            .arg(dir.path().join("data"))
            .output()
            .unwrap();
        assert!(out.status.success(), "promtool: {}", String::from_utf8_lossy(&out.stderr));
    }
    let port = free_port();
    let rules_file = dir.path().join("rules.yml");
    std::fs::write(&rules_file, rules).unwrap();
    let targets: Vec<String> = targets.iter().map(|p| format!("'127.0.0.1:{p}'")).collect();
    let alerting = alertmanager
        .map(|p| {
            format!(
                "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{p}']\n"
            )
        })
        .unwrap_or_default();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: ['{}']\n{alerting}scrape_configs:\n  - job_name: test\n    static_configs:\n      - targets: [{}]\n",
        rules_file.display(),
        targets.join(", ")
    );
    let config_file = dir.path().join("prometheus.yml");
    std::fs::write(&config_file, config).unwrap();
    let args = [
        format!("--config.file={}", config_file.display()),
        format!("--storage.tsdb.path={}", dir.path().join("data").display()),
        "--rules.alert.resend-delay=1s".to_owned(),
    ];
    start("prometheus", &args, port, dir).await
}

/// How the stub answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// 200 with this body and content type.
    Ok { body: Vec<u8>, content_type: &'static str },
    /// Waits this long, then answers like `Ok`.
    Slow(Duration, Vec<u8>),
    /// This status with a small body, and a `Retry-After` when given.
    Status(u16, Option<u64>),
    /// Declares a length and sends only half of the body, then closes.
    Truncated(Vec<u8>),
    /// A body of this many bytes.
    Huge(usize),
}

/// A tiny HTTP/1.1 server whose behaviour can be changed while it runs; counts requests.
pub struct Stub {
    pub port: u16,
    pub behaviour: Arc<Mutex<Behaviour>>,
    pub requests: Arc<Mutex<u64>>,
}

impl Stub {
    pub async fn start(behaviour: Behaviour) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let behaviour = Arc::new(Mutex::new(behaviour));
        let requests = Arc::new(Mutex::new(0));
        let (b, r) = (behaviour.clone(), requests.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else { return };
                let (b, r) = (b.clone(), r.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let mut seen = Vec::new();
                    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buf[..n]),
                        }
                    }
                    *r.lock().unwrap() += 1;
                    let behaviour = b.lock().unwrap().clone();
                    let head = |status: u16, len: usize, ct: &str, extra: &str| {
                        format!(
                            "HTTP/1.1 {status} X\r\nContent-Type: {ct}\r\nContent-Length: {len}\r\nConnection: close\r\n{extra}\r\n"
                        )
                    };
                    let _ = match behaviour {
                        Behaviour::Ok { body, content_type } => {
                            let _ =
                                socket.write_all(head(200, body.len(), content_type, "").as_bytes()).await;
                            socket.write_all(&body).await
                        }
                        Behaviour::Slow(wait, body) => {
                            tokio::time::sleep(wait).await;
                            let _ = socket
                                .write_all(head(200, body.len(), "application/json", "").as_bytes())
                                .await;
                            socket.write_all(&body).await
                        }
                        Behaviour::Status(status, retry) => {
                            let extra = retry.map(|s| format!("Retry-After: {s}\r\n")).unwrap_or_default();
                            let _ = socket.write_all(head(status, 5, "text/plain", &extra).as_bytes()).await;
                            socket.write_all(b"oops!").await
                        }
                        Behaviour::Truncated(body) => {
                            let _ = socket
                                .write_all(head(200, body.len(), "application/json", "").as_bytes())
                                .await;
                            socket.write_all(&body[..body.len() / 2]).await
                        }
                        Behaviour::Huge(size) => {
                            let _ =
                                socket.write_all(head(200, size, "application/json", "").as_bytes()).await;
                            let chunk = vec![b' '; 64 * 1024];
                            let mut sent = 0;
                            while sent < size {
                                if socket.write_all(&chunk).await.is_err() {
                                    break;
                                }
                                sent += chunk.len();
                            }
                            Ok(())
                        }
                    };
                    let _ = socket.shutdown().await;
                });
            }
        });
        Stub { port, behaviour, requests }
    }

    pub fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }

    pub fn requests(&self) -> u64 {
        *self.requests.lock().unwrap()
    }
}

/// moto's server (PyPI `moto[server]`, installed by `make test` into `target/moto`), a local
/// peer for the AWS APIs: CloudWatch answers DescribeAlarms in the JSON 1.0 protocol. It never
/// evaluates alarms (tests set their state) and does not check signatures.
pub async fn moto() -> Server {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/moto/bin/moto_server");
    let bin = std::env::var_os("WARROOM_MOTO_SERVER").map(PathBuf::from).unwrap_or(root);
    assert!(
        bin.exists(),
        "{} is missing: `make test` installs it (python3 -m venv target/moto && target/moto/bin/pip install 'moto[server]')",
        bin.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port, dir };
    wait_ready(&format!("http://127.0.0.1:{port}/moto-api/data.json")).await;
    server
}
