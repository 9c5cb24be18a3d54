// One key map: every action of the window by name, with its keys. It drives the key handler, the
// `?` help and the command palette (Ctrl+K), so the three never disagree.

import { byId, el } from "./dom";

/** A key, as pressed: `key` is `KeyboardEvent.key`. */
export interface Key {
  key: string;
  ctrl?: boolean;
  shift?: boolean;
}

export interface Action {
  /** Stable, for tests and the palette. */
  id: string;
  /** What it does, as the help and the palette say it. */
  label: string;
  keys: Key[];
  run: () => void;
  /** When it can run now (default: always). */
  available?: () => boolean;
  /** Keys that only work in one place (the runbook steps, the review bar): listed in the help,
   *  handled where they belong, not by the global handler. */
  local?: boolean;
  /** Runs even while a field has the focus (Ctrl combinations). */
  inFields?: boolean;
}

const actions: Action[] = [];

export function register(list: Action[]): void {
  actions.push(...list);
}

export function allActions(): readonly Action[] {
  return actions;
}

/** "Ctrl K", "Shift →", "space". */
export function keyName(k: Key): string {
  const names: Record<string, string> = { " ": "space", ArrowLeft: "←", ArrowRight: "→", Escape: "Esc" };
  const key = names[k.key] ?? (k.ctrl && k.key.length === 1 ? k.key.toUpperCase() : k.key);
  return [k.ctrl ? "Ctrl" : "", k.shift ? "Shift" : "", key].filter(Boolean).join(" ");
}

function matches(k: Key, e: KeyboardEvent): boolean {
  if (e.key.toLowerCase() !== k.key.toLowerCase() && e.key !== k.key) return false;
  if (Boolean(k.ctrl) !== (e.ctrlKey || e.metaKey)) return false;
  // Shift matters only where it is part of the key (letters and symbols carry it themselves).
  if (k.shift !== undefined && k.shift !== e.shiftKey) return false;
  return !e.altKey;
}

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
  if (target instanceof HTMLInputElement) return !["range", "checkbox", "radio", "button", "submit"].includes(target.type);
  return false;
}

/** The one key handler: the first available action a key matches runs. Keys go to a field
 *  being typed in (but Escape leaves it, and Ctrl combinations marked so still run). */
export function wireKeys(): void {
  document.addEventListener("keydown", (e) => {
    const inField = typing(e.target);
    if (e.key === "Escape" && inField && e.target instanceof HTMLElement) {
      e.target.blur();
      return;
    }
    // A dialog keeps its keys (Escape closes it natively).
    if (document.querySelector("dialog[open]") && !(e.ctrlKey || e.metaKey)) return;
    for (const action of actions) {
      if (action.local || (inField && !action.inFields)) continue;
      if (!action.keys.some((k) => matches(k, e))) continue;
      if (action.available && !action.available()) continue;
      e.preventDefault();
      action.run();
      return;
    }
  });
}

/** The help: every key, from the key map. */
export function renderHelp(): void {
  byId("help-keys").replaceChildren(
    ...actions
      .filter((a) => a.keys.length > 0)
      .flatMap((a) => [
        el("dt", {}, a.keys.flatMap((k, i) => [i > 0 ? " / " : "", el("kbd", { text: keyName(k) })])),
        el("dd", { text: a.label }),
      ]),
  );
}

/** The command palette: every action by name, filtered as you type; Enter runs the first. */
export function wirePalette(): void {
  const dialog = byId<HTMLDialogElement>("palette");
  const input = byId<HTMLInputElement>("palette-input");
  const list = byId("palette-list");
  let shown: Action[] = [];
  let chosen = 0;
  const draw = () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    shown = actions.filter(
      (a) => !a.local && (a.available?.() ?? true) && words.every((w) => a.label.toLowerCase().includes(w) || a.id.includes(w)),
    );
    chosen = Math.min(chosen, Math.max(0, shown.length - 1));
    list.replaceChildren(
      ...shown.map((a, i) => {
        const item = el("li", { data: { action: a.id } }, [
          el("span", { text: a.label }),
          el("span", {}, a.keys.map((k) => el("kbd", { text: keyName(k) }))),
        ]);
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", String(i === chosen));
        item.addEventListener("click", () => run(a));
        return item;
      }),
    );
  };
  const run = (a: Action | undefined) => {
    // The palette's field lets go of the focus: the keys that follow are the window's again.
    input.blur();
    dialog.close();
    a?.run();
  };
  input.addEventListener("input", () => {
    chosen = 0;
    draw();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      chosen = Math.max(0, Math.min(shown.length - 1, chosen + (e.key === "ArrowDown" ? 1 : -1)));
      draw();
      e.preventDefault();
    } else if (e.key === "Enter") {
      e.preventDefault();
      run(shown[chosen]);
    }
  });
  openPalette = () => {
    input.value = "";
    chosen = 0;
    draw();
    dialog.showModal();
    input.focus();
  };
}

/** Opens the palette (set up by `wirePalette`). */
export let openPalette: () => void = () => {};
