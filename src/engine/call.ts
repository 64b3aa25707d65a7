/**
 * The one mechanism every step kind runs on, after inngest-js's step tools: a
 * tool (src/engine/steps/) only describes its call as a `StepOp` — its kind and
 * name, what a completed record gives back, how to run the call — and the engine
 * interprets it against the journal. Here, once for every kind:
 *
 * - `CallLog.begin`: each call gets its position and count, and is checked
 *   against the journal's record at that position (name, kind, count), or the
 *   instance fails NON_DETERMINISTIC;
 * - a finished record returns its outcome at once (a replay);
 * - `Call`: the bookkeeping of a record that ends (completed, failed or cancelled:
 *   its status, when it finished, no timer left, journaled).
 */
import { InvalidStepError, JournaledError, NonDeterministicError, type ErrorRecord } from "./errors.js";
import type { Clock, InstanceInput, Services } from "./host.js";
import type { InboxEvent, JournalStore, StepKind, StepRecord } from "./journal.js";
import type { EventMatch } from "./match.js";
import type { RetryPolicy, StepConfig } from "./retry.js";
import type { DoOptions } from "./types.js";

const MAX_NAME_LENGTH = 256;

/** A step call as its tool describes it; `perform` in the engine interprets it. */
export interface StepOp<T> {
  readonly kind: StepKind;
  readonly name: string;
  /** What a completed record gives the workflow: on every replay, and when the call completes. */
  decode(record: StepRecord): T;
  /** Runs the call: a new one (`call.record` unset), or one the journal holds unfinished. */
  run(call: Call<T>): void;
  /**
   * An optional call (step.patched) takes no position where the journal holds
   * another step, so journals written before it existed still line up; it then
   * resolves with `otherwise`.
   */
  readonly optional?: { otherwise: T };
}

/** A completed step that declared a rollback: what a compensation undoes. */
export interface Rollback {
  seq: number;
  name: string;
  count: number;
  config: StepConfig | undefined;
  policy: RetryPolicy;
  result: unknown;
  rollback: NonNullable<DoOptions<unknown>["rollback"]>;
}

/** What the execution lends the step kinds. */
export interface Engine {
  readonly clock: Clock;
  readonly services: Services;
  readonly instance: InstanceInput;
  /** True once the workflow completed or failed, or the execution was stopped: nothing is journaled after. */
  readonly finished: boolean;
  /** True once the instance compensates: only rollbacks still run. */
  readonly compensating: boolean;
  /** Journals `record` (through `write`). */
  save(record: StepRecord): void;
  /** Every journal write goes through here: a failing store stops the execution (see Execution). */
  write<T>(body: (store: JournalStore) => T): T;
  takeEvent(type: string, seq: number, match?: EventMatch): InboxEvent | undefined;
  /** Part `part` of step `seq`'s stream result, read when the workflow pulls it (streams.ts). */
  readBlob(seq: number, part: number): Uint8Array | undefined;
  /** Parks a call until `wake(now)` returns true; the engine calls it when `record.dueAt` comes, or on poll. */
  block(record: StepRecord, wake: (now: number) => boolean): void;
  /** Takes a parked call out; false when it was not parked (any more). */
  unblock(seq: number): boolean;
  /** The workflow counts as busy until the returned function is called. */
  busy(): () => void;
  /** Runs `start` now, or once the instance is resumed when it is paused. */
  whenRunning(start: () => void): void;
  /** Attempts under way, which a terminate, restart or delete cuts off. */
  attemptStarted(record: StepRecord, signal: { abort(reason: unknown): void }): void;
  /** True while an attempt's outcome still counts: it was not cut off and the workflow goes on. */
  attemptEnded(seq: number): boolean;
  /** Completed steps with a rollback, in call order. */
  readonly rollbacks: Rollback[];
}

/**
 * Gives each step call its position and count, and checks it against the journal.
 * It holds only the records of positions no call has reached yet: a replay's
 * results are handed over once and then left to the call and the workflow.
 */
export class CallLog {
  private readonly counts = new Map<string, number>();
  private nextSeq = 0;

  constructor(
    private readonly workflow: string,
    readonly records: Map<number, StepRecord>,
  ) {}

  /** The record at the position the next call takes. */
  peek(): StepRecord | undefined {
    return this.records.get(this.nextSeq);
  }

  /**
   * The call's position and count, and the journal's record at that position,
   * after checking that the same call made it. Throws NonDeterministicError otherwise.
   */
  begin(name: string, kind: StepKind): { seq: number; count: number; record?: StepRecord } {
    if (typeof name !== "string" || name.length === 0 || name.length > MAX_NAME_LENGTH) {
      throw new InvalidStepError(`a step name must be a string of 1 to ${MAX_NAME_LENGTH} characters, got ${JSON.stringify(name)}`);
    }
    const count = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, count);
    const seq = this.nextSeq++;
    const record = this.records.get(seq);
    // Past its position the log never reads a record again: the call holds it, and a delivered result is not kept.
    this.records.delete(seq);
    if (record && (record.name !== name || record.kind !== kind || record.count !== count)) {
      throw new NonDeterministicError(this.workflow, seq, `${record.kind} "${record.name}" (#${record.count})`, `${kind} "${name}" (#${count})`);
    }
    return { seq, count, record };
  }
}

/** One step call under way: the bookkeeping of its record, written once for every kind. */
export class Call<T> {
  constructor(
    readonly engine: Engine,
    private readonly op: StepOp<T>,
    readonly seq: number,
    readonly count: number,
    /** The call's journal record: the one found at its position, or the one `open` made. */
    public record: StepRecord | undefined,
    private readonly resolve: (value: T) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  get name(): string {
    return this.op.name;
  }

  /** Makes the record of a new call, with `fields`; journaled unless `save` is false. */
  open(fields: Partial<StepRecord>, { save = true }: { save?: boolean } = {}): StepRecord {
    const { seq, count, name } = this;
    this.record = { seq, name, count, kind: this.op.kind, status: "running", attempts: 0, startedAt: this.engine.clock.now(), ...fields };
    if (save) this.engine.save(this.record);
    return this.record;
  }

  save(): void {
    this.engine.save(this.record!);
  }

  /** Parks the call until `wake` returns true (at `record.dueAt`, or when polled). */
  wait(wake: (now: number) => boolean): void {
    this.engine.block(this.record!, wake);
  }

  /** Ends the call completed with the text `result`; the workflow gets `decode(record)`. */
  complete(result?: string): void {
    this.end("completed", { result });
    this.resolve(this.op.decode(this.record!));
  }

  /** Ends the call completed with `result`, handing the workflow `value` (what `decode` would give). */
  completeWith(value: T, result: string | undefined): void {
    this.end("completed", { result });
    this.resolve(value);
  }

  /** Ends the call failed: journaled with the step it came from, and thrown to the workflow. */
  fail(error: ErrorRecord): void {
    const failed = { ...error, step: { name: this.name, count: this.count } };
    this.end("failed", { error: failed });
    this.reject(new JournaledError(failed));
  }

  /** After the workflow finished nothing is journaled; the promise still settles. */
  private end(status: "completed" | "failed", outcome: { result?: string; error?: ErrorRecord }): void {
    endRecord(this.record!, status, this.engine.clock.now(), outcome);
    if (!this.engine.finished) this.save();
  }
}

/** The one place a record ends: its final status, when, its outcome, and no timer left. */
export function endRecord(
  record: StepRecord,
  status: "completed" | "failed" | "cancelled",
  at: number,
  outcome: { result?: string; error?: ErrorRecord },
): void {
  record.status = status;
  record.finishedAt = at;
  record.dueAt = undefined;
  if (outcome.result !== undefined) record.result = outcome.result;
  if (outcome.error !== undefined) record.error = outcome.error;
}
