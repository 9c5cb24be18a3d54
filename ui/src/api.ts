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
}

export const appInfo = () => invoke<AppInfo>("app_info");
export const listIncidents = () => invoke<Incident[]>("list_incidents");
export const getIncident = (id: string) => invoke<IncidentView>("get_incident", { id });
export const declareIncident = (title: string, severity: Severity, commander: string | null) =>
  invoke<Incident>("declare_incident", { title, severity, commander });
export const enterStage = (id: string, stage: Stage) => invoke<Event>("enter_stage", { id, stage });
export const addNote = (id: string, text: string) => invoke<Event>("add_note", { id, text });
export const assignRole = (id: string, role: Role, name: string) =>
  invoke<Event>("assign_role", { id, role, name });
export const changeSeverity = (id: string, severity: Severity) =>
  invoke<Event>("change_severity", { id, severity });
export const resolveIncident = (id: string) => invoke<Event>("resolve_incident", { id });
export const reopenIncident = (id: string) => invoke<Event>("reopen_incident", { id });
