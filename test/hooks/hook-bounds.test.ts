/**
 * The webhook door's bounds and forms: bodies are read as strictly as the API's,
 * a token has one spelling, the token may travel in a header instead of the URL,
 * it never reaches a log Cairn writes, and delivery ids never collide with API ids.
 */
import { SELF } from "cloudflare:test";
import { afterEach, describe as suite, expect, it, vi } from "vitest";
import { api, start, uniqueId, waitForStatus, waitUntil } from "../helpers.js";

type Delivery = { id: string; payload: { contentType: string; raw: string; body?: unknown } };

async function hookFor(prefix: string, input: Record<string, unknown> = {}) {
  const id = uniqueId(prefix);
  await start("test-hooked", { id, input });
  const view = await waitUntil(id, (v) => v.steps[0]?.status === "completed", "with its webhook");
  const hook = view.steps[0]!.result as { url: string; token: string };
  return { id, hook };
}

const deliver = (url: string, body: BodyInit, headers: Record<string, string> = { "content-type": "application/json" }) =>
  SELF.fetch(url, { method: "POST", body, headers });

async function expectProblem(res: Response, status: number, code: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(JSON.parse(text)).toMatchObject({ code });
  return text;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

afterEach(() => {
  vi.restoreAllMocks();
});

suite("webhook bodies are read as strictly as API bodies", () => {
  it("refuses a body nested 5,000 deep, an inexact number and __proto__ with 422; the instance stays readable and waiting", async () => {
    const { id, hook } = await hookFor("hook-deep");
    await expectProblem(await deliver(hook.url, `${"[".repeat(5_000)}1${"]".repeat(5_000)}`), 422, "JSON_TOO_DEEP");
    await expectProblem(await deliver(hook.url, '{"amount":1e400}'), 422, "JSON_NUMBER_UNSAFE");
    await expectProblem(await deliver(hook.url, '{"id":12345678901234567890123}'), 422, "JSON_NUMBER_UNSAFE");
    await expectProblem(await deliver(hook.url, '{"__proto__":{"x":1}}'), 422, "JSON_KEY_FORBIDDEN");
    const read = await api(`/api/instances/${id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ status: "waiting" });
  });

  it("refuses invalid UTF-8 with the same 400 MALFORMED_BODY as /api", async () => {
    const { hook } = await hookFor("hook-utf8");
    await expectProblem(await deliver(hook.url, new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d])), 400, "MALFORMED_BODY");
  });
});

suite("webhook tokens", () => {
  it("are accepted in exactly one spelling: the spare bits of the last character must be zero", async () => {
    const { id, hook } = await hookFor("hook-spelling");
    const last = hook.token.at(-1)!;
    const value = ALPHABET.indexOf(last);
    // A 32-byte signature leaves 2 spare bits in its 43rd character: three other spellings decode to the same bytes.
    const variants = [1, 2, 3].map((bits) => `${hook.token.slice(0, -1)}${ALPHABET[(value & ~3) | ((value & 3) ^ bits)]}`);
    for (const variant of variants) {
      await expectProblem(await deliver(`http://cairn.test/hooks/${variant}`, "{}"), 401, "BAD_SIGNATURE");
    }
    expect((await deliver(hook.url, "{}")).status).toBe(202);
    await waitForStatus(id, "completed");
  });

  it("may travel in Authorization or Cairn-Hook-Token instead of the URL", async () => {
    const bearer = await hookFor("hook-bearer");
    const res = await deliver("http://cairn.test/hooks", '{"via":"bearer"}', { "content-type": "application/json", authorization: `Bearer ${bearer.hook.token}` });
    expect(res.status, await res.clone().text()).toBe(202);
    const out = (await waitForStatus(bearer.id, "completed")).output as { received: Delivery[] };
    expect(out.received[0]!.payload.body).toEqual({ via: "bearer" });

    const header = await hookFor("hook-header");
    expect((await deliver("http://cairn.test/hooks", '{"via":"header"}', { "content-type": "application/json", "cairn-hook-token": header.hook.token })).status).toBe(202);
    await waitForStatus(header.id, "completed");

    await expectProblem(await deliver("http://cairn.test/hooks", "{}"), 401, "BAD_SIGNATURE");
    await expectProblem(await deliver("http://cairn.test/hooks", "{}", { "content-type": "application/json", authorization: "Bearer not.a-token" }), 401, "BAD_SIGNATURE");
  });

  it("never reach a log Cairn writes, nor an error body", async () => {
    const logged: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : String(a))).join(" "));
      });
    }
    const { id, hook } = await hookFor("hook-logs");
    const [claims] = hook.token.split(".");
    const wrongMethod = await SELF.fetch(hook.url, { method: "GET", headers: { accept: "application/json" } });
    expect(await wrongMethod.text()).not.toContain(claims!);
    const bad = await deliver(hook.url, "{nope");
    expect(await bad.text()).not.toContain(claims!);
    expect((await deliver(hook.url, "{}")).status).toBe(202);
    await waitForStatus(id, "completed");
    await expectProblem(await deliver(hook.url, "{}"), 409, "INSTANCE_FINISHED");
    for (const line of logged) expect(line).not.toContain(claims!);
  });
});

suite("event ids by source", () => {
  it("a webhook delivery's Idempotency-Key never makes an API event with that id a duplicate", async () => {
    const { id, hook } = await hookFor("hook-id-source", { count: 2 });
    const first = await deliver(hook.url, '{"n":1}', { "content-type": "application/json", "idempotency-key": "same-key" });
    expect(await first.json()).toEqual({ accepted: true, duplicate: false });
    const fromApi = await api(`/api/instances/${id}/events`, { method: "POST", json: { type: "callback", id: "same-key", payload: { via: "api" } } });
    expect(fromApi.status).toBe(202);
    expect(await fromApi.json()).toMatchObject({ accepted: true, duplicate: false, id: "same-key" });
    const out = (await waitForStatus(id, "completed")).output as { received: Delivery[] };
    expect(out.received.map((d) => d.id)).toEqual(["hook:same-key", "same-key"]);
  });
});
