/**
 * The crash test's Worker (npm run test:crash, test/crash/run.mjs): Cairn's API and
 * WorkflowInstance, with the crash workflows registered next to the examples, and an
 * EffectLedger Durable Object where every step function records that it ran. The
 * ledger lives outside the instances' journals, so it sees what a journal might hide:
 * a step that ran again after its result was journaled.
 *
 * `GET /_crash/effects[?instance=<id>]` (no auth: local test runtime only) reads the ledger;
 * `GET /_crash/requests?instance=<id>` the operators' requests an instance applied.
 */
import { DurableObject } from "cloudflare:workers";
import { createApp } from "../../src/api/app.js";
import { WorkflowInstance as ProductInstance } from "../../src/instance/object.js";
import { registry, type WorkflowRegistry } from "../../src/workflow.js";
import { workflows } from "../../workflows/index.js";
import { crashWorkflows, type CrashEnv } from "./workflows.js";

export { BulkJob } from "../../src/bulk/job.js";

const all = registry(...Object.values(workflows), ...crashWorkflows);

export class WorkflowInstance extends ProductInstance {
  protected override registry(): WorkflowRegistry {
    return all;
  }

  /** For the bulk crash test: the operators' requests this instance applied (src/instance/requests.ts). */
  async appliedRequests(): Promise<string[]> {
    const table = this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'requests'").toArray();
    return table.length ? this.ctx.storage.sql.exec<{ id: string }>("SELECT id FROM requests ORDER BY at").toArray().map((r) => r.id) : [];
  }
}

export interface Effect {
  instance: string;
  step: string;
  count: number;
  attempt: number;
  /** Date.now() in the instance's object when the step function started. */
  at: number;
}

export interface EffectRow extends Effect {
  seq: number;
  /** Date.now() in the ledger when it stored the effect. */
  receivedAt: number;
}

/** One row per run of a step function, written before the function returns. */
export class EffectLedger extends DurableObject<CrashEnv> {
  constructor(ctx: DurableObjectState, env: CrashEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS effects (
         seq INTEGER PRIMARY KEY AUTOINCREMENT, instance TEXT NOT NULL, step TEXT NOT NULL, count INTEGER NOT NULL,
         attempt INTEGER NOT NULL, at INTEGER NOT NULL, received_at INTEGER NOT NULL)`,
    );
    ctx.storage.sql.exec("CREATE INDEX IF NOT EXISTS effects_instance ON effects (instance, seq)");
  }

  record(effect: Effect): number {
    const row = this.ctx.storage.sql
      .exec<{ seq: number }>(
        "INSERT INTO effects (instance, step, count, attempt, at, received_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
        effect.instance, effect.step, effect.count, effect.attempt, effect.at, Date.now(),
      )
      .one();
    return row.seq;
  }

  list(instance?: string, afterSeq = 0): EffectRow[] {
    const query = instance === undefined
      ? this.ctx.storage.sql.exec<Record<string, number | string>>("SELECT * FROM effects WHERE seq > ? ORDER BY seq", afterSeq)
      : this.ctx.storage.sql.exec<Record<string, number | string>>("SELECT * FROM effects WHERE instance = ? AND seq > ? ORDER BY seq", instance, afterSeq);
    return query.toArray().map((r) => ({
      seq: r.seq as number,
      instance: r.instance as string,
      step: r.step as string,
      count: r.count as number,
      attempt: r.attempt as number,
      at: r.at as number,
      receivedAt: r.received_at as number,
    }));
  }

  /** How many effects there are and when the newest arrived: cheap progress polling. */
  progress(): { count: number; lastSeq: number; lastReceivedAt: number | null } {
    const row = this.ctx.storage.sql
      .exec<{ n: number; last: number | null; at: number | null }>("SELECT COUNT(*) AS n, MAX(seq) AS last, MAX(received_at) AS at FROM effects")
      .one();
    return { count: row.n, lastSeq: row.last ?? 0, lastReceivedAt: row.at };
  }
}

const app = createApp(all);

export default {
  async fetch(request: Request, env: CrashEnv, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/_crash/requests") {
      const id = url.searchParams.get("instance") ?? "";
      const instances = env.WORKFLOW_INSTANCE as unknown as DurableObjectNamespace<WorkflowInstance>;
      return Response.json({ requests: await instances.get(instances.idFromName(id)).appliedRequests() });
    }
    if (url.pathname === "/_crash/effects" || url.pathname === "/_crash/progress") {
      const ledger = env.EFFECT_LEDGER.get(env.EFFECT_LEDGER.idFromName("ledger"));
      if (url.pathname === "/_crash/progress") return Response.json(await ledger.progress());
      const instance = url.searchParams.get("instance") ?? undefined;
      const after = Number(url.searchParams.get("after") ?? 0) || 0;
      return Response.json({ effects: await ledger.list(instance, after) });
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<CrashEnv>;
