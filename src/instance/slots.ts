/**
 * Concurrency slots: which gate an instance queues at, asking it for a slot, and
 * giving the slot back. Each answer comes back as a lifecycle cause; nothing here
 * decides what the instance does next.
 */
import { parseResult, type Cause } from "../engine/index.js";
import type { Env } from "../env.js";
import type { ConcurrencyGate } from "../flow/gate.js";
import type { WorkflowDefinition } from "../workflow.js";
import type { InstanceRow } from "./view.js";

const MAX_KEY_LENGTH = 256;

/** The gate an instance of `definition` queues at: one per workflow, or per key of its input. */
export function gateName(definition: WorkflowDefinition, row: InstanceRow): { ok: true; gate: string } | { ok: false; message: string } {
  let key: unknown;
  try {
    key = definition.concurrency?.key?.(row.input === null ? undefined : parseResult(row.input));
  } catch (error) {
    return { ok: false, message: `workflow "${definition.name}": concurrency.key() threw: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (key === undefined) return { ok: true, gate: definition.name };
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    return {
      ok: false,
      message: `workflow "${definition.name}": concurrency.key() must return a string of 1 to ${MAX_KEY_LENGTH} characters (or undefined for one limit for the whole workflow), got ${typeof key === "string" ? `a string of ${key.length} characters` : typeof key}`,
    };
  }
  return { ok: true, gate: `${definition.name}:${key}` };
}

/** How the object reaches a gate by name. */
export type GateLookup = (name: string) => DurableObjectStub<ConcurrencyGate>;

export function gateStub(env: Env, name: string): DurableObjectStub<ConcurrencyGate> {
  return env.CONCURRENCY_GATE.get(env.CONCURRENCY_GATE.idFromName(name));
}

/** Asks the gate for a slot; the answer as a cause. */
export async function requestSlot(gates: GateLookup, definition: WorkflowDefinition, row: InstanceRow): Promise<Cause> {
  const name = gateName(definition, row);
  if (!name.ok) return { kind: "slotKeyInvalid", message: name.message };
  try {
    const acquired = await gates(name.gate).acquire(row.id, definition.concurrency!.limit);
    return acquired.granted ? { kind: "slotGranted", gate: name.gate } : { kind: "slotRefused" };
  } catch (error) {
    return { kind: "gateUnreachable", message: String(error) };
  }
}

/** Gives a slot back; the answer as a cause. */
export async function releaseSlot(gates: GateLookup, gate: string, instanceId: string): Promise<Cause> {
  try {
    await gates(gate).release(instanceId);
    return { kind: "slotReleased" };
  } catch (error) {
    console.warn(`instance ${instanceId}: could not release its slot at gate ${gate}, retrying: ${String(error)}`);
    return { kind: "releaseFailed" };
  }
}
