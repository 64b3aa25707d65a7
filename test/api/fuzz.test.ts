/**
 * Generated API input (fast-check): random methods, paths, ids, event types and
 * bodies (random JSON, deep and wide nesting, huge and inexact numbers, odd
 * encodings, huge strings, wrong content types) on every route, webhooks and
 * schedules included, never make the Worker answer 500, and a request refused by
 * validation never creates an instance. A bounded number of cases, with a fixed
 * seed so a failure reproduces.
 */
import { env, listDurableObjectIds } from "cloudflare:test";
import fc from "fast-check";
import { describe as suite, expect, it } from "vitest";
import { api, start, waitForStatus, waitUntil } from "../helpers.js";

const REFUSED = new Set([400, 401, 403, 413, 415, 422]);

const validId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:~-]{0,40}$/);
const oddSegment = fc.oneof(
  fc.constantFrom("x", "..", "%", "%ZZ", "%E0%A4%A", "a%2Fb", "constructor", "__proto__", "a".repeat(101)),
  fc.string({ maxLength: 120 }).map(encodeURIComponent),
);
/** Instances that exist (started in the test), so that cases get past the 404s. */
const LIVE = ["fuzz-waiting", "fuzz-failed", "fuzz-done"];
const instanceSegment = fc.oneof({ arbitrary: fc.constantFrom(...LIVE), weight: 6 }, { arbitrary: validId, weight: 2 }, { arbitrary: oddSegment, weight: 2 });
const workflowSegment = fc.oneof(
  { arbitrary: fc.constantFrom("approval", "order-fulfilment", "shipping-quotes", "agent-review", "test-doomed", "test-counted-chain"), weight: 6 },
  { arbitrary: validId, weight: 1 },
  { arbitrary: oddSegment, weight: 2 },
);

/** A method and a path: mostly a route's own method, sometimes another. */
const routed = (method: string, path: fc.Arbitrary<string>) =>
  fc.tuple(fc.oneof({ arbitrary: fc.constant(method), weight: 9 }, { arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "OPTIONS"), weight: 1 }), path);

const request = fc.oneof(
  { arbitrary: routed("GET", fc.constant("/api/workflows")), weight: 1 },
  { arbitrary: routed("POST", workflowSegment.map((s) => `/api/workflows/${s}/instances`)), weight: 6 },
  { arbitrary: routed("GET", instanceSegment.map((s) => `/api/instances/${s}`)), weight: 2 },
  { arbitrary: routed("DELETE", fc.constantFrom("/api/instances/never-existed", "/api/instances/%ZZ", "/api/instances/bad%20id")), weight: 1 },
  {
    arbitrary: fc
      .tuple(instanceSegment, fc.constantFrom("events", "events", "events", "pause", "resume", "terminate", "restart"))
      .chain(([s, a]) => routed("POST", fc.constant(`/api/instances/${s}/${a}`))),
    weight: 6,
  },
  { arbitrary: routed("GET", fc.string({ maxLength: 60 }).map((q) => `/api/instances?${q}`)), weight: 1 },
  {
    arbitrary: routed(
      "GET",
      fc
        .array(fc.tuple(fc.constantFrom("status", "tag", "limit", "cursor", "workflow", "createdAfter", "parent"), fc.string({ maxLength: 40 })), { maxLength: 5 })
        .map((pairs) => `/api/instances?${new URLSearchParams(pairs).toString()}`),
    ),
    weight: 2,
  },
  { arbitrary: routed("POST", oddSegment.map((s) => `/hooks/${s}`)), weight: 1 },
  // The live webhook, by URL and by header (the token is filled in by the test).
  { arbitrary: routed("POST", fc.constantFrom("/hooks/<live>", "/hooks#bearer", "/hooks#header")), weight: 3 },
  { arbitrary: routed("POST", fc.constant("/api/schedules")), weight: 2 },
  {
    arbitrary: routed(
      "GET",
      fc
        .tuple(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 30 }))
        .map(([statuses, tags]) => `/api/instances?${"status=running&".repeat(statuses)}${Array.from({ length: tags }, (_, i) => `tag=k${i}:v`).join("&")}`),
    ),
    weight: 1,
  },
  { arbitrary: routed("POST", fc.webPath().map((p) => p || "/")), weight: 1 },
);

const deep = (depth: number) => `${"[".repeat(depth)}1${"]".repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
/** JSON that is valid but breaks a bound: deep, wide, inexact numbers, a forbidden key; placed where each route reads it. */
const hostileValue = fc.oneof(
  fc.integer({ min: 60, max: 70 }).map(deep),
  fc.integer({ min: 60, max: 5_000 }).map(deepObject),
  fc.integer({ min: 1_000, max: 50_000 }).map((n) => `[${Array(n).fill("0").join(",")}]`),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(",")}}`),
  fc.constantFrom("1e400", "-1e400", "1e-400", "-0", "12345678901234567890123", "9007199254740993", "-9007199254740993", "0.1e999999"),
  fc.constantFrom('{"__proto__":{"x":1}}', '{"constructor":{"prototype":1}}', '"\\ud800"', '"\\u0000"'),
);
/** Bytes that are not the UTF-8 JSON they claim to be. */
const oddBytes = fc.oneof(
  fc.constantFrom(
    new Uint8Array([0x7b, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
    new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
    new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
    new Uint8Array([0xed, 0xa0, 0x80]),
    new Uint8Array([0xf8, 0x88, 0x80, 0x80, 0x80]),
  ),
  fc.uint8Array({ maxLength: 200 }),
);
const body = fc.oneof(
  {
    arbitrary: fc
      .tuple(hostileValue, fc.constantFrom("input", "payload", "tags", "body"))
      .map(([value, place]) =>
        place === "body" ? value : place === "payload" ? `{"type":"decision","payload":${value}}` : place === "tags" ? `{"tags":${value}}` : `{"input":${value},"workflow":"test-counted-chain","cron":"0 3 * * *"}`,
      ),
    weight: 3,
  },
  { arbitrary: oddBytes, weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 2 },
  { arbitrary: fc.json({ maxDepth: 4 }), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ input: v, tags: { k: "v" } })), weight: 3 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom("decision", "note", "a b", ""), fc.jsonValue({ maxDepth: 3 }), fc.option(validId, { nil: undefined }))
      .map(([type, payload, id]) => JSON.stringify({ type, payload, ...(id !== undefined && { id }) })),
    weight: 4,
  },
  {
    arbitrary: fc
      .record({ id: fc.oneof(validId, oddSegment), type: fc.string({ maxLength: 120 }), tags: fc.dictionary(fc.string({ maxLength: 70 }), fc.string({ maxLength: 300 }), { maxKeys: 25 }) })
      .map((v) => JSON.stringify(v)),
    weight: 2,
  },
  { arbitrary: fc.integer({ min: 100, max: 20_000 }).map(deep), weight: 1 },
  { arbitrary: fc.constantFrom("{", "null", '"', "[]", "{}{}", "\u0000", `{"input":"${"x".repeat(1024 * 1024 + 10)}"}`), weight: 1 },
  { arbitrary: fc.string({ maxLength: 500 }), weight: 1 },
);

const contentType = fc.constantFrom("application/json", "application/json", "application/json", "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "application/octet-stream", "application/merge-patch+json", "");

suite("fuzzed API input", () => {
  it("never answers 500, and creates nothing for a refused request", async () => {
    await start("test-hooked", { id: "fuzz-hooked", input: { count: 1_000 } });
    const hooked = await waitUntil("fuzz-hooked", (v) => v.steps[0]?.status === "completed", "with its webhook");
    const token = (hooked.steps[0]!.result as { token: string }).token;
    await start("approval", { id: "fuzz-waiting", input: { request: "r", amountCents: 1, approver: "a" } });
    await start("test-doomed", { id: "fuzz-failed" });
    await start("test-counted-chain", { id: "fuzz-done", input: { steps: 1 } });
    await waitForStatus("fuzz-failed", "failed");
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, body, contentType, async ([method, path], text, type) => {
        const before = (await listDurableObjectIds(env.WORKFLOW_INSTANCE)).length;
        const withBody = text !== undefined && method !== "GET" && method !== "OPTIONS";
        const headers: Record<string, string> = type && withBody ? { "content-type": type } : {};
        if (path === "/hooks#bearer") headers.authorization = `Bearer ${token}`;
        if (path === "/hooks#header") headers["cairn-hook-token"] = token;
        const url = path.replace("<live>", token).replace(/#.*$/, "");
        const res = await api(url, { method, ...(withBody && { body: text }), headers, ...(path.startsWith("/hooks") && { auth: false as const }) });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${method} ${url.slice(0, 120)} → ${res.status}`).toBeLessThan(500);
        if (res.status >= 400) expect(res.headers.get("content-type")).toBe("application/problem+json");
        if (REFUSED.has(res.status)) expect((await listDurableObjectIds(env.WORKFLOW_INSTANCE)).length).toBe(before);
        await res.arrayBuffer();
      }),
      { numRuns: 400, seed: 20261121 },
    );
    // The cases reached far into the API, not only its front door.
    console.log("statuses seen:", JSON.stringify(Object.fromEntries([...statuses].sort())));
    for (const status of [200, 201, 202, 400, 404, 409, 415, 422]) expect(statuses.get(status), `no ${status} among the cases`).toBeGreaterThan(0);
  }, 120_000);
});
