/**
 * JSON from outside, read strictly. Every body Cairn accepts goes through
 * `readJsonText`, so that whatever it stores can be read back and serialised again:
 *
 * - nesting at most `MAX_JSON_DEPTH` deep (checked on the text, iteratively, before
 *   parsing: a deep value would later overflow the stack of whoever serialises it);
 * - every number exact: no literal that overflows to Infinity (`1e400`), no integer
 *   literal beyond ±2^53 - 1 (a 23-digit id would silently become another number);
 * - no `__proto__` key, which many JavaScript consumers mistake for the prototype.
 *
 * A refusal is a `JsonError` with a stable `code`; the API maps it to a 422 (400 for
 * syntax). `jsonTextDepth` and `jsonValueTooDeep` are for anyone else who journals
 * JSON (step results).
 */
import { MAX_JSON_DEPTH } from "./bounds.js";

export type JsonErrorCode = "MALFORMED_JSON" | "JSON_TOO_DEEP" | "JSON_NUMBER_UNSAFE" | "JSON_KEY_FORBIDDEN";

export class JsonError extends Error {
  constructor(
    readonly code: JsonErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "JsonError";
  }
}

/** Keys refused anywhere in a body. */
const FORBIDDEN_KEYS = new Set(["__proto__"]);

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * How deeply the arrays and objects of a JSON text nest, counting stops once it
 * passes `stopAbove` (so the answer is then `stopAbove + 1`). One pass, no recursion;
 * the text need not be valid JSON.
 */
export function jsonTextDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return deepest;
}

/**
 * Whether a value nests arrays and objects more than `max` deep, as its JSON would.
 * Iterative; an object met again (shared or cyclic) is walked again only when met
 * deeper than before, so the walk ends after at most `max` visits of each object.
 */
export function jsonValueTooDeep(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const deepestSeen = new Map<object, number>();
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    if (depth > max) return true;
    if ((deepestSeen.get(node) ?? 0) >= depth) continue;
    deepestSeen.set(node, depth);
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

const INTEGER_LITERAL = /^-?\d+$/;

function exact(this: unknown, key: string, value: unknown, context?: { source?: string }): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new JsonError("JSON_KEY_FORBIDDEN", `the key "${key}" is not accepted anywhere in a body`);
  if (typeof value === "number") {
    const source = context?.source ?? String(value);
    if (!Number.isFinite(value)) {
      throw new JsonError("JSON_NUMBER_UNSAFE", `the number ${source.slice(0, 40)} is too large to represent; send it as a string`);
    }
    if (INTEGER_LITERAL.test(source) && !Number.isSafeInteger(value)) {
      throw new JsonError(
        "JSON_NUMBER_UNSAFE",
        `the integer ${source.slice(0, 40)} is beyond ±${Number.MAX_SAFE_INTEGER} and would change on reading; send it as a string`,
      );
    }
  }
  return value;
}

/** Parses JSON text under the rules above, or throws a `JsonError`. */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  const depth = jsonTextDepth(text, maxDepth);
  if (depth > maxDepth) {
    throw new JsonError("JSON_TOO_DEEP", `arrays and objects nest more than ${maxDepth} levels deep; flatten the data`);
  }
  try {
    return JSON.parse(text, exact as (key: string, value: unknown) => unknown);
  } catch (error) {
    if (error instanceof JsonError) throw error;
    throw new JsonError("MALFORMED_JSON", `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8 (never a silent U+FFFD). */
export function decodeUtf8(bytes: ArrayBuffer | Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}
