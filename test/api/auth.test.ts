/**
 * API authentication: the full token, the read-only token, wrong or missing tokens,
 * and a deployment with no token configured.
 */
import { env } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { createApp } from "../../src/api/app.js";
import { registry } from "../../src/workflow.js";
import { api, uniqueId } from "../helpers.js";

suite("API authentication", () => {
  it.each([
    ["no header", {}],
    ["a wrong token", { authorization: "Bearer nope" }],
    ["another scheme", { authorization: "Basic dGVzdC1hcGktdG9rZW4=" }],
    ["a token with a prefix of the right one", { authorization: "Bearer test-api-toke" }],
  ])("answers 401 with a problem for %s", async (_what, headers) => {
    const res = await api("/api/workflows", { auth: false, headers });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe("UNAUTHORIZED");
    expect(body.detail).not.toContain("test-api-token");
  });

  it("lets the read-only token read and refuses it any change with 403", async () => {
    expect((await api("/api/workflows", { auth: "readonly" })).status).toBe(200);
    expect((await api("/api/instances?limit=1", { auth: "readonly" })).status).toBe(200);
    const id = uniqueId("readonly");
    const res = await api("/api/workflows/test-doomed/instances", { method: "POST", json: { id }, auth: "readonly" });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: "READ_ONLY_TOKEN" });
    expect((await api(`/api/instances/${id}`)).status).toBe(404);
    expect((await api(`/api/instances/${id}`, { method: "DELETE", auth: "readonly" })).status).toBe(403);
  });

  it("checks the token before reading the body", async () => {
    const res = await api("/api/workflows/approval/instances", { method: "POST", auth: false, headers: { "content-type": "application/json" }, body: "{broken" });
    expect(res.status).toBe(401);
  });

  it("refuses every request, saying how to set a token, when none is configured", async () => {
    const app = createApp(registry());
    for (const [method, path] of [["GET", "/api/workflows"], ["POST", "/api/workflows/x/instances"], ["GET", "/api/instances"]] as const) {
      const res = await app.request(path, { method, headers: { authorization: "Bearer anything" } }, { ...env, API_TOKEN: undefined, API_TOKEN_READONLY: "ro" });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { code: string; detail: string };
      expect(body.code).toBe("AUTH_NOT_CONFIGURED");
      expect(body.detail).toContain("wrangler secret put API_TOKEN");
    }
  });
});
