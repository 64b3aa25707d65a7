/**
 * The Worker's handlers: HTTP through the Hono app, the index queue's consumer
 * (where the deployment binds one), and the cron trigger that keeps
 * the schedules declared in workflow code in existence and tells instances whose
 * workflow this deployment does not register.
 */
import { createApp } from "./api/app.js";
import type { Env } from "./env.js";
import { ensureDeclaredSchedules } from "./flow/declared.js";
import { sweepUnregistered } from "./flow/deployment.js";
import type { Providers } from "./hooks/providers/provider.js";
import { indexDb } from "./index-db/queries.js";
import { consumeIndexBatch, type IndexMessage } from "./index-db/queue.js";
import type { WorkflowRegistry } from "./workflow.js";

export function createWorker(registry: WorkflowRegistry, providers: Providers = {}) {
  const app = createApp(registry, providers);
  // Once per isolate, on its first request: declared schedules exist even where cron triggers do not run (local dev).
  let declared: Promise<void> | undefined;
  return {
    fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
      declared ??= Promise.all([ensureDeclaredSchedules(env, registry, new URL(request.url).origin), sweepUnregistered(env, registry)]).then(
        () => undefined,
        (error: unknown) => {
          declared = undefined;
          console.warn(`declared schedules or unregistered workflows not checked yet: ${String(error)}`);
        },
      );
      ctx.waitUntil(declared);
      return app.fetch(request, env, ctx);
    },
    /** The index queue's consumer, where the deployment has one (src/index-db/queue.ts). */
    async queue(batch: MessageBatch<IndexMessage>, env: Env): Promise<void> {
      await consumeIndexBatch(batch, {
        db: indexDb(env.DB),
        acknowledge: (row) => env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(row.id)).indexed(row.createdAt, row.version),
      });
    },
    scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): void {
      ctx.waitUntil(ensureDeclaredSchedules(env, registry));
      ctx.waitUntil(sweepUnregistered(env, registry).catch((error: unknown) => console.warn(`unregistered workflows not checked: ${String(error)}`)));
    },
  } satisfies ExportedHandler<Env, IndexMessage>;
}
