/**
 * Cost regressions fail like bugs: each instance life of the benchmark's cost rung
 * (bench/worker/cost.ts) runs here, metered exactly, and no count may rise above
 * what docs/cost.json states; and docs/cost.md shows those numbers.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { COST_LIVES, COUNTED, measureLife, type CostClient, type LifeName } from "../../bench/worker/cost.js";
import { countsTable, dollarsTable, perKindTable } from "../../bench/lib/cost-table.mjs";
import costDoc from "../../docs/cost.md?raw";
import stated from "../../docs/cost.json";
import { api, stubFor } from "../helpers.js";
import type { WorkflowInstance } from "../fixtures/worker.js";

const client: CostClient = {
  async start(id, input) {
    const res = await api("/api/workflows/bench/instances", { method: "POST", json: { id, input } });
    expect(res.status, await res.clone().text()).toBe(201);
  },
  async sendEvent(id, type, payload) {
    const res = await api(`/api/instances/${encodeURIComponent(id)}/events`, { method: "POST", json: { type, payload } });
    expect(res.status, await res.clone().text()).toBe(202);
  },
  peek: (id) =>
    runInDurableObject(stubFor(id), (_instance, state) => {
      const table = (name: string) => state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = ?", name).toArray().length > 0;
      if (!table("instance")) return { status: null, outboxEmpty: true };
      const status = state.storage.sql.exec<{ status: string }>("SELECT status FROM instance").toArray()[0]?.status ?? null;
      return { status, outboxEmpty: state.storage.sql.exec("SELECT 1 FROM outbox LIMIT 1").toArray().length === 0 };
    }),
  async counts(id) {
    const counts = await (stubFor(id) as unknown as DurableObjectStub<WorkflowInstance>).costCounts();
    if (!counts) throw new Error(`instance ${id} is not metered`);
    return counts;
  },
};

describe("what an instance life costs", () => {
  for (const name of Object.keys(COST_LIVES) as LifeName[]) {
    it(`${name}: no count above docs/cost.json`, async () => {
      const measured = await measureLife(client, name);
      const limit = (stated.lives as Record<string, Record<string, number>>)[name];
      expect(limit, `docs/cost.json states no counts for "${name}"`).toBeDefined();
      const over = COUNTED.filter((key) => measured[key] > limit![key]!).map((key) => `${key}: ${measured[key]} > ${limit![key]}`);
      expect(over, `counts above docs/cost.json (measured ${JSON.stringify(measured)})`).toEqual([]);
    });
  }
});

describe("docs/cost.md", () => {
  it("shows the counts, the per-kind differences and the dollars of docs/cost.json", () => {
    expect(costDoc).toContain(countsTable(stated.lives));
    expect(costDoc).toContain(perKindTable(stated.lives));
    expect(costDoc).toContain(dollarsTable(stated.lives, stated.assumptions as unknown as Record<string, number>));
  });
});
