/**
 * `GET /api/workflows` (what can run here) and `POST /api/workflows/:name/instances`
 * (start one). A start is idempotent by id: the same id for the same workflow
 * answers the existing instance instead of running a second one. The workflow's
 * rate limit and debounce act here, before anything is created (src/flow/start.ts).
 */
import { z } from "zod";
import type { WorkflowRegistry } from "../workflow.js";
import { problems, json, jsonBody, route, type Api } from "./openapi.js";
import { startInstance } from "../flow/start.js";
import { ApiError, instanceNamed, notFound, problem, refused } from "./problem.js";
import { DebouncedStart, InstanceSummarySchema, WorkflowList } from "./responses.js";
import { check, checkInput, readJson, startBody } from "./validate.js";

export function workflowRoutes(app: Api, workflows: WorkflowRegistry): void {
  route(
    app,
    { method: "get", path: "/api/workflows" },
    () => ({
      tags: ["Workflows"],
      summary: "List the registered workflows",
      responses: { 200: json(WorkflowList(), "The registered workflows"), ...problems() },
    }),
    (c) =>
      c.json({
        workflows: Object.values(workflows).map((w) => ({ name: w.name, description: w.description ?? null, version: w.version ?? null })),
      }),
  );

  route(
    app,
    { method: "post", path: "/api/workflows/{name}/instances" },
    () => ({
      tags: ["Workflows"],
      summary: "Start an instance",
      description:
        "Starts an instance of the workflow. The same `id` again for the same workflow answers 200 with the existing instance (no second run); for another workflow 409. A workflow with a `rateLimit` refuses starts beyond it with 429 `RATE_LIMITED` and `Retry-After`, creating nothing. A workflow with a `debounce` answers 202 with the instance pending for the start's key: a new one (with the given `id`), or the one already pending, whose input this start replaces.",
      request: {
        params: z.object({ name: z.string().meta({ description: "A registered workflow's name" }) }),
        body: jsonBody(startBody(), false),
      },
      responses: {
        201: { ...json(InstanceSummarySchema(), "Started"), headers: z.object({ location: z.string().meta({ description: "The instance's URL" }) }) },
        200: json(InstanceSummarySchema(), "An instance with this id already runs this workflow: nothing new was started"),
        202: { ...json(DebouncedStart(), "Debounced: the pending instance of the start's key, which starts at `debounce.until` unless another start pushes it back"), headers: z.object({ location: z.string() }) },
        429: {
          ...problems(429)[429]!,
          headers: z.object({ "retry-after": z.string().meta({ description: "Seconds until the rate limit accepts a start again" }) }),
        },
        ...problems(400, 403, 404, 409, 413, 415, 422),
      },
    }),
    async (c) => {
      const name = c.req.param("name")!;
      if (!Object.hasOwn(workflows, name)) throw notFound("workflow", name);
      const body = check(startBody(), await readJson(c, { optional: true }), "the start request");
      const schema = workflows[name]!.input;
      if (schema) await checkInput(schema, body.input, name);
      const id = body.id ?? crypto.randomUUID();
      const outcome = await startInstance(c.env, workflows[name]!, {
        id,
        workflow: name,
        tags: body.tags ?? {},
        origin: new URL(c.req.url).origin,
        ...(body.input !== undefined && { input: JSON.stringify(body.input) }),
      });
      switch (outcome.kind) {
        case "rateLimited": {
          const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
          c.header("retry-after", String(seconds));
          return problem(c, new ApiError("RATE_LIMITED", `workflow "${name}" accepts at most ${outcome.limit} starts per ${outcome.period} for this key; nothing was started, try again in ${seconds} s`, { retryAfter: seconds }));
        }
        case "keyInvalid":
          throw new ApiError("FLOW_KEY_INVALID", `${outcome.message}; nothing was started`);
        case "idTaken":
          throw refused({ ok: false, code: "INSTANCE_EXISTS", workflow: outcome.workflow }, { instance: instanceNamed(id) });
        case "debounced":
          c.header("location", `/api/instances/${encodeURIComponent(outcome.instance.id)}`);
          return c.json({ ...outcome.instance, debounce: { until: new Date(outcome.until).toISOString(), merged: outcome.merged } }, 202);
        default:
          if (outcome.kind === "created") c.header("location", `/api/instances/${encodeURIComponent(id)}`);
          return c.json(outcome.instance, outcome.kind === "created" ? 201 : 200);
      }
    },
  );
}
