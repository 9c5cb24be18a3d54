//! What responders do to an incident, checked against its state and recorded in the log.
//!
//! Each function validates the action against the current fold (you cannot resolve a resolved
//! incident, enter the stage you are in, or write an empty note), builds the event and appends
//! it. The current time is passed in (`now`), so tests are deterministic; `at` is when the thing
//! happened, which a scribe may give after the fact.

use chrono::{DateTime, Duration, Utc};
use ulid::Ulid;

use crate::model::{Event, EventKind, Incident, Role, Severity, Stage, Status};
use crate::store::{Store, StoreError};
use crate::time;

mod actions;
mod record;

pub use actions::{ActionEdit, set_action};
pub use record::{Batch, Recorder, record_alert};

/// How far in the future an `at` may lie before it is taken for a typo (clocks drift a little).
pub const FUTURE_TOLERANCE: Duration = Duration::minutes(5);

/// Why an action was refused. Nothing is written when one is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpsError {
    #[error("the title is empty: say in a few words what is broken")]
    EmptyTitle,
    #[error("the note is empty")]
    EmptyNote,
    #[error("the name is empty: give the person's name")]
    EmptyName,
    #[error("the incident is already in stage {0}")]
    AlreadyInStage(Stage),
    #[error("the severity is already {0}")]
    SameSeverity(Severity),
    #[error("{0} already holds that role")]
    SameRole(String),
    #[error("the incident is already resolved (reopen it first)")]
    AlreadyResolved,
    #[error("the incident is not resolved, so it cannot be reopened")]
    NotResolved,
    #[error("the runbook {0} is already attached")]
    RunbookAttached(String),
    #[error("the runbook {0} is not attached to this incident: attach it first")]
    RunbookNotAttached(String),
    #[error("step {0} is already {1}")]
    StepAlready(String, &'static str),
    #[error("{at} is in the future (now is {now}); check the date and the time zone")]
    InFuture { at: String, now: String },
    #[error("title: the action item needs one: say what will be done")]
    EmptyActionTitle,
    #[error("no action item {0} on this incident")]
    UnknownAction(String),
    #[error("due date '{0}': expected YYYY-MM-DD, e.g. 2026-12-01")]
    BadDue(String),
    #[error("nothing to change: the item is already so")]
    NothingChanged,
    #[error("no channel chosen: name one of the configured [[channel]] entries")]
    NoChannel,
    #[error("{at} is before the incident was declared ({declared}): {what} cannot come first")]
    BeforeDeclaration { at: String, declared: String, what: &'static str },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpsError {
    /// A stable code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            OpsError::EmptyTitle | OpsError::EmptyNote | OpsError::EmptyName => "empty_text",
            OpsError::AlreadyInStage(_) => "already_in_stage",
            OpsError::SameSeverity(_) => "same_severity",
            OpsError::SameRole(_) => "same_role",
            OpsError::AlreadyResolved => "already_resolved",
            OpsError::NotResolved => "not_resolved",
            OpsError::InFuture { .. } => "time_in_future",
            OpsError::RunbookAttached(_) => "runbook_attached",
            OpsError::RunbookNotAttached(_) => "runbook_not_attached",
            OpsError::StepAlready(..) => "step_unchanged",
            OpsError::EmptyActionTitle => "empty_text",
            OpsError::UnknownAction(_) => "unknown_action",
            OpsError::BadDue(_) => "bad_date",
            OpsError::NothingChanged => "unchanged",
            OpsError::NoChannel => "no_channel",
            OpsError::BeforeDeclaration { .. } => "before_declaration",
            OpsError::Store(e) => e.code(),
        }
    }
}

/// How long before its declaration a note may be dated: what was seen before it was declared
/// (`#impact-start`), not a typo of a year.
pub const NOTE_BEFORE_DECLARATION: Duration = Duration::days(7);

/// Refuses `at` when it lies before `incident` was declared (by more than `slack`): a stage, a
/// role, a severity, a resolution cannot come before the incident.
fn not_before(
    incident: &Incident,
    at: Option<DateTime<Utc>>,
    slack: Duration,
    what: &'static str,
) -> Result<(), OpsError> {
    match at {
        Some(at) if time::truncate(at) < incident.declared_at - slack => Err(OpsError::BeforeDeclaration {
            at: time::to_db(at),
            declared: time::to_db(incident.declared_at),
            what,
        }),
        _ => Ok(()),
    }
}

/// Who is acting, from where, and when.
#[derive(Debug, Clone)]
pub struct Actor {
    /// What writes the events: "cli", "desktop", ...
    pub origin: String,
    /// The person, when known.
    pub by: Option<String>,
    /// The current time.
    pub now: DateTime<Utc>,
}

impl Actor {
    fn event(&self, incident: Ulid, at: Option<DateTime<Utc>>, kind: EventKind) -> Result<Event, OpsError> {
        let now = time::truncate(self.now);
        let at = at.map_or(now, time::truncate);
        if at > now + FUTURE_TOLERANCE {
            return Err(OpsError::InFuture { at: time::to_db(at), now: time::to_db(now) });
        }
        Ok(Event::new(incident, at, now, &self.origin, self.by.clone(), kind))
    }
}

/// What a new incident starts with.
#[derive(Debug, Clone)]
pub struct Declaration {
    pub title: String,
    pub severity: Severity,
    pub commander: Option<String>,
    /// When it was declared; now if `None`.
    pub at: Option<DateTime<Utc>>,
    /// Kept on this laptop: never synced to the team's hub.
    pub local: bool,
}

/// Declares a new incident; returns its state.
///
/// # Errors
/// [`OpsError::EmptyTitle`], [`OpsError::InFuture`], or the store's error.
pub fn declare(store: &mut Store, actor: &Actor, decl: Declaration) -> Result<Incident, OpsError> {
    let title = decl.title.trim().to_owned();
    if title.is_empty() {
        return Err(OpsError::EmptyTitle);
    }
    let commander = decl.commander.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    let id = crate::model::next_id();
    let kind = EventKind::Declared { title, severity: decl.severity, commander, local: decl.local };
    let mut event = actor.event(id, decl.at, kind)?;
    store.append(std::slice::from_mut(&mut event))?;
    Incident::fold([&event]).ok_or_else(|| StoreError::UnknownIncident { id: id.to_string() }.into())
}

/// Enters a stage (the next one, or an earlier one again).
///
/// # Errors
/// [`OpsError::AlreadyInStage`], [`OpsError::InFuture`], or the store's error.
pub fn enter_stage(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    stage: Stage,
    at: Option<DateTime<Utc>>,
) -> Result<Event, OpsError> {
    let incident = store.incident(id)?;
    if incident.stage == stage {
        return Err(OpsError::AlreadyInStage(stage));
    }
    not_before(&incident, at, Duration::zero(), "a stage")?;
    record(store, actor.event(id, at, EventKind::StageEntered { stage })?)
}

/// A runbook step left undone on purpose: `runbook/step`, and its text (kept on the log, so the
/// postmortem says what was skipped without the runbook at hand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub step: String,
    pub text: String,
}

/// Enters a stage, recording the runbook steps left undone on purpose in the same write, so the
/// timeline says what was skipped.
///
/// # Errors
/// As [`enter_stage`].
pub fn enter_stage_skipping(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    stage: Stage,
    skipped: Vec<Skipped>,
) -> Result<Event, OpsError> {
    let incident = store.incident(id)?;
    if incident.stage == stage {
        return Err(OpsError::AlreadyInStage(stage));
    }
    if skipped.is_empty() {
        return record(store, actor.event(id, None, EventKind::StageEntered { stage })?);
    }
    // Made in the order they happened: the stage is left with its steps skipped, then the next
    // is entered (events at one instant sort by id, and ids made later are greater).
    let (steps, texts) = skipped.into_iter().map(|s| (s.step, s.text)).unzip();
    let skip = actor.event(id, None, EventKind::StepsSkipped { stage: incident.stage, steps, texts })?;
    let entered = actor.event(id, None, EventKind::StageEntered { stage })?;
    let mut both = [skip, entered];
    store.append(&mut both)?;
    let [_, entered] = both;
    Ok(entered)
}

/// Attaches a runbook (by id), for a node when given.
///
/// # Errors
/// [`OpsError::RunbookAttached`] when it already is, or the store's error.
pub fn attach_runbook(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    runbook: &str,
    title: &str,
    node: Option<String>,
) -> Result<Event, OpsError> {
    let incident = store.incident(id)?;
    if incident.runbook(runbook).is_some() {
        return Err(OpsError::RunbookAttached(runbook.to_owned()));
    }
    let kind = EventKind::RunbookAttached { runbook: runbook.to_owned(), title: title.to_owned(), node };
    record(store, actor.event(id, None, kind)?)
}

/// Marks a step of an attached runbook done or not done.
///
/// # Errors
/// [`OpsError::RunbookNotAttached`], [`OpsError::StepAlready`] when nothing would change, or the
/// store's error.
pub fn check_step(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    runbook: &str,
    step: &str,
    text: &str,
    done: bool,
) -> Result<Event, OpsError> {
    let incident = store.incident(id)?;
    let attached =
        incident.runbook(runbook).ok_or_else(|| OpsError::RunbookNotAttached(runbook.to_owned()))?;
    if attached.done.contains_key(step) == done {
        return Err(OpsError::StepAlready(step.to_owned(), if done { "done" } else { "not done" }));
    }
    let kind = EventKind::StepChecked {
        runbook: runbook.to_owned(),
        step: step.to_owned(),
        text: text.to_owned(),
        done,
    };
    record(store, actor.event(id, None, kind)?)
}

/// Records a check's outcome (`mark`, dated from when it started), when it differs from the
/// last one recorded (a check evaluated every cycle writes only its changes). Returns the
/// event, if one was written.
///
/// # Errors
/// [`OpsError::RunbookNotAttached`], [`OpsError::InFuture`], or the store's error.
pub fn record_check(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    runbook: &str,
    step: &str,
    mark: &crate::model::CheckMark,
) -> Result<Option<Event>, OpsError> {
    let incident = store.incident(id)?;
    let attached =
        incident.runbook(runbook).ok_or_else(|| OpsError::RunbookNotAttached(runbook.to_owned()))?;
    if attached.checks.get(step).is_some_and(|last| last.passed == mark.passed) {
        return Ok(None);
    }
    let kind = EventKind::CheckEvaluated {
        runbook: runbook.to_owned(),
        step: step.to_owned(),
        passed: mark.passed,
        observed: mark.observed.clone(),
    };
    record(store, actor.event(id, Some(mark.at), kind)?).map(Some)
}

/// Adds a note to the timeline.
///
/// # Errors
/// [`OpsError::EmptyNote`], [`OpsError::InFuture`], or the store's error.
pub fn add_note(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    text: &str,
    at: Option<DateTime<Utc>>,
) -> Result<Event, OpsError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(OpsError::EmptyNote);
    }
    not_before(&store.incident(id)?, at, NOTE_BEFORE_DECLARATION, "a note more than 7 days earlier")?;
    record(store, actor.event(id, at, EventKind::Note { text: text.to_owned() })?)
}

/// Gives a role to a person.
///
/// # Errors
/// [`OpsError::EmptyName`], [`OpsError::SameRole`], [`OpsError::InFuture`], or the store's error.
pub fn assign_role(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    role: Role,
    name: &str,
    at: Option<DateTime<Utc>>,
) -> Result<Event, OpsError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(OpsError::EmptyName);
    }
    let incident = store.incident(id)?;
    if incident.roles.get(role) == Some(name) {
        return Err(OpsError::SameRole(name.to_owned()));
    }
    not_before(&incident, at, Duration::zero(), "a role")?;
    record(store, actor.event(id, at, EventKind::RoleAssigned { role, name: name.to_owned() })?)
}

/// Changes the severity.
///
/// # Errors
/// [`OpsError::SameSeverity`], [`OpsError::InFuture`], or the store's error.
pub fn change_severity(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    severity: Severity,
    at: Option<DateTime<Utc>>,
) -> Result<Event, OpsError> {
    let incident = store.incident(id)?;
    if incident.severity == severity {
        return Err(OpsError::SameSeverity(severity));
    }
    not_before(&incident, at, Duration::zero(), "a severity change")?;
    record(store, actor.event(id, at, EventKind::SeverityChanged { severity })?)
}

/// Marks the incident resolved.
///
/// # Errors
/// [`OpsError::AlreadyResolved`], [`OpsError::InFuture`], or the store's error.
pub fn resolve(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    at: Option<DateTime<Utc>>,
) -> Result<Event, OpsError> {
    let incident = store.incident(id)?;
    if incident.status == Status::Resolved {
        return Err(OpsError::AlreadyResolved);
    }
    not_before(&incident, at, Duration::zero(), "a resolution")?;
    record(store, actor.event(id, at, EventKind::Resolved)?)
}

/// Reopens a resolved incident.
///
/// # Errors
/// [`OpsError::NotResolved`], [`OpsError::InFuture`], or the store's error.
pub fn reopen(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    at: Option<DateTime<Utc>>,
) -> Result<Event, OpsError> {
    let incident = store.incident(id)?;
    if incident.status == Status::Active {
        return Err(OpsError::NotResolved);
    }
    not_before(&incident, at, Duration::zero(), "a reopening")?;
    record(store, actor.event(id, at, EventKind::Reopened)?)
}

/// Records an event of the war room's own (recording started or stopped) on incident `id`, now.
///
/// # Errors
/// [`OpsError::InFuture`] only if the actor's clock is broken, or the store's error.
pub fn record_on_log(store: &mut Store, actor: &Actor, id: Ulid, kind: EventKind) -> Result<Event, OpsError> {
    record(store, actor.event(id, None, kind)?)
}

/// Writes these facts on incident `id`, each dated when it happened, in one append.
///
/// # Errors
/// [`OpsError::InFuture`] for a fact dated in the future (nothing is written then), or the
/// store's error.
pub fn record_all_at(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    facts: Vec<(DateTime<Utc>, EventKind)>,
) -> Result<Vec<Event>, OpsError> {
    let mut events =
        facts.into_iter().map(|(at, kind)| actor.event(id, Some(at), kind)).collect::<Result<Vec<_>, _>>()?;
    store.append(&mut events)?;
    Ok(events)
}

/// Queues a stakeholder update for each channel (one update each, its own id): the text as it
/// will be sent, written to the log before anything is sent. Returns the updates' ids.
///
/// # Errors
/// [`OpsError::EmptyNote`] for an empty text, [`OpsError::NoChannel`] when no channel is given,
/// [`OpsError::AlreadyResolved`] never (a resolution is announced too), or the store's error.
pub fn queue_update(
    store: &mut Store,
    actor: &Actor,
    id: Ulid,
    audience: crate::model::Audience,
    channels: &[String],
    subject: &str,
    text: &str,
) -> Result<Vec<String>, OpsError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(OpsError::EmptyNote);
    }
    if channels.is_empty() {
        return Err(OpsError::NoChannel);
    }
    store.incident(id)?;
    let subject = crate::updates::draft::one_line(subject);
    let mut events = Vec::with_capacity(channels.len());
    for channel in channels {
        let update = crate::model::next_id().to_string();
        let kind = EventKind::UpdateQueued {
            update,
            audience,
            channel: channel.clone(),
            subject: subject.clone(),
            text: text.to_owned(),
        };
        events.push(actor.event(id, None, kind)?);
    }
    store.append(&mut events)?;
    Ok(events
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::UpdateQueued { update, .. } => Some(update),
            _ => None,
        })
        .collect())
}

pub(crate) fn record(store: &mut Store, mut event: Event) -> Result<Event, OpsError> {
    store.append(std::slice::from_mut(&mut event))?;
    Ok(event)
}
