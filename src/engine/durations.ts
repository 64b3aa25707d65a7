/**
 * Durations as the step API accepts them: a number of milliseconds, or a string
 * such as `"10 seconds"`, `"1 minute"`, `"3 days"` (the forms Cloudflare Workflows
 * accepts, so ported workflows keep their literals).
 */
import { InvalidStepError } from "./errors.js";

export type DurationUnit = "millisecond" | "second" | "minute" | "hour" | "day" | "week" | "month" | "year";

/** `"<n> <unit>"` with an optional plural `s`, or milliseconds as a number. */
export type Duration = `${number} ${DurationUnit}` | `${number} ${DurationUnit}s` | number;

const UNIT_MS: Record<DurationUnit, number> = {
  millisecond: 1,
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000,
  year: 365 * 86_400_000,
};

const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(millisecond|second|minute|hour|day|week|month|year)s?\s*$/i;

/**
 * Converts a duration to milliseconds.
 *
 * @example toMs("10 seconds") === 10_000; toMs(250) === 250
 * @throws InvalidStepError for negative, non-finite or unparseable input, naming the value.
 */
export function toMs(duration: Duration | string, what = "duration"): number {
  if (typeof duration === "number") {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new InvalidStepError(
        `${what} must be a non-negative number of milliseconds, got ${String(duration)}`,
      );
    }
    return Math.round(duration);
  }
  const match = typeof duration === "string" ? PATTERN.exec(duration) : null;
  if (!match) {
    throw new InvalidStepError(
      `${what} ${JSON.stringify(duration)} is not a duration: use milliseconds or a string like "30 seconds", "5 minutes", "2 days"`,
    );
  }
  const unit = match[2]!.toLowerCase() as DurationUnit;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}
