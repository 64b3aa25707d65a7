/**
 * Helpers shared by the runtime tests.
 */
import { SELF, env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import type { InstanceView } from "../src/instance/rpc.js";
import type { Status } from "../src/engine/index.js";
import { findIndexRow, indexDb } from "../src/index-db/queries.js";

let counter = 0;
/** A fresh id per call, so no two tests share an instance. */
export function uniqueId(prefix: string): string {
  counter++;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

export function stubFor(id: string) {
  return env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(id));
}

/** The tokens vitest.config.ts gives the Worker. */
export const TOKENS = { full: "test-api-token", readonly: "test-readonly-token" } as const;

/** A request to the Worker; with the full API token unless `auth` says otherwise. */
export async function api(path: string, init: RequestInit & { json?: unknown; auth?: keyof typeof TOKENS | false } = {}): Promise<Response> {
  const { json, auth = "full", ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set("content-type", "application/json");
  if (auth && !headers.has("authorization")) headers.set("authorization", `Bearer ${TOKENS[auth]}`);
  return SELF.fetch(new Request(`http://cairn.test${path}`, { ...rest, headers, ...(json !== undefined && { body: JSON.stringify(json) }) }));
}

export async function start(workflow: string, body: { id?: string; input?: unknown; tags?: Record<string, string> }) {
  const res = await api(`/api/workflows/${workflow}/instances`, { method: "POST", json: body });
  if (res.status !== 201 && res.status !== 200) throw new Error(`start failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; status: Status };
}

export async function read(id: string): Promise<InstanceView> {
  const view = await stubFor(id).read();
  if (!view) throw new Error(`no instance ${id}`);
  return view as InstanceView;
}

/** Polls (every 10 ms) until `ready` holds for the instance; alarms fire on their own in tests. */
export async function waitUntil(id: string, ready: (view: InstanceView) => boolean, what: string, timeoutMs = 10_000): Promise<InstanceView> {
  const deadline = Date.now() + timeoutMs;
  let view = await read(id);
  while (!ready(view)) {
    if (Date.now() > deadline) throw new Error(`instance ${id} is not ${what} after ${timeoutMs} ms: ${JSON.stringify(view)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
    view = await read(id);
  }
  return view;
}

/** Polls until the instance reaches one of `statuses`. */
export function waitForStatus(id: string, statuses: Status | Status[], timeoutMs = 10_000): Promise<InstanceView> {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  return waitUntil(id, (view) => wanted.includes(view.status), wanted.join("/"), timeoutMs);
}

/** The instance's row in the D1 index, as it stands now. */
export async function indexRow(id: string) {
  return findIndexRow(indexDb(env.DB), id);
}

/** Polls the D1 index until the instance's row satisfies `ready` (the index may lag by moments). */
export async function waitForIndex(
  id: string,
  ready: (row: Awaited<ReturnType<typeof indexRow>>) => boolean,
  what: string,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  let row = await indexRow(id);
  while (!ready(row)) {
    if (Date.now() > deadline) throw new Error(`index row of ${id} is not ${what} after ${timeoutMs} ms: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
    row = await indexRow(id);
  }
  return row;
}

/** Drops the object from memory (a no-op when it is not running): its next call replays the journal. */
export async function evict(id: string): Promise<void> {
  await evictDurableObject(stubFor(id)).catch((error: Error) => {
    if (!/not currently running/.test(error.message)) throw error;
  });
}

/** Kills the instance's object as a crash would: its memory (executions, timers) is gone, its storage stays. */
export async function crash(id: string, reason = "simulated crash"): Promise<void> {
  await runInDurableObject(stubFor(id), (_instance, state) => {
    try {
      state.abort(reason);
    } catch {
      // abort() throws in its caller as well.
    }
  }).catch(() => {});
}

/**
 * Makes every timer of the instance due now, as if the clock had jumped past them.
 * The object is evicted first so that its next execution reads the changed journal.
 */
export async function expireTimers(id: string): Promise<void> {
  await evict(id);
  await runInDurableObject(stubFor(id), (_instance, state) => {
    state.storage.sql.exec("UPDATE steps SET due_at = ? WHERE due_at IS NOT NULL", Date.now() - 1);
    state.storage.sql.exec("UPDATE timers SET due_at = ?", Date.now() - 1);
  });
}
