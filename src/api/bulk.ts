/**
 * Bulk actions by search: `POST /api/bulk` applies one action (terminate, restart,
 * pause, resume, delete, send an event) to every instance a search filter matches
 * (the filters of `GET /api/instances`). `dryRun` only counts them and shows a few;
 * a real run is a durable job (src/bulk/job.ts) whose progress `GET /api/bulk/:id`
 * reports and which `POST /api/bulk/:id/cancel` stops.
 */
import { z } from "zod";
import type { BulkJobView, BulkTarget, CancelBulkResult } from "../bulk/types.js";
import { BULK_STATUSES, TARGET_STATES } from "../bulk/types.js";
import { countInstances, indexDb, searchInstances } from "../index-db/queries.js";
import { MAX_BULK_INSTANCES, MAX_PAGE_SIZE } from "../lib/bounds.js";
import type { Same } from "../lib/same.js";
import { once } from "../lib/once.js";
import { json, jsonBody, problems, route, type Api, type ApiContext } from "./openapi.js";
import { ApiError } from "./problem.js";
import { ListItem, Status } from "./responses.js";
import { searchFilter, toSearchFilter } from "./search.js";
import { check, eventBody, instanceId, readJson, restartBody } from "./validate.js";

const SAMPLE_SIZE = 10;

export const bulkAction = once(() =>
  z
    .discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("terminate"), rollback: z.boolean().optional().meta({ description: "Run the rollbacks of completed steps first" }) }),
      z.strictObject({ kind: z.literal("restart"), fromStep: restartBody().shape.fromStep }),
      z.strictObject({ kind: z.literal("pause") }),
      z.strictObject({ kind: z.literal("resume") }),
      z.strictObject({ kind: z.literal("delete") }),
      z.strictObject({
        kind: z.literal("event"),
        type: eventBody().shape.type,
        payload: z.unknown().optional(),
        id: eventBody().shape.id.meta({ description: "The event's id in every instance; the job's id when absent. Either way an instance accepts it once" }),
      }),
    ])
    .meta({ id: "BulkAction", description: "What to do to each matching instance" }),
);

export const bulkBody = once(() =>
  z
    .strictObject({
      id: instanceId().optional().meta({ description: "The job's id (a UUID when absent); the same id again answers that job" }),
      filter: searchFilter().meta({ description: "The filters of `GET /api/instances`, as JSON: `status`, `tag` and `attr` are arrays" }),
      action: bulkAction(),
      dryRun: z.boolean().optional().meta({ description: "Only count the matching instances and show a few; nothing is done" }),
    })
    .meta({ id: "BulkRequest" }),
);

const time = once(() => z.string().meta({ format: "date-time" }));
const reasons = once(() => z.array(z.object({ reason: z.string(), count: z.number().int() })));

export const BulkFilter = once(() =>
  z
    .object({
      workflow: z.string().optional(),
      status: z.array(Status()),
      tag: z.array(z.string()),
      attr: z.array(z.string()),
      parent: z.string().optional(),
      createdAfter: time().optional(),
      createdBefore: time().optional(),
    })
    .meta({ id: "BulkFilter" }),
);

export const BulkJob = once(() =>
  z
    .object({
      id: z.string(),
      status: z.enum(BULK_STATUSES).meta({ description: "`snapshotting`: finding the matching instances; `running`: working through them" }),
      action: z.record(z.string(), z.unknown()).meta({ description: "The action, as requested" }),
      filter: BulkFilter(),
      matched: z.number().int().meta({ description: "Instances the filter matched when the job took its snapshot (so far, while snapshotting)" }),
      done: z.number().int(),
      skipped: z.number().int().meta({ description: "Nothing to do (e.g. already terminated); `skippedReasons` says why" }),
      failed: z.number().int().meta({ description: "Could not be done; `failedReasons` says why" }),
      pending: z.number().int().meta({ description: "Not reached yet (after a cancel: never will be)" }),
      skippedReasons: reasons(),
      failedReasons: reasons(),
      createdAt: time(),
      updatedAt: time(),
      finishedAt: time().optional(),
      cancelledAt: time().optional(),
    })
    .meta({ id: "BulkJob", description: "A bulk action and its progress" }),
);

export const BulkDryRun = once(() =>
  z
    .object({
      dryRun: z.literal(true),
      matched: z.number().int().meta({ description: "Instances the filter matches now" }),
      sample: z.array(ListItem()).meta({ description: `The newest ${SAMPLE_SIZE} of them` }),
      tooMany: z.boolean().meta({ description: `More than ${MAX_BULK_INSTANCES}: a real run would be refused` }),
    })
    .meta({ id: "BulkDryRun" }),
);

const BulkTargetSchema = once(() => z.object({ id: z.string(), state: z.enum(TARGET_STATES), reason: z.string().optional(), tries: z.number().int() }));
export const BulkTargetPage = once(() =>
  z
    .object({ instances: z.array(BulkTargetSchema()), nextCursor: z.string().nullable() })
    .meta({ id: "BulkTargetPage", description: "The job's instances in snapshot order, with what became of each" }),
);

const targetsQuery = once(() =>
  z.strictObject({
    state: z.enum(TARGET_STATES).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE, `limit is at most ${MAX_PAGE_SIZE}`).default(100),
    cursor: z.string().regex(/^\d{1,15}$/, "not a cursor from a previous page").optional(),
  }),
);

const jobParams = once(() => z.object({ id: instanceId() }));
const job = (c: ApiContext, id: string) => c.env.BULK_JOB.get(c.env.BULK_JOB.idFromName(id));

function checkJobId(value: string): string {
  return check(z.object({ id: instanceId() }), { id: value }, "the job id").id;
}

/** The job as the API shows it: an event's payload parsed. */
function present(view: BulkJobView) {
  const { action } = view;
  return action.kind === "event" && action.payload !== undefined ? { ...view, action: { ...action, payload: JSON.parse(action.payload) as unknown } } : view;
}

const noJob = (id: string) => new ApiError("BULK_NOT_FOUND", `no bulk job has the id "${id}"`);

export function bulkRoutes(app: Api): void {
  route(
    app,
    { method: "post", path: "/api/bulk" },
    () => ({
      tags: ["Bulk"],
      summary: "Act on every instance a search matches",
      description:
        "With `dryRun`, counts the instances the filter matches and shows the newest few. Otherwise starts a durable job: it takes a snapshot of the matching instances (instances started later are not touched), then applies the action to each at most once, surviving restarts of the runtime. Instances the action does not apply to are skipped with a reason.",
      request: { body: jsonBody(bulkBody(), true) },
      responses: {
        200: json(z.union([BulkDryRun(), BulkJob()]), "The dry run's count, or the job this id already names"),
        202: json(BulkJob(), "The job, started"),
        ...problems(400, 403, 413, 415, 422),
      },
    }),
    async (c) => {
      const body = check(bulkBody(), await readJson(c), "the bulk request");
      const filter = toSearchFilter(body.filter);
      const db = indexDb(c.env.DB);
      const id = body.id ?? crypto.randomUUID();
      if (!body.dryRun && body.id !== undefined) {
        const existing = await job(c, id).read();
        if (existing) return c.json(present(existing), 200);
      }
      const matched = await countInstances(db, filter);
      if (body.dryRun) {
        const sample = await searchInstances(db, { ...filter, limit: SAMPLE_SIZE });
        return c.json({ dryRun: true, matched, sample: sample.instances, tooMany: matched > MAX_BULK_INSTANCES }, 200);
      }
      if (matched > MAX_BULK_INSTANCES) {
        throw new ApiError("BULK_TOO_LARGE", `the filter matches ${matched} instances, more than one bulk action takes (${MAX_BULK_INSTANCES}); narrow it, e.g. by workflow or creation time`);
      }
      const { action } = body;
      const spec = {
        id,
        filter,
        action:
          action.kind === "event"
            ? { kind: action.kind, type: action.type, ...(action.payload !== undefined && { payload: JSON.stringify(action.payload) }), ...(action.id !== undefined && { id: action.id }) }
            : action,
      };
      const { created, job: view } = await job(c, id).create(spec);
      c.header("location", `/api/bulk/${encodeURIComponent(id)}`);
      return c.json(present(view), created ? 202 : 200);
    },
  );

  route(
    app,
    { method: "get", path: "/api/bulk/{id}" },
    () => ({
      tags: ["Bulk"],
      summary: "A bulk job's progress",
      description: "How many instances matched, and how many are done, skipped (with why) and failed (with why).",
      request: { params: jobParams() },
      responses: { 200: json(BulkJob(), "The job"), ...problems(404, 422) },
    }),
    async (c) => {
      const id = checkJobId(c.req.param("id")!);
      const view = await job(c, id).read();
      if (!view) throw noJob(id);
      return c.json(present(view));
    },
  );

  route(
    app,
    { method: "get", path: "/api/bulk/{id}/instances" },
    () => ({
      tags: ["Bulk"],
      summary: "A bulk job's instances",
      description: "Each instance of the job's snapshot with what became of it, in snapshot order; `state` picks one outcome.",
      request: { params: jobParams(), query: targetsQuery() },
      responses: { 200: json(BulkTargetPage(), "A page of the job's instances"), ...problems(404, 422) },
    }),
    async (c) => {
      const id = checkJobId(c.req.param("id")!);
      const query = check(targetsQuery(), c.req.query(), "the query");
      const page = await job(c, id).targets({ limit: query.limit, ...(query.state && { state: query.state }), ...(query.cursor && { after: Number(query.cursor) }) });
      if (!page) throw noJob(id);
      const last = page.targets.at(-1);
      return c.json({ instances: page.targets.map(({ seq: _, ...target }) => target), nextCursor: page.more && last ? String(last.seq) : null });
    },
  );

  route(
    app,
    { method: "post", path: "/api/bulk/{id}/cancel" },
    () => ({
      tags: ["Bulk"],
      summary: "Cancel a bulk job",
      description: "Actions already sent finish and are counted; no more are sent. The instances not reached stay `pending`.",
      request: { params: jobParams() },
      responses: { 200: json(BulkJob(), "The job, cancelled"), ...problems(403, 404, 409, 422) },
    }),
    async (c) => {
      const id = checkJobId(c.req.param("id")!);
      const result: CancelBulkResult = await job(c, id).cancel();
      if (result.ok) return c.json(present(result.job));
      if (result.code === "BULK_NOT_FOUND") throw noJob(id);
      throw new ApiError("BULK_FINISHED", `bulk job "${id}" is already ${result.status}; there is nothing to cancel`);
    },
  );
}

// Compile-time checks, both ways: the job's view and its instances are what the schemas say.
export const CHECKED_BULK_VIEWS: [Same<Omit<BulkJobView, "action">, Omit<z.output<ReturnType<typeof BulkJob>>, "action">>, Same<BulkTarget, z.output<ReturnType<typeof BulkTargetSchema>>>] = [true, true];
