//! The `warroom` binary on a temporary SQLite file, as the black-box tests run it.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// A fresh log in a folder of its own (removed when dropped), and the CLI pointed at it with
/// nothing from the environment (no `WARROOM_DB`, `WARROOM_USER` or `WARROOM_CONFIG`).
pub struct Cli {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Cli {
    pub fn new() -> Cli {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("warroom.db");
        Cli { dir, db }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_warroom"))
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env_remove("WARROOM_DB")
            .env_remove("WARROOM_USER")
            .env_remove("WARROOM_CONFIG")
            .output()
            .unwrap()
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command that must fail with one line on stderr and nothing on stdout; returns
    /// that line.
    pub fn fails(&self, args: &[&str]) -> String {
        let err = self.refused(args);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: the reason must be one line: {err}");
        err.trim_end().to_owned()
    }

    /// Runs a command that must fail, printing nothing on stdout; returns its stderr.
    pub fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should have failed");
        assert!(out.stdout.is_empty(), "{args:?} printed on stdout while failing");
        String::from_utf8(out.stderr).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    /// A path in the log's folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}
