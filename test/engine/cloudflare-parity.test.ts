/**
 * The step API as Cloudflare Workflows gives it: `ctx.config`, `retries.delay` as
 * a function, `NonRetryableError` known by name, `event.workflowName`, and
 * `sensitive: "output"`.
 */
import { describe, expect, it } from "vitest";
import { DELAY_FUNCTION_TIMEOUT_MS } from "../../src/engine/steps/do.js";
import type { Outcome, ResolvedStepConfig } from "../../src/engine/index.js";
import { defineWorkflow } from "../../src/workflow.js";
import { ManualClock, runOnce } from "./harness.js";

function output(outcome: Outcome): unknown {
  if (outcome.kind !== "completed") throw new Error(`expected completed, got ${JSON.stringify(outcome)}`);
  return outcome.output === undefined ? undefined : JSON.parse(outcome.output);
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("the step context", () => {
  it("gives fn the attempt, the step and the resolved config, defaults applied", async () => {
    const seen: unknown[] = [];
    const workflow = defineWorkflow({
      name: "context",
      async run(_e, step) {
        await step.do("plain", ({ attempt, step, config }) => void seen.push({ attempt, step, config }));
        await step.do("custom", { retries: { limit: 2, delay: "1 second" }, timeout: "30 minutes" }, ({ config }) => void seen.push(config));
        await step.do("dynamic", { retries: { limit: 1, delay: () => 5, backoff: "constant" }, sensitive: "output" }, ({ config }) => void seen.push(config));
      },
    });
    await runOnce(workflow, undefined);
    expect(seen).toEqual([
      { attempt: 1, step: { name: "plain", count: 1 }, config: { retries: { limit: 5, delay: "10 seconds", backoff: "exponential" }, timeout: "10 minutes" } },
      { retries: { limit: 2, delay: "1 second", backoff: "exponential" }, timeout: "30 minutes" },
      // A delay function is not shown, as on Cloudflare.
      { retries: { limit: 1, backoff: "constant" }, timeout: "10 minutes", sensitive: "output" } satisfies ResolvedStepConfig,
    ]);
  });

  it("sets event.workflowName", async () => {
    const workflow = defineWorkflow({ name: "named-one", run: (event) => ({ name: event.workflowName, id: event.instanceId }) });
    expect(output((await runOnce(workflow, undefined, { id: "test-named" })).outcome)).toEqual({ name: "named-one", id: "test-named" });
  });
});

describe("retries.delay as a function", () => {
  it("asks it after each failed attempt, with the attempt's context and error, and applies the backoff to what it returns", async () => {
    const asked: string[] = [];
    const workflow = defineWorkflow({
      name: "dynamic-delay",
      run: (_e, step) =>
        step.do(
          "sync customer",
          {
            retries: {
              limit: 3,
              backoff: "linear",
              delay: async ({ ctx, error }) => {
                asked.push(`${ctx.step.name} #${ctx.attempt}: ${error.message}`);
                return error.message.includes("rate limit") ? `${ctx.attempt * 30} seconds` : 1_000;
              },
            },
          },
          ({ attempt }) => {
            if (attempt === 1) throw new Error("rate limit");
            if (attempt === 2) throw new Error("network");
            return "synced";
          },
        ),
    });
    const clock = new ManualClock();
    const t0 = clock.now();
    const { execution, journal } = await runOnce(workflow, undefined, { clock });
    // Attempt 1: 30 seconds, linear × 1.
    expect(execution.outcome()).toMatchObject({ kind: "suspended", wakeAt: t0 + 30_000, waitingFor: { kind: "retry" } });
    clock.advance(30_000);
    // Attempt 2: 1 second, linear × 2.
    expect(await execution.advance()).toMatchObject({ kind: "suspended", wakeAt: t0 + 30_000 + 2_000 });
    clock.advance(2_000);
    expect(output(await execution.advance())).toBe("synced");
    expect(asked).toEqual(["sync customer #1: rate limit", "sync customer #2: network"]);
    expect(journal.attempts.map((a) => a.error.message)).toEqual(["rate limit", "network"]);
  });

  it.each([
    ["throws", () => {
      throw new Error("no idea");
    }, /retries.delay function failed: no idea/],
    ["returns something that is not a duration", () => "soon" as never, /"soon" is not a duration/],
  ])("fails the step without further attempts when it %s", async (_what, delay, message) => {
    let attempts = 0;
    const workflow = defineWorkflow({
      name: "bad-delay",
      run: (_e, step) =>
        step.do("call", { retries: { limit: 5, delay } }, () => {
          attempts++;
          throw new Error("boom");
        }),
    });
    const { outcome } = await runOnce(workflow, undefined);
    expect(attempts).toBe(1);
    expect(outcome).toMatchObject({ kind: "failed", error: { code: "INVALID_STEP", step: { name: "call", count: 1 }, cause: { message: "boom" } } });
    if (outcome.kind === "failed") expect(outcome.error.message).toMatch(message);
  });

  it(`fails the step when it takes longer than ${DELAY_FUNCTION_TIMEOUT_MS} ms`, async () => {
    const workflow = defineWorkflow({
      name: "slow-delay",
      run: (_e, step) =>
        step.do("call", { retries: { limit: 5, delay: () => new Promise<number>(() => {}) } }, () => {
          throw new Error("boom");
        }),
    });
    const clock = new ManualClock();
    const run = runOnce(workflow, undefined, { clock });
    await tick();
    clock.advance(DELAY_FUNCTION_TIMEOUT_MS);
    const { outcome } = await run;
    expect(outcome).toMatchObject({ kind: "failed", error: { code: "INVALID_STEP" } });
    if (outcome.kind === "failed") expect(outcome.error.message).toMatch(/took longer than 5000 ms/);
  });
});

describe("NonRetryableError", () => {
  it("is known by its name, whatever module defined it (as Cloudflare's own from cloudflare:workflows)", async () => {
    class NonRetryableError extends Error {
      constructor(message: string) {
        super(message);
        this.name = "NonRetryableError";
      }
    }
    let attempts = 0;
    const workflow = defineWorkflow({
      name: "foreign-non-retryable",
      run: (_e, step) =>
        step.do("charge", () => {
          attempts++;
          throw new NonRetryableError("card declined");
        }),
    });
    const { outcome } = await runOnce(workflow, undefined);
    expect(attempts).toBe(1);
    expect(outcome).toMatchObject({ kind: "failed", error: { name: "NonRetryableError", code: "NON_RETRYABLE", message: "card declined" } });
  });
});

describe("sensitive: \"output\"", () => {
  it("marks the record (the journal keeps the result for replays) and the workflow still gets the value", async () => {
    const workflow = defineWorkflow({
      name: "secretive",
      async run(_e, step) {
        const token = await step.do("mint token", { sensitive: "output" }, () => "s3cr3t");
        return step.do("use token", () => token.length);
      },
    });
    const first = await runOnce(workflow, undefined);
    expect(output(first.outcome)).toBe(6);
    expect(first.journal.records.get(0)).toMatchObject({ sensitive: true, result: JSON.stringify("s3cr3t") });
    expect(first.journal.records.get(1)?.sensitive).toBeUndefined();
    const replay = await runOnce(workflow, undefined, { journal: first.journal });
    expect(replay.outcome).toEqual(first.outcome);
  });

  it("refuses any other value", async () => {
    const workflow = defineWorkflow({ name: "odd-sensitive", run: (_e, step) => step.do("x", { sensitive: "input" as "output" }, () => 1) });
    expect((await runOnce(workflow, undefined)).outcome).toMatchObject({ kind: "failed", error: { code: "INVALID_STEP" } });
  });
});
