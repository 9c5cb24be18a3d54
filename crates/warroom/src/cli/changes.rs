//! `warroom changes ID`: what changed before and during an incident, most suspect first. With
//! `--config` naming change sources (`[[changes]]`), they are asked first and what is new is
//! written on the incident; without, the log alone answers (offline, after the fact).

use anyhow::Result;
use chrono::Utc;
use warroom::config::Config;
use warroom::runtime::Runtime;
use warroom::store::Store;

use super::print;

/// Prints incident `id`'s changes, ranked; asks the configured change sources first.
pub fn run(store: Store, config: Option<&std::path::Path>, id: &str, json: bool) -> Result<()> {
    let config = config.map(Config::read).transpose()?;
    let runtime = Runtime::new(store, super::watch::library(config.as_ref()));
    let id = runtime.log().find_incident(id)?;
    if let Some(c) = config.as_ref().filter(|c| !c.changes.is_empty()) {
        runtime.use_extras(c);
        let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let written = tokio.block_on(runtime.gather_changes(Some(id), Utc::now()))?;
        for status in runtime.change_sources() {
            if let Some(e) = &status.last_error {
                say_err!("warroom: change source '{}' ({}): {e}", status.name, status.kind);
            }
        }
        if written > 0 {
            say_err!("{written} new change(s) written on the incident");
        }
    }
    let ranked = runtime.changes_of(id)?;
    if json {
        return print::json(&ranked);
    }
    if ranked.is_empty() {
        say!("no change recorded on this incident (configure [[changes]] and pass --config)");
    }
    for r in &ranked {
        let by = r.change.by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default();
        say!(
            "{:>2}. {}  {:<9} {:<18} {}{by}  [{}]",
            r.rank,
            warroom::time::to_db(r.change.at),
            r.change.kind.name(),
            r.change.node,
            r.change.summary,
            r.change.source
        );
        say!("    {}", r.reason);
    }
    Ok(())
}
