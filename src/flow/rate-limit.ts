/**
 * A rate limit: one Durable Object per (workflow, key) that accepts at most `limit`
 * starts in any window of `period`. It keeps the time of each start it accepted
 * within the window (a sliding log, exact rather than estimated), and answers a
 * start beyond the limit with the time a place frees. Each call runs without an
 * await, so concurrent starts are counted one at a time: the limit holds exactly.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { Sql } from "../instance/sql.js";

export type Taken = { ok: true; seq: number } | { ok: false; retryAfterMs: number; limit: number };

export class RateLimiter extends DurableObject<Env> {
  private readonly sql: Sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      this.sql.run(`CREATE TABLE IF NOT EXISTS starts (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL)`);
    });
  }

  /** Counts one start if the window has room; else says when it will. */
  async take(limit: number, periodMs: number): Promise<Taken> {
    const now = Date.now();
    this.sql.run("DELETE FROM starts WHERE at <= ?", now - periodMs);
    const inWindow = this.sql.one<{ n: number; oldest: number | null }>("SELECT COUNT(*) AS n, MIN(at) AS oldest FROM starts")!;
    if (inWindow.n < limit) {
      return { ok: true, seq: this.sql.one<{ seq: number }>("INSERT INTO starts (at) VALUES (?) RETURNING seq", now)!.seq };
    }
    // The place that frees first is that of the (n − limit + 1)-th oldest start.
    const freeing = this.sql.one<{ at: number }>("SELECT at FROM starts ORDER BY at LIMIT 1 OFFSET ?", inWindow.n - limit)!;
    return { ok: false, retryAfterMs: Math.max(1, freeing.at + periodMs - now), limit };
  }

  /** Gives back a start counted for a request that started nothing (its id was taken already). */
  async giveBack(seq: number): Promise<void> {
    this.sql.run("DELETE FROM starts WHERE seq = ?", seq);
  }
}
