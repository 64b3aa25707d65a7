/**
 * The instance's timers table: every future wake-up of the object, by key. Step
 * timers (`step:<seq>`) are written by the journal; the object's own are:
 * - `outbox`: the index row must be pushed to D1 by then (set with each change, cleared on success);
 * - `retention`: when a finished instance deletes itself;
 * - `parent`: a finished child must tell its parent (set when it finishes, cleared once told);
 * - `slot`: a queued instance asks its concurrency gate again (in case a grant was missed);
 * - `release`: a finished instance must give its concurrency slot back.
 * The object's one alarm is always set to the earliest row.
 */
import type { Sql } from "./sql.js";

export type OwnTimer = "outbox" | "retention" | "parent" | "slot" | "release";

export class Timers {
  constructor(private readonly sql: Sql) {}

  set(key: OwnTimer, dueAt: number): void {
    this.sql.run("INSERT OR REPLACE INTO timers (key, due_at) VALUES (?, ?)", key, dueAt);
  }

  clear(key: OwnTimer): void {
    this.sql.run("DELETE FROM timers WHERE key = ?", key);
  }

  get(key: OwnTimer): number | undefined {
    return this.sql.one<{ due_at: number }>("SELECT due_at FROM timers WHERE key = ?", key)?.due_at;
  }

  /** The earliest timer; without step timers while the instance is paused (they must not fire). */
  next({ steps }: { steps: boolean }): number | undefined {
    const row = this.sql.one<{ due: number | null }>(
      steps ? "SELECT MIN(due_at) AS due FROM timers" : "SELECT MIN(due_at) AS due FROM timers WHERE key NOT LIKE 'step:%'",
    );
    return row?.due ?? undefined;
  }

  /** The earliest step timer (a sleep, a retry, a timeout). */
  nextStep(): number | undefined {
    return this.sql.one<{ due: number | null }>("SELECT MIN(due_at) AS due FROM timers WHERE key LIKE 'step:%'")?.due ?? undefined;
  }

  clearSteps(fromSeq = 0): void {
    this.sql.run("DELETE FROM timers WHERE key LIKE 'step:%' AND CAST(substr(key, 6) AS INTEGER) >= ?", fromSeq);
  }
}
