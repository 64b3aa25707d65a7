/**
 * Who the dashboard answers, over plain HTTP: browsers only (API clients get the
 * API's 404 problem), signed-in sessions only, posts from this origin only, and
 * nobody at all when no API token is configured.
 */
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../src/api/app.js";
import type { Env } from "../../src/env.js";
import { registry } from "../../src/workflow.js";

const { url, tokens } = inject("cairn");
const html = { accept: "text/html,application/xhtml+xml" };

async function signIn(token: string): Promise<string> {
  const res = await fetch(`${url}/login`, {
    method: "POST",
    headers: { ...html, origin: url, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token, next: "/" }),
    redirect: "manual",
  });
  expect(res.status).toBe(303);
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

describe("dashboard access", () => {
  it("answers API clients at / with the API's 404 problem, and browsers with the sign-in page", async () => {
    const api = await fetch(`${url}/`, { headers: { accept: "application/json" } });
    expect(api.status).toBe(404);
    expect(api.headers.get("content-type")).toBe("application/problem+json");
    expect(await api.json()).toMatchObject({ code: "ROUTE_NOT_FOUND" });
    const browser = await fetch(`${url}/instances/x?a=1`, { headers: html, redirect: "manual" });
    expect(browser.status).toBe(303);
    expect(browser.headers.get("location")).toBe(`/login?next=${encodeURIComponent("/instances/x?a=1")}`);
  });

  it("refuses a wrong token, and a sign-in posted from another site", async () => {
    const wrong = await fetch(`${url}/login`, {
      method: "POST",
      headers: { ...html, origin: url, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: "nope" }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(await wrong.text()).toContain("That token is not valid");
    const crossSite = await fetch(`${url}/login`, {
      method: "POST",
      headers: { ...html, origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.full }),
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get("set-cookie")).toBeNull();
  });

  it("goes back only to a path on this site after signing in", async () => {
    for (const [next, expected] of [["/instances/x", "/instances/x"], ["//evil.example/", "/"], ["/\\evil.example", "/"], ["https://evil.example", "/"]]) {
      const res = await fetch(`${url}/login`, {
        method: "POST",
        headers: { ...html, origin: url, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: tokens.readonly, next: next! }),
        redirect: "manual",
      });
      expect(res.headers.get("location"), next).toBe(expected);
    }
  });

  it("signs sessions: a tampered cookie is no session, and the cookie never holds the token", async () => {
    const cookie = await signIn(tokens.readonly);
    expect(cookie).not.toContain(tokens.readonly);
    const ok = await fetch(`${url}/`, { headers: { ...html, cookie }, redirect: "manual" });
    expect(ok.status).toBe(200);
    const forged = cookie.replace("=readonly.", "=full.");
    const refused = await fetch(`${url}/`, { headers: { ...html, cookie: forged }, redirect: "manual" });
    expect(refused.status).toBe(303);
  });

  it("refuses everything, saying how to set a token, when no API token is configured", async () => {
    const app = createApp(registry());
    for (const path of ["/", "/login", "/instances/x"]) {
      const res = await app.request(path, { headers: html }, { API_TOKEN_READONLY: "ro" } as Partial<Env>);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain("wrangler secret put API_TOKEN");
    }
  });
});
