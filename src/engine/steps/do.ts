/**
 * `step.do` (and each rollback, which runs like one): runs the function until an
 * attempt succeeds, each attempt with its timeout and abort signal, retrying by
 * the step's policy, and journals the result once.
 */
import type { Call, Engine, StepOp } from "../call.js";
import { toMs, type Duration } from "../durations.js";
import {
  InvalidStepError,
  StepInterruptedError,
  StepTimeoutError,
  isNamedNonRetryable,
  isRetryable,
  toErrorRecord,
  type ErrorRecord,
} from "../errors.js";
import type { StepRecord } from "../journal.js";
import { roundTrip } from "../records.js";
import { backoffMs, resolveConfig, resolvePolicy, type ResolvedStepConfig, type RetryPolicy, type StepConfig } from "../retry.js";
import { serializeResult } from "../serialize.js";
import { isReadableStream, stepResult, storeStream } from "../streams.js";
import type { DoOptions, StepContext } from "../types.js";

/** The policy and `ctx.config` of a step.do without config, resolved once: parsing its durations per step showed in profiles. */
const DEFAULT_POLICY: RetryPolicy = Object.freeze(resolvePolicy("step", undefined));
const DEFAULT_CONFIG: ResolvedStepConfig = deepFreeze(resolveConfig(undefined));
/** How long a `retries.delay` function may take, as on Cloudflare. */
export const DELAY_FUNCTION_TIMEOUT_MS = 5_000;

type StepFunction = (ctx: StepContext) => unknown;

export function doOp(
  engine: Engine,
  name: string,
  config: StepConfig | undefined,
  fn: StepFunction | undefined,
  kind: "do" | "rollback" = "do",
  options?: DoOptions<unknown>,
): StepOp<unknown> {
  if (typeof fn !== "function") throw new InvalidStepError(`step.do("${name}") needs a function to run`);
  if (options?.rollback !== undefined && typeof options.rollback !== "function") {
    throw new InvalidStepError(`step.do("${name}"): rollback must be a function`);
  }
  const policy = config === undefined ? DEFAULT_POLICY : resolvePolicy(name, config);
  const rollback = options?.rollback;
  // A completed step with a rollback is remembered, on its first run and on every replay.
  const keep = !rollback
    ? passThrough
    : (record: StepRecord, value: unknown) => {
        engine.rollbacks.push({ seq: record.seq, name, count: record.count, config, policy, result: value, rollback });
        return value;
      };
  return {
    kind,
    name,
    decode: (record) => keep(record, stepResult(engine, record)),
    run(call) {
      const existing = call.record;
      const step = new Attempts(call, fn, policy, config === undefined ? DEFAULT_CONFIG : resolveConfig(config), keep);
      const sensitive = config?.sensitive === "output";
      if (!existing) {
        call.open(sensitive ? { sensitive } : {}, { save: false });
        return step.start();
      }
      if (sensitive) existing.sensitive = true;
      switch (existing.status) {
        case "retrying":
          if (step.retryWhenDue(engine.clock.now())) return;
          return call.wait((now) => step.retryWhenDue(now));
        case "running":
          // The attempt was cut off by a restart of the runtime: we cannot know whether it took effect.
          return step.failed(new StepInterruptedError(name));
        case "cancelled":
          // Cut off by an operator (a restart from a later step kept it): it runs again.
          return step.start();
        default:
          throw new InvalidStepError(`journal record for step "${name}" has status ${existing.status}, which a step.do cannot have`);
      }
    },
  };
}

/** The attempts of one step.do call. */
class Attempts {
  constructor(
    private readonly call: Call<unknown>,
    private readonly fn: StepFunction,
    private readonly policy: RetryPolicy,
    private readonly config: ResolvedStepConfig,
    private readonly keep: (record: StepRecord, value: unknown) => unknown,
  ) {}

  private get record(): StepRecord {
    return this.call.record!;
  }

  /** Starts the next attempt, or once resumed when the instance is paused. */
  start(): void {
    this.call.engine.whenRunning(() => this.attempt());
  }

  retryWhenDue(now: number): boolean {
    if ((this.record.dueAt ?? 0) > now) return false;
    this.start();
    return true;
  }

  private attempt(): void {
    const { engine } = this.call;
    const { record, policy } = this;
    // What a cancelled attempt left (only then: a delete makes the record a slower object).
    if (record.status === "cancelled") {
      delete record.finishedAt;
      delete record.error;
    }
    record.attempts += 1;
    record.status = "running";
    record.attemptStartedAt = engine.clock.now();
    record.dueAt = undefined;
    this.call.save();

    const signal = new AttemptSignal();
    engine.attemptStarted(record, signal);
    const done = engine.busy();
    let settled = false;
    let cancelTimeout = () => {};
    const settle = (body: () => void) => {
      if (settled) return;
      settled = true;
      cancelTimeout();
      try {
        if (engine.attemptEnded(record.seq)) body();
      } catch (error) {
        // A journal write failed (see Execution.write); the execution is already stopped.
        if (!engine.finished) throw error;
      } finally {
        done();
      }
    };
    const ctx: StepContext = {
      attempt: record.attempts,
      step: { name: record.name, count: record.count },
      config: this.config,
      get signal() {
        return signal.signal;
      },
    };
    let pending: Promise<unknown>;
    try {
      const mock = engine.services.mockStep?.(ctx.step, ctx.attempt);
      if (mock) pending = "error" in mock ? Promise.reject(mock.error) : Promise.resolve(mock.result);
      else pending = Promise.resolve(this.fn(ctx));
    } catch (error) {
      pending = Promise.reject(error);
    }
    const succeed = (value: unknown) => settle(() => this.succeeded(value, ctx));
    const fail = (error: unknown) => settle(() => this.failed(error, ctx));
    // A stream result is read into the store within the attempt: its timeout and cut-offs apply.
    const stillOn = () => !settled && !signal.aborted && !engine.finished;
    pending.then((value) => {
      if (!isReadableStream(value)) return succeed(value);
      storeStream(value, record.seq, record.name, { write: (body) => engine.write(body), stillOn, signal: signal.signal }).then((text) => succeed(new StoredStream(text)), fail);
    }, fail);
    // Most steps settle within this turn; only one still pending after it needs a timeout timer.
    queueMicrotask(() => {
      if (settled) return;
      cancelTimeout = engine.clock.setTimer(policy.timeoutMs, () =>
        settle(() => {
          const error = new StepTimeoutError(record.name, policy.timeoutMs);
          signal.abort(error);
          this.failed(error, ctx);
        }),
      );
    });
  }

  private succeeded(value: unknown, ctx: StepContext): void {
    if (value instanceof StoredStream) return this.call.complete(value.text);
    let text: string | undefined;
    try {
      text = serializeResult(value, `step "${this.record.name}"`);
    } catch (error) {
      return this.failed(error, ctx);
    }
    this.call.completeWith(this.keep(this.record, roundTrip(value, text)), text);
  }

  /** An attempt failed (`ctx`: its context, absent for one cut off by a restart of the runtime). */
  failed(error: unknown, ctx?: StepContext): void {
    const { engine } = this.call;
    const { record, policy } = this;
    const now = engine.clock.now();
    const errorRecord = toErrorRecord(error, isNamedNonRetryable(error) ? "NON_RETRYABLE" : "STEP_FAILED");
    engine.write((store) =>
      store.saveAttempt({ seq: record.seq, attempt: record.attempts, startedAt: record.attemptStartedAt ?? now, finishedAt: now, error: errorRecord }),
    );
    if (!isRetryable(error) || record.attempts >= policy.maxAttempts) return this.call.fail(errorRecord);
    // An attempt cut off by a restart goes again at once: the outage was its wait.
    if (error instanceof StepInterruptedError) return this.retryAt(now);
    if (!policy.delayFunction || !ctx) return this.retryAt(now + backoffMs(policy, record.attempts));
    this.retryAfterDelayFunction(error, ctx, errorRecord);
  }

  private retryAt(dueAt: number): void {
    this.record.status = "retrying";
    this.record.dueAt = dueAt;
    this.call.save();
    this.call.wait((now) => this.retryWhenDue(now));
  }

  /** Asks the step's `retries.delay` function for the base delay; one that fails ends the step. */
  private retryAfterDelayFunction(error: unknown, ctx: StepContext, errorRecord: ErrorRecord): void {
    const { engine } = this.call;
    const { record, policy } = this;
    const done = engine.busy();
    let cancelTimer = () => {};
    const timeout = new Promise<never>((_, reject) => {
      cancelTimer = engine.clock.setTimer(DELAY_FUNCTION_TIMEOUT_MS, () => reject(new Error(`took longer than ${DELAY_FUNCTION_TIMEOUT_MS} ms`)));
    });
    const asked = Promise.resolve().then(() => policy.delayFunction!({ ctx, error: error instanceof Error ? error : new Error(String(error)) }));
    // Settles after the step may have been cut off: only a step that still goes on is journaled.
    const goesOn = () => !engine.finished && (record.kind === "rollback" || !engine.compensating);
    Promise.race([asked, timeout])
      .then((delay) => toMs(delay as Duration, `the value returned by step "${record.name}"'s retries.delay function,`))
      .then(
        (ms) => goesOn() && this.retryAt(engine.clock.now() + backoffMs(policy, record.attempts, ms)),
        (problem: unknown) => {
          if (!goesOn()) return;
          const message = problem instanceof InvalidStepError ? problem.message : `step "${record.name}"'s retries.delay function failed: ${toErrorRecord(problem, "INVALID_STEP").message}`;
          this.call.fail({ ...toErrorRecord(new InvalidStepError(`${message}; the step fails without further attempts`), "INVALID_STEP"), cause: errorRecord });
        },
      )
      .finally(() => {
        cancelTimer();
        done();
      });
  }
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
  get aborted(): boolean {
    return this.controller?.signal.aborted ?? false;
  }
  abort(reason: unknown): void {
    (this.controller ??= new AbortController()).abort(reason);
  }
}

/** A stream result, read to its end into the store: `text` is the step's result. */
class StoredStream {
  constructor(readonly text: string) {}
}

const passThrough = (_record: StepRecord, value: unknown) => value;

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) if (inner && typeof inner === "object") deepFreeze(inner);
  return Object.freeze(value);
}
