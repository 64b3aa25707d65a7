/**
 * The WorkflowInstance Durable Object in real workerd: alarms, eviction and replay,
 * retries, timeouts, sleeps, the inbox, duplicate deliveries, the determinism check.
 * Side effects are counted outside the journal (fixtures/effects.ts).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import type { WorkflowInstance } from "../../src/instance/object.js";
import { effects, switches } from "../fixtures/effects.js";
import { WAKE_IN_MEMORY_WITHIN_MS } from "../../src/lib/bounds.js";
import { api, crash, evict, expireTimers, read, start, stubFor, uniqueId, waitForStatus } from "../helpers.js";

/** Whether the instance's execution is in memory (the driver keeps it between wake-ups only while it waits a little). */
const inMemory = (id: string) => runInDurableObject(stubFor(id), (instance: WorkflowInstance) => (instance as unknown as { driver: { inMemory: boolean } }).driver.inMemory);

suite("WorkflowInstance", () => {
  it("survives eviction mid-workflow: completed steps are not run again", async () => {
    const id = uniqueId("evict");
    await start("test-counted-chain", { id, input: { steps: 6, sleepAfter: 2, sleepMs: 60_000 } });
    const waiting = await waitForStatus(id, "waiting");
    expect(waiting.waitingFor).toMatchObject({ kind: "sleep", step: "pause" });
    expect(waiting.steps.filter((s) => s.status === "completed")).toHaveLength(3);

    await evict(id);
    await expireTimers(id);
    expect(await runDurableObjectAlarm(stubFor(id))).toBe(true);

    const done = await waitForStatus(id, "completed");
    expect(done.output).toEqual({ total: 0 + 1 + 2 + 3 + 4 + 5 });
    for (let i = 0; i < 6; i++) expect(effects(`${id}/add/${i}`), `step ${i}`).toBe(1);
    // Evicted once: the workflow ran from the top twice (first run, one replay).
    expect(effects(`${id}/top`)).toBe(2);
  });

  it("survives an abort of the object in the middle of a workflow", async () => {
    const id = uniqueId("abort");
    await start("test-counted-chain", { id, input: { steps: 4, sleepAfter: 1, sleepMs: 60_000 } });
    await waitForStatus(id, "waiting");
    await crash(id, "simulated crash");
    await expireTimers(id);
    await runDurableObjectAlarm(stubFor(id));
    const done = await waitForStatus(id, "completed");
    expect(done.output).toEqual({ total: 6 });
    for (let i = 0; i < 4; i++) expect(effects(`${id}/add/${i}`)).toBe(1);
  });

  it("retries a failing step through the alarm, with its backoff, and keeps every attempt", async () => {
    const id = uniqueId("retry");
    const startedAt = Date.now();
    await start("test-flaky", { id, input: { failures: 2, limit: 3, delayMs: 100, backoff: "linear" } });
    const done = await waitForStatus(id, "completed");
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(100 + 200);
    expect(done.output).toEqual({ attempt: 3 });
    expect(effects(`${id}/flaky`)).toBe(3);
    const [step] = done.steps;
    expect(step).toMatchObject({ name: "flaky", status: "completed", attempts: 3 });
    expect(step!.failedAttempts?.map((a) => a.error.message)).toEqual(["failure #1", "failure #2"]);
  });

  it("shows a step waiting for its next attempt as waiting for a retry", async () => {
    const id = uniqueId("retry-wait");
    await start("test-flaky", { id, input: { failures: 1, limit: 1, delayMs: 60_000 } });
    const view = await waitForStatus(id, "waiting");
    expect(view.waitingFor).toMatchObject({ kind: "retry", step: "flaky" });
    expect(Date.parse(view.waitingFor!.until!)).toBeGreaterThan(Date.now() + 50_000);
  });

  it("fails the instance when retries run out, with the step's error", async () => {
    const id = uniqueId("exhausted");
    await start("test-flaky", { id, input: { failures: 5, limit: 1, delayMs: 10 } });
    const failed = await waitForStatus(id, "failed");
    expect(failed.error).toMatchObject({ code: "STEP_FAILED", message: "failure #2", step: { name: "flaky", count: 1 } });
    expect(effects(`${id}/flaky`)).toBe(2);
  });

  it("cuts a hanging step at its timeout, aborting its signal on each attempt", async () => {
    const id = uniqueId("hang");
    await start("test-hanging", { id, input: { timeoutMs: 100, limit: 1 } });
    const failed = await waitForStatus(id, "failed");
    expect(failed.error).toMatchObject({ code: "STEP_TIMEOUT" });
    expect(effects(`${id}/hang`)).toBe(2);
    expect(effects(`${id}/aborted`)).toBe(2);
  });

  it("fails at once on a NonRetryableError", async () => {
    const id = uniqueId("doomed");
    await start("test-doomed", { id });
    const failed = await waitForStatus(id, "failed");
    expect(failed.error).toMatchObject({ code: "NON_RETRYABLE", name: "Refused", message: "refused for good" });
    expect(effects(`${id}/refuse`)).toBe(1);
  });

  it("wakes from a short sleep on its own, on time, with no replay", async () => {
    const id = uniqueId("sleep");
    const startedAt = Date.now();
    await start("test-counted-chain", { id, input: { steps: 2, sleepAfter: 0, sleepMs: 300 } });
    const done = await waitForStatus(id, "completed");
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(300);
    // The object stayed in memory: the wake-up went on from the sleep, with no replay from the top.
    expect(effects(`${id}/top`)).toBe(1);
    const sleep = done.steps.find((s) => s.kind === "sleep")!;
    expect(Date.parse(sleep.finishedAt!) - Date.parse(sleep.startedAt)).toBeGreaterThanOrEqual(300);
  });

  it("wakes from a sleep through the alarm alone once the object is gone", async () => {
    const id = uniqueId("sleep-evicted");
    await start("test-counted-chain", { id, input: { steps: 2, sleepAfter: 0, sleepMs: 1_000 } });
    await waitForStatus(id, "waiting");
    // The in-memory wake-up goes with the object; the alarm set behind it must do the work.
    await crash(id, "evicted");
    const done = await waitForStatus(id, "completed");
    expect(done.output).toEqual({ total: 1 });
    expect(effects(`${id}/top`)).toBe(2);
    expect([effects(`${id}/add/0`), effects(`${id}/add/1`)]).toEqual([1, 1]);
  });

  it("leaves a waiting instance as it is when an alarm finds nothing due, its execution in memory or dropped", async () => {
    const id = uniqueId("idle-alarm");
    await start("test-counted-chain", { id, input: { steps: 1, sleepAfter: 0, sleepMs: 3_000 } });
    await waitForStatus(id, "waiting");
    expect(await inMemory(id)).toBe(true);
    const version = (of: string) => runInDurableObject(stubFor(of), (_i: WorkflowInstance, state) => state.storage.sql.exec<{ version: number }>("SELECT version FROM instance").one().version);
    const before = await version(id);
    await runInDurableObject(stubFor(id), (_i: WorkflowInstance, state) => state.storage.setAlarm(Date.now() + 60_000));
    expect(await runDurableObjectAlarm(stubFor(id))).toBe(true);
    expect(await version(id)).toBe(before);
    expect((await read(id)).status).toBe("waiting");

    const dropped = uniqueId("idle-alarm-dropped");
    await start("test-inbox", { id: dropped });
    const waiting = await waitForStatus(dropped, "waiting");
    expect(await inMemory(dropped)).toBe(false);
    const droppedBefore = await version(dropped);
    await runInDurableObject(stubFor(dropped), (_i: WorkflowInstance, state) => state.storage.setAlarm(Date.now() + 60_000));
    expect(await runDurableObjectAlarm(stubFor(dropped))).toBe(true);
    // No replay: the status did not go to running and back.
    expect(await version(dropped)).toBe(droppedBefore);
    expect(await inMemory(dropped)).toBe(false);
    expect((await read(dropped)).waitingFor).toEqual(waiting.waitingFor);
    for (const [type, payload] of [["note", "a"], ["note", "b"], ["done", "c"]]) {
      expect((await api(`/api/instances/${dropped}/events`, { method: "POST", json: { type, payload } })).status).toBe(202);
    }
    expect((await waitForStatus(dropped, "completed")).output).toEqual(["a", "b", "c"]);
  });

  it("keeps events that arrive early in the inbox and hands them out first in, first out", async () => {
    const id = uniqueId("inbox");
    await start("test-inbox", { id });
    const stub = stubFor(id);
    // All three arrive before the workflow gets past its first wait.
    for (const [type, payload] of [["note", "one"], ["done", "three"], ["note", "two"]] as const) {
      expect(await stub.sendEvent({ type, payload: JSON.stringify(payload) })).toMatchObject({ ok: true, duplicate: false });
    }
    const done = await waitForStatus(id, "completed");
    expect(done.output).toEqual(["one", "two", "three"]);
  });

  it("accepts an event id once: a repeat is reported as a duplicate and delivered to nobody", async () => {
    const id = uniqueId("dup-event");
    await start("test-inbox", { id });
    const stub = stubFor(id);
    expect(await stub.sendEvent({ type: "note", id: "evt-1", payload: '"a"' })).toEqual({ ok: true, id: "evt-1", duplicate: false });
    expect(await stub.sendEvent({ type: "note", id: "evt-1", payload: '"a"' })).toEqual({ ok: true, id: "evt-1", duplicate: true });
    await waitForStatus(id, "waiting");
    let view = await read(id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    view = await read(id);
    // The first note was taken; the duplicate did not satisfy the second wait.
    expect(view.steps.map((s) => [s.name, s.status])).toEqual([["first", "completed"], ["second", "waiting"]]);
    await stub.sendEvent({ type: "note", id: "evt-2", payload: '"b"' });
    await stub.sendEvent({ type: "done", id: "evt-3", payload: '"c"' });
    expect((await waitForStatus(id, "completed")).output).toEqual(["a", "b", "c"]);
  });

  it("refuses an event for a finished instance", async () => {
    const id = uniqueId("finished");
    await start("test-doomed", { id });
    await waitForStatus(id, "failed");
    expect(await stubFor(id).sendEvent({ type: "late" })).toEqual({ ok: false, code: "INSTANCE_FINISHED", status: "failed" });
  });

  it("does nothing twice when an alarm is delivered twice", async () => {
    const id = uniqueId("double-alarm");
    await start("test-counted-chain", { id, input: { steps: 3, sleepAfter: 1, sleepMs: 60_000 } });
    const before = await waitForStatus(id, "waiting");
    await expireTimers(id);
    await runDurableObjectAlarm(stubFor(id));
    await runDurableObjectAlarm(stubFor(id));
    const done = await waitForStatus(id, "completed");
    expect(done.steps).toHaveLength(before.steps.length + 1);
    for (let i = 0; i < 3; i++) expect(effects(`${id}/add/${i}`)).toBe(1);
    // A late, spurious alarm after completion changes nothing.
    await runInDurableObject(stubFor(id), (instance: WorkflowInstance) => instance.alarm());
    expect(await read(id)).toEqual(done);
  });

  it("runs a step the journal does not hold yet after a replay (new code past the journal's end)", async () => {
    const id = uniqueId("past-the-end");
    await start("test-shifty", { id });
    await waitForStatus(id, "waiting");
    switches.set(`${id}/after`, "renamed");
    await expireTimers(id);
    await runDurableObjectAlarm(stubFor(id));
    expect((await waitForStatus(id, ["completed", "failed"])).status).toBe("completed");
    expect(effects(`${id}/first`)).toBe(1);
    expect(effects(`${id}/renamed`)).toBe(1);
  });

  it("fails with NON_DETERMINISTIC, naming both steps, when the code replaces a journaled step", async () => {
    const id = uniqueId("nondeterministic");
    await start("test-shifty", { id });
    await waitForStatus(id, "waiting");
    switches.set(`${id}/before`, "replacement");
    await expireTimers(id);
    await runDurableObjectAlarm(stubFor(id));
    const failed = await waitForStatus(id, ["completed", "failed"]);
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("NON_DETERMINISTIC");
    expect(failed.error?.message).toContain('do "first"');
    expect(failed.error?.message).toContain('do "replacement"');
    // Neither the replacement nor anything after it ran.
    expect(effects(`${id}/replacement`)).toBe(0);
    expect(effects(`${id}/second`)).toBe(0);
    expect(effects(`${id}/first`)).toBe(1);
  });

  it("drops an execution waiting for an event from memory at once; the event completes it from a replay", async () => {
    const id = uniqueId("drop-event");
    await start("test-large-then-wait", { id, input: { count: 2, bytes: 100 } });
    expect((await waitForStatus(id, "waiting")).waitingFor).toMatchObject({ kind: "event", eventType: "go" });
    expect(await inMemory(id)).toBe(false);

    const res = await api(`/api/instances/${id}/events`, { method: "POST", json: { type: "go", payload: "now" } });
    expect(res.status).toBe(202);
    const done = await waitForStatus(id, "completed");
    expect(done.output).toEqual({ lengths: [100, 100], heads: ["0:", "1:"], go: "now" });
    // A replay from the top: journaled steps were not run again.
    expect(effects(`${id}/top`)).toBe(2);
    expect(done.steps.map((s) => [s.name, s.kind, s.status, s.attempts])).toEqual([["big", "do", "completed", 1], ["big", "do", "completed", 1], ["go", "event", "completed", 0]]);
  });

  it("drops an execution sleeping past the in-memory wake-up window, and keeps one that wakes within it", async () => {
    const far = uniqueId("drop-far-sleep");
    const near = uniqueId("keep-near-sleep");
    await start("test-counted-chain", { id: far, input: { steps: 1, sleepAfter: 0, sleepMs: WAKE_IN_MEMORY_WITHIN_MS + 60_000 } });
    await start("test-counted-chain", { id: near, input: { steps: 1, sleepAfter: 0, sleepMs: 1_500 } });
    await waitForStatus(far, "waiting");
    await waitForStatus(near, "waiting");
    expect(await inMemory(far)).toBe(false);
    expect(await inMemory(near)).toBe(true);
    expect((await waitForStatus(near, "completed")).output).toEqual({ total: 0 });
    expect(effects(`${near}/top`)).toBe(1);
  });

  it("drops an execution waiting a little when its results are over the memory budget; the wake-up replays it", async () => {
    const large = uniqueId("budget-large");
    const small = uniqueId("budget-small");
    // Two results of 200,000 characters: over IDLE_EXECUTION_MAX_RESULT_BYTES (256 KiB) together.
    await start("test-large-then-wait", { id: large, input: { count: 2, bytes: 200_000, napMs: 1_500 } });
    await start("test-large-then-wait", { id: small, input: { count: 2, bytes: 100, napMs: 1_500 } });
    await waitForStatus(large, "waiting");
    await waitForStatus(small, "waiting");
    expect(await inMemory(large)).toBe(false);
    expect(await inMemory(small)).toBe(true);

    expect((await waitForStatus(large, "completed")).output).toEqual({ lengths: [200_000, 200_000], heads: ["0:", "1:"], go: "slept" });
    expect((await waitForStatus(small, "completed")).output).toEqual({ lengths: [100, 100], heads: ["0:", "1:"], go: "slept" });
    // The dropped one ran from the top again (a replay); the one kept in memory went on where it waited.
    expect(effects(`${large}/top`)).toBe(2);
    expect(effects(`${small}/top`)).toBe(1);
  });
});
