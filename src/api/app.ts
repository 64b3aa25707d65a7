/**
 * The Worker's HTTP surface: the API under `/api` (routing, auth, validation, error
 * mapping), its OpenAPI description at `/openapi.json` and reference at `/docs`,
 * the webhook door, and the dashboard for browsers at `/`. Instances are reached by
 * RPC on their Durable Object; nothing unchecked gets that far.
 */
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { dashboardRoutes } from "../dashboard/routes.js";
import { hookRoutes } from "../hooks/route.js";
import type { WorkflowRegistry } from "../workflow.js";
import { requireToken } from "./auth.js";
import { docsRoutes } from "./docs.js";
import { instanceRoutes } from "./instances.js";
import { forkRoutes } from "./fork.js";
import { journalRoutes } from "./journal.js";
import { resolveRoutes } from "./resolve.js";
import { newApi, serveDocument } from "./openapi.js";
import { ApiError, problem } from "./problem.js";
import { scheduleRoutes } from "./schedules.js";
import { searchRoutes } from "./search.js";
import { workflowRoutes } from "./workflows.js";

/** Largest request body the API reads (bytes), chunked bodies included. */
export const MAX_BODY_BYTES = 1024 * 1024;

export function createApp(workflows: WorkflowRegistry) {
  const app = newApi();

  app.use("/api/*", requireToken());
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, "BODY_TOO_LARGE", "Body too large", `the request body is over the limit of ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );

  workflowRoutes(app, workflows);
  app.route("/", hookRoutes());
  searchRoutes(app);
  instanceRoutes(app);
  journalRoutes(app);
  forkRoutes(app, workflows);
  resolveRoutes(app);
  scheduleRoutes(app, workflows);
  serveDocument(app);
  docsRoutes(app);
  // The dashboard is a client of this same app: it calls the API in-process, so it can do nothing the API would refuse.
  app.route("/", dashboardRoutes(workflows, (request, env, ctx) => app.fetch(request, env, ctx)));

  app.notFound((c) => problem(c, new ApiError(404, "ROUTE_NOT_FOUND", "Not found", `no route for ${c.req.method} ${safePath(c.req.url)}`)));

  app.onError((error, c) => {
    if (error instanceof ApiError) return problem(c, error);
    if (error instanceof HTTPException) {
      return problem(c, new ApiError(error.status as 400, "HTTP_ERROR", "Request refused", error.message || "the request was refused"));
    }
    console.error(`${c.req.method} ${safePath(c.req.url)} failed:`, error);
    return problem(c, new ApiError(500, "INTERNAL", "Internal error", "Cairn failed to handle the request; the error was logged"));
  });

  return app;
}

/** The path of a request, with any webhook token left out: tokens never reach logs or error bodies. */
function safePath(url: string): string {
  const path = new URL(url).pathname;
  return path.startsWith("/hooks/") ? "/hooks/<token>" : path.slice(0, 200);
}
