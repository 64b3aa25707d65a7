/**
 * `POST /api/events`: publish a named event. It starts the workflows that declare
 * it as a trigger and, with a `key`, reaches the waits and `cancelOn`s that match it
 * by correlation (publish.ts). Idempotent on `id`.
 */
import { json, jsonBody, problems, route, type Api } from "../api/openapi.js";
import { check, readJson } from "../api/validate.js";
import type { WorkflowRegistry } from "../workflow.js";
import { publishEvent } from "./publish.js";
import { EventPublished, namedEventBody } from "./schemas.js";

export function eventRoutes(app: Api, workflows: WorkflowRegistry): void {
  route(
    app,
    { method: "post", path: "/api/events" },
    () => ({
      tags: ["Events"],
      summary: "Publish a named event",
      description:
        "Starts an instance of every workflow that declares the event as a trigger (its id derived from the event id, so a repeat starts nothing), and with a `key` reaches the instances waiting for it by correlation (`step.waitForEvent` with a `match`) or cancelled by it (`cancelOn`). An event no wait takes yet is kept for the first that registers, within the bounds of an inbox.",
      request: { body: jsonBody(namedEventBody(), true) },
      responses: { 202: json(EventPublished(), "Accepted"), ...problems(400, 403, 413, 415, 422, 429) },
    }),
    async (c) => {
      const body = check(namedEventBody(), await readJson(c), "the event");
      const published = await publishEvent(
        c.env,
        workflows,
        { name: body.name, id: body.id ?? crypto.randomUUID(), ...(body.key !== undefined && { key: body.key }), ...(body.data !== undefined && { data: body.data }) },
        new URL(c.req.url).origin,
      );
      return c.json(published, 202);
    },
  );
}
