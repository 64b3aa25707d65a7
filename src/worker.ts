/**
 * The Worker's handlers: HTTP through the Hono app, the index queue's consumer
 * (where the deployment binds one), and the cron trigger that keeps
 * the schedules declared in workflow code in existence and tells instances whose
 * workflow this deployment does not register.
 *
 * The app is built by the first request, not when the isolate starts: a Durable
 * Object waking in a fresh isolate (a sleeper due, an evicted instance) needs none of
 * its routes, and the API's schemas are built with them (src/lib/once.ts). The app's
 * modules are imported statically on purpose: a module reached by `import()` is
 * wrapped by the bundler, and so is everything it imports, engine and zod included,
 * which costs a fresh isolate more than it saves.
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
  let app: ReturnType<typeof createApp> | undefined;
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
      app ??= createApp(registry, providers);
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
