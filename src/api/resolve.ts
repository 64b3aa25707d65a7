/**
 * `POST /api/instances/:id/steps/resolve`: an operator gives the result of a step
 * that failed the instance, or waits to retry, and the instance continues from there.
 * The output is checked like a step's result (JSON, at most 1 MiB) and journaled
 * with who gave it and when.
 */
import { z } from "zod";
import { once } from "../lib/once.js";
import { serializeResult } from "../engine/serialize.js";
import { instanceParams, json, jsonBody, problems, route, type Api } from "./openapi.js";
import { ApiError, notFound } from "./problem.js";
import { Status } from "./responses.js";
import { check, checkId, instanceId, readJson } from "./validate.js";

export const resolveBody = once(() =>
  z
    .strictObject({
      name: z.string().min(1).max(256).meta({ description: "The step's name" }),
      count: z.number().int().min(1).optional().meta({ description: "Which call with that name (1 when absent)" }),
      output: z.unknown().meta({ description: "The step's result, as its function would have returned it (JSON, at most 1 MiB)" }),
    })
    .meta({ id: "ResolveRequest" }),
);

const Resolved = once(() =>
  z
    .object({ id: z.string(), status: Status(), step: z.object({ name: z.string(), count: z.number().int() }) })
    .meta({ id: "Resolved" }),
);

export function resolveRoutes(app: Api): void {
  route(
    app,
    { method: "post", path: "/api/instances/{id}/steps/resolve" },
    () => ({
      tags: ["Instances"],
      summary: "Resolve a step",
      description:
        "For an instance that failed on a `step.do`, or waits to retry one: journals `output` as that step's result, with who gave it and when (`resolvedBy` in the journal), and lets the instance continue from there. A failed instance runs again (queued); the step's function does not.",
      request: { params: instanceParams(instanceId()), body: jsonBody(resolveBody(), true) },
      responses: { 200: json(Resolved(), "Resolved: the instance's status now"), ...problems(400, 403, 404, 413, 415, 422) },
    }),
    async (c) => {
      const id = checkId(c.req.param("id")!);
      const body = check(resolveBody(), await readJson(c), "the resolve request");
      let output: string | undefined;
      try {
        output = serializeResult(body.output, `the output for step "${body.name}"`);
      } catch (error) {
        throw new ApiError("INVALID_INPUT", (error as Error).message, { errors: [{ path: "output", message: (error as Error).message }] });
      }
      const result = await c.env.WORKFLOW_INSTANCE.get(c.env.WORKFLOW_INSTANCE.idFromName(id)).resolveStep({
        name: body.name,
        ...(body.count !== undefined && { count: body.count }),
        ...(output !== undefined && { output }),
        by: "api",
      });
      if (result.ok) return c.json({ id, status: result.status, step: result.step });
      if (result.code === "INSTANCE_NOT_FOUND") throw notFound("instance", id);
      if (result.code === "STEP_NOT_FOUND") {
        throw new ApiError("STEP_NOT_FOUND", `instance "${id}" has no step "${result.step.name}" #${result.step.count} in its journal`, {
          errors: [{ path: "name", message: "no step with this name and count" }],
        });
      }
      throw new ApiError("STEP_NOT_RESOLVABLE", result.message, { errors: [{ path: "name", message: result.message }] });
    },
  );
}
