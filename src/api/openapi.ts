/**
 * The OpenAPI 3.1 description of the API, generated from the route definitions and
 * zod schemas the handlers use (never written by hand), served at `/openapi.json`.
 *
 * Routes are declared with `route(app, { method, path }, describe, handler)`: the
 * handler is mounted at its path, and what `describe` returns goes into the document.
 * The handler checks the request itself, with the very schemas the description
 * names, through the API's one validation pipeline (`validate.ts`): that pipeline's
 * order of checks (token, size, content type, JSON syntax, shape) and its problem
 * answers are the API's contract, which the generic validators of
 * `OpenAPIHono.openapi()` would change. `describe` runs when the document is first
 * generated, not when the app is built: a request builds only the schemas its own
 * handler checks with (src/worker.ts builds the app on the first request).
 */
import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { Env } from "../env.js";
import { EventIgnored, EventPublished } from "../events/schemas.js";
import { PROVIDER_CODES } from "../hooks/providers/route.js";
import { HOOK_CODES } from "../hooks/route.js";
import { API_CODES, CODES, type HttpCode } from "../lib/codes.js";
import type { Access } from "./auth.js";
import { ApiError } from "./problem.js";
import { HookAccepted, Problem } from "./responses.js";

export type ApiEnv = { Bindings: Env; Variables: { access: Access } };
export type Api = OpenAPIHono<ApiEnv>;
export type ApiContext = Context<ApiEnv>;

export const newApi = (): Api => new OpenAPIHono<ApiEnv>();

/** Where a route is served: its method, and its path with `{name}` for a parameter. */
export type RouteAt = Pick<RouteConfig, "method" | "path">;
/** What the document says of a route. */
export type RouteDescription = Omit<RouteConfig, "method" | "path">;

/** Each app's descriptions not in its document's registry yet, in the order they were declared. */
const undescribed = new WeakMap<Api, (() => void)[]>();

/** Runs `describe` when the app's document is first generated, in declaration order. */
function describeLater(app: Api, describe: () => void): void {
  const queue = undescribed.get(app) ?? [];
  queue.push(describe);
  undescribed.set(app, queue);
}

/** Declares a route: served from now on, described in the document when it is generated. */
export function route(app: Api, at: RouteAt, describe: () => RouteDescription, handler: (c: ApiContext) => Response | Promise<Response>): void {
  describeLater(app, () => app.openAPIRegistry.registerPath({ ...at, ...describe() }));
  app.on(at.method.toUpperCase(), at.path.replaceAll(/\{(\w+)\}/g, ":$1"), handler);
}

/**
 * Problem answers for these codes, one per status: each lists its codes with their
 * meanings (from the table of codes), and carries an example problem per code.
 */
export function problemAnswers(codes: readonly HttpCode[]): RouteConfig["responses"] {
  const byStatus = new Map<number, HttpCode[]>();
  for (const code of codes) byStatus.set(CODES[code].status, [...(byStatus.get(CODES[code].status) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, codes]) => [
      status,
      {
        description: codes.map((code) => `\`${code}\`: ${CODES[code].meaning}`).join("; "),
        content: {
          "application/problem+json": {
            schema: Problem(),
            // Built when the document is generated, not when the route is declared: a cold start skips them.
            get examples() {
              return Object.fromEntries(codes.map((code) => [code, { summary: CODES[code].title, value: new ApiError(code, CODES[code].meaning).toProblem() }]));
            },
          },
        },
      },
    ]),
  );
}

/**
 * Problem answers of an `/api` route, by status: every code of the API with that
 * status. Every `/api` route may also answer 401, 500 and 503.
 */
export function problems(...statuses: number[]): RouteConfig["responses"] {
  const all = new Set([...statuses, 401, 500, 503]);
  const missing = [...all].filter((status) => !API_CODES.some((code) => CODES[code].status === status));
  if (missing.length > 0) throw new Error(`no code of the API has the status ${missing.join(", ")}: add it to src/lib/codes.ts`);
  return problemAnswers(API_CODES.filter((code) => all.has(CODES[code].status)));
}

/** `200`-like answer with a JSON body. */
export const json = (schema: z.ZodType, description: string) => ({ description, content: { "application/json": { schema } } });

/** A JSON request body. */
export const jsonBody = (schema: z.ZodType, required: boolean) => ({ required, content: { "application/json": { schema } } });

export const instanceParams = (id: z.ZodType) => z.object({ id });

/**
 * The webhook callback is served by `src/hooks/route.ts`; its description lives here
 * so that the document covers every route the Worker serves.
 */
function describeHooks(app: Api): void {
  const body = {
    required: false,
    content: {
      "application/json": { schema: z.unknown() },
      "application/x-www-form-urlencoded": { schema: z.record(z.string(), z.string()) },
      "text/plain": { schema: z.string() },
    },
  };
  const responses = {
    202: json(HookAccepted(), "Accepted: the delivery became an event"),
    ...problemAnswers(HOOK_CODES),
  };
  const description =
    "The public door through which the outside world wakes a waiting workflow: no API token, the signed token is the capability. The body (JSON, a form, or text) becomes an event of the token's type for the token's instance.";
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/hooks/{token}",
    tags: ["Webhooks"],
    summary: "Deliver a webhook",
    description,
    security: [],
    request: { params: z.object({ token: z.string().meta({ description: "The signed token from `step.webhook`'s URL" }) }), body },
    responses,
  });
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/hooks",
    tags: ["Webhooks"],
    summary: "Deliver a webhook, the token in a header",
    description: `${description} The token travels in \`Authorization: Bearer <token>\` or \`Cairn-Hook-Token\`, which keeps it out of URLs and request logs.`,
    security: [],
    request: {
      headers: z.object({
        authorization: z.string().optional().meta({ description: "`Bearer <token>`, the token from `step.webhook`" }),
        "cairn-hook-token": z.string().optional().meta({ description: "The token from `step.webhook`, when Authorization cannot be set" }),
      }),
      body,
    },
    responses,
  });
}

/** The provider door is served by `src/hooks/providers/route.ts`; described here with the other doors. */
function describeProviders(app: Api): void {
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/hooks/providers/{name}",
    tags: ["Webhooks"],
    summary: "Deliver a provider's webhook",
    description:
      "One endpoint per provider configured in `workflows/providers.ts` (Stripe, GitHub, any Standard Webhooks sender). No API token: the provider's signature is verified first, and a delivery refused (bad signature, stale timestamp) stores nothing. A verified delivery becomes a named event, as `POST /api/events` publishes it; a repeated event id answers 202 with `duplicate: true` and changes nothing.",
    security: [],
    request: {
      params: z.object({ name: z.string().meta({ description: "The provider's name in `workflows/providers.ts`, e.g. `stripe`" }) }),
      headers: z.object({
        "stripe-signature": z.string().optional().meta({ description: "Stripe: `t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body>`" }),
        "x-hub-signature-256": z.string().optional().meta({ description: "GitHub: `sha256=<hex HMAC-SHA256 of the body>`" }),
        "webhook-signature": z.string().optional().meta({ description: "Standard Webhooks: with `webhook-id` and `webhook-timestamp`" }),
      }),
      body: { required: true, content: { "application/json": { schema: z.unknown() } } },
    },
    responses: {
      202: json(z.union([EventPublished(), EventIgnored()]), "Accepted: the delivery became an event (or was a duplicate), or is one the provider's configuration ignores"),
      ...problemAnswers(PROVIDER_CODES),
    },
  });
}

/** Serves the document at `/openapi.json` (public: it describes shapes, never data). */
export function serveDocument(app: Api): void {
  describeLater(app, () => {
    describeHooks(app);
    describeProviders(app);
    app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
      type: "http",
      scheme: "bearer",
      description: "API_TOKEN (everything) or API_TOKEN_READONLY (GET only)",
    });
  });
  // Generated once per isolate: the definitions do not change while it lives.
  let generated: ReturnType<typeof document> | undefined;
  route(
    app,
    { method: "get", path: "/openapi.json" },
    () => ({
      tags: ["Reference"],
      summary: "This document",
      security: [],
      responses: { 200: json(z.record(z.string(), z.unknown()), "The OpenAPI 3.1 document") },
    }),
    (c) => {
      generated ??= document(app);
      // The server is whoever was asked: a Worker may answer on several hostnames.
      return c.json({ ...generated, servers: [{ url: new URL(c.req.url).origin }] } as Record<string, unknown>);
    },
  );
}

/** The document itself. */
export function document(app: Api) {
  for (const describe of undescribed.get(app)?.splice(0) ?? []) describe();
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Cairn",
      version: "1",
      description:
        "Durable workflows on Cloudflare's edge: start instances, read their journals, send them events, operate them. Errors are application/problem+json with a stable `code`.",
    },
    security: [{ bearer: [] }],
    tags: [
      { name: "Workflows", description: "What can run here, and starting it" },
      { name: "Instances", description: "One instance: read it, send it events, operate it" },
      { name: "Search", description: "List, search and count instances (the D1 index)" },
      { name: "Bulk", description: "One action on every instance a search matches, as a durable job" },
      { name: "Schedules", description: "Start instances on a cron schedule" },
      { name: "Events", description: "Named events: triggers, correlation, provider webhooks" },
      { name: "Webhooks", description: "Signed callback URLs, and providers' webhooks at one endpoint each" },
      { name: "Reference", description: "This description" },
    ],
  });
}
