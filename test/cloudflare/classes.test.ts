/**
 * The class form: Cloudflare-style WorkflowEntrypoint classes (test/cloudflare/workflows.ts)
 * run on Cairn's engine, started over the HTTP API and through the `Workflow` binding.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { workflowBinding } from "../../src/cloudflare";
import { registry } from "../../src/workflow.js";
import { start, uniqueId, waitForStatus } from "../helpers.js";
import { cloudflareWorkflows } from "./workflows.js";
import { settle } from "./settle.js";

const classes = registry(cloudflareWorkflows);

describe("a WorkflowEntrypoint class", () => {
  it("runs with this.env, this.ctx and the whole event, started over the HTTP API", async () => {
    const id = uniqueId("cf-signup-api");
    await start("cf-signup", { id, input: { email: "ada@example.com", plan: "pro" } });
    const view = await waitForStatus(id, "completed");
    expect(view.output).toEqual({
      accountId: `acct-${id}`,
      sent: { to: "ada@example.com", length: expect.any(Number) },
      workflow: "cf-signup",
      instance: id,
      startedBeforeNow: true,
    });
    expect(view.steps.map((s) => [s.name, s.kind, s.status])).toEqual([
      ["create account", "do", "completed"],
      ["draft welcome message", "do", "completed"],
      ["give them a moment", "sleep", "completed"],
      ["send welcome email", "do", "completed"],
    ]);
  });

  it("completes through the binding, with the output in status()", async () => {
    const signups = workflowBinding<{ email: string; plan: "free" | "pro" }>(env, classes, "cf-signup");
    const instance = await signups.create({ id: uniqueId("cf-signup"), params: { email: "grace@example.com", plan: "free" } });
    const status = await settle(instance, ["complete", "errored"]);
    expect(status).toEqual({
      status: "complete",
      output: expect.objectContaining({ accountId: `acct-${instance.id}`, workflow: "cf-signup", instance: instance.id }),
    });
  });

  it("fails at once on a NonRetryableError thrown in the first step", async () => {
    const signups = workflowBinding(env, classes, "cf-signup");
    const instance = await signups.create({ id: uniqueId("cf-signup-bad"), params: { email: "nobody", plan: "free" } });
    expect(await settle(instance, ["complete", "errored"])).toEqual({
      status: "errored",
      output: null,
      error: { name: "NonRetryableError", message: "not an email address" },
    });
    const view = await waitForStatus(instance.id, "failed");
    expect(view.steps).toMatchObject([{ name: "create account", status: "failed", attempts: 1 }]);
  });

  it("fails at once on a NonRetryableError, with the error in status()", async () => {
    const payments = workflowBinding(env, classes, "cf-payment");
    const instance = await payments.create({ id: uniqueId("cf-declined"), params: { orderId: "o-1", card: "declined", amount: 20 } });
    const status = await settle(instance, ["complete", "errored"]);
    expect(status.status).toBe("errored");
    expect(status.output).toBeNull();
    expect(status.error).toEqual({ name: "NonRetryableError", message: "card for order o-1 was declined" });
  });

  it("retries a failing step with its attempt count and returns the result", async () => {
    const flaky = workflowBinding(env, classes, "cf-flaky-upstream");
    const instance = await flaky.create({ id: uniqueId("cf-flaky"), params: { failures: 2 } });
    expect(await settle(instance, ["complete", "errored"])).toEqual({ status: "complete", output: { attempt: 3, step: "call upstream" } });
  });

  it("waits for an event sent through the binding", async () => {
    const approvals = workflowBinding(env, classes, "cf-approval");
    const instance = await approvals.create({ id: uniqueId("cf-approval"), params: { document: "handbook" } });
    await settle(instance, ["waiting"]);
    await instance.sendEvent({ type: "review", payload: { approved: true, by: "lin" } });
    expect(await settle(instance, ["complete", "errored"])).toEqual({
      status: "complete",
      output: { document: "handbook", published: true, url: "https://docs.example.com/handbook", reviewer: "lin" },
    });
  });

  it("builds the class anew for each execution, so constructor fields hold on replay", async () => {
    const reminders = workflowBinding(env, classes, "cf-reminder");
    const instance = await reminders.create({ id: uniqueId("cf-reminder-fields"), params: { note: "water the plants" } });
    await settle(instance, ["waiting"]);
    const view = await waitForStatus(instance.id, "waiting");
    expect(view.steps[0]).toMatchObject({ name: "schedule reminder", result: { note: "water the plants", label: "reminder" } });
  });

  it("is refused by the registry when the entry is not a class", () => {
    expect(() => registry({ "not-a-class": (() => {}) as never })).toThrow(/is not a workflow class/);
  });
});
