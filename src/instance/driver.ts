/**
 * The driver: the execution in memory, kept between wake-ups only while it waits a
 * little (a budget in src/lib/bounds.ts), and the one advance of it that may run at
 * a time. It decides nothing about the lifecycle: it asks the machine (through
 * `host.apply`) before it runs the workflow, and hands it each outcome. An advance
 * asked for while another runs wakes the one under way, or, when that one was
 * stopped meanwhile (a restart), runs again once it ends.
 */
import { Execution, TerminatedError, realClock, toErrorRecord, type Cause, type Outcome, type StopReason } from "../engine/index.js";
import type { Services } from "../engine/index.js";
import { IDLE_EXECUTION_MAX_RESULT_BYTES, WAKE_IN_MEMORY_WITHIN_MS } from "../lib/bounds.js";
import type { WorkflowDefinition } from "../workflow.js";
import { SqlJournal } from "./journal.js";
import type { Sql } from "./sql.js";
import type { InstanceRow } from "./view.js";
import type { JournalObserver } from "./watch.js";

export interface DriverHost {
  readonly sql: Sql;
  readonly env: unknown;
  /** Told of every journal write (live subscriptions). */
  readonly observer?: JournalObserver;
  row(): InstanceRow | undefined;
  definition(workflow: string): WorkflowDefinition | undefined;
  services(row: InstanceRow): Services;
  apply(cause: Cause): void;
}

const STOP_ERRORS: Record<StopReason, () => TerminatedError> = {
  terminated: () => new TerminatedError(),
  restarted: () => TerminatedError.restarted(),
  deleted: () => TerminatedError.deleted(),
};

export class Driver {
  private execution?: Execution;
  private store?: SqlJournal;
  /** The execution whose advance() is under way, if any. */
  private advancing?: Execution;
  /** A drive was asked for while a stopped execution still ran: run one once it ends. */
  private again = false;

  constructor(private readonly host: DriverHost) {}

  get isAdvancing(): boolean {
    return this.advancing !== undefined;
  }

  get inMemory(): boolean {
    return this.execution !== undefined;
  }

  journal(): SqlJournal {
    this.store ??= new SqlJournal(this.host.sql, { observer: this.host.observer });
    return this.store;
  }

  /** For an instance created a moment ago: its journal is known to be empty. */
  startEmpty(): void {
    this.store = new SqlJournal(this.host.sql, { empty: true, observer: this.host.observer });
  }

  /** Lets the workflow go on: wakes the advance under way, or asks the machine to start one. */
  drive(): void {
    if (this.advancing) {
      if (this.advancing === this.execution) this.execution.poll();
      else this.again = true;
      return;
    }
    const row = this.host.row();
    if (!row) return;
    if (!this.host.definition(row.workflow)) return this.host.apply({ kind: "workflowMissing", workflow: row.workflow });
    this.host.apply({ kind: "drive" });
  }

  /** Runs the execution until every step call waits; the machine has moved the instance to running. */
  advance(): void {
    if (this.advancing) return this.drive();
    const row = this.host.row();
    const definition = row && this.host.definition(row.workflow);
    if (!row || !definition) return;
    const input = { id: row.id, createdAt: row.created_at, ...(row.input !== null && { input: row.input }) };
    const execution = (this.execution ??= new Execution(definition, input, this.journal(), realClock, this.host.env, this.host.services(row)));
    // Terminating with rollback: a replay after an eviction compensates again.
    if (row.stopping === "rollback") execution.compensate(new TerminatedError("terminated with rollback"));
    this.advancing = execution;
    execution.advance().then(
      (outcome) => this.settled(execution, outcomeCause(outcome), outcome),
      (error: unknown) => {
        console.error(`instance ${row.id}: drive failed, replaying from the journal shortly:`, error);
        this.settled(execution, { kind: "threw" });
      },
    );
  }

  private settled(execution: Execution, cause: Cause, outcome?: Outcome): void {
    this.advancing = undefined;
    // A terminate, restart or delete while it ran has taken over: its outcome is void.
    if (this.execution === execution) this.host.apply(cause);
    if (this.again) {
      this.again = false;
      this.drive();
    }
    if (outcome?.kind === "suspended") this.keepOrForget(execution, outcome);
  }

  /**
   * An execution that waits is kept in memory only while that saves work, within a
   * budget (src/lib/bounds.ts): its next wake-up is a timer soon enough to wake it
   * from memory, and the step results it handed over are small. Otherwise it is
   * dropped at once. Only memory is freed: the next wake-up replays from the
   * journal, as after an eviction, and the instance's status does not change. One
   * that awaits nothing the engine knows of (no step waits) is kept.
   */
  private keepOrForget(execution: Execution, { waitingFor, wakeAt }: Extract<Outcome, { kind: "suspended" }>): void {
    if (this.execution !== execution || !waitingFor) return;
    const wakesSoon = wakeAt !== undefined && wakeAt - Date.now() <= WAKE_IN_MEMORY_WITHIN_MS;
    if (wakesSoon && execution.resultChars <= IDLE_EXECUTION_MAX_RESULT_BYTES) return;
    this.release();
  }

  /**
   * Drops the execution from memory if it is idle (nothing runs, so nothing is
   * journaled: its waits are forgotten, the journal keeps them). The journal's store
   * stays: what it knows (which steps own a timer, which tables exist) is a few
   * numbers and still true, and spares the replay reading it again. Answers whether
   * an execution is still in memory.
   */
  release(): boolean {
    const execution = this.execution;
    if (!execution || this.advancing || !execution.idle || execution.finished) return this.inMemory;
    this.execution = undefined;
    execution.abort(new Error("dropped from memory while waiting; the next wake-up replays it"), { journal: false });
    return false;
  }

  pause(): void {
    this.execution?.pause();
  }

  resume(): void {
    this.execution?.resume();
  }

  compensate(): void {
    this.execution?.compensate(new TerminatedError("terminated with rollback"));
  }

  /**
   * Stops the execution in memory: running steps see their signal abort, late
   * results are discarded, and each attempt cut off is journaled as cancelled with
   * the cause. With no execution in memory (evicted mid-step), the journal's running
   * attempts are ended all the same.
   */
  abort(reason: StopReason): void {
    const execution = this.execution;
    const error = STOP_ERRORS[reason]();
    if (!execution && this.host.row()) this.journal().cancelRunning(toErrorRecord(error, error.code), Date.now());
    this.drop();
    execution?.abort(error);
  }

  /** Forgets the execution and the journal's caches: the next drive replays from storage. */
  drop(): void {
    this.execution = undefined;
    this.store = undefined;
  }
}

function outcomeCause(outcome: Outcome): Cause {
  if (outcome.kind === "completed") return { kind: "completed", output: outcome.output ?? null };
  if (outcome.kind === "failed") return { kind: "failed", error: outcome.error };
  return { kind: "suspended", waitingFor: outcome.waitingFor ?? null };
}
