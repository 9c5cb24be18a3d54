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

export function wireSources(): void {
  byId("sources-open").addEventListener("click", async () => {
    const sources = await api.sourcesConfig().catch(() => [] as api.SourceInfo[]);
    byId("sources-empty").hidden = sources.length > 0;
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
