/**
 * `GET /api/workflows` (what can run here) and `POST /api/workflows/:name/instances`
 * (start one). A start is idempotent by id: the same id for the same workflow
 * answers the existing instance instead of running a second one.
 */
import { z } from "zod";
import type { WorkflowRegistry } from "../workflow.js";
import { problems, json, jsonBody, route, type Api, type ApiContext } from "./openapi.js";
import { instanceNamed, notFound, refused } from "./problem.js";
import { InstanceSummarySchema, WorkflowList } from "./responses.js";
import { check, checkInput, readJson, startBody } from "./validate.js";

const instance = (c: ApiContext, id: string) => c.env.WORKFLOW_INSTANCE.get(c.env.WORKFLOW_INSTANCE.idFromName(id));

export function workflowRoutes(app: Api, workflows: WorkflowRegistry): void {
  route(
    app,
    {
      method: "get",
      path: "/api/workflows",
      tags: ["Workflows"],
      summary: "List the registered workflows",
      responses: { 200: json(WorkflowList, "The registered workflows"), ...problems() },
    },
    (c) =>
      c.json({
        workflows: Object.values(workflows).map((w) => ({ name: w.name, description: w.description ?? null, version: w.version ?? null })),
      }),
  );

  route(
    app,
    {
      method: "post",
      path: "/api/workflows/{name}/instances",
      tags: ["Workflows"],
      summary: "Start an instance",
      description:
        "Starts an instance of the workflow. The same `id` again for the same workflow answers 200 with the existing instance (no second run); for another workflow 409.",
      request: {
        params: z.object({ name: z.string().meta({ description: "A registered workflow's name" }) }),
        body: jsonBody(startBody, false),
      },
      responses: {
        201: { ...json(InstanceSummarySchema, "Started"), headers: z.object({ location: z.string().meta({ description: "The instance's URL" }) }) },
        200: json(InstanceSummarySchema, "An instance with this id already runs this workflow: nothing new was started"),
        ...problems(400, 403, 404, 409, 413, 415, 422),
      },
    },
    async (c) => {
      const name = c.req.param("name")!;
      if (!Object.hasOwn(workflows, name)) throw notFound("workflow", name);
      const body = check(startBody, await readJson(c, { optional: true }), "the start request");
      const schema = workflows[name]!.input;
      if (schema) await checkInput(schema, body.input, name);
      const id = body.id ?? crypto.randomUUID();
      const result = await instance(c, id).create({
        id,
        workflow: name,
        tags: body.tags ?? {},
        origin: new URL(c.req.url).origin,
        ...(body.input !== undefined && { input: JSON.stringify(body.input) }),
      });
      if (!result.ok) throw refused(result, { instance: instanceNamed(id) });
      if (result.created) c.header("location", `/api/instances/${encodeURIComponent(id)}`);
      return c.json(result.instance, result.created ? 201 : 200);
    },
  );
}
