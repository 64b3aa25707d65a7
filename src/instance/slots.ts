/**
 * Admission of an instance whose workflow declares a concurrency limit or a
 * throttle: which gate and which throttle it queues at, asking them, and giving
 * the slot back. Each answer comes back as a lifecycle cause; nothing here
 * decides what the instance does next.
 *
 * With both, the instance takes its concurrency slot first and then waits for its
 * throttle permit holding it, so that no permit is spent on an instance that could
 * not run. The slot the instance keeps (`slot` in its row) is the concurrency
 * gate's name, or with a throttle alone the throttle's, which needs no release.
 */
import type { Cause } from "../engine/index.js";
import type { Env } from "../env.js";
import { flowKey, objectName, parsedInput, priorityOf } from "../flow/controls.js";
import type { ConcurrencyGate } from "../flow/gate.js";
import type { ThrottleGate } from "../flow/throttle.js";
import { toMs } from "../engine/durations.js";
import type { WorkflowDefinition } from "../workflow.js";
import type { InstanceRow } from "./view.js";

/** How the object reaches gates and throttles by name. */
export interface Gates {
  concurrency(name: string): DurableObjectStub<ConcurrencyGate>;
  throttle(name: string): DurableObjectStub<ThrottleGate>;
}

export function flowGates(env: Env): Gates {
  return {
    concurrency: (name) => env.CONCURRENCY_GATE.get(env.CONCURRENCY_GATE.idFromName(name)),
    throttle: (name) => env.THROTTLE.get(env.THROTTLE.idFromName(name)),
  };
}

type Named = { ok: true; gate: string } | { ok: false; message: string };

/** The gate an instance of `definition` queues at for `control`: one per workflow, or per key of its input. */
export function gateName(definition: WorkflowDefinition, row: InstanceRow, control: "concurrency" | "throttle" = "concurrency"): Named {
  const key = flowKey(definition, control, parsedInput(row.input));
  return key.ok ? { ok: true, gate: objectName(control, definition.name, key.key) } : key;
}

const isThrottle = (gate: string) => gate.startsWith("throttle/");

/** Asks for admission (a slot, then a permit); the answer as a cause. */
export async function requestSlot(gates: Gates, definition: WorkflowDefinition, row: InstanceRow): Promise<Cause> {
  const { concurrency, throttle } = definition;
  const slot = concurrency ? gateName(definition, row) : undefined;
  if (slot && !slot.ok) return { kind: "slotKeyInvalid", code: "CONCURRENCY_KEY_INVALID", message: slot.message };
  const permit = throttle ? gateName(definition, row, "throttle") : undefined;
  if (permit && !permit.ok) return { kind: "slotKeyInvalid", code: "THROTTLE_KEY_INVALID", message: permit.message };
  try {
    if (slot?.ok) {
      const acquired = await gates.concurrency(slot.gate).acquire(row.id, concurrency!.limit, priorityOf(definition, parsedInput(row.input)));
      if (!acquired.granted) return { kind: "slotRefused", wait: "slot" };
    }
    if (permit?.ok) {
      const given = await gates.throttle(permit.gate).permit(row.id, throttle!.limit, toMs(throttle!.period));
      if (!given.granted) return { kind: "slotRefused", wait: "throttle", retryAt: given.retryAt };
    }
    return { kind: "slotGranted", gate: slot?.ok ? slot.gate : (permit as { gate: string }).gate };
  } catch (error) {
    return { kind: "gateUnreachable", message: String(error) };
  }
}

/** Gives a slot back (a throttle's permit is spent, nothing to give); the answer as a cause. */
export async function releaseSlot(gates: Gates, gate: string, instanceId: string): Promise<Cause> {
  if (isThrottle(gate)) return { kind: "slotReleased" };
  try {
    await gates.concurrency(gate).release(instanceId);
    return { kind: "slotReleased" };
  } catch (error) {
    console.warn(`instance ${instanceId}: could not release its slot at gate ${gate}, retrying: ${String(error)}`);
    return { kind: "releaseFailed" };
  }
}
