// Holding a panel still while a person aims at it (src/steady.ts), compiled by `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { REST_MS, holdFor } from "../.test-build/steady.js";

test("a change is drawn at once when the pointer has not moved over the panel", () => {
  assert.equal(holdFor(10_000, null), 0);
});

test("a change waits until the pointer has rested for the whole rest time", () => {
  assert.equal(holdFor(10_000, 10_000), REST_MS);
  assert.equal(holdFor(10_400, 10_000), REST_MS - 400);
  assert.equal(holdFor(10_000 + REST_MS, 10_000), 0);
  assert.equal(holdFor(60_000, 10_000), 0, "a pointer resting long ago holds nothing");
});

test("the rest time can be chosen", () => {
  assert.equal(holdFor(1_000, 900, 500), 400);
});
