/**
 * The index outbox: each status change of the instance leaves a row here, written
 * in the same storage transaction as the change, holding the D1 index row as it now
 * stands (a newer row takes the place of one not pushed yet, so it holds one row at
 * most). Pushing the newest row and then dropping every row up to its version keeps
 * the index converging on the object's state, however often a push fails.
 */
import type { NewInstanceRow } from "../index-db/schema.js";
import type { Sql } from "./sql.js";
import type { InstanceRow } from "./view.js";

export type IndexRow = NewInstanceRow & { tags: string; attributes?: string; version: number };

export class Outbox {
  constructor(private readonly sql: Sql) {}

  /**
   * Leaves the row in the outbox. Only the newest row is ever pushed, so one not pushed
   * yet is overwritten in place (one row written, not one more row to delete later).
   */
  record(row: InstanceRow): void {
    const indexRow = JSON.stringify(toIndexRow(row));
    if (this.sql.run("UPDATE outbox SET version = ?, row = ? WHERE version = (SELECT MAX(version) FROM outbox) AND version < ?", row.version, indexRow, row.version) > 0) return;
    this.sql.run("INSERT OR REPLACE INTO outbox (version, row) VALUES (?, ?)", row.version, indexRow);
  }

  newest(): IndexRow | undefined {
    const found = this.sql.one<{ row: string }>("SELECT row FROM outbox ORDER BY version DESC LIMIT 1");
    return found && (JSON.parse(found.row) as IndexRow);
  }

  /** Drops what a successful push made obsolete. */
  pushed(version: number): void {
    this.sql.run("DELETE FROM outbox WHERE version <= ?", version);
  }

  isEmpty(): boolean {
    return this.sql.one("SELECT 1 AS found FROM outbox LIMIT 1") === undefined;
  }
}

export function toIndexRow(row: InstanceRow): IndexRow {
  const error = row.error === null ? null : (JSON.parse(row.error) as { code: string; message: string });
  return {
    id: row.id,
    workflow: row.workflow,
    status: row.status,
    tags: row.tags,
    attributes: row.attributes,
    errorCode: error?.code ?? null,
    errorMessage: error ? error.message.slice(0, 1_000) : null,
    waitingFor: row.waiting_for,
    parentId: row.parent_id,
    forkedFrom: row.forked_from === null ? null : (JSON.parse(row.forked_from) as { id: string }).id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    version: row.version,
  };
}
