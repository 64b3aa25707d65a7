/**
 * `GET /api/instances` and `GET /api/stats`: list, search and count instances
 * through the D1 index. The index may lag an instance by moments; the instance
 * itself (`GET /api/instances/:id`) is the truth.
 */
import { z } from "zod";
import { STATUSES, type Status } from "../engine/status.js";
import { indexDb, instanceStats, searchInstances, type Cursor, type SearchFilter } from "../index-db/queries.js";
import { json, problems, route, type Api } from "./openapi.js";
import { ApiError } from "./problem.js";
import { InstancePage, Stats } from "./responses.js";
import { MAX_ATTRIBUTES, MAX_PAGE_SIZE as MAX_LIMIT, MAX_QUERY_VALUES, MAX_TAGS } from "../lib/bounds.js";
import { ID_PATTERN, TAG_KEY_PATTERN } from "../lib/ids.js";
import { once } from "../lib/once.js";
import { check } from "./validate.js";

const timestamp = once(() =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = typeof value === "number" ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: "custom", message: "a time is an ISO 8601 date-time or epoch milliseconds" });
      return z.NEVER;
    }
    return ms;
  }),
);

/** A repeatable `key:value` filter, at most `max` times, deduplicated. */
const pairs = (what: string, max: number, description: string) =>
  z
    .array(
      z.string().transform((value, ctx) => {
        const at = value.indexOf(":");
        const key = value.slice(0, at);
        if (at < 0 || !TAG_KEY_PATTERN.test(key) || value.length - at - 1 > 256) {
          ctx.addIssue({ code: "custom", message: `${what} filter is "key:value" with a valid ${what === "a tag" ? "tag" : "attribute"} key` });
          return z.NEVER;
        }
        return [key, value.slice(at + 1)] as [string, string];
      }),
    )
    .max(max, `${what === "a tag" ? "tag" : "attr"} may be given at most ${max} times`)
    .transform((list) => [...new Map(list.map((pair) => [pair.join(":"), pair])).values()])
    .default([])
    .meta({ description });

/** What a search matches: the filters of `GET /api/instances`, and the `filter` of a bulk action. */
export const searchFilter = once(() =>
  z.strictObject({
    workflow: z.string().max(64).optional(),
    // Bounded and deduplicated, so that no search needs more of D1's bound variables than it allows.
    status: z
      .array(z.enum(STATUSES, { message: `a status is one of ${STATUSES.join(", ")}` }))
      .max(MAX_QUERY_VALUES, `status may be given at most ${MAX_QUERY_VALUES} times`)
      .transform((statuses) => [...new Set(statuses)])
      .default([])
      .meta({ description: `Repeatable (up to ${MAX_QUERY_VALUES} times): any of these statuses` }),
    tag: pairs("a tag", MAX_TAGS, `Repeatable \`key:value\` (up to ${MAX_TAGS} times): every one must match`),
    attr: pairs("an attribute", MAX_ATTRIBUTES, `Repeatable \`key:value\` (up to ${MAX_ATTRIBUTES} times): search attributes, every one must match`),
    parent: z.string().regex(ID_PATTERN, "parent is an instance id").optional().meta({ description: "Children of this instance" }),
    createdAfter: timestamp().optional().meta({ description: "ISO 8601 time or epoch ms, inclusive" }),
    createdBefore: timestamp().optional().meta({ description: "ISO 8601 time or epoch ms, exclusive" }),
  }),
);

const listQuery = once(() =>
  searchFilter().extend({
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT, `limit is at most ${MAX_LIMIT}`).default(50),
    cursor: z.string().max(500).optional().meta({ description: "`nextCursor` of the previous page" }),
  }),
);

/** A checked filter as the index's queries take it. */
export function toSearchFilter(query: z.output<ReturnType<typeof searchFilter>>): SearchFilter {
  return {
    statuses: query.status,
    tags: query.tag,
    attributes: query.attr,
    ...(query.workflow !== undefined && { workflow: query.workflow }),
    ...(query.parent !== undefined && { parent: query.parent }),
    ...(query.createdAfter !== undefined && { createdAfter: query.createdAfter }),
    ...(query.createdBefore !== undefined && { createdBefore: query.createdBefore }),
  };
}

const REPEATABLE = new Set(["status", "tag", "attr"]);

/** Query parameters as an object: repeatable ones as arrays; any other one given twice is refused. */
function queryObject(url: URL): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    if (REPEATABLE.has(key)) result[key] = values;
    else if (values.length > 1) {
      throw new ApiError("INVALID_INPUT", `the query parameter "${key}" may be given once`, {
        errors: [{ path: key, message: "given more than once" }],
      });
    } else result[key] = values[0]!;
  }
  return result;
}

export function encodeCursor(cursor: Cursor): string {
  return btoa(JSON.stringify([cursor.createdAt, cursor.id])).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeCursor(text: string): Cursor {
  try {
    const [createdAt, id] = JSON.parse(atob(text.replaceAll("-", "+").replaceAll("_", "/"))) as unknown[];
    if (typeof createdAt === "number" && Number.isFinite(createdAt) && typeof id === "string" && ID_PATTERN.test(id)) return { createdAt, id };
  } catch {
    // Falls through to the error below.
  }
  throw new ApiError("INVALID_INPUT", "the cursor is not one this API gave out; start again without it", {
    errors: [{ path: "cursor", message: "not a cursor from a previous page" }],
  });
}

export function searchRoutes(app: Api): void {
  route(
    app,
    { method: "get", path: "/api/instances" },
    () => ({
      tags: ["Search"],
      summary: "List and search instances",
      description:
        "Through the D1 index, newest first, paged by keyset: instances that arrive while you page never shift a page. The index may lag an instance by moments.",
      request: { query: listQuery() },
      responses: { 200: json(InstancePage(), "A page of instances"), ...problems(422) },
    }),
    async (c) => {
      const query = check(listQuery(), queryObject(new URL(c.req.url)), "the search");
      const page = await searchInstances(indexDb(c.env.DB), {
        ...toSearchFilter(query),
        limit: query.limit,
        ...(query.cursor !== undefined && { after: decodeCursor(query.cursor) }),
      });
      return c.json({ instances: page.instances, nextCursor: page.next ? encodeCursor(page.next) : null });
    },
  );

  route(
    app,
    { method: "get", path: "/api/stats" },
    () => ({
      tags: ["Search"],
      summary: "Count instances by workflow and status",
      responses: { 200: json(Stats(), "The counts"), ...problems() },
    }),
    async (c) => {
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
    },
  );
}
