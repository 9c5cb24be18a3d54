//! `warroom update ...`: stakeholder updates from the command line: a draft from the live state,
//! a send through the outbox, the list with each update's state, and a retry of what waits.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::Subcommand;
use warroom::config::Config;
use warroom::model::Audience;
use warroom::ops::Actor;
use warroom::runtime::Runtime;
use warroom::store::Store;

use super::print;

#[derive(Debug, Subcommand)]
pub enum UpdateCommand {
    /// Draft an update from what warroom knows now: severity, stage, the outage users see, what
    /// changed since the last update, the next steps, when the next is due.
    Draft {
        /// The incident id, or a unique prefix of it.
        id: String,
        #[arg(long, value_parser = audience_parser())]
        audience: Audience,
        /// Print JSON {"audience","subject","text","next_due"}.
        #[arg(long)]
        json: bool,
    },
    /// Queue an update for a channel and try to deliver it now; prints its id. An unreachable
    /// channel leaves it queued (exit 0), tried again by `update flush`, the window or `watch`.
    Send {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// A configured [[channel]] (repeat for several).
        #[arg(long = "channel", required = true)]
        channels: Vec<String>,
        #[arg(long, value_parser = audience_parser())]
        audience: Audience,
        /// The text, from a file ("-": standard input).
        #[arg(long, conflicts_with = "text", required_unless_present = "text")]
        text_file: Option<PathBuf>,
        /// The text.
        #[arg(long)]
        text: Option<String>,
        /// The subject (an email's, a status page incident's name); default: the draft's.
        #[arg(long)]
        subject: Option<String>,
    },
    /// The updates of an incident and where each stands on its channel.
    List {
        /// The incident id, or a unique prefix of it.
        id: String,
        /// Print JSON [{"id","audience","channel","state","attempts","last_error","sent_at","text",...}].
        #[arg(long)]
        json: bool,
    },
    /// Try every queued update of this laptop now.
    Flush,
}

fn audience_parser() -> impl clap::builder::TypedValueParser<Value = Audience> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    let values = Audience::ALL.map(|a| PossibleValue::new(a.name()).help(a.meaning()));
    PossibleValuesParser::new(values).try_map(|s| s.parse::<Audience>())
}

/// `warroom update ...` on the log `store`, with the configuration at `config` (its channels,
/// cadence and templates).
pub fn run(cmd: UpdateCommand, store: Store, config: Option<&Path>, actor: &Actor) -> Result<()> {
    let config = config.map(Config::read).transpose()?;
    let runtime = Runtime::new(store, super::watch::library(config.as_ref()));
    if let Some(c) = &config {
        runtime.use_extras(c);
    }
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match cmd {
        UpdateCommand::Draft { id, audience, json } => {
            let id = runtime.log().find_incident(&id)?;
            let draft = runtime.draft_update(id, audience, Utc::now())?;
            if json {
                print::json(&draft)
            } else {
                say!("# {}", draft.subject);
                say!();
                print::text(&draft.text);
                Ok(())
            }
        }
        UpdateCommand::Send { id, channels, audience, text_file, text, subject } => {
            let id = runtime.log().find_incident(&id)?;
            let text = match (text, text_file) {
                (Some(t), _) => t,
                (None, Some(f)) if f.as_os_str() == "-" => std::io::read_to_string(std::io::stdin())?,
                (None, Some(f)) => {
                    std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?
                }
                (None, None) => bail!("give --text or --text-file"),
            };
            let subject = match subject {
                Some(s) => s,
                None => runtime.draft_update(id, audience, Utc::now())?.subject,
            };
            let ids = runtime.send_update(actor, id, audience, &channels, &subject, &text)?;
            for update in &ids {
                say!("{update}");
            }
            let tried = tokio.block_on(runtime.flush_updates(Utc::now()))?;
            for t in tried.iter().filter(|t| ids.contains(&t.update)) {
                match t.state {
                    "sent" => say_err!("sent to {}", t.channel),
                    "failed" => say_err!(
                        "warroom: {} refused it: {}",
                        t.channel,
                        t.error.as_deref().unwrap_or("no reason given")
                    ),
                    _ => say_err!(
                        "queued: {} cannot take it now ({}); `warroom update flush`, the window or `warroom watch` will try again",
                        t.channel,
                        t.error.as_deref().unwrap_or("no reason given")
                    ),
                }
            }
            Ok(())
        }
        UpdateCommand::List { id, json } => {
            let id = runtime.log().find_incident(&id)?;
            let updates = runtime.updates_of(id)?;
            if json {
                return print::json(&updates);
            }
            for u in &updates {
                let when = u.sent_at.map_or_else(|| "-".to_owned(), warroom::time::to_db);
                let why = u.last_error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default();
                say!(
                    "{}  {:<10} {:<14} {:<7} {} attempt(s), sent {when}{why}: {}",
                    u.id,
                    u.audience.name(),
                    u.channel,
                    u.state.name(),
                    u.attempts,
                    u.subject
                );
            }
            Ok(())
        }
        UpdateCommand::Flush => {
            let tried = tokio.block_on(runtime.flush_updates(Utc::now()))?;
            if tried.is_empty() {
                say!("nothing queued");
            }
            for t in &tried {
                let why = t.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
                say!("{} {} {}{why}", t.update, t.channel, t.state);
            }
            Ok(())
        }
    }
}
