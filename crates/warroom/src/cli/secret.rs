//! `warroom secret`: a source's secret in the OS keyring, so that it is in neither the
//! configuration, the shell history nor the incident log.

use std::io::Read;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use warroom::secret::{self, Stored};

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Store a secret read from standard input (e.g. `printf %s "$TOKEN" | warroom secret set prom`).
    Set {
        /// The entry's name, as warroom.toml names it (e.g. bearer_token_keyring = "prom").
        name: String,
    },
    /// Say where a secret is stored, without printing it (exit 1 when it is nowhere).
    Check { name: String },
    /// Delete a stored secret.
    Delete { name: String },
}

pub fn run(command: SecretCommand) -> Result<()> {
    match command {
        SecretCommand::Set { name } => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the secret from standard input")?;
            let value = text.trim_end_matches(['\n', '\r']);
            if value.is_empty() {
                bail!(
                    "no secret on standard input: pipe it in, e.g. printf %s \"$TOKEN\" | warroom secret set {name}"
                );
            }
            let stored = secret::set(&name, value)?;
            say_err!("stored '{name}' in {}", place(stored));
            Ok(())
        }
        SecretCommand::Check { name } => {
            let stored = secret::locate(&name)?;
            say_err!("'{name}' is in {}", place(stored));
            Ok(())
        }
        SecretCommand::Delete { name } => {
            secret::delete(&name)?;
            say_err!("deleted '{name}' from the OS keyring");
            Ok(())
        }
    }
}

/// Where a secret is, said with what that store promises.
fn place(stored: Stored) -> String {
    match stored {
        Stored::Desktop => format!("the desktop keyring (service '{}')", secret::SERVICE),
        Stored::KernelPersistent { expiry_secs } => format!(
            "the kernel's persistent keyring (no desktop keyring answered): every process of yours \
             can read it, but it is kept in memory only, lost at reboot{}",
            expiry_secs
                .map(|s| match s {
                    s if s > 0 && s % 86_400 == 0 => format!(" and after {} days unused", s / 86_400),
                    s => format!(
                        " and after {} unused",
                        warroom::postmortem::human(chrono::Duration::seconds(s as i64))
                    ),
                })
                .unwrap_or_default()
        ),
    }
}
