//! A server behind an internal CA: a real HTTPS server (Python's `http.server` with `ssl`, on
//! 127.0.0.1) whose certificate is signed by a CA made for the test with the `openssl` command.
//! Trusted through the source's `ca_file`, refused without it, and a CA file that holds no
//! certificate is a clear error before anything is sent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use warroom::config::Config;
use warroom::sources::poller::Poller;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl is installed");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA, and a certificate for 127.0.0.1 signed by it.
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=warroom test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
}

struct Https(Child);

impl Drop for Https {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Answers 200 `ok` to every GET, over TLS with `server.pem`.
fn https(dir: &Path, port: u16) -> Https {
    let script = format!(
        "import http.server, ssl\nclass H(http.server.BaseHTTPRequestHandler):\n    def do_GET(self):\n        self.send_response(200); self.send_header('Content-Type', 'text/plain'); self.end_headers(); self.wfile.write(b'ok')\n    def log_message(self, *a): pass\ns = http.server.HTTPServer(('127.0.0.1', {port}), H)\nc = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain('server.pem', 'server.key')\ns.socket = c.wrap_socket(s.socket, server_side=True)\ns.serve_forever()\n"
    );
    let child = Command::new("python3")
        .args(["-c", &script])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Https(child)
}

fn poller(dir: &Path, port: u16, ca: Option<&str>) -> Result<Poller, String> {
    let ca = ca.map(|f| format!("ca_file = \"{f}\"\n")).unwrap_or_default();
    let text = format!(
        "[[source]]\nname = \"prom\"\nkind = \"prometheus\"\nurl = \"https://127.0.0.1:{port}\"\ntimeout_secs = 2\n{ca}"
    );
    let config = Config::parse(&dir.join("warroom.toml"), &text).map_err(|e| e.to_string())?;
    Poller::new(&config).map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_internal_ca_is_trusted_through_ca_file_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let port = common::free_port();
    let _server = https(dir.path(), port);

    // Trusted through the CA file (the server may take a moment to listen).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let trusted = poller(dir.path(), port, Some("ca.pem")).unwrap();
        match trusted.test("prom").await {
            Ok(_) => break,
            Err(e) => {
                assert!(std::time::Instant::now() < deadline, "the HTTPS server never answered: {e}");
                // A fresh poller each try: the breaker of the first one would open.
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }

    // Without it, the same server is refused, and the error says why.
    let untrusted = poller(dir.path(), port, None).unwrap();
    let err = untrusted.test("prom").await.unwrap_err();
    assert!(err.to_lowercase().contains("certificate"), "{err}");

    // A CA file that holds no certificate: said at setup, naming the file.
    std::fs::write(dir.path().join("empty.pem"), "not a certificate\n").unwrap();
    let err = poller(dir.path(), port, Some("empty.pem")).err().unwrap();
    assert!(err.contains("empty.pem") && err.contains("certificate"), "{err}");
}

/// The team's hub behind an internal CA: a real PostgreSQL with `ssl=on` and a certificate for
/// 127.0.0.1 signed by the test's CA. With the CA as `ca_file` the laptop connects over TLS (the
/// server says so); without it the certificate is refused and nothing is sent in clear; with
/// `tls_verify = false` it connects (for a lab, never the default).
#[tokio::test(flavor = "multi_thread")]
async fn a_hub_behind_an_internal_ca_is_reached_over_tls_with_its_ca_only() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let pg =
        common::postgres::Postgres::with_tls(&dir.path().join("server.pem"), &dir.path().join("server.key"));
    let url = pg.url("postgres");
    let config = |ca: bool, verify: bool| warroom::sync::SyncConfig {
        url: url.clone(),
        password: None,
        ca_file: ca.then(|| dir.path().join("ca.pem")),
        tls_verify: verify,
        device: "tls-laptop".into(),
    };
    warroom::sync::Hub::init(&config(true, true)).await.unwrap();
    let _connected = warroom::sync::Hub::connect(&config(true, true)).await.unwrap();
    let ssl = pg.sql_ok("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'warroom' AND s.ssl");
    assert_ne!(ssl.trim(), "0", "the laptop's connection is TLS");

    let refused =
        warroom::sync::Hub::connect(&config(false, true)).await.err().expect("an unknown CA is refused");
    assert!(refused.to_string().contains("certificate"), "{refused}");
    warroom::sync::Hub::connect(&config(false, false)).await.unwrap();
}
