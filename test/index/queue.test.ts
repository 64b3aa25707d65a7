/**
 * The index through a queue (docs/scaling.md): batched, version-guarded writes that
 * never move a row backwards, coalesced per instance, retried when D1 fails, and an
 * outbox that keeps each row until the consumer says D1 holds it.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult, runInDurableObject } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { pushInstances, type PushedRow } from "../../src/index-db/batch.js";
import { indexDb, pushInstance } from "../../src/index-db/queries.js";
import { consumeIndexBatch, type IndexAck } from "../../src/index-db/queue.js";
import { switches } from "../fixtures/effects.js";
import { QUEUE_PREFIX } from "../fixtures/worker.js";
import { api, indexRow, start, stubFor, uniqueId, waitForIndex, waitForStatus } from "../helpers.js";

const db = () => indexDb(env.DB);

function row(id: string, version: number, status: PushedRow["status"], more: Partial<PushedRow> = {}): PushedRow {
  return { id, workflow: "approval", status, tags: "{}", createdAt: 1_000, updatedAt: 1_000 + version, version, ...more };
}

let seq = 0;
function batchOf(rows: PushedRow[], attempts = 1) {
  return createMessageBatch<PushedRow>(
    "cairn-index-test",
    rows.map((body) => ({ id: `message-${++seq}`, timestamp: Date.now(), attempts, body })),
  );
}

/** Runs the consumer on `rows`; `acknowledge` stands in for the instances. */
async function consume(rows: PushedRow[], acknowledge: (row: PushedRow) => Promise<IndexAck>, database = db()) {
  const batch = batchOf(rows);
  const ctx = createExecutionContext();
  await consumeIndexBatch(batch, { db: database, acknowledge });
  return getQueueResult(batch, ctx);
}

/** A D1 whose every query fails, as an outage would. */
function brokenD1(): D1Database {
  const fail = () => {
    throw new Error("D1_ERROR: simulated outage");
  };
  return new Proxy(env.DB, { get: (target, property) => (property === "batch" || property === "prepare" || property === "exec" ? fail : Reflect.get(target, property)) });
}

async function outboxOf(id: string) {
  return runInDurableObject(stubFor(id), (_instance, state) => ({
    rows: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
    timer: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM timers WHERE key = 'outbox'").one().n,
  }));
}

suite("batched index writes", () => {
  it("never move a row backwards, in any order, within or across batches", async () => {
    const [a, b] = [uniqueId("batch-a"), uniqueId("batch-b")];
    await pushInstances(db(), [row(a, 5, "completed"), row(a, 3, "running"), row(b, 2, "running")]);
    await pushInstances(db(), [row(a, 4, "waiting"), row(b, 1, "queued")]);
    expect(await indexRow(a)).toMatchObject({ status: "completed", version: 5 });
    expect(await indexRow(b)).toMatchObject({ status: "running", version: 2 });
    // A single push of an older version is refused too: one guard for both paths.
    await pushInstance(db(), row(b, 1, "queued"));
    expect(await indexRow(b)).toMatchObject({ status: "running", version: 2 });
    await pushInstances(db(), [row(b, 3, "completed", { completedAt: 9 })]);
    expect(await indexRow(b)).toMatchObject({ status: "completed", version: 3, completedAt: 9 });
  });

  it("let a later life of the same id replace the row, whatever its version", async () => {
    const id = uniqueId("batch-life");
    await pushInstances(db(), [row(id, 7, "completed", { tags: JSON.stringify({ team: "old" }) })]);
    await pushInstances(db(), [row(id, 1, "queued", { createdAt: 2_000, workflow: "other", tags: JSON.stringify({ team: "new" }) })]);
    expect(await indexRow(id)).toMatchObject({ status: "queued", version: 1, createdAt: 2_000, workflow: "other" });
    // The old life's late row does not come back.
    await pushInstances(db(), [row(id, 8, "completed")]);
    expect(await indexRow(id)).toMatchObject({ version: 1, createdAt: 2_000 });
    const tags = await env.DB.prepare("SELECT value, created_at FROM instance_tags WHERE instance_id = ?").bind(id).all();
    expect(tags.results).toEqual([{ value: "new", created_at: 2_000 }]);
  });

  it("write a hundred instances with tags in one batch", async () => {
    const run = uniqueId("batch-crowd");
    const rows = Array.from({ length: 100 }, (_, i) => row(`${run}-${i}`, 2, "running", { tags: JSON.stringify({ run, i: String(i) }) }));
    const written = await pushInstances(db(), rows);
    expect(written).toHaveLength(100);
    const found = await env.DB.prepare("SELECT COUNT(*) AS n FROM instance_tags WHERE key = 'run' AND value = ?").bind(run).first<{ n: number }>();
    expect(found?.n).toBe(100);
  });
});

suite("index queue consumer", () => {
  it("coalesces a batch to the newest row of each instance and acknowledges each instance once", async () => {
    const ids = [uniqueId("coalesce"), uniqueId("coalesce"), uniqueId("coalesce")];
    const statuses = ["queued", "running", "waiting", "completed"] as const;
    const rows = ids.flatMap((id) => statuses.map((status, v) => row(id, v + 1, status))).sort(() => Math.random() - 0.5);
    const acknowledged: [string, number][] = [];
    const result = await consume(rows, async (r) => (acknowledged.push([r.id, r.version]), "kept"));
    expect(acknowledged.sort()).toEqual(ids.map((id) => [id, 4]).sort());
    expect(result.explicitAcks).toHaveLength(12);
    expect(result.retryMessages).toEqual([]);
    for (const id of ids) expect(await indexRow(id)).toMatchObject({ status: "completed", version: 4 });
  });

  it("retries the whole batch when D1 fails, and it lands on the next delivery", async () => {
    const id = uniqueId("batch-retry");
    const acknowledged: string[] = [];
    const failed = await consume([row(id, 2, "running")], async (r) => (acknowledged.push(r.id), "kept"), indexDb(brokenD1()));
    expect(failed.retryBatch.retry).toBe(true);
    expect(failed.explicitAcks).toEqual([]);
    expect(acknowledged).toEqual([]);
    expect(await indexRow(id)).toBeUndefined();
    const landed = await consume([row(id, 2, "running")], async (r) => (acknowledged.push(r.id), "kept"));
    expect(landed.retryBatch.retry).toBe(false);
    expect(landed.explicitAcks).toHaveLength(1);
    expect(acknowledged).toEqual([id]);
    expect(await indexRow(id)).toMatchObject({ status: "running", version: 2 });
  });

  it("retries a message whose instance did not answer, and removes the row of one that is gone", async () => {
    const [quiet, gone] = [uniqueId("quiet"), uniqueId("gone")];
    const result = await consume([row(quiet, 1, "queued"), row(gone, 1, "queued")], async (r) => {
      if (r.id === quiet) throw new Error("object unreachable");
      return "gone";
    });
    expect(result.retryMessages).toHaveLength(1);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await indexRow(gone)).toBeUndefined();
    expect(await indexRow(quiet)).toMatchObject({ version: 1 });
  });
});

suite("instances indexing through the queue", () => {
  it("follow an instance to its final status; the outbox empties once the consumer acknowledges", async () => {
    const id = uniqueId(`${QUEUE_PREFIX}follow`);
    await start("test-counted-chain", { id, input: { steps: 2 }, tags: { team: "core" } });
    await waitForStatus(id, "completed");
    await waitForIndex(id, (r) => r?.status === "completed", "completed");
    expect(switches.get(`queue-sends/${id}`)).toBeGreaterThanOrEqual(1);
    // No direct write: the row came through the queue.
    expect(switches.get(`d1-writes/${id}`)).toBeUndefined();
    const deadline = Date.now() + 5_000;
    while ((await outboxOf(id)).rows > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await outboxOf(id)).toEqual({ rows: 0, timer: 0 });
  });

  it("send the row again when the queue lost it, and write D1 directly when the queue refuses it", async () => {
    const [lost, refused] = [uniqueId(`${QUEUE_PREFIX}lost`), uniqueId(`${QUEUE_PREFIX}refused`)];
    switches.set(`queue-drop/${lost}`, 1);
    switches.set(`queue-refuse/${refused}`, 10);
    await Promise.all([lost, refused].map((id) => start("test-counted-chain", { id, input: { steps: 1 } })));
    for (const id of [lost, refused]) {
      await waitForStatus(id, "completed");
      await waitForIndex(id, (r) => r?.status === "completed", "completed");
    }
    expect(switches.get(`queue-sends/${lost}`)).toBeGreaterThanOrEqual(2);
    expect(switches.get(`d1-writes/${lost}`)).toBeUndefined();
    expect(switches.get(`d1-writes/${refused}`)).toBeGreaterThanOrEqual(1);
    expect(await outboxOf(refused)).toEqual({ rows: 0, timer: 0 });
  });

  it("remove a row that a late message wrote after its instance was deleted", async () => {
    const id = uniqueId(`${QUEUE_PREFIX}deleted`);
    await start("test-counted-chain", { id, input: { steps: 1 } });
    await waitForStatus(id, "completed");
    const indexed = await waitForIndex(id, (r) => r?.status === "completed", "completed");
    expect((await api(`/api/instances/${id}`, { method: "DELETE" })).status).toBeLessThan(300);
    expect(await indexRow(id)).toBeUndefined();
    // A copy of the row still travelling lands after the delete; the instance says it is gone.
    const result = await consume([indexed as PushedRow], (r) => stubFor(r.id).indexed(r.createdAt, r.version));
    expect(result.explicitAcks).toHaveLength(1);
    expect(await indexRow(id)).toBeUndefined();
  });
});
