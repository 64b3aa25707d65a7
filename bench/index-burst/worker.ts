/**
 * The index burst's Worker (bench/index-burst/run.mjs): Cairn's WorkflowInstance
 * with one `burst` workflow, the index queue's consumer (used when the host binds
 * INDEX_QUEUE), and routes that start a burst and read what reached the index.
 *
 *   POST /migrate                        the index schema, plus a trigger that notes when each row turned completed
 *   GET  /burst?prefix=P&count=N&ms=M    starts N instances at once (each: a step, a sleep of M ms, a step)
 *   GET  /progress?prefix=P              how many of them the index shows completed
 *   GET  /result?prefix=P                per instance: completed at (object's clock), seen completed in D1, versions
 *   GET  /consumer                       the queue consumer's invocations since the last call: messages, wall ms
 *   GET  /d1?rows=N&batch=B&parallel=C   D1 alone: N rows written B to a query (1: the direct push), C queries in flight
 */
import { pushInstances, type PushedRow } from "../../src/index-db/batch.js";
import { indexDb, pushInstance } from "../../src/index-db/queries.js";
import type { IndexMessage } from "../../src/index-db/queue.js";
import { WorkflowInstance as ProductInstance } from "../../src/instance/object.js";
import { createWorker } from "../../src/worker.js";
import { defineWorkflow, registry, type WorkflowRegistry } from "../../src/workflow.js";
import type { Env } from "../../src/env.js";

const burst = defineWorkflow<{ ms: number }>({
  name: "burst",
  run: async (event, step) => {
    await step.do("first", async () => 1);
    await step.sleep("nap", event.payload.ms);
    return step.do("second", async () => 2);
  },
});
const all = registry(burst);

export class WorkflowInstance extends ProductInstance {
  protected override registry(): WorkflowRegistry {
    return all;
  }
}

/** When each row reached D1 as completed, by SQLite's clock (epoch ms). */
const SEEN_TRIGGERS = [
  "CREATE TABLE IF NOT EXISTS burst_seen (id TEXT PRIMARY KEY, seen_at REAL NOT NULL)",
  ...["INSERT", "UPDATE OF status"].map(
    (event, i) => `CREATE TRIGGER IF NOT EXISTS burst_seen_${i} AFTER ${event} ON instances WHEN NEW.status = 'completed'
      BEGIN INSERT OR IGNORE INTO burst_seen (id, seen_at) VALUES (NEW.id, (julianday('now') - 2440587.5) * 86400000.0); END`,
  ),
];

const worker = createWorker(all);

/** Each consumer invocation: messages in the batch and its wall time (the bench Worker's own record, not Cairn's). */
const consumed: { messages: number; ms: number }[] = [];

function int(url: URL, name: string, fallback: number): number {
  const value = Number(url.searchParams.get(name) ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number`);
  return value;
}

async function d1Only(env: Env, rows: number, batch: number, parallel: number) {
  const db = indexDb(env.DB);
  const run = crypto.randomUUID();
  const row = (i: number): PushedRow => ({ id: `d1-${run}-${i}`, workflow: "burst", status: "running", tags: "{}", createdAt: Date.now(), updatedAt: Date.now(), version: 2 });
  const chunks = Array.from({ length: Math.ceil(rows / batch) }, (_, c) => Array.from({ length: Math.min(batch, rows - c * batch) }, (_, i) => row(c * batch + i)));
  let next = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        if (batch === 1) await pushInstance(db, chunk[0]!);
        else await pushInstances(db, chunk);
      }
    }),
  );
  return { rows, batch, parallel, queries: chunks.length, ms: Date.now() - t0 };
}

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    const prefix = url.searchParams.get("prefix") ?? "";
    try {
      switch (url.pathname) {
        case "/migrate": {
          const statements = [...((await request.json()) as string[]), ...SEEN_TRIGGERS];
          await env.DB.batch(statements.map((s) => env.DB.prepare(s)));
          return Response.json({ applied: statements.length });
        }
        case "/burst": {
          const count = int(url, "count", 5_000);
          const ms = int(url, "ms", 500);
          const t0 = Date.now();
          await Promise.all(
            Array.from({ length: count }, async (_, i) => {
              const id = `${prefix}-${i}`;
              const created = await env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(id)).create({ id, workflow: burst.name, input: JSON.stringify({ ms }), tags: {} });
              if (!created.ok) throw new Error(`create ${id}: ${JSON.stringify(created)}`);
            }),
          );
          return Response.json({ t0, startedMs: Date.now() - t0 });
        }
        case "/progress": {
          const found = await env.DB.prepare("SELECT COUNT(*) AS n FROM instances WHERE id LIKE ? AND status = 'completed'").bind(`${prefix}-%`).first<{ n: number }>();
          return Response.json({ completed: found?.n ?? 0 });
        }
        case "/result": {
          const { results } = await env.DB.prepare(
            "SELECT i.completed_at AS completedAt, s.seen_at AS seenAt, i.version AS version FROM instances i JOIN burst_seen s ON s.id = i.id WHERE i.id LIKE ?",
          )
            .bind(`${prefix}-%`)
            .all<{ completedAt: number; seenAt: number; version: number }>();
          return Response.json({ rows: results });
        }
        case "/consumer":
          return Response.json({ batches: consumed.splice(0) });
        case "/d1":
          return Response.json(await d1Only(env, int(url, "rows", 20_000), Math.max(1, int(url, "batch", 1)), Math.max(1, int(url, "parallel", 1))));
      }
      return Response.json({ error: `no route ${url.pathname}` }, { status: 404 });
    } catch (error) {
      return Response.json({ error: String((error as Error)?.stack ?? error) }, { status: 500 });
    }
  },
  async queue(batch, env) {
    const t0 = Date.now();
    await worker.queue(batch, env);
    consumed.push({ messages: batch.messages.length, ms: Date.now() - t0 });
  },
} satisfies ExportedHandler<Env, IndexMessage>;
