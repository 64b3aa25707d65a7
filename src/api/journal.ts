/**
 * `GET /api/instances/:id/journal`: an instance's whole history in the journal
 * format (docs/journal-format.md), a page at a time. The page comes from the
 * instance's Durable Object as JSON text and goes out as it is; the typed client's
 * `journal(id)` follows `nextCursor` and assembles the pages.
 */
import { z } from "zod";
import { once } from "../lib/once.js";
import { CURSOR_PATTERN } from "../instance/export.js";
import { JournalPage } from "../journal/format.js";
import { instanceParams, json, problems, route, type Api } from "./openapi.js";
import { ApiError, notFound } from "./problem.js";
import { check, checkId, instanceId } from "./validate.js";

const journalQuery = once(() =>
  z.strictObject({
    cursor: z
      .string()
      .regex(CURSOR_PATTERN, "not a cursor from a previous page")
      .optional()
      .meta({ description: "`nextCursor` of the previous page; the first page when absent" }),
  }),
);

export function journalRoutes(app: Api): void {
  route(
    app,
    { method: "get", path: "/api/instances/{id}/journal" },
    () => ({
      tags: ["Instances"],
      summary: "Export an instance's journal",
      description:
        'The whole history in the versioned journal format ("cairn.journal", docs/journal-format.md): the instance, every step call with its result or error, failed attempts, and events. Paged: follow `nextCursor` until it is null and concatenate `steps`, `attempts` and `events`; each page holds at most a few MiB.',
      request: { params: instanceParams(instanceId()), query: journalQuery() },
      responses: { 200: json(JournalPage(), "One page of the journal"), ...problems(404, 422) },
    }),
    async (c) => {
      const id = checkId(c.req.param("id")!);
      const query = check(journalQuery(), Object.fromEntries(new URL(c.req.url).searchParams), "the journal request");
      const result = await c.env.WORKFLOW_INSTANCE.get(c.env.WORKFLOW_INSTANCE.idFromName(id)).journalPage(query.cursor, { access: c.var.access });
      if (result.ok) return c.body(result.page, 200, { "content-type": "application/json" });
      if (result.code === "INSTANCE_NOT_FOUND") throw notFound("instance", id);
      throw new ApiError("INVALID_INPUT", result.message, { errors: [{ path: "cursor", message: "not a cursor from a previous page" }] });
    },
  );
}
