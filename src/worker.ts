/**
 * The Worker's handlers: HTTP through the Hono app, and the cron trigger that keeps
 * the schedules declared in workflow code in existence.
 */
import { createApp } from "./api/app.js";
import type { Env } from "./env.js";
import { ensureDeclaredSchedules } from "./flow/declared.js";
import type { Providers } from "./hooks/providers/provider.js";
import type { WorkflowRegistry } from "./workflow.js";

export function createWorker(registry: WorkflowRegistry, providers: Providers = {}) {
  const app = createApp(registry, providers);
  // Once per isolate, on its first request: declared schedules exist even where cron triggers do not run (local dev).
  let declared: Promise<void> | undefined;
  return {
    fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
      declared ??= ensureDeclaredSchedules(env, registry, new URL(request.url).origin).catch((error: unknown) => {
        declared = undefined;
        console.warn(`declared schedules not synced yet: ${String(error)}`);
      });
      ctx.waitUntil(declared);
      return app.fetch(request, env, ctx);
    },
    scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): void {
      ctx.waitUntil(ensureDeclaredSchedules(env, registry));
    },
  } satisfies ExportedHandler<Env>;
}
