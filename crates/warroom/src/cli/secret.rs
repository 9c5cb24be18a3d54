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
            match secret::set(&name, value)? {
                Stored::Keyring => {
                    say_err!("stored '{name}' in the OS keyring (service '{}')", secret::SERVICE)
                }
                Stored::SessionOnly => say_err!(
                    "stored '{name}' in the session keyring only (the persistent keyring is not available here): it lasts until you log out"
                ),
            }
            Ok(())
        }
        SecretCommand::Delete { name } => {
            secret::delete(&name)?;
            say_err!("deleted '{name}' from the OS keyring");
            Ok(())
        }
    }
}
