/**
 * Applies the lifecycle machine to one object: asks `next()` what follows a cause,
 * writes the new state, the timers and the storage effects in one transaction, sets
 * the alarm, then runs the other effects. Effects that talk to other objects (a
 * gate, a parent, the index) report back as causes of their own.
 */
import { isTerminal, next, type Cause, type Effect, type Step, type Transition } from "../engine/index.js";
import type { Env } from "../env.js";
import type { WorkflowDefinition } from "../workflow.js";
import type { AlarmClock } from "./alarm-clock.js";
import type { Driver } from "./driver.js";
import { notifyParent, terminateChildren } from "./family.js";
import type { IndexPush } from "./index-push.js";
import type { RowStore } from "./row.js";
import { stateOf } from "./row.js";
import type { DeleteResult } from "./rpc.js";
import { releaseSlot, requestSlot, type Gates } from "./slots.js";
import type { Sql } from "./sql.js";
import type { Timers } from "./timers.js";
import type { Watch } from "./watch.js";

export interface RunnerHost {
  readonly storage: DurableObjectStorage;
  readonly env: Env;
  readonly sql: Sql;
  readonly rows: RowStore;
  readonly timers: Timers;
  readonly driver: Driver;
  readonly index: IndexPush;
  readonly clock: AlarmClock;
  readonly gates: Gates;
  readonly watch: Watch;
  definition(workflow: string): WorkflowDefinition | undefined;
}

export interface Applied {
  result: Transition;
  /** Settles once the effects that talk to other objects have answered (an advance of the workflow is not waited for). */
  done: Promise<void>;
}

export class Runner {
  /** The purge under way, so a second delete waits for the same one. */
  purging?: Promise<DeleteResult>;
  /** The alarm setting this turn's changes asked for, not run yet. */
  private alarmDue?: Promise<void>;

  constructor(private readonly host: RunnerHost) {}

  /**
   * Asks the machine what follows `cause`, writes the new state and timers in one
   * transaction (with `during`, the cause's own storage write, such as an event into
   * the inbox or a new instance's row), then runs the effects. `workflow` names the
   * workflow of an instance not created yet.
   */
  apply(cause: Cause, workflow?: string, during?: () => void): Applied {
    const { rows, timers } = this.host;
    const row = rows.get();
    const result = next(stateOf(row, this.host.definition(workflow ?? row?.workflow ?? "")), cause, Date.now());
    if (!result.ok || result.state.status === "absent") return { result, done: Promise.resolve() };
    this.host.storage.transactionSync(() => {
      during?.();
      // A create's row is written whole by `during`, but for what it waits for (a debounced start).
      if (row || result.state.waitingFor) rows.apply(result, Date.now());
      timers.apply(result.timers);
      for (const effect of result.effects) this.storageEffect(effect);
    });
    this.host.watch.transition(row, rows.get(), result.changed);
    const pending = [this.scheduleAlarm()];
    for (const effect of result.effects) {
      const running = this.effect(effect, result);
      if (running) pending.push(running);
    }
    return { result, done: Promise.all(pending).then(() => undefined) };
  }

  /**
   * Sets the alarm to the earliest timer (step timers do not count while paused),
   * once for all the changes of a turn: a create and its first drive set it once.
   * A microtask runs before the runtime commits the turn's writes, so the alarm is
   * still written in the same commit as the timers it follows.
   */
  scheduleAlarm(): Promise<void> {
    this.alarmDue ??= Promise.resolve().then(() => {
      this.alarmDue = undefined;
      const row = this.host.rows.get();
      if (!row) return;
      return this.host.clock.reschedule({ paused: row.status === "paused" });
    });
    return this.alarmDue;
  }

  /** The effects that change storage, written in the machine's transaction. */
  private storageEffect(effect: Effect): void {
    const { driver, timers } = this.host;
    switch (effect.kind) {
      case "abort":
        return driver.abort(effect.reason);
      case "dropExecution":
        return driver.drop();
      case "clearStepTimers":
        return timers.clearSteps();
      case "rewind":
        // Events taken by discarded steps go back to the inbox, in their order, for the re-run.
        driver.journal().discardFrom(effect.fromSeq);
        driver.drop();
        return;
      default:
        return;
    }
  }

  /** The effects run once the transaction is written; those that talk to other objects return a promise. */
  private effect(effect: Effect, step: Step): Promise<void> | undefined {
    const { driver, env, gates } = this.host;
    const row = this.host.rows.get();
    switch (effect.kind) {
      case "drive":
        driver.drive();
        return;
      case "advance":
        driver.advance();
        return;
      case "pauseExecution":
        driver.pause();
        return;
      case "resumeExecution":
        driver.resume();
        return;
      case "compensate":
        driver.compensate();
        return;
      case "pushIndex":
        this.host.index.soon({ atOnce: row !== undefined && isTerminal(row.status) });
        return;
      case "log":
        console[effect.level](`instance ${row?.id}: ${effect.message}`);
        return;
      case "requestSlot": {
        const definition = row && this.host.definition(row.workflow);
        if (!row || !(definition?.concurrency || definition?.throttle)) return;
        return requestSlot(gates, definition, row).then((cause) => this.apply(cause).done);
      }
      case "releaseSlot": {
        if (!row) return;
        const held = step.state.slot === effect.gate || row.slot === effect.gate;
        return releaseSlot(gates, effect.gate, row.id).then((cause) => (held ? this.apply(cause).done : undefined));
      }
      case "tellParent":
        if (!row?.parent_id) return;
        return notifyParent(env, row).then(
          () => this.apply({ kind: "parentTold" }).done,
          (error: unknown) => {
            console.warn(`instance ${row.id}: could not tell parent ${row.parent_id} it finished, retrying: ${String(error)}`);
            return this.apply({ kind: "parentUnreachable" }).done;
          },
        );
      case "terminateChildren":
        return terminateChildren(env, driver.journal().runningChildren());
      case "purge":
        this.purging ??= this.purge().finally(() => (this.purging = undefined));
        return this.purging.then(() => undefined);
      default:
        return;
    }
  }

  /** Removes the index row, then every byte of storage. Used by delete and by retention. */
  private async purge(): Promise<DeleteResult> {
    const { rows, index, storage } = this.host;
    const { id, slot } = rows.get()!;
    try {
      await index.remove(id);
      // A deleted instance holds no slot (the gate's lease check would free it too, later).
      if (slot !== null) await releaseSlot(this.host.gates, slot, id);
    } catch (error) {
      index.release();
      await this.apply({ kind: "purgeFailed" }).done;
      return { ok: false, code: "INDEX_UNAVAILABLE", message: `the index could not be updated (${String(error)}); nothing was deleted, try again` };
    }
    this.host.driver.abort("deleted");
    this.host.clock.cancel();
    const watched = this.host.watch.watched;
    this.host.clock.forget();
    await storage.deleteAlarm();
    await storage.deleteAll();
    rows.forget({ deleted: true });
    index.release();
    await this.host.watch.gone(id, watched);
    return { ok: true };
  }
}
