//! What the runtime does for an incident: declare it (from an outage too), suggest, attach and
//! check runbooks, move it through the stages.

use chrono::{DateTime, Utc};
use ulid::Ulid;

use super::{RunbookView, Runtime, RuntimeError, Suggestion};
use crate::model::Event;
use crate::ops::{self, Actor};

impl Runtime {
    /// Declares an incident. With live sources and nothing recorded yet, the war room records
    /// on it at once (what the sources say is what the incident is about); a drill is practice,
    /// recorded only when asked.
    ///
    /// # Errors
    /// The refusal of [`ops::declare`], the store's error.
    pub fn declare(
        &self,
        actor: &Actor,
        declaration: ops::Declaration,
    ) -> Result<crate::model::Incident, RuntimeError> {
        let incident = ops::declare(&mut self.log(), actor, declaration)?;
        // What changed before it: asked now, not at the next look.
        self.inner.changes_wake.notify_one();
        if self.recording().is_none() && self.feed().is_some_and(|f| f.live().is_some()) {
            self.record_on(Some(incident.id), actor)?;
        }
        Ok(incident)
    }

    /// Declares an incident from the outage users see now, as drafted (title, SEV1, the
    /// affected nodes), records on it from now on, and notes when the impact started
    /// (`#impact-start`, dated then) and what is affected.
    ///
    /// # Errors
    /// [`RuntimeError::NoOutage`] when every entrypoint serves; the store's error.
    pub fn declare_from_outage(&self, actor: &Actor) -> Result<crate::model::Incident, RuntimeError> {
        let view = self.view(actor.now).ok_or(RuntimeError::NoOutage)?;
        let outage = view.outage.ok_or(RuntimeError::NoOutage)?;
        let since = self.state().outage_since;
        let declaration = ops::Declaration {
            title: outage.draft.title.clone(),
            severity: outage.draft.severity,
            commander: actor.by.clone(),
            at: None,
            local: false,
        };
        let incident = ops::declare(&mut self.log(), actor, declaration)?;
        self.inner.changes_wake.notify_one();
        let mut affected: Vec<String> = Vec::new();
        for e in &outage.entrypoints {
            let causes: Vec<String> = e
                .paths
                .iter()
                .filter_map(|p| p.last())
                .map(|h| {
                    format!(
                        "{} {}{}",
                        h.name,
                        state_word(h.state),
                        h.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
                    )
                })
                .collect();
            affected.push(format!(
                "{} {}: {}",
                e.entrypoint.name,
                state_word(e.entrypoint.state),
                causes.join("; ")
            ));
        }
        let text = format!("#impact-start Users see an outage. {}", affected.join(". "));
        ops::add_note(&mut self.log(), actor, incident.id, &text, since.filter(|s| *s < actor.now))?;
        self.record_on(Some(incident.id), actor)?;
        Ok(self.log().incident(incident.id)?)
    }

    /// Runbooks that fit what is failing now, for the incident `id` (none already attached).
    ///
    /// # Errors
    /// The store's error (an unknown incident).
    pub fn suggest(&self, id: Ulid, now: DateTime<Utc>) -> Result<Vec<Suggestion>, RuntimeError> {
        let incident = self.log().incident(id)?;
        Ok(match self.view(now) {
            Some(view) => self.library().suggest(&incident, &view),
            None => Vec::new(),
        })
    }

    /// Attaches a known runbook to incident `id` (for a node when given).
    ///
    /// # Errors
    /// [`RuntimeError::UnknownRunbook`], or the refusal of [`ops::attach_runbook`].
    pub fn attach_runbook(
        &self,
        actor: &Actor,
        id: Ulid,
        runbook: &str,
        node: Option<String>,
    ) -> Result<Event, RuntimeError> {
        self.library().attach(&mut self.log(), actor, id, runbook, node)
    }

    /// Marks a step of an attached runbook done or not done.
    ///
    /// # Errors
    /// [`RuntimeError::UnknownRunbook`], [`RuntimeError::UnknownStep`], or the refusal of
    /// [`ops::check_step`].
    pub fn check_step(
        &self,
        actor: &Actor,
        id: Ulid,
        runbook: &str,
        step: &str,
        done: bool,
    ) -> Result<Event, RuntimeError> {
        self.library().check_step(&mut self.log(), actor, id, runbook, step, done)
    }

    /// Enters a stage, recording the runbook steps (`runbook/step`) left undone on purpose with
    /// their texts.
    ///
    /// # Errors
    /// The refusal of [`ops::enter_stage_skipping`] (already in that stage, unknown incident).
    pub fn enter_stage(
        &self,
        actor: &Actor,
        id: Ulid,
        stage: crate::model::Stage,
        skipped: Vec<String>,
    ) -> Result<Event, RuntimeError> {
        let skipped = skipped
            .into_iter()
            .map(|step| {
                let text = step
                    .split_once('/')
                    .and_then(|(runbook, id)| self.library().get(runbook)?.step(id).map(|s| s.text.clone()))
                    .unwrap_or_default();
                ops::Skipped { step, text }
            })
            .collect();
        Ok(ops::enter_stage_skipping(&mut self.log(), actor, id, stage, skipped)?)
    }

    /// The runbooks attached to incident `id`, as a responder sees them.
    ///
    /// # Errors
    /// The store's error (an unknown incident).
    pub fn runbooks_of(&self, id: Ulid) -> Result<Vec<RunbookView>, RuntimeError> {
        let incident = self.log().incident(id)?;
        let mut views = self.library().views(&incident);
        let state = self.state();
        for view in &mut views {
            for ((incident, runbook, step), mark) in &state.seen.latest {
                if *incident == id && *runbook == view.runbook.id {
                    view.live.insert(step.clone(), mark.clone());
                }
            }
        }
        Ok(views)
    }
}

/// A state as a sentence says it.
fn state_word(state: crate::topology::OutageState) -> &'static str {
    match state {
        crate::topology::OutageState::Down => "down",
        crate::topology::OutageState::Impacted => "impacted",
        crate::topology::OutageState::Degraded => "degraded",
        crate::topology::OutageState::GroupDown => "down (too few members)",
    }
}
