//! `[sync]` in warroom.toml: where the team's hub is, how to reach it, and what this laptop is
//! called there. The password is referenced (an environment variable or an OS keyring entry),
//! never written in the file.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;

use crate::config::{ConfigError, SecretRef};

/// How this laptop reaches the team's hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// `postgres://user@host:port/db`, without a password.
    pub url: String,
    pub password: Option<SecretRef>,
    /// A CA certificate (PEM) to trust for the hub's TLS certificate, besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Whether the hub's certificate is checked (default: yes).
    pub tls_verify: bool,
    /// What this laptop is called on the hub (default: its host name).
    pub device: String,
}

impl SyncConfig {
    /// The hub as shown to people: the URL (it holds no password).
    pub fn hub(&self) -> &str {
        &self.url
    }
}

/// The `[sync]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyncEntry {
    url: Spanned<String>,
    password_env: Option<String>,
    password_keyring: Option<String>,
    ca_file: Option<Spanned<String>>,
    tls_verify: Option<bool>,
    device: Option<String>,
}

impl SyncEntry {
    /// Checks the table; `base` is the configuration's folder (for `ca_file`), `err` makes an
    /// error at a byte offset of the file.
    pub(crate) fn check(
        self,
        base: &Path,
        at: usize,
        err: &dyn Fn(Option<usize>, String) -> ConfigError,
    ) -> Result<SyncConfig, ConfigError> {
        let url = self.url.get_ref().trim().to_owned();
        let url_at = Some(self.url.span().start);
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(err(
                url_at,
                format!("sync.url: expected postgres://user@host:port/database, got '{url}'"),
            ));
        }
        let parsed = tokio_postgres::Config::from_str(&url).map_err(|e| {
            err(url_at, format!("sync.url: {e}; expected postgres://user@host:port/database"))
        })?;
        if parsed.get_password().is_some() {
            return Err(err(
                url_at,
                "sync.url: holds a password; name it with password_env or password_keyring instead"
                    .to_owned(),
            ));
        }
        if parsed.get_user().is_none() {
            return Err(err(
                url_at,
                "sync.url: names no user, e.g. postgres://mina@hub.example/warroom".to_owned(),
            ));
        }
        let password = crate::config::secret_ref(
            self.password_env,
            self.password_keyring,
            "sync: password",
            Some(at),
            err,
        )?;
        let ca_file = crate::config::readable(base, self.ca_file, "sync.ca_file", err)?;
        let device = match self.device.map(|d| d.trim().to_owned()) {
            None => crate::store::host_name(),
            Some(d) if d.is_empty() || d.len() > 64 || d.chars().any(char::is_control) => {
                return Err(err(Some(at), "sync.device: expected a name of 1 to 64 characters".to_owned()));
            }
            Some(d) => d,
        };
        Ok(SyncConfig { url, password, ca_file, tls_verify: self.tls_verify.unwrap_or(true), device })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn parse(text: &str) -> Result<Config, crate::config::ConfigError> {
        Config::parse(std::path::Path::new("/etc/warroom/warroom.toml"), text)
    }

    #[test]
    fn a_hub_is_named_by_url_its_password_by_reference() {
        let config = parse(
            "[sync]\nurl = \"postgres://mina@hub.example:5432/warroom\"\npassword_env = \"WARROOM_HUB_PASSWORD\"\ndevice = \"mina-laptop\"\n",
        )
        .unwrap();
        let sync = config.sync.unwrap();
        assert_eq!(sync.url, "postgres://mina@hub.example:5432/warroom");
        assert_eq!(sync.password, Some(crate::config::SecretRef::Env("WARROOM_HUB_PASSWORD".into())));
        assert_eq!(sync.device, "mina-laptop");
        assert!(sync.tls_verify);
    }

    #[test]
    fn a_password_in_the_file_or_a_wrong_key_is_refused_with_its_line() {
        let err = parse("\n[sync]\nurl = \"postgres://mina:hunter2@hub.example/warroom\"\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("password_env"), "{err}");
        let err = parse("[sync]\nurl = \"http://hub.example\"\n").unwrap_err();
        assert!(err.message.contains("expected postgres://"), "{err}");
        let err = parse("[sync]\nurl = \"postgres://mina@hub/warroom\"\npassword = \"x\"\n").unwrap_err();
        assert!(err.message.contains("unknown field `password`"), "{err}");
        let err = parse(
            "[sync]\nurl = \"postgres://mina@hub/w\"\npassword_env = \"A\"\npassword_keyring = \"B\"\n",
        )
        .unwrap_err();
        assert!(err.message.contains("not both"), "{err}");
    }
}
