/**
 * `GET /api/instances` and `GET /api/stats`: list, search and count instances
 * through the D1 index. The index may lag an instance by moments; the instance
 * itself (`GET /api/instances/:id`) is the truth.
 */
import { Hono } from "hono";
import { z } from "zod";
import { STATUSES, type Status } from "../engine/status.js";
import type { Env } from "../env.js";
import { indexDb, instanceStats, searchInstances, type Cursor } from "../index-db/queries.js";
import { ApiError } from "./problem.js";
import { ID_PATTERN, MAX_TAGS, TAG_KEY_PATTERN, check } from "./validate.js";

const MAX_LIMIT = 100;

const timestamp = z.string().transform((value, ctx) => {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: "custom", message: "a time is an ISO 8601 date-time or epoch milliseconds" });
    return z.NEVER;
  }
  return ms;
});

const listQuery = z.strictObject({
  workflow: z.string().max(64).optional(),
  status: z.array(z.enum(STATUSES, { message: `a status is one of ${STATUSES.join(", ")}` })).default([]),
  tag: z
    .array(
      z.string().transform((value, ctx) => {
        const at = value.indexOf(":");
        const key = value.slice(0, at);
        if (at < 0 || !TAG_KEY_PATTERN.test(key) || value.length - at - 1 > 256) {
          ctx.addIssue({ code: "custom", message: 'a tag filter is "key:value" with a valid tag key' });
          return z.NEVER;
        }
        return [key, value.slice(at + 1)] as [string, string];
      }),
    )
    .max(MAX_TAGS)
    .default([]),
  parent: z.string().regex(ID_PATTERN, "parent is an instance id").optional(),
  createdAfter: timestamp.optional(),
  createdBefore: timestamp.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT, `limit is at most ${MAX_LIMIT}`).default(50),
  cursor: z.string().max(500).optional(),
});

const REPEATABLE = new Set(["status", "tag"]);

/** Query parameters as an object: repeatable ones as arrays; any other one given twice is refused. */
function queryObject(url: URL): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    if (REPEATABLE.has(key)) result[key] = values;
    else if (values.length > 1) {
      throw new ApiError(422, "INVALID_INPUT", "Invalid input", `the query parameter "${key}" may be given once`, {
        errors: [{ path: key, message: "given more than once" }],
      });
    } else result[key] = values[0]!;
  }
  return result;
}

function encodeCursor(cursor: Cursor): string {
  return btoa(JSON.stringify([cursor.createdAt, cursor.id])).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeCursor(text: string): Cursor {
  try {
    const [createdAt, id] = JSON.parse(atob(text.replaceAll("-", "+").replaceAll("_", "/"))) as unknown[];
    if (typeof createdAt === "number" && Number.isFinite(createdAt) && typeof id === "string" && ID_PATTERN.test(id)) return { createdAt, id };
  } catch {
    // Falls through to the error below.
  }
  throw new ApiError(422, "INVALID_INPUT", "Invalid input", "the cursor is not one this API gave out; start again without it", {
    errors: [{ path: "cursor", message: "not a cursor from a previous page" }],
  });
}

export function searchRoutes() {
  const routes = new Hono<{ Bindings: Env }>();

  routes.get("/api/instances", async (c) => {
    const query = check(listQuery, queryObject(new URL(c.req.url)), "the search");
    const page = await searchInstances(indexDb(c.env.DB), {
      statuses: query.status,
      tags: query.tag,
      limit: query.limit,
      ...(query.workflow !== undefined && { workflow: query.workflow }),
      ...(query.parent !== undefined && { parent: query.parent }),
      ...(query.createdAfter !== undefined && { createdAfter: query.createdAfter }),
      ...(query.createdBefore !== undefined && { createdBefore: query.createdBefore }),
      ...(query.cursor !== undefined && { after: decodeCursor(query.cursor) }),
    });
    return c.json({ instances: page.instances, nextCursor: page.next ? encodeCursor(page.next) : null });
  });

  routes.get("/api/stats", async (c) => {
    const rows = await instanceStats(indexDb(c.env.DB));
    const byStatus = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
    const byWorkflow: Record<string, Record<Status, number> & { total: number }> = {};
    for (const { workflow, status, count } of rows) {
      byWorkflow[workflow] ??= { ...byStatus, total: 0 };
      byWorkflow[workflow][status] += count;
      byWorkflow[workflow].total += count;
    }
    const totals = { ...byStatus };
    for (const { status, count } of rows) totals[status] += count;
    return c.json({ total: rows.reduce((sum, r) => sum + r.count, 0), byStatus: totals, byWorkflow });
  });

  return routes;
}
