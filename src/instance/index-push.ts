/**
 * Keeps the instance's row in the D1 index in step with the instance. Each status
 * change leaves a row in the outbox (same transaction); this pushes the newest one
 * in the background, one push at a time. A push waits for the work under way to
 * finish first (a timer of 0 ms), so the changes of one burst (created, running,
 * completed) reach D1 as one write. A failed push is retried through the alarm,
 * later each time; the `outbox` timer stands until a push lands.
 */
import { indexDb, pushInstance, removeInstance, type IndexDb } from "../index-db/queries.js";
import type { Outbox } from "./outbox.js";
import type { Timers } from "./timers.js";

export const OUTBOX_MAX_BACKOFF_MS = 60_000;

/** What the push needs from its object. */
export interface IndexPushHost {
  readonly outbox: Outbox;
  readonly timers: Timers;
  database(): D1Database;
  /** False once the instance is gone (deleted meanwhile): nothing to push or to keep. */
  exists(): boolean;
  /** Sets the object's alarm to its earliest timer. */
  scheduleAlarm(): Promise<void>;
  /** The first retry of a failed push waits this long; each next one twice as long. */
  retryBaseMs(): number;
}

export class IndexPush {
  private db?: IndexDb;
  private pushing?: Promise<void>;
  private queued = false;
  private again = false;
  private failures = 0;
  /** Set while the instance deletes itself: nothing may write to the index meanwhile. */
  private held = false;

  constructor(private readonly host: IndexPushHost) {}

  /** Pushes the newest outbox row once the work under way is done. */
  soon(): void {
    if (this.held || this.queued) return;
    if (this.pushing) {
      this.again = true;
      return;
    }
    this.queued = true;
    setTimeout(() => {
      this.queued = false;
      this.start();
    }, 0);
  }

  /**
   * Removes the instance's row from the index, after any push under way. Pushes stay
   * held until `release()`, so none can write the row back meanwhile.
   */
  async remove(id: string): Promise<void> {
    this.held = true;
    await this.pushing;
    await removeInstance(this.client(), id);
  }

  release(): void {
    this.held = false;
  }

  private client(): IndexDb {
    this.db ??= indexDb(this.host.database());
    return this.db;
  }

  private start(): void {
    if (this.held) return;
    if (this.pushing) {
      this.again = true;
      return;
    }
    this.pushing = this.push().finally(() => {
      this.pushing = undefined;
      if (this.again) {
        this.again = false;
        this.soon();
      }
    });
  }

  private async push(): Promise<void> {
    const { outbox, timers } = this.host;
    if (!this.host.exists()) return;
    const row = outbox.newest();
    if (!row) return;
    try {
      await pushInstance(this.client(), row);
    } catch (error) {
      // D1 is unavailable or refused the write: keep the row and try again through the alarm.
      this.failures++;
      const delay = Math.min(this.host.retryBaseMs() * 2 ** (this.failures - 1), OUTBOX_MAX_BACKOFF_MS);
      console.warn(`instance ${row.id}: index push failed (${this.failures} in a row), retrying in ${delay} ms: ${String(error)}`);
      if (!this.host.exists()) return;
      timers.set("outbox", Date.now() + delay);
      await this.host.scheduleAlarm();
      return;
    }
    this.failures = 0;
    if (!this.host.exists()) return;
    outbox.pushed(row.version);
    if (outbox.isEmpty()) {
      timers.clear("outbox");
      await this.host.scheduleAlarm();
    }
  }
}
