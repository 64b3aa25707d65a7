/**
 * Keeps the instance's row in the D1 index in step with the instance. Each status
 * change leaves a row in the outbox (same transaction); this pushes the newest one
 * in the background, one push at a time. A push waits for the work under way to
 * finish first (a timer of 0 ms), so the changes of one burst (created, running,
 * completed) reach D1 as one write. An open status waits longer, `coalesceMs`
 * (INDEX_COALESCE_MS, 2 s): what the instance does next in that time (a short sleep
 * or retry ends, an event arrives, it finishes) goes in the same write. A finished
 * status is pushed at once, and a push due sooner is never put off; a read of the
 * instance sends a waiting push at once, so a list read next agrees with what the
 * read showed. One D1 database takes about 1,000 writes a second (docs/scaling.md):
 * an instance that changes often costs it one write per 2 s at most, plus its last.
 * A failed push is retried through the alarm, later each time; the `outbox` timer
 * stands until a push lands.
 *
 * With an index queue (`queue()` gives one), a push is a message to the queue, and
 * it has landed only once the queue's consumer says D1 holds that version
 * (`acknowledged`, src/index-db/queue.ts): until then the outbox row stays and the
 * `outbox` timer waits for the answer, then sends again. A queue that refuses the
 * message (down, over its rate) gets a direct write instead.
 */
import { indexDb, pushInstance, removeInstance, type IndexDb } from "../index-db/queries.js";
import type { IndexAck, IndexMessage } from "../index-db/queue.js";
import type { Outbox } from "./outbox.js";
import type { Timers } from "./timers.js";

export const OUTBOX_MAX_BACKOFF_MS = 60_000;
/** An open status waits this long for the instance's next changes, to reach the index in one write with them. */
export const INDEX_COALESCE_MS = 2_000;

/** The push's clock: how long an open status waits (coalesceMs), and the first retry of a failed push (retryBaseMs, doubling). */
export interface IndexPushTiming {
  coalesceMs: number;
  retryBaseMs: number;
}
export const INDEX_PUSH_TIMING: IndexPushTiming = { coalesceMs: INDEX_COALESCE_MS, retryBaseMs: 1_000 };
/** A row sent to the index queue waits this many retry bases for its acknowledgement, then goes again (doubling). */
const ACK_WAIT_BASES = 30;
const ACK_WAIT_MAX_MS = 5 * 60_000;

/** What the push needs from its object. */
export interface IndexPushHost {
  readonly outbox: Outbox;
  readonly timers: Timers;
  database(): D1Database;
  /** The index queue, where the deployment has one; else pushes write D1 directly. */
  queue(): Queue<IndexMessage> | undefined;
  /** False once the instance is gone (deleted meanwhile): nothing to push or to keep. */
  exists(): boolean;
  /** When the instance this object holds was created (which life of its id), if it holds one. */
  createdAt(): number | undefined;
  /** Sets the object's alarm to its earliest timer. */
  scheduleAlarm(): Promise<void>;
  timing(): IndexPushTiming;
}

export class IndexPush {
  private db?: IndexDb;
  private pushing?: Promise<void>;
  /** The push waiting for its timer, and when it is due. */
  private queued?: { at: number; timer: ReturnType<typeof setTimeout> };
  /** A change came while a push was under way: push again after it (at once if any change asked so). */
  private again?: { atOnce: boolean };
  private failures = 0;
  /** Rows sent to the index queue since the last acknowledgement. */
  private unacknowledged = 0;
  /** Set while the instance deletes itself: nothing may write to the index meanwhile. */
  private held = false;

  constructor(private readonly host: IndexPushHost) {}

  /**
   * Pushes the newest outbox row once the work under way is done: `atOnce` for a
   * finished instance, else after `coalesceMs`, unless a push is due sooner.
   */
  soon({ atOnce }: { atOnce: boolean }): void {
    if (this.held) return;
    if (this.pushing) {
      this.again = { atOnce: atOnce || this.again?.atOnce === true };
      return;
    }
    const delay = atOnce ? 0 : this.host.timing().coalesceMs;
    const at = Date.now() + delay;
    if (this.queued && this.queued.at <= at) return;
    if (this.queued) clearTimeout(this.queued.timer);
    const timer = setTimeout(() => {
      this.queued = undefined;
      this.start();
    }, delay);
    this.queued = { at, timer };
  }

  /**
   * A push waiting out the coalescing window goes now: the instance was read, and a
   * list read next should show what that read showed.
   */
  hurry(): void {
    if (this.queued && this.queued.at > Date.now()) this.soon({ atOnce: true });
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

  /**
   * The index queue's consumer wrote the row of life `createdAt` at `version` to D1:
   * the outbox drops what it made obsolete. `gone` when this object holds no
   * instance of that life (the row must go again), `busy` while it deletes itself.
   */
  async acknowledged(createdAt: number, version: number): Promise<IndexAck> {
    if (this.held) return "busy";
    if (this.host.createdAt() !== createdAt) return "gone";
    const { outbox, timers } = this.host;
    this.unacknowledged = 0;
    outbox.pushed(version);
    if (outbox.isEmpty() && timers.get("outbox") !== undefined) {
      timers.clear("outbox");
      await this.host.scheduleAlarm();
    }
    return "kept";
  }

  private client(): IndexDb {
    this.db ??= indexDb(this.host.database());
    return this.db;
  }

  private start(): void {
    if (this.held) return;
    if (this.pushing) {
      this.again = { atOnce: true };
      return;
    }
    this.pushing = this.push().finally(() => {
      this.pushing = undefined;
      const again = this.again;
      this.again = undefined;
      if (again) this.soon(again);
    });
  }

  private async push(): Promise<void> {
    const { outbox, timers } = this.host;
    if (!this.host.exists()) return;
    const row = outbox.newest();
    if (!row) return;
    const queue = this.host.queue();
    if (queue) {
      const sent = await queue.send(row).then(
        () => true,
        (error: unknown) => (console.warn(`instance ${row.id}: the index queue refused the row, writing D1 directly: ${String(error)}`), false),
      );
      if (sent) return this.awaitAcknowledgement();
    }
    try {
      await pushInstance(this.client(), row);
    } catch (error) {
      // D1 is unavailable or refused the write: keep the row and try again through the alarm.
      this.failures++;
      const delay = Math.min(this.host.timing().retryBaseMs * 2 ** (this.failures - 1), OUTBOX_MAX_BACKOFF_MS);
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

  /** The row is on the queue: the `outbox` timer now waits for the consumer's answer. */
  private async awaitAcknowledgement(): Promise<void> {
    this.failures = 0;
    if (!this.host.exists() || this.host.outbox.isEmpty()) return void (this.unacknowledged = 0);
    this.unacknowledged++;
    const wait = Math.min(this.host.timing().retryBaseMs * ACK_WAIT_BASES * 2 ** (this.unacknowledged - 1), ACK_WAIT_MAX_MS);
    this.host.timers.set("outbox", Date.now() + wait);
    await this.host.scheduleAlarm();
  }
}
