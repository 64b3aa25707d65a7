/**
 * The bounds of the API's doors: JSON nesting, exact numbers, forbidden keys and
 * UTF-8 on every body, repeated search filters, reserved event ids. Each refusal is
 * a 4xx problem with its code, and nothing is stored for it.
 */
import { env, listDurableObjectIds } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../../src/lib/bounds.js";
import { jsonTextDepth, jsonValueTooDeep, parseJson } from "../../src/lib/json.js";
import { api, read, start, uniqueId } from "../helpers.js";

const deepArray = (depth: number) => `${"[".repeat(depth)}1${"]".repeat(depth)}`;

async function expectProblem(res: Response, status: number, code: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(JSON.parse(text)).toMatchObject({ code });
}

const post = (path: string, body: BodyInit, type = "application/json") => api(path, { method: "POST", body, headers: { "content-type": type } });

async function instanceCount() {
  return (await listDurableObjectIds(env.WORKFLOW_INSTANCE)).length;
}

suite("JSON read strictly (src/lib/json.ts)", () => {
  it("measures depth on the text without recursion, strings and escapes included", () => {
    expect(jsonTextDepth('{"a":[1,{"b":"[[[\\"]]"}]}')).toBe(3);
    expect(jsonTextDepth(deepArray(200_000), 64)).toBe(65);
    expect(() => parseJson(deepArray(100_000))).toThrow(expect.objectContaining({ code: "JSON_TOO_DEEP" }));
    expect(parseJson(deepArray(MAX_JSON_DEPTH))).toBeDefined();
  });

  it("tells a value too deep, cycles included, without recursion", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(jsonValueTooDeep(deep)).toBe(true);
    expect(jsonValueTooDeep({ a: [{ b: 1 }] })).toBe(false);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(jsonValueTooDeep(cyclic)).toBe(true);
    // Shared branches are walked once per depth, not once per path.
    let shared: unknown = [];
    for (let i = 0; i < 60; i++) shared = [shared, shared];
    expect(jsonValueTooDeep(shared)).toBe(false);
  });

  it("refuses numbers that would change and the __proto__ key, keeps exact ones", () => {
    expect(() => parseJson('{"n":1e400}')).toThrow(expect.objectContaining({ code: "JSON_NUMBER_UNSAFE" }));
    expect(() => parseJson('{"n":-1e400}')).toThrow(expect.objectContaining({ code: "JSON_NUMBER_UNSAFE" }));
    expect(() => parseJson('{"n":12345678901234567890123}')).toThrow(expect.objectContaining({ code: "JSON_NUMBER_UNSAFE" }));
    expect(() => parseJson('{"n":9007199254740993}')).toThrow(expect.objectContaining({ code: "JSON_NUMBER_UNSAFE" }));
    expect(() => parseJson('{"a":{"__proto__":{"admin":true}}}')).toThrow(expect.objectContaining({ code: "JSON_KEY_FORBIDDEN" }));
    expect(parseJson('{"n":9007199254740991,"f":0.1,"e":1e22,"m":-5,"constructor":1}')).toEqual({ n: 9007199254740991, f: 0.1, e: 1e22, m: -5, constructor: 1 });
  });
});

suite("bounded JSON on every /api door", () => {
  it("refuses a start request nested 5,000 deep with 422 JSON_TOO_DEEP, and starts nothing", async () => {
    const before = await instanceCount();
    const id = uniqueId("deep-input");
    await expectProblem(await post("/api/workflows/test-counted-chain/instances", `{"id":"${id}","input":${deepArray(5_000)}}`), 422, "JSON_TOO_DEEP");
    expect(await instanceCount()).toBe(before);
    expect((await api(`/api/instances/${id}`)).status).toBe(404);
  });

  it("accepts a body nested exactly to the bound", async () => {
    const id = uniqueId("deep-ok");
    // The body object is one level; the input the other 63.
    const res = await post("/api/workflows/test-counted-chain/instances", `{"id":"${id}","input":${deepArray(MAX_JSON_DEPTH - 1)}}`);
    expect(res.status, await res.text()).toBe(201);
  });

  it("refuses a deep event payload; the instance stays readable", async () => {
    const id = uniqueId("deep-event");
    await start("approval", { id, input: { request: "r", amountCents: 1, approver: "a" } });
    await expectProblem(await post(`/api/instances/${id}/events`, `{"type":"decision","payload":${deepArray(5_000)}}`), 422, "JSON_TOO_DEEP");
    const read = await api(`/api/instances/${id}`);
    expect(read.status).toBe(200);
  });

  it("refuses non-finite and unsafe numbers with 422 JSON_NUMBER_UNSAFE instead of changing them", async () => {
    const before = await instanceCount();
    for (const number of ["1e400", "12345678901234567890123", "-9007199254740993"]) {
      await expectProblem(await post("/api/workflows/test-counted-chain/instances", `{"id":"${uniqueId("num")}","input":{"n":${number}}}`), 422, "JSON_NUMBER_UNSAFE");
    }
    expect(await instanceCount()).toBe(before);
    const id = uniqueId("num-ok");
    await start("test-counted-chain", { id, input: { steps: 1, big: 9007199254740991 } });
    expect((await read(id)).input).toEqual({ steps: 1, big: 9007199254740991 });
  });

  it("refuses a __proto__ tag key with 422 instead of dropping it", async () => {
    const id = uniqueId("proto-tag");
    await expectProblem(await post("/api/workflows/test-counted-chain/instances", `{"id":"${id}","tags":{"__proto__":"x","team":"a"}}`), 422, "JSON_KEY_FORBIDDEN");
    expect((await api(`/api/instances/${id}`)).status).toBe(404);
  });

  it("refuses invalid UTF-8 with 400 MALFORMED_BODY, as /hooks does, instead of replacing it", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"type":"x","payload":"'), 0xc3, 0x28, ...new TextEncoder().encode('"}')]);
    const id = uniqueId("utf8");
    await start("test-counted-chain", { id, input: { steps: 1 } });
    await expectProblem(await post(`/api/instances/${id}/events`, bytes), 400, "MALFORMED_BODY");
    await expectProblem(await post("/api/workflows/test-counted-chain/instances", bytes), 400, "MALFORMED_BODY");
  });

  it("refuses a deep schedule input, and stores no schedule", async () => {
    const id = uniqueId("deep-schedule");
    await expectProblem(await post("/api/schedules", `{"id":"${id}","workflow":"test-counted-chain","cron":"0 3 * * *","input":${deepArray(5_000)}}`), 422, "JSON_TOO_DEEP");
    expect((await api(`/api/schedules/${id}`)).status).toBe(404);
    const list = (await (await api("/api/schedules")).json()) as { schedules: { id: string }[] };
    expect(list.schedules.map((s) => s.id)).not.toContain(id);
  });
});

suite("bounded search", () => {
  it("refuses 100 repeated statuses with 422 (never D1's 500), and deduplicates a few", async () => {
    await expectProblem(await api(`/api/instances?${"status=running&".repeat(100)}`), 422, "INVALID_INPUT");
    const mixed = new URLSearchParams([...Array.from({ length: 20 }, (_, i) => ["tag", `k${i}:v`]), ...Array.from({ length: 70 }, () => ["status", "queued"])]);
    await expectProblem(await api(`/api/instances?${mixed}`), 422, "INVALID_INPUT");
    const most = new URLSearchParams([...Array.from({ length: 20 }, (_, i) => ["tag", `k${i}:v`]), ...Array.from({ length: 20 }, (_, i) => ["status", ["queued", "running", "waiting", "completed", "failed"][i % 5]!])]);
    const res = await api(`/api/instances?${most}&createdAfter=0&createdBefore=99999999999999&workflow=x&parent=p`);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ instances: [] });
  });
});

suite("event ids from the API and from webhooks never collide", () => {
  it("refuses an API event id with the webhook prefix", async () => {
    const id = uniqueId("reserved-event-id");
    await start("test-counted-chain", { id, input: { steps: 1 } });
    const res = await api(`/api/instances/${id}/events`, { method: "POST", json: { type: "x", id: "hook:abc" } });
    await expectProblem(res, 422, "INVALID_INPUT");
  });
});
