/**
 * Cairn as the benchmark runs it: the product's HTTP API and WorkflowInstance, with
 * the `bench` workflow (bench/worker/bodies.ts) registered next to the examples.
 *
 * The subclass meters instances whose id says so (meter.ts: the cost rung) and adds
 * read-only RPCs for the harness. `benchWait` lets the harness
 * learn that an instance finished without polling across RPC: the object wraps the
 * bench workflow's `run` so that its end wakes the waiters, which then read the
 * status row (the engine records the outcome in the same turn, right after `run`
 * settles). The answer leaves the object only once that row is durable (output gate).
 */
import { createApp } from "../../src/api/app.js";
import { isTerminal, type Status } from "../../src/engine/index.js";
import { registry, type WorkflowDefinition, type WorkflowRegistry } from "../../src/workflow.js";
import { workflows } from "../../workflows/index.js";
import type { CostClient } from "./cost.js";
import { FLOW_VARIANTS } from "./flow.js";
import type { BenchEnv, Engine } from "./engine.js";
import { MeteredInstance } from "./meter.js";
import { benchWorkflow } from "./workflow.js";

export { benchWorkflow };

const all = registry(...Object.values(workflows), benchWorkflow, ...Object.values(FLOW_VARIANTS));
export const app = createApp(all);

/** How often a waiter looks at the status row when no end of `run` woke it. */
const SAFETY_POLL_MS = 250;
const WAITING_POLL_MS = 2;

/** Instances whose id starts with this write to a D1 stand-in that does nothing (per-instance profile). */
export const NO_INDEX_PREFIX = "noindex-";

const ok = { success: true, results: [], meta: {} };
/** Answers every query at once with no rows: what Cairn costs without its index. */
const nullD1 = {
  prepare() {
    const statement = { bind: () => statement, run: async () => ok, all: async () => ok, raw: async () => [], first: async () => null };
    return statement;
  },
  batch: async (statements: unknown[]) => statements.map(() => ok),
} as unknown as D1Database;

export class WorkflowInstance extends MeteredInstance {
  private benchRegistry?: WorkflowRegistry;
  private wakeWaiters: (() => void)[] = [];

  protected override indexDatabase(): D1Database {
    return this.ctx.id.name?.startsWith(NO_INDEX_PREFIX) ? nullD1 : super.indexDatabase();
  }

  protected override registry(): WorkflowRegistry {
    const woken = (definition: WorkflowDefinition): WorkflowDefinition => ({
      ...definition,
      run: async (event, step, ctx) => {
        try {
          return await definition.run(event, step, ctx);
        } finally {
          // After this turn the engine has recorded the outcome.
          setTimeout(() => this.wakeAll(), 0);
        }
      },
    });
    this.benchRegistry ??= registry(...Object.values(workflows), ...[benchWorkflow, ...Object.values(FLOW_VARIANTS)].map(woken));
    return this.benchRegistry;
  }

  private wakeAll(): void {
    const waiters = this.wakeWaiters;
    this.wakeWaiters = [];
    for (const wake of waiters) wake();
  }

  private benchStatus(): { status: Status | null; output: string | null; error: string | null } {
    try {
      const row = this.ctx.storage.sql
        .exec<{ status: string; output: string | null; error: string | null }>("SELECT status, output, error FROM instance LIMIT 1")
        .toArray()[0];
      if (row) return { status: row.status as Status, output: row.output, error: row.error };
    } catch {
      // no schema yet
    }
    return { status: null, output: null, error: null };
  }

  /** Resolves once the status is `target` or final; with the output (JSON text) when completed. */
  async benchWait(target: "completed" | "waiting"): Promise<{ status: Status | null; output: string | null; error: string | null }> {
    for (;;) {
      const seen = this.benchStatus();
      if (seen.status === target || (seen.status && isTerminal(seen.status))) return seen;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, target === "waiting" ? WAITING_POLL_MS : SAFETY_POLL_MS);
        this.wakeWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The status and whether the outbox is empty, read past the meter (the cost rung's client). */
  benchPeek(): { status: Status | null; outboxEmpty: boolean } {
    const { status } = this.benchStatus();
    let outboxEmpty = true;
    try {
      outboxEmpty = this.ctx.storage.sql.exec("SELECT 1 FROM outbox LIMIT 1").toArray().length === 0;
    } catch {
      // no schema yet
    }
    return { status, outboxEmpty };
  }

  /** The memory rung: drops the waiting execution as the driver does an idle one; answers whether one is still in memory. */
  benchDropExecution(): boolean {
    return this.driver.release();
  }

  /** What the run left behind, to check that a measurement did the work. */
  benchJournal(): { completedSteps: number; journalRows: number } {
    const counts = this.ctx.storage.sql
      .exec<{ total: number; done: number }>("SELECT COUNT(*) AS total, COALESCE(SUM(status = 'completed'), 0) AS done FROM steps")
      .one();
    return { completedSteps: counts.done, journalRows: counts.total };
  }
}

/**
 * Starts instances through Cairn's HTTP API (in this Worker, no network hop), as a
 * client would; with `{ api: false }`, by the create() RPC the API makes.
 */
export function cairn(env: BenchEnv, { api = true } = {}): Engine & { startOf(workflow: string, id: string, input: unknown): Promise<void> } {
  const stub = (id: string) => env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(id));
  const post = async (path: string, body: unknown, expected: number | number[]) => {
    const res = await app.fetch(
      new Request(`http://cairn.local${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${env.API_TOKEN}` },
        body: JSON.stringify(body),
      }),
      env,
    );
    if (![expected].flat().includes(res.status)) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
    await res.body?.cancel();
  };
  return {
    name: "cairn",
    async start(id, input) {
      if (api) return post(`/api/workflows/${benchWorkflow.name}/instances`, { id, input }, 201);
      const created = await stub(id).create({ id, workflow: benchWorkflow.name, input: JSON.stringify(input), tags: {} });
      if (!created.ok || !created.created) throw new Error(`create ${id}: ${JSON.stringify(created)}`);
    },
    async wait(id) {
      const seen = await stub(id).benchWait("completed");
      if (seen.status !== "completed") throw new Error(`cairn instance ${id} is ${seen.status}, expected completed: ${seen.error}`);
    },
    async waitForEventWait(id) {
      const seen = await stub(id).benchWait("waiting");
      if (seen.status !== "waiting") throw new Error(`cairn instance ${id} is ${seen.status}, expected waiting: ${seen.error}`);
    },
    async output(id) {
      const seen = await stub(id).benchWait("completed");
      return seen.output === null ? undefined : JSON.parse(seen.output);
    },
    /** Starts an instance of another workflow (the flow variants); a debounced start answers 202. */
    startOf: (workflow, id, input) => post(`/api/workflows/${workflow}/instances`, { id, input }, [201, 202]),
    sendEvent: (id, type, payload) => post(`/api/instances/${encodeURIComponent(id)}/events`, { type, payload }, 202),
    async journalRows(id) {
      return (await stub(id).benchJournal()).completedSteps;
    },
  };
}

/** The cost rung's client (bench/worker/cost.ts): the HTTP API, and reads past the meter. */
export function costClient(env: BenchEnv): CostClient {
  const e = cairn(env);
  const stub = (id: string) => env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(id));
  return {
    start: (id, input) => e.start(id, input),
    sendEvent: (id, type, payload) => e.sendEvent(id, type, payload),
    peek: (id) => stub(id).benchPeek(),
    async counts(id) {
      const counts = await stub(id).costCounts();
      if (!counts) throw new Error(`instance ${id} is not metered`);
      return counts;
    },
  };
}
