// The timeline's merge of what is new into what is shown (src/order.ts), compiled by `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeInTime, timeKey } from "../.test-build/order.js";

const ev = (id, at) => ({ id, at });
const ids = (events) => events.map((e) => e.id);

test("new events after all the others are appended", () => {
  const known = [ev("a", "2026-11-30T14:00:00Z"), ev("b", "2026-11-30T14:00:01.5Z")];
  const merged = mergeInTime(known, [ev("c", "2026-11-30T14:00:02Z"), ev("d", "2026-11-30T14:00:03Z")]);
  assert.deepEqual(ids(merged), ["a", "b", "c", "d"]);
});

test("nothing new leaves the list as it was, the same array", () => {
  const known = [ev("a", "2026-11-30T14:00:00Z")];
  assert.equal(mergeInTime(known, []), known);
  assert.deepEqual(ids(mergeInTime([], known)), ["a"]);
});

test("a late event (written on another laptop, synced later) goes where its time says", () => {
  const known = [ev("a", "2026-11-30T14:00:00Z"), ev("c", "2026-11-30T14:00:02Z"), ev("e", "2026-11-30T14:00:04Z")];
  const merged = mergeInTime(known, [ev("b", "2026-11-30T14:00:01Z"), ev("d", "2026-11-30T14:00:03Z"), ev("f", "2026-11-30T14:00:05Z")]);
  assert.deepEqual(ids(merged), ["a", "b", "c", "d", "e", "f"]);
});

test("times are compared to the nanosecond, whatever their number of digits", () => {
  const known = [ev("a", "2026-11-30T14:00:00.5Z")];
  const merged = mergeInTime(known, [ev("b", "2026-11-30T14:00:00.123456789Z"), ev("c", "2026-11-30T14:00:00.500000001Z")]);
  assert.deepEqual(ids(merged), ["b", "a", "c"]);
  // One instant written with three digits and with one: the same place, then the id decides.
  assert.deepEqual(ids(mergeInTime([ev("b", "2026-11-30T14:00:00.1Z")], [ev("a", "2026-11-30T14:00:00.100Z")])), ["a", "b"]);
  assert.ok(timeKey(ev("x", "2026-11-30T14:00:00Z")) < timeKey(ev("x", "2026-11-30T14:00:00.000000001Z")));
});

test("one instant is ordered by id, as the log orders it", () => {
  const at = "2026-11-30T14:00:00Z";
  const merged = mergeInTime([ev("01B", at), ev("01D", at)], [ev("01A", at), ev("01C", at)]);
  assert.deepEqual(ids(merged), ["01A", "01B", "01C", "01D"]);
});
