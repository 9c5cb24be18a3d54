//! `[cadence]`, `[[channel]]` and `templates` in warroom.toml: how often stakeholders hear from
//! the incident, where updates go, and the team's own update templates. Secrets (a Slack webhook
//! URL, a webhook's signing key, an SMTP password, a Statuspage API key) are referenced by an
//! environment variable or an OS keyring entry, never written in the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::config::{ConfigError, SecretRef, readable, secret_ref};
use crate::model::{Audience, Severity};

/// How often an update is due, per severity (`None`: no cadence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    pub sev1: Option<Duration>,
    pub sev2: Option<Duration>,
    pub sev3: Option<Duration>,
    pub sev4: Option<Duration>,
}

impl Default for Cadence {
    /// SEV1 every 15 min, SEV2 30, SEV3 60, SEV4 none.
    fn default() -> Cadence {
        let minutes = |m: u64| Some(Duration::from_secs(m * 60));
        Cadence { sev1: minutes(15), sev2: minutes(30), sev3: minutes(60), sev4: None }
    }
}

impl Cadence {
    /// The interval for an incident of this severity.
    pub fn every(&self, severity: Severity) -> Option<Duration> {
        match severity {
            Severity::Sev1 => self.sev1,
            Severity::Sev2 => self.sev2,
            Severity::Sev3 => self.sev3,
            Severity::Sev4 => self.sev4,
        }
    }
}

/// One place updates go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    pub name: String,
    /// The audiences it is for (the window preselects it for them); all when not said.
    pub audiences: Vec<Audience>,
    pub timeout: Duration,
    pub kind: ChannelKind,
}

/// What a channel is, with what only its kind has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    /// A Slack incoming webhook (also what Mattermost and Rocket.Chat accept): the URL is the
    /// secret.
    Slack { url: SecretRef },
    /// A JSON POST of the update, signed with HMAC-SHA256 when a secret is named.
    Webhook { url: String, secret: Option<SecretRef> },
    /// SMTP with STARTTLS (or plain, only when asked for).
    Email {
        host: String,
        port: u16,
        starttls: bool,
        username: Option<String>,
        password: Option<SecretRef>,
        from: String,
        to: Vec<String>,
        ca_file: Option<PathBuf>,
    },
    /// The Atlassian Statuspage manage API: an incident created by the first public update and
    /// updated by the next ones; components from the blast radius.
    Statuspage {
        url: String,
        page_id: String,
        api_key: SecretRef,
        /// Node id → Statuspage component id.
        components: BTreeMap<String, String>,
    },
}

impl ChannelKind {
    /// The kind's name, as written in the file.
    pub fn name(&self) -> &'static str {
        match self {
            ChannelKind::Slack { .. } => "slack",
            ChannelKind::Webhook { .. } => "webhook",
            ChannelKind::Email { .. } => "email",
            ChannelKind::Statuspage { .. } => "statuspage",
        }
    }
}

/// `[cadence]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CadenceEntry {
    sev1_minutes: Option<u64>,
    sev2_minutes: Option<u64>,
    sev3_minutes: Option<u64>,
    sev4_minutes: Option<u64>,
}

impl CadenceEntry {
    /// The cadence; 0 minutes means none for that severity.
    pub(crate) fn check(self) -> Cadence {
        let d = Cadence::default();
        let pick = |m: Option<u64>, default: Option<Duration>| match m {
            None => default,
            Some(0) => None,
            Some(m) => Some(Duration::from_secs(m.saturating_mul(60))),
        };
        Cadence {
            sev1: pick(self.sev1_minutes, d.sev1),
            sev2: pick(self.sev2_minutes, d.sev2),
            sev3: pick(self.sev3_minutes, d.sev3),
            sev4: pick(self.sev4_minutes, d.sev4),
        }
    }
}

/// `[[channel]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChannelEntry {
    name: String,
    kind: String,
    #[serde(default)]
    audiences: Vec<String>,
    timeout_secs: Option<f64>,
    url: Option<Spanned<String>>,
    url_env: Option<String>,
    url_keyring: Option<String>,
    secret_env: Option<String>,
    secret_keyring: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    starttls: Option<bool>,
    username: Option<String>,
    password_env: Option<String>,
    password_keyring: Option<String>,
    from: Option<String>,
    #[serde(default)]
    to: Vec<String>,
    ca_file: Option<Spanned<String>>,
    page_id: Option<String>,
    api_key_env: Option<String>,
    api_key_keyring: Option<String>,
    #[serde(default)]
    components: BTreeMap<String, String>,
}

/// The keys each kind takes besides `name`, `kind`, `audiences`, `timeout_secs`.
const KEYS: [(&str, &[&str]); 4] = [
    ("slack", &["url", "url_env", "url_keyring"]), // `url` only to say it belongs in a secret
    ("webhook", &["url", "secret_env", "secret_keyring"]),
    (
        "email",
        &[
            "host",
            "port",
            "starttls",
            "username",
            "password_env",
            "password_keyring",
            "from",
            "to",
            "ca_file",
        ],
    ),
    ("statuspage", &["url", "page_id", "api_key_env", "api_key_keyring", "components"]),
];

impl ChannelEntry {
    fn given(&self) -> Vec<&'static str> {
        let set = [
            ("url", self.url.is_some()),
            ("url_env", self.url_env.is_some()),
            ("url_keyring", self.url_keyring.is_some()),
            ("secret_env", self.secret_env.is_some()),
            ("secret_keyring", self.secret_keyring.is_some()),
            ("host", self.host.is_some()),
            ("port", self.port.is_some()),
            ("starttls", self.starttls.is_some()),
            ("username", self.username.is_some()),
            ("password_env", self.password_env.is_some()),
            ("password_keyring", self.password_keyring.is_some()),
            ("from", self.from.is_some()),
            ("to", !self.to.is_empty()),
            ("ca_file", self.ca_file.is_some()),
            ("page_id", self.page_id.is_some()),
            ("api_key_env", self.api_key_env.is_some()),
            ("api_key_keyring", self.api_key_keyring.is_some()),
            ("components", !self.components.is_empty()),
        ];
        set.into_iter().filter(|(_, given)| *given).map(|(k, _)| k).collect()
    }

    /// Checks the entry at byte offset `at`; `base` is the configuration's folder.
    pub(crate) fn check(
        self,
        base: &Path,
        at: usize,
        err: &dyn Fn(Option<usize>, String) -> ConfigError,
    ) -> Result<ChannelConfig, ConfigError> {
        let at = Some(at);
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            return Err(err(at, "channel.name: give the channel a name, e.g. \"status-page\"".to_owned()));
        }
        let Some((kind, keys)) = KEYS.iter().find(|(k, _)| *k == self.kind) else {
            return Err(err(
                at,
                format!(
                    "channel.kind: '{}' is not a channel kind: slack, webhook, email or statuspage",
                    self.kind
                ),
            ));
        };
        if let Some(key) = self.given().into_iter().find(|k| !keys.contains(k)) {
            return Err(err(at, format!("channel.{key}: not a key of a {kind} channel")));
        }
        let audiences = if self.audiences.is_empty() {
            Audience::ALL.to_vec()
        } else {
            self.audiences
                .iter()
                .map(|a| a.parse::<Audience>().map_err(|e| err(at, format!("channel.audiences: {e}"))))
                .collect::<Result<_, _>>()?
        };
        let timeout = match self.timeout_secs {
            None => Duration::from_secs(10),
            Some(t) if t.is_finite() && t > 0.0 => Duration::from_secs_f64(t),
            Some(t) => {
                return Err(err(at, format!("channel.timeout_secs: expected a positive number, got {t}")));
            }
        };
        let http = |url: &Spanned<String>, key: &str| -> Result<String, ConfigError> {
            let u = url.get_ref().trim().trim_end_matches('/').to_owned();
            if u.starts_with("https://") || u.starts_with("http://") {
                Ok(u)
            } else {
                Err(err(
                    Some(url.span().start),
                    format!("channel.{key}: expected http:// or https://, got '{u}'"),
                ))
            }
        };
        let needed = |what: &str| err(at, format!("channel: a {kind} channel needs {what}"));
        let kind = match *kind {
            "slack" => {
                if self.url.is_some() {
                    return Err(err(
                        at,
                        "channel.url: a Slack webhook URL is a secret: name it with url_env or url_keyring"
                            .to_owned(),
                    ));
                }
                let url = secret_ref(self.url_env, self.url_keyring, "channel: url", at, err)?
                    .ok_or_else(|| needed("url_env or url_keyring (the webhook URL is a secret)"))?;
                ChannelKind::Slack { url }
            }
            "webhook" => ChannelKind::Webhook {
                url: http(self.url.as_ref().ok_or_else(|| needed("url"))?, "url")?,
                secret: secret_ref(self.secret_env, self.secret_keyring, "channel: secret", at, err)?,
            },
            "email" => {
                let starttls = self.starttls.unwrap_or(true);
                let to: Vec<String> =
                    self.to.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
                if to.is_empty() {
                    return Err(needed("to = [\"someone@example.com\"]"));
                }
                ChannelKind::Email {
                    host: self.host.ok_or_else(|| needed("host"))?,
                    port: self.port.unwrap_or(587),
                    starttls,
                    username: self.username,
                    password: secret_ref(
                        self.password_env,
                        self.password_keyring,
                        "channel: password",
                        at,
                        err,
                    )?,
                    from: self.from.ok_or_else(|| needed("from"))?,
                    to,
                    ca_file: readable(base, self.ca_file, "channel.ca_file", err)?,
                }
            }
            _ => ChannelKind::Statuspage {
                url: match self.url.as_ref() {
                    Some(u) => http(u, "url")?,
                    None => "https://api.statuspage.io".to_owned(),
                },
                page_id: self.page_id.ok_or_else(|| needed("page_id"))?,
                api_key: secret_ref(self.api_key_env, self.api_key_keyring, "channel: api_key", at, err)?
                    .ok_or_else(|| needed("api_key_env or api_key_keyring"))?,
                components: self.components,
            },
        };
        Ok(ChannelConfig { name, audiences, timeout, kind })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/etc/warroom/warroom.toml"), text)
    }

    #[test]
    fn channels_and_the_cadence_parse_with_their_secrets_by_reference() {
        let config = parse(
            r#"
[cadence]
sev1_minutes = 10
sev4_minutes = 0

[[channel]]
name = "war-room"
kind = "slack"
url_env = "SLACK_WEBHOOK_URL"
audiences = ["responders"]

[[channel]]
name = "status-page"
kind = "statuspage"
page_id = "kctbh9vrtdwd"
api_key_keyring = "statuspage"
components = { "api-gateway" = "8kbf7d35c070" }
"#,
        )
        .unwrap();
        assert_eq!(config.cadence.every(Severity::Sev1), Some(Duration::from_secs(600)));
        assert_eq!(config.cadence.every(Severity::Sev2), Some(Duration::from_secs(1800)));
        assert_eq!(config.cadence.every(Severity::Sev4), None);
        assert_eq!(config.channels.len(), 2);
        assert_eq!(config.channels[0].audiences, [Audience::Responders]);
        assert_eq!(
            config.channels[0].kind,
            ChannelKind::Slack { url: SecretRef::Env("SLACK_WEBHOOK_URL".into()) }
        );
        let ChannelKind::Statuspage { url, components, .. } = &config.channels[1].kind else { panic!() };
        assert_eq!(url, "https://api.statuspage.io");
        assert_eq!(components["api-gateway"], "8kbf7d35c070");
    }

    #[test]
    fn a_wrong_channel_is_refused_with_its_line_and_what_was_expected() {
        let err = parse("\n[[channel]]\nname = \"x\"\nkind = \"pager\"\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("slack, webhook, email or statuspage"), "{err}");
        let err = parse("[[channel]]\nname = \"x\"\nkind = \"email\"\nhost = \"smtp\"\nfrom = \"a@b\"\n")
            .unwrap_err();
        assert!(err.message.contains("to = ["), "{err}");
        let err = parse("[[channel]]\nname = \"x\"\nkind = \"slack\"\nhost = \"smtp\"\n").unwrap_err();
        assert!(err.message.contains("channel.host: not a key of a slack channel"), "{err}");
        let err = parse("[[channel]]\nname = \"x\"\nkind = \"webhook\"\nurl = \"ftp://x\"\n").unwrap_err();
        assert!(err.message.contains("expected http://"), "{err}");
        let err = parse(
            "[[channel]]\nname = \"x\"\nkind = \"webhook\"\nurl = \"http://x\"\naudiences = [\"board\"]\n",
        )
        .unwrap_err();
        assert!(err.message.contains("unknown audience 'board'"), "{err}");
        let twice = "[[channel]]\nname = \"x\"\nkind = \"webhook\"\nurl = \"http://x\"\n".repeat(2);
        assert!(parse(&twice).unwrap_err().message.contains("used twice"));
    }
}
