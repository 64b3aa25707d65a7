/**
 * Step results and workflow outputs cross the journal as JSON text. The value a
 * step returns to the workflow is always the JSON round trip, so the first run and
 * every replay see the same thing.
 */
import { StepResultError } from "./errors.js";

/** Largest JSON text (UTF-8 bytes) a step may return. */
export const MAX_RESULT_BYTES = 1024 * 1024;

const encoder = new TextEncoder();

function strict(this: unknown, key: string, value: unknown): unknown {
  const type = typeof value;
  if (type === "function" || type === "symbol") {
    throw new TypeError(`a ${type} at ${key === "" ? "the top level" : `key "${key}"`}`);
  }
  return value;
}

/** JSON text of `value` (absent for `undefined`), or a `StepResultError` saying what is wrong. */
export function serializeResult(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(value, strict);
  } catch (error) {
    throw new StepResultError(
      "STEP_RESULT_INVALID",
      `${what} returned a value that is not JSON-serialisable (${(error as Error).message}); return plain objects, arrays, strings, numbers, booleans or null`,
    );
  }
  if (text === undefined) {
    throw new StepResultError("STEP_RESULT_INVALID", `${what} returned a value that is not JSON-serialisable`);
  }
  // A UTF-8 character takes at most 3 bytes per UTF-16 unit: count bytes only when it could matter.
  if (text.length * 3 > MAX_RESULT_BYTES) {
    const bytes = encoder.encode(text).byteLength;
    if (bytes > MAX_RESULT_BYTES) {
      throw new StepResultError(
        "STEP_RESULT_TOO_LARGE",
        `${what} returned ${bytes} bytes of JSON; the limit is ${MAX_RESULT_BYTES} bytes (1 MiB). Keep large data elsewhere (R2, KV) and return a reference to it`,
      );
    }
  }
  return text;
}

export function parseResult(text: string | undefined): unknown {
  return text === undefined ? undefined : JSON.parse(text);
}
