/**
 * After a deploy that no longer registers a workflow, its open instances are told
 * (on the Worker's cron trigger and on the first request an isolate serves, as
 * `wrangler dev` runs no cron): each then shows, in its view and in the index, that
 * it waits for a deployment that registers its workflow, and looks again by itself.
 * An instance read or woken before the sweep reaches it finds out on its own.
 */
import type { Env } from "../env.js";
import { indexDb, strandedInstances } from "../index-db/queries.js";
import type { WorkflowRegistry } from "../workflow.js";

/** Instances told per sweep, a few at a time: the rest are told by the next sweep. */
const SWEEP_LIMIT = 100;
const SWEEP_CONCURRENCY = 10;

export async function sweepUnregistered(env: Env, registry: WorkflowRegistry): Promise<number> {
  const ids = await strandedInstances(indexDb(env.DB), Object.keys(registry), SWEEP_LIMIT);
  for (let i = 0; i < ids.length; i += SWEEP_CONCURRENCY) {
    await Promise.all(
      ids.slice(i, i + SWEEP_CONCURRENCY).map((id) =>
        env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(id))
          .checkDeployment()
          .catch((error: unknown) => console.warn(`instance ${id}: could not check its deployment: ${String(error)}`)),
      ),
    );
  }
  return ids.length;
}
