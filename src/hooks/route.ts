/**
 * The public door through which the outside world wakes a waiting workflow. No API
 * token: the signed webhook token is the capability. The body becomes an event of
 * the token's type for the token's instance. Two forms, the same answers:
 *
 * - `POST /hooks/:token`: the URL `step.webhook` hands out;
 * - `POST /hooks` with the token in `Authorization: Bearer <token>` or
 *   `Cairn-Hook-Token: <token>`: keeps the token out of the URL, and so out of the
 *   platform's request logs.
 *
 * Answers: 202 accepted · 401 bad signature · 410 expired · 404 unknown instance ·
 * 409 finished instance · 413 too large · 415 not JSON, form or text · 400 malformed ·
 * 422 JSON too deep, or with an inexact number or a forbidden key.
 * Tokens and secrets never appear in logs or error bodies.
 */
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Env } from "../env.js";
import { ApiError, refused } from "../api/problem.js";
import type { HttpCode } from "../lib/codes.js";
import { jsonProblem, notUtf8 } from "../api/validate.js";
import { HOOK_EVENT_ID_PREFIX, ID_PATTERN } from "../lib/ids.js";
import { base64url } from "../lib/base64url.js";
import { HOOK_PARSE_UP_TO_BYTES, MAX_HOOK_BYTES } from "../lib/bounds.js";
import { JsonError, decodeUtf8, parseJson } from "../lib/json.js";
import { verifyStandardWebhook } from "./standard-webhooks.js";
import { verifyHookToken } from "./token.js";

export { MAX_HOOK_BYTES };

/** What a delivery becomes: the event's payload. */
export interface HookPayload {
  contentType: string;
  /** The body exactly as received (UTF-8 text). */
  raw: string;
  /** JSON bodies parsed; form bodies as an object of fields (absent above 512 KiB: parse `raw`). */
  body?: unknown;
}

/** What the webhook door may answer, for the OpenAPI document. */
export const HOOK_CODES: readonly HttpCode[] = [
  "MALFORMED_JSON",
  "MALFORMED_BODY",
  "BAD_SIGNATURE",
  "INSTANCE_NOT_FOUND",
  "INSTANCE_FINISHED",
  "INBOX_FULL",
  "WEBHOOK_EXPIRED",
  "BODY_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "JSON_TOO_DEEP",
  "JSON_NUMBER_UNSAFE",
  "JSON_KEY_FORBIDDEN",
  "INTERNAL",
  "WEBHOOKS_NOT_CONFIGURED",
];

const badSignature = (detail = "the webhook URL is not valid") => new ApiError("BAD_SIGNATURE", detail);

function readPayload(contentType: string, bytes: Uint8Array): HookPayload {
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  const isJson = mediaType === "application/json" || mediaType.endsWith("+json");
  const isForm = mediaType === "application/x-www-form-urlencoded";
  if (!isJson && !isForm && !mediaType.startsWith("text/")) {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "a webhook delivery is JSON, a form (application/x-www-form-urlencoded) or text/*");
  }
  const raw = decodeUtf8(bytes);
  if (raw === undefined) throw notUtf8();
  const payload: HookPayload = { contentType: mediaType, raw };
  const parse = bytes.byteLength <= HOOK_PARSE_UP_TO_BYTES;
  if (isJson) {
    // Checked whatever the size, so that a JSON delivery is refused or accepted the same way as an API body.
    let body: unknown;
    try {
      body = parseJson(raw);
    } catch (error) {
      if (error instanceof JsonError) throw jsonProblem(error);
      throw error;
    }
    if (parse) payload.body = body;
  } else if (isForm && parse) {
    payload.body = Object.fromEntries(new URLSearchParams(raw));
  }
  return payload;
}

/**
 * The event id of a delivery, from the sender's own id: `hook:<id>` when that is a
 * valid id, else `hook:<digest of it>`. The prefix keeps it apart from ids sent
 * through the API, which may not use it.
 */
async function eventIdFrom(senderId: string | undefined): Promise<string | undefined> {
  if (!senderId) return undefined;
  const plain = `${HOOK_EVENT_ID_PREFIX}${senderId}`;
  if (ID_PATTERN.test(plain)) return plain;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(senderId)));
  return `${HOOK_EVENT_ID_PREFIX}${base64url(digest).slice(0, 43)}`;
}

/** The token of a `POST /hooks` delivery, from its headers. */
function tokenFromHeaders(c: Context): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
  return bearer ?? c.req.header("cairn-hook-token")?.trim();
}

async function deliver(c: Context<{ Bindings: Env }>, token: string | undefined): Promise<Response> {
  const secret = c.env.WEBHOOK_SECRET;
  if (!secret) {
    throw new ApiError("WEBHOOKS_NOT_CONFIGURED", "set WEBHOOK_SECRET (`npx wrangler secret put WEBHOOK_SECRET`) to accept webhook deliveries");
  }
  if (!token) throw badSignature("send the webhook token in the URL (/hooks/<token>), or as `Authorization: Bearer <token>` or `Cairn-Hook-Token: <token>`");
  const claims = await verifyHookToken(secret, token);
  if (!claims) throw badSignature();
  if (claims.expiresAt <= Date.now()) {
    throw new ApiError("WEBHOOK_EXPIRED", `this webhook URL expired at ${new Date(claims.expiresAt).toISOString()}`);
  }
  const bytes = new Uint8Array(await c.req.arrayBuffer());

  let senderId = c.req.header("webhook-id") ?? c.req.header("idempotency-key");
  if (claims.verifyWith) {
    const secrets = (c.env as unknown as Record<string, unknown>)[claims.verifyWith];
    if (typeof secrets !== "string" || secrets.trim() === "") {
      throw new ApiError("WEBHOOKS_NOT_CONFIGURED", "the signing secret this webhook requires is not configured on the server");
    }
    const verified = await verifyStandardWebhook(c.req.raw.headers, bytes, secrets.trim().split(/\s+/));
    if (!verified.ok) throw badSignature(`the delivery's signature was refused: ${verified.reason}`);
    senderId = verified.id;
  }

  const payload = readPayload(c.req.header("content-type") ?? "", bytes);
  const id = await eventIdFrom(senderId);
  const stub = c.env.WORKFLOW_INSTANCE.get(c.env.WORKFLOW_INSTANCE.idFromName(claims.instanceId));
  const result = await stub.sendEvent({
    type: claims.eventType,
    payload: JSON.stringify(payload),
    generation: claims.generation ?? null,
    ...(id !== undefined && { id }),
  });
  // Named without its id: the caller holds a capability, not necessarily the id.
  if (!result.ok) throw refused(result, { instance: "the instance this webhook belongs to" });
  return c.json({ accepted: true, duplicate: result.duplicate }, 202);
}

export function hookRoutes() {
  const routes = new Hono<{ Bindings: Env }>();
  const limit = bodyLimit({
    maxSize: MAX_HOOK_BYTES,
    onError: () => {
      throw new ApiError("BODY_TOO_LARGE", `a webhook delivery is at most ${MAX_HOOK_BYTES} bytes`);
    },
  });
  routes.post("/hooks/:token", limit, (c) => deliver(c, c.req.param("token")));
  routes.post("/hooks", limit, (c) => deliver(c, tokenFromHeaders(c)));
  return routes;
}
