/**
 * The bench-only Worker: Cairn's real API and WorkflowInstance, with the `bench-chain`
 * workflow registered next to the examples, plus `RawJournal`, a bare SQLite-backed
 * Durable Object that writes the same rows as a storage floor.
 *
 * Each route runs one measurement inside workerd, so the HTTP hop from Node is paid
 * once per measurement, not per step:
 *
 *   GET /bench/chain?n=N             create a bench-chain instance of N steps through
 *                                    the DO's create() RPC, poll its status until final.
 *   GET /bench/raw?n=N               one RPC to a fresh RawJournal that inserts N rows.
 *   GET /bench/profile/<variant>?n=N one piece of the step path (see PROFILE_VARIANTS).
 *
 * All answer `{ ms, ... }` timed with Date.now() in the Worker. workerd only moves
 * the clock forward across I/O; every sample here ends on an RPC's return, so the
 * figure is the wall time up to that I/O, at 1 ms resolution.
 */
import { DurableObject } from "cloudflare:workers";
import { createApp } from "../src/api/app.js";
import { Execution, isTerminal, realClock, type Clock, type JournalStore, type Status } from "../src/engine/index.js";
import type { Env as CairnEnv } from "../src/env.js";
import { SqlJournal } from "../src/instance/journal.js";
import { WorkflowInstance as ProductInstance } from "../src/instance/object.js";
import { migrate } from "../src/instance/schema.js";
import { Sql } from "../src/instance/sql.js";
import { defineWorkflow, registry, type WorkflowRegistry } from "../src/workflow.js";
import { workflows } from "../workflows/index.js";

/** N sequential trivial steps; returns a small summary. */
export const benchChain = defineWorkflow<{ n: number }, { steps: number; last: number }>({
  name: "bench-chain",
  async run(event, step) {
    let last = -1;
    for (let i = 0; i < event.payload.n; i++) {
      last = await step.do("step", () => i);
    }
    return { steps: event.payload.n, last };
  },
});

const all = registry(...Object.values(workflows), benchChain);

export class WorkflowInstance extends ProductInstance {
  protected override registry(): WorkflowRegistry {
    return all;
  }

  /** Bench-only: when the first alarm of this object started (workerd's clock at that event). */
  private firstAlarmAt?: number;

  override async alarm(): Promise<void> {
    this.firstAlarmAt ??= Date.now();
    return super.alarm();
  }

  /** Bench-only: the status in one small read (describe() would ship every step). */
  benchStatus(): { status: Status | null; firstAlarmAt: number | null } {
    let status: Status | null = null;
    try {
      const row = this.ctx.storage.sql.exec<{ status: string }>("SELECT status FROM instance LIMIT 1").toArray()[0];
      status = (row?.status as Status | undefined) ?? null;
    } catch {
      // no schema yet
    }
    return { status, firstAlarmAt: this.firstAlarmAt ?? null };
  }

  /** Bench-only: what the run left behind, to check the measurement did the work. */
  benchCheck(): { status: string; output: string | null; completedSteps: number; journalRows: number } {
    const sql = this.ctx.storage.sql;
    const row = sql.exec<{ status: string; output: string | null }>("SELECT status, output FROM instance LIMIT 1").one();
    const counts = sql
      .exec<{ total: number; done: number }>("SELECT COUNT(*) AS total, COALESCE(SUM(status = 'completed'), 0) AS done FROM steps")
      .one();
    return { status: row.status, output: row.output, completedSteps: counts.done, journalRows: counts.total };
  }
}

/** The storage floor: the same N journal rows (seq, name, result JSON), nothing else. */
export class RawJournal extends DurableObject {
  write(n: number): { rows: number } {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS steps (seq INTEGER PRIMARY KEY, name TEXT NOT NULL, result TEXT)");
    for (let i = 0; i < n; i++) {
      sql.exec("INSERT INTO steps (seq, name, result) VALUES (?, ?, ?)", i, "step", JSON.stringify(i));
    }
    return { rows: sql.exec<{ rows: number }>("SELECT COUNT(*) AS rows FROM steps").one().rows };
  }
}

/**
 * Profiling only: pieces of Cairn's per-step path, each run in a fresh object by one
 * RPC, so their costs can be told apart.
 *
 * - `engine-memory`: the engine (Execution, realClock) over a journal that keeps nothing.
 * - `engine-notimer`: the same with a clock whose step-timeout timer is a no-op.
 * - `journal`: Cairn's SqlJournal.save() twice per step (running, then completed), no engine.
 * - `engine-sql`: the engine over SqlJournal on this object's SQLite, as the instance
 *   runs it, minus create(), the alarm and the status bookkeeping.
 * - `sql-insert-update`: what the journal could do instead: INSERT the running row,
 *   then UPDATE only the columns that change when it completes.
 * - `sql-insert-once`: one INSERT of the completed row per step (no running row).
 * - `fresh`: nothing: the cost of reaching a new object.
 * - `schema`: Cairn's schema migration in a fresh object.
 */
export const PROFILE_VARIANTS = [
  "fresh",
  "schema",
  "journal",
  "sql-insert-update",
  "sql-insert-once",
  "engine-memory",
  "engine-notimer",
  "engine-sql",
] as const;
type ProfileVariant = (typeof PROFILE_VARIANTS)[number];

const noTimerClock: Clock = { ...realClock, setTimer: () => () => {} };

class NullJournal implements JournalStore {
  load() {
    return [];
  }
  save() {}
  saveAttempt() {}
  takeEvent() {
    return undefined;
  }
}

export class Profile extends DurableObject {
  async run(variant: ProfileVariant, n: number): Promise<{ rows: number }> {
    const sql = new Sql(this.ctx.storage.sql);
    if (variant === "fresh") return { rows: 0 };
    this.ctx.storage.transactionSync(() => migrate(sql));
    if (variant === "schema") return { rows: 0 };
    const journal = new SqlJournal(sql);
    if (variant === "journal") {
      const now = Date.now();
      for (let seq = 0; seq < n; seq++) {
        const record = { seq, name: "step", count: seq + 1, kind: "do" as const, status: "running" as const, attempts: 1, startedAt: now, attemptStartedAt: now };
        journal.save(record);
        journal.save({ ...record, status: "completed", result: JSON.stringify(seq), finishedAt: now });
      }
    } else if (variant === "sql-insert-update" || variant === "sql-insert-once") {
      const insert = `INSERT INTO steps (seq, name, count, kind, status, attempts, started_at, attempt_started_at, finished_at, due_at, event_type, result, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
      const now = Date.now();
      for (let seq = 0; seq < n; seq++) {
        if (variant === "sql-insert-once") {
          sql.run(insert, seq, "step", seq + 1, "do", "completed", 1, now, now, now, null, null, JSON.stringify(seq), null);
        } else {
          sql.run(insert, seq, "step", seq + 1, "do", "running", 1, now, now, null, null, null, null, null);
          sql.run("UPDATE steps SET status = 'completed', result = ?, finished_at = ? WHERE seq = ?", JSON.stringify(seq), now, seq);
        }
      }
    } else {
      const store = variant === "engine-sql" ? journal : new NullJournal();
      const clock = variant === "engine-notimer" ? noTimerClock : realClock;
      const execution = new Execution(benchChain, { id: "profile", input: JSON.stringify({ n }), createdAt: Date.now() }, store, clock);
      const outcome = await execution.advance();
      if (outcome.kind !== "completed") throw new Error(`profile ${variant}: ${JSON.stringify(outcome)}`);
    }
    return { rows: sql.one<{ rows: number }>("SELECT COUNT(*) AS rows FROM steps")!.rows };
  }
}

interface Env extends Omit<CairnEnv, "WORKFLOW_INSTANCE"> {
  WORKFLOW_INSTANCE: DurableObjectNamespace<WorkflowInstance>;
  RAW_JOURNAL: DurableObjectNamespace<RawJournal>;
  PROFILE: DurableObjectNamespace<Profile>;
}

const app = createApp(all);
const MAX_N = 100_000;
const CHAIN_TIMEOUT_MS = 10 * 60_000;

async function chain(env: Env, n: number, pollMs: number) {
  const id = `bench-chain-${n}-${crypto.randomUUID()}`;
  const stub = env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(id));
  const t0 = Date.now();
  const created = await stub.create({ id, workflow: benchChain.name, input: JSON.stringify({ n }), tags: {} });
  const tCreated = Date.now();
  if (!created.ok || !created.created) throw new Error(`create failed: ${JSON.stringify(created)}`);
  let polls = 0;
  let seen: { status: Status | null; firstAlarmAt: number | null };
  // Poll the object's status. The poll waits a macrotask (setTimeout 0 by default)
  // first: back-to-back status RPCs with no timer between them kept the object's
  // alarm from ever firing in local workerd. A poll sent while the drive runs its
  // steps is answered when the drive's synchronous run ends, so the poll that sees
  // "completed" arrives within one poll round trip of the end.
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    seen = await stub.benchStatus();
    polls++;
    if (seen.status && isTerminal(seen.status)) break;
    if (Date.now() - t0 > CHAIN_TIMEOUT_MS) throw new Error(`instance ${id} still ${seen.status} after ${CHAIN_TIMEOUT_MS} ms`);
  }
  const ms = Date.now() - t0;
  const check = await stub.benchCheck();
  const output = check.output === null ? null : (JSON.parse(check.output) as { steps: number; last: number });
  if (check.status !== "completed" || output?.steps !== n || output.last !== n - 1 || check.completedSteps !== n || check.journalRows !== n) {
    throw new Error(`instance ${id} did not do the work: ${JSON.stringify({ ...check, output })}`);
  }
  return { ms, createMs: tCreated - t0, alarmAfterMs: seen.firstAlarmAt === null ? null : seen.firstAlarmAt - t0, polls, status: seen.status };
}

async function raw(env: Env, n: number) {
  const stub = env.RAW_JOURNAL.get(env.RAW_JOURNAL.idFromName(`bench-raw-${n}-${crypto.randomUUID()}`));
  const t0 = Date.now();
  const { rows } = await stub.write(n);
  const ms = Date.now() - t0;
  if (rows !== n) throw new Error(`raw journal wrote ${rows} rows, expected ${n}`);
  return { ms };
}

async function profile(env: Env, variant: ProfileVariant, n: number) {
  const stub = env.PROFILE.get(env.PROFILE.idFromName(`bench-profile-${variant}-${n}-${crypto.randomUUID()}`));
  const t0 = Date.now();
  const { rows } = await stub.run(variant, n);
  const ms = Date.now() - t0;
  const expected = ["journal", "sql-insert-update", "sql-insert-once", "engine-sql"].includes(variant) ? n : 0;
  if (rows !== expected) throw new Error(`profile ${variant} left ${rows} rows, expected ${expected}`);
  return { ms };
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const url = new URL(request.url);
    const kind = url.pathname.startsWith("/bench/") ? url.pathname.slice("/bench/".length) : undefined;
    if (kind !== undefined) {
      const n = Number(url.searchParams.get("n"));
      if (!Number.isInteger(n) || n < 1 || n > MAX_N) return Response.json({ error: `n must be an integer in 1..${MAX_N}` }, { status: 400 });
      try {
        if (kind === "chain") return Response.json(await chain(env, n, Math.max(0, Number(url.searchParams.get("pollMs") ?? 0) || 0)));
        if (kind === "raw") return Response.json(await raw(env, n));
        const variant = PROFILE_VARIANTS.find((v) => kind === `profile/${v}`);
        if (variant) return Response.json(await profile(env, variant, n));
        return Response.json({ error: `no bench route ${url.pathname}` }, { status: 404 });
      } catch (error) {
        return Response.json({ error: String((error as Error)?.stack ?? error) }, { status: 500 });
      }
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
