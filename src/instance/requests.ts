/**
 * Operators' requests an instance has applied, by the id the sender gave them (a
 * bulk job gives each of its actions one). The id is written in the transaction
 * that applies the request, so a sender that repeats it after a crash (not knowing
 * whether the first one landed) is told it was applied, and nothing happens twice.
 * The table is made on first write (schema.ts); a missing one holds nothing.
 */
import { createOnDemand, tableExists } from "./schema.js";
import type { Sql } from "./sql.js";

export function requestApplied(sql: Sql, id: string): boolean {
  return tableExists(sql, "requests") && sql.one("SELECT 1 AS found FROM requests WHERE id = ?", id) !== undefined;
}

/** Records `id` as applied; call inside the transaction that applies it. */
export function rememberRequest(sql: Sql, id: string, now: number): void {
  createOnDemand(sql, "requests");
  sql.run("INSERT OR IGNORE INTO requests (id, at) VALUES (?, ?)", id, now);
}
