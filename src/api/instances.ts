/**
 * Routes on one instance: read it, send it an event, and the lifecycle controls
 * (pause, resume, terminate, restart, delete). Each goes by RPC to the instance's
 * Durable Object, which checks the transition against its status.
 */
import { ACTIONS, type LifecycleAction } from "../engine/status.js";
import type { LifecycleResult } from "../instance/rpc.js";
import { instanceParams, json, jsonBody, problems, route, type Api, type ApiContext } from "./openapi.js";
import { z } from "zod";
import { STEPS_PAGE_SIZE } from "../lib/bounds.js";
import { once } from "../lib/once.js";
import { ApiError, instanceNamed, notFound, refused } from "./problem.js";
import { Deleted, EventAccepted, Instance, LifecycleAnswer, Step, StepsPageSchema } from "./responses.js";
import { check, checkId, eventBody, instanceId, readJson, restartBody, terminateBody } from "./validate.js";

const instance = (c: ApiContext, id: string) => c.env.WORKFLOW_INSTANCE.get(c.env.WORKFLOW_INSTANCE.idFromName(id));
const params = once(() => instanceParams(instanceId()));
const stepSeq = once(() => z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER));
const stepsQuery = once(() =>
  z.strictObject({
    before: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().meta({ description: "Steps before this position; the newest when absent" }),
    limit: z.coerce.number().int().min(1).max(STEPS_PAGE_SIZE).optional().meta({ description: `At most this many (${STEPS_PAGE_SIZE})` }),
  }),
);

function answer(c: ApiContext, id: string, action: LifecycleAction, result: LifecycleResult): Response {
  if (!result.ok) throw refused(result, { instance: instanceNamed(id), action });
  return c.json({ id, status: result.status });
}

/** What each lifecycle action does, for the document. */
const LIFECYCLE: Record<Exclude<LifecycleAction, "restart" | "terminate">, string> = {
  pause: "A running step finishes; nothing new starts and no timer fires until resumed.",
  resume: "Goes on from where it was paused; timers that fell due meanwhile fire now.",
};

/** A lifecycle action's route: where it is served, and its description (built with the document). */
const lifecycleRoute = (action: LifecycleAction, description: string, body?: () => ReturnType<typeof jsonBody>) =>
  [
    { method: "post", path: `/api/instances/{id}/${action}` },
    () => ({
      tags: ["Instances"],
      summary: `${action[0]!.toUpperCase()}${action.slice(1)} an instance`,
      description: `${description} Allowed from: ${ACTIONS[action].from.join(", ")}; otherwise 409 naming the current status.`,
      request: { params: params(), ...(body && { body: body() }) },
      responses: { 200: json(LifecycleAnswer(), "Done: the instance's new status"), ...problems(403, 404, 409, 422, ...(body ? [400, 413, 415] : [])) },
    }),
  ] as const;

export function instanceRoutes(app: Api): void {
  route(
    app,
    { method: "get", path: "/api/instances/{id}" },
    () => ({
      tags: ["Instances"],
      summary: "Read an instance",
      description: "Status, input, output or error, what it waits for, and every step with its attempts and timings.",
      request: { params: params() },
      responses: { 200: json(Instance(), "The instance"), ...problems(404, 422) },
    }),
    async (c) => {
      const id = checkId(c.req.param("id")!);
      const view = await instance(c, id).read({ access: c.var.access });
      if (!view) throw notFound("instance", id);
      return c.json(view);
    },
  );

  route(
    app,
    { method: "get", path: "/api/instances/{id}/steps" },
    () => ({
      tags: ["Instances"],
      summary: "Page through an instance's steps",
      description:
        "Steps in call order, at most `limit` (200) of them, before the position `before` (the newest when absent): the instance's view shows the newest page and `olderSteps.before` to go back from. Results over 64 KiB are left out with their size (`truncated`).",
      request: { params: params(), query: stepsQuery() },
      responses: { 200: json(StepsPageSchema(), "A page of steps"), ...problems(404, 422) },
    }),
    async (c) => {
      const id = checkId(c.req.param("id")!);
      const query = check(stepsQuery(), Object.fromEntries(new URL(c.req.url).searchParams), "the steps request");
      const page = await instance(c, id).steps({ access: c.var.access, ...query });
      if (!page) throw notFound("instance", id);
      return c.json(page);
    },
  );

  route(
    app,
    { method: "get", path: "/api/instances/{id}/steps/{seq}" },
    () => ({
      tags: ["Instances"],
      summary: "Read one step whole",
      description: "One step by its position in the journal (`truncated.seq` in a view), with its result whole (a `sensitive` step's stays out).",
      request: { params: params().extend({ seq: z.string().regex(/^\d{1,15}$/).meta({ description: "The step's position in the journal (0 for the first call)" }) }) },
      responses: { 200: json(Step(), "The step"), ...problems(404, 422) },
    }),
    async (c) => {
      const id = checkId(c.req.param("id")!);
      const { seq } = check(z.object({ seq: stepSeq() }), { seq: c.req.param("seq") }, "the step's position");
      const step = await instance(c, id).step(seq, { access: c.var.access });
      if (step === null) {
        const exists = await instance(c, id).steps({ limit: 1 });
        if (!exists) throw notFound("instance", id);
        throw new ApiError("STEP_NOT_FOUND", `${instanceNamed(id)} has no step at position ${seq}`, { errors: [{ path: "seq", message: "no step at this position" }] });
      }
      return c.json(step);
    },
  );

  route(
    app,
    { method: "post", path: "/api/instances/{id}/events" },
    () => ({
      tags: ["Instances"],
      summary: "Send an event",
      description: "Delivered to the first `step.waitForEvent` of its type; events sent earlier wait in the inbox. A repeated event `id` is accepted once.",
      request: { params: params(), body: jsonBody(eventBody(), true) },
      responses: { 202: json(EventAccepted(), "Accepted"), ...problems(400, 403, 404, 409, 413, 415, 422, 429) },
    }),
    async (c) => {
      const id = checkId(c.req.param("id")!);
      const body = check(eventBody(), await readJson(c), "the event");
      const result = await instance(c, id).sendEvent({
        type: body.type,
        ...(body.id !== undefined && { id: body.id }),
        ...(body.payload !== undefined && { payload: JSON.stringify(body.payload) }),
      });
      if (!result.ok) throw refused(result, { instance: instanceNamed(id) });
      return c.json({ accepted: true, duplicate: result.duplicate, id: result.id }, 202);
    },
  );

  route(app, ...lifecycleRoute("pause", LIFECYCLE.pause), async (c) => {
    const id = checkId(c.req.param("id")!);
    return answer(c, id, "pause", await instance(c, id).pause());
  });

  route(app, ...lifecycleRoute("resume", LIFECYCLE.resume), async (c) => {
    const id = checkId(c.req.param("id")!);
    return answer(c, id, "resume", await instance(c, id).resume());
  });

  route(
    app,
    ...lifecycleRoute(
      "terminate",
      "Stops it: the running step's `signal` aborts, its late result is discarded, its timers are cleared. With `{ \"rollback\": true }` the rollbacks of completed steps run first.",
      () => jsonBody(terminateBody(), false),
    ),
    async (c) => {
      const id = checkId(c.req.param("id")!);
      const body = check(terminateBody(), await readJson(c, { optional: true }), "the terminate request");
      return answer(c, id, "terminate", await instance(c, id).terminate(body.rollback ? { rollback: true } : {}));
    },
  );

  route(
    app,
    ...lifecycleRoute(
      "restart",
      "Runs it again from the beginning, or with `fromStep` from that step on, keeping the results of the steps before it.",
      () => jsonBody(restartBody(), false),
    ),
    async (c) => {
      const id = checkId(c.req.param("id")!);
      const body = check(restartBody(), await readJson(c, { optional: true }), "the restart request");
      const fromStep = body.fromStep && { name: body.fromStep.name, ...(body.fromStep.count !== undefined && { count: body.fromStep.count }) };
      return answer(c, id, "restart", await instance(c, id).restart(fromStep ? { fromStep } : {}));
    },
  );

  route(
    app,
    { method: "delete", path: "/api/instances/{id}" },
    () => ({
      tags: ["Instances"],
      summary: "Delete an instance",
      description: "Deletes its index row, then all of its storage.",
      request: { params: params() },
      responses: { 200: json(Deleted(), "Deleted"), ...problems(403, 404, 422) },
    }),
    async (c) => {
      const id = checkId(c.req.param("id")!);
      const result = await instance(c, id).delete();
      if (!result.ok) throw refused(result, { instance: instanceNamed(id) });
      return c.json({ id, deleted: true });
    },
  );
}
