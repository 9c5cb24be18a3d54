// Typed wrappers around the Tauri commands: the only place the UI calls the core.
// The types come from Rust (ts-rs, in ./bindings); `make test` fails if they drift.

import { invoke } from "@tauri-apps/api/core";
import type { Event } from "./bindings/Event";
import type { Incident } from "./bindings/Incident";
import type { Role } from "./bindings/Role";
import type { Severity } from "./bindings/Severity";
import type { Stage } from "./bindings/Stage";

export type { Event, Incident, Role, Severity, Stage };

/** How every command error crosses the boundary. Branch on `code`, show `message`. */
export interface IpcError {
  code: string;
  message: string;
}

export function isIpcError(e: unknown): e is IpcError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export interface IncidentView {
  incident: Incident;
  events: Event[];
}

/** A named value with its meaning, as the core defines it (severities, stages, roles). */
export interface Term {
  name: string;
  meaning: string;
}

export interface AppInfo {
  version: string;
  db_path: string;
  severities: Term[];
  stages: Term[];
  roles: Term[];
  startup_error: IpcError | null;
  grafana: boolean;
}

export const appInfo = () => invoke<AppInfo>("app_info");
export const listIncidents = () => invoke<Incident[]>("list_incidents");
export const getIncident = (id: string) => invoke<IncidentView>("get_incident", { id });
export const declareIncident = (title: string, severity: Severity, commander: string | null) =>
  invoke<Incident>("declare_incident", { title, severity, commander });
export const enterStage = (id: string, stage: Stage, skipped: string[] = []) =>
  invoke<Event>("enter_stage", { id, stage, skipped });
export const addNote = (id: string, text: string) => invoke<Event>("add_note", { id, text });
export const assignRole = (id: string, role: Role, name: string) =>
  invoke<Event>("assign_role", { id, role, name });
export const changeSeverity = (id: string, severity: Severity) =>
  invoke<Event>("change_severity", { id, severity });
export const resolveIncident = (id: string) => invoke<Event>("resolve_incident", { id });
export const reopenIncident = (id: string) => invoke<Event>("reopen_incident", { id });

import type { BlastRadius } from "./bindings/BlastRadius";
import type { GraphView } from "./bindings/GraphView";
import type { NodeView } from "./bindings/NodeView";

export type { BlastRadius, GraphView, NodeView };

export interface ScenarioInfo {
  name: string;
  title: string;
  summary: string;
  duration_secs: number;
}

export interface DrillStatus {
  scenario: string;
  title: string;
  summary: string;
  speed: number;
  seed: number;
  scenario_secs: number;
  duration_secs: number;
  finished: boolean;
  incident: string | null;
  last_step: string | null;
}

/** A source's state, for the status bar. */
export interface SourceStatus {
  name: string;
  breaker: "closed" | "open" | "half_open";
  last_success: string | null;
  failing_since: string | null;
  last_error: string | null;
  requests: number;
}

export interface GraphState {
  drill: DrillStatus | null;
  view: GraphView | null;
  mode: "drill" | "live";
  sources: SourceStatus[];
  recording_on: string | null;
  provider_incidents: ProviderIncident[];
}

/** An incident a provider's status page declares. */
export interface ProviderIncident {
  name: string;
  status: string;
  impact: string;
  shortlink: string | null;
}

export const drillScenarios = () => invoke<ScenarioInfo[]>("drill_scenarios");
export const startDrill = (scenario: string, speed: number, seed: number, incident: string | null) =>
  invoke<DrillStatus>("start_drill", { scenario, speed, seed, incident });
export const stopDrill = () => invoke<void>("stop_drill");
export const attachDrill = (incident: string | null) => invoke<DrillStatus | null>("attach_drill", { incident });
export const graphState = () => invoke<GraphState>("graph_state");
export const whatIf = (failed: string[]) => invoke<BlastRadius>("what_if", { failed });
export interface SourceInfo {
  name: string;
  kind: string;
  url: string;
  interval_secs: number;
  timeout_secs: number;
  auth: string;
}
export interface SourceTest {
  ok: boolean;
  millis: number;
  message: string;
}
export const sourcesConfig = () => invoke<SourceInfo[]>("sources_config");
export const testSource = (name: string) => invoke<SourceTest>("test_source", { name });
export const nodeCharts = (node: string) => invoke<{ metric: string; svg: string }[]>("node_charts", { node });

export interface NotificationStatus {
  muted: boolean;
  last_title: string | null;
  last_body: string | null;
  last_at: string | null;
}

export const notifications = () => invoke<NotificationStatus>("notifications");
export const muteNotifications = (muted: boolean) => invoke<NotificationStatus>("mute_notifications", { muted });

export const openInGrafana = (node: string) => invoke<string>("open_in_grafana", { node });

export interface ConfigFile {
  path: string;
  text: string;
}

export const configFile = () => invoke<ConfigFile>("config_file");
export const saveConfig = (text: string) => invoke<ConfigFile>("save_config", { text });

import type { Check as RunbookCheck } from "./bindings/Check";
import type { CheckMark } from "./bindings/CheckMark";
import type { Match } from "./bindings/Match";
import type { Runbook } from "./bindings/Runbook";
import type { Step as RunbookStep } from "./bindings/Step";
import type { StepMark } from "./bindings/StepMark";
export type { CheckMark, Runbook, RunbookCheck, RunbookStep, StepMark };

export interface RunbookView {
  runbook: Runbook;
  node: string | null;
  done: Record<string, StepMark>;
  checks: Record<string, CheckMark>;
  skipped: string[];
}

export interface Suggestion {
  runbook: string;
  title: string;
  node: string;
  why: Match;
}

export const runbookSuggestions = (id: string) => invoke<Suggestion[]>("runbook_suggestions", { id });
export const incidentRunbooks = (id: string) => invoke<RunbookView[]>("incident_runbooks", { id });
export const attachRunbook = (id: string, runbook: string, node: string | null) =>
  invoke<RunbookView[]>("attach_runbook", { id, runbook, node });
export const checkStep = (id: string, runbook: string, step: string, done: boolean) =>
  invoke<RunbookView[]>("check_step", { id, runbook, step, done });
export const openRunbookLink = (id: string, runbook: string, step: string, index: number) =>
  invoke<string>("open_runbook_link", { id, runbook, step, index });

import type { ActionEdit } from "./bindings/ActionEdit";
import type { ActionItem } from "./bindings/ActionItem";
import type { ActionKind } from "./bindings/ActionKind";
import type { ActionStatus } from "./bindings/ActionStatus";
export type { ActionEdit, ActionItem, ActionKind, ActionStatus };

/** A mark on the review scrubber: a stage entered, an alert fired, a resolution, a reopening. */
export interface ReviewMark {
  at: string;
  kind: "stage" | "alert" | "resolved" | "reopened";
  label: string;
}

/** What the review scrubber spans: declaration to last event, its marks, the blast radius's peak. */
export interface ReviewInfo {
  id: string;
  start: string;
  end: string;
  marks: ReviewMark[];
  peak: string | null;
}

/** An alert firing at the instant under review, as the log tells it. */
export interface FiringAt {
  name: string;
  node: string;
  severity: string;
  summary: string;
  fingerprint: string;
  /** When it started firing. */
  since: string;
}

/** The incident as it stood at `at`, read from the log alone (no source is asked). */
export interface ReviewFrame {
  at: string;
  incident: Incident;
  /** Null when no topology was recorded on the log by then. */
  graph: GraphView | null;
  /** How many of the incident's events (in `get_incident`'s order: time, ties in log order)
   *  happened by `at`: the timeline is `IncidentView.events.slice(0, events_until)`. */
  events_until: number;
  /** The alerts firing at `at`, with or without a recorded topology. */
  alerts: FiringAt[];
  /** The runbooks as they stood at `at`; when the core leaves them out, the panel shows the
   *  incident's runbooks as they are now. */
  runbooks?: RunbookView[];
}

/** What an export wrote: `files[0]` is the Markdown, the rest its charts. */
export interface ExportedFiles {
  dir: string;
  files: string[];
}

export const reviewIncident = (id: string) => invoke<ReviewInfo>("review_incident", { id });
export const reviewAt = (id: string, at: string) => invoke<ReviewFrame>("review_at", { id, at });
/** `slo` is the availability target the error budget is counted against, in percent (null: 99.9). */
export const exportPostmortem = (id: string, slo: number | null) =>
  invoke<ExportedFiles>("export_postmortem", { id, slo });
/** Adds (`edit.id` null) or edits an action item; answers with all the incident's items. */
export const setAction = (id: string, edit: ActionEdit) => invoke<ActionItem[]>("set_action", { id, edit });
