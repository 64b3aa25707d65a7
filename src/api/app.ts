/**
 * The Worker's HTTP surface: the API under `/api` (routing, auth, validation, error
 * mapping), its OpenAPI description at `/openapi.json` and reference at `/docs`,
 * the webhook door, and the dashboard for browsers at `/`. Instances are reached by
 * RPC on their Durable Object; nothing unchecked gets that far.
 */
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { secureHeaders } from "hono/secure-headers";
import { dashboardRoutes } from "../dashboard/routes.js";
import { eventRoutes } from "../events/route.js";
import type { Providers } from "../hooks/providers/provider.js";
import { providerRoutes } from "../hooks/providers/route.js";
import { hookRoutes } from "../hooks/route.js";
import { MAX_BODY_BYTES } from "../lib/bounds.js";
import type { WorkflowRegistry } from "../workflow.js";
import { requireToken } from "./auth.js";
import { bulkRoutes } from "./bulk.js";
import { docsRoutes } from "./docs.js";
import { instanceRoutes } from "./instances.js";
import { subscribeRoutes } from "./subscribe.js";
import { forkRoutes } from "./fork.js";
import { journalRoutes } from "./journal.js";
import { resolveRoutes } from "./resolve.js";
import { newApi, serveDocument } from "./openapi.js";
import { ApiError, problem } from "./problem.js";
import { scheduleRoutes } from "./schedules.js";
import { searchRoutes } from "./search.js";
import { workflowRoutes } from "./workflows.js";

export { MAX_BODY_BYTES };

/** `providers`: the webhook providers served at `/hooks/providers/:name` (workflows/providers.ts). */
export function createApp(workflows: WorkflowRegistry, providers: Providers = {}) {
  const app = newApi();

  // Every answer, dashboard pages first of all: never framed (clickjacking), never sniffed as another type, no referrer leaves the site.
  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: { frameAncestors: ["'none'"], baseUri: ["'none'"], objectSrc: ["'none'"], formAction: ["'self'"] },
      xFrameOptions: "DENY",
      referrerPolicy: "same-origin",
    }),
  );
  app.use("/api/*", requireToken());
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError("BODY_TOO_LARGE", `the request body is over the limit of ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );

  workflowRoutes(app, workflows);
  app.route("/", providerRoutes(workflows, providers));
  app.route("/", hookRoutes());
  searchRoutes(app);
  instanceRoutes(app);
  eventRoutes(app, workflows);
  subscribeRoutes(app);
  journalRoutes(app);
  forkRoutes(app, workflows);
  resolveRoutes(app);
  bulkRoutes(app);
  scheduleRoutes(app, workflows);
  serveDocument(app);
  docsRoutes(app);
  // The dashboard is a client of this same app: it calls the API in-process, so it can do nothing the API would refuse.
  app.route("/", dashboardRoutes(workflows, (request, env, ctx) => app.fetch(request, env, ctx)));

  app.notFound((c) => problem(c, new ApiError("ROUTE_NOT_FOUND", `no route for ${c.req.method} ${safePath(c.req.url)}`)));

  app.onError((error, c) => {
    if (error instanceof ApiError) return problem(c, error);
    if (error instanceof HTTPException) {
      return problem(c, new ApiError("HTTP_ERROR", error.message || "the request was refused", {}, error.status as ContentfulStatusCode));
    }
    console.error(`${c.req.method} ${safePath(c.req.url)} failed:`, error);
    return problem(c, new ApiError("INTERNAL", "Cairn failed to handle the request; the error was logged"));
  });

  return app;
}

/** The path of a request, with any webhook token left out: tokens never reach logs or error bodies. */
function safePath(url: string): string {
  const path = new URL(url).pathname;
  return path.startsWith("/hooks/") ? "/hooks/<token>" : path.slice(0, 200);
}
