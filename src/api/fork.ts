/**
 * `POST /api/instances/:id/fork`: a new instance of the same workflow whose journal
 * is a copy of this one's up to (not including) a step, optionally with a new input.
 * The origin only lends its journal; the fork replays the copied steps (their
 * results, never their functions) and runs on from the step it forked at.
 */
import { z } from "zod";
import { once } from "../lib/once.js";
import type { WorkflowRegistry } from "../workflow.js";
import { instanceParams, json, jsonBody, problems, route, type Api, type ApiContext } from "./openapi.js";
import { ApiError, notFound } from "./problem.js";
import { ForkedFrom, InstanceSummarySchema } from "./responses.js";
import { check, checkId, checkInput, instanceId, readJson } from "./validate.js";

export const forkBody = once(() =>
  z
    .strictObject({
      id: instanceId().optional().meta({ description: "The fork's id; a UUID when absent" }),
      fromStep: z
        .strictObject({ name: z.string().min(1).max(256), count: z.number().int().min(1).optional() })
        .optional()
        .meta({ description: "Copy the journal up to (not including) this step; from the beginning (nothing copied) when absent" }),
      input: z.unknown().optional().meta({ description: "A new input, checked against the workflow's schema; the origin's when absent" }),
    })
    .meta({ id: "ForkRequest" }),
);

const Forked = once(() => InstanceSummarySchema().extend({ forkedFrom: ForkedFrom() }).meta({ id: "Forked" }));

const stub = (c: ApiContext, id: string) => c.env.WORKFLOW_INSTANCE.get(c.env.WORKFLOW_INSTANCE.idFromName(id));

export function forkRoutes(app: Api, workflows: WorkflowRegistry): void {
  route(
    app,
    { method: "post", path: "/api/instances/{id}/fork" },
    () => ({
      tags: ["Instances"],
      summary: "Fork an instance",
      description:
        "Creates a new instance of the same workflow whose journal is this one's up to (not including) `fromStep`, with this input or a new one. The copied steps are not run again: the fork goes on from `fromStep`. The origin is untouched; the fork shows it as `forkedFrom`.",
      request: { params: instanceParams(instanceId()), body: jsonBody(forkBody(), false) },
      responses: { 201: json(Forked(), "The fork, created"), ...problems(400, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => {
      const originId = checkId(c.req.param("id")!);
      const body = check(forkBody(), await readJson(c, { optional: true }), "the fork request");
      const fromStep = body.fromStep && { name: body.fromStep.name, ...(body.fromStep.count !== undefined && { count: body.fromStep.count }) };
      const origin = await stub(c, originId).exportUpTo(fromStep);
      if (!origin.ok) {
        if (origin.code === "INSTANCE_NOT_FOUND") throw notFound("instance", originId);
        if (origin.code === "STEP_NOT_FOUND") {
          throw new ApiError("STEP_NOT_FOUND", `instance "${originId}" has no step "${origin.step.name}" #${origin.step.count} in its journal`, {
            errors: [{ path: "fromStep", message: "no step with this name and count" }],
          });
        }
        throw new ApiError("FORK_TOO_LARGE", `the journal before that step holds ${origin.chars} characters of results, more than a fork copies; fork from an earlier step`);
      }
      const definition = workflows[origin.workflow];
      if (body.input !== undefined && definition?.input) await checkInput(definition.input, body.input, origin.workflow);
      const id = body.id ?? crypto.randomUUID();
      const input = body.input !== undefined ? JSON.stringify(body.input) : origin.input;
      const forkedFrom = { id: originId, ...(origin.step && { step: origin.step }) };
      const result = await stub(c, id).createFrom(
        { id, workflow: origin.workflow, tags: origin.tags, origin: new URL(c.req.url).origin, ...(input !== undefined && { input }) },
        forkedFrom,
        origin.copy,
      );
      if (!result.ok || !result.created) {
        throw new ApiError("INSTANCE_EXISTS", `instance "${id}" already exists; a fork needs a new id`);
      }
      c.header("location", `/api/instances/${encodeURIComponent(id)}`);
      return c.json({ ...result.instance, forkedFrom }, 201);
    },
  );
}
