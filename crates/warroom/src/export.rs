//! An incident as a file: `warroom export ID --format json` writes the incident and every event;
//! `warroom import FILE` adds them to another log, ids preserved, so importing twice changes
//! nothing and two logs of one incident merge as a set union. The file carries each device's
//! chain head, and its events their chain: an event edited by hand is refused on import.
//!
//! An import is read as it streams ([`import`]): each event goes to the log as it is read, a batch
//! at a time, in one transaction, so a file takes memory for a batch and what must wait (see
//! `store/import.rs`), not for the file (issue 17: a 100 MB file took 510 MB read whole).

use std::fmt;
use std::io::Read;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::model::{Event, EventKind, Incident, Sample};
use crate::store::{ChainHead, Imported, Store, StoreError};

/// How many samples go to the log at a time.
const SAMPLE_BATCH: usize = 4096;

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
}

/// Why an import was refused: the file (where, and what was expected), or the log. Nothing of
/// the file is written either way.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportFailed {
    #[error(transparent)]
    File(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an event is refused as not the file's: `event` belongs to `of`, the file is of `not`.
fn stray(event: Ulid, of: Ulid, not: Ulid) -> String {
    format!("events: event {event} belongs to incident {of}, not {not}")
}

/// Reads an exported incident from `reader` (the file at `path`, named in errors) into `store`,
/// as it streams: each event is checked and written a batch at a time, in one transaction
/// committed once the whole file has been read and checked. Returns the incident's id and what
/// was written.
///
/// # Errors
/// [`ImportFailed::File`] naming the line for JSON that does not parse or does not have the
/// shape, and what is wrong for a file of another kind or version, or events that do not belong
/// to its incident; [`ImportFailed::Store`] as [`crate::store::Importing::event`]. Nothing is
/// written then.
pub fn import(path: &Path, reader: impl Read, store: &mut Store) -> Result<(Ulid, Imported), ImportFailed> {
    let err = |line, message: String| ImportError { path: path.to_owned(), line, message };
    let mut file = FileSeed { importing: store.importing()?, read: Seen::default(), stopped: None };
    // Buffered: serde_json reads a reader a byte at a time.
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, reader));
    let parsed = (&mut file).deserialize(&mut de).and_then(|()| de.end());
    let FileSeed { importing, read, stopped } = file;
    match (parsed, stopped) {
        (Ok(()), _) => {}
        (Err(_), Some(Stop::Store(e))) => return Err(e.into()),
        (Err(e), Some(Stop::File(message))) => return Err(err(line_of(&e), message).into()),
        (Err(e), None) => {
            let said = e.to_string();
            // The line is said before the message; the reader's own "at line L column C" goes.
            let message = said.rsplit_once(" at line ").map_or(said.as_str(), |(message, _)| message);
            return Err(err(line_of(&e), message.to_owned()).into());
        }
    }
    for (present, field) in [(read.format, "format"), (read.version, "version"), (read.events, "events")] {
        if !present {
            return Err(err(None, format!("missing field `{field}`")).into());
        }
    }
    let Some(id) = read.incident else {
        return Err(err(None, "missing field `incident`".to_owned()).into());
    };
    if read.declared != 1 {
        return Err(err(None, format!("events: expected one declared event, found {}", read.declared)).into());
    }
    Ok((id, importing.finish()?))
}

/// The line a JSON error is on (none for a read error). Read from a stream, the reader has taken
/// the character after a value before it judges it: "column 0" is the end of the line before.
fn line_of(e: &serde_json::Error) -> Option<usize> {
    match (e.line(), e.column()) {
        (0, _) => None,
        (line, 0) => Some(line.saturating_sub(1).max(1)),
        (line, _) => Some(line),
    }
}

/// What [`import`] has read of the file so far.
#[derive(Debug, Default)]
struct Seen {
    format: bool,
    version: bool,
    events: bool,
    /// The incident the file is of.
    incident: Option<Ulid>,
    /// The first event read, and its incident: every other must be of the same incident.
    first: Option<(Ulid, Ulid)>,
    declared: usize,
    /// Samples read and not handed on yet: a batch, or all of them until the file says its
    /// incident.
    samples: Vec<Sample>,
}

/// Why reading stopped before the JSON did.
#[derive(Debug)]
enum Stop {
    File(String),
    Store(StoreError),
}

/// The file as it is read, fed to the import.
struct FileSeed<'s> {
    importing: crate::store::Importing<'s>,
    read: Seen,
    stopped: Option<Stop>,
}

impl FileSeed<'_> {
    /// Stops reading: `stop` is what is said, not the JSON reader's words.
    fn stop<E: de::Error>(&mut self, stop: Stop) -> E {
        let said = match &stop {
            Stop::File(message) => message.clone(),
            Stop::Store(e) => e.to_string(),
        };
        self.stopped = Some(stop);
        E::custom(said)
    }

    fn event<E: de::Error>(&mut self, event: Event) -> Result<(), E> {
        let (_, of) = *self.read.first.get_or_insert((event.id, event.incident));
        let file_is_of = self.read.incident.unwrap_or(of);
        if event.incident != file_is_of {
            return Err(self.stop(Stop::File(stray(event.id, event.incident, file_is_of))));
        }
        if matches!(event.kind, EventKind::Declared { .. }) {
            self.read.declared += 1;
            if self.read.declared > 1 {
                let message = format!("events: expected one declared event, found a second: {}", event.id);
                return Err(self.stop(Stop::File(message)));
            }
        }
        self.importing.event(event).map_err(|e| self.stop(Stop::Store(e)))
    }

    /// Hands the samples read so far on, once the file has said its incident (until then they
    /// are kept).
    fn hand_on_samples<E: de::Error>(&mut self) -> Result<(), E> {
        let Some(id) = self.read.incident else { return Ok(()) };
        if let Err(e) = self.importing.samples(id, &self.read.samples) {
            return Err(self.stop(Stop::Store(e)));
        }
        self.read.samples.clear();
        Ok(())
    }
}

/// The file's keys; others are skipped (`chains` is for `warroom verify`, not for import).
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Key {
    Format,
    Version,
    Incident,
    Events,
    Samples,
    #[serde(other)]
    Other,
}

/// Of the incident as folded, import takes only its id (the events say the rest).
#[derive(Deserialize)]
#[serde(rename = "Incident")]
struct IncidentId {
    id: Ulid,
}

impl<'de> DeserializeSeed<'de> for &mut FileSeed<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut FileSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an exported incident (an object with format, version, incident and events)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Format => {
                    let format: String = map.next_value()?;
                    if format != FORMAT {
                        let message = format!("format: expected \"{FORMAT}\", got \"{format}\"");
                        return Err(self.stop(Stop::File(message)));
                    }
                    self.read.format = true;
                }
                Key::Version => {
                    let version: u32 = map.next_value()?;
                    if version != VERSION {
                        let message = format!("version: this build reads {VERSION}, the file is {version}");
                        return Err(self.stop(Stop::File(message)));
                    }
                    self.read.version = true;
                }
                Key::Incident => {
                    let incident: IncidentId = map.next_value()?;
                    if self.read.incident.is_some() {
                        return Err(self.stop(Stop::File("incident: given twice".to_owned())));
                    }
                    if let Some((event, of)) = self.read.first.filter(|(_, of)| *of != incident.id) {
                        return Err(self.stop(Stop::File(stray(event, of, incident.id))));
                    }
                    self.read.incident = Some(incident.id);
                    self.hand_on_samples()?;
                }
                Key::Events => map.next_value_seed(Each::<Event>(&mut *self, PhantomData))?,
                Key::Samples => map.next_value_seed(Each::<Sample>(&mut *self, PhantomData))?,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// What [`Each`] hands the items of an array to.
trait Take<T> {
    /// What the array is, for the reader's errors.
    const WHAT: &'static str;
    fn take<E: de::Error>(&mut self, item: T) -> Result<(), E>;
    /// The array ended.
    fn done<E: de::Error>(&mut self) -> Result<(), E>;
}

impl Take<Event> for FileSeed<'_> {
    const WHAT: &'static str = "a list of events";

    fn take<E: de::Error>(&mut self, event: Event) -> Result<(), E> {
        self.event(event)
    }

    fn done<E: de::Error>(&mut self) -> Result<(), E> {
        self.read.events = true;
        Ok(())
    }
}

impl Take<Sample> for FileSeed<'_> {
    const WHAT: &'static str = "a list of samples";

    fn take<E: de::Error>(&mut self, sample: Sample) -> Result<(), E> {
        self.read.samples.push(sample);
        if self.read.samples.len() < SAMPLE_BATCH { Ok(()) } else { self.hand_on_samples() }
    }

    fn done<E: de::Error>(&mut self) -> Result<(), E> {
        self.hand_on_samples()
    }
}

/// An array of the file, each item handed on as it is read, never the array whole.
struct Each<'a, 's, T>(&'a mut FileSeed<'s>, PhantomData<T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Each<'_, '_, T>
where
    for<'s> FileSeed<'s>: Take<T>,
{
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Each<'_, '_, T>
where
    for<'s> FileSeed<'s>: Take<T>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(<FileSeed<'_> as Take<T>>::WHAT)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<T>()? {
            self.0.take(item)?;
        }
        self.0.done()
    }
}
