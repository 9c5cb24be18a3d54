// The sources dialog: what is configured (secrets only by the variable that holds them) and a
// "test connection" button per source that says how it went and how long it took.

import * as api from "../api";
import { byId, el } from "../dom";

async function test(name: string, button: HTMLButtonElement, result: HTMLElement): Promise<void> {
  button.disabled = true;
  result.className = "muted";
  result.textContent = "testing…";
  try {
    const outcome = await api.testSource(name);
    result.className = outcome.ok ? "state-healthy" : "state-down";
    result.textContent = outcome.ok ? `answers in ${outcome.millis} ms` : `FAILED after ${outcome.millis} ms: ${outcome.message}`;
  } catch (e) {
    result.className = "state-down";
    result.textContent = api.isIpcError(e) ? e.message : String(e);
  } finally {
    button.disabled = false;
  }
}

/** The settings view: the configuration's text, checked by the core before it is written. A
 *  refused edit stays in the box, with the line that is wrong. */
async function loadConfig(): Promise<void> {
  const section = byId<HTMLDetailsElement>("config-edit");
  const text = byId<HTMLTextAreaElement>("config-text");
  try {
    const file = await api.configFile();
    section.hidden = false;
    byId("config-path").textContent = file.path;
    // Never overwrite an edit in progress.
    if (!text.dataset.dirty) text.value = file.text;
  } catch {
    section.hidden = true;
  }
}

function wireConfigEditor(): void {
  const text = byId<HTMLTextAreaElement>("config-text");
  const result = byId("config-result");
  text.addEventListener("input", () => {
    text.dataset.dirty = "1";
  });
  byId("config-save").addEventListener("click", async () => {
    result.className = "muted";
    result.textContent = "checking…";
    try {
      await api.saveConfig(text.value);
      delete text.dataset.dirty;
      result.className = "state-healthy";
      result.textContent = "saved and in use";
    } catch (e) {
      result.className = "state-down";
      result.textContent = api.isIpcError(e) ? e.message : String(e);
    }
  });
}

/** What the dialog says when there is nothing to list: the truth about what feeds the war room. */
let feedKind: () => string = () => "none";

export function wireSources(kind: () => string): void {
  feedKind = kind;
  wireConfigEditor();
  byId("sources-open").addEventListener("click", async () => {
    void loadConfig();
    const sources = await api.sourcesConfig().catch(() => [] as api.SourceInfo[]);
    byId("sources-empty").hidden = sources.length > 0;
    byId("sources-empty").textContent =
      feedKind() === "drill"
        ? "No sources configured: warroom is running a drill. Start it with WARROOM_CONFIG=warroom.toml to watch Prometheus, Alertmanager, Loki or status pages."
        : "No sources configured and no drill running: start a drill from the drill bar, or start warroom with WARROOM_CONFIG=warroom.toml.";
    byId("sources-table").replaceChildren(
      ...sources.map((s) => {
        const button = el("button", { text: "Test connection" });
        button.type = "button";
        button.id = `test-${s.name}`;
        const result = el("span", { class: "muted" });
        button.addEventListener("click", () => void test(s.name, button, result));
        return el("tr", {}, [
          el("td", { text: s.name }),
          el("td", { text: s.kind }),
          el("td", { text: s.url }),
          el("td", { class: "muted", text: `every ${s.interval_secs} s, timeout ${s.timeout_secs} s, auth ${s.auth}` }),
          el("td", {}, [button, " ", result]),
        ]);
      }),
    );
    byId<HTMLDialogElement>("sources").showModal();
  });
}
