/**
 * The search benchmark's Worker: Cairn's real API over a D1 index, plus a route that
 * seeds the index with generated rows. No instances run here: only the index is read.
 */
import { createApp } from "../../src/api/app.js";
import { STATUSES } from "../../src/engine/status.js";
import type { Env } from "../../src/env.js";
import { indexDb } from "../../src/index-db/queries.js";
import { instanceTags, instances } from "../../src/index-db/schema.js";
import { registry } from "../../src/workflow.js";

export { WorkflowInstance } from "../../src/instance/object.js";

const WORKFLOWS = ["orders", "billing", "emails", "reports", "imports"];
const TIERS = ["gold", "silver", "bronze"];
const REGIONS = ["eu", "us", "apac"];
const CUSTOMERS = 500;
const DAY = 86_400_000;
const START = Date.UTC(2026, 9, 1);

/** Row `i` of the generated index: a fixed function of `i`, so every run seeds the same data. */
function row(i: number) {
  const status = STATUSES[(i * 7 + (i >> 3)) % STATUSES.length]!;
  const createdAt = START + Math.floor((i * 30 * DAY) / 100_000) + (i % 997);
  const finished = status === "completed" || status === "failed" || status === "terminated";
  return {
    id: `inst-${String(i).padStart(6, "0")}`,
    workflow: WORKFLOWS[i % WORKFLOWS.length]!,
    status,
    tags: JSON.stringify({ tier: TIERS[i % 3]!, region: REGIONS[(i >> 1) % 3]!, customer: `c-${i % CUSTOMERS}` }),
    errorCode: status === "failed" ? "STEP_FAILED" : null,
    errorMessage: status === "failed" ? "upstream answered 503" : null,
    waitingFor: status === "waiting" ? JSON.stringify({ kind: "event", eventType: "approval" }) : null,
    parentId: null,
    createdAt,
    updatedAt: createdAt + 5_000,
    completedAt: finished ? createdAt + 5_000 : null,
    version: 3,
  };
}

const app = createApp(registry());

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/seed") {
      const from = Number(url.searchParams.get("from"));
      const count = Number(url.searchParams.get("count"));
      const db = indexDb(env.DB);
      const rows = Array.from({ length: count }, (_, k) => row(from + k));
      const statements = rows.flatMap((r) => [
        db.insert(instances).values(r),
        db.insert(instanceTags).values(
          Object.entries(JSON.parse(r.tags) as Record<string, string>).map(([key, value]) => ({ instanceId: r.id, key, value, createdAt: r.createdAt })),
        ),
      ]);
      await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
      return Response.json({ seeded: count });
    }
    if (url.pathname === "/migrate") {
      const statements = (await request.json()) as string[];
      for (const statement of statements) await env.DB.prepare(statement).run();
      return Response.json({ applied: statements.length });
    }
    return app.fetch(request, env);
  },
};
