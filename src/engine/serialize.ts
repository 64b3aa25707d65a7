/**
 * Step results, workflow outputs and children's inputs cross the journal as text,
 * and keep the types Cloudflare Workflows' structured clone keeps. The value a step
 * returns to the workflow is always what its text decodes to, so the first run and
 * every replay see the same thing.
 *
 * A text is JSON in one of three shapes, told apart by the text alone:
 *
 * - plain JSON, for a value JSON carries exactly: objects, arrays, strings, finite
 *   numbers, booleans and null, with no object met twice. Most results; every
 *   journal written before the other shapes existed holds only these.
 * - `{"$devalue":[…]}`: devalue's flattened form, for a value with anything else
 *   (Date, Map, Set, BigInt, RegExp, typed arrays, ArrayBuffer, URL, `undefined`
 *   inside objects and arrays, NaN, ±Infinity, -0, shared and cyclic references, and
 *   errors, kept as structured clone keeps them: their name and message, plus a
 *   string `code`).
 * - `{"$stream":{"bytes":n,"parts":p}}`: a `ReadableStream` a step returned, whose
 *   bytes the journal store keeps apart (streams.ts).
 *
 * Plain JSON shaped like the other two (an object whose one key is `$devalue` or
 * `$stream`) is written as devalue, so a new text is never ambiguous; an old one
 * whose `$devalue` is not devalue's form reads as the JSON it is.
 *
 * Being JSON, every text goes through the journal export, import and fork as is.
 * `displayValue` turns a text into readable JSON for the API and the dashboard.
 */
import { DevalueError, stringify, unflatten } from "devalue";
import { MAX_JSON_DEPTH, MAX_STEP_RESULT_BYTES } from "../lib/bounds.js";
import { StepResultError } from "./errors.js";

/** Largest text (UTF-8 bytes) a step may return. */
export const MAX_RESULT_BYTES = MAX_STEP_RESULT_BYTES;

export const DEVALUE_KEY = "$devalue";
export const STREAM_KEY = "$stream";
const DEVALUE_PREFIX = `{"${DEVALUE_KEY}":`;
const STREAM_PREFIX = `{"${STREAM_KEY}":`;

/** Where a stream result's bytes are: their count, and how many parts the store holds. */
export interface StreamInfo {
  bytes: number;
  parts: number;
}

const encoder = new TextEncoder();

/** Errors, which devalue leaves to its caller: `["Error", [name, message, code?]]`. */
const REDUCERS = {
  Error: (value: unknown) => {
    if (!(value instanceof Error)) return false;
    const code = (value as { code?: unknown }).code;
    return typeof code === "string" ? [value.name, value.message, code] : [value.name, value.message];
  },
};
const REVIVERS = {
  Error: ([name, message, code]: [string, string, string?]) => {
    const error = new Error(message);
    error.name = name;
    if (code !== undefined) Object.assign(error, { code });
    return error;
  },
};

/**
 * The text of `value` (absent for `undefined`), or a `StepResultError` saying what
 * is wrong and where: `root` names the value in the message (`result.user.save`).
 */
export function serializeResult(value: unknown, what: string, root = "result"): string | undefined {
  if (value === undefined) return undefined;
  const shape = inspect(value);
  if (shape === "too deep") {
    throw new StepResultError(
      "STEP_RESULT_INVALID",
      `${what} returned a value whose arrays, objects, maps and sets nest more than ${MAX_JSON_DEPTH} levels deep; flatten it`,
    );
  }
  const text = shape === "plain" ? JSON.stringify(value) : `${DEVALUE_PREFIX}${devalueText(value, what, root)}}`;
  // A UTF-8 character takes at most 3 bytes per UTF-16 unit: count bytes only when it could matter.
  if (text.length * 3 > MAX_RESULT_BYTES) {
    const bytes = encoder.encode(text).byteLength;
    if (bytes > MAX_RESULT_BYTES) {
      throw new StepResultError(
        "STEP_RESULT_TOO_LARGE",
        `${what} returned ${bytes} bytes once serialised; the limit is ${MAX_RESULT_BYTES} bytes (1 MiB). Return a ReadableStream for large bytes, or keep large data elsewhere (R2, KV) and return a reference to it`,
      );
    }
  }
  return text;
}

/** The text of a stream result whose bytes the store keeps. */
export function streamResult(info: StreamInfo): string {
  return `${STREAM_PREFIX}${JSON.stringify({ bytes: info.bytes, parts: info.parts })}}`;
}

/**
 * The value a text stands for. A stream result becomes `openStream(info)`; without
 * `openStream` (where no store is at hand) it stays the JSON its text holds.
 */
export function parseResult(text: string | undefined, openStream?: (info: StreamInfo) => ReadableStream<Uint8Array>): unknown {
  if (text === undefined) return undefined;
  const parsed: unknown = JSON.parse(text);
  if (text.startsWith(DEVALUE_PREFIX)) return revive(parsed);
  if (openStream && text.startsWith(STREAM_PREFIX)) {
    const info = streamInfo(parsed);
    if (info) return openStream(info);
  }
  return parsed;
}

/** A parsed JSON value in devalue's shape, revived; anything else as it is. */
export function revive(parsed: unknown): unknown {
  if (!isWrapper(parsed, DEVALUE_KEY)) return parsed;
  try {
    return unflatten(parsed[DEVALUE_KEY] as number | unknown[], REVIVERS);
  } catch {
    // Plain JSON written before this shape existed that happens to look like it.
    return parsed;
  }
}

/** The stream a parsed text describes, if it is a stream result. */
export function streamInfo(parsed: unknown): StreamInfo | undefined {
  if (!isWrapper(parsed, STREAM_KEY)) return undefined;
  const info = parsed[STREAM_KEY] as Partial<StreamInfo> | null;
  if (!info || typeof info !== "object" || !Number.isSafeInteger(info.bytes) || !Number.isSafeInteger(info.parts)) return undefined;
  return { bytes: info.bytes!, parts: info.parts! };
}

function isWrapper(value: unknown, key: string): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  let keys = 0;
  for (const own in value) if (++keys > 1 || own !== key) return false;
  return keys === 1;
}

/**
 * One walk over the value: whether plain JSON carries it exactly, and whether its
 * containers nest more than MAX_JSON_DEPTH deep (a deeper value would overflow the
 * stack of whoever serialises it later). An object met again (shared or cyclic) is
 * walked once: devalue keeps such references as references.
 */
function inspect(root: unknown): "plain" | "devalue" | "too deep" {
  // Most results are a string, a number or a boolean: no walk.
  if (typeof root === "string" || typeof root === "boolean" || (typeof root === "number" && Number.isFinite(root) && !Object.is(root, -0))) return "plain";
  let plain = !isWrapper(root, DEVALUE_KEY) && !isWrapper(root, STREAM_KEY);
  const seen = new Set<object>();
  // Values still to look at, each followed by its depth (how many containers hold it).
  const stack: unknown[] = [root, 0];
  while (stack.length > 0) {
    const depth = stack.pop() as number;
    const node = stack.pop();
    switch (typeof node) {
      case "string":
      case "boolean":
        continue;
      case "number":
        if (!Number.isFinite(node) || Object.is(node, -0)) plain = false;
        continue;
      case "object":
        if (node === null) continue;
        break;
      default:
        // undefined, bigint; a function or symbol, which devalue refuses with its path.
        plain = false;
        continue;
    }
    if (seen.has(node)) {
      plain = false;
      continue;
    }
    seen.add(node);
    const inner = depth + 1;
    const proto: unknown = Object.getPrototypeOf(node);
    if (Array.isArray(node)) {
      if (inner > MAX_JSON_DEPTH) return "too deep";
      if (proto !== Array.prototype) plain = false;
      for (let i = node.length - 1; i >= 0; i--) {
        if (i in node) stack.push(node[i], inner);
        else plain = false;
      }
    } else if (proto === Object.prototype || proto === null) {
      if (inner > MAX_JSON_DEPTH) return "too deep";
      // Symbol keys: JSON would drop them silently; devalue refuses them, naming the path.
      if (proto === null || Object.getOwnPropertySymbols(node).length > 0) plain = false;
      const keys = Object.keys(node);
      for (let i = keys.length - 1; i >= 0; i--) stack.push((node as Record<string, unknown>)[keys[i]!], inner);
    } else {
      // A Map or Set holds values; anything else (a Date, a class instance) is one value to devalue.
      plain = false;
      if (node instanceof Map || node instanceof Set) {
        if (inner > MAX_JSON_DEPTH) return "too deep";
        for (const entry of node instanceof Map ? [...node].flat() : node) stack.push(entry, inner);
      }
    }
  }
  return plain ? "plain" : "devalue";
}

function devalueText(value: unknown, what: string, root: string): string {
  try {
    return stringify(value, REDUCERS);
  } catch (error) {
    if (!(error instanceof DevalueError)) throw error;
    throw new StepResultError(
      "STEP_RESULT_INVALID",
      `${what} returned ${describe(error.value)} at ${root}${error.path}, which cannot be kept: return data (objects, arrays, strings, numbers, booleans, null, Date, Map, Set, BigInt, RegExp, typed arrays, ArrayBuffer, URL, errors), not functions, symbols or class instances`,
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return "a symbol";
  if (value instanceof ReadableStream) return "a ReadableStream (only a step's whole result may be a stream)";
  if (value && typeof value === "object") {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
    if (Object.getOwnPropertySymbols(value).length > 0 && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
      return "an object with symbol keys";
    }
    return name ? `an instance of ${name} (its class and methods would be lost)` : "an object that is not plain data";
  }
  return `a ${typeof value}`;
}
