/**
 * Step configuration with Cloudflare Workflows' defaults, the config a step's
 * function sees (`ctx.config`), and the backoff between attempts.
 */
import { toMs, type Duration } from "./durations.js";
import { InvalidStepError } from "./errors.js";
import type { StepContext } from "./types.js";

export const BACKOFFS = ["constant", "linear", "exponential"] as const;
export type Backoff = (typeof BACKOFFS)[number];

/**
 * A delay computed per failed attempt, as Cloudflare Workflows allows: it receives
 * the failed attempt's context and its error, and returns a duration that the
 * backoff is then applied to. One that throws, takes over 5 seconds or returns
 * something that is not a duration fails the step without further attempts.
 *
 * @example delay: ({ ctx, error }) => (error.message.includes("rate limit") ? `${ctx.attempt * 30} seconds` : "10 seconds")
 */
export type RetryDelayFunction = (input: { ctx: StepContext; error: Error }) => Duration | string | Promise<Duration | string>;

export interface StepConfig {
  retries?: {
    /** Retries after the first attempt (so `limit: 5` allows 6 attempts). */
    limit: number;
    delay: Duration | string | RetryDelayFunction;
    backoff?: Backoff;
  };
  /** Per attempt: the attempt's `signal` aborts and the attempt fails when it passes. */
  timeout?: Duration | string;
  /**
   * `"output"`: the step's result is kept out of the instance view, the dashboard
   * and the logs (the view says `sensitive: true` instead). The workflow still gets it.
   */
  sensitive?: "output";
}

/** `ctx.config`: the step's config with the defaults applied; `retries.delay` is absent when it is a function. */
export interface ResolvedStepConfig {
  retries: { limit: number; delay?: Duration | string; backoff: Backoff };
  timeout: Duration | string;
  sensitive?: "output";
}

export interface RetryPolicy {
  maxAttempts: number;
  delayMs: number;
  /** Set when `retries.delay` is a function: it gives the base delay of each retry. */
  delayFunction?: RetryDelayFunction;
  backoff: Backoff;
  timeoutMs: number;
}

export const STEP_DEFAULTS = {
  retries: { limit: 5, delay: "10 seconds", backoff: "exponential" },
  timeout: "10 minutes",
} as const satisfies StepConfig;

export function resolvePolicy(stepName: string, config: StepConfig | undefined): RetryPolicy {
  const retries = config?.retries ?? STEP_DEFAULTS.retries;
  const limit = retries.limit;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new InvalidStepError(`step "${stepName}": retries.limit must be a non-negative integer, got ${String(limit)}`);
  }
  const backoff = retries.backoff ?? STEP_DEFAULTS.retries.backoff;
  if (!BACKOFFS.includes(backoff)) {
    throw new InvalidStepError(`step "${stepName}": retries.backoff must be one of ${BACKOFFS.join(", ")}, got ${String(backoff)}`);
  }
  const sensitive = config?.sensitive;
  if (sensitive !== undefined && sensitive !== "output") {
    throw new InvalidStepError(`step "${stepName}": sensitive must be "output" when given, got ${JSON.stringify(sensitive)}`);
  }
  const delay = retries.delay;
  return {
    maxAttempts: limit + 1,
    delayMs: typeof delay === "function" ? 0 : toMs(delay, `step "${stepName}" retries.delay`),
    ...(typeof delay === "function" && { delayFunction: delay }),
    backoff,
    timeoutMs: toMs(config?.timeout ?? STEP_DEFAULTS.timeout, `step "${stepName}" timeout`),
  };
}

/** `ctx.config` for a step called with `config` (checked by resolvePolicy first). */
export function resolveConfig(config: StepConfig | undefined): ResolvedStepConfig {
  const retries = config?.retries ?? STEP_DEFAULTS.retries;
  const delay = retries.delay;
  return {
    retries: { limit: retries.limit, ...(typeof delay !== "function" && { delay }), backoff: retries.backoff ?? STEP_DEFAULTS.retries.backoff },
    timeout: config?.timeout ?? STEP_DEFAULTS.timeout,
    ...(config?.sensitive && { sensitive: config.sensitive }),
  };
}

/** Delay before attempt `failedAttempt + 1`, after attempt `failedAttempt` (1-based) failed, from a base delay. */
export function backoffMs(policy: Pick<RetryPolicy, "backoff" | "delayMs">, failedAttempt: number, delayMs = policy.delayMs): number {
  switch (policy.backoff) {
    case "constant":
      return delayMs;
    case "linear":
      return delayMs * failedAttempt;
    case "exponential":
      return delayMs * 2 ** (failedAttempt - 1);
  }
}
