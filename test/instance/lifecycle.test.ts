/**
 * Lifecycle controls through the API: pause, resume, terminate, restart, delete,
 * illegal transitions, and retention; the index follows each change.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import type { WorkflowInstance } from "../../src/instance/object.js";
import { effects, switches } from "../fixtures/effects.js";
import { api, crash, indexRow, read, start, stubFor, uniqueId, waitForIndex, waitForStatus, waitUntil } from "../helpers.js";

const post = (id: string, action: string, json?: unknown) =>
  api(`/api/instances/${id}/${action}`, { method: "POST", ...(json !== undefined && { json }) });

async function ok(res: Response, status: string) {
  expect(res.status, await res.clone().text()).toBe(200);
  expect(await res.json()).toMatchObject({ status });
}

/** Starts test-gated and waits until its first step is running (held). */
async function startHeld(prefix: string): Promise<string> {
  const id = uniqueId(prefix);
  await start("test-gated", { id });
  await waitUntil(id, () => effects(`${id}/held`) === 1, "holding its first step");
  return id;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

suite("pause and resume", () => {
  it("lets the running step finish, starts nothing new, fires no timer until resumed", async () => {
    const id = await startHeld("pause");
    await ok(await post(id, "pause"), "paused");
    switches.set(`${id}/release`, true);
    // The held step finishes and is journaled; the 100 ms nap is due, but nothing goes on while paused.
    await waitUntil(id, (v) => v.steps[0]?.status === "completed", "done with its first step");
    await sleep(400);
    let view = await read(id);
    expect(view.status).toBe("paused");
    expect(effects(`${id}/after nap`)).toBe(0);
    await waitForIndex(id, (row) => row?.status === "paused", "paused");

    await ok(await post(id, "resume"), "running");
    view = await waitForStatus(id, "completed");
    expect(view.output).toEqual(["held result", "second", "third"]);
    expect([effects(`${id}/held`), effects(`${id}/after nap`), effects(`${id}/last`)]).toEqual([1, 1, 1]);
    await waitForIndex(id, (row) => row?.status === "completed", "completed");
  });

  it("keeps a waiting instance's timers while paused and fires them after resume", async () => {
    const id = uniqueId("pause-waiting");
    await start("test-counted-chain", { id, input: { steps: 2, sleepAfter: 0, sleepMs: 200 } });
    await waitForStatus(id, "waiting");
    await ok(await post(id, "pause"), "paused");
    await sleep(400);
    expect((await read(id)).status).toBe("paused");
    expect(effects(`${id}/add/1`)).toBe(0);
    await ok(await post(id, "resume"), "running");
    expect((await waitForStatus(id, "completed")).output).toEqual({ total: 1 });
  });

  it("answers 409 naming the status for a resume that is not paused and a pause of a finished instance", async () => {
    const id = uniqueId("illegal");
    await start("test-doomed", { id });
    await waitForStatus(id, "failed");
    for (const action of ["pause", "resume", "terminate"]) {
      const res = await post(id, action);
      expect(res.status).toBe(409);
      const body = (await res.json()) as { code: string; detail: string; currentStatus: string };
      expect(body).toMatchObject({ code: "INVALID_TRANSITION", currentStatus: "failed" });
      expect(body.detail).toContain("failed");
    }
  });

  it("answers 404 for lifecycle actions on an unknown instance", async () => {
    for (const action of ["pause", "resume", "terminate", "restart"]) expect((await post("no-such-instance", action)).status).toBe(404);
    expect((await api("/api/instances/no-such-instance", { method: "DELETE" })).status).toBe(404);
  });
});

suite("terminate", () => {
  it("aborts the running step's signal, journals it cancelled with its cause, discards its late result and clears timers", async () => {
    const id = await startHeld("terminate");
    await ok(await post(id, "terminate"), "terminated");
    expect(effects(`${id}/held-aborted`)).toBe(1);
    switches.set(`${id}/release`, true);
    await sleep(200);
    const view = await read(id);
    expect(view.status).toBe("terminated");
    expect(view.steps).toHaveLength(1);
    // Not "running" for ever: the attempt ended when the instance was terminated, and says so.
    const [step] = view.steps;
    expect(step).toMatchObject({ status: "cancelled", attempts: 1, error: { code: "TERMINATED", step: { name: step!.name, count: 1 } } });
    expect(step!.finishedAt).toBeDefined();
    expect(step!.result).toBeUndefined();
    expect(step!.failedAttempts).toEqual([expect.objectContaining({ attempt: 1, error: expect.objectContaining({ code: "TERMINATED" }) })]);
    expect(effects(`${id}/after nap`)).toBe(0);
    await runInDurableObject(stubFor(id), (_i: WorkflowInstance, state) => {
      expect(state.storage.sql.exec("SELECT key FROM timers WHERE key LIKE 'step:%'").toArray()).toEqual([]);
    });
    await waitForIndex(id, (row) => row?.status === "terminated", "terminated");
  });

  it("journals a step cancelled when the object lost its memory mid-step and no execution is there", async () => {
    const id = await startHeld("terminate-evicted");
    await crash(id);
    await ok(await post(id, "terminate"), "terminated");
    const view = await read(id);
    expect(view.steps).toHaveLength(1);
    expect(view.steps[0]).toMatchObject({ status: "cancelled", error: { code: "TERMINATED" } });
    expect(view.steps[0]!.failedAttempts).toEqual([expect.objectContaining({ attempt: 1, error: expect.objectContaining({ code: "TERMINATED" }) })]);
    switches.set(`${id}/release`, true);
  });

  it("terminates a waiting instance; it takes no more events", async () => {
    const id = uniqueId("terminate-waiting");
    await start("approval", { id, input: { request: "x", amountCents: 1, approver: "a" } });
    await waitForStatus(id, "waiting");
    await ok(await post(id, "terminate"), "terminated");
    const res = await api(`/api/instances/${id}/events`, { method: "POST", json: { type: "decision", payload: { approved: true, by: "a" } } });
    expect(res.status).toBe(409);
  });
});

suite("restart", () => {
  it("runs a finished instance again from the beginning", async () => {
    const id = uniqueId("restart");
    await start("test-counted-chain", { id, input: { steps: 3 } });
    await waitForStatus(id, "completed");
    await ok(await post(id, "restart"), "queued");
    const view = await waitForStatus(id, "completed");
    expect(view.output).toEqual({ total: 3 });
    for (let i = 0; i < 3; i++) expect(effects(`${id}/add/${i}`)).toBe(2);
    await waitForIndex(id, (row) => row?.status === "completed" && (row?.version ?? 0) > 4, "completed again");
  });

  it("restarts from a step: earlier results are kept, that step and later ones run again", async () => {
    const id = uniqueId("restart-from");
    await start("test-counted-chain", { id, input: { steps: 4 } });
    await waitForStatus(id, "completed");
    await ok(await post(id, "restart", { fromStep: { name: "add", count: 3 } }), "queued");
    await waitForStatus(id, "completed");
    expect([0, 1, 2, 3].map((i) => effects(`${id}/add/${i}`))).toEqual([1, 1, 2, 2]);
  });

  it("restarts a failed instance, clearing its error", async () => {
    const id = uniqueId("restart-failed");
    await start("test-flaky", { id, input: { failures: 1, limit: 0, delayMs: 10 } });
    expect((await waitForStatus(id, "failed")).error?.code).toBe("STEP_FAILED");
    await ok(await post(id, "restart"), "queued");
    // Attempt counting starts over: the second run's first attempt is attempt 1 again and fails the same way.
    const view = await waitForStatus(id, "failed");
    expect(effects(`${id}/flaky`)).toBe(2);
    expect(view.steps).toHaveLength(1);
  });

  it("restarts an instance that is still running, aborting the step in flight", async () => {
    const id = await startHeld("restart-running");
    await ok(await post(id, "restart"), "queued");
    expect(effects(`${id}/held-aborted`)).toBe(1);
    await waitUntil(id, () => effects(`${id}/held`) === 2, "holding again");
    switches.set(`${id}/release`, true);
    expect((await waitForStatus(id, "completed")).output).toEqual(["held result", "second", "third"]);
  });

  it("answers 422 for a step the journal does not have, and for a bad body", async () => {
    const id = uniqueId("restart-unknown-step");
    await start("test-counted-chain", { id, input: { steps: 1 } });
    await waitForStatus(id, "completed");
    const res = await post(id, "restart", { fromStep: { name: "nope" } });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: "STEP_NOT_FOUND" });
    expect((await post(id, "restart", { fromStep: { count: 0 } })).status).toBe(422);
    expect((await read(id)).status).toBe("completed");
  });
});

suite("delete and retention", () => {
  it("deletes the instance's storage and its index row", async () => {
    const id = uniqueId("delete");
    await start("test-counted-chain", { id, input: { steps: 2 } });
    await waitForStatus(id, "completed");
    await waitForIndex(id, (row) => row?.status === "completed", "completed");
    const res = await api(`/api/instances/${id}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id, deleted: true });
    expect(await indexRow(id)).toBeUndefined();
    expect((await api(`/api/instances/${id}`)).status).toBe(404);
    await runInDurableObject(stubFor(id), async (_i: WorkflowInstance, state) => {
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'").toArray()).toEqual([]);
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });

  it("deletes a running instance, stopping its step", async () => {
    const id = await startHeld("delete-running");
    expect((await api(`/api/instances/${id}`, { method: "DELETE" })).status).toBe(200);
    expect(effects(`${id}/held-aborted`)).toBe(1);
    await sleep(100);
    expect(await indexRow(id)).toBeUndefined();
  });

  it("refuses to delete while the index is unavailable, keeping everything", async () => {
    const id = uniqueId("delete-outage");
    await start("test-doomed", { id });
    await waitForStatus(id, "failed");
    await waitForIndex(id, (row) => row?.status === "failed", "failed");
    switches.set(`d1-failures/${id}`, 1);
    const res = await api(`/api/instances/${id}`, { method: "DELETE" });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: "INDEX_UNAVAILABLE" });
    expect((await read(id)).status).toBe("failed");
    expect(await indexRow(id)).toBeDefined();
  });

  it("deletes a finished instance by itself when its retention passes, leaving nothing behind", async () => {
    const done = uniqueId("retention");
    const failed = uniqueId("retention-failed");
    await start("test-short-lived", { id: done });
    await start("test-short-lived", { id: failed, input: { fail: true } });
    for (const id of [done, failed]) {
      // It was written to the index (it may be gone from it by now), then goes from it and from storage.
      await waitForIndex(id, (row) => row === undefined, "gone", 10_000);
      expect(switches.get(`d1-writes/${id}`), `index writes of ${id}`).toBeGreaterThanOrEqual(2);
      expect(await stubFor(id).read()).toBeNull();
      await runInDurableObject(stubFor(id), async (_i: WorkflowInstance, state) => {
        expect(await state.storage.getAlarm()).toBeNull();
      });
    }
  });
});

suite("the actions table", () => {
  it("allows each action only where the transition table allows its move", async () => {
    const { ACTIONS, canTransition } = await import("../../src/engine/status.js");
    for (const [action, { from, to }] of Object.entries(ACTIONS)) {
      for (const status of from) expect(canTransition(status, to), `${action} from ${status}`).toBe(true);
    }
  });
});
