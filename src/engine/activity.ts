/**
 * When an execution is idle: no step function, webhook signing or child start
 * under way after a full turn of the event loop. `advance()` resolves then.
 */
import type { Clock } from "./host.js";

export class Activity {
  private active = 0;
  private waiters: (() => void)[] = [];
  private checkPending = false;

  constructor(
    private readonly clock: Clock,
    /** True once the execution ended: it is idle at once. */
    private readonly ended: () => boolean,
    /** Called when it goes idle (in-memory wake-ups are dropped then). */
    private readonly onIdle: () => void,
  ) {}

  /** True while work is under way. */
  get busy(): boolean {
    return this.active > 0;
  }

  /** Counts work as under way until the returned function is called (once). */
  begin(): () => void {
    this.active++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      this.check();
    };
  }

  /** Resolves when nothing runs. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.check();
    });
  }

  check(): void {
    if (this.ended()) return this.release();
    if (this.waiters.length === 0 || this.checkPending || this.active > 0) return;
    this.checkPending = true;
    void this.clock.yield().then(() => {
      this.checkPending = false;
      if (this.ended() || this.active === 0) {
        this.onIdle();
        this.release();
      }
    });
  }

  /** Resolves every `idle()` waiting. */
  release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
