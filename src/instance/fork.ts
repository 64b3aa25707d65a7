/**
 * Forks: a new instance of the same workflow whose journal starts as a copy of
 * another's, up to (not including) a step, optionally with a new input. The origin
 * only reads its journal (`exportUpTo`); the fork writes the copy in the transaction
 * that creates it (`writeFork`), before its first drive, so it replays the copied
 * steps (their results, never their functions) and runs on from the step it forked at.
 * Events the copied steps received come along, marked as theirs; the origin's
 * waiting events do not.
 */
import { mergeAttributes, type Attributes } from "../lib/attributes.js";
import type { AttemptRecord, InboxEvent, StepRecord } from "../engine/index.js";
import type { SqlJournal } from "./journal.js";
import type { ForkedFrom } from "./rpc.js";
import { tableExists } from "./schema.js";
import type { Sql } from "./sql.js";
import type { InstanceRow } from "./view.js";

/** Largest copy one fork carries (characters of results, errors and payloads): well under the RPC limit. */
export const MAX_FORK_CHARS = 16 * 1024 * 1024;

export interface ForkCopy {
  records: StepRecord[];
  attempts: AttemptRecord[];
  events: (InboxEvent & { consumedBy: number })[];
}

export type ForkExport =
  | { ok: true; workflow: string; input?: string; tags: Record<string, string>; step?: { name: string; count: number }; copy: ForkCopy }
  | { ok: false; code: "INSTANCE_NOT_FOUND" }
  | { ok: false; code: "STEP_NOT_FOUND"; step: { name: string; count: number } }
  | { ok: false; code: "FORK_TOO_LARGE"; chars: number };

/** The origin's side: its journal before `fromStep` (count 1 if absent); nothing when there is no `fromStep`. */
export function exportUpTo(sql: Sql, journal: SqlJournal, row: InstanceRow, fromStep?: { name: string; count?: number }): ForkExport {
  const step = fromStep && { name: fromStep.name, count: fromStep.count ?? 1 };
  let end = 0;
  if (step) {
    const found = sql.one<{ seq: number }>("SELECT seq FROM steps WHERE name = ? AND count = ?", step.name, step.count);
    if (!found) return { ok: false, code: "STEP_NOT_FOUND", step };
    end = found.seq;
  }
  const records = end === 0 ? [] : journal.load().filter((r) => r.seq < end);
  const attempts = end === 0 ? [] : journal.attempts().filter((a) => a.seq < end);
  const events =
    end === 0 || !tableExists(sql, "inbox")
      ? []
      : sql
          .all<{ id: string; type: string; payload: string | null; received_at: number; consumed_by: number }>(
            "SELECT id, type, payload, received_at, consumed_by FROM inbox WHERE consumed_by < ? ORDER BY position",
            end,
          )
          .map((e) => ({ id: e.id, type: e.type, timestamp: e.received_at, consumedBy: e.consumed_by, ...(e.payload !== null && { payload: e.payload }) }));
  const chars =
    records.reduce((sum, r) => sum + (r.result?.length ?? 0) + (r.error ? r.error.message.length : 0), 0) +
    attempts.reduce((sum, a) => sum + a.error.message.length, 0) +
    events.reduce((sum, e) => sum + (e.payload?.length ?? 0), 0);
  if (chars > MAX_FORK_CHARS) return { ok: false, code: "FORK_TOO_LARGE", chars };
  return {
    ok: true,
    workflow: row.workflow,
    ...(row.input !== null && { input: row.input }),
    tags: JSON.parse(row.tags) as Record<string, string>,
    ...(step && { step }),
    copy: { records, attempts, events },
  };
}

/**
 * The fork's side, inside the transaction that creates it: marks the row as a fork
 * and writes the copied journal. Returns the row as written.
 */
export function writeFork(sql: Sql, journal: SqlJournal, forkedFrom: ForkedFrom, copy: ForkCopy): InstanceRow {
  for (const record of copy.records) journal.save(record);
  for (const attempt of copy.attempts) journal.saveAttempt(attempt);
  for (const { consumedBy, ...event } of copy.events) {
    journal.addEvent(event);
    sql.run("UPDATE inbox SET consumed_by = ? WHERE id = ?", consumedBy, event.id);
  }
  // The attributes the copied steps set come along, as a replay will not set them again.
  let attributes = JSON.parse(sql.one<{ attributes: string }>("SELECT attributes FROM instance")!.attributes) as Attributes;
  for (const record of copy.records) {
    if (record.kind === "attributes" && record.status === "completed" && record.result !== undefined) {
      attributes = mergeAttributes(attributes, JSON.parse(record.result) as Attributes).attributes;
    }
  }
  return sql.one<InstanceRow>("UPDATE instance SET forked_from = ?, attributes = ? RETURNING *", JSON.stringify(forkedFrom), JSON.stringify(attributes))!;
}
