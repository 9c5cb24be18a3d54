//! An exported incident coming into this log, event by event, in bounded memory.
//!
//! An import is all or nothing, in one transaction with its samples: a file is one thing the
//! user asked for, and half of it in the log would be an incident nobody can tell is incomplete.
//! An id is an event: an imported event whose id the log (or the file, earlier) holds for an
//! event that is not the same (another incident's, or the same one with other content) is
//! refused, naming it and what differs, never skipped as if it were known.
//!
//! The events are taken one at a time as a file is read ([`Importing`]) and written a batch at a
//! time, so a big file needs memory for one batch, not for the whole file. What has to wait is
//! held back, and only that: an export lists events in time order, not in chain order (a note
//! dated back was recorded after later events), so an event whose predecessor in its chain has not
//! come yet waits for it; an event of an incident the log does not have waits for the
//! declaration; events from before chains are sealed at the end, the declaration first, as this
//! laptop's. Besides those, an import keeps the id of every event it was given (16 bytes each:
//! an id given twice is compared with its first copy). An export from warroom holds back a few
//! notes dated back; a file from before chains is held whole.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rusqlite::{Transaction, TransactionBehavior};
use ulid::Ulid;

use super::chain::Row;
use super::events::{Writing, stored, to_sql_error};
use super::merge::{chain_order, merge_rows};
use super::samples::insert_samples;
use super::{Store, StoreError, folds};
use crate::model::{Event, EventKind, Sample};
use crate::time;

/// How many events are written at a time.
const BATCH: usize = 1024;

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    /// Events new to this log.
    pub added: usize,
    /// Events it had already, the same in every respect (or given twice, alike).
    pub known: usize,
    /// Samples new to this log.
    pub samples: usize,
}

impl Store {
    /// Adds an exported incident's events not in the log yet (by id), in one transaction: importing
    /// twice changes nothing. Events that carry their chain are checked against it (a file edited
    /// by hand is refused, naming the event); events from before chains are written as this
    /// laptop's. Returns how many were added.
    ///
    /// # Errors
    /// As [`Importing::event`] and [`Importing::finish`]; nothing is written then.
    pub fn import(&mut self, events: &[Event]) -> Result<usize, StoreError> {
        let mut importing = self.importing()?;
        importing.events(events)?;
        Ok(importing.finish()?.added)
    }

    /// Adds an exported incident (`incident`): its events, as [`Store::import`], and the samples
    /// kept for its charts, all in one transaction: either all of it is written or nothing is.
    ///
    /// # Errors
    /// As [`Importing::event`], [`Importing::samples`] and [`Importing::finish`]; nothing is
    /// written then.
    pub fn import_incident(
        &mut self,
        incident: Ulid,
        events: &[Event],
        samples: &[Sample],
    ) -> Result<Imported, StoreError> {
        let mut importing = self.importing()?;
        importing.events(events)?;
        importing.samples(incident, samples)?;
        importing.finish()
    }

    /// Starts an import: one transaction, fed events and samples as they are read, written when
    /// [`Importing::finish`] says so. Dropped unfinished, it writes nothing.
    ///
    /// # Errors
    /// [`StoreError::Locked`], [`StoreError::Sqlite`].
    pub fn importing(&mut self) -> Result<Importing<'_>, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::from_sqlite(&path, e))?;
        Ok(Importing {
            tx,
            path,
            device: self.device.clone(),
            writing: Writing::default(),
            given: HashMap::new(),
            ready: Vec::new(),
            heads: HashMap::new(),
            waiting: HashMap::new(),
            undeclared: Vec::new(),
            declared: HashSet::new(),
            legacy: Vec::new(),
            early_samples: Vec::new(),
            imported: Imported::default(),
        })
    }
}

/// An import under way (see [`Store::importing`]).
pub struct Importing<'a> {
    tx: Transaction<'a>,
    path: PathBuf,
    /// The laptop events from before chains are written as.
    device: String,
    writing: Writing,
    /// Every id given so far, and whether its first copy was new to the log: a second copy is
    /// compared with the first.
    given: HashMap<Ulid, bool>,
    /// Rows whose chain is in order, to be written at the next batch.
    ready: Vec<Row>,
    /// The hash each chain (incident, device) ends with, with what is ready counted.
    heads: HashMap<(String, String), Option<String>>,
    /// Rows whose predecessor has not come yet, by (incident, device, predecessor's hash).
    waiting: HashMap<(String, String, String), Vec<Row>>,
    /// Rows of incidents the log does not have yet, until their declaration comes.
    undeclared: Vec<Row>,
    /// Incidents known to exist: in the log, or declared by a row ready in this import.
    declared: HashSet<String>,
    /// Events from before chains, sealed last.
    legacy: Vec<Event>,
    /// Samples of incidents not declared yet when they came.
    early_samples: Vec<(Ulid, Vec<Sample>)>,
    imported: Imported,
}

impl std::fmt::Debug for Importing<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Importing").field("path", &self.path).field("imported", &self.imported).finish()
    }
}

impl Importing<'_> {
    fn sqlite(&self, e: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(&self.path, e)
    }

    /// Takes one event of the import. An event the log has already is counted as known if it is
    /// the same in every respect (its chain too, when the event carries one).
    ///
    /// # Errors
    /// [`StoreError::ImportConflict`] for an event whose id the log (or the import, earlier)
    /// holds for an event that is not the same: another incident's, or other content, naming it
    /// and what differs; [`StoreError::BrokenChain`] naming the first event that breaks its
    /// chain (found when its batch is written); [`StoreError::Unreadable`] for the log's copy of
    /// an event this build cannot read; [`StoreError::Sqlite`].
    pub fn event(&mut self, event: Event) -> Result<(), StoreError> {
        let conflict = |path: &Path, copy, differs: Vec<String>| StoreError::ImportConflict {
            path: path.to_owned(),
            event: event.id.to_string(),
            copy,
            differs: differs.join("; "),
        };
        let first = self.given.get(&event.id).copied();
        if first.is_some() {
            // Rare (a file put together by hand): the first copy is looked for where it waits.
            self.flush()?;
        }
        let copy = if first == Some(true) { "earlier in the import" } else { "this log already has" };
        if let Some(row) = stored(&self.tx, &event.id.to_string()).map_err(|e| self.sqlite(e))? {
            let here = row.decode().map_err(|reason| StoreError::Unreadable {
                path: self.path.clone(),
                event: row.id.clone(),
                reason,
            })?;
            let differs = differences(&here, &event);
            if !differs.is_empty() {
                return Err(conflict(&self.path, copy, differs));
            }
            self.given.entry(event.id).or_insert(false);
            self.imported.known += 1;
            return Ok(());
        }
        self.given.insert(event.id, true);
        if first.is_some() {
            let held = self.held(&event.id)?;
            let differs = held.as_ref().map(|held| differences(held, &event)).unwrap_or_default();
            if !differs.is_empty() {
                return Err(conflict(&self.path, "earlier in the import", differs));
            }
            self.imported.known += 1;
            return Ok(());
        }
        if event.hash.is_empty() {
            self.legacy.push(event);
            return Ok(());
        }
        let row = Row::of(&event).map_err(|e| self.sqlite(to_sql_error(e)))?;
        self.offer(row)
    }

    /// Takes events, in the order given, as [`Importing::event`].
    ///
    /// # Errors
    /// As [`Importing::event`].
    pub fn events(&mut self, events: &[Event]) -> Result<(), StoreError> {
        events.iter().try_for_each(|event| self.event(event.clone()))
    }

    /// Takes samples of `incident` (written once its declaration is).
    ///
    /// # Errors
    /// As [`Importing::event`] (a batch of events may be written first); [`StoreError::Sqlite`]
    /// for a sample the log refuses.
    pub fn samples(&mut self, incident: Ulid, samples: &[Sample]) -> Result<(), StoreError> {
        self.flush()?;
        if self.exists(&incident.to_string())? {
            self.imported.samples +=
                insert_samples(&self.tx, incident, samples).map_err(|e| self.sqlite(e))?;
        } else {
            self.early_samples.push((incident, samples.to_vec()));
        }
        Ok(())
    }

    /// Writes what is left and commits: all of the import is in the log.
    ///
    /// # Errors
    /// As [`Importing::event`] and [`Importing::samples`]; nothing is written then.
    pub fn finish(mut self) -> Result<Imported, StoreError> {
        self.flush()?;
        // What never found its place: forks of a chain, events of an incident never declared,
        // events whose predecessor is missing. Merged in chain order, they are written or named.
        let mut left: Vec<Row> = std::mem::take(&mut self.undeclared);
        left.extend(std::mem::take(&mut self.waiting).into_values().flatten());
        self.ready = chain_order(left);
        self.flush()?;
        self.seal_legacy()?;
        for (incident, samples) in std::mem::take(&mut self.early_samples) {
            self.imported.samples +=
                insert_samples(&self.tx, incident, &samples).map_err(|e| self.sqlite(e))?;
        }
        let imported = self.imported;
        let path = self.path;
        self.tx.commit().map_err(|e| StoreError::from_sqlite(&path, e))?;
        Ok(imported)
    }

    /// Puts a chained row where it can go: ready when it follows its chain's end (and its
    /// incident exists, or it declares it), else held back until what it waits for comes.
    fn offer(&mut self, row: Row) -> Result<(), StoreError> {
        if row.kind != "declared" && !self.exists(&row.incident)? {
            self.undeclared.push(row);
            return Ok(());
        }
        let key = (row.incident.clone(), row.device.clone());
        let end = match self.heads.get(&key) {
            Some(end) => end.clone(),
            None => self.writing.head(&self.tx, &key.0, &key.1).map_err(|e| self.sqlite(e))?,
        };
        match &row.prev {
            Some(prev) if end.as_ref() != Some(prev) => {
                self.waiting.entry((key.0, key.1, prev.clone())).or_default().push(row);
                Ok(())
            }
            _ => self.accept(row),
        }
    }

    /// Makes `row` ready, with what waited for it, and writes a batch when there is one.
    fn accept(&mut self, row: Row) -> Result<(), StoreError> {
        let mut next = vec![row];
        let mut declared = false;
        while let Some(row) = next.pop() {
            let (incident, device) = (row.incident.clone(), row.device.clone());
            if let Some(followers) =
                self.waiting.remove(&(incident.clone(), device.clone(), row.hash.clone()))
            {
                next.extend(followers.into_iter().rev());
            }
            if row.kind == "declared" {
                declared = self.declared.insert(incident.clone()) || declared;
            }
            self.heads.insert((incident, device), Some(row.hash.clone()));
            self.ready.push(row);
        }
        if declared {
            // What waited for the declaration is offered again, in the order it came.
            for row in std::mem::take(&mut self.undeclared) {
                self.offer(row)?;
            }
        }
        if self.ready.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Whether the log has `incident`, or its declaration is ready in this import.
    fn exists(&mut self, incident: &str) -> Result<bool, StoreError> {
        if self.declared.contains(incident) {
            return Ok(true);
        }
        let known = self.writing.has_incident(&self.tx, incident).map_err(|e| self.sqlite(e))?;
        if known {
            self.declared.insert(incident.to_owned());
        }
        Ok(known)
    }

    /// Writes the ready rows; the first that breaks its chain refuses the whole import.
    fn flush(&mut self) -> Result<(), StoreError> {
        if self.ready.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.ready);
        let merged = merge_rows(&self.tx, &mut self.writing, &rows, &self.path)?;
        if let Some(problem) = merged.problems.into_iter().next() {
            return Err(StoreError::BrokenChain { path: self.path.clone(), problem });
        }
        self.imported.added += merged.added;
        Ok(())
    }

    /// The first copy of an event given twice, where it waits to be written.
    fn held(&self, id: &Ulid) -> Result<Option<Event>, StoreError> {
        let text = id.to_string();
        let mut rows = self.undeclared.iter().chain(self.waiting.values().flatten());
        if let Some(row) = rows.find(|r| r.id == text) {
            return row.decode().map(Some).map_err(|reason| StoreError::Unreadable {
                path: self.path.clone(),
                event: row.id.clone(),
                reason,
            });
        }
        Ok(self.legacy.iter().find(|e| e.id == *id).cloned())
    }

    /// Writes the events from before chains as this laptop's, the declaration first.
    fn seal_legacy(&mut self) -> Result<(), StoreError> {
        let mut legacy = std::mem::take(&mut self.legacy);
        legacy.sort_by_key(|e| (!matches!(e.kind, EventKind::Declared { .. }), e.at, e.id));
        for event in &mut legacy {
            self.device.clone_into(&mut event.device);
            self.writing.seal_and_insert(&self.tx, event, &self.path)?;
        }
        self.imported.added += legacy.len();
        folds::fold_in(&self.tx, &legacy).map_err(|e| self.sqlite(e))
    }
}

/// What differs between an event as the log (or the import, earlier) has it, `here`, and as the
/// import has it, in words; nothing when they are the same event. The chain (device, the event
/// before, the hash) counts only when the import carries one: an event from before chains takes
/// this laptop's when it is written.
fn differences(here: &Event, imported: &Event) -> Vec<String> {
    fn both<T: std::fmt::Display>(what: &str, here: T, imported: T) -> String {
        format!("{what} ({here} here, {imported} in the import)")
    }
    let mut differs = Vec::new();
    if here.incident != imported.incident {
        differs.push(both("its incident", here.incident, imported.incident));
    }
    if here.kind.tag() != imported.kind.tag() {
        differs.push(both("its kind", here.kind.tag(), imported.kind.tag()));
    } else if here.kind != imported.kind {
        differs.push(format!("what it says (its {})", here.kind.tag()));
    }
    let times = [
        ("its time", here.at, imported.at),
        ("when it was recorded", here.recorded_at, imported.recorded_at),
    ];
    for (what, here, imported) in times {
        let (here, imported) = (time::to_db(here), time::to_db(imported));
        if here != imported {
            differs.push(both(what, here, imported));
        }
    }
    if here.origin != imported.origin {
        differs.push(both("its origin", &here.origin, &imported.origin));
    }
    if here.by != imported.by {
        let by = |e: &Event| e.by.clone().unwrap_or_else(|| "nobody named".to_owned());
        differs.push(both("who wrote it", by(here), by(imported)));
    }
    if !imported.hash.is_empty() {
        if here.device != imported.device {
            differs.push(both("its device", &here.device, &imported.device));
        }
        if here.prev != imported.prev {
            differs.push("the event before it in its chain".to_owned());
        }
        if here.hash != imported.hash {
            differs.push("its hash".to_owned());
        }
    }
    differs
}
