//! `warroom.toml`: the sources to poll, the topology, and which query gives which signal.
//!
//! ```toml
//! runbooks = ["runbooks"]             # folders of your own runbooks, relative to this file
//!
//! [hysteresis]                        # a change must hold this many cycles to be one
//! health_cycles = 2                   # (dated from its first cycle); 1: every change at once
//! check_cycles = 2
//!
//! [topology]
//! file = "topology.toml"              # or a Backstage catalog-info.yaml; relative to this file
//!
//! [[source]]
//! name = "prom"
//! kind = "prometheus"                 # prometheus | alertmanager | loki | statuspage | cloudwatch
//! url = "http://127.0.0.1:9090"
//! timeout_secs = 5                    # every request, retries included
//! interval_secs = 15                  # one poll cycle every ...
//! bearer_token_env = "PROM_TOKEN"     # secrets are named, never written here
//! # or bearer_token_keyring = "prom"  # an OS keyring entry: `warroom secret set prom`
//! # ca_file = "internal-ca.pem"       # extra trusted roots (PEM), relative to this file
//! # basic_user = "warroom"; basic_password_env = "PROM_PASSWORD"
//! # headers = { "X-Scope-OrgID" = "ops" }
//!
//! [[signal]]
//! metric = "http_5xx_ratio"           # one of the metric names of the thresholds
//! source = "prom"
//! query = 'sum by (service) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m]))'
//! label = "service"                   # the label whose value is the node id
//! ```
//!
//! A signal is one query for all nodes, aggregated by the label that names the node, so the
//! number of requests per cycle does not grow with the number of nodes. Every error names the
//! file, the line and the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::model::Metric;

/// A configuration that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

/// What kind of server a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Prometheus,
    Alertmanager,
    /// An Atlassian Statuspage v2 page (`/api/v2/summary.json`).
    Statuspage,
    Loki,
    /// AWS CloudWatch alarms (`DescribeAlarms`, JSON 1.0 protocol, SigV4-signed).
    Cloudwatch,
}

/// A secret, by reference: an environment variable, or an entry of the OS keyring (service
/// [`crate::secret::SERVICE`], the entry's name as user). The value is read when a source is set up
/// and kept in memory only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(String),
    Keyring(String),
}

impl SecretRef {
    /// The secret's value, read now (never stored).
    ///
    /// # Errors
    /// A message naming the variable or keyring entry when it cannot be read.
    pub fn resolve(&self) -> Result<String, String> {
        match self {
            SecretRef::Env(name) => {
                std::env::var(name).map_err(|_| format!("the environment variable {name} is not set"))
            }
            SecretRef::Keyring(name) => crate::secret::get(name).map_err(|e| e.to_string()),
        }
    }
}

impl std::fmt::Display for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "${name}"),
            SecretRef::Keyring(name) => write!(f, "keyring entry '{name}'"),
        }
    }
}

/// How a source authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Bearer(SecretRef),
    Basic {
        user: String,
        password: SecretRef,
    },
    /// AWS Signature V4 (CloudWatch).
    Aws(AwsAuth),
}

/// What a request to AWS is signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsAuth {
    pub region: String,
    /// The signing name of the service (`monitoring` for CloudWatch).
    pub service: String,
    pub access_key_id: SecretRef,
    pub secret_access_key: SecretRef,
    /// Temporary credentials' session token, used when its variable is set.
    pub session_token: Option<SecretRef>,
}

/// One source to poll: what every kind has, and what only its kind has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceConfig {
    pub name: String,
    pub url: String,
    pub timeout: Duration,
    pub interval: Duration,
    pub auth: Auth,
    pub headers: Vec<(String, String)>,
    /// Answers larger than this are cut off with an error.
    pub max_bytes: usize,
    /// Extra trusted root certificates (PEM), for servers behind an internal CA.
    pub ca_file: Option<PathBuf>,
    pub options: SourceOptions,
}

/// What only one kind of source has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceOptions {
    Prometheus {
        /// The service-graph metric to discover dependencies from, if discovery is on.
        discover_edges: Option<String>,
        /// Also read the alerts and health of its own rules (`/api/v1/rules`).
        rule_alerts: bool,
        /// The label of a rule alert whose value is the node id.
        node_label: String,
    },
    Alertmanager {
        /// The label whose value is the node id.
        node_label: String,
    },
    Statuspage {
        /// Which component gives which node its health (node id → component name).
        components: BTreeMap<String, String>,
    },
    Loki {
        /// The log query whose lines are shown per node, if any.
        logs_query: Option<String>,
        /// The stream label that names the node.
        logs_label: String,
        /// At most this many lines per cycle (per query).
        logs_limit: usize,
        /// Per-node log selectors (node id → LogQL), each its own query.
        node_logs: BTreeMap<String, String>,
    },
    Cloudwatch {
        /// The alarm dimension whose value is the node id.
        node_dimension: String,
        /// Alarms that name their node by name rather than by a dimension (alarm → node id).
        alarm_nodes: BTreeMap<String, String>,
    },
}

impl SourceConfig {
    /// What kind of server it is.
    pub fn kind(&self) -> SourceKind {
        match self.options {
            SourceOptions::Prometheus { .. } => SourceKind::Prometheus,
            SourceOptions::Alertmanager { .. } => SourceKind::Alertmanager,
            SourceOptions::Statuspage { .. } => SourceKind::Statuspage,
            SourceOptions::Loki { .. } => SourceKind::Loki,
            SourceOptions::Cloudwatch { .. } => SourceKind::Cloudwatch,
        }
    }
}

/// One signal: a query whose result, by `label`, gives `metric` for every node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalConfig {
    pub metric: Metric,
    pub source: String,
    pub query: String,
    pub label: String,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub path: PathBuf,
    pub topology: Option<PathBuf>,
    pub sources: Vec<SourceConfig>,
    pub signals: Vec<SignalConfig>,
    /// Where "open in Grafana Explore" goes, if set.
    pub grafana: Option<GrafanaConfig>,
    /// Thresholds that replace the seed's defaults for their metric (for every node, or one).
    pub thresholds: Vec<crate::health::Threshold>,
    /// Folders of runbooks (`*.md`) to know besides the built-in ones.
    pub runbooks: Vec<PathBuf>,
    /// How long a change must hold before it is one.
    pub hysteresis: Hysteresis,
    /// The team's hub (`[sync]`), if this laptop syncs with one.
    pub sync: Option<crate::sync::SyncConfig>,
    /// How often stakeholder updates are due, per severity (`[cadence]`).
    pub cadence: crate::updates::Cadence,
    /// Where stakeholder updates go (`[[channel]]`).
    pub channels: Vec<crate::updates::ChannelConfig>,
    /// A folder of update templates (`responders.md`, `exec.md`, `public.md`) that replace the
    /// built-in ones.
    pub templates: Option<PathBuf>,
    /// Where changes are found (`[[changes]]`).
    pub changes: Vec<crate::changes::ChangeSource>,
    /// How far before the declaration changes are looked for (`change_lookback_minutes`).
    pub change_lookback: Duration,
}

/// How many cycles in a row a node's new health, or a check's new outcome, must hold before it
/// is a change on the timeline (the change is dated from when it started).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hysteresis {
    pub health_cycles: u32,
    pub check_cycles: u32,
}

impl Default for Hysteresis {
    fn default() -> Hysteresis {
        Hysteresis { health_cycles: 2, check_cycles: 2 }
    }
}

/// A configured source as a window lists it. Secrets appear only by what names them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct SourceInfo {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub interval_secs: f64,
    pub timeout_secs: f64,
    /// How it authenticates, in words ("bearer token from $PROM_TOKEN").
    pub auth: String,
}

/// A configuration file and its text, for a settings view (it holds no secret: the file may
/// only name where secrets are).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export, rename = "ConfigFile"))]
pub struct ConfigText {
    pub path: String,
    pub text: String,
}

impl SourceConfig {
    /// The source as a window lists it, without a secret's value.
    pub fn info(&self) -> SourceInfo {
        SourceInfo {
            name: self.name.clone(),
            kind: self.kind().name().to_owned(),
            url: self.url.clone(),
            interval_secs: self.interval.as_secs_f64(),
            timeout_secs: self.timeout.as_secs_f64(),
            auth: match &self.auth {
                Auth::None => "none".to_owned(),
                Auth::Bearer(secret) => format!("bearer token from {secret}"),
                Auth::Basic { user, password } => format!("basic, user {user}, password from {password}"),
                Auth::Aws(aws) => format!(
                    "AWS SigV4 ({}), keys from {} and {}",
                    aws.region, aws.access_key_id, aws.secret_access_key
                ),
            },
        }
    }
}

impl SourceKind {
    /// The name warroom.toml uses for it.
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Prometheus => "prometheus",
            SourceKind::Alertmanager => "alertmanager",
            SourceKind::Statuspage => "statuspage",
            SourceKind::Loki => "loki",
            SourceKind::Cloudwatch => "cloudwatch",
        }
    }
}

impl Config {
    /// Grafana Explore showing the queries of every Prometheus signal, if a Grafana is set.
    pub fn explore_url(&self) -> Option<String> {
        let grafana = self.grafana.as_ref()?;
        let prometheus: Vec<&str> = self
            .sources
            .iter()
            .filter(|s| s.kind() == SourceKind::Prometheus)
            .map(|s| s.name.as_str())
            .collect();
        let queries: Vec<&str> = self
            .signals
            .iter()
            .filter(|s| prometheus.contains(&s.source.as_str()))
            .map(|s| s.query.as_str())
            .collect();
        Some(grafana.explore_url(&queries))
    }
}

/// Writes a configuration's text in place of `path`: whole to a temporary file beside it,
/// synced, then renamed over it, the previous file kept as `<path>.bak`. On failure the old
/// file is as it was.
///
/// # Errors
/// [`ConfigError`] naming the file and what failed.
pub fn write(path: &Path, text: &str) -> Result<(), ConfigError> {
    use std::io::Write as _;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let write = || -> std::io::Result<()> {
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        file.write_all(text.as_bytes())?;
        file.as_file().sync_all()?;
        if path.exists() {
            std::fs::copy(path, path.with_extension("toml.bak"))?;
        }
        file.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    write().map_err(|e| ConfigError {
        path: path.to_owned(),
        line: None,
        message: format!("cannot write: {e}"),
    })
}

/// A Grafana to open a node's signals in (Explore), with the uid of its Prometheus data source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrafanaConfig {
    pub url: String,
    pub prometheus_uid: String,
}

impl GrafanaConfig {
    /// The Explore URL showing `queries` over the last 30 minutes, one query per row.
    pub fn explore_url(&self, queries: &[&str]) -> String {
        let queries: Vec<serde_json::Value> = queries
            .iter()
            .enumerate()
            .map(|(i, q)| {
                serde_json::json!({
                    "refId": char::from(b'A' + (i % 26) as u8).to_string(),
                    "expr": q,
                    "datasource": { "type": "prometheus", "uid": self.prometheus_uid },
                })
            })
            .collect();
        let panes = serde_json::json!({
            "a": {
                "datasource": self.prometheus_uid,
                "queries": queries,
                "range": { "from": "now-30m", "to": "now" },
            }
        });
        let panes = panes.to_string();
        let params = [("schemaVersion", "1"), ("orgId", "1"), ("panes", panes.as_str())];
        match reqwest::Url::parse_with_params(&format!("{}/explore", self.url), params) {
            Ok(url) => url.into(),
            // The base was checked to be an http(s) URL when the configuration was read.
            Err(_) => format!("{}/explore", self.url),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    runbooks: Vec<Spanned<String>>,
    hysteresis: Option<Spanned<HysteresisEntry>>,
    sync: Option<Spanned<crate::sync::SyncEntry>>,
    cadence: Option<crate::updates::CadenceEntry>,
    #[serde(default)]
    channel: Vec<Spanned<crate::updates::ChannelEntry>>,
    templates: Option<Spanned<String>>,
    #[serde(default)]
    changes: Vec<Spanned<crate::changes::ChangesEntry>>,
    change_lookback_minutes: Option<u64>,
    topology: Option<TopologyEntry>,
    grafana: Option<GrafanaEntry>,
    #[serde(default)]
    source: Vec<Spanned<SourceEntry>>,
    #[serde(default)]
    signal: Vec<Spanned<SignalEntry>>,
    #[serde(default)]
    threshold: Vec<Spanned<ThresholdEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdEntry {
    metric: Spanned<String>,
    node: Option<String>,
    degraded_above: Option<f64>,
    down_above: Option<f64>,
    degraded_below: Option<f64>,
    down_below: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HysteresisEntry {
    health_cycles: Option<u32>,
    check_cycles: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrafanaEntry {
    url: Spanned<String>,
    prometheus_uid: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopologyEntry {
    file: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceEntry {
    name: String,
    kind: SourceKind,
    url: Spanned<String>,
    #[serde(default = "default_timeout")]
    timeout_secs: f64,
    #[serde(default = "default_interval")]
    interval_secs: f64,
    bearer_token_env: Option<String>,
    bearer_token_keyring: Option<String>,
    basic_user: Option<String>,
    basic_password_env: Option<String>,
    basic_password_keyring: Option<String>,
    ca_file: Option<Spanned<String>>,
    region: Option<String>,
    aws_access_key_id_env: Option<String>,
    aws_secret_access_key_env: Option<String>,
    aws_secret_access_key_keyring: Option<String>,
    aws_session_token_env: Option<String>,
    alarm_nodes: Option<BTreeMap<String, String>>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    node_label: Option<String>,
    #[serde(default = "default_max_mb")]
    max_response_mb: f64,
    components: Option<BTreeMap<String, String>>,
    logs_query: Option<String>,
    logs_label: Option<String>,
    logs_limit: Option<usize>,
    node_logs: Option<BTreeMap<String, String>>,
    discover_edges: Option<bool>,
    servicegraph_metric: Option<String>,
    alerts: Option<bool>,
}

impl SourceEntry {
    /// The keys given that only other kinds have, by name.
    fn foreign_keys(&self) -> Vec<&'static str> {
        let given = [
            (
                "node_label",
                self.node_label.is_some(),
                &[SourceKind::Prometheus, SourceKind::Alertmanager, SourceKind::Cloudwatch][..],
            ),
            ("components", self.components.is_some(), &[SourceKind::Statuspage]),
            ("logs_query", self.logs_query.is_some(), &[SourceKind::Loki]),
            ("logs_label", self.logs_label.is_some(), &[SourceKind::Loki]),
            ("logs_limit", self.logs_limit.is_some(), &[SourceKind::Loki]),
            ("node_logs", self.node_logs.is_some(), &[SourceKind::Loki]),
            ("discover_edges", self.discover_edges.is_some(), &[SourceKind::Prometheus]),
            ("servicegraph_metric", self.servicegraph_metric.is_some(), &[SourceKind::Prometheus]),
            ("alerts", self.alerts.is_some(), &[SourceKind::Prometheus]),
            ("alarm_nodes", self.alarm_nodes.is_some(), &[SourceKind::Cloudwatch]),
        ];
        given
            .iter()
            .filter(|(_, set, kinds)| *set && !kinds.contains(&self.kind))
            .map(|(key, ..)| *key)
            .collect()
    }

    /// What only this entry's kind has, with the defaults for what was not given.
    fn options(&self) -> SourceOptions {
        let node_label = self.node_label.clone().unwrap_or_else(|| "service".to_owned());
        match self.kind {
            SourceKind::Prometheus => SourceOptions::Prometheus {
                discover_edges: self.discover_edges.unwrap_or(false).then(|| {
                    self.servicegraph_metric
                        .clone()
                        .unwrap_or_else(|| "traces_service_graph_request_total".to_owned())
                }),
                rule_alerts: self.alerts.unwrap_or(false),
                node_label,
            },
            SourceKind::Alertmanager => SourceOptions::Alertmanager { node_label },
            SourceKind::Statuspage => {
                SourceOptions::Statuspage { components: self.components.clone().unwrap_or_default() }
            }
            SourceKind::Loki => SourceOptions::Loki {
                logs_query: self.logs_query.clone(),
                logs_label: self.logs_label.clone().unwrap_or_else(|| "app".to_owned()),
                logs_limit: self.logs_limit.unwrap_or(100),
                node_logs: self.node_logs.clone().unwrap_or_default(),
            },
            SourceKind::Cloudwatch => SourceOptions::Cloudwatch {
                node_dimension: node_label,
                alarm_nodes: self.alarm_nodes.clone().unwrap_or_default(),
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalEntry {
    metric: Spanned<String>,
    source: Spanned<String>,
    query: String,
    label: String,
}

fn default_timeout() -> f64 {
    5.0
}
fn default_interval() -> f64 {
    15.0
}
fn default_max_mb() -> f64 {
    10.0
}

impl Config {
    /// Reads and checks a configuration file.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file, the line and what was expected.
    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let text = crate::files::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_owned(),
            line: None,
            message: format!("cannot read: {e}"),
        })?;
        Config::parse(path, &text)
    }

    /// Parses a configuration's text; `path` is where it came from (for errors and relative paths).
    ///
    /// # Errors
    /// As [`Config::read`].
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let err = |offset: Option<usize>, message: String| ConfigError {
            path: path.to_owned(),
            line: offset.map(|o| crate::text::line_at(text, o)),
            message,
        };
        let file: File = toml::from_str(text)
            .map_err(|e| err(e.span().map(|s| s.start), e.message().trim().to_owned()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let topology = file.topology.map(|t| base.join(t.file.get_ref()));
        let grafana = match file.grafana {
            None => None,
            Some(g) => {
                let url = g.url.get_ref().trim_end_matches('/').to_owned();
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(err(
                        Some(g.url.span().start),
                        format!("grafana.url: expected http:// or https://, got '{url}'"),
                    ));
                }
                Some(GrafanaConfig { url, prometheus_uid: g.prometheus_uid })
            }
        };

        let mut sources = Vec::new();
        for entry in file.source {
            let at = Some(entry.span().start);
            let s = entry.into_inner();
            if let Some(key) = s.foreign_keys().first() {
                return Err(err(at, format!("source.{key}: not a key of a {} source", s.kind.name())));
            }
            let options = s.options();
            if sources.iter().any(|o: &SourceConfig| o.name == s.name) {
                return Err(err(at, format!("source.name: '{}' is used twice", s.name)));
            }
            let url = s.url.get_ref().trim_end_matches('/').to_owned();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(err(
                    Some(s.url.span().start),
                    format!("source.url: expected http:// or https://, got '{url}'"),
                ));
            }
            if !(s.timeout_secs > 0.0 && s.interval_secs > 0.0 && s.max_response_mb > 0.0) {
                return Err(err(
                    at,
                    "source: timeout_secs, interval_secs and max_response_mb must be positive".to_owned(),
                ));
            }
            let secret =
                |env, keyring, key: &str| secret_ref(env, keyring, &format!("source: {key}"), at, &err);
            let bearer = secret(s.bearer_token_env, s.bearer_token_keyring, "bearer_token")?;
            let password = secret(s.basic_password_env, s.basic_password_keyring, "basic_password")?;
            let aws_secret = secret(
                s.aws_secret_access_key_env,
                s.aws_secret_access_key_keyring,
                "aws_secret_access_key",
            )?;
            let auth = if s.kind == SourceKind::Cloudwatch {
                if bearer.is_some() || s.basic_user.is_some() || password.is_some() {
                    return Err(err(
                        at,
                        "source: cloudwatch signs with AWS keys, not a token or password".to_owned(),
                    ));
                }
                let Some(region) = s.region else {
                    return Err(err(at, "source.region: missing, e.g. region = \"eu-west-1\"".to_owned()));
                };
                Auth::Aws(AwsAuth {
                    region,
                    service: "monitoring".to_owned(),
                    access_key_id: SecretRef::Env(
                        s.aws_access_key_id_env.unwrap_or_else(|| "AWS_ACCESS_KEY_ID".to_owned()),
                    ),
                    secret_access_key: aws_secret
                        .unwrap_or_else(|| SecretRef::Env("AWS_SECRET_ACCESS_KEY".to_owned())),
                    session_token: Some(SecretRef::Env(
                        s.aws_session_token_env.unwrap_or_else(|| "AWS_SESSION_TOKEN".to_owned()),
                    )),
                })
            } else {
                if s.region.is_some()
                    || s.aws_access_key_id_env.is_some()
                    || aws_secret.is_some()
                    || s.aws_session_token_env.is_some()
                {
                    return Err(err(
                        at,
                        "source: region and aws_* keys are for kind = \"cloudwatch\"".to_owned(),
                    ));
                }
                match (bearer, s.basic_user, password) {
                    (None, None, None) => Auth::None,
                    (Some(token), None, None) => Auth::Bearer(token),
                    (None, Some(user), Some(password)) => Auth::Basic { user, password },
                    _ => {
                        return Err(err(
                            at,
                            "source: give either bearer_token_env (or _keyring), or basic_user with basic_password_env (or _keyring)"
                                .to_owned(),
                        ));
                    }
                }
            };
            let ca_file = readable(base, s.ca_file, "source.ca_file", &err)?;
            sources.push(SourceConfig {
                name: s.name,
                url,
                timeout: Duration::from_secs_f64(s.timeout_secs),
                interval: Duration::from_secs_f64(s.interval_secs),
                auth,
                headers: s.headers.into_iter().collect(),
                max_bytes: (s.max_response_mb * 1024.0 * 1024.0) as usize,
                ca_file,
                options,
            });
        }

        let mut signals = Vec::new();
        for entry in file.signal {
            let s = entry.into_inner();
            let metric: Metric = s
                .metric
                .get_ref()
                .parse()
                .map_err(|e| err(Some(s.metric.span().start), format!("signal.metric: {e}")))?;
            let source = s.source.get_ref();
            match sources.iter().find(|o| o.name == *source) {
                Some(o) if matches!(o.kind(), SourceKind::Prometheus | SourceKind::Loki) => {}
                Some(_) => {
                    return Err(err(
                        Some(s.source.span().start),
                        format!("signal.source: '{source}' is not a prometheus or loki source"),
                    ));
                }
                None => {
                    return Err(err(
                        Some(s.source.span().start),
                        format!("signal.source: no source named '{source}'"),
                    ));
                }
            }
            signals.push(SignalConfig { metric, source: source.clone(), query: s.query, label: s.label });
        }
        let mut thresholds = Vec::new();
        for entry in file.threshold {
            let at = Some(entry.span().start);
            let t = entry.into_inner();
            let metric: Metric = t
                .metric
                .get_ref()
                .parse()
                .map_err(|e| err(Some(t.metric.span().start), format!("threshold.metric: {e}")))?;
            let limits = [
                (t.degraded_above, None, crate::model::Health::Degraded),
                (t.down_above, None, crate::model::Health::Down),
                (None, t.degraded_below, crate::model::Health::Degraded),
                (None, t.down_below, crate::model::Health::Down),
            ];
            let before = thresholds.len();
            for (above, below, health) in limits {
                if above.or(below).is_some_and(|v| !v.is_finite()) {
                    return Err(err(at, "threshold: limits must be finite numbers".to_owned()));
                }
                if above.is_some() || below.is_some() {
                    thresholds.push(crate::health::Threshold {
                        node: t.node.clone(),
                        metric,
                        above,
                        below,
                        health,
                    });
                }
            }
            if thresholds.len() == before {
                return Err(err(
                    at,
                    "threshold: give at least one of degraded_above, down_above, degraded_below, down_below"
                        .to_owned(),
                ));
            }
        }
        let mut runbooks = Vec::new();
        for dir in file.runbooks {
            let folder = base.join(dir.get_ref());
            if !folder.is_dir() {
                return Err(err(
                    Some(dir.span().start),
                    format!("runbooks: {} is not a folder (of runbook .md files)", folder.display()),
                ));
            }
            runbooks.push(folder);
        }
        let hysteresis = match file.hysteresis {
            None => Hysteresis::default(),
            Some(entry) => {
                let at = Some(entry.span().start);
                let h = entry.into_inner();
                let defaults = Hysteresis::default();
                let hysteresis = Hysteresis {
                    health_cycles: h.health_cycles.unwrap_or(defaults.health_cycles),
                    check_cycles: h.check_cycles.unwrap_or(defaults.check_cycles),
                };
                if hysteresis.health_cycles == 0 || hysteresis.check_cycles == 0 {
                    return Err(err(
                        at,
                        "hysteresis: cycles count from 1 (1: every change at once)".to_owned(),
                    ));
                }
                hysteresis
            }
        };
        let sync = match file.sync {
            None => None,
            Some(entry) => {
                let at = entry.span().start;
                Some(entry.into_inner().check(base, at, &err)?)
            }
        };
        let mut channels: Vec<crate::updates::ChannelConfig> = Vec::new();
        for entry in file.channel {
            let at = entry.span().start;
            let channel = entry.into_inner().check(base, at, &err)?;
            if channels.iter().any(|c| c.name == channel.name) {
                return Err(err(Some(at), format!("channel.name: '{}' is used twice", channel.name)));
            }
            channels.push(channel);
        }
        let templates = match file.templates {
            None => None,
            Some(dir) => {
                let folder = base.join(dir.get_ref());
                if !folder.is_dir() {
                    return Err(err(
                        Some(dir.span().start),
                        format!(
                            "templates: {} is not a folder (of responders.md, exec.md, public.md)",
                            folder.display()
                        ),
                    ));
                }
                Some(folder)
            }
        };
        let prometheus: Vec<&str> =
            sources.iter().filter(|s| s.kind() == SourceKind::Prometheus).map(|s| s.name.as_str()).collect();
        let mut changes: Vec<crate::changes::ChangeSource> = Vec::new();
        for entry in file.changes {
            let at = entry.span().start;
            let source = entry.into_inner().check(base, at, &prometheus, &err)?;
            if changes.iter().any(|c| c.name == source.name) {
                return Err(err(Some(at), format!("changes.name: '{}' is used twice", source.name)));
            }
            changes.push(source);
        }
        let change_lookback = file
            .change_lookback_minutes
            .map_or(crate::changes::DEFAULT_LOOKBACK, |m| Duration::from_secs(m.saturating_mul(60)));
        Ok(Config {
            path: path.to_owned(),
            changes,
            change_lookback,
            topology,
            sources,
            signals,
            grafana,
            thresholds,
            runbooks,
            hysteresis,
            sync,
            cadence: file.cadence.map(crate::updates::CadenceEntry::check).unwrap_or_default(),
            channels,
            templates,
        })
    }
}

/// A file the configuration names (relative to its folder), which must be readable; `key` names
/// it in the error.
pub(crate) fn readable(
    base: &Path,
    file: Option<Spanned<String>>,
    key: &str,
    err: &dyn Fn(Option<usize>, String) -> ConfigError,
) -> Result<Option<PathBuf>, ConfigError> {
    let Some(file) = file else { return Ok(None) };
    let path = base.join(file.get_ref());
    if !path.is_file() {
        return Err(err(
            Some(file.span().start),
            format!("{key}: {} is not a readable file", path.display()),
        ));
    }
    Ok(Some(path))
}

/// A secret named by an environment variable (`KEY_env`) or a keyring entry (`KEY_keyring`),
/// not both; `key` is `table: name` as the error says it.
pub(crate) fn secret_ref(
    env: Option<String>,
    keyring: Option<String>,
    key: &str,
    at: Option<usize>,
    err: &dyn Fn(Option<usize>, String) -> ConfigError,
) -> Result<Option<SecretRef>, ConfigError> {
    match (env, keyring) {
        (None, None) => Ok(None),
        (Some(env), None) => Ok(Some(SecretRef::Env(env))),
        (None, Some(entry)) => Ok(Some(SecretRef::Keyring(entry))),
        (Some(_), Some(_)) => {
            let (table, name) = key.split_once(": ").unwrap_or(("", key));
            Err(err(at, format!("{table}: give {name}_env or {name}_keyring, not both")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/etc/warroom/warroom.toml"), text)
    }

    #[test]
    fn a_full_config_parses_with_defaults() {
        let config = parse(
            r#"
[topology]
file = "topo.toml"

[[source]]
name = "prom"
kind = "prometheus"
url = "http://127.0.0.1:9090/"
bearer_token_env = "PROM_TOKEN"
headers = { "X-Scope-OrgID" = "ops" }

[[source]]
name = "am"
kind = "alertmanager"
url = "https://am.example"
interval_secs = 5

[[signal]]
metric = "up"
source = "prom"
query = "up"
label = "job"
"#,
        )
        .unwrap();
        assert_eq!(config.topology, Some(PathBuf::from("/etc/warroom/topo.toml")));
        assert_eq!(config.sources[0].url, "http://127.0.0.1:9090");
        assert_eq!(config.sources[0].auth, Auth::Bearer(SecretRef::Env("PROM_TOKEN".into())));
        assert_eq!(config.sources[0].timeout, Duration::from_secs(5));
        assert_eq!(config.sources[1].interval, Duration::from_secs(5));
        assert_eq!(config.signals[0].metric, Metric::Up);
    }

    #[test]
    fn errors_name_the_file_line_and_key() {
        let e = parse("[[source]]\nname = \"p\"\nkind = \"graphite\"\nurl = \"http://x\"\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.to_string().starts_with("/etc/warroom/warroom.toml:3: unknown variant `graphite`"), "{e}");

        let e = parse("[[source]]\nname = \"p\"\nkind = \"prometheus\"\nurl = \"ftp://x\"\n").unwrap_err();
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("source.url"), "{e}");

        let e = parse("[[source]]\nname = \"p\"\nkind = \"prometheus\"\nurl = \"http://x\"\n[[signal]]\nmetric = \"temp\"\nsource = \"p\"\nquery = \"q\"\nlabel = \"l\"\n").unwrap_err();
        assert_eq!(e.line, Some(6));
        assert!(e.message.contains("signal.metric") && e.message.contains("http_5xx_ratio"), "{e}");

        let e = parse("[[signal]]\nmetric = \"up\"\nsource = \"nope\"\nquery = \"up\"\nlabel = \"job\"\n")
            .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("no source named 'nope'"));

        let e = parse(
            "[[source]]\nname = \"p\"\nkind = \"prometheus\"\nurl = \"http://x\"\npassword = \"hunter2\"\n",
        )
        .unwrap_err();
        assert!(e.message.contains("unknown field `password`"), "secrets never go in the file: {e}");

        let e = parse("[[source]]\nname = \"p\"\nkind = \"prometheus\"\nurl = \"http://x\"\nbearer_token_env = \"T\"\nbearer_token_keyring = \"t\"\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("bearer_token_env or bearer_token_keyring, not both"), "{e}");

        let e = parse(
            "[[source]]\nname = \"p\"\nkind = \"prometheus\"\nurl = \"http://x\"\nca_file = \"nope.pem\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(5));
        assert!(e.message.contains("/etc/warroom/nope.pem is not a readable file"), "{e}");

        let e = parse("[[source]]\nname = \"aws\"\nkind = \"cloudwatch\"\nurl = \"https://monitoring.eu-west-1.amazonaws.com\"\n").unwrap_err();
        assert!(e.message.contains("source.region: missing"), "{e}");
        let e = parse(
            "[[source]]\nname = \"p\"\nkind = \"prometheus\"\nurl = \"http://x\"\nregion = \"eu-west-1\"\n",
        )
        .unwrap_err();
        assert!(e.message.contains("for kind = \"cloudwatch\""), "{e}");

        let e = parse("[[threshold]]\nmetric = \"cpu_ratio\"\nnode = \"batch\"\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("at least one of degraded_above"), "{e}");
        let e = parse("[[threshold]]\nmetric = \"cpu\"\ndown_above = 0.9\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        let config = parse("[[threshold]]\nmetric = \"cpu_ratio\"\nnode = \"batch\"\ndegraded_above = 0.95\ndown_above = 0.99\n").unwrap();
        assert_eq!(config.thresholds.len(), 2);
        assert_eq!(config.thresholds[1].health, crate::model::Health::Down);
        assert_eq!(config.thresholds[1].node.as_deref(), Some("batch"));
    }

    #[test]
    fn grafana_explore_links_carry_the_queries_encoded() {
        let config =
            parse("[grafana]\nurl = \"https://grafana.example/\"\nprometheus_uid = \"prom-1\"\n").unwrap();
        let grafana = config.grafana.unwrap();
        let url = grafana.explore_url(&["sum by (service) (rate(x{code=~\"5..\"}[5m]))"]);
        assert!(url.starts_with("https://grafana.example/explore?schemaVersion=1&orgId=1&panes="), "{url}");
        let parsed = reqwest::Url::parse(&url).unwrap();
        let panes = parsed.query_pairs().find(|(k, _)| k == "panes").unwrap().1.into_owned();
        let panes: serde_json::Value = serde_json::from_str(&panes).unwrap();
        assert_eq!(panes["a"]["queries"][0]["expr"], "sum by (service) (rate(x{code=~\"5..\"}[5m]))");
        assert_eq!(panes["a"]["queries"][0]["datasource"]["uid"], "prom-1");
        assert_eq!(panes["a"]["range"]["from"], "now-30m");
        let e = parse("[grafana]\nurl = \"grafana.example\"\nprometheus_uid = \"p\"\n").unwrap_err();
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn secrets_come_from_the_environment_or_the_keyring_and_aws_has_defaults() {
        let config = parse(
            r#"
[[source]]
name = "p"
kind = "prometheus"
url = "http://x"
basic_user = "warroom"
basic_password_keyring = "prom-password"

[[source]]
name = "aws"
kind = "cloudwatch"
url = "https://monitoring.eu-west-1.amazonaws.com"
region = "eu-west-1"
node_label = "DBInstanceIdentifier"

[[source]]
name = "loki"
kind = "loki"
url = "http://l"

[[signal]]
metric = "error_log_rate"
source = "loki"
query = 'sum by (app) (rate({level="error"}[5m]))'
label = "app"
"#,
        )
        .unwrap();
        assert_eq!(
            config.sources[0].auth,
            Auth::Basic { user: "warroom".into(), password: SecretRef::Keyring("prom-password".into()) }
        );
        let Auth::Aws(aws) = &config.sources[1].auth else { panic!("{:?}", config.sources[1].auth) };
        assert_eq!(aws.region, "eu-west-1");
        assert_eq!(aws.service, "monitoring");
        assert_eq!(aws.access_key_id, SecretRef::Env("AWS_ACCESS_KEY_ID".into()));
        assert_eq!(aws.secret_access_key, SecretRef::Env("AWS_SECRET_ACCESS_KEY".into()));
        assert_eq!(config.signals[0].source, "loki", "Loki metric queries are signals too");
        assert_eq!(SecretRef::Keyring("k".into()).to_string(), "keyring entry 'k'");
    }

    /// A key of another kind of source is refused on its line, not silently ignored.
    #[test]
    fn a_key_of_another_kind_of_source_is_refused_on_its_line() {
        let e = parse("[[source]]\nname = \"prom\"\nkind = \"prometheus\"\nurl = \"http://p\"\ncomponents = { api = \"API\" }\n")
            .unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        assert!(e.to_string().contains("source.components: not a key of a prometheus source"), "{e}");
        let loki =
            parse("[[source]]\nname = \"l\"\nkind = \"loki\"\nurl = \"http://l\"\nlogs_limit = 5\n").unwrap();
        assert_eq!(
            loki.sources[0].options,
            SourceOptions::Loki {
                logs_query: None,
                logs_label: "app".into(),
                logs_limit: 5,
                node_logs: BTreeMap::new()
            }
        );
        assert_eq!(loki.sources[0].kind(), SourceKind::Loki);
    }

    /// `runbooks` names folders relative to the file; one that is not a folder is an error.
    #[test]
    fn runbook_folders_are_relative_to_the_file_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("ours")).unwrap();
        let path = dir.path().join("warroom.toml");
        let config = Config::parse(&path, "runbooks = [\"ours\"]\n").unwrap();
        assert_eq!(config.runbooks, [dir.path().join("ours")]);
        let e = Config::parse(&path, "\nrunbooks = [\"missing\"]\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("is not a folder"), "{e}");
    }
}
