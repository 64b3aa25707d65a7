/**
 * Step configuration with Cloudflare Workflows' defaults, and the backoff between
 * attempts.
 */
import { toMs, type Duration } from "./durations.js";
import { InvalidStepError } from "./errors.js";

export const BACKOFFS = ["constant", "linear", "exponential"] as const;
export type Backoff = (typeof BACKOFFS)[number];

export interface StepConfig {
  retries?: {
    /** Retries after the first attempt (so `limit: 5` allows 6 attempts). */
    limit: number;
    delay: Duration | string;
    backoff?: Backoff;
  };
  /** Per attempt: the attempt's `signal` aborts and the attempt fails when it passes. */
  timeout?: Duration | string;
}

export interface RetryPolicy {
  maxAttempts: number;
  delayMs: number;
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
  return {
    maxAttempts: limit + 1,
    delayMs: toMs(retries.delay, `step "${stepName}" retries.delay`),
    backoff,
    timeoutMs: toMs(config?.timeout ?? STEP_DEFAULTS.timeout, `step "${stepName}" timeout`),
  };
}

/** Delay before attempt `failedAttempt + 1`, after attempt `failedAttempt` (1-based) failed. */
export function backoffMs(policy: RetryPolicy, failedAttempt: number): number {
  switch (policy.backoff) {
    case "constant":
      return policy.delayMs;
    case "linear":
      return policy.delayMs * failedAttempt;
    case "exponential":
      return policy.delayMs * 2 ** (failedAttempt - 1);
  }
}
