/**
 * The flow controls a workflow declares next to `concurrency` (throttle, rateLimit,
 * debounce, priority): checking them once at definition time, and reading the key
 * an input falls under. Each control is enforced by Durable Objects named by
 * workflow and key (`objectName`), so no one object serves every key.
 *
 * Pure: imported by `defineWorkflow`, so nothing here touches `cloudflare:*`.
 */
import { parseResult } from "../engine/serialize.js";
import { toMs } from "../engine/durations.js";
import type { WorkflowDefinition } from "../engine/types.js";

export const MAX_FLOW_KEY_LENGTH = 256;
/** Priorities are seconds of head start, clamped to this many either way (the bound on waiting behind later arrivals is twice it). */
export const MAX_PRIORITY_SECONDS = 600;

export type FlowControl = "concurrency" | "throttle" | "rateLimit" | "debounce";

export type FlowKeyResult = { ok: true; key: string | undefined } | { ok: false; message: string };

/** The key `input` falls under for `control` (undefined: one for the whole workflow), or why the key function failed. */
export function flowKey(definition: WorkflowDefinition, control: FlowControl, input: unknown): FlowKeyResult {
  let key: unknown;
  try {
    key = definition[control]?.key?.(input);
  } catch (error) {
    return { ok: false, message: `workflow "${definition.name}": ${control}.key() threw: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (key === undefined) return { ok: true, key: undefined };
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_FLOW_KEY_LENGTH) {
    return {
      ok: false,
      message: `workflow "${definition.name}": ${control}.key() must return a string of 1 to ${MAX_FLOW_KEY_LENGTH} characters (or undefined for one limit for the whole workflow), got ${typeof key === "string" ? `a string of ${key.length} characters` : typeof key}`,
    };
  }
  return { ok: true, key };
}

/**
 * The name of the Durable Object that enforces `control` for `key`. Concurrency gates
 * keep their historical names (`<workflow>` or `<workflow>:<key>`); the others are
 * prefixed by the control so that their objects never meet a gate's.
 */
export function objectName(control: FlowControl, workflow: string, key: string | undefined): string {
  const base = key === undefined ? workflow : `${workflow}:${key}`;
  return control === "concurrency" ? base : `${control}/${base}`;
}

/** The input as the key functions see it (a child's input may hold types JSON cannot: read as the engine reads it). */
export function parsedInput(input: string | null | undefined): unknown {
  return input === null || input === undefined ? undefined : parseResult(input);
}

/** A waiter's priority in seconds of head start: finite, clamped; 0 when the function throws. */
export function priorityOf(definition: WorkflowDefinition, input: unknown): number {
  let value: unknown;
  try {
    value = definition.concurrency?.priority?.(input);
  } catch {
    return 0;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) return 0;
  return Math.max(-MAX_PRIORITY_SECONDS, Math.min(MAX_PRIORITY_SECONDS, value));
}

/** Checks the declared controls; throws naming the workflow and the option at fault. */
export function checkFlowControls(definition: WorkflowDefinition): void {
  const fault = (what: string) => new Error(`workflow "${definition.name}": ${what}`);
  const positive = (value: unknown, what: string) => {
    if (!Number.isInteger(value) || (value as number) < 1) throw fault(`${what} must be a whole number of at least 1`);
  };
  const duration = (value: unknown, what: string): number => {
    const ms = toMs(value as string, `${definition.name}: ${what}`);
    if (ms < 1) throw fault(`${what} must be longer than zero`);
    return ms;
  };
  const keyFn = (value: unknown, what: string) => {
    if (value !== undefined && typeof value !== "function") throw fault(`${what} must be a function of the input`);
  };
  const { concurrency, throttle, rateLimit, debounce } = definition;
  if (concurrency) {
    positive(concurrency.limit, "concurrency.limit");
    keyFn(concurrency.key, "concurrency.key");
    keyFn(concurrency.priority, "concurrency.priority");
  }
  for (const [name, control] of [["throttle", throttle], ["rateLimit", rateLimit]] as const) {
    if (!control) continue;
    positive(control.limit, `${name}.limit`);
    duration(control.period, `${name}.period`);
    keyFn(control.key, `${name}.key`);
  }
  if (debounce) {
    const period = duration(debounce.period, "debounce.period");
    if (debounce.maxWait !== undefined && duration(debounce.maxWait, "debounce.maxWait") < period) {
      throw fault("debounce.maxWait must be at least debounce.period");
    }
    keyFn(debounce.key, "debounce.key");
  }
}
