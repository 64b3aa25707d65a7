/**
 * The D1 index follows every instance through its outbox: it converges after D1
 * outages, never moves a row backwards, and keeps up with many instances at once.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { indexDb, pushInstance } from "../../src/index-db/queries.js";
import { INDEX_COALESCE_MS } from "../../src/instance/index-push.js";
import { PRODUCT_TIMING_PREFIX, switches } from "../fixtures/effects.js";
import { indexRow, read, start, stubFor, uniqueId, waitForIndex, waitForStatus } from "../helpers.js";

suite("index outbox", () => {
  it("shows a new instance and follows it to its final status", async () => {
    const id = uniqueId("indexed");
    await start("test-counted-chain", { id, input: { steps: 2 }, tags: { team: "core", region: "eu" } });
    const view = await waitForStatus(id, "completed");
    const row = await waitForIndex(id, (r) => r?.status === "completed", "completed");
    expect(row).toMatchObject({
      id,
      workflow: "test-counted-chain",
      status: "completed",
      tags: JSON.stringify({ team: "core", region: "eu" }),
      errorCode: null,
      createdAt: Date.parse(view.createdAt),
      completedAt: Date.parse(view.completedAt!),
    });
  });

  it("pushes an open status with what the instance does in the next 2 s, and a finished one at once", async () => {
    // A short sleep: waiting, running and completed reach D1 as one write, the finished row.
    const brief = uniqueId(`${PRODUCT_TIMING_PREFIX}brief-sleep`);
    await start("test-counted-chain", { id: brief, input: { steps: 1, sleepAfter: 0, sleepMs: 50 } });
    await waitForIndex(brief, (r) => r?.status === "completed", "completed");
    expect(switches.get(`d1-writes/${brief}`)).toBe(1);

    // A wait that lasts, with nobody reading the instance: its status reaches the index once it has held for INDEX_COALESCE_MS.
    const waiting = uniqueId(`${PRODUCT_TIMING_PREFIX}lasting-wait`);
    const started = Date.now();
    await start("test-inbox", { id: waiting });
    const row = await waitForIndex(waiting, (r) => r?.status === "waiting", "waiting", 10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(INDEX_COALESCE_MS - 100);
    expect(row?.waitingFor).toContain('"event"');
    expect(switches.get(`d1-writes/${waiting}`)).toBe(1);

    // A read of the instance sends its waiting row at once: a list read next agrees with it.
    const looked = uniqueId(`${PRODUCT_TIMING_PREFIX}looked-at`);
    const t0 = Date.now();
    await start("test-inbox", { id: looked });
    await waitForStatus(looked, "waiting");
    await waitForIndex(looked, (r) => r?.status === "waiting", "waiting", 10_000);
    expect(Date.now() - t0).toBeLessThan(INDEX_COALESCE_MS);
  });

  it("records the error code and message of a failed instance", async () => {
    const id = uniqueId("indexed-failed");
    await start("test-doomed", { id });
    await waitForStatus(id, "failed");
    expect(await waitForIndex(id, (r) => r?.status === "failed", "failed")).toMatchObject({ errorCode: "NON_RETRYABLE", errorMessage: "refused for good" });
  });

  it("converges after D1 fails several times in a row", async () => {
    const id = uniqueId("outage");
    switches.set(`d1-failures/${id}`, 5);
    await start("test-counted-chain", { id, input: { steps: 3 } });
    await waitForStatus(id, "completed");
    const row = await waitForIndex(id, (r) => r?.status === "completed", "completed");
    expect(switches.get(`d1-failed/${id}`)).toBe(5);
    expect(row?.updatedAt).toBe(Date.parse((await read(id)).updatedAt));
    // The outbox is empty and no retry is pending once the row is in.
    await runInDurableObject(stubFor(id), (_instance, state) => {
      expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM outbox").one().n).toBe(0);
      expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM timers WHERE key = 'outbox'").one().n).toBe(0);
    });
  });

  it("never moves a row backwards: an older version is ignored", async () => {
    const db = indexDb(env.DB);
    const id = uniqueId("versions");
    const base = { id, workflow: "approval", tags: "{}", createdAt: 1, updatedAt: 1 };
    await pushInstance(db, { ...base, status: "completed", version: 5, updatedAt: 50 });
    await pushInstance(db, { ...base, status: "running", version: 3, updatedAt: 30 });
    await pushInstance(db, { ...base, status: "completed", version: 5, updatedAt: 50 });
    expect(await indexRow(id)).toMatchObject({ status: "completed", version: 5, updatedAt: 50 });
    await pushInstance(db, { ...base, status: "queued", version: 6, updatedAt: 60 });
    expect(await indexRow(id)).toMatchObject({ status: "queued", version: 6 });
  });

  it("ends with the right row for each of 200 instances started and finished at once", async () => {
    const run = uniqueId("crowd");
    const ids = Array.from({ length: 200 }, (_, i) => `${run}-${i}`);
    await Promise.all(ids.map((id, i) => start(i % 3 === 0 ? "test-doomed" : "test-counted-chain", { id, input: { steps: 2 }, tags: { run } })));
    for (const id of ids) await waitForStatus(id, ["completed", "failed"], 30_000);
    for (const [i, id] of ids.entries()) {
      const expected = i % 3 === 0 ? "failed" : "completed";
      const row = await waitForIndex(id, (r) => r?.status === expected, expected, 30_000);
      const view = await read(id);
      expect(row?.updatedAt).toBe(Date.parse(view.updatedAt));
    }
  }, 90_000);
});
