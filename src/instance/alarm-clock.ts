/**
 * The object's one alarm, set to its earliest timer. A timer due soon also gets an
 * in-memory wake-up (setTimeout): on time while the object stays loaded, where the
 * platform's alarm queues behind the object's other work. The alarm stays set for
 * when the object is evicted first.
 */
import type { Timers } from "./timers.js";

/**
 * A timer due within this long also gets an in-memory wake-up.
 */
const WAKE_TIMER_MAX_MS = 5_000;

export class AlarmClock {
  private wakeTimer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly timers: Timers,
    private readonly wake: () => void,
  ) {}

  /** Sets the alarm to the earliest timer; step timers do not count while the instance is paused. */
  async reschedule({ paused }: { paused: boolean }): Promise<void> {
    const next = this.timers.next({ steps: !paused });
    this.cancel();
    if (next === undefined) return this.storage.deleteAlarm();
    if (next - Date.now() <= WAKE_TIMER_MAX_MS) {
      this.wakeTimer = setTimeout(
        () => {
          this.wakeTimer = undefined;
          this.wake();
        },
        Math.max(next - Date.now(), 0),
      );
    }
    await this.storage.setAlarm(Math.max(next, 1));
  }

  cancel(): void {
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }
}
