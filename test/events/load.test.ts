/**
 * Named events under load: concurrent deliveries for one key, and a thousand
 * events across a hundred keys. Nothing may be lost or delivered twice, and each
 * key keeps its events in the order they were published.
 */
import { describe, expect, it } from "vitest";
import { start, uniqueId, waitForStatus, waitUntil } from "../helpers.js";
import { correlation, publish } from "./helpers.js";

describe("named events under load", () => {
  it("50 concurrent deliveries for one key, each sent twice: every event reaches the waiting instance exactly once", async () => {
    const id = uniqueId("burst");
    await start("test-correlated", { id, input: { orderId: id, times: 50 } });
    await waitUntil(id, (view) => view.waitingFor?.kind === "event", "waiting");
    const ids = Array.from({ length: 50 }, (_, i) => `burst-${id}-${i}`);
    const answers = await Promise.all(
      [...ids, ...ids].map((eventId, i) => publish({ name: "test.paid", key: id, id: eventId, data: { orderId: id, amount: i % 50 } })),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    expect(answers.filter((a) => a.body.duplicate)).toHaveLength(50);

    const done = await waitForStatus(id, "completed", 30_000);
    const got = (done.output as { id: string }[]).map((e) => e.id);
    expect(got).toHaveLength(50);
    expect([...got].sort()).toEqual([...ids].sort());
    expect(await correlation("test.paid", id).state()).toMatchObject({ buffered: [], pending: 0, registrations: [], seen: 50 });
  }, 60_000);

  it("one event for a key that 50 instances wait on reaches each of them once", async () => {
    const key = uniqueId("shared");
    const ids = Array.from({ length: 50 }, (_, i) => `${key}-w${i}`);
    await Promise.all(ids.map((id) => start("test-correlated", { id, input: { orderId: key } })));
    await Promise.all(ids.map((id) => waitUntil(id, (view) => view.waitingFor?.kind === "event", "waiting", 20_000)));
    await expect.poll(async () => (await correlation("test.paid", key).state()).registrations.length, { timeout: 10_000 }).toBe(50);

    const sent = await publish({ name: "test.paid", key, id: `for-all-${key}`, data: { orderId: key, amount: 3 } });
    expect(sent.body).toMatchObject({ delivered: 50, buffered: false });
    const views = await Promise.all(ids.map((id) => waitForStatus(id, "completed", 30_000)));
    for (const view of views) expect(view.output).toEqual([{ id: `for-all-${key}`, amount: 3 }]);
  }, 60_000);

  it("1,000 events across 100 keys: each instance gets its key's 10 events, once each, in the order they were published", async () => {
    const run = uniqueId("fleet");
    const keys = Array.from({ length: 100 }, (_, k) => `${run}-k${k}`);
    await Promise.all(keys.map((key) => start("test-correlated", { id: key, input: { orderId: key, times: 10, timeoutMs: 120_000 } })));
    // Ten rounds; in each, one event for every key at once.
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(keys.map((key) => publish({ name: "test.paid", key, id: `${key}-e${round}`, data: { orderId: key, amount: round } })));
      expect(answers.filter((a) => a.status !== 202 || a.body.duplicate)).toEqual([]);
    }
    const views = await Promise.all(keys.map((key) => waitForStatus(key, "completed", 90_000)));
    for (const [k, view] of views.entries()) {
      expect(view.output, keys[k]).toEqual(Array.from({ length: 10 }, (_, round) => ({ id: `${keys[k]}-e${round}`, amount: round })));
    }
  }, 180_000);
});
