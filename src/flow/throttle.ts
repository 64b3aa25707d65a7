/**
 * A throttle: one Durable Object per (workflow, key) that hands out start permits,
 * at most `limit` in any window of `period` (a sliding window over the permits it
 * gave). Instances beyond it wait in line, first in first out; none is dropped. The
 * object's alarm hands out the next permits as the window frees and tells their
 * instances; an instance that misses the message asks again at the time it was told
 * (`retryAt`), and a permit once given is its own for as long as `GRANT_MEMORY_MS`,
 * so asking again is safe.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { Sql } from "../instance/sql.js";

/** How long a permit is remembered for its instance (at least a period). */
export const GRANT_MEMORY_MS = 3_600_000;

export type Permit = { granted: true } | { granted: false; position: number; retryAt: number };

export class ThrottleGate extends DurableObject<Env> {
  private readonly sql: Sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      this.sql.run(`CREATE TABLE IF NOT EXISTS grants (instance_id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
      this.sql.run(`CREATE INDEX IF NOT EXISTS grants_at ON grants (at)`);
      this.sql.run(`CREATE TABLE IF NOT EXISTS waiters (position INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL UNIQUE, since INTEGER NOT NULL)`);
      this.sql.run(`CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`);
    });
  }

  /** A permit for `instanceId` now, or its place in line and when its permit is expected. */
  async permit(instanceId: string, limit: number, periodMs: number): Promise<Permit> {
    this.sql.run("INSERT OR REPLACE INTO settings (key, value) VALUES ('limit', ?), ('period', ?)", limit, periodMs);
    if (this.granted(instanceId)) return { granted: true };
    this.sql.run("INSERT OR IGNORE INTO waiters (instance_id, since) VALUES (?, ?)", instanceId, Date.now());
    const promoted = this.promote(Date.now());
    if (promoted.includes(instanceId)) {
      await this.notify(promoted.filter((id) => id !== instanceId));
      return { granted: true };
    }
    await this.notify(promoted);
    const position = this.position(instanceId);
    return { granted: false, position, retryAt: this.expected(position, Date.now()) };
  }

  async state(): Promise<{ limit: number; periodMs: number; granted: string[]; waiting: string[] }> {
    const { limit, periodMs } = this.settings();
    const since = Date.now() - periodMs;
    return {
      limit,
      periodMs,
      granted: this.sql.all<{ instance_id: string }>("SELECT instance_id FROM grants WHERE at > ? ORDER BY at", since).map((r) => r.instance_id),
      waiting: this.sql.all<{ instance_id: string }>("SELECT instance_id FROM waiters ORDER BY position").map((r) => r.instance_id),
    };
  }

  /** The window moved on: hand out the permits it frees, and tell their instances. */
  override async alarm(): Promise<void> {
    await this.notify(this.promote(Date.now()));
  }

  private settings(): { limit: number; periodMs: number } {
    const rows = this.sql.all<{ key: string; value: number }>("SELECT key, value FROM settings");
    const get = (key: string, fallback: number) => rows.find((r) => r.key === key)?.value ?? fallback;
    return { limit: get("limit", 1), periodMs: get("period", 1_000) };
  }

  private granted(instanceId: string): boolean {
    return this.sql.one("SELECT 1 AS found FROM grants WHERE instance_id = ?", instanceId) !== undefined;
  }

  private position(instanceId: string): number {
    const row = this.sql.one<{ position: number }>("SELECT position FROM waiters WHERE instance_id = ?", instanceId);
    if (!row) return 0;
    return (this.sql.one<{ ahead: number }>("SELECT COUNT(*) AS ahead FROM waiters WHERE position < ?", row.position)?.ahead ?? 0) + 1;
  }

  /** Permits given within the window ending now, oldest first. */
  private window(now: number, periodMs: number): number[] {
    return this.sql.all<{ at: number }>("SELECT at FROM grants WHERE at > ? ORDER BY at", now - periodMs).map((r) => r.at);
  }

  /** Gives permits to the first in line while the window has room; returns who got one. */
  private promote(now: number): string[] {
    const { limit, periodMs } = this.settings();
    this.sql.run("DELETE FROM grants WHERE at <= ?", now - Math.max(periodMs, GRANT_MEMORY_MS));
    const free = Math.max(0, limit - this.window(now, periodMs).length);
    const next = free === 0 ? [] : this.sql.all<{ instance_id: string }>("SELECT instance_id FROM waiters ORDER BY position LIMIT ?", free).map((r) => r.instance_id);
    for (const id of next) {
      this.sql.run("DELETE FROM waiters WHERE instance_id = ?", id);
      this.sql.run("INSERT OR REPLACE INTO grants (instance_id, at) VALUES (?, ?)", id, now);
    }
    return next;
  }

  /**
   * When the waiter at `position` should get its permit: each permit in the window
   * frees one place a period after it was given, and the line moves a window at a time.
   */
  private expected(position: number, now: number): number {
    const { limit, periodMs } = this.settings();
    const window = this.window(now, periodMs);
    const free = limit - window.length;
    if (position <= free || window.length === 0) return now;
    const index = position - free - 1;
    return window[index % window.length]! + periodMs * (Math.floor(index / window.length) + 1);
  }

  /** Tells instances they got a permit, then sets the alarm to when the window next frees a place. */
  private async notify(ids: string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.instance(id).slotGranted().catch(() => undefined)));
    const waiting = this.sql.one("SELECT 1 AS found FROM waiters LIMIT 1") !== undefined;
    if (!waiting) return this.ctx.storage.deleteAlarm();
    const next = this.expected(1, Date.now());
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(next);
  }

  private instance(id: string) {
    return this.env.WORKFLOW_INSTANCE.get(this.env.WORKFLOW_INSTANCE.idFromName(id));
  }
}
