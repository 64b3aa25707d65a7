/**
 * Collects one transition of the lifecycle machine (machine.ts): the new state,
 * the row fields, the timers to set or clear and the effects, checking each status
 * change against the transition table.
 */
import { canTransition, type Status, type TerminalStatus, type WaitingFor } from "../status.js";
import { ABSENT, OUTBOX_LEASE_MS, OWN_TIMERS, type Effect, type LifecycleState, type OwnTimer, type RowWrite, type Step } from "./types.js";

/** Collects one transition: the new state, row fields, timers and effects. */
export class Builder {
  readonly state: LifecycleState;
  readonly effects: Effect[] = [];
  private changed = false;
  private write: RowWrite = {};
  private readonly set: Partial<Record<OwnTimer, number>> = {};
  private readonly cleared = new Set<OwnTimer>();

  constructor(
    private readonly from: LifecycleState,
    private readonly now: number,
  ) {
    this.state = { ...from };
  }

  /** Moves to `to` (checked against the transition table); the row changes when status or wait does. */
  move(to: Status, { waitingFor }: { waitingFor: WaitingFor | null }, write: RowWrite = {}): void {
    const from = this.state.status;
    if (from !== "absent" && from !== to && !canTransition(from, to)) {
      throw new Error(`the lifecycle machine tried an illegal status change ${from} → ${to}`);
    }
    const sameWait = JSON.stringify(this.state.waitingFor) === JSON.stringify(waitingFor);
    if (from !== to || !sameWait || write.reset || write.output !== undefined || write.error) this.changed = true;
    this.state.status = to;
    this.state.waitingFor = waitingFor;
    this.write = { ...this.write, ...write };
  }

  /** Ends the instance: retention starts, the parent is told, the slot given back. */
  finish(to: TerminalStatus, write: RowWrite): Step {
    this.state.stopping = null;
    this.move(to, { waitingFor: null }, { ...write, completedAt: this.now });
    // Only the timers this state can hold: clearing one that is not there still costs a read.
    this.clear("lease");
    if (this.from.gated) this.clear("slot");
    if (this.from.waitingFor?.kind === "deployment") this.clear("registry");
    if (this.from.waitingFor?.kind === "debounce") this.clear("debounce");
    this.timer("retention", this.now + this.from.retentionMs[to]);
    this.effects.push({ kind: "dropExecution" }, { kind: "clearStepTimers" });
    if (this.from.hasParent) {
      this.timer("parent", this.now);
      this.effects.push({ kind: "tellParent" });
    }
    if (this.from.slot !== null) {
      this.timer("release", this.now);
      this.effects.push({ kind: "releaseSlot", gate: this.from.slot });
    }
    return this.done();
  }

  /** The instance is gone: no state, no timer. */
  gone(): Step {
    return { ok: true, state: { ...ABSENT }, changed: false, write: {}, timers: { set: {}, clear: [...OWN_TIMERS] }, effects: [] };
  }

  timer(key: OwnTimer, at: number): void {
    this.set[key] = at;
    this.cleared.delete(key);
  }

  clear(...keys: OwnTimer[]): void {
    for (const key of keys) {
      delete this.set[key];
      this.cleared.add(key);
    }
  }

  done(): Step {
    if (this.changed) {
      this.effects.push({ kind: "pushIndex" });
      if (this.set.outbox === undefined) this.set.outbox = this.now + OUTBOX_LEASE_MS;
      this.cleared.delete("outbox");
    }
    return { ok: true, state: this.state, changed: this.changed, write: this.write, timers: { set: this.set, clear: [...this.cleared] }, effects: this.effects };
  }
}
