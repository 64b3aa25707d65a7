/**
 * Webhook tokens: capabilities that name one instance, one event type and an
 * expiry, signed with HMAC-SHA256 under `WEBHOOK_SECRET`. Whoever holds the token
 * may deliver events of that type to that instance until it expires, and nothing
 * else. Format: `<base64url claims JSON>.<base64url signature>`.
 */

export interface HookClaims {
  instanceId: string;
  eventType: string;
  /** Epoch ms after which the token is refused (410). */
  expiresAt: number;
  /** When set, deliveries must carry a Standard Webhooks signature made with the secret in this env variable. */
  verifyWith?: string;
}

type WireClaims = { i: string; t: string; e: number; v?: string };

const encoder = new TextEncoder();

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function key(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

export async function signHookToken(secret: string, claims: HookClaims): Promise<string> {
  const wire: WireClaims = { i: claims.instanceId, t: claims.eventType, e: claims.expiresAt, ...(claims.verifyWith && { v: claims.verifyWith }) };
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
  if (dot <= 0 || token.length > 2_000 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const body = token.slice(0, dot);
  let signature: Uint8Array<ArrayBuffer>;
  try {
    signature = fromBase64url(token.slice(dot + 1));
  } catch {
    return undefined;
  }
  if (!(await crypto.subtle.verify("HMAC", await key(secret), signature, encoder.encode(body)))) return undefined;
  const wire = JSON.parse(new TextDecoder().decode(fromBase64url(body))) as WireClaims;
  return { instanceId: wire.i, eventType: wire.t, expiresAt: wire.e, ...(wire.v && { verifyWith: wire.v }) };
}
