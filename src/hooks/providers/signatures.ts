/**
 * The signature schemes of provider webhooks, besides Standard Webhooks
 * (../standard-webhooks.ts). Each checks an HMAC-SHA256 of the raw body against
 * every secret given (several during a rotation) with WebCrypto's `verify`, which
 * compares in constant time.
 *
 * - Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, signed over
 *   `<t>.<raw body>` with the endpoint's secret (`whsec_…`, used as it is). A
 *   timestamp more than 5 minutes from now is stale, however well signed.
 * - GitHub: `X-Hub-Signature-256: sha256=<hex>`, signed over the raw body. GitHub
 *   signs no time: a replay is caught by its delivery id (`X-GitHub-Delivery`).
 */

/** Signed times further than this from now are refused as stale. */
export const TOLERANCE_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; stale?: true; reason: string };

function hexBytes(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text)) return undefined;
  return Uint8Array.from(text.match(/../g)!, (pair) => parseInt(pair, 16));
}

function concat(prefix: string, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = new TextEncoder().encode(prefix);
  const signed = new Uint8Array(head.byteLength + body.byteLength);
  signed.set(head);
  signed.set(body, head.byteLength);
  return signed;
}

/** True when one of `candidates` is the HMAC-SHA256 of `signed` under one of `secrets`. */
async function anyMatches(secrets: string[], candidates: Uint8Array<ArrayBuffer>[], signed: Uint8Array<ArrayBuffer>): Promise<boolean> {
  for (const secret of secrets) {
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    for (const candidate of candidates) if (await crypto.subtle.verify("HMAC", key, candidate, signed)) return true;
  }
  return false;
}

export async function verifyStripe(headers: Headers, body: Uint8Array, secrets: string[], nowMs = Date.now()): Promise<SignatureCheck> {
  const header = headers.get("stripe-signature");
  if (!header) return { ok: false, reason: "the Stripe-Signature header is missing" };
  const pairs = header.split(",").map((part) => {
    const at = part.indexOf("=");
    return at < 0 ? ["", ""] : [part.slice(0, at).trim(), part.slice(at + 1).trim()];
  });
  const timestamp = pairs.find(([name]) => name === "t")?.[1];
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "the Stripe-Signature header has no timestamp (t=)" };
  const candidates = pairs.filter(([name]) => name === "v1").map(([, value]) => hexBytes(value!)).filter((bytes) => bytes !== undefined);
  if (candidates.length === 0) return { ok: false, reason: "the Stripe-Signature header has no v1 signature" };
  if (!(await anyMatches(secrets, candidates, concat(`${timestamp}.`, body)))) return { ok: false, reason: "no v1 signature matches" };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) {
    return { ok: false, stale: true, reason: `the signed timestamp ${timestamp} is more than ${TOLERANCE_SECONDS / 60} minutes from now` };
  }
  return { ok: true };
}

export async function verifyGitHub(headers: Headers, body: Uint8Array, secrets: string[]): Promise<SignatureCheck> {
  const header = headers.get("x-hub-signature-256");
  if (!header) return { ok: false, reason: "the X-Hub-Signature-256 header is missing" };
  const candidate = header.startsWith("sha256=") ? hexBytes(header.slice("sha256=".length)) : undefined;
  if (!candidate) return { ok: false, reason: "X-Hub-Signature-256 is not sha256=<hex>" };
  if (!(await anyMatches(secrets, [candidate], Uint8Array.from(body)))) return { ok: false, reason: "the signature does not match" };
  return { ok: true };
}
