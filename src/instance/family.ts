/**
 * Parents and children: starting a child instance for `step.child`, telling a
 * parent that its child finished (an event in the parent's inbox, so it is durable
 * and counted once), and terminating a parent's running children with it.
 */
import { CHILD_EVENT_PREFIX, type ChildFinished, type ChildStart } from "../engine/index.js";
import type { Env } from "../env.js";
import type { WorkflowRegistry } from "../workflow.js";
import type { InstanceRow } from "./view.js";

const stub = (env: Env, id: string) => env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(id));

/** Creates the child instance (idempotent: the same id again finds the child already there). */
export async function startChild(env: Env, registry: WorkflowRegistry, parent: InstanceRow, child: ChildStart): Promise<void> {
  if (!Object.hasOwn(registry, child.workflow)) {
    throw Object.assign(new Error(`no workflow is registered as "${child.workflow}"`), { code: "CHILD_START_FAILED" });
  }
  const result = await stub(env, child.id).create({
    id: child.id,
    workflow: child.workflow,
    tags: {},
    parentId: parent.id,
    ...(child.input !== undefined && { input: child.input }),
    ...(parent.origin !== null && { origin: parent.origin }),
  });
  if (!result.ok) {
    throw Object.assign(new Error(`instance id "${child.id}" is taken by workflow "${result.workflow}"; give the child another id`), {
      code: "CHILD_START_FAILED",
    });
  }
}

/** Sends the parent the child's outcome; a parent that is gone or finished no longer needs it. */
export async function notifyParent(env: Env, child: InstanceRow): Promise<void> {
  const finished: ChildFinished = {
    status: child.status as ChildFinished["status"],
    ...(child.output !== null && { output: child.output }),
    ...(child.error !== null && { error: JSON.parse(child.error) }),
  };
  await stub(env, child.parent_id!).sendEvent({
    type: `${CHILD_EVENT_PREFIX}${child.id}`,
    // One event per run of the child: a restarted child that finishes again tells again.
    id: `child-finished:${child.id}:${child.completed_at}`,
    payload: JSON.stringify(finished),
  });
}

/** Terminates each child; one that already finished answers 409, which is fine. */
export async function terminateChildren(env: Env, ids: string[]): Promise<void> {
  await Promise.all(
    ids.map((id) =>
      stub(env, id)
        .terminate()
        .catch((error: unknown) => console.warn(`could not terminate child ${id}: ${String(error)}`)),
    ),
  );
}
