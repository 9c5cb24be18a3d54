// What of a live incident the window holds (src/held.ts), compiled by `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { category, droppedIn, holdNewest, noneDropped } from "../.test-build/held.js";

const ev = (id, type) => ({ id, kind: { type } });
const ids = (events) => events.map((e) => e.id);

test("of each category the newest are held, the others counted", () => {
  const events = [
    ev("d", "declared"),
    ev("h1", "health_changed"),
    ev("n1", "note"),
    ev("h2", "health_changed"),
    ev("a1", "alert_fired"),
    ev("h3", "health_changed"),
    ev("n2", "note"),
  ];
  const held = holdNewest(events, 2, noneDropped());
  // The declaration is context: held however old; so two notes and it are held of "people".
  assert.deepEqual(ids(held.events), ["d", "n1", "h2", "a1", "h3", "n2"]);
  assert.deepEqual(held.dropped, { people: 0, alerts: 0, health: 1, checks: 0, changes: 0 });
  assert.equal(droppedIn(held.dropped), 1);
  assert.equal(droppedIn(held.dropped, ["people", "alerts"]), 0);
});

test("what was let go before is added to", () => {
  const before = { ...noneDropped(), health: 5, checks: 2 };
  const held = holdNewest([ev("h1", "health_changed"), ev("h2", "health_changed"), ev("c1", "check_evaluated")], 1, before);
  assert.deepEqual(ids(held.events), ["h2", "c1"]);
  assert.deepEqual(held.dropped, { people: 0, alerts: 0, health: 6, checks: 2, changes: 0 });
  assert.equal(before.health, 5, "the record passed in is not changed");
});

test("who changed the stage, severity or a role and where updates went are always held", () => {
  const events = [
    ev("s1", "stage_entered"),
    ev("v1", "severity_changed"),
    ev("r1", "role_assigned"),
    ev("u1", "update_queued"),
    ev("n1", "note"),
    ev("n2", "note"),
  ];
  const held = holdNewest(events, 1, noneDropped());
  assert.deepEqual(ids(held.events), ["s1", "v1", "r1", "u1", "n2"]);
  assert.equal(held.dropped.people, 1);
});

test("nothing let go leaves the same array", () => {
  const events = [ev("a", "note"), ev("b", "alert_fired")];
  assert.equal(holdNewest(events, 300, noneDropped()).events, events);
});

test("categories are the filter chips'", () => {
  assert.equal(category(ev("x", "provider_incident")), "alerts");
  assert.equal(category(ev("x", "topology_recorded")), "health");
  assert.equal(category(ev("x", "check_evaluated")), "checks");
  assert.equal(category(ev("x", "change_seen")), "changes");
  assert.equal(category(ev("x", "recording_started")), "people");
  assert.equal(category(ev("x", "some_kind_from_a_newer_warroom")), "people");
});
