/**
 * One execution of a workflow instance: runs the user's `run(event, step)`, lets
 * the engine interpret each step call against the journal, and reports an outcome.
 *
 * The step kinds live in `steps/`, each only describing its call; the one
 * mechanism they share — positions, the replay check, a record's bookkeeping —
 * is `call.ts`; the calls that wait are `waits.ts`. This class holds the
 * execution's lifecycle: start, pause, stop, compensate, and when it is idle.
 *
 * An execution lives as long as the host keeps it in memory. While it does, a
 * step that waits (sleep, retry backoff, event) is a pending promise: when the host
 * calls `advance()` after the wait ends, the workflow continues from where it
 * stopped, without running from the top. A new execution over an existing journal
 * is a replay: journaled step calls return their recorded outcome at once, and each
 * call is checked against the record at its position (name and kind).
 */
import { Activity } from "./activity.js";
import { Call, CallLog, endRecord, type Engine, type Rollback, type StepOp } from "./call.js";
import { InvalidStepError, JournaledError, NonDeterministicError, toErrorRecord, type ErrorRecord } from "./errors.js";
import type { Clock, InstanceInput, Outcome, Services } from "./host.js";
import type { JournalStore, StepRecord } from "./journal.js";
import { parseResult, serializeResult } from "./serialize.js";
import { createStepTools } from "./steps/index.js";
import { runRollbacks } from "./steps/rollback.js";
import type { WorkflowDefinition, WorkflowStep } from "./types.js";
import { Waits } from "./waits.js";

export { DEFAULT_EVENT_TIMEOUT } from "./steps/event.js";
export { DEFAULT_WEBHOOK_EVENT_TYPE, DEFAULT_WEBHOOK_EXPIRY } from "./steps/webhook.js";

type Final = Extract<Outcome, { kind: "completed" | "failed" }>;

export class Execution {
  private readonly log: CallLog;
  private readonly waits: Waits;
  /** Attempts under way, by step: what a terminate, restart or delete cuts off. */
  private readonly inFlight = new Map<number, { record: StepRecord; signal: { abort(reason: unknown): void } }>();
  /** Attempts in flight when a compensation began: their late results are discarded. */
  private readonly discarded = new Set<number>();
  private readonly activity: Activity;
  private started = false;
  private paused = false;
  /** Attempts that were due to start while paused; they start on resume(). */
  private deferred: (() => void)[] = [];
  private final?: Final;
  /** Completed steps that declared a rollback, in call order: what a compensation undoes. */
  private readonly rollbacks: Rollback[] = [];
  /** Set once the instance compensates: `error` is the outcome it ends with after the rollbacks. */
  private compensation?: { error: ErrorRecord; started: boolean };
  /** A failure of the host's storage: the execution stops and `advance()` rejects, so the host can replay later. */
  private fault?: { error: unknown };
  private readonly engine: Engine;
  /** Characters of step results handed to the workflow, replayed or new (see `resultChars`). */
  private delivered = 0;
  readonly step: WorkflowStep;
  /** How many journal records this execution started from: 0 for a first run, else a replay. */
  readonly replayLength: number;

  constructor(
    private readonly workflow: WorkflowDefinition,
    private readonly instance: InstanceInput,
    private readonly store: JournalStore,
    private readonly clock: Clock,
    private readonly env: unknown = {},
    private readonly services: Services = {},
  ) {
    const records = new Map((store.loadForReplay ? store.loadForReplay() : store.load()).map((r) => [r.seq, r]));
    this.replayLength = records.size;
    this.log = new CallLog(workflow.name, records);
    this.activity = new Activity(clock, () => this.final !== undefined, () => this.waits.clearTimers());
    this.waits = new Waits(clock, () => !this.final && !this.paused, () => this.activity.busy);
    this.engine = this.lend();
    this.step = createStepTools(this.engine, (describe) => this.perform(describe));
  }

  /** True once the workflow completed or failed; nothing is journaled after that. */
  get finished(): boolean {
    return this.final !== undefined;
  }

  /**
   * Characters of the step results this execution handed to the workflow: the
   * engine keeps none of them once delivered, but the workflow's code may, so a
   * host can weigh what dropping the execution from memory would free.
   */
  get resultChars(): number {
    return this.delivered;
  }

  /** True while nothing runs: no attempt under way, no step function, every call waiting or done. */
  get idle(): boolean {
    return !this.activity.busy && this.inFlight.size === 0;
  }

  /** The journal records the execution still holds: those of positions no call has reached yet. */
  heldRecords(): StepRecord[] {
    return [...this.log.records.values()];
  }

  /**
   * Starts the workflow (first call), wakes every waiting step call whose time has
   * come or whose event is in the inbox, and resolves once the workflow finished or
   * every step call waits again.
   */
  async advance(): Promise<Outcome> {
    if (this.fault) throw this.fault.error;
    if (!this.started) this.start();
    this.poll();
    await this.activity.idle();
    // Terminated with rollback: once the replay reached the journal's end, undo what was done.
    if (this.compensation && !this.compensation.started && !this.final) {
      this.runRollbacks();
      await this.activity.idle();
    }
    // Re-read: a journal write may have failed while the workflow ran.
    const fault = this.fault as { error: unknown } | undefined;
    if (fault) throw fault.error;
    return this.outcome();
  }

  /**
   * Pausing lets step functions already running finish, but starts no new attempt
   * and wakes no waiting step call until `resume()`. Timers keep their due times.
   */
  pause(): void {
    this.paused = true;
    this.waits.clearTimers();
  }

  resume(): void {
    this.paused = false;
    const deferred = this.deferred;
    this.deferred = [];
    for (const start of deferred) start();
    this.poll();
  }

  /** Wakes what can go on now; safe to call at any time, including during `advance()`. */
  poll(): void {
    this.waits.poll();
  }

  /**
   * Stops the execution: running steps see their signal abort, and each attempt cut
   * off is journaled as cancelled with `reason` (its code says why: TERMINATED,
   * RESTARTED, DELETED); their late results are discarded. The host may delete the
   * journal afterwards: a write that fails here is left out quietly. With
   * `journal: false` (a crash simulated by the test kit) nothing is written: a
   * replay then finds the attempts running, as after a real crash.
   */
  abort(reason: Error, { journal = true }: { journal?: boolean } = {}): void {
    this.final ??= { kind: "failed", error: toErrorRecord(reason, "TERMINATED") };
    this.cutOff(reason, journal);
    this.waits.clear();
    this.deferred = [];
    this.activity.release();
  }

  /**
   * Stops the workflow and undoes it: steps in flight are aborted (journaled as
   * cancelled) and their results discarded, no new step starts, and once the journal
   * has been replayed to its end the rollbacks of completed steps run, newest first.
   * Ends failed with `reason`.
   */
  compensate(reason: Error): void {
    if (this.final || this.compensation) return;
    this.compensation = { error: toErrorRecord(reason, "TERMINATED"), started: false };
    for (const seq of this.inFlight.keys()) this.discarded.add(seq);
    this.cutOff(reason);
    this.waits.clear();
    this.deferred = [];
  }

  outcome(): Outcome {
    return this.final ?? this.waits.suspended();
  }

  // ---- the one mechanism every step call goes through ----------------------------------

  /**
   * Interprets a step call: gives it its position (checked against the journal),
   * returns a finished record's outcome, or runs the op. Bad arguments reject.
   */
  private perform<T>(describe: () => StepOp<T>): Promise<T> {
    try {
      const op = describe();
      const here = op.optional && this.log.peek();
      if (op.optional && here && (here.kind !== op.kind || here.name !== op.name)) return Promise.resolve(op.optional.otherwise);
      if (this.final) throw new InvalidStepError(`step "${op.name}" was called after workflow "${this.workflow.name}" had finished`);
      const { seq, count, record } = this.begin(op);
      // A replay of a finished step: its journaled ending, with nothing to set up.
      if (record?.status === "completed") {
        this.delivered += record.result?.length ?? 0;
        return Promise.resolve(op.decode(record));
      }
      if (record?.status === "failed") return Promise.reject(new JournaledError(record.error!));
      // While compensating, nothing the journal does not hold finished may start or go on (rollbacks aside).
      if (this.compensation && op.kind !== "rollback") return new Promise(() => {});
      return new Promise((resolve, reject) => op.run(new Call(this.engine, op, seq, count, record, resolve, reject)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private begin(op: { name: string; kind: StepOp<unknown>["kind"] }) {
    try {
      return this.log.begin(op.name, op.kind);
    } catch (error) {
      if (error instanceof NonDeterministicError) this.finish({ kind: "failed", error: toErrorRecord(error, error.code) });
      throw error;
    }
  }

  /** What the step kinds may use of this execution. */
  private lend(): Engine {
    const self = this;
    return {
      clock: this.clock,
      services: this.services,
      instance: this.instance,
      rollbacks: this.rollbacks,
      get finished() {
        return self.final !== undefined;
      },
      get compensating() {
        return self.compensation !== undefined;
      },
      save: (record) => this.save(record),
      write: (body) => this.write(() => body(this.store)),
      takeEvent: (type, seq, match) => this.write(() => this.store.takeEvent(type, seq, match)),
      readBlob: (seq, part) => this.store.loadBlob(seq, part),
      block: (record, wake) => this.waits.add(record, wake),
      unblock: (seq) => this.waits.remove(seq),
      busy: () => this.activity.begin(),
      whenRunning: (start) => (this.paused ? void this.deferred.push(start) : start()),
      attemptStarted: (record, signal) => void this.inFlight.set(record.seq, { record, signal }),
      attemptEnded: (seq) => {
        this.inFlight.delete(seq);
        return !this.final && !this.discarded.has(seq);
      },
    };
  }

  /** Journals `record`; the execution keeps no copy (the call under way holds it until it ends). */
  private save(record: StepRecord): void {
    if (record.status === "completed") this.delivered += record.result?.length ?? 0;
    this.write(() => this.store.save(record));
  }

  /**
   * Every journal write goes through here. A write that fails is the host's fault,
   * not the workflow's: the execution stops at once (nothing more is journaled from
   * memory that storage did not take), and `advance()` rejects so the host replays.
   */
  private write<T>(body: () => T): T {
    try {
      return body();
    } catch (error) {
      if (!this.fault) {
        this.fault = { error };
        this.abort(error instanceof Error ? error : new Error(String(error)));
      }
      throw error;
    }
  }

  /** Aborts the attempts under way and journals each as cancelled: a failed attempt with the cause, and the step's status. */
  private cutOff(reason: Error, journal = true): void {
    const now = this.clock.now();
    const cause = toErrorRecord(reason, "TERMINATED");
    for (const [seq, { record, signal }] of this.inFlight) {
      signal.abort(reason);
      // Storage failing is what stopped the execution: nothing more is written.
      if (this.fault || !journal) continue;
      try {
        this.store.saveAttempt({ seq, attempt: record.attempts, startedAt: record.attemptStartedAt ?? now, finishedAt: now, error: cause });
        endRecord(record, "cancelled", now, { error: { ...cause, step: { name: record.name, count: record.count } } });
        this.store.save(record);
      } catch {
        // The host deletes the journal next (a delete): there is nothing left to keep it in.
      }
    }
    this.inFlight.clear();
  }

  // ---- running the workflow -------------------------------------------------

  private start(): void {
    this.started = true;
    const event = {
      payload: parseResult(this.instance.input) as Readonly<unknown>,
      timestamp: new Date(this.instance.createdAt),
      instanceId: this.instance.id,
      workflowName: this.workflow.name,
    };
    Promise.resolve()
      .then(() => this.workflow.run(event, this.step, { env: this.env }))
      .then(
        (output) => {
          if (this.final) return;
          try {
            this.finish({ kind: "completed", output: serializeResult(output, `workflow "${this.workflow.name}"`, "output") });
          } catch (error) {
            this.finish({ kind: "failed", error: toErrorRecord(error, "OUTPUT_INVALID") });
          }
        },
        (error: unknown) => {
          if (this.final || this.compensation) return;
          const record = toErrorRecord(error, "WORKFLOW_FAILED");
          if (error instanceof JournaledError && error.step) record.step = error.step;
          if (error instanceof JournaledError && error.detail) record.cause = error.detail;
          if (this.rollbacks.length === 0) return this.finish({ kind: "failed", error: record });
          // A saga: undo the completed steps, newest first, then fail with the original error.
          this.compensation = { error: record, started: false };
          this.runRollbacks();
        },
      );
  }

  /** Undoes the completed steps (see steps/rollback.ts), then ends failed with the compensation's error. */
  private runRollbacks(): void {
    const compensation = this.compensation!;
    compensation.started = true;
    void runRollbacks(this.engine, (describe) => this.perform(describe), this.rollbacks).then(() => {
      if (!this.final) this.finish({ kind: "failed", error: compensation.error });
    });
  }

  private finish(outcome: Final): void {
    this.final = outcome;
    for (const attempt of this.inFlight.values()) attempt.signal.abort(new Error("the workflow already finished"));
    this.inFlight.clear();
    this.waits.clear();
    this.deferred = [];
    this.activity.release();
  }
}
