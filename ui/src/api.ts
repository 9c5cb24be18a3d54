// The only place the UI talks to the core: typed wrappers around `invoke` (the user's actions),
// `read` (what the window asks over and over, see below) and `listen`.
// Every type that crosses comes from Rust (ts-rs, in ./bindings); `make test` fails if they drift.
// Nothing here keeps a copy of a Rust type by hand.

import { convertFileSrc, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { Throttled } from "./throttle";
import type { ActionEdit } from "./bindings/ActionEdit";
import type { ActionItem } from "./bindings/ActionItem";
import type { ActionKind } from "./bindings/ActionKind";
import type { ActionStatus } from "./bindings/ActionStatus";
import type { AppInfo } from "./bindings/AppInfo";
import type { UpdateDraft } from "./bindings/UpdateDraft";
import type { Audience } from "./bindings/Audience";
import type { BlastRadius } from "./bindings/BlastRadius";
import type { Broadcast } from "./bindings/Broadcast";
import type { ChannelInfo } from "./bindings/ChannelInfo";
import type { Change } from "./bindings/Change";
import type { ChangeKind } from "./bindings/ChangeKind";
import type { ChangeSourceStatus } from "./bindings/ChangeSourceStatus";
import type { ChangesView } from "./bindings/ChangesView";
import type { Chart } from "./bindings/Chart";
import type { Check as RunbookCheck } from "./bindings/Check";
import type { CheckMark } from "./bindings/CheckMark";
import type { ConfigFile } from "./bindings/ConfigFile";
import type { DrillStatus } from "./bindings/DrillStatus";
import type { EndpointStatus } from "./bindings/EndpointStatus";
import type { Event } from "./bindings/Event";
import type { ExportedFiles } from "./bindings/ExportedFiles";
import type { FeedStatus } from "./bindings/FeedStatus";
import type { FiringAt } from "./bindings/FiringAt";
import type { GraphView } from "./bindings/GraphView";
import type { Incident } from "./bindings/Incident";
import type { IncidentView } from "./bindings/IncidentView";
import type { IpcError } from "./bindings/IpcError";
import type { NodeView } from "./bindings/NodeView";
import type { NotificationStatus } from "./bindings/NotificationStatus";
import type { Outage } from "./bindings/Outage";
import type { OutageHop } from "./bindings/OutageHop";
import type { ProviderIncident } from "./bindings/ProviderIncident";
import type { RankedChange } from "./bindings/RankedChange";
import type { ReviewFrame } from "./bindings/ReviewFrame";
import type { ReviewInfo } from "./bindings/ReviewInfo";
import type { ReviewMark } from "./bindings/ReviewMark";
import type { Role } from "./bindings/Role";
import type { Runbook } from "./bindings/Runbook";
import type { RunbookView } from "./bindings/RunbookView";
import type { ScenarioInfo } from "./bindings/ScenarioInfo";
import type { Severity } from "./bindings/Severity";
import type { Situation } from "./bindings/Situation";
import type { SourceInfo } from "./bindings/SourceInfo";
import type { SourceTest } from "./bindings/SourceTest";
import type { Stage } from "./bindings/Stage";
import type { Step as RunbookStep } from "./bindings/Step";
import type { Reference as RunbookReference } from "./bindings/Reference";
import type { StepMark } from "./bindings/StepMark";
import type { Suggestion } from "./bindings/Suggestion";
import type { Device } from "./bindings/Device";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { Term } from "./bindings/Term";
import type { Tried } from "./bindings/Tried";
import type { Update } from "./bindings/Update";
import type { UpdateInfo } from "./bindings/UpdateInfo";
import type { UpdatePanel } from "./bindings/UpdatePanel";
import type { UpdateState } from "./bindings/UpdateState";
import type { WhatIf } from "./bindings/WhatIf";

export type {
  ActionEdit,
  ActionItem,
  ActionKind,
  ActionStatus,
  AppInfo,
  UpdateDraft,
  Audience,
  BlastRadius,
  Broadcast,
  Change,
  ChangeKind,
  ChangeSourceStatus,
  ChangesView,
  ChannelInfo,
  Chart,
  CheckMark,
  ConfigFile,
  DrillStatus,
  EndpointStatus,
  Event,
  ExportedFiles,
  FeedStatus,
  FiringAt,
  GraphView,
  Incident,
  IncidentView,
  IpcError,
  NodeView,
  NotificationStatus,
  Outage,
  OutageHop,
  ProviderIncident,
  RankedChange,
  ReviewFrame,
  ReviewInfo,
  ReviewMark,
  Role,
  Runbook,
  RunbookCheck,
  RunbookStep,
  RunbookReference,
  RunbookView,
  ScenarioInfo,
  Severity,
  Situation,
  SourceInfo,
  SourceTest,
  Stage,
  StepMark,
  Suggestion,
  Device,
  SyncStatus,
  Term,
  Tried,
  Update,
  UpdateInfo,
  UpdatePanel,
  UpdateState,
  WhatIf,
};

/** Whether a rejected command's reason is the core's `{ code, message }`. */
export function isIpcError(e: unknown): e is IpcError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** How long a read may go unanswered before the window says so (and the panel waiting on it
 *  moves on). Reading a log of 400 000 events whole takes about 1.2 s (`cargo bench -p warroom
 *  --bench postmortem`): 30 s is a core that is stuck, not slow. */
const READ_TIMEOUT_MS = 30_000;

/** Reads `command` over the core's read protocol (src-tauri/read.rs), not `invoke`: Tauri keeps
 *  each invoke's callbacks in a Map of the page, and JavaScriptCore can keep every answer that
 *  ever went through it (one window in four, at random, grew by 100-250 MB an hour). A fetch
 *  keeps nothing once read. Rejects with the core's `{ code, message }`, as `invoke` does. */
async function read<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  let response: Response;
  try {
    const init = { method: "POST", body: JSON.stringify(args), signal: AbortSignal.timeout(READ_TIMEOUT_MS) };
    response = await fetch(convertFileSrc(command, "warroom"), init);
  } catch (e) {
    const why = e instanceof DOMException && e.name === "TimeoutError" ? `no answer in ${READ_TIMEOUT_MS / 1000} s` : String(e);
    throw { code: "unreachable", message: `cannot read ${command} from the core: ${why}` } satisfies IpcError;
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    throw isIpcError(body) ? body : ({ code: "unreadable", message: `${command}: the core answered ${response.status}` } satisfies IpcError);
  }
  return body as T;
}

/** The event that tells the window a broadcast waits (see src-tauri/push.rs): it carries
 *  nothing, the broadcast is pulled with a read (WebKit keeps every distinct script an event
 *  is delivered by). */
const BROADCAST = "warroom://broadcast";

/** `node`: the node whose panel is open; only its log lines come with the graph. */
export const pullBroadcast = (node: string | null) => read<Broadcast | null>("pull_broadcast", { node });

/** Calls `handler` with every broadcast of the core's runtime, pulled when told: one pull at a
 *  time, and one more if told again meanwhile (the core merges what waits). */
export function onBroadcast(handler: (b: Broadcast) => void, node: () => string | null): Promise<UnlistenFn> {
  const puller = new Throttled(0, async () => {
    const broadcast = await pullBroadcast(node());
    if (broadcast) handler(broadcast);
  });
  return listen<null>(BROADCAST, () => puller.ask(true));
}

export const appInfo = () => invoke<AppInfo>("app_info");
/** The situation now, with the log lines of `node` only. */
export const situation = (node: string | null) => read<Situation>("situation", { node });
export const muteNotifications = (muted: boolean) => invoke<NotificationStatus>("mute_notifications", { muted });

export const listIncidents = () => read<Incident[]>("list_incidents");
/** The incident and its timeline: whole, or (`after`: the `through` of an earlier answer) only
 *  the events written since. Read whole with `keep`, a live one comes with the newest `keep`
 *  events of each filter category (and those the timeline reads beyond its rows), and the count
 *  of the others in `dropped`. */
export const getIncident = (id: string, after: number | null = null, keep: number | null = null) =>
  read<IncidentView>("get_incident", { id, after, keep });
/** Declares an incident; a `local` one stays on this laptop (never synced). */
export const declareIncident = (title: string, severity: Severity, commander: string | null, local = false) =>
  invoke<Incident>("declare_incident", { title, severity, commander, local });
/** Declares an incident from the outage users see now, and records on it at once. */
export const declareFromOutage = () => invoke<Incident>("declare_from_outage");
export const enterStage = (id: string, stage: Stage, skipped: string[] = []) =>
  invoke<Event>("enter_stage", { id, stage, skipped });
export const addNote = (id: string, text: string) => invoke<Event>("add_note", { id, text });
export const assignRole = (id: string, role: Role, name: string) => invoke<Event>("assign_role", { id, role, name });
export const changeSeverity = (id: string, severity: Severity) => invoke<Event>("change_severity", { id, severity });
export const resolveIncident = (id: string) => invoke<Event>("resolve_incident", { id });
export const reopenIncident = (id: string) => invoke<Event>("reopen_incident", { id });

export const drillScenarios = () => invoke<ScenarioInfo[]>("drill_scenarios");
export const startDrill = (scenario: string, speed: number, seed: number, incident: string | null) =>
  invoke<DrillStatus>("start_drill", { scenario, speed, seed, incident });
export const stopDrill = () => invoke<void>("stop_drill");
export const recordOn = (incident: string | null) => invoke<void>("record_on", { incident });
export const whatIf = (failed: string[]) => read<WhatIf>("what_if", { failed });
export const nodeCharts = (node: string) => read<Chart[]>("node_charts", { node });

export const sourcesConfig = () => invoke<SourceInfo[]>("sources_config");
export const testSource = (name: string) => invoke<SourceTest>("test_source", { name });
export const openInGrafana = (node: string) => invoke<string>("open_in_grafana", { node });
export const configFile = () => invoke<ConfigFile>("config_file");
export const saveConfig = (text: string) => invoke<ConfigFile>("save_config", { text });

export const runbookSuggestions = (id: string) => read<Suggestion[]>("runbook_suggestions", { id });
export const incidentRunbooks = (id: string) => read<RunbookView[]>("incident_runbooks", { id });
export const attachRunbook = (id: string, runbook: string, node: string | null) =>
  invoke<RunbookView[]>("attach_runbook", { id, runbook, node });
export const checkStep = (id: string, runbook: string, step: string, done: boolean) =>
  invoke<RunbookView[]>("check_step", { id, runbook, step, done });
export const openRunbookLink = (id: string, runbook: string, step: string, index: number) =>
  invoke<string>("open_runbook_link", { id, runbook, step, index });

export const reviewIncident = (id: string) => read<ReviewInfo>("review_incident", { id });
export const reviewAt = (id: string, at: string) => read<ReviewFrame>("review_at", { id, at });
/** `slo` is the availability target the error budget is counted against, in percent (null: 99.9). */
export const exportPostmortem = (id: string, slo: number | null) =>
  invoke<ExportedFiles>("export_postmortem", { id, slo });
/** Adds (`edit.id` null) or edits an action item; answers with all the incident's items. */
export const setAction = (id: string, edit: ActionEdit) => invoke<ActionItem[]>("set_action", { id, edit });

/** What changed before and during incident `id` (deploys, restarts, config reloads, commits,
 *  rollouts, cluster events), most suspect first, and where each change source stands. */
export const incidentChanges = (id: string) => read<ChangesView>("incident_changes", { id });

/** The update panel of incident `id`: the channels, each update per channel, when the next is due. */
export const updatePanel = (id: string) => read<UpdatePanel>("update_panel", { id });
/** A stakeholder update to `audience`, drafted from what the log says now. */
export const draftUpdate = (id: string, audience: Audience) => invoke<UpdateDraft>("draft_update", { id, audience });
/** Queues the update (as edited) for each channel; the outbox delivers it in the background.
 *  Answers with the updates' ids, one per channel. */
export const sendUpdate = (id: string, audience: Audience, channels: string[], subject: string, text: string) =>
  invoke<string[]>("send_update", { id, audience, channels, subject, text });
/** Tries every queued update of this laptop now, due or not. */
export const flushUpdates = () => invoke<Tried[]>("flush_updates");
