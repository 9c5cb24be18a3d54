// One fetch at a time, and an ask answered by a fetch that started after it (src/throttle.ts),
// compiled by `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Throttled } from "../.test-build/throttle.js";

/** A fetch the test ends by hand, counting how many ran and how many at once. */
function gate() {
  const g = { started: 0, running: 0, most: 0, ends: [] };
  g.fetch = () => {
    g.started += 1;
    g.running += 1;
    g.most = Math.max(g.most, g.running);
    return new Promise((resolve, reject) => {
      g.ends.push((fail) => {
        g.running -= 1;
        if (fail) reject(new Error("the core did not answer"));
        else resolve();
      });
    });
  };
  return g;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Waits until `check` holds, failing after two seconds. */
async function until(what, check) {
  const deadline = Date.now() + 2000;
  while (!check()) {
    assert.ok(Date.now() < deadline, `${what}: not within 2 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test("an ask during a fetch waits for the next fetch, not the one under way", async () => {
  const g = gate();
  const t = new Throttled(0, g.fetch);
  let first = false;
  let second = false;
  void t.ask(true).then(() => (first = true));
  await tick();
  void t.ask(true).then(() => (second = true));
  void t.ask(true);
  assert.equal(g.started, 1, "no second fetch beside the first");
  g.ends[0]();
  await tick();
  assert.ok(first, "the first ask is answered by the first fetch");
  assert.ok(!second, "the second ask was made after that fetch started");
  assert.equal(g.started, 2, "the asks during the fetch make one more fetch");
  g.ends[1]();
  await tick();
  assert.ok(second);
  assert.equal(g.most, 1, "never two fetches at once");
});

test("a failed fetch still answers those waiting, and the next ask fetches again", async () => {
  const g = gate();
  const t = new Throttled(0, g.fetch);
  let answered = false;
  void t.ask(true).then(() => (answered = true));
  await tick();
  g.ends[0](true);
  await tick();
  assert.ok(answered);
  void t.ask(true);
  await tick();
  assert.equal(g.started, 2);
  g.ends[1]();
});

test("asks within the interval wait for it, then are one fetch", async () => {
  const g = gate();
  const t = new Throttled(40, g.fetch);
  void t.ask();
  await tick();
  g.ends[0]();
  await tick();
  let answered = 0;
  void t.ask().then(() => (answered += 1));
  void t.ask().then(() => (answered += 1));
  await tick();
  assert.equal(g.started, 1, "the second fetch waits for the interval");
  await until("the second fetch once the interval has passed", () => g.started === 2);
  g.ends[1]();
  await tick();
  assert.equal(answered, 2);
  assert.equal(g.started, 2, "two asks, one fetch");
});
