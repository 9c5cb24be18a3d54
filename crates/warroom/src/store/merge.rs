//! Events written elsewhere coming into this log: pulled from the hub, or imported from a file.
//! Each is checked against its device's chain before it is folded; what breaks a chain is left
//! out and reported, never folded.

use std::path::Path;

use rusqlite::{Transaction, TransactionBehavior};

use super::chain::{self, ChainProblem, Row};
use super::events::{Insert, head, insert, insert_one, known, to_sql_error};
use super::{Store, StoreError};
use crate::model::{Event, EventKind};

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
    /// [`StoreError::BrokenChain`] naming the first event that breaks its chain, or as
    /// [`Store::append`]; nothing is written then.
    pub fn import(&mut self, events: &[Event]) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let sqlite = |e| StoreError::from_sqlite(&path, e);
        let (sealed, unsealed): (Vec<&Event>, Vec<&Event>) = events.iter().partition(|e| !e.hash.is_empty());
        let rows: Vec<Row> = sealed
            .iter()
            .map(|e| Row::of(e))
            .collect::<Result<_, _>>()
            .map_err(|e| sqlite(to_sql_error(e)))?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        let merged = merge_rows(&tx, &chain_order(rows), &path)?;
        if let Some(problem) = merged.problems.into_iter().next() {
            return Err(StoreError::BrokenChain { path, problem });
        }
        let mut added = merged.added;
        let mut legacy: Vec<&Event> = unsealed;
        legacy.sort_by_key(|e| (!matches!(e.kind, EventKind::Declared { .. }), e.at, e.id));
        for event in legacy {
            if known(&tx, &event.id.to_string()).map_err(sqlite)?.is_some() {
                continue;
            }
            let mut event = event.clone();
            event.device.clone_from(&self.device);
            event.prev = head(&tx, &event.incident.to_string(), &event.device).map_err(sqlite)?;
            let mut row = Row::of(&event).map_err(|e| sqlite(to_sql_error(e)))?;
            row.hash = row.seal();
            insert_one(&tx, &row, &path)?;
            added += 1;
        }
        tx.commit().map_err(sqlite)?;
        Ok(added)
    }
}

/// [`Store::merge`] inside a transaction.
pub(super) fn merge_rows(tx: &Transaction<'_>, rows: &[Row], path: &Path) -> Result<Merged, StoreError> {
    let sqlite = |e| StoreError::from_sqlite(path, e);
    let mut merged = Merged::default();
    for row in rows {
        if let Some(hash) = known(tx, &row.id).map_err(sqlite)? {
            if hash.as_deref() == Some(row.hash.as_str()) {
                merged.known += 1;
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
            Some(prev) => tx
                .prepare_cached("SELECT 1 FROM events WHERE hash = ?1 AND incident = ?2 AND device = ?3")
                .and_then(|mut stmt| stmt.exists([prev, &row.incident, &row.device]))
                .map_err(sqlite)?,
        };
        if let Some(problem) = chain::breaks(row, |_| follows) {
            merged.problems.push(problem);
            continue;
        }
        if let Err(reason) = row.decode() {
            merged.problems.push(ChainProblem {
                device: row.device.clone(),
                incident: row.incident.clone(),
                event: row.id.clone(),
                reason: format!("cannot be read ({reason}): was it written by a newer warroom?"),
            });
            continue;
        }
        match insert(tx, row) {
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
    }
    Ok(merged)
}

/// Rows put in an order they can be merged in: each device's chain from its first event on,
/// following `prev`, the chain holding the declaration first. Rows no chain leads to come last
/// (they will be reported).
fn chain_order(rows: Vec<Row>) -> Vec<Row> {
    let mut chains: Vec<Vec<Row>> = Vec::new();
    let mut rest: Vec<Row> = rows;
    let devices: std::collections::BTreeSet<(String, String)> =
        rest.iter().map(|r| (r.incident.clone(), r.device.clone())).collect();
    for (incident, device) in devices {
        let mut chain = Vec::new();
        let mut prev: Option<String> = None;
        while let Some(i) =
            rest.iter().position(|r| r.incident == incident && r.device == device && r.prev == prev)
        {
            let row = rest.swap_remove(i);
            prev = Some(row.hash.clone());
            chain.push(row);
        }
        chains.push(chain);
    }
    chains.sort_by_key(|c| !c.iter().any(|r| r.kind == "declared"));
    let mut ordered: Vec<Row> = chains.into_iter().flatten().collect();
    ordered.extend(rest);
    ordered
}
