/**
 * An operator's requests: pause, resume, terminate, restart, resolve a step,
 * debounce, each a cause of the lifecycle machine. A `requestId` (a bulk job's) is
 * remembered with the change, so the same request again changes nothing and
 * answers `duplicate`.
 */
import type { Cause } from "../engine/index.js";
import { rememberRequest, requestApplied } from "./requests.js";
import { findResolvable, journalResolution, type ResolveRequest, type ResolveResult } from "./resolve.js";
import { summary, type Rooms } from "./rooms.js";
import type { DebounceRequest, DebounceResult, DeleteResult, LifecycleResult, RestartRequest } from "./rpc.js";

export async function act(rooms: Rooms, cause: Cause, requestId?: string): Promise<LifecycleResult> {
  if (requestId !== undefined && rooms.rows.get() && requestApplied(rooms.sql, requestId)) return repeated(rooms);
  const remember = requestId === undefined ? undefined : () => rememberRequest(rooms.sql, requestId, Date.now());
  const { result, done } = rooms.apply(cause, undefined, remember);
  if (!result.ok) {
    if (result.code === "INVALID_TRANSITION" && result.status !== "absent") return { ok: false, code: "INVALID_TRANSITION", status: result.status };
    return { ok: false, code: "INSTANCE_NOT_FOUND" };
  }
  await done;
  return { ok: true, status: result.state.status === "absent" ? "terminated" : result.state.status };
}

export async function restart(rooms: Rooms, request: RestartRequest & { requestId?: string }): Promise<LifecycleResult> {
  if (request.requestId !== undefined && rooms.rows.get() && requestApplied(rooms.sql, request.requestId)) return repeated(rooms);
  let fromSeq = 0;
  if (request.fromStep && rooms.rows.get()) {
    const step = { name: request.fromStep.name, count: request.fromStep.count ?? 1 };
    const found = rooms.driver.journal().findStep(step.name, step.count);
    if (found === undefined) return { ok: false, code: "STEP_NOT_FOUND", step };
    fromSeq = found;
  }
  return act(rooms, { kind: "restart", fromSeq }, request.requestId);
}

export async function remove(rooms: Rooms): Promise<DeleteResult> {
  const { result, done } = rooms.apply({ kind: "delete" });
  if (!result.ok) return { ok: false, code: "INSTANCE_NOT_FOUND" };
  const purge = rooms.runner.purging;
  await done;
  return (await purge) ?? { ok: true };
}

export async function resolveStep(rooms: Rooms, request: ResolveRequest): Promise<ResolveResult> {
  const row = rooms.rows.get();
  if (!row) return { ok: false, code: "INSTANCE_NOT_FOUND" };
  const found = findResolvable(rooms.sql, row, request);
  if (!found.ok) return found;
  const { result, done } = rooms.apply({ kind: "resolve" }, undefined, () => journalResolution(rooms.sql, found.seq, request, Date.now()));
  if (!result.ok) return { ok: false, code: "STEP_NOT_RESOLVABLE", message: `the instance is ${result.status}` };
  await done;
  return { ok: true, status: result.state.status === "absent" ? row.status : result.state.status, step: found.step };
}

export async function debounce(rooms: Rooms, request: DebounceRequest): Promise<DebounceResult> {
  const { result, done } = rooms.apply({ kind: "debounce", until: request.until }, undefined, () => rooms.rows.setInput(request.input ?? null));
  if (!result.ok) return { ok: false, code: result.code === "INVALID_TRANSITION" ? "INVALID_TRANSITION" : "INSTANCE_NOT_FOUND" };
  await done;
  return { ok: true, instance: summary(rooms.rows.get()!) };
}

function repeated(rooms: Rooms): LifecycleResult {
  return { ok: true, status: rooms.rows.get()!.status, duplicate: true };
}
