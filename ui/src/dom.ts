// Small DOM helpers. Text from users and the outside world only ever goes in through
// `textContent`: nothing in this UI assigns HTML.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; text?: string; title?: string; data?: Record<string, string> } = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title !== undefined) node.title = props.title;
  for (const [k, v] of Object.entries(props.data ?? {})) node.dataset[k] = v;
  for (const child of children) node.append(child);
  return node;
}

/** Sets an element's text, and its class when given, only when they change: a write of the
 *  same text still costs WebKit a layout and a repaint of the page, and the window redraws
 *  on every push and every tick of its clock. */
export function setText(node: HTMLElement, text: string, className?: string): void {
  if (node.textContent !== text) {
    // The text node already there is rewritten rather than replaced: clocks tick every second.
    const only = node.childNodes.length === 1 ? node.firstChild : null;
    if (only instanceof Text && text !== "") only.data = text;
    else node.textContent = text;
  }
  if (className !== undefined && node.className !== className) node.className = className;
}

/** A child of a list drawn by `keyedChildren`: `key` says all it shows, `build` draws it. */
export interface KeyedRow {
  key: string;
  build: () => HTMLElement;
}

/** What each child drawn by `keyedChildren` shows. */
const drawnAs = new WeakMap<Element, string>();

/** Sets `node`'s children to `rows`, in order, keeping the children already drawn for the same
 *  keys (a key says all a row shows): a list that grows at its top, as the timeline does several
 *  times a second in a recorded drill, builds only its new rows instead of all of them (300
 *  rows, some 1 800 elements, per redraw). */
export function keyedChildren(node: HTMLElement, rows: KeyedRow[]): void {
  const drawn = new Map<string, Element>();
  for (const child of node.children) {
    const key = drawnAs.get(child);
    if (key !== undefined) drawn.set(key, child);
  }
  rows.forEach((row, i) => {
    let wanted = drawn.get(row.key);
    drawn.delete(row.key);
    if (!wanted) {
      wanted = row.build();
      drawnAs.set(wanted, row.key);
    }
    const there = node.children[i] ?? null;
    if (there !== wanted) node.insertBefore(wanted, there);
  });
  while (node.children.length > rows.length) node.lastElementChild?.remove();
}

/** Rebuilds `node`'s children with `build()` only when `key` changed since the last time. */
export function rebuildOn(node: HTMLElement, key: string, build: () => (Node | string)[]): void {
  if (node.dataset.key === key) return;
  node.dataset.key = key;
  node.replaceChildren(...build());
}

/** Like `rebuildOn`, but what is already drawn is kept and changed in place to look like what
 *  `build()` drew: only the texts and attributes that differ are written, and only elements of
 *  another kind or shape are replaced. For panels whose figures move on every push (the outage's
 *  reasons, the alerts, the sources): rebuilt, they made some 900 elements a minute in a ×60
 *  drill for WebKit to lay out, style and later collect; changed in place, a push writes the
 *  figures that moved. Only for children without event listeners: a kept element keeps its own. */
export function redrawOn(node: HTMLElement, key: string, build: () => (Node | string)[]): void {
  if (node.dataset.key === key) return;
  node.dataset.key = key;
  const fresh = build().map((n) => (typeof n === "string" ? document.createTextNode(n) : n));
  morphChildren(node, fresh);
}

/** Makes `node`'s children look like `fresh`, keeping those of the same kind. */
function morphChildren(node: Node, fresh: Node[]): void {
  fresh.forEach((want, i) => {
    const there = node.childNodes[i] ?? null;
    if (there && sameKind(there, want)) morph(there, want);
    else node.insertBefore(want, there);
  });
  while (node.childNodes.length > fresh.length) node.lastChild?.remove();
}

function sameKind(a: Node, b: Node): boolean {
  return a.nodeType === b.nodeType && a.nodeName === b.nodeName;
}

/** Makes `there` look like `want` (same kind): its text, its attributes, its children. */
function morph(there: Node, want: Node): void {
  if (there instanceof Element && want instanceof Element) {
    for (const name of there.getAttributeNames()) {
      if (!want.hasAttribute(name)) there.removeAttribute(name);
    }
    for (const name of want.getAttributeNames()) {
      const value = want.getAttribute(name) ?? "";
      if (there.getAttribute(name) !== value) there.setAttribute(name, value);
    }
    morphChildren(there, [...want.childNodes]);
  } else if (there.nodeValue !== want.nodeValue) {
    there.nodeValue = want.nodeValue;
  }
}

/** How long since `from` (milliseconds), as of `now`: "42 s", "12 min". */
export function elapsedLabel(from: number, now: number): string {
  return elapsed(new Date(from).toISOString(), now);
}

/** "42 s", "12 min", "3 h 05 min": how long since `iso`, as of `now`. */
export function elapsed(iso: string, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, "0")} min`;
}

/** Local wall-clock time for the timeline; the UTC instant goes in the hover title. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date().toDateString();
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  return sameDay ? time : `${d.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}`;
}

export function utcTitle(iso: string): string {
  return `${new Date(iso).toISOString().replace(".000Z", "Z")} UTC`;
}

/** Asks once, clearly, in the page (no native dialog): resolves true on "Yes". */
export function confirmDialog(message: string, yes: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>("confirm");
  byId("confirm-text").textContent = message;
  const yesButton = byId<HTMLButtonElement>("confirm-yes");
  yesButton.textContent = yes;
  return new Promise((resolve) => {
    const finish = (answer: boolean) => {
      yesButton.onclick = null;
      byId("confirm-no").onclick = null;
      dialog.onclose = null;
      dialog.close();
      resolve(answer);
    };
    yesButton.onclick = () => finish(true);
    byId("confirm-no").onclick = () => finish(false);
    dialog.onclose = () => finish(false);
    dialog.showModal();
    byId("confirm-no").focus();
  });
}
