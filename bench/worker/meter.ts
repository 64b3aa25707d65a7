/**
 * Counts what an instance's life costs on Cloudflare's bill, exactly: Durable Object
 * requests (RPC calls received, platform alarm invocations), SQLite rows read and
 * written (the cursor's counts, through `Sql.meter`), alarm sets, storage bytes, and
 * D1 rows read and written (each result's `meta`). Used by the benchmark's cost rung
 * (bench/worker/cost.ts) and by the cost test (test/bench/cost.test.ts).
 *
 * Only instances whose id starts with `METERED_PREFIX` are metered; every other
 * instance runs exactly as the product's. A meter lives in a map of this isolate, not
 * in the object, so that it outlives an eviction (bench and tests only: the product's
 * objects keep no module-level state).
 */
import { WorkflowInstance as ProductInstance } from "../../src/instance/object.js";
import { SqlMeter } from "../../src/instance/sql.js";
import type { Env } from "../../src/env.js";

export const METERED_PREFIX = "metered-";

/** The object's RPC surface: each call on a stub is one billed request. */
const RPC_METHODS = [
  "create",
  "read",
  "sendEvent",
  "pause",
  "resume",
  "terminate",
  "restart",
  "delete",
  "journalPage",
  "exportUpTo",
  "createFrom",
  "resolveStep",
  "slotGranted",
  "holdsSlot",
] as const;

export interface CostCounts {
  /** Billed Durable Object requests: RPC calls received plus platform alarm invocations. */
  requests: number;
  rpcCalls: Record<string, number>;
  alarmRuns: number;
  /** In-memory wake-ups (setTimeout in the object): not requests, not billed. */
  wakeUps: number;
  alarmSets: number;
  alarmDeletes: number;
  sqlStatements: number;
  sqlRowsRead: number;
  sqlRowsWritten: number;
  /** Billed rows written: SQL rows plus one per setAlarm (Cloudflare's pricing, footnote 3). */
  billedRowsWritten: number;
  d1Queries: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  /** D1 calls whose rows the meter cannot see (first(), raw()): 0 in every measured life. */
  d1Unmetered: number;
  /** The object's SQLite database size at the end (ctx.storage.sql.databaseSize). */
  storageBytes: number;
  /** Where the SQLite rows went: each statement (whitespace collapsed) with its counts, most rows written first. */
  byQuery: { query: string; statements: number; rowsRead: number; rowsWritten: number }[];
}

class CostMeter {
  readonly sql = new SqlMeter({ byQuery: true });
  rpcCalls: Record<string, number> = {};
  alarmRuns = 0;
  wakeUps = 0;
  alarmSets = 0;
  alarmDeletes = 0;
  d1Queries = 0;
  d1RowsRead = 0;
  d1RowsWritten = 0;
  d1Unmetered = 0;

  d1(meta: { rows_read?: number; rows_written?: number } | undefined): void {
    this.d1Queries++;
    this.d1RowsRead += meta?.rows_read ?? 0;
    this.d1RowsWritten += meta?.rows_written ?? 0;
  }

  counts(storageBytes: number): CostCounts {
    const rpc = Object.values(this.rpcCalls).reduce((sum, n) => sum + n, 0);
    return {
      requests: rpc + this.alarmRuns,
      rpcCalls: { ...this.rpcCalls },
      alarmRuns: this.alarmRuns,
      wakeUps: this.wakeUps,
      alarmSets: this.alarmSets,
      alarmDeletes: this.alarmDeletes,
      sqlStatements: this.sql.statements,
      sqlRowsRead: this.sql.rowsRead,
      sqlRowsWritten: this.sql.rowsWritten,
      billedRowsWritten: this.sql.rowsWritten + this.alarmSets,
      d1Queries: this.d1Queries,
      d1RowsRead: this.d1RowsRead,
      d1RowsWritten: this.d1RowsWritten,
      d1Unmetered: this.d1Unmetered,
      storageBytes,
      byQuery: [...(this.sql.byQuery ?? [])]
        .map(([query, seen]) => ({ query: query.replace(/\s+/g, " ").slice(0, 160), ...seen }))
        .sort((a, b) => b.rowsWritten - a.rowsWritten || b.rowsRead - a.rowsRead),
    };
  }
}

const meters = new Map<string, CostMeter>();

/** A D1 database that adds each result's rows to `meter`. */
function meteredD1(d1: D1Database, meter: CostMeter): D1Database {
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const { bind, run, all, first, raw } = statement;
    return Object.assign(statement, {
      bind: (...values: unknown[]) => wrap(bind.apply(statement, values)),
      run: async () => {
        const result = await run.call(statement);
        meter.d1(result.meta);
        return result;
      },
      all: async () => {
        const result = await all.call(statement);
        meter.d1(result.meta);
        return result;
      },
      first: (...args: unknown[]) => {
        meter.d1Unmetered++;
        return (first as (...a: unknown[]) => unknown).apply(statement, args);
      },
      raw: (...args: unknown[]) => {
        meter.d1Unmetered++;
        return (raw as (...a: unknown[]) => unknown).apply(statement, args);
      },
    }) as D1PreparedStatement;
  };
  return {
    prepare: (query: string) => wrap(d1.prepare(query)),
    batch: async (statements: D1PreparedStatement[]) => {
      const results = await d1.batch(statements);
      for (const result of results) meter.d1(result.meta);
      return results;
    },
    exec: (query: string) => {
      meter.d1Unmetered++;
      return d1.exec(query);
    },
    withSession: () => {
      throw new Error("the metered index database has no sessions");
    },
    dump: () => d1.dump(),
  } as unknown as D1Database;
}

/**
 * Cairn's WorkflowInstance with a meter when its id starts with `METERED_PREFIX`.
 * `costCounts()` (not itself counted) answers what the meter saw so far.
 */
export class MeteredInstance extends ProductInstance {
  private readonly meter?: CostMeter;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const name = ctx.id.name;
    if (!name?.startsWith(METERED_PREFIX)) return;
    let meter = meters.get(name);
    if (!meter) meters.set(name, (meter = new CostMeter()));
    this.meter = meter;
    this.sql.meter = meter.sql;
    const storage = ctx.storage;
    const setAlarm = storage.setAlarm.bind(storage);
    const deleteAlarm = storage.deleteAlarm.bind(storage);
    storage.setAlarm = (...args: Parameters<DurableObjectStorage["setAlarm"]>) => {
      meter.alarmSets++;
      return setAlarm(...args);
    };
    storage.deleteAlarm = (...args: Parameters<DurableObjectStorage["deleteAlarm"]>) => {
      meter.alarmDeletes++;
      return deleteAlarm(...args);
    };
  }

  /** The platform passes `alarmInfo`; the object's own in-memory wake-up calls without it. */
  override async alarm(alarmInfo?: AlarmInvocationInfo): Promise<void> {
    if (this.meter) {
      if (alarmInfo) this.meter.alarmRuns++;
      else this.meter.wakeUps++;
    }
    return super.alarm();
  }

  protected override indexDatabase(): D1Database {
    const db = super.indexDatabase();
    return this.meter ? meteredD1(db, this.meter) : db;
  }

  /** What the meter saw so far (null when this instance is not metered). */
  async costCounts(): Promise<CostCounts | null> {
    return this.meter?.counts(this.ctx.storage.sql.databaseSize) ?? null;
  }
}

// Each RPC method, counted when it arrives. `create` is also called by `createFrom`
// inside the object, with a second argument: that call is not a request.
for (const method of RPC_METHODS) {
  const inherited = (ProductInstance.prototype as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!;
  Object.defineProperty(MeteredInstance.prototype, method, {
    configurable: true,
    writable: true,
    value(this: { ctx: DurableObjectState }, ...args: unknown[]) {
      const meter = meters.get(this.ctx.id.name ?? "");
      if (meter && !(method === "create" && args.length > 1)) meter.rpcCalls[method] = (meter.rpcCalls[method] ?? 0) + 1;
      return inherited.apply(this, args);
    },
  });
}
