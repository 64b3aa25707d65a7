/**
 * The instance's timers table: every future wake-up of the object, by key. Step
 * timers (`step:<seq>`) are written by the journal; the object's own are set and
 * cleared by the lifecycle machine (OWN_TIMERS in src/engine/lifecycle.ts):
 * - `outbox`: the index row must be pushed to D1 by then (set with a change unless due sooner, cleared on success);
 * - `retention`: when a finished instance deletes itself;
 * - `parent`: a finished child must tell its parent (set when it finishes, cleared once told);
 * - `slot`: a queued instance asks its concurrency gate again (a missed grant, an unreachable gate);
 * - `release`: a finished instance must give its concurrency slot back;
 * - `registry`: an instance whose workflow is not registered looks again;
 * - `lease`: while an advance runs, the recovery lease: if the runtime dies, the alarm replays.
 * The object's one alarm is always set to the earliest row.
 */
import type { Cause, OwnTimer, Step } from "../engine/index.js";
import type { Sql } from "./sql.js";

export type { OwnTimer };

/** The cause each of the object's own timers stands for when it falls due (`lease` wakes the alarm cause). */
export const TIMER_CAUSES: Record<Exclude<OwnTimer, "lease">, Cause> = {
  retention: { kind: "retentionDue" },
  outbox: { kind: "outboxDue" },
  slot: { kind: "slotDue" },
  parent: { kind: "parentDue" },
  release: { kind: "releaseDue" },
  registry: { kind: "registryDue" },
  debounce: { kind: "debounceDue" },
};

/**
 * Sets a timer row in place, and not at all when unchanged: the object's own timers
 * and the journal's step timers. The third parameter is 0 for a plain set; for a set
 * that keeps a time already due sooner (`setNoLater`) it is now, and a time already
 * past is replaced. One statement for both: SQLite keeps each distinct statement an
 * object has run compiled, in its memory, until the object is evicted.
 */
export const SET_TIMER =
  "INSERT INTO timers (key, due_at) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at WHERE due_at != excluded.due_at AND (?3 = 0 OR due_at > excluded.due_at OR due_at <= ?3)";

export class Timers {
  constructor(private readonly sql: Sql) {}

  set(key: OwnTimer, dueAt: number): void {
    this.sql.run(SET_TIMER, key, dueAt, 0);
  }

  /** Sets the timer unless it is already due sooner, and not yet (one that fell due is set again). */
  setNoLater(key: OwnTimer, dueAt: number, now = Date.now()): void {
    this.sql.run(SET_TIMER, key, dueAt, now);
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

  /** Writes the timers a lifecycle step set and cleared. */
  apply(timers: Step["timers"]): void {
    // One key at a time: the same statement as clear(), whatever the count.
    for (const key of timers.clear) this.clear(key);
    for (const [key, at] of Object.entries(timers.set) as [OwnTimer, number][]) {
      // The outbox timer only has to stand until the push lands: one already due sooner is kept
      // (a change pushes at once; the timer is the fallback should that push not land).
      if (key === "outbox") this.setNoLater(key, at);
      else this.set(key, at);
    }
  }

  /** Which of the object's own timers are due, earliest first. */
  due(now: number): OwnTimer[] {
    return this.sql
      .all<{ key: string }>("SELECT key FROM timers WHERE due_at <= ? AND key NOT LIKE 'step:%' ORDER BY due_at", now)
      .map((row) => row.key as OwnTimer);
  }

  clearSteps(fromSeq = 0): void {
    this.sql.run("DELETE FROM timers WHERE key LIKE 'step:%' AND CAST(substr(key, 6) AS INTEGER) >= ?", fromSeq);
  }
}
