/**
 * Resolving a step: an operator gives the result of a step that failed (and failed
 * the instance) or waits to retry, and the instance continues as if the step had
 * returned it. The result is journaled like any other, with who gave it and when;
 * the next replay returns it and the workflow goes on from there.
 */
import type { Status } from "../engine/index.js";
import type { Sql } from "./sql.js";
import type { InstanceRow } from "./view.js";

export interface ResolveRequest {
  name: string;
  count?: number;
  /** JSON text of the output; absent for none. */
  output?: string;
  /** Who resolved it: the kind of credential that asked ("api"). */
  by: string;
}

export type ResolveResult =
  | { ok: true; status: Status; step: { name: string; count: number } }
  | { ok: false; code: "INSTANCE_NOT_FOUND" }
  | { ok: false; code: "STEP_NOT_FOUND"; step: { name: string; count: number } }
  | { ok: false; code: "STEP_NOT_RESOLVABLE"; message: string };

/** The step to resolve, if the instance and the step are in a state that allows it. */
export function findResolvable(sql: Sql, row: InstanceRow, request: ResolveRequest): { ok: true; seq: number; step: { name: string; count: number } } | Exclude<ResolveResult, { ok: true }> {
  const step = { name: request.name, count: request.count ?? 1 };
  const found = sql.one<{ seq: number; kind: string; status: string }>("SELECT seq, kind, status FROM steps WHERE name = ? AND count = ?", step.name, step.count);
  if (!found) return { ok: false, code: "STEP_NOT_FOUND", step };
  const refuse = (why: string): ResolveResult & { ok: false } => ({
    ok: false,
    code: "STEP_NOT_RESOLVABLE",
    message: `step "${step.name}" #${step.count} of instance "${row.id}" cannot be resolved: ${why}`,
  });
  if (found.kind !== "do") return refuse(`it is a ${found.kind} step; only step.do results can be given`);
  if (row.status === "failed") {
    if (found.status !== "failed") return refuse(`the instance failed, but this step is ${found.status}`);
    const later = sql.one<{ seq: number }>("SELECT seq FROM steps WHERE seq > ? LIMIT 1", found.seq);
    if (later) return refuse("steps ran after it failed (a catch or a rollback); restart from it instead");
    return { ok: true, seq: found.seq, step };
  }
  if (row.status === "waiting" || row.status === "running" || row.status === "paused") {
    if (found.status !== "retrying") return refuse(`it is ${found.status}; a step of a ${row.status} instance can be resolved while it waits to retry`);
    return { ok: true, seq: found.seq, step };
  }
  return refuse(`the instance is ${row.status}`);
}

/** Journals the operator's output as the step's result, with who and when, and drops the step's timer. */
export function journalResolution(sql: Sql, seq: number, request: ResolveRequest, now: number): void {
  sql.run(
    "UPDATE steps SET status = 'completed', result = ?, error = NULL, due_at = NULL, finished_at = ?, resolved_by = ? WHERE seq = ?",
    request.output ?? null,
    now,
    JSON.stringify({ by: request.by, at: new Date(now).toISOString() }),
    seq,
  );
  sql.run("DELETE FROM timers WHERE key = ?", `step:${seq}`);
}
