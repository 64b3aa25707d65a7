/**
 * Routes on one instance: read it, send it an event, and the lifecycle controls
 * (pause, resume, terminate, restart, delete). Each goes by RPC to the instance's
 * Durable Object, which checks the transition against its status.
 */
import { Hono, type Context } from "hono";
import { ACTIONS, type LifecycleAction } from "../engine/status.js";
import type { Env } from "../env.js";
import type { LifecycleResult } from "../instance/rpc.js";
import { ApiError, notFound } from "./problem.js";
import { check, checkId, eventBody, readJson, restartBody, terminateBody } from "./validate.js";

type Ctx = Context<{ Bindings: Env }>;

const instance = (env: Env, id: string) => env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(id));

function answer(c: Ctx, id: string, action: LifecycleAction, result: LifecycleResult): Response {
  if (result.ok) return c.json({ id, status: result.status });
  switch (result.code) {
    case "INSTANCE_NOT_FOUND":
      throw notFound("instance", id);
    case "INVALID_TRANSITION":
      throw new ApiError(
        409,
        "INVALID_TRANSITION",
        "Not allowed in this status",
        `cannot ${action} instance "${id}": it is ${result.status}; ${action} applies to ${ACTIONS[action].from.join(", ")} instances`,
        { currentStatus: result.status },
      );
    case "STEP_NOT_FOUND":
      throw new ApiError(422, "STEP_NOT_FOUND", "No such step", `instance "${id}" has no step "${result.step.name}" #${result.step.count} in its journal`, {
        errors: [{ path: "fromStep", message: "no step with this name and count" }],
      });
  }
}

export function instanceRoutes() {
  const routes = new Hono<{ Bindings: Env }>();

  routes.get("/api/instances/:id", async (c) => {
    const id = checkId(c.req.param("id"));
    const view = await instance(c.env, id).describe();
    if (!view) throw notFound("instance", id);
    return c.json(view);
  });

  routes.post("/api/instances/:id/events", async (c) => {
    const id = checkId(c.req.param("id"));
    const body = check(eventBody, await readJson(c), "the event");
    const result = await instance(c.env, id).sendEvent({
      type: body.type,
      ...(body.id !== undefined && { id: body.id }),
      ...(body.payload !== undefined && { payload: JSON.stringify(body.payload) }),
    });
    if (!result.ok) {
      if (result.code === "INSTANCE_NOT_FOUND") throw notFound("instance", id);
      throw new ApiError(409, "INSTANCE_FINISHED", "Instance finished", `instance "${id}" is ${result.status} and takes no more events`, {
        currentStatus: result.status,
      });
    }
    return c.json({ accepted: true, duplicate: result.duplicate, id: result.id }, 202);
  });

  routes.post("/api/instances/:id/pause", async (c) => {
    const id = checkId(c.req.param("id"));
    return answer(c, id, "pause", await instance(c.env, id).pause());
  });

  routes.post("/api/instances/:id/resume", async (c) => {
    const id = checkId(c.req.param("id"));
    return answer(c, id, "resume", await instance(c.env, id).resume());
  });

  routes.post("/api/instances/:id/terminate", async (c) => {
    const id = checkId(c.req.param("id"));
    const body = check(terminateBody, await readJson(c, { optional: true }), "the terminate request");
    return answer(c, id, "terminate", await instance(c.env, id).terminate(body.rollback ? { rollback: true } : {}));
  });

  routes.post("/api/instances/:id/restart", async (c) => {
    const id = checkId(c.req.param("id"));
    const body = check(restartBody, await readJson(c, { optional: true }), "the restart request");
    const fromStep = body.fromStep && { name: body.fromStep.name, ...(body.fromStep.count !== undefined && { count: body.fromStep.count }) };
    return answer(c, id, "restart", await instance(c.env, id).restart(fromStep ? { fromStep } : {}));
  });

  routes.delete("/api/instances/:id", async (c) => {
    const id = checkId(c.req.param("id"));
    const result = await instance(c.env, id).delete();
    if (result.ok) return c.json({ id, deleted: true });
    if (result.code === "INSTANCE_NOT_FOUND") throw notFound("instance", id);
    throw new ApiError(503, "INDEX_UNAVAILABLE", "Index unavailable", result.message);
  });

  return routes;
}
