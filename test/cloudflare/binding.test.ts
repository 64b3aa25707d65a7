/**
 * The `Workflow` binding: create, createBatch, get, deleteBatch and each instance
 * control, in Cloudflare's shapes, on the instance objects the HTTP API uses.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { workflowBinding } from "../../src/cloudflare";
import { registry } from "../../src/workflow.js";
import { read, expireTimers, stubFor, uniqueId, waitForIndex } from "../helpers.js";
import { cloudflareWorkflows } from "./workflows.js";
import { settle } from "./settle.js";

const classes = registry(cloudflareWorkflows);
const reminders = workflowBinding<{ note: string }>(env, classes, "cf-reminder");
const payments = workflowBinding<{ orderId: string; card: string; amount: number }>(env, classes, "cf-payment");

describe("values JSON cannot hold", () => {
  it("keeps a Date in the params and a Date, Map and BigInt in status().output", async () => {
    const ledger = workflowBinding<{ since: Date }>(env, classes, "cf-ledger");
    const since = new Date(Date.UTC(2026, 10, 1));
    const instance = await ledger.create({ id: uniqueId("bind-typed"), params: { since } });
    const status = await settle(instance, ["complete", "errored"]);
    expect(status.status).toBe("complete");
    const output = status.output as { since: Date; closedAt: Date; totals: Map<string, bigint> };
    expect(output.since).toBeInstanceOf(Date);
    expect(output.since.getTime()).toBe(since.getTime());
    expect(output.closedAt.toISOString()).toBe("2026-11-02T00:00:00.000Z");
    expect(output.totals).toBeInstanceOf(Map);
    expect(output.totals.get("eur")).toBe(2n ** 60n);
  });
});

describe("Workflow.create and get", () => {
  it("creates an instance that the index lists like one started over HTTP", async () => {
    const instance = await reminders.create({ id: uniqueId("bind-indexed"), params: { note: "stretch" } });
    const row = await waitForIndex(instance.id, (r) => r?.status === "waiting", "waiting");
    expect(row).toMatchObject({ id: instance.id, workflow: "cf-reminder" });
  });

  it("gives an instance a random id when none is asked for, and {} as params when none are given", async () => {
    const instance = await payments.create();
    expect(instance.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await settle(instance, ["complete", "errored"])).status).toBe("complete");
    expect((await read(instance.id)).input).toEqual({});
  });

  it("refuses an id that exists already, as Cloudflare does", async () => {
    const id = uniqueId("bind-twice");
    await reminders.create({ id, params: { note: "once" } });
    await expect(reminders.create({ id, params: { note: "twice" } })).rejects.toThrow(/\(instance\.already_exists\).*already exists/);
    // Ids are one space across workflows in Cairn: another workflow cannot take it either.
    await expect(payments.create({ id })).rejects.toMatchObject({ code: "INSTANCE_EXISTS" });
  });

  it("refuses an invalid id before creating anything", async () => {
    await expect(reminders.create({ id: "no spaces allowed", params: { note: "x" } })).rejects.toMatchObject({ code: "INVALID_ID" });
  });

  it("gets an existing instance of this workflow, and no other", async () => {
    const id = uniqueId("bind-get");
    await reminders.create({ id, params: { note: "get me" } });
    const instance = await reminders.get(id);
    expect(instance.id).toBe(id);
    expect((await instance.status()).status).toMatch(/^(queued|running|waiting)$/);
    await expect(payments.get(id)).rejects.toThrow(/\(instance\.not_found\)/);
    await expect(reminders.get(uniqueId("bind-nobody"))).rejects.toMatchObject({ code: "INSTANCE_NOT_FOUND" });
  });

  it("refuses a workflow that is not registered", () => {
    expect(() => workflowBinding(env, classes, "cf-nothing")).toThrow(/no workflow "cf-nothing" is registered/);
  });
});

describe("Workflow.createBatch", () => {
  it("creates by list, reporting ids that exist and ids repeated in the batch with Cloudflare's codes", async () => {
    const taken = uniqueId("batch-taken");
    await reminders.create({ id: taken, params: { note: "first" } });
    const fresh = uniqueId("batch-fresh");
    const { created, errors } = await reminders.createBatch({
      instances: [
        { id: fresh, params: { note: "a" } },
        { id: taken, params: { note: "b" } },
        { id: fresh, params: { note: "c" } },
      ],
    });
    expect(created.map((i) => i.id)).toEqual([fresh]);
    expect(errors).toEqual([
      { index: 1, id: taken, code: 10405, message: "workflows.api.error.instance.already_exists" },
      { index: 2, id: fresh, code: 10415, message: "workflows.api.error.instance.duplicate_in_batch" },
    ]);
  });

  it("creates by count, each with a generated id and the shared params", async () => {
    const { created, errors } = await reminders.createBatch({ count: 3, params: { note: "team standup" } });
    expect(errors).toEqual([]);
    expect(new Set(created.map((i) => i.id)).size).toBe(3);
    for (const instance of created) expect((await settle(instance, ["waiting"])).status).toBe("waiting");
  });

  it("in the array form leaves out existing ids without an error", async () => {
    const taken = uniqueId("legacy-taken");
    await reminders.create({ id: taken, params: { note: "x" } });
    const fresh = uniqueId("legacy-fresh");
    const created = await reminders.createBatch([
      { id: taken, params: { note: "y" } },
      { id: fresh, params: { note: "z" } },
    ]);
    expect(created.map((i) => i.id)).toEqual([fresh]);
  });

  it("takes at most 100 instances and at least one", async () => {
    await expect(reminders.createBatch({ count: 101 })).rejects.toMatchObject({ code: "INVALID_BATCH" });
    await expect(reminders.createBatch([])).rejects.toMatchObject({ code: "INVALID_BATCH" });
  });
});

describe("a WorkflowInstance", () => {
  it("pauses and resumes, showing Cloudflare's status names", async () => {
    const instance = await reminders.create({ id: uniqueId("inst-pause"), params: { note: "pause me" } });
    await settle(instance, ["waiting"]);
    await instance.pause();
    expect(await instance.status()).toEqual({ status: "paused", output: null });
    await instance.resume();
    expect((await settle(instance, ["waiting", "running"])).status).toMatch(/^(waiting|running)$/);
  });

  it("terminates, and then refuses to terminate again", async () => {
    const instance = await reminders.create({ id: uniqueId("inst-terminate"), params: { note: "stop me" } });
    await settle(instance, ["waiting"]);
    await instance.terminate();
    expect((await instance.status()).status).toBe("terminated");
    await expect(instance.terminate()).rejects.toThrow(/\(instance\.invalid_status\) cannot terminate .* it is terminated/);
  });

  it("restarts from a step, keeping the results before it", async () => {
    const instance = await reminders.create({ id: uniqueId("inst-restart"), params: { note: "again" } });
    await settle(instance, ["waiting"]);
    await expireTimers(instance.id);
    await runDurableObjectAlarm(stubFor(instance.id));
    expect(await settle(instance, ["complete"])).toEqual({ status: "complete", output: { reminded: "again" } });
    await instance.restart({ from: { name: "wait until the reminder is due" } });
    expect((await settle(instance, ["waiting"])).status).toBe("waiting");
    await expect(instance.restart({ from: { name: "no such step" } })).rejects.toMatchObject({ code: "STEP_NOT_FOUND" });
  });

  it("refuses an event once it has finished", async () => {
    const instance = await payments.create({ id: uniqueId("inst-finished"), params: { orderId: "o-2", card: "ok", amount: 5 } });
    await settle(instance, ["complete"]);
    await expect(instance.sendEvent({ type: "late", payload: {} })).rejects.toMatchObject({ code: "INSTANCE_FINISHED" });
  });

  it("deletes itself; get then finds nothing", async () => {
    const instance = await payments.create({ id: uniqueId("inst-delete"), params: { orderId: "o-3", card: "ok", amount: 5 } });
    await settle(instance, ["complete"]);
    await instance.delete();
    await expect(payments.get(instance.id)).rejects.toMatchObject({ code: "INSTANCE_NOT_FOUND" });
  });

  it("subscribes: the history, then live events, done once the instance completes", async () => {
    const instance = await reminders.create({ id: uniqueId("inst-subscribe"), params: { note: "watch me" } });
    const subscription = await instance.subscribe();
    const seen: WorkflowInstanceEvent[] = [];
    for (;;) {
      const { value, done } = await subscription.next();
      expect(done).toBe(false);
      seen.push(value!);
      if (value!.type === "sleep_started") break;
    }
    expect(seen.slice(0, 2)).toMatchObject([
      { type: "workflow_queued", instanceId: instance.id },
      { type: "workflow_started", params: { note: "watch me" } },
    ]);
    expect(seen.find((e) => e.type === "step_completed")).toMatchObject({ stepName: "schedule reminder", output: { note: "watch me", label: "reminder" } });
    expect(seen.at(-1)).toMatchObject({ stepName: "wait until the reminder is due", durationMs: 86_400_000 });
    await expireTimers(instance.id);
    await runDurableObjectAlarm(stubFor(instance.id));
    for (let next = await subscription.next(); !next.done; next = await subscription.next()) seen.push(next.value);
    expect(seen.at(-1)).toMatchObject({ type: "workflow_completed", output: { reminded: "watch me" } });
    expect(await subscription.next()).toEqual({ done: true, value: undefined });
    subscription[Symbol.dispose]();

    // From a cursor, with a filter: only what came after, of those types.
    const after = seen.find((e) => e.type === "sleep_started")!.eventId;
    using again = await instance.subscribe({ cursor: after, filter: ["step_completed", "workflow_completed"] });
    const tail: string[] = [];
    for (let next = await again.next(); !next.done; next = await again.next()) tail.push(next.value.type);
    expect(tail).toEqual(["step_completed", "workflow_completed"]);
  });

  it("refuses to subscribe to an unknown instance or event type", async () => {
    const missing = reminders.get(uniqueId("inst-subscribe-missing"));
    await expect(missing.then((i) => i.subscribe())).rejects.toMatchObject({ code: "INSTANCE_NOT_FOUND" });
    const instance = await payments.create({ id: uniqueId("inst-subscribe-bad"), params: { orderId: "b", card: "ok", amount: 1 } });
    await expect(instance.subscribe({ filter: ["step_exploded" as "step_started"] })).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});

describe("Workflow.deleteBatch", () => {
  it("deletes each id once and reports the unknown ones", async () => {
    const a = await payments.create({ id: uniqueId("del-a"), params: { orderId: "a", card: "ok", amount: 1 } });
    await settle(a, ["complete"]);
    const missing = uniqueId("del-missing");
    const result = await payments.deleteBatch([a.id, a.id, missing]);
    expect(result).toEqual({
      deleted: [{ id: a.id }, { id: a.id }],
      errors: [{ id: missing, code: 10400, message: "workflows.api.error.instance.not_found" }],
    });
  });
});
