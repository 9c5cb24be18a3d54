//! A real SMTP server for the stakeholder-update tests: aiosmtpd (PyPI, installed by `make test`
//! into `target/smtp`) run by `tests/fixtures/smtp_server.py`, STARTTLS required.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Server, free_port};

/// A real SMTP server: aiosmtpd (PyPI, installed by `make test` into `target/smtp`), STARTTLS
/// required, with a certificate for 127.0.0.1 made by the `openssl` command. Each message it
/// takes is written as JSON (`mail_from`, `rcpt_tos`, `content`) into its folder.
pub struct Smtp {
    pub server: Server,
    /// The certificate a client trusts (the channel's `ca_file`).
    pub cert: PathBuf,
}

impl Smtp {
    pub async fn start() -> Smtp {
        Smtp::start_on(free_port()).await
    }

    pub async fn start_on(port: u16) -> Smtp {
        let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/smtp/bin/python");
        let python = std::env::var_os("WARROOM_SMTP_PYTHON").map(PathBuf::from).unwrap_or(python);
        assert!(
            python.exists(),
            "{} is missing: `make test` installs it (python3 -m venv target/smtp && target/smtp/bin/pip install aiosmtpd)",
            python.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let out = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"])
            .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl is installed");
        assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
        let mail = dir.path().join("mail");
        std::fs::create_dir(&mail).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smtp_server.py");
        let child = Command::new(python)
            .arg(script)
            .args([port.to_string()])
            .arg(&cert)
            .arg(&key)
            .arg(&mail)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(Instant::now() < deadline, "the SMTP server did not listen in 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Smtp { server, cert }
    }

    /// The messages it took so far, in order.
    pub fn messages(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.server.dir.path().join("mail"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files.iter().map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap()).collect()
    }
}
