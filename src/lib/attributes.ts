/**
 * Search attributes: what people know an instance by (an order id, a customer),
 * as string pairs the index can filter on (`GET /api/instances?attr=orderId:A-1`).
 * A workflow declares some from its input (`searchAttributes`), and sets more while
 * it runs (`step.setAttributes`). The rules for keys and values live here, for the
 * engine, the instance and the API alike.
 *
 * Pure: the engine imports it.
 */
import { MAX_ATTRIBUTES, MAX_ATTRIBUTE_VALUE_LENGTH, MAX_TAG_KEY_LENGTH } from "./bounds.js";

export const ATTRIBUTE_KEY_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_TAG_KEY_LENGTH - 1}}$`);
export const ATTRIBUTE_KEY_RULE = `1 to ${MAX_TAG_KEY_LENGTH} letters, digits, ".", "_" or "-", starting with a letter or digit`;

export type Attributes = Record<string, string>;

/** What a value may be given as; numbers and booleans are kept as their text. */
export type AttributeValue = string | number | boolean;

/**
 * The attributes as the index keeps them (every value a string), or what is wrong
 * with them. `null` and `undefined` values are left out.
 */
export function normalizeAttributes(value: unknown): { ok: true; attributes: Attributes } | { ok: false; problem: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, problem: "attributes are an object of key/value pairs" };
  const attributes: Attributes = {};
  for (const [key, raw] of Object.entries(value)) {
    if (raw === null || raw === undefined) continue;
    if (!ATTRIBUTE_KEY_PATTERN.test(key)) return { ok: false, problem: `attribute key ${JSON.stringify(key.slice(0, 80))} is not allowed: use ${ATTRIBUTE_KEY_RULE}` };
    if (typeof raw !== "string" && typeof raw !== "boolean" && !(typeof raw === "number" && Number.isFinite(raw))) {
      return { ok: false, problem: `attribute "${key}" is a ${typeof raw}: a value is a string, a finite number or a boolean` };
    }
    const text = String(raw);
    if (text.length > MAX_ATTRIBUTE_VALUE_LENGTH) return { ok: false, problem: `attribute "${key}" is ${text.length} characters long, more than ${MAX_ATTRIBUTE_VALUE_LENGTH}` };
    attributes[key] = text;
  }
  if (Object.keys(attributes).length > MAX_ATTRIBUTES) return { ok: false, problem: `at most ${MAX_ATTRIBUTES} attributes` };
  return { ok: true, attributes };
}

/**
 * `current` with `changes` laid over it. Past MAX_ATTRIBUTES keys, new keys are
 * left out (the ones kept are named in `dropped`).
 */
export function mergeAttributes(current: Attributes, changes: Attributes): { attributes: Attributes; dropped: string[] } {
  const attributes = { ...current };
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(changes)) {
    if (!Object.hasOwn(attributes, key) && Object.keys(attributes).length >= MAX_ATTRIBUTES) dropped.push(key);
    else attributes[key] = value;
  }
  return { attributes, dropped };
}

/**
 * The attributes a workflow declares from an instance's input. A declaration that
 * throws or gives something other than a string, number or boolean is left out
 * (named in `problems`): a start is never refused for one.
 */
export function declaredAttributes(
  declared: Readonly<Record<string, (input: any) => unknown>> | undefined,
  input: unknown,
): { attributes: Attributes; problems: string[] } {
  const attributes: Attributes = {};
  const problems: string[] = [];
  for (const [key, derive] of Object.entries(declared ?? {})) {
    let value: unknown;
    try {
      value = derive(input);
    } catch (error) {
      problems.push(`searchAttributes.${key} threw: ${String(error)}`);
      continue;
    }
    const checked = normalizeAttributes({ [key]: value });
    if (checked.ok) Object.assign(attributes, checked.attributes);
    else problems.push(checked.problem);
  }
  return { attributes, problems };
}
