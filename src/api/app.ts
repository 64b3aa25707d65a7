/**
 * The HTTP API: routing, validation and error mapping. Instances are reached by RPC
 * on their Durable Object; nothing unchecked gets that far.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { Env } from "../env.js";
import type { WorkflowRegistry } from "../workflow.js";
import { hookRoutes } from "../hooks/route.js";
import { requireToken } from "./auth.js";
import { instanceRoutes } from "./instances.js";
import { ApiError, notFound, problem } from "./problem.js";
import { searchRoutes } from "./search.js";
import { check, checkInput, readJson, startBody } from "./validate.js";

/** Largest request body the API reads (bytes), chunked bodies included. */
export const MAX_BODY_BYTES = 1024 * 1024;

export function createApp(workflows: WorkflowRegistry) {
  const app = new Hono<{ Bindings: Env }>();
  const instance = (env: Env, id: string) => env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(id));

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

  app.get("/api/workflows", (c) =>
    c.json({
      workflows: Object.values(workflows).map((w) => ({ name: w.name, description: w.description ?? null, version: w.version ?? null })),
    }),
  );

  app.post("/api/workflows/:name/instances", async (c) => {
    const name = c.req.param("name");
    if (!Object.hasOwn(workflows, name)) throw notFound("workflow", name);
    const body = check(startBody, await readJson(c, { optional: true }), "the start request");
    const schema = workflows[name]!.input;
    if (schema) await checkInput(schema, body.input, name);
    const id = body.id ?? crypto.randomUUID();
    const result = await instance(c.env, id).create({
      id,
      workflow: name,
      tags: body.tags ?? {},
      origin: new URL(c.req.url).origin,
      ...(body.input !== undefined && { input: JSON.stringify(body.input) }),
    });
    if (!result.ok) {
      throw new ApiError(409, "INSTANCE_EXISTS", "Instance id taken", `instance "${id}" already exists and runs workflow "${result.workflow}"; choose another id`);
    }
    if (result.created) c.header("location", `/api/instances/${encodeURIComponent(id)}`);
    return c.json(result.instance, result.created ? 201 : 200);
  });

  app.route("/", hookRoutes());
  app.route("/", searchRoutes());
  app.route("/", instanceRoutes());

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
