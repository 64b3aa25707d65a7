/**
 * `POST /hooks/providers/:name`: one endpoint per provider configured in code
 * (provider.ts). No API token: the provider's signature is the credential. A
 * delivery is verified before anything else is read; one refused (bad signature
 * 401 `BAD_SIGNATURE`, stale timestamp 401 `SIGNATURE_STALE`) stores nothing. A
 * verified one becomes a named event (src/events/publish.ts): it starts triggers
 * and reaches correlated waits. A replay of an event already published answers 202
 * with `duplicate: true` and changes nothing, so the provider stops retrying.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../../api/problem.js";
import { jsonProblem, notUtf8 } from "../../api/validate.js";
import { EVENT_TYPE_PATTERN, ID_PATTERN } from "../../lib/ids.js";
import type { Env } from "../../env.js";
import { publishEvent } from "../../events/publish.js";
import { base64url } from "../../lib/base64url.js";
import { MAX_CORRELATION_KEY_LENGTH, MAX_HOOK_BYTES } from "../../lib/bounds.js";
import type { HttpCode } from "../../lib/codes.js";
import { JsonError, decodeUtf8, parseJson } from "../../lib/json.js";
import type { WorkflowRegistry } from "../../workflow.js";
import { verifyStandardWebhook } from "../standard-webhooks.js";
import type { Provider, ProviderEvent, Providers } from "./provider.js";
import { verifyGitHub, verifyStripe, type SignatureCheck } from "./signatures.js";

/** What the provider door may answer, for the OpenAPI document. */
export const PROVIDER_CODES: readonly HttpCode[] = [
  "MALFORMED_JSON",
  "MALFORMED_BODY",
  "BAD_SIGNATURE",
  "SIGNATURE_STALE",
  "PROVIDER_NOT_FOUND",
  "BODY_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "JSON_TOO_DEEP",
  "JSON_NUMBER_UNSAFE",
  "JSON_KEY_FORBIDDEN",
  "INVALID_INPUT",
  "EVENT_BUFFER_FULL",
  "INTERNAL",
  "WEBHOOKS_NOT_CONFIGURED",
];

/** Checks the delivery's signature under the provider's scheme; the delivery id it signs, if any. */
async function verify(provider: Provider, headers: Headers, body: Uint8Array<ArrayBuffer>, secrets: string[]): Promise<SignatureCheck & { signedId?: string }> {
  switch (provider.signature) {
    case "stripe":
      return verifyStripe(headers, body, secrets);
    case "github":
      return verifyGitHub(headers, body, secrets);
    case "standard-webhooks": {
      const verified = await verifyStandardWebhook(headers, body, secrets);
      return verified.ok ? { ok: true, signedId: verified.id } : verified;
    }
  }
}

/** The event's id as Cairn keeps it: the provider's when it is a valid id, else a digest of it. */
async function eventId(providerId: string): Promise<string> {
  if (ID_PATTERN.test(providerId)) return providerId;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(providerId)));
  return `sha256:${base64url(digest).slice(0, 43)}`;
}

/** The provider's reading of the delivery, checked: a name and an id it must give, a key within bounds. */
function checked(name: string, event: ProviderEvent): ProviderEvent {
  const problems: { path: string; message: string }[] = [];
  if (typeof event.name !== "string" || !EVENT_TYPE_PATTERN.test(event.name)) problems.push({ path: "name", message: `not an event name: ${JSON.stringify(event.name)}` });
  if (typeof event.id !== "string" || event.id.length === 0 || event.id.length > 1_000) problems.push({ path: "id", message: "the delivery names no event id" });
  if (event.key !== undefined && (typeof event.key !== "string" || event.key.length === 0 || event.key.length > MAX_CORRELATION_KEY_LENGTH)) {
    problems.push({ path: "key", message: `a key is 1 to ${MAX_CORRELATION_KEY_LENGTH} characters` });
  }
  if (problems.length > 0) {
    throw new ApiError("INVALID_INPUT", `provider "${name}" read no usable event from the delivery: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`, { errors: problems });
  }
  return event;
}

export function providerRoutes(workflows: WorkflowRegistry, providers: Providers) {
  const routes = new Hono<{ Bindings: Env }>();
  const limit = bodyLimit({
    maxSize: MAX_HOOK_BYTES,
    onError: () => {
      throw new ApiError("BODY_TOO_LARGE", `a webhook delivery is at most ${MAX_HOOK_BYTES} bytes`);
    },
  });
  routes.post("/hooks/providers/:name", limit, async (c) => {
    const name = c.req.param("name");
    const provider = Object.hasOwn(providers, name) ? providers[name]! : undefined;
    if (!provider) throw new ApiError("PROVIDER_NOT_FOUND", `no webhook provider is configured as "${name.slice(0, 64)}": add it to workflows/providers.ts`);
    const secrets = (c.env as unknown as Record<string, unknown>)[provider.secret];
    if (typeof secrets !== "string" || secrets.trim() === "") {
      throw new ApiError("WEBHOOKS_NOT_CONFIGURED", `set the secret of provider "${name}": \`npx wrangler secret put ${provider.secret}\``);
    }
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const verified = await verify(provider, c.req.raw.headers, bytes, secrets.trim().split(/\s+/));
    if (!verified.ok) {
      if (verified.stale) throw new ApiError("SIGNATURE_STALE", `the delivery is signed for another time: ${verified.reason}; nothing was stored`);
      throw new ApiError("BAD_SIGNATURE", `the delivery's signature was refused: ${verified.reason}`);
    }

    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (mediaType !== "application/json" && !mediaType.endsWith("+json")) {
      throw new ApiError("UNSUPPORTED_MEDIA_TYPE", `a provider's delivery is JSON (got ${mediaType ? `"${mediaType}"` : "no content type"})`);
    }
    const raw = decodeUtf8(bytes);
    if (raw === undefined) throw notUtf8();
    let body: unknown;
    try {
      body = parseJson(raw);
    } catch (error) {
      if (error instanceof JsonError) throw jsonProblem(error);
      throw error;
    }

    const read = provider.event({ body, headers: c.req.raw.headers, ...(verified.signedId !== undefined && { signedId: verified.signedId }) });
    if (!read) return c.json({ accepted: true, ignored: true }, 202);
    const event = checked(name, read);
    const published = await publishEvent(
      c.env,
      workflows,
      { name: event.name, id: await eventId(event.id), ...(event.key !== undefined && { key: event.key }), ...(event.data !== undefined && { data: event.data }) },
      new URL(c.req.url).origin,
    );
    return c.json(published, 202);
  });
  return routes;
}
