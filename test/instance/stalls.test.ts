/**
 * The cases where an instance used to stall out of sight, each in a real Durable
 * Object: its workflow taken out of the deployment (and put back), a concurrency
 * key that throws, a gate that cannot be reached, terminate with rollback of a
 * paused instance, each with the runtime restarted in the middle.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe as suite, expect, it, vi } from "vitest";
import { effects } from "../fixtures/effects.js";
import { gatesDown, unregistered } from "../fixtures/worker.js";
import { api, crash, read, start, stubFor, uniqueId, waitForIndex, waitForStatus, waitUntil } from "../helpers.js";

const post = (id: string, action: string, json?: unknown) =>
  api(`/api/instances/${id}/${action}`, { method: "POST", ...(json !== undefined && { json }) });
const send = (id: string, type: string, payload: unknown) => post(id, "events", { type, payload });

afterEach(() => {
  unregistered().clear();
  gatesDown().clear();
  vi.restoreAllMocks();
});

/** Runs the instance's alarm with its own timers due, as if time had passed. */
async function timePasses(id: string): Promise<void> {
  await runInDurableObject(stubFor(id), (_instance, state) => {
    state.storage.sql.exec("UPDATE timers SET due_at = ? WHERE key NOT LIKE 'step:%'", Date.now() - 1);
  });
  await runDurableObjectAlarm(stubFor(id));
}

suite("a workflow missing from the deployment", () => {
  it("makes a waiting instance wait for a deployment, says so in its view and the index, logs once, and goes on once registered again", async () => {
    const warn = vi.spyOn(console, "warn");
    const id = uniqueId("unregistered-waiting");
    await start("test-inbox", { id });
    await waitUntil(id, (v) => v.waitingFor?.eventType === "note", "waiting for a note");

    // A deployment without the workflow; the runtime restarts; an event arrives.
    unregistered().add("test-inbox");
    await crash(id);
    expect((await send(id, "note", "one")).status).toBe(202);
    let view = await waitUntil(id, (v) => v.waitingFor?.kind === "deployment", "waiting for a deployment");
    expect(view.status).toBe("waiting");
    expect(view.waitingFor).toMatchObject({ kind: "deployment", code: "WORKFLOW_NOT_REGISTERED", workflow: "test-inbox" });
    expect(view.waitingFor?.message).toContain("workflows/index.ts");
    const row = await waitForIndex(id, (r) => r?.waitingFor?.includes("WORKFLOW_NOT_REGISTERED") ?? false, "waiting for a deployment");
    expect(row?.status).toBe("waiting");

    // Time passes: it looks again and again, silently.
    for (let i = 0; i < 3; i++) await timePasses(id);
    const lines = warn.mock.calls.map((args) => args.join(" ")).filter((line) => line.includes(id) && line.includes("test-inbox"));
    expect(lines).toHaveLength(1);
    expect((await read(id)).waitingFor?.kind).toBe("deployment");

    // The workflow is deployed again and the runtime restarts: it goes on by itself.
    unregistered().delete("test-inbox");
    await crash(id);
    await timePasses(id);
    view = await waitUntil(id, (v) => v.waitingFor?.kind === "event" && v.steps.length === 2, "back to waiting for the second note");
    expect(view.steps[0]).toMatchObject({ name: "first", status: "completed", result: { payload: "one" } });
    await send(id, "note", "two");
    await send(id, "done", "three");
    expect((await waitForStatus(id, "completed")).output).toEqual(["one", "two", "three"]);
  });

  it("makes a queued instance wait too, and lets it be terminated or deleted meanwhile", async () => {
    unregistered().add("test-counted-chain");
    const terminated = uniqueId("unregistered-terminate");
    const deleted = uniqueId("unregistered-delete");
    for (const id of [terminated, deleted]) {
      await start("test-counted-chain", { id, input: { steps: 1 } });
      await waitUntil(id, (v) => v.waitingFor?.code === "WORKFLOW_NOT_REGISTERED", "waiting for a deployment");
    }
    const res = await post(terminated, "terminate");
    expect(res.status).toBe(200);
    expect((await read(terminated)).status).toBe("terminated");
    expect((await api(`/api/instances/${deleted}`, { method: "DELETE" })).status).toBe(200);
    expect(await stubFor(deleted).read()).toBeNull();
  });
});

suite("concurrency slots that cannot be had", () => {
  it("fails an instance whose concurrency key throws or is not a string, with a clear code", async () => {
    for (const key of ["throw", "number"] as const) {
      const id = uniqueId(`bad-key-${key}`);
      await start("test-badly-keyed", { id, input: { key } });
      const view = await waitForStatus(id, "failed");
      expect(view.error).toMatchObject({ code: "CONCURRENCY_KEY_INVALID" });
      expect(view.error?.message).toContain("concurrency.key()");
    }
    const fine = uniqueId("good-key");
    await start("test-badly-keyed", { id: fine, input: { key: "fine" } });
    expect((await waitForStatus(fine, "completed")).output).toBe("worked");
  });

  it("keeps an instance queued, visibly, while its gate cannot be reached, and runs it once the gate answers", async () => {
    gatesDown().add("test-badly-keyed:fine");
    const id = uniqueId("gate-down");
    await start("test-badly-keyed", { id, input: { key: "fine" } });
    const view = await waitUntil(id, (v) => v.waitingFor?.kind === "slot", "waiting for its gate");
    expect(view.status).toBe("queued");
    expect(view.waitingFor).toMatchObject({ kind: "slot", code: "GATE_UNAVAILABLE" });
    await crash(id);
    await timePasses(id);
    expect((await read(id)).status).toBe("queued");
    gatesDown().clear();
    await timePasses(id);
    expect((await waitForStatus(id, "completed")).output).toBe("worked");
  });
});

suite("terminate with rollback", () => {
  it("runs the rollbacks of a paused instance still in memory and ends terminated", async () => {
    const id = uniqueId("saga-paused");
    await start("test-saga", { id, input: { mode: "wait" } });
    await waitUntil(id, (v) => v.status === "waiting" && v.waitingFor?.kind === "event", "waiting");
    expect((await post(id, "pause")).status).toBe(200);
    const res = await post(id, "terminate", { rollback: true });
    expect(res.status).toBe(200);
    const done = await waitForStatus(id, "terminated");
    expect(done.steps.filter((s) => s.kind === "rollback").map((s) => [s.name, s.status])).toEqual([
      ["rollback ship", "completed"],
      ["rollback charge", "completed"],
      ["rollback reserve", "completed"],
    ]);
    for (const what of ['ship "S1"', 'charge "C1"', 'reserve "R1"']) expect(effects(`${id}/undo ${what}`)).toBe(1);
  });

  it("runs them for a paused instance after a restart of the runtime too", async () => {
    const id = uniqueId("saga-paused-crash");
    await start("test-saga", { id, input: { mode: "wait" } });
    await waitUntil(id, (v) => v.status === "waiting" && v.waitingFor?.kind === "event", "waiting");
    expect((await post(id, "pause")).status).toBe(200);
    await crash(id);
    expect((await post(id, "terminate", { rollback: true })).status).toBe(200);
    const done = await waitForStatus(id, "terminated");
    expect(done.steps.filter((s) => s.kind === "rollback")).toHaveLength(3);
  });
});
