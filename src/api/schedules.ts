/**
 * `/api/schedules`: create, list, read, pause, resume and delete schedules at run
 * time. Each schedule is its own Durable Object (src/flow/schedule.ts); the list
 * comes from its D1 row.
 */
import { z } from "zod";
import { cronProblem } from "../flow/cron.js";
import { SCHEDULE_POLICIES, type ScheduleView } from "../flow/schedule.js";
import { indexDb } from "../index-db/queries.js";
import { listSchedules } from "../index-db/schedules.js";
import type { Same } from "../lib/same.js";
import type { WorkflowRegistry } from "../workflow.js";
import { json, jsonBody, problems, route, type Api, type ApiContext } from "./openapi.js";
import { ApiError, notFound } from "./problem.js";
import { Deleted } from "./responses.js";
import { MAX_CATCH_UP_LIMIT, MAX_SCHEDULE_ID_LENGTH } from "../lib/bounds.js";
import { ID_PATTERN } from "../lib/ids.js";
import { once } from "../lib/once.js";
import { check, checkInput, readJson } from "./validate.js";

const SCHEDULE_ID_RULE = `a schedule id is 1 to ${MAX_SCHEDULE_ID_LENGTH} letters, digits or -_.:~, starting with a letter or digit (its instances are named "<id>--<fire time>", at most 100 characters)`;

export const scheduleBody = once(() =>
  z
    .strictObject({
      id: z.string().max(MAX_SCHEDULE_ID_LENGTH, SCHEDULE_ID_RULE).regex(ID_PATTERN, SCHEDULE_ID_RULE).optional(),
      workflow: z.string().min(1).max(64),
      cron: z.string().min(1).max(200).meta({ description: 'Five fields (minute hour day-of-month month day-of-week), e.g. "*/5 * * * *"; no seconds' }),
      timezone: z.string().min(1).max(100).optional().meta({ description: 'IANA time zone of the cron expression, e.g. "Europe/Amsterdam"; UTC when absent' }),
      input: z.unknown().optional(),
      policy: z.enum(SCHEDULE_POLICIES).optional().meta({ description: "After missed fires: `skip` runs only the latest, `catchUp` runs each (up to catchUpLimit)" }),
      catchUpLimit: z.number().int().min(1).max(MAX_CATCH_UP_LIMIT).optional(),
    })
    .superRefine((body, ctx) => {
      const problem = cronProblem(body.cron, body.timezone);
      if (problem) ctx.addIssue({ code: "custom", path: ["cron"], message: problem });
    })
    .meta({ id: "ScheduleRequest" }),
);

const time = once(() => z.string().meta({ format: "date-time" }));

export const Schedule = once(() =>
  z
    .object({
      id: z.string(),
      workflow: z.string(),
      cron: z.string(),
      timezone: z.string().optional(),
      input: z.unknown().optional(),
      policy: z.enum(SCHEDULE_POLICIES),
      catchUpLimit: z.number().int().optional(),
      source: z.enum(["code", "api"]).meta({ description: "Declared in a workflow's code, or created through the API" }),
      paused: z.boolean(),
      lastFire: time().optional(),
      nextFire: time().optional(),
      createdAt: time(),
    })
    .meta({ id: "Schedule" }),
);

// Compile-time check, both ways: the schedule's view has exactly the schema's fields.
export const CHECKED_SCHEDULE_VIEW: Same<ScheduleView, z.output<ReturnType<typeof Schedule>>> = true;

const scheduleNotFound = (id: string) => new ApiError("SCHEDULE_NOT_FOUND", `no schedule has the id "${id}"`);
const params = once(() => z.object({ id: z.string().meta({ description: "The schedule's id" }) }));
const tags = ["Schedules"];

export function scheduleRoutes(app: Api, workflows: WorkflowRegistry): void {
  const schedule = (c: ApiContext, id: string) => c.env.SCHEDULE.get(c.env.SCHEDULE.idFromName(id));
  const scheduleId = (value: string) => {
    if (!ID_PATTERN.test(value)) throw scheduleNotFound(value.slice(0, 100));
    return value;
  };

  route(
    app,
    { method: "get", path: "/api/schedules" },
    () => ({
      tags,
      summary: "List schedules",
      request: { query: z.object({ workflow: z.string().optional().meta({ description: "Only this workflow's schedules" }) }) },
      responses: { 200: json(z.object({ schedules: z.array(Schedule()) }).meta({ id: "ScheduleList" }), "The schedules, by id"), ...problems() },
    }),
    async (c) => c.json({ schedules: await listSchedules(indexDb(c.env.DB), c.req.query("workflow")) }),
  );

  route(
    app,
    { method: "post", path: "/api/schedules" },
    () => ({
      tags,
      summary: "Create or replace a schedule",
      description: "Starts an instance of the workflow at each cron time. The same `id` again replaces that schedule (200).",
      request: { body: jsonBody(scheduleBody(), true) },
      responses: { 201: json(Schedule(), "Created"), 200: json(Schedule(), "Replaced"), ...problems(400, 403, 404, 413, 415, 422) },
    }),
    async (c) => {
      const body = check(scheduleBody(), await readJson(c), "the schedule");
      const definition = workflows[body.workflow];
      if (!definition || !Object.hasOwn(workflows, body.workflow)) throw notFound("workflow", body.workflow);
      if (definition.input) await checkInput(definition.input, body.input, body.workflow);
      const id = body.id ?? `${body.workflow}.${crypto.randomUUID().slice(0, 8)}`;
      const result: { created: boolean; schedule: ScheduleView } = await schedule(c, id).upsert({
        id,
        workflow: body.workflow,
        cron: body.cron,
        source: "api",
        origin: new URL(c.req.url).origin,
        ...(body.timezone !== undefined && { timezone: body.timezone }),
        ...(body.input !== undefined && { input: JSON.stringify(body.input) }),
        ...(body.policy !== undefined && { policy: body.policy }),
        ...(body.catchUpLimit !== undefined && { catchUpLimit: body.catchUpLimit }),
      });
      return c.json(result.schedule, result.created ? 201 : 200);
    },
  );

  route(
    app,
    { method: "get", path: "/api/schedules/{id}" },
    () => ({ tags, summary: "Read a schedule", request: { params: params() }, responses: { 200: json(Schedule(), "The schedule"), ...problems(404) } }),
    async (c) => {
      const id = scheduleId(c.req.param("id")!);
      const view = await schedule(c, id).get();
      if (!view) throw scheduleNotFound(id);
      return c.json(view);
    },
  );

  for (const action of ["pause", "resume"] as const) {
    route(
      app,
      { method: "post", path: `/api/schedules/{id}/${action}` },
      () => ({
        tags,
        summary: action === "pause" ? "Pause a schedule: no fires until resumed" : "Resume a schedule",
        request: { params: params() },
        responses: { 200: json(Schedule(), "The schedule"), ...problems(403, 404) },
      }),
      async (c) => {
        const id = scheduleId(c.req.param("id")!);
        const view = await schedule(c, id)[action]();
        if (!view) throw scheduleNotFound(id);
        return c.json(view);
      },
    );
  }

  route(
    app,
    { method: "delete", path: "/api/schedules/{id}" },
    () => ({ tags, summary: "Delete a schedule", request: { params: params() }, responses: { 200: json(Deleted(), "Deleted"), ...problems(403, 404) } }),
    async (c) => {
      const id = scheduleId(c.req.param("id")!);
      if (!(await schedule(c, id).delete())) throw scheduleNotFound(id);
      return c.json({ id, deleted: true });
    },
  );
}
