//! `[[changes]]` in warroom.toml: where changes are found (Prometheus's history, a git
//! repository, a Kubernetes namespace, GitHub deployments), and `change_lookback_minutes`: how far
//! before the declaration to look. Tokens are named (an environment variable or a keyring
//! entry), never written in the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::config::{ConfigError, SecretRef, readable, secret_ref};

/// One place changes are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSource {
    pub name: String,
    pub timeout: Duration,
    pub kind: ChangeSourceKind,
}

/// What a change source is, with what only its kind has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeSourceKind {
    /// The history of a configured Prometheus `[[source]]` (its URL and auth).
    Prometheus {
        /// The `[[source]]` to ask.
        source: String,
        /// A query giving a version label per node (`max by (service, version) (app_build_info)`).
        deploys: Option<String>,
        /// The label naming the node.
        label: String,
        /// The label carrying the version.
        version_label: String,
        /// A query giving each node's process start time (a jump is a restart).
        restarts: Option<String>,
        /// A query giving each node's last successful config reload time.
        config_reloads: Option<String>,
        /// The range queries' resolution.
        step: Duration,
    },
    /// A local git repository: each commit touching a mapped path is a change of its node.
    Git {
        repo: PathBuf,
        /// Node id → a path glob in the repository (`services/order/**`).
        paths: BTreeMap<String, String>,
    },
    /// A Kubernetes namespace's events and Deployments' rollouts; nodes by a label's value.
    Kubernetes {
        url: String,
        namespace: String,
        node_label: String,
        token: Option<SecretRef>,
        ca_file: Option<PathBuf>,
    },
    /// GitHub's Deployments API of one repository.
    Github {
        url: String,
        /// `owner/name`.
        repo: String,
        environment: Option<String>,
        /// The node its deployments change; else each deployment's `payload.service`.
        node: Option<String>,
        token: Option<SecretRef>,
    },
}

impl ChangeSourceKind {
    /// The kind's name, as written in the file.
    pub fn name(&self) -> &'static str {
        match self {
            ChangeSourceKind::Prometheus { .. } => "prometheus",
            ChangeSourceKind::Git { .. } => "git",
            ChangeSourceKind::Kubernetes { .. } => "kubernetes",
            ChangeSourceKind::Github { .. } => "github",
        }
    }
}

/// How far before the declaration changes are looked for, by default.
pub const DEFAULT_LOOKBACK: Duration = Duration::from_secs(2 * 3600);

/// `[[changes]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangesEntry {
    name: String,
    kind: String,
    timeout_secs: Option<f64>,
    source: Option<String>,
    deploys: Option<String>,
    label: Option<String>,
    version_label: Option<String>,
    restarts: Option<String>,
    config_reloads: Option<String>,
    step_secs: Option<u64>,
    repo: Option<Spanned<String>>,
    #[serde(default)]
    paths: BTreeMap<String, String>,
    url: Option<Spanned<String>>,
    namespace: Option<String>,
    node_label: Option<String>,
    token_env: Option<String>,
    token_keyring: Option<String>,
    ca_file: Option<Spanned<String>>,
    environment: Option<String>,
    node: Option<String>,
}

/// The keys each kind takes besides `name`, `kind`, `timeout_secs`.
const KEYS: [(&str, &[&str]); 4] = [
    (
        "prometheus",
        &["source", "deploys", "label", "version_label", "restarts", "config_reloads", "step_secs"],
    ),
    ("git", &["repo", "paths"]),
    ("kubernetes", &["url", "namespace", "node_label", "token_env", "token_keyring", "ca_file"]),
    ("github", &["url", "repo", "environment", "node", "token_env", "token_keyring"]),
];

impl ChangesEntry {
    fn given(&self) -> Vec<&'static str> {
        let set = [
            ("source", self.source.is_some()),
            ("deploys", self.deploys.is_some()),
            ("label", self.label.is_some()),
            ("version_label", self.version_label.is_some()),
            ("restarts", self.restarts.is_some()),
            ("config_reloads", self.config_reloads.is_some()),
            ("step_secs", self.step_secs.is_some()),
            ("repo", self.repo.is_some()),
            ("paths", !self.paths.is_empty()),
            ("url", self.url.is_some()),
            ("namespace", self.namespace.is_some()),
            ("node_label", self.node_label.is_some()),
            ("token_env", self.token_env.is_some()),
            ("token_keyring", self.token_keyring.is_some()),
            ("ca_file", self.ca_file.is_some()),
            ("environment", self.environment.is_some()),
            ("node", self.node.is_some()),
        ];
        set.into_iter().filter(|(_, given)| *given).map(|(k, _)| k).collect()
    }

    /// Checks the entry at byte offset `at`; `base` is the configuration's folder; `prometheus`
    /// the names of the configured Prometheus sources.
    pub(crate) fn check(
        self,
        base: &Path,
        at: usize,
        prometheus: &[&str],
        err: &dyn Fn(Option<usize>, String) -> ConfigError,
    ) -> Result<ChangeSource, ConfigError> {
        let at = Some(at);
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            return Err(err(at, "changes.name: give the change source a name, e.g. \"deploys\"".to_owned()));
        }
        let Some((kind, keys)) = KEYS.iter().find(|(k, _)| *k == self.kind) else {
            return Err(err(
                at,
                format!(
                    "changes.kind: '{}' is not a change source: prometheus, git, kubernetes or github",
                    self.kind
                ),
            ));
        };
        if let Some(key) = self.given().into_iter().find(|k| !keys.contains(k)) {
            return Err(err(at, format!("changes.{key}: not a key of a {kind} change source")));
        }
        let timeout = match self.timeout_secs {
            None => Duration::from_secs(15),
            Some(t) if t.is_finite() && t > 0.0 => Duration::from_secs_f64(t),
            Some(t) => {
                return Err(err(at, format!("changes.timeout_secs: expected a positive number, got {t}")));
            }
        };
        let needed = |what: &str| err(at, format!("changes: a {kind} change source needs {what}"));
        let http = |url: Option<&Spanned<String>>, default: Option<&str>| -> Result<String, ConfigError> {
            let (u, where_) = match (url, default) {
                (Some(u), _) => (u.get_ref().trim().trim_end_matches('/').to_owned(), Some(u.span().start)),
                (None, Some(d)) => (d.to_owned(), at),
                (None, None) => return Err(needed("url")),
            };
            if u.starts_with("https://") || u.starts_with("http://") {
                Ok(u)
            } else {
                Err(err(where_, format!("changes.url: expected http:// or https://, got '{u}'")))
            }
        };
        let token = |env, keyring| secret_ref(env, keyring, "changes: token", at, err);
        let kind = match *kind {
            "prometheus" => {
                let source =
                    self.source.ok_or_else(|| needed("source (the [[source]] of kind prometheus to ask)"))?;
                if !prometheus.contains(&source.as_str()) {
                    return Err(err(
                        at,
                        format!(
                            "changes.source: '{source}' is not a configured prometheus [[source]] (known: {})",
                            prometheus.join(", ")
                        ),
                    ));
                }
                let label = self.label.unwrap_or_else(|| "service".to_owned());
                let restarts =
                    self.restarts.or_else(|| Some(format!("max by ({label}) (process_start_time_seconds)")));
                if self.deploys.is_some() && self.version_label.is_none() {
                    return Err(needed("version_label with deploys (the label carrying the version)"));
                }
                ChangeSourceKind::Prometheus {
                    source,
                    deploys: self.deploys,
                    version_label: self.version_label.unwrap_or_else(|| "version".to_owned()),
                    config_reloads: self.config_reloads,
                    restarts,
                    label,
                    step: Duration::from_secs(self.step_secs.unwrap_or(30).max(1)),
                }
            }
            "git" => {
                let repo = self.repo.ok_or_else(|| needed("repo (a local repository's folder)"))?;
                let path = base.join(repo.get_ref());
                if !path.join(".git").exists() && !path.join("HEAD").is_file() {
                    return Err(err(
                        Some(repo.span().start),
                        format!("changes.repo: {} is not a git repository", path.display()),
                    ));
                }
                if self.paths.is_empty() {
                    return Err(needed("paths = { \"node-id\" = \"path/in/repo/**\" }"));
                }
                ChangeSourceKind::Git { repo: path, paths: self.paths }
            }
            "kubernetes" => ChangeSourceKind::Kubernetes {
                url: http(self.url.as_ref(), None)?,
                namespace: self.namespace.ok_or_else(|| needed("namespace"))?,
                node_label: self.node_label.unwrap_or_else(|| "app".to_owned()),
                token: token(self.token_env, self.token_keyring)?,
                ca_file: readable(base, self.ca_file, "changes.ca_file", err)?,
            },
            _ => {
                let repo = self.repo.ok_or_else(|| needed("repo = \"owner/name\""))?;
                let name = repo.get_ref().trim().to_owned();
                if name.split('/').filter(|p| !p.is_empty()).count() != 2 {
                    return Err(err(
                        Some(repo.span().start),
                        format!("changes.repo: expected owner/name, got '{name}'"),
                    ));
                }
                ChangeSourceKind::Github {
                    url: http(self.url.as_ref(), Some("https://api.github.com"))?,
                    repo: name,
                    environment: self.environment,
                    node: self.node,
                    token: token(self.token_env, self.token_keyring)?,
                }
            }
        };
        Ok(ChangeSource { name, timeout, kind })
    }
}
