/**
 * The dashboard's doors: where sign-in may send a browser next, a sign-out that
 * ends the session on the server, and headers that keep pages out of frames.
 */
import { SELF } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { safeNext } from "../../src/dashboard/routes.js";
import { TOKENS } from "../helpers.js";

const ORIGIN = "http://cairn.test";
const page = (path: string, init: RequestInit = {}) =>
  SELF.fetch(`${ORIGIN}${path}`, { redirect: "manual", ...init, headers: { accept: "text/html", ...(init.headers as Record<string, string>) } });

async function signIn(next = "/"): Promise<{ response: Response; cookie: string }> {
  const response = await page("/login", {
    method: "POST",
    headers: { origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: TOKENS.full, next }).toString(),
  });
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0]!;
  return { response, cookie };
}

suite("sign-in's next", () => {
  it.each([
    ["/\t/evil.example", "/"],
    ["//evil.example", "/"],
    ["/\\evil.example", "/"],
    ["/a/\\evil.example", "/"],
    ["/ok//evil.example", "/"],
    ["/\r\nSet-Cookie: x=1", "/"],
    ["/x\ny", "/"],
    ["https://evil.example/", "/"],
    ["javascript:alert(1)", "/"],
    ["", "/"],
    ["/instances/a-1?tab=steps", "/instances/a-1?tab=steps"],
    ["/schedules", "/schedules"],
  ])("%j leads to %j", (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });

  it("redirects off-site nowhere, and a CR or LF in next is no 500", async () => {
    for (const next of ["/\t/evil.example", "/\r\n/evil.example", "/\n", "//evil.example"]) {
      const { response } = await signIn(next);
      expect(response.status, next).toBe(303);
      expect(response.headers.get("location")).toBe("/");
    }
    const form = await page(`/login?next=${encodeURIComponent("/\t/evil.example")}`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="next" value="/"');
    const { response } = await signIn("/schedules");
    expect(response.headers.get("location")).toBe("/schedules");
  });
});

suite("sign-out", () => {
  it("revokes the session on the server: the same cookie is refused afterwards", async () => {
    const { cookie } = await signIn();
    expect(cookie).toMatch(/^cairn_session=/);
    expect((await page("/", { headers: { cookie } })).status).toBe(200);
    const out = await page("/logout", { method: "POST", headers: { cookie, origin: ORIGIN } });
    expect(out.status).toBe(303);
    const after = await page("/", { headers: { cookie } });
    expect(after.status).toBe(303);
    expect(after.headers.get("location")).toMatch(/^\/login/);
    // Another session is untouched.
    const other = await signIn();
    expect((await page("/", { headers: { cookie: other.cookie } })).status).toBe(200);
  });
});

suite("security headers", () => {
  it("keep dashboard pages out of frames, unsniffed and without referrer to other sites", async () => {
    const { cookie } = await signIn();
    for (const res of [await page("/login"), await page("/", { headers: { cookie } })]) {
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
    }
  });
});
