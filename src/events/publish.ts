/**
 * Publishing a named event, for `POST /api/events` and provider webhooks alike:
 * with a key, to the correlation object of (name, key), which sends it to the waits
 * and `cancelOn`s it matches or buffers it; then an instance of every workflow that
 * declares it as a trigger, under an id derived from the event id and the workflow.
 * The correlation object answers first: an event it refuses (its buffer is full)
 * starts nothing either.
 *
 * Repeating an event (same id) repeats nothing: the correlation object remembers
 * the id, and a triggered instance's id is already taken. Its answer says
 * `duplicate`.
 */
import { ApiError } from "../api/problem.js";
import { checkInput } from "../api/validate.js";
import type { Env } from "../env.js";
import type { WorkflowRegistry } from "../workflow.js";
import { correlationStub, triggeredInstanceId } from "./keys.js";

export interface NamedEvent {
  name: string;
  id: string;
  /** The correlation key: what waits match on (e.g. an order id). Without one the event only triggers. */
  key?: string;
  data?: unknown;
}

export interface Published {
  accepted: true;
  id: string;
  /** True when this event id was published before: nothing happened again. */
  duplicate: boolean;
  /** Instances of the workflows it triggers (`created` false when one was there already). */
  started: { workflow: string; id: string; created: boolean }[];
  /** Workflows it would trigger but could not start, and why. */
  refused: { workflow: string; code: string; message: string }[];
  /** Waits and `cancelOn`s it was sent to. */
  delivered: number;
  /** Kept for a wait not registered yet: no wait took it. */
  buffered: boolean;
}

export async function publishEvent(env: Env, registry: WorkflowRegistry, event: NamedEvent, origin: string): Promise<Published> {
  const data = event.data === undefined ? undefined : JSON.stringify(event.data);
  let correlated: { duplicate: boolean; delivered: number; buffered: boolean } | undefined;
  if (event.key !== undefined) {
    const result = await correlationStub(env, event.name, event.key).publish({ id: event.id, name: event.name, ...(data !== undefined && { data }) });
    if (!result.ok) {
      throw new ApiError(
        "EVENT_BUFFER_FULL",
        `the key "${event.key}" of "${event.name}" holds ${result.maxEvents} events (or ${result.maxBytes} bytes) that no wait took yet; nothing was stored: try again once the waits catch up`,
      );
    }
    correlated = result;
  }

  const started: Published["started"] = [];
  const refused: Published["refused"] = [];
  await Promise.all(
    Object.values(registry).map(async (workflow) => {
      const trigger = workflow.triggers?.find((t) => t.event === event.name && passes(t.filter, event.data, workflow.name));
      if (!trigger) return;
      try {
        if (workflow.input) await checkInput(workflow.input, event.data, workflow.name);
      } catch (error) {
        if (error instanceof ApiError) return void refused.push({ workflow: workflow.name, code: error.code, message: error.message });
        throw error;
      }
      const id = await triggeredInstanceId(workflow.name, event.id);
      const result = await env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(id)).create({
        id,
        workflow: workflow.name,
        tags: { event: event.name },
        origin,
        ...(data !== undefined && { input: data }),
      });
      if (result.ok) started.push({ workflow: workflow.name, id, created: result.created });
      else refused.push({ workflow: workflow.name, code: result.code, message: `the id "${id}" is taken by an instance of workflow "${result.workflow}"` });
    }),
  );
  started.sort((a, b) => a.workflow.localeCompare(b.workflow));

  const startedBefore = started.length > 0 && started.every((s) => !s.created);
  return {
    accepted: true,
    id: event.id,
    duplicate: correlated ? correlated.duplicate : startedBefore,
    started,
    refused,
    delivered: correlated?.delivered ?? 0,
    buffered: correlated?.buffered ?? false,
  };
}

/** A trigger's filter; one that throws does not start its workflow (and says why in the log). */
function passes(filter: ((data: never) => boolean) | undefined, data: unknown, workflow: string): boolean {
  if (!filter) return true;
  try {
    return filter(data as never) === true;
  } catch (error) {
    console.warn(`workflow "${workflow}": a trigger's filter threw, the event does not start it: ${String(error)}`);
    return false;
  }
}
