/**
 * Dashboard sessions. The API token is asked for once, at sign-in; the browser then
 * keeps a session cookie (HttpOnly, Secure, SameSite=Strict) that holds the access
 * level, an expiry and an HMAC-SHA256 signature keyed by the token that granted it.
 * The token itself is never stored. Rotating a token ends every session it signed;
 * signing out ends one: its random id goes on the D1 list of revoked sessions, and
 * the cookie is refused from then on, wherever a copy of it is.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { timingSafeEqual } from "hono/utils/buffer";
import type { Access } from "../api/auth.js";
import type { Env } from "../env.js";
import { indexDb } from "../index-db/queries.js";
import { isSessionRevoked, revokeSession } from "../index-db/sessions.js";
import { base64url } from "../lib/base64url.js";

export const SESSION_COOKIE = "cairn_session";
const LIFETIME_SECONDS = 12 * 60 * 60;

const tokenFor = (env: Env, access: Access) => (access === "full" ? env.API_TOKEN : env.API_TOKEN_READONLY);

async function sign(token: string, payload: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(token), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  // The label keeps these signatures apart from any other use of the same token.
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`cairn-dashboard-session.${payload}`));
  return base64url(new Uint8Array(mac));
}

/** Signs in: sets the session cookie for `access`. */
export async function startSession(c: Context, access: Access): Promise<void> {
  const expires = Date.now() + LIFETIME_SECONDS * 1000;
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(12)));
  const payload = `${access}.${expires}.${nonce}`;
  const value = `${payload}.${await sign(tokenFor(c.env as Env, access)!, payload)}`;
  setCookie(c, SESSION_COOKIE, value, { httpOnly: true, secure: true, sameSite: "Strict", path: "/", maxAge: LIFETIME_SECONDS });
}

interface Session {
  access: Access;
  expiresAt: number;
  /** Random, per sign-in: what a sign-out revokes. */
  id: string;
}

/** The request's session if its cookie is well-formed, signed and unexpired (revocation not checked). */
async function signedSession(c: Context): Promise<Session | undefined> {
  const value = getCookie(c, SESSION_COOKIE);
  const parts = value?.split(".");
  if (!parts || parts.length !== 4) return undefined;
  const [access, expires, nonce, signature] = parts as [string, string, string, string];
  if (access !== "full" && access !== "readonly") return undefined;
  if (!(Number(expires) > Date.now())) return undefined;
  const token = tokenFor(c.env as Env, access);
  if (!token) return undefined;
  const expected = await sign(token, `${access}.${expires}.${nonce}`);
  return (await timingSafeEqual(signature, expected)) ? { access, expiresAt: Number(expires), id: nonce } : undefined;
}

/** The access of the request's session, if it has a valid one that was not signed out. */
export async function sessionAccess(c: Context): Promise<Access | undefined> {
  const session = await signedSession(c);
  if (!session) return undefined;
  return (await isSessionRevoked(indexDb((c.env as Env).DB), session.id)) ? undefined : session.access;
}

/** Signs out: revokes the session server-side, then clears the cookie. */
export async function endSession(c: Context): Promise<void> {
  const session = await signedSession(c);
  if (session) await revokeSession(indexDb((c.env as Env).DB), session.id, session.expiresAt);
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true, httpOnly: true, sameSite: "Strict" });
}
