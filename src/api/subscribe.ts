/**
 * `GET /api/instances/:id/subscribe`: an instance's events as Server-Sent Events,
 * its history first, then each event as it happens, until the instance ends. The
 * stream comes from the instance's watch hub (src/watch/hub.ts) as it is.
 */
import { z } from "zod";
import { once } from "../lib/once.js";
import { EVENT_TYPES, isEventType } from "../watch/events.js";
import { openSubscription } from "../watch/open.js";
import { instanceParams, problems, route, type Api, type ApiContext } from "./openapi.js";
import { notFound } from "./problem.js";
import { check, checkId, instanceId } from "./validate.js";

const FILTER_PATTERN = new RegExp(`^(${EVENT_TYPES.join("|")})(,(${EVENT_TYPES.join("|")}))*$`);
const eventId = once(() => z.string().regex(/^\d{1,15}$/, "an eventId is a whole number"));

export const subscribeQuery = once(() =>
  z.strictObject({
    cursor: eventId().optional().meta({ description: "The last `eventId` already seen: the stream starts after it (`Last-Event-ID` does the same and wins)" }),
    filter: z
      .string()
      .max(2_000)
      .refine((value) => FILTER_PATTERN.test(value), {
        error: (issue) => `not an event type: ${String(issue.input).split(",").filter((type) => !isEventType(type)).join(", ")}; the types are ${EVENT_TYPES.join(", ")}`,
      })
      .meta({ pattern: FILTER_PATTERN.source })
      .transform((value) => [...new Set(value.split(","))])
      .optional()
      .meta({ description: "Comma-separated event types: only these are sent (the stream still ends when the instance does)" }),
  }),
);

/** A subscription's cursor and filter from the query and `Last-Event-ID`. */
export function subscribeRequest(c: ApiContext | { req: ApiContext["req"] }) {
  const query = check(subscribeQuery(), Object.fromEntries(new URL(c.req.url).searchParams), "the subscribe request");
  const lastEventId = c.req.header("last-event-id");
  const after = Number(lastEventId !== undefined && lastEventId !== "" ? check(eventId(), lastEventId, "Last-Event-ID") : (query.cursor ?? 0));
  return { after, ...(query.filter && { filter: query.filter }) };
}

/** The hub's stream as the answer, with the headers a proxy needs to pass it through unbuffered. */
export function streamAnswer(stream: Response): Response {
  return new Response(stream.body, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" },
  });
}

const DESCRIPTION = `Server-Sent Events: first the instance's history (created, started, each step with its attempts, the status now), then each event as it happens, until the instance completes, fails or is terminated; then the stream ends. Each event is \`id: <eventId>\`, \`event: <type>\` and \`data: <JSON>\`; the JSON has Cloudflare's \`WorkflowInstanceEvent\` shape (\`instanceId\`, \`eventId\`, \`timestamp\`, \`type\`, \`stepName\`, \`attempt\`, \`output\`, \`error\`, …) plus \`stepCount\`, \`stepKind\` and \`waitingFor\`. Resume with \`Last-Event-ID\` (browsers' EventSource sends it by itself) or \`cursor\`. The read-only token may subscribe; every webhook token the instance minted is \`[redacted]\` wherever it shows. Event types: ${EVENT_TYPES.map((t) => `\`${t}\``).join(", ")}.`;

export function subscribeRoutes(app: Api): void {
  route(
    app,
    { method: "get", path: "/api/instances/{id}/subscribe" },
    () => ({
      tags: ["Instances"],
      summary: "Subscribe to an instance's events",
      description: DESCRIPTION,
      request: {
        params: instanceParams(instanceId()),
        query: subscribeQuery(),
        headers: z.object({ "last-event-id": eventId().optional().meta({ description: "The last `eventId` seen (a reconnecting EventSource sends it)" }) }),
      },
      responses: {
        200: { description: "The event stream", content: { "text/event-stream": { schema: z.string().meta({ example: 'id: 7\nevent: step_completed\ndata: {"instanceId":"order-1","eventId":7,"type":"step_completed","timestamp":1767225600000,"stepName":"charge","stepCount":1,"stepKind":"do","output":{"charged":true}}\n\n' }) } } },
        ...problems(404, 422),
      },
    }),
    async (c) => {
      const id = checkId(c.req.param("id")!);
      const request = subscribeRequest(c);
      const stream = await openSubscription(c.env, { instance: id, ...request, readOnly: c.get("access") !== "full" });
      if (!stream) throw notFound("instance", id);
      return streamAnswer(stream);
    },
  );
}
