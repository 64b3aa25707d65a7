/**
 * A journaled value as readable JSON, for the API and the dashboard. Plain JSON
 * shows as it is; every value JSON cannot hold shows as an object naming its type:
 *
 * | value | shown as |
 * |---|---|
 * | `new Date(0)` | `{"$type":"Date","value":"1970-01-01T00:00:00.000Z"}` |
 * | `new Map([["a", 1]])` | `{"$type":"Map","value":[["a",1]]}` |
 * | `new Set([1])` | `{"$type":"Set","value":[1]}` |
 * | `10n` | `{"$type":"BigInt","value":"10"}` |
 * | `/a+/g` | `{"$type":"RegExp","value":"/a+/g"}` |
 * | `new Uint8Array([1, 2])`, `ArrayBuffer`, `DataView` | `{"$type":"Uint8Array","base64":"AQI="}` |
 * | `new Float64Array([1.5])` (other typed arrays) | `{"$type":"Float64Array","value":[1.5]}` |
 * | `undefined` in an object or array | `{"$type":"undefined"}` |
 * | `NaN`, `Infinity`, `-Infinity`, `-0` | `{"$type":"number","value":"NaN"}` |
 * | `new URL("https://x.test/")` | `{"$type":"URL","value":"https://x.test/"}` |
 * | `new TypeError("no")` | `{"$type":"Error","value":{"name":"TypeError","message":"no"}}` (and `code`, when it has one) |
 * | an object met again inside itself | `{"$type":"Circular"}` |
 * | a step's `ReadableStream` | `{"$type":"ReadableStream","bytes":52428800}` |
 *
 * The display is for reading: the journal export carries the texts themselves.
 */
import { parseResult, streamInfo } from "./serialize.js";

export function displayValue(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  const stream = streamInfo(parsed);
  if (stream) return { $type: "ReadableStream", bytes: stream.bytes };
  // Plain JSON (every text that is not devalue's) is its own display.
  if (!text.startsWith('{"$devalue":')) return parsed;
  return toDisplay(parseResult(text), new Set());
}

const BYTE_VIEWS = new Set(["Uint8Array", "Int8Array", "Uint8ClampedArray", "DataView"]);

function toDisplay(value: unknown, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case "undefined":
      return { $type: "undefined" };
    case "bigint":
      return { $type: "BigInt", value: value.toString() };
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0) ? value : { $type: "number", value: Object.is(value, -0) ? "-0" : String(value) };
    case "object":
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (ancestors.has(value)) return { $type: "Circular" };
  ancestors.add(value);
  try {
    return objectDisplay(value, ancestors);
  } finally {
    ancestors.delete(value);
  }
}

function objectDisplay(value: object, ancestors: Set<object>): unknown {
  const inner = (v: unknown) => toDisplay(v, ancestors);
  if (Array.isArray(value)) return Array.from(value, inner);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, inner(v)]));
  }
  if (value instanceof Date) return { $type: "Date", value: Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString() };
  if (value instanceof Map) return { $type: "Map", value: Array.from(value, ([k, v]) => [inner(k), inner(v)]) };
  if (value instanceof Set) return { $type: "Set", value: Array.from(value, inner) };
  if (value instanceof RegExp) return { $type: "RegExp", value: String(value) };
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { $type: "Error", value: { name: value.name, message: value.message, ...(typeof code === "string" && { code }) } };
  }
  if (value instanceof ArrayBuffer) return { $type: "ArrayBuffer", base64: base64(new Uint8Array(value)) };
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  if (ArrayBuffer.isView(value)) {
    if (BYTE_VIEWS.has(tag)) return { $type: tag, base64: base64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
    return { $type: tag, value: Array.from(value as unknown as ArrayLike<number | bigint>, (n) => (typeof n === "bigint" ? n.toString() : inner(n))) };
  }
  if (typeof (value as { valueOf?: unknown }).valueOf === "function" && ["Number", "String", "Boolean", "BigInt"].includes(tag)) {
    return { $type: tag, value: inner((value as { valueOf(): unknown }).valueOf()) };
  }
  // URL, URLSearchParams, Temporal values: their string form says it all.
  return { $type: tag, value: String(value) };
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
