/**
 * A concurrency gate: one Durable Object per (workflow, key) that hands out at
 * most `limit` slots. Instances over the limit wait in line and are told when a
 * slot frees. The line is ordered by rank: the time a waiter arrived less its
 * priority (seconds of head start), then by arrival; without priorities that is
 * first in, first out. A slot is a lease the gate checks on its alarm:
 * a holder that has finished or no longer exists loses it, so no slot leaks even
 * when a release message is lost.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { Sql } from "../instance/sql.js";

/** How often the gate checks that its holders still hold. */
export const LEASE_CHECK_MS = 30_000;

/** The order of the line: rank (arrival less priority), then arrival. */
const LINE = "COALESCE(rank, since), position";

export type Acquired = { granted: true } | { granted: false; position: number };

export class ConcurrencyGate extends DurableObject<Env> {
  private readonly sql: Sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      this.sql.run(`CREATE TABLE IF NOT EXISTS holders (instance_id TEXT PRIMARY KEY, since INTEGER NOT NULL)`);
      this.sql.run(`CREATE TABLE IF NOT EXISTS waiters (position INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL UNIQUE, since INTEGER NOT NULL, rank INTEGER)`);
      this.sql.run(`CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`);
      // Gates made before priorities had no rank: their waiters rank by arrival.
      if (!this.sql.all<{ name: string }>("PRAGMA table_info(waiters)").some((column) => column.name === "rank")) {
        this.sql.run("ALTER TABLE waiters ADD COLUMN rank INTEGER");
      }
    });
  }

  /**
   * A slot for `instanceId` if one is free and nobody waits ahead of it; else its
   * place in line. `priority`: seconds of head start over waiters of priority 0
   * (clamped by the caller), fixed at its first request.
   */
  async acquire(instanceId: string, limit: number, priority = 0): Promise<Acquired> {
    this.sql.run("INSERT OR REPLACE INTO settings (key, value) VALUES ('limit', ?)", limit);
    if (this.holds(instanceId)) return { granted: true };
    const now = Date.now();
    this.sql.run("INSERT OR IGNORE INTO waiters (instance_id, since, rank) VALUES (?, ?, ?)", instanceId, now, now - Math.round(priority * 1000));
    this.promote();
    if (this.holds(instanceId)) return { granted: true };
    await this.ensureAlarm();
    return { granted: false, position: this.position(instanceId) };
  }

  /** Frees the instance's slot (or its place in line) and lets the next in line in. */
  async release(instanceId: string): Promise<void> {
    this.sql.run("DELETE FROM holders WHERE instance_id = ?", instanceId);
    this.sql.run("DELETE FROM waiters WHERE instance_id = ?", instanceId);
    await this.notify(this.promote());
  }

  /** 1 for the next in line; 0 when holding a slot or unknown here. */
  async place(instanceId: string): Promise<number> {
    return this.position(instanceId);
  }

  async state(): Promise<{ limit: number; holders: string[]; waiting: string[] }> {
    return {
      limit: this.limit(),
      holders: this.sql.all<{ instance_id: string }>("SELECT instance_id FROM holders ORDER BY since").map((r) => r.instance_id),
      waiting: this.sql.all<{ instance_id: string }>(`SELECT instance_id FROM waiters ORDER BY ${LINE}`).map((r) => r.instance_id),
    };
  }

  /** Checks every holder; a slot whose holder finished or is gone goes to the next in line. */
  override async alarm(): Promise<void> {
    const holders = this.sql.all<{ instance_id: string }>("SELECT instance_id FROM holders").map((r) => r.instance_id);
    const checks = await Promise.all(
      holders.map(async (id) => {
        try {
          return { id, holds: await this.instance(id).holdsSlot() };
        } catch {
          // Unreachable for now: keep its slot and ask again next time.
          return { id, holds: true };
        }
      }),
    );
    for (const { id, holds } of checks) if (!holds) this.sql.run("DELETE FROM holders WHERE instance_id = ?", id);
    await this.notify(this.promote());
    await this.ensureAlarm();
  }

  private instance(id: string) {
    return this.env.WORKFLOW_INSTANCE.get(this.env.WORKFLOW_INSTANCE.idFromName(id));
  }

  private limit(): number {
    return this.sql.one<{ value: number }>("SELECT value FROM settings WHERE key = 'limit'")?.value ?? 1;
  }

  private holds(instanceId: string): boolean {
    return this.sql.one("SELECT 1 AS found FROM holders WHERE instance_id = ?", instanceId) !== undefined;
  }

  private position(instanceId: string): number {
    const row = this.sql.one<{ position: number; rank: number }>("SELECT position, COALESCE(rank, since) AS rank FROM waiters WHERE instance_id = ?", instanceId);
    if (!row) return 0;
    const ahead = this.sql.one<{ ahead: number }>(
      "SELECT COUNT(*) AS ahead FROM waiters WHERE COALESCE(rank, since) < ? OR (COALESCE(rank, since) = ? AND position < ?)",
      row.rank, row.rank, row.position,
    );
    return (ahead?.ahead ?? 0) + 1;
  }

  /** Moves waiters into free slots, in the order of the line; returns who got one. */
  private promote(): string[] {
    const held = this.sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM holders")?.n ?? 0;
    const free = Math.max(0, this.limit() - held);
    if (free === 0) return [];
    const next = this.sql.all<{ instance_id: string }>(`SELECT instance_id FROM waiters ORDER BY ${LINE} LIMIT ?`, free).map((r) => r.instance_id);
    for (const id of next) {
      this.sql.run("DELETE FROM waiters WHERE instance_id = ?", id);
      this.sql.run("INSERT OR IGNORE INTO holders (instance_id, since) VALUES (?, ?)", id, Date.now());
    }
    return next;
  }

  /** Tells instances they got a slot; one that misses the message asks again on its own. */
  private async notify(ids: string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.instance(id).slotGranted().catch(() => undefined)));
    await this.ensureAlarm();
  }

  private async ensureAlarm(): Promise<void> {
    const busy = this.sql.one("SELECT 1 AS found FROM holders UNION ALL SELECT 1 FROM waiters LIMIT 1") !== undefined;
    if (!busy) return this.ctx.storage.deleteAlarm();
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + LEASE_CHECK_MS);
  }
}
