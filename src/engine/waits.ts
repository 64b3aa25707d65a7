/**
 * The step calls that wait (a sleep, a retry's backoff, an event, a child), and
 * their wake-ups. The host wakes them through `poll()` (its alarm, a new event);
 * while other steps keep the execution busy, an in-memory timer wakes a wait
 * that falls due meanwhile.
 */
import type { Clock, Outcome } from "./host.js";
import type { StepRecord } from "./journal.js";
import { describeWait } from "./records.js";

/** A waiting call. `wake` returns true once it went on. */
interface Waiting {
  record: StepRecord;
  wake(now: number): boolean;
}

export class Waits {
  private readonly waiting = new Map<number, Waiting>();
  /** In-memory wake-ups for waits that fall due while other steps still run. */
  private readonly timers = new Set<() => void>();

  constructor(
    private readonly clock: Clock,
    /** False while nothing may go on (finished or paused). */
    private readonly mayWake: () => boolean,
    /** True while step functions run, so an in-memory timer is worth setting. */
    private readonly busy: () => boolean,
  ) {}

  add(record: StepRecord, wake: (now: number) => boolean): void {
    const entry: Waiting = { record, wake };
    this.waiting.set(record.seq, entry);
    const dueAt = record.dueAt;
    if (dueAt === undefined) return;
    const delay = dueAt - this.clock.now();
    if (delay <= 0) {
      queueMicrotask(() => this.wakeOne(entry));
      return;
    }
    // Only useful while other steps keep this execution busy; cleared once idle.
    if (this.busy()) {
      const cancel = this.clock.setTimer(delay, () => {
        this.timers.delete(cancel);
        this.wakeOne(entry);
      });
      this.timers.add(cancel);
    }
  }

  /** Takes a wait out; false when it was not there. */
  remove(seq: number): boolean {
    return this.waiting.delete(seq);
  }

  /** Wakes every wait that can go on now, in call order. */
  poll(): void {
    if (!this.mayWake()) return;
    const now = this.clock.now();
    const due = [...this.waiting.values()].sort((a, b) => a.record.seq - b.record.seq);
    for (const entry of due) {
      if (!this.mayWake()) return;
      if (this.waiting.get(entry.record.seq) === entry && entry.wake(now)) this.waiting.delete(entry.record.seq);
    }
  }

  private wakeOne(entry: Waiting): void {
    if (!this.mayWake() || this.waiting.get(entry.record.seq) !== entry) return;
    if (entry.wake(this.clock.now())) this.waiting.delete(entry.record.seq);
  }

  /** Forgets every wait (the execution stops or compensates). */
  clear(): void {
    this.waiting.clear();
    this.clearTimers();
  }

  clearTimers(): void {
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }

  /** The outcome while every call waits: the earliest time one can go on, and what to show. */
  suspended(): Extract<Outcome, { kind: "suspended" }> {
    const waits = [...this.waiting.values()].map((w) => w.record);
    const timers = waits.filter((r) => r.dueAt !== undefined).sort((a, b) => a.dueAt! - b.dueAt!);
    // An event wait is what an operator most needs to see; otherwise the earliest timer.
    const shown =
      waits.filter((r) => r.status === "waiting" && r.kind === "event").sort((a, b) => a.seq - b.seq)[0] ??
      waits.find((r) => r.kind === "child") ??
      timers[0];
    return { kind: "suspended", wakeAt: timers[0]?.dueAt, waitingFor: shown && describeWait(shown) };
  }
}
