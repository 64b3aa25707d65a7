/**
 * Webhook tokens: capabilities that name one instance, one event type and an
 * expiry, signed with HMAC-SHA256 under `WEBHOOK_SECRET`. Whoever holds the token
 * may deliver events of that type to that instance until it expires, and nothing
 * else. Format: `<base64url claims JSON>.<base64url signature>`, each part in its one
 * canonical spelling (a token is accepted exactly as it was minted).
 */
import { MAX_HOOK_TOKEN_LENGTH } from "../lib/bounds.js";
import { base64url, fromBase64url } from "../lib/base64url.js";

export interface HookClaims {
  instanceId: string;
  eventType: string;
  /** Epoch ms after which the token is refused (410). */
  expiresAt: number;
  /** When set, deliveries must carry a Standard Webhooks signature made with the secret in this env variable. */
  verifyWith?: string;
  /** The generation of the instance the token was minted for; absent in tokens minted before tokens carried one. */
  generation?: string;
}

type WireClaims = { i: string; t: string; e: number; v?: string; g?: string };

const encoder = new TextEncoder();

async function key(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

export async function signHookToken(secret: string, claims: HookClaims): Promise<string> {
  const wire: WireClaims = {
    i: claims.instanceId,
    t: claims.eventType,
    e: claims.expiresAt,
    ...(claims.verifyWith && { v: claims.verifyWith }),
    ...(claims.generation && { g: claims.generation }),
  };
  const body = base64url(encoder.encode(JSON.stringify(wire)));
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", await key(secret), encoder.encode(body)));
  return `${body}.${base64url(signature)}`;
}

/**
 * The claims of a token whose signature is good, or `undefined` for anything else.
 * The signature is checked by WebCrypto's `verify` (constant time) before the claims
 * are read, so a forged token learns nothing.
 */
export async function verifyHookToken(secret: string, token: string): Promise<HookClaims | undefined> {
  const dot = token.indexOf(".");
  if (dot <= 0 || token.length > MAX_HOOK_TOKEN_LENGTH) return undefined;
  const body = token.slice(0, dot);
  const signature = fromBase64url(token.slice(dot + 1));
  if (!signature) return undefined;
  if (!(await crypto.subtle.verify("HMAC", await key(secret), signature, encoder.encode(body)))) return undefined;
  const claims = fromBase64url(body);
  if (!claims) return undefined;
  const wire = JSON.parse(new TextDecoder().decode(claims)) as WireClaims;
  return { instanceId: wire.i, eventType: wire.t, expiresAt: wire.e, ...(wire.v && { verifyWith: wire.v }), ...(wire.g && { generation: wire.g }) };
}
