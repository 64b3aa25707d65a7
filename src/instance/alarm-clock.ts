/**
 * The object's one alarm, set to its earliest timer. A timer due soon also gets an
 * in-memory wake-up (setTimeout): on time while the object stays loaded, where the
 * platform's alarm queues behind the object's other work. The alarm stays set for
 * when the object is evicted first, a little later than the wake-up so that the two
 * do not both run. Each setAlarm is billed as a row written: one that would not move
 * the alarm is skipped (what this object set in its life; after an eviction or a
 * fired alarm it sets again).
 */
import { WAKE_IN_MEMORY_WITHIN_MS } from "../lib/bounds.js";
import type { Timers } from "./timers.js";

/** With an in-memory wake-up armed, the platform's alarm (the fallback after an eviction) waits this much longer. */
const ALARM_AFTER_WAKE_MS = 1_000;

export class AlarmClock {
  private wakeTimer?: ReturnType<typeof setTimeout>;
  /** The alarm as this object last set it (null: deleted); undefined when not known. */
  private alarmAt?: number | null;
  /** True while the in-memory wake-up calls the alarm handler. */
  private waking = false;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly timers: Timers,
    private readonly wake: () => void,
  ) {}

  /** Sets the alarm to the earliest timer; step timers do not count while the instance is paused. */
  async reschedule({ paused }: { paused: boolean }): Promise<void> {
    const next = this.timers.next({ steps: !paused });
    this.cancel();
    if (next === undefined) return this.setAlarm(null);
    const now = Date.now();
    if (next - now > WAKE_IN_MEMORY_WITHIN_MS) return this.setAlarm(Math.max(next, 1));
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.waking = true;
        try {
          this.wake();
        } finally {
          this.waking = false;
        }
      },
      Math.max(next - now, 0),
    );
    // The alarm is the fallback: any time from the timer to a little after the wake-up will do.
    const latest = Math.max(next, now) + ALARM_AFTER_WAKE_MS;
    if (typeof this.alarmAt === "number" && this.alarmAt >= next && this.alarmAt <= latest) return;
    await this.setAlarm(latest);
  }

  cancel(): void {
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }

  /** The alarm handler starts: unless the wake-up runs it, the platform's alarm fired and holds nothing now. */
  fired(): void {
    if (!this.waking) this.alarmAt = undefined;
  }

  /** The alarm was deleted elsewhere (with all of storage). */
  forget(): void {
    this.alarmAt = undefined;
  }

  /** Sets the alarm (null: deletes it) unless it already holds that time. */
  async setAlarm(at: number | null): Promise<void> {
    if (this.alarmAt === at) return;
    // Unknown while the call is under way: a failed one leaves nothing to trust.
    this.alarmAt = undefined;
    if (at === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(at);
    this.alarmAt = at;
  }
}
