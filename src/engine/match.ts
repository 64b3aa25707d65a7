/**
 * Correlation: how an event finds the step call (or the instance) waiting for it by
 * a business key instead of an instance id. A match names a field of the event and
 * the value it must hold: `{ field: "data.orderId", equals: "o-17" }`. The field is a
 * dotted path into the event as it is published, `{ name, id, data }`; the value is
 * a string, a number or a boolean, compared with `===`.
 *
 * The event's correlation key (what `POST /api/events` takes as `key`, and what a
 * provider reads from its deliveries) is the value as text: `String(equals)`. Waits
 * and events meet in the correlation object of (event name, key).
 *
 * Pure: the engine, the instance and the correlation object all use it.
 */
import { MAX_CORRELATION_KEY_LENGTH } from "../lib/bounds.js";
import { InvalidStepError } from "./errors.js";

export { MAX_CORRELATION_KEY_LENGTH };

/** A value a match compares with. */
export type MatchValue = string | number | boolean;

export interface EventMatch {
  /** A dotted path into the event `{ name, id, data }`, starting with `data` (e.g. `"data.object.id"`). */
  field: string;
  equals: MatchValue;
}

/** The longest field path accepted (characters). */
export const MAX_MATCH_FIELD_LENGTH = MAX_CORRELATION_KEY_LENGTH;

const FIELD = /^data(\.[A-Za-z0-9_$-]+)*$/;

/** Why `match` is not usable, or undefined when it is. */
export function matchProblem(match: unknown): string | undefined {
  if (typeof match !== "object" || match === null) return "match must be an object { field, equals }";
  const { field, equals } = match as Partial<EventMatch>;
  if (typeof field !== "string" || field.length > MAX_MATCH_FIELD_LENGTH || !FIELD.test(field)) {
    return `match.field must be a dotted path into the event's data of at most ${MAX_MATCH_FIELD_LENGTH} characters, such as "data.orderId", got ${JSON.stringify(field)}`;
  }
  if (typeof equals !== "string" && typeof equals !== "boolean" && !(typeof equals === "number" && Number.isFinite(equals))) {
    return `match.equals must be a string, a finite number or a boolean, got ${equals === null ? "null" : typeof equals}`;
  }
  const key = String(equals);
  if (key.length === 0 || key.length > MAX_CORRELATION_KEY_LENGTH) {
    return `match.equals must be 1 to ${MAX_CORRELATION_KEY_LENGTH} characters as text, got ${key.length}`;
  }
  return undefined;
}

/** Throws INVALID_STEP naming the step when `match` is not usable. */
export function checkMatch(step: string, match: unknown): EventMatch {
  const problem = matchProblem(match);
  if (problem) throw new InvalidStepError(`step.waitForEvent("${step}"): ${problem}`);
  const { field, equals } = match as EventMatch;
  return { field, equals };
}

/** The correlation key a match waits on. */
export function correlationKey(match: EventMatch): string {
  return String(match.equals);
}

/** The value at `field` in an event whose data is `data`. */
export function readField(data: unknown, field: string): unknown {
  let value: unknown = { data };
  for (const part of field.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Whether an event with this data matches. */
export function matchesData(data: unknown, match: EventMatch): boolean {
  return readField(data, match.field) === match.equals;
}

/** Whether an event whose data is the JSON text `payload` matches (unreadable text never does). */
export function matchesPayload(payload: string | undefined, match: EventMatch): boolean {
  if (payload === undefined) return false;
  try {
    return matchesData(JSON.parse(payload), match);
  } catch {
    return false;
  }
}
