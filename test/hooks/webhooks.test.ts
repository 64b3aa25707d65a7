/**
 * Signed webhook URLs end to end: deliveries become events, every refusal has its
 * status, provider signatures are checked, and concurrent deliveries are exactly-once.
 */
import { SELF, evictDurableObject } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { signHookToken } from "../../src/hooks/token.js";
import { start, stubFor, uniqueId, waitForStatus, waitUntil } from "../helpers.js";

type Delivery = { id: string; payload: { contentType: string; raw: string; body?: unknown } };

/** Starts test-hooked and returns the webhook URL its first step made. */
async function hookFor(prefix: string, input: Record<string, unknown> = {}) {
  const id = uniqueId(prefix);
  await start("test-hooked", { id, input });
  const view = await waitUntil(id, (v) => v.steps[0]?.status === "completed", "with its webhook");
  const hook = view.steps[0]!.result as { url: string; token: string; expiresAt: string; eventType: string };
  return { id, hook };
}

const deliver = (url: string, body: BodyInit, headers: Record<string, string> = { "content-type": "application/json" }) =>
  SELF.fetch(url, { method: "POST", body, headers });

async function problem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const text = await res.text();
  expect(JSON.parse(text)).toMatchObject({ code });
  return text;
}

suite("step.webhook and POST /hooks/:token", () => {
  it("returns a signed URL under the start request's origin, the same on every replay", async () => {
    const { id, hook } = await hookFor("hook-url");
    expect(hook.url).toBe(`http://cairn.test/hooks/${hook.token}`);
    expect(hook.eventType).toBe("callback");
    expect(Date.parse(hook.expiresAt) - Date.now()).toBeGreaterThan(6 * 86_400_000);
    // Replayed after an eviction, the step hands back the journaled URL; a delivery to it still lands.
    await evictDurableObject(stubFor(id));
    expect((await deliver(hook.url, '{"after":"eviction"}')).status).toBe(202);
    const done = await waitForStatus(id, "completed");
    expect(done.steps[0]!.result).toEqual(hook);
    expect((done.output as { url: string }).url).toBe(hook.url);
  });

  it("turns a JSON delivery into an event, with the raw body kept, and needs no API token", async () => {
    const { id, hook } = await hookFor("hook-json");
    const res = await deliver(hook.url, '{"status": "paid", "amount": 1200}');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: true, duplicate: false });
    const view = await waitForStatus(id, "completed");
    const [delivery] = (view.output as { received: Delivery[] }).received;
    expect(delivery!.payload).toEqual({ contentType: "application/json", raw: '{"status": "paid", "amount": 1200}', body: { status: "paid", amount: 1200 } });
  });

  it("accepts form and text bodies", async () => {
    const form = await hookFor("hook-form");
    expect((await deliver(form.hook.url, "decision=approve&by=dana", { "content-type": "application/x-www-form-urlencoded" })).status).toBe(202);
    const formOut = (await waitForStatus(form.id, "completed")).output as { received: Delivery[] };
    expect(formOut.received[0]!.payload.body).toEqual({ decision: "approve", by: "dana" });

    const text = await hookFor("hook-text");
    expect((await deliver(text.hook.url, "looks good to me", { "content-type": "text/plain; charset=utf-8" })).status).toBe(202);
    const textOut = (await waitForStatus(text.id, "completed")).output as { received: Delivery[] };
    expect(textOut.received[0]!.payload).toEqual({ contentType: "text/plain", raw: "looks good to me" });
  });

  it("answers 401 for a tampered or made-up token, without echoing it", async () => {
    const { hook } = await hookFor("hook-tampered");
    const [claims, signature] = hook.token.split(".");
    const forged = `${claims}.${signature!.slice(0, -2)}AA`;
    const text = await problem(await deliver(`http://cairn.test/hooks/${forged}`, "{}"), 401, "BAD_SIGNATURE");
    expect(text).not.toContain(forged);
    expect(text).not.toContain(claims!);
    await problem(await deliver("http://cairn.test/hooks/not-a-token", "{}"), 401, "BAD_SIGNATURE");
    const otherSecret = await signHookToken("another-secret", { instanceId: "x", eventType: "callback", expiresAt: Date.now() + 60_000 });
    await problem(await deliver(`http://cairn.test/hooks/${otherSecret}`, "{}"), 401, "BAD_SIGNATURE");
  });

  it("answers 410 once the URL expired", async () => {
    const { hook } = await hookFor("hook-expired", { expiresIn: "1 second" });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await problem(await deliver(hook.url, "{}"), 410, "WEBHOOK_EXPIRED");
  });

  it("answers 404 for an instance that does not exist and 409 for a finished one", async () => {
    const token = await signHookToken("test-webhook-secret", { instanceId: "nobody-here", eventType: "callback", expiresAt: Date.now() + 60_000 });
    await problem(await deliver(`http://cairn.test/hooks/${token}`, "{}"), 404, "INSTANCE_NOT_FOUND");
    const { id, hook } = await hookFor("hook-finished");
    expect((await deliver(hook.url, "{}")).status).toBe(202);
    await waitForStatus(id, "completed");
    await problem(await deliver(hook.url, '{"late": true}'), 409, "INSTANCE_FINISHED");
  });

  it("answers 415 for other content types, 400 for malformed JSON, 413 above 1 MiB", async () => {
    const { hook } = await hookFor("hook-bad-bodies");
    await problem(await deliver(hook.url, new Uint8Array([1, 2, 3]), { "content-type": "application/octet-stream" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    await problem(await deliver(hook.url, "{nope"), 400, "MALFORMED_JSON");
    await problem(await deliver(hook.url, JSON.stringify({ big: "x".repeat(1024 * 1024) })), 413, "BODY_TOO_LARGE");
  });

  it("takes 50 deliveries at once to one instance: none lost, none twice, each to one wait", async () => {
    const { id, hook } = await hookFor("hook-crowd", { count: 50 });
    const sends = Array.from({ length: 50 }, (_, i) => deliver(hook.url, JSON.stringify({ n: i }), { "content-type": "application/json", "idempotency-key": `delivery-${i}` }));
    // Ten senders retry at the same moment: their repeats must count once.
    const repeats = Array.from({ length: 10 }, (_, i) => deliver(hook.url, JSON.stringify({ n: i }), { "content-type": "application/json", "idempotency-key": `delivery-${i}` }));
    const answers = await Promise.all([...sends, ...repeats]);
    expect(answers.map((r) => r.status)).toEqual(Array(60).fill(202));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { duplicate: boolean }[];
    expect(bodies.filter((b) => b.duplicate)).toHaveLength(10);
    const view = await waitForStatus(id, "completed", 20_000);
    const received = (view.output as { received: Delivery[] }).received;
    expect(received).toHaveLength(50);
    expect(new Set(received.map((d) => d.id)).size).toBe(50);
    expect(received.map((d) => (d.payload.body as { n: number }).n).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

suite("Standard Webhooks deliveries", () => {
  const encoder = new TextEncoder();
  async function sign(secret: string, id: string, timestamp: number, body: string) {
    const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`${id}.${timestamp}.${body}`)));
    return `v1,${btoa(String.fromCharCode(...mac))}`;
  }
  const headers = (id: string, timestamp: number, signature: string) => ({
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signature,
  });
  const now = () => Math.floor(Date.now() / 1000);

  it("accepts a delivery signed with either secret of a rotation, uses webhook-id as the event id (as hook:<id>), and counts a retry once", async () => {
    const { id, hook } = await hookFor("signed", { verify: true, count: 2 });
    const body = '{"type":"payment.succeeded"}';
    const first = await deliver(hook.url, body, headers("msg_1", now(), `v1,bm90LWEtc2lnbmF0dXJl ${await sign("new-provider-secret", "msg_1", now(), body)}`));
    expect(first.status).toBe(202);
    const retry = await deliver(hook.url, body, headers("msg_1", now(), await sign("old-provider-secret", "msg_1", now(), body)));
    expect(await retry.json()).toEqual({ accepted: true, duplicate: true });
    const second = await deliver(hook.url, body, headers("msg_2", now(), await sign("old-provider-secret", "msg_2", now(), body)));
    expect(second.status).toBe(202);
    const received = ((await waitForStatus(id, "completed")).output as { received: Delivery[] }).received;
    expect(received.map((d) => d.id)).toEqual(["hook:msg_1", "hook:msg_2"]);
  });

  it.each([
    ["a signature by another secret", async (body: string) => headers("msg_x", now(), await sign("someone-else", "msg_x", now(), body))],
    ["a body changed after signing", async (body: string) => headers("msg_x", now(), await sign("new-provider-secret", "msg_x", now(), `${body} `))],
    ["a timestamp 6 minutes old", async (body: string) => headers("msg_x", now() - 360, await sign("new-provider-secret", "msg_x", now() - 360, body))],
    ["no signature headers", async () => ({ "content-type": "application/json" })],
  ])("answers 401 for %s", async (_what, makeHeaders) => {
    const { hook } = await hookFor("signed-bad", { verify: true });
    const body = '{"type":"payment.succeeded"}';
    await problem(await deliver(hook.url, body, await makeHeaders(body)), 401, "BAD_SIGNATURE");
  });
});
