//! An incident as a file: `warroom export ID --format json` writes the incident and every event;
//! `warroom import FILE` adds them to another log, ids preserved, so importing twice changes
//! nothing and two logs of one incident merge as a set union. The file carries each device's
//! chain head, and its events their chain: an event edited by hand is refused on import.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{Event, EventKind, Incident, Sample};
use crate::store::ChainHead;

/// What the file says it is.
pub const FORMAT: &str = "warroom-incident";
/// The version of the file's shape this build writes and reads.
pub const VERSION: u32 = 1;

/// The exported file: `{"format","version","incident","events","samples"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exported {
    pub format: String,
    pub version: u32,
    /// The incident as its events fold (for readers; import takes the events).
    pub incident: Incident,
    pub events: Vec<Event>,
    /// The samples kept with the incident, for its charts (files from before they were kept
    /// have none).
    #[serde(default)]
    pub samples: Vec<Sample>,
    /// Each device's chain head: what `warroom verify` checks the events against.
    #[serde(default)]
    pub chains: Vec<ChainHead>,
}

/// A file that cannot be imported, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ImportError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl Exported {
    /// The file for an incident's events; `None` when they hold no declared event.
    pub fn new(events: Vec<Event>, samples: Vec<Sample>) -> Option<Exported> {
        let incident = Incident::fold(&events)?;
        let chains = crate::store::chain::heads_of(&events);
        Some(Exported { format: FORMAT.to_owned(), version: VERSION, incident, events, samples, chains })
    }

    /// Reads and checks an exported file's text; `path` names it in errors.
    ///
    /// # Errors
    /// [`ImportError`] naming the line for JSON that does not parse or does not have the shape,
    /// and what is wrong for a file of another kind or version, or events that do not belong to
    /// its incident.
    pub fn parse(path: &Path, text: &str) -> Result<Exported, ImportError> {
        let err = |line, message: String| ImportError { path: path.to_owned(), line, message };
        let exported: Exported =
            serde_json::from_str(text).map_err(|e| err(Some(e.line()), e.to_string()))?;
        if exported.format != FORMAT {
            return Err(err(None, format!("format: expected \"{FORMAT}\", got \"{}\"", exported.format)));
        }
        if exported.version != VERSION {
            return Err(err(
                None,
                format!("version: this build reads {VERSION}, the file is {}", exported.version),
            ));
        }
        let id = exported.incident.id;
        if let Some(stray) = exported.events.iter().find(|e| e.incident != id) {
            return Err(err(
                None,
                format!("events: event {} belongs to incident {}, not {id}", stray.id, stray.incident),
            ));
        }
        let declared =
            exported.events.iter().filter(|e| matches!(e.kind, EventKind::Declared { .. })).count();
        if declared != 1 {
            return Err(err(None, format!("events: expected one declared event, found {declared}")));
        }
        Ok(exported)
    }
}
