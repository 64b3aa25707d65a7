/**
 * The test kit itself: virtual time, events, mocks, crashes, and the replay-safety
 * check catching a workflow that is not deterministic.
 */
import { describe, expect, it } from "vitest";
import { checkReplaySafety, testWorkflow } from "../../src/testing.js";
import { NonRetryableError, defineWorkflow } from "../../src/workflow.js";
import approval from "../../workflows/approval.js";
import orderFulfilment from "../../workflows/order-fulfilment.js";

describe("testWorkflow", () => {
  it("skips sleeps and retry backoffs in virtual time", async () => {
    const run = testWorkflow(orderFulfilment, {
      input: { orderId: "A-1", customer: "ada", items: [{ sku: "b", quantity: 1 }], amountCents: 100, cancellationWindow: "3 days", simulate: { paymentOutages: 2 } },
    });
    const started = run.clock.now();
    await run.run();
    expect(run.status).toBe("completed");
    expect(run.output).toMatchObject({ trackingNumber: "TRK-A-1" });
    // 1 s + 2 s of backoff, then 3 days of cancellation window, all virtual.
    expect(run.clock.now() - started).toBe(3_000 + 3 * 86_400_000);
    expect(run.steps.find((s) => s.name === "charge card")?.attempts).toBe(3);
  });

  it("stops at an event wait, takes an event, and can let a wait time out instead", async () => {
    const input = { request: "chair", amountCents: 100, approver: "dana" };
    const answered = testWorkflow(approval, { input });
    await answered.run();
    expect(answered.outcome).toMatchObject({ kind: "suspended", waitingFor: { kind: "event", eventType: "decision" } });
    answered.sendEvent("decision", { approved: false, by: "dana" });
    await answered.run();
    expect(answered.output).toEqual({ approved: false, decidedBy: "dana", outcome: "rejected" });

    const ignored = testWorkflow(approval, { input });
    await ignored.run({ timeoutEventWaits: true });
    expect(ignored.output).toEqual({ approved: false, decidedBy: "timeout", outcome: "expired" });
  });

  it("mocks a step's result, or makes it fail a number of times first", async () => {
    const calls: string[] = [];
    const workflow = defineWorkflow({
      name: "mocked",
      async run(_e, step) {
        const price = await step.do("price", () => (calls.push("price"), 100));
        const paid = await step.do("pay", { retries: { limit: 3, delay: "1 minute" } }, () => (calls.push("pay"), "paid"));
        return { price, paid };
      },
    });
    const run = testWorkflow(workflow).mockStep("price", { result: 42 }).mockStep("pay", { failTimes: 2 });
    await run.run();
    expect(run.output).toEqual({ price: 42, paid: "paid" });
    expect(calls).toEqual(["pay"]);
    expect(run.steps[1]?.attempts).toBe(3);
  });

  it("lets a hanging step time out in virtual time", async () => {
    const workflow = defineWorkflow({
      name: "hangs",
      run: (_e, step) =>
        step.do("hang", { retries: { limit: 0, delay: 0 }, timeout: "1 hour" }, () => new Promise(() => {})).catch((e: { code: string }) => e.code),
    });
    const run = testWorkflow(workflow);
    await run.run();
    expect(run.output).toBe("STEP_TIMEOUT");
  });

  it("replays after a simulated crash without running journaled steps again", async () => {
    let charged = 0;
    const workflow = defineWorkflow({
      name: "crashy",
      async run(_e, step) {
        await step.do("charge", () => ++charged);
        await step.sleep("wait", "1 day");
        return step.do("ship", () => "shipped");
      },
    });
    const run = testWorkflow(workflow);
    await run.run({ horizon: "1 hour" });
    expect(run.status).toBe("waiting");
    run.crash();
    await run.run();
    expect(run.output).toBe("shipped");
    expect(charged).toBe(1);
  });
});

describe("checkReplaySafety", () => {
  it("passes a deterministic workflow and reports the boundaries it tried", async () => {
    const report = await checkReplaySafety(approval, {
      input: { request: "desk", amountCents: 1, approver: "dana" },
      events: [{ type: "decision", payload: { approved: true, by: "dana" } }],
    });
    expect(report.boundaries).toBe(3);
    expect(report.outcome).toMatchObject({ kind: "completed" });
  });

  it("catches code outside steps that changes between runs", async () => {
    let runs = 0;
    const workflow = defineWorkflow({
      name: "flaky-order",
      async run(_e, step) {
        runs++;
        await step.do("first", () => 1);
        // Not deterministic: the replay takes another branch than the first run.
        if (runs === 1) await step.do("only on the first run", () => 2);
        await step.do("last", () => 3);
      },
    });
    await expect(checkReplaySafety(workflow)).rejects.toThrow(/not deterministic/);
  });

  it("catches a workflow whose outcome depends on when it was replayed", async () => {
    let runs = 0;
    const workflow = defineWorkflow({
      name: "clock-reader",
      async run(_e, step) {
        await step.do("first", () => 1);
        runs++;
        if (runs > 1) throw new NonRetryableError("different the second time");
        return "same";
      },
    });
    await expect(checkReplaySafety(workflow)).rejects.toThrow(/ended differently/);
  });
});
