/**
 * A bulk job's action on one instance, and what became of it. Each action is sent
 * so that sending it again changes nothing: lifecycle actions carry the job's id as
 * a request id (the instance applies one id once, requests.ts), an event carries
 * the job's event id (the inbox accepts an id once), and a delete of an instance
 * already gone is taken as done when an earlier try may have done it. So a crash
 * between the action and the job's record of it cannot do it twice.
 */
import type { Env } from "../env.js";
import type { LifecycleResult } from "../instance/rpc.js";
import type { BulkAction } from "./types.js";

/** What one try came to: a final state, or `retry` (the instance could not be reached or answered "try again"). */
export type Outcome = { state: "done" | "skipped" | "failed"; reason?: string } | { state: "retry"; reason: string };

/**
 * Applies `action` to instance `id` on behalf of job `jobId`. `tries`: how many
 * times it was sent before this one (a crash may have cut off the answer).
 */
export async function act(env: Env, jobId: string, id: string, action: BulkAction, tries: number): Promise<Outcome> {
  const instance = env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(id));
  const requestId = `bulk:${jobId}`;
  try {
    switch (action.kind) {
      case "terminate":
        return lifecycle(action.kind, await instance.terminate({ requestId, ...(action.rollback && { rollback: true }) }));
      case "restart":
        return lifecycle(action.kind, await instance.restart({ requestId, ...(action.fromStep && { fromStep: action.fromStep }) }));
      case "pause":
        return lifecycle(action.kind, await instance.pause({ requestId }));
      case "resume":
        return lifecycle(action.kind, await instance.resume({ requestId }));
      case "delete": {
        const result = await instance.delete();
        if (result.ok) return { state: "done" };
        if (result.code === "INDEX_UNAVAILABLE") return { state: "retry", reason: result.message };
        return tries > 0 ? { state: "done", reason: "deleted by an earlier try whose answer was lost" } : { state: "skipped", reason: "not found (deleted since the search)" };
      }
      case "event": {
        const result = await instance.sendEvent({ type: action.type, id: action.id ?? requestId, ...(action.payload !== undefined && { payload: action.payload }) });
        if (result.ok) return result.duplicate ? { state: "done", reason: "already accepted (an earlier try, or the same event id)" } : { state: "done" };
        if (result.code === "INSTANCE_FINISHED") return { state: "skipped", reason: `already ${result.status}` };
        return { state: "skipped", reason: "not found (deleted since the search)" };
      }
    }
  } catch (error) {
    return { state: "retry", reason: `the instance could not be reached: ${String(error).slice(0, 300)}` };
  }
}

function lifecycle(action: Exclude<BulkAction["kind"], "delete" | "event">, result: LifecycleResult): Outcome {
  if (result.ok) return result.duplicate ? { state: "done", reason: "already applied (an earlier try whose answer was lost)" } : { state: "done" };
  switch (result.code) {
    case "INSTANCE_NOT_FOUND":
      return { state: "skipped", reason: "not found (deleted since the search)" };
    case "STEP_NOT_FOUND":
      return { state: "skipped", reason: `no step "${result.step.name}" #${result.step.count} in its journal` };
    case "INVALID_TRANSITION":
      return { state: "skipped", reason: refusal(action, result.status) };
  }
}

/** Why an action does not apply to an instance in this status, as the progress report says it. */
function refusal(action: "terminate" | "restart" | "pause" | "resume", status: string): string {
  if (action === "terminate") return `already ${status}`;
  if (action === "pause" && status === "paused") return "already paused";
  if (action === "resume") return `not paused (${status})`;
  return `cannot ${action} a ${status} instance`;
}
