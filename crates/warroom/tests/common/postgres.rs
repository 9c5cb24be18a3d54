//! A real PostgreSQL 15 for tests: its own cluster in a temporary folder, listening on a free
//! port of 127.0.0.1, stopped when dropped. As TOOLING.md says: initdb refuses root, so as root
//! the cluster is the `postgres` user's. [`Postgres::start`] trusts every connection (for tests
//! inside one process, which cannot set a password variable); [`Postgres::with_passwords`] asks a
//! password over TCP (scram-sha-256), as a real hub does: the superuser `postgres` has
//! [`SUPERUSER_PASSWORD`]. `fsync=off` keeps it fast (tests only).
//!
//! Shared by the core's sync tests, the desktop's end-to-end test and the sync benchmark.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const SUPERUSER_PASSWORD: &str = "warroom-test-superuser";

/// A PostgreSQL cluster of its own.
pub struct Postgres {
    pub port: u16,
    dir: tempfile::TempDir,
    /// Server options besides where to listen (TLS).
    extra: String,
}

fn bin(name: &str) -> PathBuf {
    let path = Path::new("/usr/lib/postgresql/15/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: `make test` installs PostgreSQL 15 (apt-get install postgresql)",
        path.display()
    );
    path
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a PostgreSQL tool, as `postgres` when we are root.
fn tool(name: &str, args: &[&str]) -> Output {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin(name));
        c
    } else {
        Command::new(bin(name))
    };
    cmd.args(args).output().unwrap()
}

impl Postgres {
    /// A new cluster trusting every connection, started, with a database `warroom`.
    pub fn start() -> Postgres {
        Postgres::init("trust", None)
    }

    /// A new cluster asking a password over TCP, started, with a database `warroom`.
    pub fn with_passwords() -> Postgres {
        Postgres::init("scram-sha-256", None)
    }

    /// A new cluster trusting every connection and offering TLS with this certificate and key
    /// (PEM), started, with a database `warroom`.
    pub fn with_tls(cert: &Path, key: &Path) -> Postgres {
        Postgres::init("trust", Some((cert, key)))
    }

    fn init(auth_host: &str, tls: Option<(&Path, &Path)>) -> Postgres {
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            let status = Command::new("chown").arg("postgres:postgres").arg(dir.path()).status().unwrap();
            assert!(status.success());
        }
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, SUPERUSER_PASSWORD).unwrap();
        if is_root() {
            Command::new("chown").arg("postgres:postgres").arg(&pwfile).status().unwrap();
        }
        let out = tool(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth-local=trust",
                &format!("--auth-host={auth_host}"),
                &format!("--pwfile={}", pwfile.display()),
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        );
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let extra = match tls {
            None => String::new(),
            Some((cert, key)) => {
                // PostgreSQL reads its key only if its own user alone may.
                let (c, k) = (dir.path().join("server.crt"), dir.path().join("server.key"));
                std::fs::copy(cert, &c).unwrap();
                std::fs::copy(key, &k).unwrap();
                Command::new("chmod").arg("600").arg(&k).status().unwrap();
                if is_root() {
                    Command::new("chown").arg("postgres:postgres").arg(&c).arg(&k).status().unwrap();
                }
                format!(" -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}", c.display(), k.display())
            }
        };
        let pg = Postgres { port, dir, extra };
        pg.up();
        let out = tool(
            "createdb",
            &["-h", pg.dir.path().to_str().unwrap(), "-p", &port.to_string(), "-U", "postgres", "warroom"],
        );
        assert!(out.status.success(), "createdb: {}", String::from_utf8_lossy(&out.stderr));
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Starts the cluster (again) and waits until it accepts connections.
    pub fn up(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=200{}",
            self.port,
            self.dir.path().display(),
            self.extra
        );
        let log = self.dir.path().join("log");
        let out =
            tool("pg_ctl", &["-D", &self.data(), "-l", log.to_str().unwrap(), "-w", "-o", &options, "start"]);
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while !tool("pg_isready", &["-h", "127.0.0.1", "-p", &self.port.to_string()]).status.success() {
            assert!(Instant::now() < deadline, "PostgreSQL did not accept connections in 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops it hard, as a hub lost mid-incident (`pg_ctl -m immediate stop`).
    pub fn kill(&self) {
        let out = tool("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
        assert!(out.status.success(), "pg_ctl stop: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `postgres://USER@127.0.0.1:PORT/warroom`.
    pub fn url(&self, user: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/warroom", self.port)
    }

    /// Runs SQL as the superuser (through the local socket), returning psql's output.
    pub fn sql(&self, sql: &str) -> Output {
        tool(
            "psql",
            &[
                "-h",
                self.dir.path().to_str().unwrap(),
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "warroom",
                "-v",
                "ON_ERROR_STOP=1",
                "-X",
                "-q",
                "-A",
                "-t",
                "-c",
                sql,
            ],
        )
    }

    /// As [`Postgres::sql`], failing the test if psql does; its standard output.
    pub fn sql_ok(&self, sql: &str) -> String {
        let out = self.sql(sql);
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = tool("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
    }
}
