/**
 * Correlated waits in the engine, on the in-memory journal (the test kit): which
 * event a `match` takes, what it asks the host to register, and the call checks.
 */
import { describe, expect, it } from "vitest";
import { matchesData, readField } from "../../src/engine/match.js";
import type { CorrelatedWait } from "../../src/engine/host.js";
import { Execution } from "../../src/engine/execution.js";
import { MemoryJournal } from "../../src/engine/journal.js";
import { realClock } from "../../src/engine/host.js";
import { testWorkflow } from "../../src/testing.js";
import { defineWorkflow } from "../../src/workflow.js";
import checkout from "../../workflows/checkout.js";

describe("a correlated wait", () => {
  it("takes the first event of its type whose field holds its value, and leaves the others in the inbox", async () => {
    const run = testWorkflow(checkout, { input: { orderId: "C-1", amountCents: 100, paymentIntentId: "pi_mine" } });
    await run.run();
    expect(run.outcome).toMatchObject({ kind: "suspended", waitingFor: { kind: "event", eventType: "payment_intent.succeeded" } });
    run.sendEvent("payment_intent.succeeded", { id: "pi_someone_else", amount_received: 1 });
    await run.run();
    expect(run.status).toBe("waiting");
    run.sendEvent("payment_intent.succeeded", { id: "pi_mine", amount_received: 100 }, "evt_mine");
    await run.run();
    expect(run.output).toMatchObject({ status: "paid", paymentIntent: "pi_mine", amountReceived: 100, eventId: "evt_mine" });
    expect(run.journal.inbox.filter((e) => e.consumedBy === undefined).map((e) => JSON.parse(e.payload!).id)).toEqual(["pi_someone_else"]);
  });

  it("times out like any wait, and the checkout releases the order", async () => {
    const run = testWorkflow(checkout, { input: { orderId: "C-2", amountCents: 100, paymentIntentId: "pi_late", payWithin: "10 minutes" } });
    await run.run({ timeoutEventWaits: true });
    expect(run.output).toEqual({ orderId: "C-2", status: "unpaid", paymentIntent: "pi_late" });
  });

  it("registers with the host after its record is journaled, and unregisters when it ends", async () => {
    const calls: string[] = [];
    const journal = new MemoryJournal();
    const workflow = defineWorkflow<{ key: number }>({
      name: "correlated-unit",
      async run(event, step) {
        const got = await step.waitForEvent<{ n: number }>("wait", { type: "n", match: { field: "data.n", equals: event.payload.key }, timeout: 60_000 });
        return got.payload.n;
      },
    });
    const services = {
      correlate: async (wait: CorrelatedWait) => void calls.push(`register ${wait.name} ${wait.key} #${wait.seq} journaled=${journal.records.get(wait.seq)?.status}`),
      uncorrelate: async (wait: CorrelatedWait) => void calls.push(`unregister ${wait.key} #${wait.seq}`),
    };
    const execution = new Execution(workflow, { id: "u-1", input: JSON.stringify({ key: 42 }), createdAt: 0 }, journal, realClock, {}, services);
    expect(await execution.advance()).toMatchObject({ kind: "suspended" });
    expect(calls).toEqual(["register n 42 #0 journaled=waiting"]);
    journal.addEvent({ id: "e1", type: "n", payload: JSON.stringify({ n: 42 }), timestamp: 1 });
    expect(await execution.advance()).toEqual({ kind: "completed", output: "42" });
    expect(calls).toEqual(["register n 42 #0 journaled=waiting", "unregister 42 #0"]);
  });

  it("stops the drive when the host cannot register it, so the host replays", async () => {
    const workflow = defineWorkflow({
      name: "correlated-down",
      async run(_event, step) {
        return step.waitForEvent("wait", { type: "n", match: { field: "data.n", equals: "x" } });
      },
    });
    const services = { correlate: () => Promise.reject(new Error("correlation object unreachable")) };
    const execution = new Execution(workflow, { id: "u-2", createdAt: 0 }, new MemoryJournal(), realClock, {}, services);
    await expect(execution.advance()).rejects.toThrow("correlation object unreachable");
  });

  it("refuses a match it cannot route: a field outside data, or a value that is not a string, number or boolean", async () => {
    for (const match of [{ field: "orderId", equals: "x" }, { field: "data.a b", equals: "x" }, { field: "data.a", equals: null }, { field: "data.a", equals: "" }]) {
      const workflow = defineWorkflow({
        name: "correlated-bad",
        async run(_event, step) {
          return step.waitForEvent("wait", { type: "n", match: match as never });
        },
      });
      const run = testWorkflow(workflow);
      await run.run();
      expect(run.error, JSON.stringify(match)).toMatchObject({ code: "INVALID_STEP" });
    }
  });

  it("reads fields by path, own properties only, compared with ===", () => {
    expect(readField({ object: { id: "pi_1" } }, "data.object.id")).toBe("pi_1");
    expect(readField({ object: {} }, "data.object.id")).toBeUndefined();
    expect(readField({}, "data.constructor")).toBeUndefined();
    expect(matchesData({ n: 1 }, { field: "data.n", equals: 1 })).toBe(true);
    expect(matchesData({ n: "1" }, { field: "data.n", equals: 1 })).toBe(false);
  });
});
