//! Events written elsewhere coming into this log: pulled from the hub, or imported from a file.
//! Each is checked against its device's chain before it is folded; what breaks a chain is left
//! out and reported, never folded.
//!
//! An import is all or nothing, in one transaction with its samples: a file is one thing the
//! user asked for, and half of it in the log would be an incident nobody can tell is incomplete.
//! An id is an event: an imported event whose id the log (or the file, earlier) holds for an
//! event that is not the same (another incident's, or the same one with other content) is
//! refused, naming it and what differs, never skipped as if it were known.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Transaction, TransactionBehavior};
use ulid::Ulid;

use super::chain::{self, ChainProblem, Row};
use super::events::{Insert, Writing, head, known, stored, to_sql_error};
use super::samples::insert_samples;
use super::{Store, StoreError, folds};
use crate::model::{Event, EventKind, Sample};
use crate::time;

/// What a merge of rows from elsewhere did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// Events new to this log.
    pub added: usize,
    /// Events it had already (the same, hash for hash).
    pub known: usize,
    /// Events left out because they break their chain (nothing of them was folded).
    pub problems: Vec<ChainProblem>,
    /// The local sequence numbers the added events got, in order.
    pub seqs: Vec<i64>,
    /// How many events were added, by the device that wrote them.
    pub from: std::collections::BTreeMap<String, usize>,
}

impl Store {
    /// Adds rows written elsewhere (another laptop's, through the hub), in one transaction, in
    /// the order given (each chain in the order it was written). A row already here is counted
    /// (and reported if it differs from the copy here); a row that breaks its chain, or cannot be
    /// read, is left out and reported, with the rest of its chain after it.
    ///
    /// # Errors
    /// [`StoreError::Locked`], [`StoreError::Sqlite`]; nothing is written then.
    pub fn merge(&mut self, rows: &[Row]) -> Result<Merged, StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        let merged = merge_rows(&tx, rows, &path)?;
        tx.commit().map_err(sqlite)?;
        Ok(merged)
    }

    /// Adds an exported incident's events not in the log yet (by id), in one transaction: importing
    /// twice changes nothing. Events that carry their chain are checked against it (a file edited
    /// by hand is refused, naming the event); events from before chains are written as this
    /// laptop's. Returns how many were added.
    ///
    /// # Errors
    /// As [`Store::import_incident`]; nothing is written then.
    pub fn import(&mut self, events: &[Event]) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        let (added, _) = import_events(&tx, events, &self.device, &path)?;
        tx.commit().map_err(sqlite)?;
        Ok(added)
    }

    /// Adds an exported incident (`incident`): its events, as [`Store::import`], and the samples
    /// kept for its charts, all in one transaction: either all of it is written or nothing is.
    /// An event already here counts as known only if it is the same in every respect (its chain
    /// too, when the import carries one); importing twice changes nothing.
    ///
    /// # Errors
    /// [`StoreError::ImportConflict`] for an event whose id the log (or the import, earlier)
    /// holds for an event that is not the same: another incident's, or other content, naming it
    /// and what differs; [`StoreError::BrokenChain`] naming the first event that breaks its
    /// chain; [`StoreError::Unreadable`] for the log's copy of an event this build cannot read;
    /// or as [`Store::append`] (a sample the log refuses is [`StoreError::Sqlite`]). Nothing is
    /// written then.
    pub fn import_incident(
        &mut self,
        incident: Ulid,
        events: &[Event],
        samples: &[Sample],
    ) -> Result<Imported, StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        let (added, known) = import_events(&tx, events, &self.device, &path)?;
        let samples = insert_samples(&tx, incident, samples).map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(Imported { added, known, samples })
    }
}

/// What [`Store::import_incident`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    /// Events new to this log.
    pub added: usize,
    /// Events it had already, the same in every respect (or given twice, alike).
    pub known: usize,
    /// Samples new to this log.
    pub samples: usize,
}

/// [`Store::import`] inside a transaction: how many events were added, and how many were known.
/// Every event whose id is taken is compared first, before anything is written.
fn import_events(
    tx: &Transaction<'_>,
    events: &[Event],
    device: &str,
    path: &Path,
) -> Result<(usize, usize), StoreError> {
    let sqlite = |e| StoreError::from_sqlite(path, e);
    let mut known = 0;
    // Each id once: the chained events as rows (the log's own for those it has, so that each
    // chain can be followed from its start), and the unchained events the log does not have.
    let mut rows: Vec<Row> = Vec::new();
    let mut legacy: Vec<&Event> = Vec::new();
    let mut given: HashMap<Ulid, &Event> = HashMap::new();
    for event in events {
        let conflict = |copy, differs: Vec<String>| StoreError::ImportConflict {
            path: path.to_owned(),
            event: event.id.to_string(),
            copy,
            differs: differs.join("; "),
        };
        if let Some(first) = given.get(&event.id) {
            let differs = differences(first, event);
            if !differs.is_empty() {
                return Err(conflict("earlier in the import", differs));
            }
            known += 1;
            continue;
        }
        given.insert(event.id, event);
        let Some(row) = stored(tx, &event.id.to_string()).map_err(sqlite)? else {
            if event.hash.is_empty() {
                legacy.push(event);
            } else {
                rows.push(Row::of(event).map_err(|e| sqlite(to_sql_error(e)))?);
            }
            continue;
        };
        let here = row.decode().map_err(|reason| StoreError::Unreadable {
            path: path.to_owned(),
            event: row.id.clone(),
            reason,
        })?;
        let differs = differences(&here, event);
        if !differs.is_empty() {
            return Err(conflict("this log already has", differs));
        }
        known += 1;
        if !event.hash.is_empty() {
            rows.push(row);
        }
    }
    let merged = merge_rows(tx, &chain_order(rows), path)?;
    if let Some(problem) = merged.problems.into_iter().next() {
        return Err(StoreError::BrokenChain { path: path.to_owned(), problem });
    }
    let mut added = merged.added;
    legacy.sort_by_key(|e| (!matches!(e.kind, EventKind::Declared { .. }), e.at, e.id));
    let mut writing = Writing::default();
    let mut written = Vec::with_capacity(legacy.len());
    for event in legacy {
        let mut event = event.clone();
        device.clone_into(&mut event.device);
        event.prev = head(tx, &event.incident.to_string(), &event.device).map_err(sqlite)?;
        let mut row = Row::of(&event).map_err(|e| sqlite(to_sql_error(e)))?;
        row.hash = row.seal();
        writing.insert_one(tx, &row, path)?;
        event.hash = row.hash;
        written.push(event);
        added += 1;
    }
    folds::fold_in(tx, &written).map_err(sqlite)?;
    Ok((added, known))
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

/// [`Store::merge`] inside a transaction.
pub(super) fn merge_rows(tx: &Transaction<'_>, rows: &[Row], path: &Path) -> Result<Merged, StoreError> {
    let sqlite = |e| StoreError::from_sqlite(path, e);
    let mut merged = Merged::default();
    let mut writing = Writing::default();
    let mut fresh = Vec::new();
    for row in rows {
        if let Some(hash) = known(tx, &row.id).map_err(sqlite)? {
            if hash.as_deref() == Some(row.hash.as_str()) {
                // The same hash says the same event only if the row still says what was sealed.
                match chain::breaks(row, |_| true) {
                    Some(problem) => merged.problems.push(problem),
                    None => merged.known += 1,
                }
            } else {
                merged.problems.push(ChainProblem {
                    device: row.device.clone(),
                    incident: row.incident.clone(),
                    event: row.id.clone(),
                    reason: "does not match its chain: it differs from the copy this laptop already has"
                        .to_owned(),
                });
            }
            continue;
        }
        let follows = match &row.prev {
            None => true,
            // Nearly always the event before is its chain's head here; only a fork (two
            // copies of one device's log went on apart) makes the chain be looked along.
            Some(prev) => {
                writing.head(tx, &row.incident, &row.device).map_err(sqlite)?.as_ref() == Some(prev)
                    || tx
                        .prepare_cached(
                            "SELECT 1 FROM events WHERE incident = ?2 AND device = ?3 AND hash = ?1",
                        )
                        .and_then(|mut stmt| stmt.exists([prev, &row.incident, &row.device]))
                        .map_err(sqlite)?
            }
        };
        if let Some(problem) = chain::breaks(row, |_| follows) {
            merged.problems.push(problem);
            continue;
        }
        let event = match row.decode() {
            Ok(event) => event,
            Err(reason) => {
                merged.problems.push(ChainProblem {
                    device: row.device.clone(),
                    incident: row.incident.clone(),
                    event: row.id.clone(),
                    reason: format!("cannot be read ({reason}): was it written by a newer warroom?"),
                });
                continue;
            }
        };
        match writing.insert(tx, row) {
            Ok(()) => {}
            Err(Insert::UnknownIncident) => {
                merged.problems.push(ChainProblem {
                    device: row.device.clone(),
                    incident: row.incident.clone(),
                    event: row.id.clone(),
                    reason: "belongs to an incident whose declaration has not arrived".to_owned(),
                });
                continue;
            }
            Err(Insert::Sqlite(e)) => return Err(sqlite(e)),
        }
        merged.added += 1;
        merged.seqs.push(tx.last_insert_rowid());
        *merged.from.entry(row.device.clone()).or_default() += 1;
        fresh.push(event);
    }
    folds::fold_in(tx, &fresh).map_err(sqlite)?;
    Ok(merged)
}

/// Rows put in an order they can be merged in: each device's chain from its first event on,
/// following `prev`, the chain holding the declaration first. Rows no chain leads to come last
/// (they will be reported).
fn chain_order(rows: Vec<Row>) -> Vec<Row> {
    // Each row by what it follows, in the order given: one lookup per step of a chain (a scan of
    // every row left for each step made a big import quadratic).
    let mut after: std::collections::HashMap<(&str, &str, Option<&str>), std::collections::VecDeque<usize>> =
        std::collections::HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        after.entry((r.incident.as_str(), r.device.as_str(), r.prev.as_deref())).or_default().push_back(i);
    }
    let devices: std::collections::BTreeSet<(&str, &str)> =
        rows.iter().map(|r| (r.incident.as_str(), r.device.as_str())).collect();
    let mut used = vec![false; rows.len()];
    let mut chains: Vec<Vec<usize>> = Vec::new();
    for (incident, device) in devices {
        let mut chain = Vec::new();
        let mut prev: Option<&str> = None;
        while let Some(i) =
            after.get_mut(&(incident, device, prev)).and_then(std::collections::VecDeque::pop_front)
        {
            used[i] = true;
            prev = Some(rows[i].hash.as_str());
            chain.push(i);
        }
        chains.push(chain);
    }
    chains.sort_by_key(|c| !c.iter().any(|&i| rows[i].kind == "declared"));
    let order: Vec<usize> =
        chains.into_iter().flatten().chain((0..rows.len()).filter(|&i| !used[i])).collect();
    let mut slots: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}
