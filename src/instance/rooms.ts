/**
 * What the object's RPC methods work with: its rooms (row, journal through the
 * driver, runner, index, timers) and the few things only the object knows (its
 * registry, its gates). The modules behind the RPC surface (reading.ts, inbox.ts,
 * operate.ts) take this and nothing else.
 */
import type { Cause } from "../engine/index.js";
import type { Env } from "../env.js";
import type { WorkflowDefinition } from "../workflow.js";
import type { Driver } from "./driver.js";
import type { IndexPush } from "./index-push.js";
import type { RowStore } from "./row.js";
import type { Applied, Runner } from "./runner.js";
import type { Gates } from "./slots.js";
import type { Sql } from "./sql.js";

export interface Rooms {
  readonly env: Env;
  readonly sql: Sql;
  readonly rows: RowStore;
  readonly driver: Driver;
  readonly runner: Runner;
  readonly index: IndexPush;
  readonly gates: Gates;
  definition(workflow: string): WorkflowDefinition | undefined;
  /** Asks the machine what follows `cause` and applies it (runner.ts). */
  apply(cause: Cause, workflow?: string, during?: () => void): Applied;
}

export function summary(row: { id: string; workflow: string; status: string; created_at: number }) {
  return { id: row.id, workflow: row.workflow, status: row.status as import("../engine/index.js").Status, createdAt: new Date(row.created_at).toISOString() };
}
