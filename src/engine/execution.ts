/**
 * One execution of a workflow instance: runs the user's `run(event, step)`,
 * interprets each step call against the journal, and reports an outcome.
 *
 * An execution lives as long as the host keeps it in memory. While it does, a
 * step that waits (sleep, retry backoff, event) is a pending promise: when the host
 * calls `advance()` after the wait ends, the workflow continues from where it
 * stopped, without running from the top. A new execution over an existing journal
 * is a replay: journaled step calls return their recorded outcome at once, and each
 * call is checked against the record at its position (name and kind).
 */
import {
  EventTimeoutError,
  InvalidStepError,
  JournaledError,
  NonDeterministicError,
  StepInterruptedError,
  StepTimeoutError,
  isRetryable,
  toErrorRecord,
  type ErrorRecord,
} from "./errors.js";
import type { JournalStore, StepKind, StepRecord } from "./journal.js";
import { backoffMs, resolvePolicy, type RetryPolicy, type StepConfig } from "./retry.js";
import { toMs } from "./durations.js";
import { serializeResult, parseResult } from "./serialize.js";

export const DEFAULT_EVENT_TIMEOUT = "24 hours";
export const DEFAULT_WEBHOOK_EXPIRY = "7 days";
export const DEFAULT_WEBHOOK_EVENT_TYPE = "webhook";
import { CHILD_EVENT_PREFIX, type ChildFinished, type Clock, type InstanceInput, type Outcome, type Services } from "./host.js";
import { childIdFor, describeWait, eventResult, newRecord, roundTrip, toReceivedEvent, toTimestamp } from "./records.js";
import type {
  ChildOptions,
  DoOptions,
  ReceivedEvent,
  StepContext,
  WaitForEventOptions,
  WebhookHandle,
  WebhookOptions,
  WorkflowDefinition,
  WorkflowStep,
} from "./types.js";

const MAX_NAME_LENGTH = 256;
const MAX_EVENT_TYPE_LENGTH = 100;
/** The policy of a step.do without config, resolved once: parsing its durations per step showed in profiles. */
const DEFAULT_POLICY: RetryPolicy = Object.freeze(resolvePolicy("step", undefined));

/** A step call that waits for time or an event. `wake` returns true once it went on. */
interface Blocked {
  record: StepRecord;
  wake(now: number): boolean;
}

export class Execution {
  private readonly records: Map<number, StepRecord>;
  private readonly counts = new Map<string, number>();
  private readonly blocked = new Map<number, Blocked>();
  private readonly inFlight = new Map<number, AttemptSignal>();
  /** In-memory wake-ups for blocked calls that fall due while other steps still run. */
  private readonly wakeTimers = new Set<() => void>();
  private nextSeq = 0;
  private active = 0;
  private started = false;
  private paused = false;
  /** Attempts that were due to start while paused; they start on resume(). */
  private deferred: (() => void)[] = [];
  private final?: Extract<Outcome, { kind: "completed" | "failed" }>;
  private idleWaiters: (() => void)[] = [];
  /** Completed steps that declared a rollback, in call order: what a compensation undoes. */
  private readonly rollbacks: Rollback[] = [];
  /** Set once the instance compensates: `error` is the outcome it ends with after the rollbacks. */
  private compensation?: { error: ErrorRecord; started: boolean };
  /** Attempts in flight when a compensation began: their late results are discarded. */
  private readonly discarded = new Set<number>();
  /** A failure of the host's storage: the execution stops and `advance()` rejects, so the host can replay later. */
  private fault?: { error: unknown };
  private idleCheckPending = false;
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
    this.records = new Map((store.loadForReplay ? store.loadForReplay() : store.load()).map((r) => [r.seq, r]));
    this.replayLength = this.records.size;
    this.step = this.makeStep();
  }

  /** True once the workflow completed or failed; nothing is journaled after that. */
  get finished(): boolean {
    return this.final !== undefined;
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
    await this.idle();
    // Terminated with rollback: once the replay reached the journal's end, undo what was done.
    if (this.compensation && !this.compensation.started && !this.final) {
      this.runRollbacks();
      await this.idle();
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
    this.clearWakeTimers();
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
    if (this.final || this.paused) return;
    const now = this.clock.now();
    const due = [...this.blocked.values()].sort((a, b) => a.record.seq - b.record.seq);
    for (const entry of due) {
      if (this.final) return;
      if (this.blocked.get(entry.record.seq) === entry && entry.wake(now)) this.blocked.delete(entry.record.seq);
    }
  }

  /** Stops the execution: running steps see their signal abort; their late results are discarded. */
  abort(reason: Error): void {
    this.final ??= { kind: "failed", error: toErrorRecord(reason, "TERMINATED") };
    for (const attempt of this.inFlight.values()) attempt.abort(reason);
    this.inFlight.clear();
    this.blocked.clear();
    this.deferred = [];
    this.clearWakeTimers();
    this.flushIdle();
  }

  outcome(): Outcome {
    if (this.final) return this.final;
    const waits = [...this.blocked.values()].map((b) => b.record);
    const timers = waits.filter((r) => r.dueAt !== undefined).sort((a, b) => a.dueAt! - b.dueAt!);
    // An event wait is what an operator most needs to see; otherwise the earliest timer.
    const shown = waits.filter((r) => r.status === "waiting" && r.kind === "event").sort((a, b) => a.seq - b.seq)[0] ?? waits.find((r) => r.kind === "child") ?? timers[0];
    return { kind: "suspended", wakeAt: timers[0]?.dueAt, waitingFor: shown && describeWait(shown) };
  }

  // ---- running the workflow -------------------------------------------------

  private start(): void {
    this.started = true;
    const event = {
      payload: parseResult(this.instance.input) as Readonly<unknown>,
      timestamp: new Date(this.instance.createdAt),
      instanceId: this.instance.id,
    };
    Promise.resolve()
      .then(() => this.workflow.run(event, this.step, { env: this.env }))
      .then(
        (output) => {
          if (this.final) return;
          try {
            this.finish({ kind: "completed", output: serializeResult(output, `workflow "${this.workflow.name}"`) });
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

  /**
   * Stops the workflow and undoes it: steps in flight are aborted and their results
   * discarded, no new step starts, and once the journal has been replayed to its end
   * the rollbacks of completed steps run, newest first. Ends failed with `reason`.
   */
  compensate(reason: Error): void {
    if (this.final || this.compensation) return;
    this.compensation = { error: toErrorRecord(reason, "TERMINATED"), started: false };
    for (const [seq, controller] of this.inFlight) {
      this.discarded.add(seq);
      controller.abort(reason);
    }
    this.blocked.clear();
    this.deferred = [];
    this.clearWakeTimers();
  }

  private runRollbacks(): void {
    const compensation = this.compensation!;
    compensation.started = true;
    const undo = [...this.rollbacks].sort((a, b) => b.seq - a.seq);
    const runAll = async () => {
      for (const step of undo) {
        // A rollback that fails for good is journaled as failed; the others still run.
        await this.callDo(
          `rollback ${step.name}${step.count > 1 ? ` #${step.count}` : ""}`,
          { retries: { limit: step.policy.maxAttempts - 1, delay: step.policy.delayMs, backoff: step.policy.backoff }, timeout: step.policy.timeoutMs },
          (ctx) => step.rollback({ ...ctx, result: step.result }),
          "rollback",
        ).catch(() => undefined);
      }
    };
    runAll().then(() => {
      if (!this.final) this.finish({ kind: "failed", error: compensation.error });
    });
  }

  private finish(outcome: Extract<Outcome, { kind: "completed" | "failed" }>): void {
    this.final = outcome;
    for (const attempt of this.inFlight.values()) attempt.abort(new Error("the workflow already finished"));
    this.inFlight.clear();
    this.blocked.clear();
    this.deferred = [];
    this.clearWakeTimers();
    this.flushIdle();
  }

  /** Resolves when nothing runs: no step function in flight after a full turn of the event loop. */
  private idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  private checkIdle(): void {
    if (this.final) return this.flushIdle();
    if (this.idleWaiters.length === 0 || this.idleCheckPending || this.active > 0) return;
    this.idleCheckPending = true;
    void this.clock.yield().then(() => {
      this.idleCheckPending = false;
      if (this.final || this.active === 0) {
        this.clearWakeTimers();
        this.flushIdle();
      }
    });
  }

  private flushIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private clearWakeTimers(): void {
    for (const cancel of this.wakeTimers) cancel();
    this.wakeTimers.clear();
  }

  // ---- the step API ------------------------------------------------------------

  private makeStep(): WorkflowStep {
    const self = this;
    return {
      do<T>(
        name: string,
        configOrFn: StepConfig | ((ctx: StepContext) => Promise<T> | T),
        fnOrOptions?: ((ctx: StepContext) => Promise<T> | T) | DoOptions<T>,
        maybeOptions?: DoOptions<T>,
      ): Promise<T> {
        const shortForm = typeof configOrFn === "function";
        const fn = shortForm ? configOrFn : (fnOrOptions as (ctx: StepContext) => Promise<T> | T);
        const config = shortForm ? undefined : configOrFn;
        const options = (shortForm ? fnOrOptions : maybeOptions) as DoOptions<T> | undefined;
        return self.callDo(name, config, fn, "do", options as DoOptions<unknown> | undefined) as Promise<T>;
      },
      sleep(name, duration) {
        return self.guard(() => self.callSleep(name, self.clock.now() + toMs(duration, `step "${name}" sleep duration`)));
      },
      sleepUntil(name, timestamp) {
        return self.guard(() => self.callSleep(name, toTimestamp(name, timestamp)));
      },
      waitForEvent<P>(name: string, options: WaitForEventOptions) {
        return self.guard(() => self.callWaitForEvent(name, options)) as Promise<ReceivedEvent<P>>;
      },
      webhook(name, options) {
        return self.guard(() => self.callWebhook(name, options ?? {}));
      },
      patched(id) {
        return self.guard(() => Promise.resolve(self.callPatched(id)));
      },
      child<O>(name: string, workflow: string | { name: string }, input?: unknown, options?: ChildOptions) {
        return self.guard(() => self.callChild(name, workflow, input, options ?? {})) as Promise<O>;
      },
    };
  }

  /** Turns a synchronous validation error into a rejected promise, as the async API promises. */
  private guard<T>(body: () => Promise<T>): Promise<T> {
    try {
      return body();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Gives the call its position and count, and returns the journal record at that
   * position, after checking that it was made by the same call.
   */
  private beginCall(name: string, kind: StepKind): { seq: number; count: number; record?: StepRecord } {
    if (this.final) throw new InvalidStepError(`step "${name}" was called after workflow "${this.workflow.name}" had finished`);
    if (typeof name !== "string" || name.length === 0 || name.length > MAX_NAME_LENGTH) {
      throw new InvalidStepError(`a step name must be a string of 1 to ${MAX_NAME_LENGTH} characters, got ${JSON.stringify(name)}`);
    }
    const count = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, count);
    const seq = this.nextSeq++;
    const record = this.records.get(seq);
    if (record && (record.name !== name || record.kind !== kind || record.count !== count)) {
      const error = new NonDeterministicError(
        this.workflow.name,
        seq,
        `${record.kind} "${record.name}" (#${record.count})`,
        `${kind} "${name}" (#${count})`,
      );
      this.finish({ kind: "failed", error: toErrorRecord(error, error.code) });
      throw error;
    }
    return { seq, count, record };
  }

  private save(record: StepRecord): void {
    this.records.set(record.seq, record);
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

  private block(record: StepRecord, wake: (now: number) => boolean): void {
    const entry: Blocked = { record, wake };
    this.blocked.set(record.seq, entry);
    const dueAt = record.dueAt;
    if (dueAt === undefined) return;
    const delay = dueAt - this.clock.now();
    if (delay <= 0) {
      queueMicrotask(() => this.wakeOne(entry));
      return;
    }
    // Only useful while other steps keep this execution busy; cleared once idle.
    if (this.active > 0) {
      const cancel = this.clock.setTimer(delay, () => {
        this.wakeTimers.delete(cancel);
        this.wakeOne(entry);
      });
      this.wakeTimers.add(cancel);
    }
  }

  private wakeOne(entry: Blocked): void {
    if (this.final || this.paused || this.blocked.get(entry.record.seq) !== entry) return;
    if (entry.wake(this.clock.now())) this.blocked.delete(entry.record.seq);
  }

  // step.do --------------------------------------------------------------------

  private callDo(
    name: string,
    config: StepConfig | undefined,
    fn: ((ctx: StepContext) => unknown) | undefined,
    kind: "do" | "rollback" = "do",
    options?: DoOptions<unknown>,
  ): Promise<unknown> {
    return this.guard(() => {
      if (typeof fn !== "function") throw new InvalidStepError(`step.do("${name}") needs a function to run`);
      if (options?.rollback !== undefined && typeof options.rollback !== "function") {
        throw new InvalidStepError(`step.do("${name}"): rollback must be a function`);
      }
      const policy = config === undefined ? DEFAULT_POLICY : resolvePolicy(name, config);
      const { seq, count, record } = this.beginCall(name, kind);
      const keepRollback = (value: unknown) => {
        if (options?.rollback) this.rollbacks.push({ seq, name, count, policy, result: value, rollback: options.rollback });
        return value;
      };
      // A replay of a finished step: its journaled ending, with nothing to set up.
      if (record?.status === "completed") return Promise.resolve(keepRollback(parseResult(record.result)));
      if (record?.status === "failed") return Promise.reject(new JournaledError(record.error!));
      // While compensating, nothing the journal does not already hold may start (rollbacks aside).
      if (this.compensation && kind === "do") return new Promise(() => {});
      return new Promise((resolve, reject) => {
        const settleWith = (value: unknown) => resolve(keepRollback(value));
        const call: DoCall = { fn, policy, resolve: settleWith, reject, record: record ?? newRecord(seq, name, count, kind, this.clock.now()) };
        if (!record) return this.startAttempt(call);
        switch (record.status) {
          case "retrying":
            if (this.retryWhenDue(call, this.clock.now())) return;
            return this.block(record, (now) => this.retryWhenDue(call, now));
          case "running":
            // The attempt was cut off by a restart: we cannot know whether it took effect.
            return this.attemptFailed(call, new StepInterruptedError(name));
          default:
            return reject(new InvalidStepError(`journal record for step "${name}" has status ${record.status}, which a step.do cannot have`));
        }
      });
    });
  }

  private retryWhenDue(call: DoCall, now: number): boolean {
    if ((call.record.dueAt ?? 0) > now) return false;
    this.startAttempt(call);
    return true;
  }

  private startAttempt(call: DoCall): void {
    if (this.paused) {
      this.deferred.push(() => this.startAttempt(call));
      return;
    }
    const { record, policy } = call;
    const now = this.clock.now();
    record.attempts += 1;
    record.status = "running";
    record.attemptStartedAt = now;
    record.dueAt = undefined;
    this.save(record);

    const abort = new AttemptSignal();
    this.inFlight.set(record.seq, abort);
    this.active++;
    let settled = false;
    let cancelTimeout = () => {};
    const settle = (body: () => void) => {
      if (settled) return;
      settled = true;
      cancelTimeout();
      this.inFlight.delete(record.seq);
      try {
        if (!this.final && !this.discarded.has(record.seq)) body();
      } catch (error) {
        // A journal write failed (see write()); the execution is already stopped.
        if (!this.fault) throw error;
      } finally {
        this.active--;
        this.checkIdle();
      }
    };
    const ctx: StepContext = {
      attempt: record.attempts,
      step: { name: record.name, count: record.count },
      get signal() {
        return abort.signal;
      },
    };
    let pending: Promise<unknown>;
    try {
      const mock = this.services.mockStep?.(ctx.step, ctx.attempt);
      if (mock) pending = "error" in mock ? Promise.reject(mock.error) : Promise.resolve(mock.result);
      else pending = Promise.resolve(call.fn(ctx));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => settle(() => this.attemptSucceeded(call, value)),
      (error: unknown) => settle(() => this.attemptFailed(call, error)),
    );
    // Most steps settle within this turn; only one still pending after it needs a timeout timer.
    queueMicrotask(() => {
      if (settled) return;
      cancelTimeout = this.clock.setTimer(policy.timeoutMs, () =>
        settle(() => {
          const error = new StepTimeoutError(record.name, policy.timeoutMs);
          abort.abort(error);
          this.attemptFailed(call, error);
        }),
      );
    });
  }

  private attemptSucceeded(call: DoCall, value: unknown): void {
    const { record } = call;
    let text: string | undefined;
    try {
      text = serializeResult(value, `step "${record.name}"`);
    } catch (error) {
      return this.attemptFailed(call, error);
    }
    record.status = "completed";
    record.result = text;
    record.finishedAt = this.clock.now();
    this.save(record);
    call.resolve(roundTrip(value, text));
  }

  private attemptFailed(call: DoCall, error: unknown): void {
    const { record, policy } = call;
    const now = this.clock.now();
    const errorRecord = toErrorRecord(error, "STEP_FAILED");
    this.write(() => this.store.saveAttempt({
      seq: record.seq,
      attempt: record.attempts,
      startedAt: record.attemptStartedAt ?? now,
      finishedAt: now,
      error: errorRecord,
    }));
    if (isRetryable(error) && record.attempts < policy.maxAttempts) {
      record.status = "retrying";
      // An attempt cut off by a restart goes again at once: the outage was its wait.
      record.dueAt = error instanceof StepInterruptedError ? now : now + backoffMs(policy, record.attempts);
      this.save(record);
      this.block(record, (at) => this.retryWhenDue(call, at));
      return;
    }
    record.status = "failed";
    record.error = { ...errorRecord, step: { name: record.name, count: record.count } };
    record.finishedAt = now;
    record.dueAt = undefined;
    this.save(record);
    call.reject(new JournaledError(record.error));
  }

  // step.sleep / step.sleepUntil --------------------------------------------------

  private callSleep(name: string, wakeAt: number): Promise<void> {
    const { seq, count, record: existing } = this.beginCall(name, "sleep");
    if (existing?.status === "completed") return Promise.resolve();
    const record = existing ?? { ...newRecord(seq, name, count, "sleep", this.clock.now()), status: "sleeping", dueAt: wakeAt };
    return new Promise((resolve) => {
      const wake = (now: number) => {
        if ((record.dueAt ?? 0) > now) return false;
        record.status = "completed";
        record.finishedAt = now;
        record.dueAt = undefined;
        this.save(record);
        resolve();
        return true;
      };
      // The wake time is journaled at the first call; a time already past returns at once.
      if (wake(this.clock.now())) return;
      if (!existing) this.save(record);
      this.block(record, wake);
    });
  }

  // step.waitForEvent ---------------------------------------------------------------

  private callWaitForEvent(name: string, options: WaitForEventOptions): Promise<ReceivedEvent> {
    const type = options?.type;
    if (typeof type !== "string" || type.length === 0 || type.length > MAX_EVENT_TYPE_LENGTH) {
      throw new InvalidStepError(`step.waitForEvent("${name}") needs a type of 1 to ${MAX_EVENT_TYPE_LENGTH} characters, got ${JSON.stringify(type)}`);
    }
    const timeoutMs = toMs(options.timeout ?? DEFAULT_EVENT_TIMEOUT, `step "${name}" timeout`);
    const { seq, count, record: existing } = this.beginCall(name, "event");
    if (existing?.status === "completed") return Promise.resolve(toReceivedEvent(existing.result));
    if (existing?.status === "failed") return Promise.reject(new JournaledError(existing.error!));
    const now = this.clock.now();
    const record = existing ?? { ...newRecord(seq, name, count, "event", now), status: "waiting", eventType: type, dueAt: now + timeoutMs };
    return new Promise((resolve, reject) => {
      const wake = (at: number) => {
        const event = this.write(() => this.store.takeEvent(type, record.seq));
        if (event) {
          record.status = "completed";
          record.result = eventResult(event);
          record.finishedAt = at;
          record.dueAt = undefined;
          this.save(record);
          resolve(toReceivedEvent(record.result));
          return true;
        }
        if ((record.dueAt ?? Infinity) > at) return false;
        const error = new EventTimeoutError(name, type, timeoutMs);
        record.status = "failed";
        record.error = { ...toErrorRecord(error, error.code), step: { name, count: record.count } };
        record.finishedAt = at;
        record.dueAt = undefined;
        this.save(record);
        reject(new JournaledError(record.error));
        return true;
      };
      if (wake(now)) return;
      if (!existing) this.save(record);
      this.block(record, wake);
    });
  }

  // step.patched -------------------------------------------------------------------

  /**
   * True when the code inside the patch may run: for instances that reach this point
   * with the patched code (a marker is journaled), false for instances whose journal
   * was written before the patch existed (the journal holds another step here). Takes
   * no position in the journal in the second case, so old journals still line up.
   */
  private callPatched(id: string): boolean {
    if (typeof id !== "string" || id.length === 0 || id.length > MAX_NAME_LENGTH) {
      throw new InvalidStepError(`step.patched needs an id of 1 to ${MAX_NAME_LENGTH} characters, got ${JSON.stringify(id)}`);
    }
    const existing = this.records.get(this.nextSeq);
    if (existing && !(existing.kind === "patch" && existing.name === id)) return false;
    const { seq, count, record } = this.beginCall(id, "patch");
    if (!record) this.save({ ...newRecord(seq, id, count, "patch", this.clock.now()), status: "completed", finishedAt: this.clock.now() });
    return true;
  }

  // step.child ---------------------------------------------------------------------

  private callChild(name: string, workflow: string | { name: string }, input: unknown, options: ChildOptions): Promise<unknown> {
    const workflowName = typeof workflow === "string" ? workflow : workflow?.name;
    if (typeof workflowName !== "string" || workflowName.length === 0) {
      throw new InvalidStepError(`step.child("${name}") needs a workflow: its name or its definition`);
    }
    const timeoutMs = options.timeout === undefined ? undefined : toMs(options.timeout, `step "${name}" timeout`);
    const inputText = serializeResult(input, `the input of child "${name}"`);
    const { seq, count, record: existing } = this.beginCall(name, "child");
    if (existing?.status === "completed") return Promise.resolve(parseResult(existing.result));
    if (existing?.status === "failed") return Promise.reject(new JournaledError(existing.error!));
    if (this.compensation) return new Promise(() => {});
    const now = this.clock.now();
    const childId = existing?.eventType?.slice(CHILD_EVENT_PREFIX.length) ?? options.id ?? childIdFor(this.instance.id, name, count);
    const record: StepRecord = existing ?? {
      ...newRecord(seq, name, count, "child", now),
      status: "waiting",
      eventType: `${CHILD_EVENT_PREFIX}${childId}`,
      ...(timeoutMs !== undefined && { dueAt: now + timeoutMs }),
    };
    // Journaled before the child starts, so a replay asks for the same child (creating it is idempotent).
    if (!existing) this.save(record);
    const start = this.services.startChild;
    if (!start) throw new InvalidStepError(`step.child("${name}") is not available here: the host cannot start instances`);
    return new Promise((resolve, reject) => {
      const fail = (error: ErrorRecord) => {
        record.status = "failed";
        record.error = { ...error, step: { name, count } };
        record.finishedAt = this.clock.now();
        record.dueAt = undefined;
        this.save(record);
        reject(new JournaledError(record.error));
      };
      const wake = (at: number) => {
        const event = this.write(() => this.store.takeEvent(record.eventType!, record.seq));
        if (event) {
          const finished = parseResult(event.payload) as ChildFinished;
          if (finished.status === "completed") {
            record.status = "completed";
            record.result = finished.output;
            record.finishedAt = at;
            record.dueAt = undefined;
            this.save(record);
            resolve(parseResult(finished.output));
          } else {
            fail({
              name: "ChildWorkflowError",
              code: finished.status === "terminated" ? "CHILD_TERMINATED" : "CHILD_FAILED",
              message: `child workflow "${workflowName}" (${childId}) ${finished.status}${finished.error ? `: ${finished.error.message}` : ""}`,
              ...(finished.error && { cause: finished.error }),
            });
          }
          return true;
        }
        if ((record.dueAt ?? Infinity) > at) return false;
        fail({ name: "ChildTimeoutError", code: "CHILD_TIMEOUT", message: `child workflow "${workflowName}" (${childId}) did not finish within ${timeoutMs} ms` });
        return true;
      };
      // Replayed after the child finished: its event is already in the inbox.
      if (existing && wake(now)) return;
      this.block(record, wake);
      this.active++;
      start({ id: childId, workflow: workflowName, ...(inputText !== undefined && { input: inputText }) }).then(
        () => {
          this.active--;
          this.checkIdle();
        },
        (error: unknown) => {
          this.active--;
          if (!this.final && this.blocked.get(seq)) {
            this.blocked.delete(seq);
            fail({ ...toErrorRecord(error, "CHILD_START_FAILED"), code: "CHILD_START_FAILED" });
          }
          this.checkIdle();
        },
      );
    });
  }

  // step.webhook -------------------------------------------------------------------

  private callWebhook(name: string, options: WebhookOptions): Promise<WebhookHandle> {
    const eventType = options.eventType ?? DEFAULT_WEBHOOK_EVENT_TYPE;
    if (typeof eventType !== "string" || eventType.length === 0 || eventType.length > MAX_EVENT_TYPE_LENGTH) {
      throw new InvalidStepError(`step.webhook("${name}") needs an eventType of 1 to ${MAX_EVENT_TYPE_LENGTH} characters, got ${JSON.stringify(eventType)}`);
    }
    const expiresInMs = toMs(options.expiresIn ?? DEFAULT_WEBHOOK_EXPIRY, `step "${name}" expiresIn`);
    const { seq, count, record: existing } = this.beginCall(name, "webhook");
    if (existing?.status === "completed") return Promise.resolve(parseResult(existing.result) as WebhookHandle);
    if (existing?.status === "failed") return Promise.reject(new JournaledError(existing.error!));
    const mint = this.services.mintWebhook;
    if (!mint) throw new InvalidStepError(`step.webhook("${name}") is not available here: the host gave no webhook signer`);
    const now = this.clock.now();
    const record: StepRecord = { ...newRecord(seq, name, count, "webhook", now), attempts: 1 };
    const expiresAt = now + expiresInMs;
    this.active++;
    const done = () => {
      this.active--;
      this.checkIdle();
    };
    return mint({ eventType, expiresAt, ...(options.verify && { verifyWith: options.verify.standardWebhooks }) }).then(
      ({ url, token }) => {
        const handle: WebhookHandle = { url, token, expiresAt: new Date(expiresAt).toISOString(), eventType };
        if (!this.final) {
          record.status = "completed";
          record.result = JSON.stringify(handle);
          record.finishedAt = this.clock.now();
          this.save(record);
        }
        done();
        return handle;
      },
      (error: unknown) => {
        record.status = "failed";
        record.error = { ...toErrorRecord(error, "WEBHOOK_FAILED"), step: { name, count } };
        record.finishedAt = this.clock.now();
        if (!this.final) this.save(record);
        done();
        throw new JournaledError(record.error);
      },
    );
  }
}

interface Rollback {
  seq: number;
  name: string;
  count: number;
  policy: RetryPolicy;
  result: unknown;
  rollback: NonNullable<DoOptions<unknown>["rollback"]>;
}

/**
 * A running attempt's abort signal. Most step functions never read it, and an
 * AbortController per step showed in profiles: it is made on first read, or when
 * the attempt must stop (a read after that sees it aborted).
 */
class AttemptSignal {
  private controller?: AbortController;
  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }
  abort(reason: unknown): void {
    (this.controller ??= new AbortController()).abort(reason);
  }
}

interface DoCall {
  fn: (ctx: StepContext) => unknown;
  policy: RetryPolicy;
  record: StepRecord;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}
