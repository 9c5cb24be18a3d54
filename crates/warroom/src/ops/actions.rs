//! Adding and editing action items. Each change is one `action_item_set` event holding the whole
//! item as it now is.

use chrono::NaiveDate;
use ulid::Ulid;

use super::{Actor, OpsError, record};
use crate::model::{ActionItem, ActionKind, ActionStatus, EventKind};
use crate::store::Store;

/// What to set on an action item: `id: None` adds a new one (a title is needed), otherwise the
/// given fields of item `id` ("A2", or a prefix of its key) change. An empty owner, ticket or
/// due clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct ActionEdit {
    pub id: Option<String>,
    pub title: Option<String>,
    pub kind: Option<ActionKind>,
    pub owner: Option<String>,
    pub ticket: Option<String>,
    pub status: Option<ActionStatus>,
    /// `YYYY-MM-DD`, or empty to clear.
    pub due: Option<String>,
}

/// Adds or edits an action item; returns it as it now is.
///
/// # Errors
/// [`OpsError::EmptyActionTitle`] for a new item without a title or a title edited to nothing,
/// [`OpsError::UnknownAction`], [`OpsError::BadDue`], [`OpsError::NothingChanged`], or the store's
/// error. Nothing is written then.
pub fn set_action(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    edit: ActionEdit,
) -> Result<ActionItem, OpsError> {
    let incident = store.incident(id)?;
    let clean = |v: Option<String>| v.map(|t| t.trim().to_owned());
    let mut item = match &edit.id {
        Some(given) => {
            let wanted = given.trim();
            let key = wanted.to_ascii_uppercase();
            incident
                .actions
                .iter()
                .find(|a| a.id.eq_ignore_ascii_case(wanted) || (wanted.len() >= 4 && a.key.starts_with(&key)))
                .cloned()
                .ok_or_else(|| OpsError::UnknownAction(given.clone()))?
        }
        None => ActionItem {
            id: format!("A{}", incident.actions.len() + 1),
            key: String::new(),
            title: String::new(),
            kind: ActionKind::Prevent,
            owner: None,
            ticket: None,
            status: ActionStatus::Open,
            due: None,
        },
    };
    let before = edit.id.is_some().then(|| item.clone());
    if let Some(title) = clean(edit.title) {
        item.title = title;
    }
    if item.title.is_empty() {
        return Err(OpsError::EmptyActionTitle);
    }
    item.kind = edit.kind.unwrap_or(item.kind);
    item.status = edit.status.unwrap_or(item.status);
    if let Some(owner) = clean(edit.owner) {
        item.owner = Some(owner).filter(|o| !o.is_empty());
    }
    if let Some(ticket) = clean(edit.ticket) {
        item.ticket = Some(ticket).filter(|t| !t.is_empty());
    }
    if let Some(due) = clean(edit.due) {
        item.due = if due.is_empty() {
            None
        } else {
            Some(NaiveDate::parse_from_str(&due, "%Y-%m-%d").map_err(|_| OpsError::BadDue(due))?)
        };
    }
    if before.as_ref() == Some(&item) {
        return Err(OpsError::NothingChanged);
    }
    // A new item is known for good by the id of the event that adds it.
    let mut event = actor.event(id, None, EventKind::ActionItemSet { item: item.clone() })?;
    if item.key.is_empty() {
        item.key = event.id.to_string();
        event.kind = EventKind::ActionItemSet { item: item.clone() };
    }
    record(store, event)?;
    Ok(item)
}
