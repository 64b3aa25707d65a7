/**
 * Verifies deliveries signed under the Standard Webhooks scheme (used by many
 * providers): headers `webhook-id`, `webhook-timestamp` (unix seconds) and
 * `webhook-signature` (space-separated `v1,<base64 HMAC-SHA256>` entries, several
 * during a key rotation), signed over `<id>.<timestamp>.<raw body>`. Secrets are
 * `whsec_<base64>`; an env variable may hold several, separated by spaces.
 */

/** Deliveries older or newer than this are refused, as the scheme recommends. */
export const TOLERANCE_SECONDS = 5 * 60;

/** `stale`: the timestamp is too far from now (an old delivery replayed, or a clock off). */
export type Verification = { ok: true; id: string } | { ok: false; stale?: true; reason: string };

function secretBytes(secret: string): Uint8Array<ArrayBuffer> {
  const encoded = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : null;
  if (encoded === null) return Uint8Array.from(new TextEncoder().encode(secret));
  const binary = atob(encoded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

export async function verifyStandardWebhook(
  headers: Headers,
  rawBody: Uint8Array<ArrayBuffer>,
  secrets: string[],
  nowMs = Date.now(),
): Promise<Verification> {
  const id = headers.get("webhook-id");
  const timestamp = headers.get("webhook-timestamp");
  const signatures = headers.get("webhook-signature");
  if (!id || !timestamp || !signatures) return { ok: false, reason: "webhook-id, webhook-timestamp and webhook-signature headers are required" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "webhook-timestamp is not a unix time in seconds" };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return { ok: false, stale: true, reason: "webhook-timestamp is more than 5 minutes away from now" };

  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.byteLength + rawBody.byteLength);
  signed.set(prefix);
  signed.set(rawBody, prefix.byteLength);

  const candidates = signatures
    .split(" ")
    .filter((entry) => entry.startsWith("v1,"))
    .map((entry) => decodeBase64(entry.slice(3)))
    .filter((bytes): bytes is Uint8Array<ArrayBuffer> => bytes !== undefined);
  for (const secret of secrets) {
    const key = await crypto.subtle.importKey("raw", secretBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    for (const candidate of candidates) {
      if (await crypto.subtle.verify("HMAC", key, candidate, signed)) return { ok: true, id };
    }
  }
  return { ok: false, reason: "no webhook-signature matches" };
}
