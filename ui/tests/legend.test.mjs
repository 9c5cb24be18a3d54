// The legend explains what the graph draws (src/legend.ts), compiled by `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { legendEntries } from "../.test-build/legend.js";

const node = (id, entrypoint = false) => ({ id, entrypoint });
const edge = (from, to, strength = "hard", discovered = false) => ({ from, to, strength, discovered });

test("a plain graph keeps the four states and what it draws, nothing else", () => {
  const shown = legendEntries({ nodes: [node("web", true), node("db")], edges: [edge("web", "db")], groups: [] }, false);
  assert.deepEqual([...shown].sort(), ["degraded", "down", "entry", "hard", "healthy", "impacted"]);
});

test("the four states stay on a graph with no edges, no entrypoint and no group", () => {
  const shown = legendEntries({ nodes: [node("a")], edges: [], groups: [] }, false);
  assert.deepEqual([...shown].sort(), ["degraded", "down", "healthy", "impacted"]);
});

test("unknown health, groups and each kind of edge bring their entries", () => {
  const shown = legendEntries(
    {
      nodes: [node("web", true), node("r1"), node("r2"), node("q")],
      edges: [edge("web", "q", "soft"), edge("web", "r1", "hard", true)],
      groups: [{ id: "redis", members: ["r1", "r2"], needs: 1 }],
    },
    true,
  );
  for (const entry of ["unknown", "entry", "group", "member", "soft", "hard", "discovered"]) {
    assert.ok(shown.has(entry), `${entry} is shown`);
  }
});

test("a discovered soft edge is explained by both its dash and its colour", () => {
  const shown = legendEntries({ nodes: [node("a"), node("b")], edges: [edge("a", "b", "soft", true)], groups: [] }, false);
  assert.ok(shown.has("soft") && shown.has("discovered") && !shown.has("hard"));
});
