/**
 * POST /api/bulk: dry runs, each action over the instances a filter matches,
 * progress, cancel, and at most once per instance even when a job's record of an
 * action it sent is lost (as a crash between the two would lose it).
 */
import { SELF, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import type { BulkJob } from "../../src/bulk/job.js";
import { CairnApiError, createClient } from "../../src/client/index.js";
import { effects } from "../fixtures/effects.js";
import { TOKENS, api, read, start, stubFor, uniqueId, waitForIndex, waitForStatus, waitUntil } from "../helpers.js";

type Job = {
  id: string;
  status: string;
  matched: number;
  done: number;
  skipped: number;
  failed: number;
  pending: number;
  skippedReasons: { reason: string; count: number }[];
  action: Record<string, unknown>;
  filter: Record<string, unknown>;
};

async function bulk(body: unknown): Promise<{ status: number; body: any }> {
  const res = await api("/api/bulk", { method: "POST", json: body });
  return { status: res.status, body: await res.json() };
}

async function job(id: string): Promise<Job> {
  const res = await api(`/api/bulk/${id}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Job;
}

async function finished(id: string, timeoutMs = 15_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await job(id);
    if (view.status === "completed" || view.status === "cancelled") return view;
    if (Date.now() > deadline) throw new Error(`bulk job ${id} still ${view.status}: ${JSON.stringify(view)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `n` instances of test-inbox (they wait for events), tagged with a fresh run tag, all in the index as waiting. */
async function waiters(n: number, prefix: string): Promise<{ run: string; ids: string[] }> {
  const run = uniqueId(prefix);
  const ids = Array.from({ length: n }, (_, i) => `${run}-${String(i).padStart(3, "0")}`);
  await Promise.all(ids.map((id) => start("test-inbox", { id, tags: { run } })));
  await Promise.all(ids.map((id) => waitForIndex(id, (row) => row?.status === "waiting", "waiting")));
  return { run, ids };
}

suite("bulk actions", () => {
  it("counts and shows a sample on a dry run, and changes nothing", async () => {
    const { run, ids } = await waiters(12, "bulk-dry");
    const res = await bulk({ filter: { tag: [`run:${run}`] }, action: { kind: "terminate" }, dryRun: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ dryRun: true, matched: 12, tooMany: false });
    expect(res.body.sample).toHaveLength(10);
    for (const item of res.body.sample) expect(ids).toContain(item.id);
    expect((await read(ids[0]!)).status).toBe("waiting");
  });

  it("terminates every matching instance once, skipping those it does not apply to with a reason", async () => {
    const { run, ids } = await waiters(60, "bulk-term");
    const done = `${run}-done`;
    await start("test-counted-chain", { id: done, tags: { run }, input: { steps: 1 } });
    await waitForIndex(done, (row) => row?.status === "completed", "completed");

    const began = Date.now();
    const res = await bulk({ filter: { tag: [`run:${run}`] }, action: { kind: "terminate" } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.status).toBe("snapshotting");
    const view = await finished(res.body.id);
    expect(view).toMatchObject({ status: "completed", matched: 61, done: 60, skipped: 1, failed: 0, pending: 0 });
    console.log(`bulk terminate of 61 instances: ${Date.now() - began} ms`);
    expect(view.skippedReasons).toEqual([{ reason: "already completed", count: 1 }]);
    expect(view.filter).toEqual({ status: [], tag: [`run:${run}`], attr: [] });
    for (const id of ids) expect((await read(id)).status).toBe("terminated");

    const skipped = await (await api(`/api/bulk/${res.body.id}/instances?state=skipped`)).json();
    expect(skipped).toEqual({ instances: [{ id: done, state: "skipped", reason: "already completed", tries: 1 }], nextCursor: null });
    const page = (await (await api(`/api/bulk/${res.body.id}/instances?limit=50`)).json()) as { instances: unknown[]; nextCursor: string };
    expect(page.instances).toHaveLength(50);
    const rest = (await (await api(`/api/bulk/${res.body.id}/instances?limit=50&cursor=${page.nextCursor}`)).json()) as { instances: unknown[]; nextCursor: null };
    expect(rest.instances).toHaveLength(11);
    expect(rest.nextCursor).toBeNull();

    // The same job id again answers the job; it does nothing more.
    const again = await bulk({ id: res.body.id, filter: { tag: [`run:${run}`] }, action: { kind: "terminate" } });
    expect(again.status).toBe(200);
    expect(again.body.done).toBe(60);
  });

  it("pauses, resumes, sends an event to, restarts from a step and deletes what matches", async () => {
    const { run, ids } = await waiters(5, "bulk-each");
    const filter = { tag: [`run:${run}`], workflow: "test-inbox" };

    const paused = await finished((await bulk({ filter, action: { kind: "pause" } })).body.id);
    expect(paused).toMatchObject({ done: 5, skipped: 0 });
    for (const id of ids) expect((await read(id)).status).toBe("paused");
    await Promise.all(ids.map((id) => waitForIndex(id, (row) => row?.status === "paused", "paused")));
    const again = await finished((await bulk({ filter: { ...filter, status: ["paused", "waiting"] }, action: { kind: "pause" } })).body.id);
    expect(again.skippedReasons).toEqual([{ reason: "already paused", count: 5 }]);

    expect(await finished((await bulk({ filter, action: { kind: "resume" } })).body.id)).toMatchObject({ done: 5 });
    for (const id of ids) await waitForStatus(id, "waiting");

    const sent = await finished((await bulk({ filter, action: { kind: "event", type: "note", payload: "from bulk" } })).body.id);
    expect(sent).toMatchObject({ done: 5, action: { kind: "event", type: "note", payload: "from bulk" } });
    for (const id of ids) {
      const view = await read(id);
      expect(view.steps.find((s) => s.name === "first")?.result).toMatchObject({ payload: "from bulk" });
    }

    const restarted = await finished((await bulk({ filter, action: { kind: "restart", fromStep: { name: "first" } } })).body.id);
    expect(restarted).toMatchObject({ done: 5 });
    for (const id of ids) {
      // From "first" on: its event went back to the inbox, so "first" takes it again and "second" waits.
      const view = await waitUntil(id, (v) => v.status === "waiting" && v.steps.length === 2, "waiting at its second step");
      expect(view.steps.map((s) => [s.name, s.status])).toEqual([["first", "completed"], ["second", "waiting"]]);
    }
    const noStep = await finished((await bulk({ filter, action: { kind: "restart", fromStep: { name: "nowhere" } } })).body.id);
    expect(noStep.skippedReasons).toEqual([{ reason: 'no step "nowhere" #1 in its journal', count: 5 }]);

    expect(await finished((await bulk({ filter, action: { kind: "delete" } })).body.id)).toMatchObject({ done: 5 });
    for (const id of ids) expect(await stubFor(id).read()).toBeNull();
  });

  it("terminates with rollback", async () => {
    const run = uniqueId("bulk-saga");
    const id = `${run}-1`;
    await start("test-saga", { id, tags: { run }, input: { mode: "wait" } });
    await waitForIndex(id, (row) => row?.status === "waiting", "waiting");
    const view = await finished((await bulk({ filter: { tag: [`run:${run}`] }, action: { kind: "terminate", rollback: true } })).body.id);
    expect(view).toMatchObject({ done: 1, action: { kind: "terminate", rollback: true } });
    const saga = await waitForStatus(id, "terminated");
    expect(saga.steps.some((s) => s.kind === "rollback")).toBe(true);
  });

  it("is cancelled: no more actions are sent, what was done stays counted, and a second cancel is refused", async () => {
    const { run, ids } = await waiters(40, "bulk-cancel");
    const res = await bulk({ filter: { tag: [`run:${run}`] }, action: { kind: "pause" } });
    const cancel = await api(`/api/bulk/${res.body.id}/cancel`, { method: "POST" });
    // The job may have reached every instance before the cancel came: then there is nothing to cancel.
    if (cancel.status === 409) return expect((await job(res.body.id)).status).toBe("completed");
    expect(cancel.status).toBe(200);
    const view = (await cancel.json()) as Job;
    expect(view.status).toBe("cancelled");
    // Actions already under way (at most 10 at once) finish and are counted; then nothing moves.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const later = await job(res.body.id);
    expect(later.done).toBeLessThanOrEqual(view.done + 10);
    expect(later.done + later.skipped + later.failed + later.pending).toBe(later.matched);
    const paused = async () => (await Promise.all(ids.map((id) => read(id)))).filter((v) => v.status === "paused").length;
    expect(await paused()).toBe(later.done);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await job(res.body.id)).toEqual(later);
    expect(await paused()).toBe(later.done);
    const twice = await api(`/api/bulk/${res.body.id}/cancel`, { method: "POST" });
    expect(twice.status).toBe(409);
    expect(((await twice.json()) as { code: string }).code).toBe("BULK_FINISHED");
  });

  it("does an action at most once per instance when the job lost its record of sending it", async () => {
    const run = uniqueId("bulk-once");
    const ids = [`${run}-a`, `${run}-b`];
    for (const id of ids) await start("test-counted-chain", { id, tags: { run }, input: { steps: 1 } });
    for (const id of ids) await waitForIndex(id, (row) => row?.status === "completed", "completed");
    const res = await bulk({ filter: { tag: [`run:${run}`] }, action: { kind: "restart" } });
    expect(await finished(res.body.id)).toMatchObject({ done: 2 });
    for (const id of ids) await waitForStatus(id, "completed");
    const ranBefore = ids.map((id) => effects(`${id}/add/0`));
    expect(ranBefore).toEqual([2, 2]);

    // As if the runtime died after the restarts landed and before the job wrote them down.
    const stub = env.BULK_JOB.get(env.BULK_JOB.idFromName(res.body.id));
    await runInDurableObject(stub, (_job: BulkJob, state) => {
      state.storage.sql.exec("UPDATE targets SET state = 'pending', reason = NULL");
      state.storage.sql.exec("UPDATE job SET status = 'running', done = 0, finished_at = NULL");
      return state.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(stub);
    const view = await finished(res.body.id);
    expect(view).toMatchObject({ done: 2, skipped: 0, failed: 0 });
    const targets = (await (await api(`/api/bulk/${res.body.id}/instances`)).json()) as { instances: { reason?: string; tries: number }[] };
    expect(targets.instances.map((t) => [t.reason, t.tries])).toEqual([
      ["already applied (an earlier try whose answer was lost)", 2],
      ["already applied (an earlier try whose answer was lost)", 2],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ids.map((id) => effects(`${id}/add/0`))).toEqual([2, 2]);
  });

  it("is driven from the typed client, with attribute filters", async () => {
    const client = createClient({ baseUrl: "http://cairn.test", token: TOKENS.full, fetch: (request) => SELF.fetch(request) });
    const run = uniqueId("bulk-client");
    const ids = [`${run}-a`, `${run}-b`] as const;
    await start("test-attributed", { id: ids[0], input: { orderId: `${run}-1` }, tags: { run } });
    await start("test-attributed", { id: ids[1], input: { orderId: `${run}-2` }, tags: { run } });
    for (const id of ids) await waitForIndex(id, (row) => row?.status === "waiting", "waiting");
    const listed = await client.list({ tags: { run }, attributes: { orderId: `${run}-2` } });
    expect(listed.instances.map((i) => i.id)).toEqual([ids[1]]);
    const dry = await client.bulkDryRun({ tags: { run }, attributes: [`orderId:${run}-1`] }, { kind: "terminate" });
    expect(dry.matched).toBe(1);
    const started = await client.bulk({ tags: { run }, attributes: { orderId: `${run}-1` } }, { kind: "event", type: "go", payload: { stage: "via-client" } });
    const done = await finished(started.id);
    expect(done).toMatchObject({ done: 1, filter: { tag: [`run:${run}`], attr: [`orderId:${run}-1`] } });
    expect((await client.bulkJob(started.id)).done).toBe(1);
    expect((await client.bulkInstances(started.id, { state: "done" })).instances).toEqual([{ id: ids[0], state: "done", tries: 1 }]);
    expect((await waitForStatus(ids[0], "completed")).attributes?.stage).toBe("via-client");
    expect((await read(ids[1])).status).toBe("waiting");
    const refused = await client.cancelBulk(started.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CairnApiError);
    expect((refused as CairnApiError).code).toBe("BULK_FINISHED");
  });

  it("refuses a bad request and an unknown job", async () => {
    expect((await bulk({ filter: {}, action: { kind: "explode" } })).status).toBe(422);
    expect((await bulk({ filter: { status: ["sideways"] }, action: { kind: "pause" } })).status).toBe(422);
    expect((await bulk({ action: { kind: "pause" } })).status).toBe(422);
    const missing = await api(`/api/bulk/${uniqueId("nope")}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe("BULK_NOT_FOUND");
  });
});
