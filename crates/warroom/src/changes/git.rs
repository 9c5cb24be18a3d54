//! Commits in a local git repository (an infrastructure or configuration repo): each commit
//! touching a node's mapped paths is a change of that node. Read with the `git` binary (`git
//! log` with git's own `:(glob)` pathspecs), never by parsing the repository ourselves.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{TimeZone, Utc};

use super::{ChangeError, Window};
use crate::model::{Change, ChangeKind};

/// The fields of one commit `git log` prints, separated by the unit separator.
const FORMAT: &str = "--format=%H%x1f%an%x1f%ct%x1f%s";

/// Reads `git log` output (hash, author, commit time and subject, separated by U+001F) as
/// commits of `node`.
pub fn parse_log(out: &str, node: &str, source: &str) -> Vec<Change> {
    out.lines()
        .filter_map(|line| {
            let mut f = line.split('\u{1f}');
            let (hash, author, time, subject) = (f.next()?, f.next()?, f.next()?, f.next().unwrap_or(""));
            let at = Utc.timestamp_opt(time.trim().parse().ok()?, 0).single()?;
            if hash.len() < 7 {
                return None;
            }
            Some(Change {
                at,
                node: node.to_owned(),
                kind: ChangeKind::Commit,
                summary: format!("{} {subject}", &hash[..7]),
                from: None,
                to: Some(hash.to_owned()),
                source: source.to_owned(),
                by: Some(author.to_owned()).filter(|a| !a.is_empty()),
                key: format!("commit/{node}/{hash}"),
            })
        })
        .collect()
}

/// The commits touching each node's paths in `window` (commit time), newest last.
///
/// # Errors
/// [`ChangeError`]: git is missing, the folder is not a repository, git took longer than
/// `timeout`.
pub async fn changes(
    source: &str,
    repo: &Path,
    paths: &BTreeMap<String, String>,
    window: Window,
    timeout: Duration,
) -> Result<Vec<Change>, ChangeError> {
    let mut found = Vec::new();
    for (node, glob) in paths {
        let run = tokio::process::Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["log", "--no-merges", "--no-color", FORMAT])
            .arg(format!("--since=@{}", window.from.timestamp()))
            .arg(format!("--until=@{}", window.to.timestamp()))
            .arg("--")
            .arg(format!(":(glob){glob}"))
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| {
                ChangeError::new(source, format!("git log took longer than {} s", timeout.as_secs_f64()))
            })?
            .map_err(|e| ChangeError::new(source, format!("cannot run git: {e}")))?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            return Err(ChangeError::new(source, format!("git log in {}: {}", repo.display(), why.trim())));
        }
        let commits = parse_log(&String::from_utf8_lossy(&out.stdout), node, source);
        found.extend(commits.into_iter().filter(|c: &Change| window.contains(c.at)));
    }
    Ok(found)
}
