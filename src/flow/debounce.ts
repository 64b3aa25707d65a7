/**
 * A debouncer: one Durable Object per (workflow, key) that remembers the pending
 * instance of its key. The first start creates the instance at once, queued with
 * `waitingFor.kind` `debounce` until `period` from now; a start before that time
 * replaces the pending instance's input and pushes its start back to `period` after
 * itself, never past `maxWait` after the first. The instance's own timer starts it,
 * so the debouncer needs no alarm and a restart of either loses nothing.
 *
 * A pending instance that has started already (its timer fired, or it was paused,
 * terminated or deleted) refuses the push; the start then creates a new one. Starts
 * for one key are taken one at a time, in the order they came.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import type { CreateRequest, InstanceSummary } from "../instance/rpc.js";
import { Sql } from "../instance/sql.js";

export type Debounced =
  | { ok: true; created: boolean; merged: boolean; until: number; instance: InstanceSummary }
  | { ok: false; code: "INSTANCE_EXISTS"; workflow: string };

interface Pending extends Record<string, string | number> {
  id: string;
  first_at: number;
  until: number;
}

export class Debouncer extends DurableObject<Env> {
  private readonly sql: Sql;
  /** The start under way: the next one waits for it (starts of one key are taken in turn). */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      this.sql.run(`CREATE TABLE IF NOT EXISTS pending (one INTEGER PRIMARY KEY CHECK (one = 1), id TEXT NOT NULL, first_at INTEGER NOT NULL, until INTEGER NOT NULL)`);
    });
  }

  /** Merges the start into the pending instance of this key, or creates one (with `request.id`) that waits `periodMs`. */
  async submit(request: CreateRequest, periodMs: number, maxWaitMs?: number): Promise<Debounced> {
    const run = this.turn.then(() => this.take(request, periodMs, maxWaitMs));
    this.turn = run.catch(() => undefined);
    return run;
  }

  async pending(): Promise<Pending | null> {
    return this.sql.one<Pending>("SELECT id, first_at, until FROM pending") ?? null;
  }

  private async take(request: CreateRequest, periodMs: number, maxWaitMs: number | undefined): Promise<Debounced> {
    const now = Date.now();
    const pending = await this.pending();
    if (pending && now < pending.until) {
      const until = Math.min(now + periodMs, maxWaitMs === undefined ? Infinity : pending.first_at + maxWaitMs);
      const pushed = await this.instance(pending.id).debounce({ until, ...(request.input !== undefined && { input: request.input }) });
      if (pushed.ok) {
        this.sql.run("UPDATE pending SET until = ?", until);
        return { ok: true, created: false, merged: true, until, instance: pushed.instance };
      }
    }
    const until = now + Math.min(periodMs, maxWaitMs ?? Infinity);
    const created = await this.instance(request.id).create({ ...request, debounceUntil: until });
    if (!created.ok) return created;
    if (!created.created) return { ok: true, created: false, merged: false, until: now, instance: created.instance };
    this.sql.run("INSERT OR REPLACE INTO pending (one, id, first_at, until) VALUES (1, ?, ?, ?)", request.id, now, until);
    return { ok: true, created: true, merged: false, until, instance: created.instance };
  }

  private instance(id: string) {
    return this.env.WORKFLOW_INSTANCE.get(this.env.WORKFLOW_INSTANCE.idFromName(id));
  }
}
