/**
 * The OpenAPI 3.1 description of the API, generated from the route definitions and
 * zod schemas the handlers use (never written by hand), served at `/openapi.json`.
 *
 * Routes are declared with `route(app, definition, handler)`: the definition goes
 * into the document, the handler is mounted at its path. The handler checks the
 * request itself, with the very schemas the definition names, through the API's
 * one validation pipeline (`validate.ts`): that pipeline's order of checks (token,
 * size, content type, JSON syntax, shape) and its problem answers are the API's
 * contract, which the generic validators of `OpenAPIHono.openapi()` would change.
 */
import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { Env } from "../env.js";
import type { Access } from "./auth.js";
import { HookAccepted, Problem } from "./responses.js";

export type ApiEnv = { Bindings: Env; Variables: { access: Access } };
export type Api = OpenAPIHono<ApiEnv>;
export type ApiContext = Context<ApiEnv>;

export const newApi = (): Api => new OpenAPIHono<ApiEnv>();

/** Declares a route: described in the document, and served. */
export function route(app: Api, definition: RouteConfig, handler: (c: ApiContext) => Response | Promise<Response>): void {
  app.openAPIRegistry.registerPath(definition);
  app.on(definition.method.toUpperCase(), definition.path.replaceAll(/\{(\w+)\}/g, ":$1"), handler);
}

const PROBLEMS: Record<number, string> = {
  400: "MALFORMED_JSON: the body is not JSON",
  401: "UNAUTHORIZED: no token, or a wrong one",
  403: "READ_ONLY_TOKEN: the read-only token asked for a change",
  404: "WORKFLOW_NOT_FOUND, INSTANCE_NOT_FOUND, SCHEDULE_NOT_FOUND: nothing by that name",
  409: "INSTANCE_EXISTS, INSTANCE_FINISHED, INVALID_TRANSITION (`currentStatus` names the status)",
  413: "BODY_TOO_LARGE: body over 1 MiB",
  415: "UNSUPPORTED_MEDIA_TYPE: a body that is not application/json",
  422: "INVALID_INPUT, INVALID_ID, STEP_NOT_FOUND, FORK_TOO_LARGE, STEP_NOT_RESOLVABLE: the request breaks a rule (`errors` lists each field)",
  503: "AUTH_NOT_CONFIGURED: no API_TOKEN is set; INDEX_UNAVAILABLE: D1 cannot be reached",
};

/** Problem answers of a route, by status; every `/api` route may also answer 401 and 503. */
export function problems(...statuses: number[]): RouteConfig["responses"] {
  const all = [...new Set([...statuses, 401, 503])].sort();
  return Object.fromEntries(
    all.map((status) => [status, { description: PROBLEMS[status] ?? "A problem", content: { "application/problem+json": { schema: Problem } } }]),
  );
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
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/hooks/{token}",
    tags: ["Webhooks"],
    summary: "Deliver a webhook",
    description:
      "The public door through which the outside world wakes a waiting workflow: no API token, the signed URL is the capability. The body (JSON, a form, or text) becomes an event of the token's type for the token's instance.",
    security: [],
    request: {
      params: z.object({ token: z.string().meta({ description: "The signed token from `step.webhook`'s URL" }) }),
      body: {
        required: false,
        content: {
          "application/json": { schema: z.unknown() },
          "application/x-www-form-urlencoded": { schema: z.record(z.string(), z.string()) },
          "text/plain": { schema: z.string() },
        },
      },
    },
    responses: {
      202: json(HookAccepted, "Accepted: the delivery became an event"),
      ...Object.fromEntries(
        [
          [400, "MALFORMED_JSON, MALFORMED_BODY"],
          [401, "BAD_SIGNATURE: the URL or the delivery's signature is not valid"],
          [404, "INSTANCE_NOT_FOUND"],
          [409, "INSTANCE_FINISHED"],
          [410, "WEBHOOK_EXPIRED"],
          [413, "BODY_TOO_LARGE"],
          [415, "UNSUPPORTED_MEDIA_TYPE"],
          [503, "WEBHOOKS_NOT_CONFIGURED"],
        ].map(([status, description]) => [status, { description: String(description), content: { "application/problem+json": { schema: Problem } } }]),
      ),
    },
  });
}

/** Serves the document at `/openapi.json` (public: it describes shapes, never data). */
export function serveDocument(app: Api): void {
  describeHooks(app);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "API_TOKEN (everything) or API_TOKEN_READONLY (GET only)",
  });
  // Generated once per isolate: the definitions do not change while it lives.
  let generated: ReturnType<typeof document> | undefined;
  route(
    app,
    {
      method: "get",
      path: "/openapi.json",
      tags: ["Reference"],
      summary: "This document",
      security: [],
      responses: { 200: json(z.record(z.string(), z.unknown()), "The OpenAPI 3.1 document") },
    },
    (c) => {
      generated ??= document(app);
      // The server is whoever was asked: a Worker may answer on several hostnames.
      return c.json({ ...generated, servers: [{ url: new URL(c.req.url).origin }] } as Record<string, unknown>);
    },
  );
}

/** The document itself. */
export function document(app: Api) {
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
      { name: "Schedules", description: "Start instances on a cron schedule" },
      { name: "Webhooks", description: "Signed callback URLs" },
      { name: "Reference", description: "This description" },
    ],
  });
}
