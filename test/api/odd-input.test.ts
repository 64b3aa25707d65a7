/**
 * Odd requests get a 4xx problem, never a 500, and never reach an instance.
 */
import { listDurableObjectIds, env } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { api } from "../helpers.js";

const requests: [string, string, RequestInit?][] = [
  ["GET", "/api/instances/%E0%A4%A"],
  ["GET", "/api/instances/%00"],
  ["GET", `/api/instances/${"x".repeat(5000)}`],
  ["GET", "/api/instances/caf%C3%A9"],
  ["POST", "/api/instances/%ZZ/events", { body: '{"type":"x"}', headers: { "content-type": "application/json" } }],
  ["POST", "/api/workflows/%E0%A4%A/instances", { body: "{}", headers: { "content-type": "application/json" } }],
  ["POST", "/api/workflows/approval/instances", { body: "null", headers: { "content-type": "application/json" } }],
  ["POST", "/api/workflows/approval/instances", { body: "[1,2]", headers: { "content-type": "application/json" } }],
  ["POST", "/api/workflows/approval/instances", { body: '"text"', headers: { "content-type": "application/json" } }],
  ["POST", "/api/workflows/approval/instances", { body: '{"id":42}', headers: { "content-type": "application/json" } }],
  ["POST", "/api/workflows/approval/instances", { body: '{"tags":[1]}', headers: { "content-type": "application/json" } }],
  ["POST", "/api/instances/ok-id/events", { body: '{"type":"x","payload":1e999}', headers: { "content-type": "application/json" } }],
  ["POST", "/api/instances/ok-id/events", { body: "\u0000", headers: { "content-type": "application/json" } }],
  ["PATCH", "/api/instances/ok-id"],
  ["OPTIONS", "/api/workflows"],
];

suite("odd input", () => {
  it.each(requests)("%s %s answers a 4xx problem", async (method, path, init) => {
    const before = (await listDurableObjectIds(env.WORKFLOW_INSTANCE)).length;
    const res = await api(path, { method, ...init });
    expect(res.status, await res.clone().text()).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    // Nothing was created for a request that failed validation.
    if (res.status !== 404 || !path.includes("/events")) {
      expect((await listDurableObjectIds(env.WORKFLOW_INSTANCE)).length).toBe(before);
    }
  });
});
