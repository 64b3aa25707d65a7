/**
 * Every `/api` route needs `Authorization: Bearer <token>`: `API_TOKEN` may do
 * everything, `API_TOKEN_READONLY` may only read (GET, HEAD). Tokens are compared in
 * constant time (Hono's `timingSafeEqual`). Without `API_TOKEN` configured the API
 * refuses every request: Cairn never runs open.
 */
import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import type { Env } from "../env.js";
import { ApiError } from "./problem.js";

export type Access = "full" | "readonly";

const READ_METHODS = new Set(["GET", "HEAD"]);

/** Which access a presented token grants, if any. */
export async function accessFor(env: Env, presented: string | undefined): Promise<Access | undefined> {
  if (!presented) return undefined;
  const [full, readonly] = await Promise.all([
    env.API_TOKEN ? timingSafeEqual(presented, env.API_TOKEN) : false,
    env.API_TOKEN_READONLY ? timingSafeEqual(presented, env.API_TOKEN_READONLY) : false,
  ]);
  return full ? "full" : readonly ? "readonly" : undefined;
}

export function notConfigured(): ApiError {
  return new ApiError(
    "AUTH_NOT_CONFIGURED",
    "Cairn refuses every request until an API token is set: run `npx wrangler secret put API_TOKEN` (and optionally API_TOKEN_READONLY), or for local development put API_TOKEN in .dev.vars (`npm start` creates one)",
  );
}

export function requireToken(): MiddlewareHandler<{ Bindings: Env; Variables: { access: Access } }> {
  return async (c, next) => {
    if (!c.env.API_TOKEN) throw notConfigured();
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const access = await accessFor(c.env, match?.[1]);
    if (!access) {
      c.header("www-authenticate", 'Bearer realm="cairn"');
      throw new ApiError("UNAUTHORIZED", header ? "the bearer token is not valid" : "send `Authorization: Bearer <API_TOKEN>`");
    }
    if (access === "readonly" && !READ_METHODS.has(c.req.method)) {
      throw new ApiError("READ_ONLY_TOKEN", `the read-only token may not ${c.req.method}; use API_TOKEN for changes`);
    }
    c.set("access", access);
    await next();
  };
}
