/**
 * `POST /hooks/:token`: the public door through which the outside world wakes a
 * waiting workflow. No API token: the signed webhook token is the capability. The
 * body becomes an event of the token's type for the token's instance.
 *
 * Answers: 202 accepted · 401 bad signature · 410 expired · 404 unknown instance ·
 * 409 finished instance · 413 too large · 415 not JSON, form or text · 400 malformed.
 * Tokens and secrets never appear in logs or error bodies.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Env } from "../env.js";
import { ApiError, refused } from "../api/problem.js";
import { ID_PATTERN } from "../api/validate.js";
import type { HttpCode } from "../lib/codes.js";
import { verifyStandardWebhook } from "./standard-webhooks.js";
import { base64url, verifyHookToken } from "./token.js";

/** Largest delivery accepted (bytes). */
export const MAX_HOOK_BYTES = 1024 * 1024;
/** Up to this size a JSON or form body is also handed to the workflow parsed, next to the raw text. */
const PARSE_UP_TO_BYTES = 512 * 1024;

/** What the webhook door may answer, for the OpenAPI document. */
export const HOOK_CODES: readonly HttpCode[] = [
  "MALFORMED_JSON",
  "MALFORMED_BODY",
  "BAD_SIGNATURE",
  "INSTANCE_NOT_FOUND",
  "INSTANCE_FINISHED",
  "WEBHOOK_EXPIRED",
  "BODY_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "INTERNAL",
  "WEBHOOKS_NOT_CONFIGURED",
];

/** What a delivery becomes: the event's payload. */
export interface HookPayload {
  contentType: string;
  /** The body exactly as received (UTF-8 text). */
  raw: string;
  /** JSON bodies parsed; form bodies as an object of fields (absent above 512 KiB: parse `raw`). */
  body?: unknown;
}

const badSignature = (detail = "the webhook URL is not valid") => new ApiError("BAD_SIGNATURE", detail);

function readPayload(contentType: string, bytes: Uint8Array): HookPayload {
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  const isJson = mediaType === "application/json" || mediaType.endsWith("+json");
  const isForm = mediaType === "application/x-www-form-urlencoded";
  if (!isJson && !isForm && !mediaType.startsWith("text/")) {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "a webhook delivery is JSON, a form (application/x-www-form-urlencoded) or text/*");
  }
  let raw: string;
  try {
    raw = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError("MALFORMED_BODY", "the body is not valid UTF-8 text");
  }
  const payload: HookPayload = { contentType: mediaType, raw };
  if (bytes.byteLength > PARSE_UP_TO_BYTES) return payload;
  if (isJson) {
    try {
      payload.body = JSON.parse(raw);
    } catch (error) {
      throw new ApiError("MALFORMED_JSON", `the body is not valid JSON: ${(error as Error).message}`);
    }
  } else if (isForm) {
    payload.body = Object.fromEntries(new URLSearchParams(raw));
  }
  return payload;
}

/** An event id from the sender's own id: kept when it is a valid id, else a digest of it. */
async function eventIdFrom(senderId: string | undefined): Promise<string | undefined> {
  if (!senderId) return undefined;
  if (ID_PATTERN.test(senderId)) return senderId;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(senderId)));
  return `hook-${base64url(digest).slice(0, 43)}`;
}

export function hookRoutes() {
  const routes = new Hono<{ Bindings: Env }>();

  routes.post(
    "/hooks/:token",
    bodyLimit({
      maxSize: MAX_HOOK_BYTES,
      onError: () => {
        throw new ApiError("BODY_TOO_LARGE", `a webhook delivery is at most ${MAX_HOOK_BYTES} bytes`);
      },
    }),
    async (c) => {
      const secret = c.env.WEBHOOK_SECRET;
      if (!secret) {
        throw new ApiError("WEBHOOKS_NOT_CONFIGURED", "set WEBHOOK_SECRET (`npx wrangler secret put WEBHOOK_SECRET`) to accept webhook deliveries");
      }
      const claims = await verifyHookToken(secret, c.req.param("token"));
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
      const result = await stub.sendEvent({ type: claims.eventType, payload: JSON.stringify(payload), ...(id !== undefined && { id }) });
      // Named without its id: the caller holds a capability, not necessarily the id.
      if (!result.ok) throw refused(result, { instance: "the instance this webhook belongs to" });
      return c.json({ accepted: true, duplicate: result.duplicate }, 202);
    },
  );

  return routes;
}
