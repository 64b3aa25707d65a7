/**
 * The crash test's workflows (npm run test:crash). Every step function first records
 * its side effect in the EffectLedger (outside the journal) and only then returns, so
 * the test can compare what really ran with what the journal says ran.
 *
 * Each workflow's output (or failure) is a pure function of its input and of the
 * events the test sends; test/crash/run.mjs computes the expected one the same way.
 * Keep the two in step when changing either.
 */
import type { Env } from "../../src/env.js";
import { NonRetryableError, defineWorkflow, type StepContext } from "../../src/workflow.js";
import type { EffectLedger } from "./worker.js";

export interface CrashEnv extends Env {
  EFFECT_LEDGER: DurableObjectNamespace<EffectLedger>;
}

/** Retries of the steps designed to fail: short constant delay, room for crash-interrupted attempts too. */
const FLAKY = { retries: { limit: 8, delay: 400, backoff: "constant" as const } };

/** Every input carries `holdMs`: how long each step function keeps working after its side effect. */
interface Held {
  holdMs: number;
}

/**
 * Records one run of a step function in the ledger, then works on for `holdMs`
 * before the step returns: a crash in that window cuts off an attempt whose side
 * effect already happened, the case a journal alone cannot see.
 */
async function effect(env: CrashEnv, instanceId: string, ctx: StepContext, holdMs: number): Promise<void> {
  const ledger = env.EFFECT_LEDGER.get(env.EFFECT_LEDGER.idFromName("ledger"));
  await ledger.record({ instance: instanceId, step: ctx.step.name, count: ctx.step.count, attempt: ctx.attempt, at: Date.now() });
  if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
}

/** A step that fails its first `failFirst` attempts (attempts cut off by a crash count too). */
function flakyFn(env: CrashEnv, instanceId: string, holdMs: number, failFirst: number, value: number) {
  return async (ctx: StepContext) => {
    await effect(env, instanceId, ctx, holdMs);
    if (ctx.attempt <= failFirst) throw new Error(`planned failure of attempt ${ctx.attempt}`);
    return value;
  };
}

/** Rounds of work and naps (sleepers: no events, so nothing but their alarm wakes them). */
export const crashChain = defineWorkflow<Held & { base: number; naps: number[]; flakyAt: number; failFirst: number }, { total: number; rounds: number }, CrashEnv>({
  name: "crash-chain",
  async run(event, step, { env }) {
    const { base, holdMs, naps, flakyAt, failFirst } = event.payload;
    const id = event.instanceId;
    let total = 0;
    for (let i = 0; i < naps.length; i++) {
      total += await step.do("work", async (ctx) => {
        await effect(env, id, ctx, holdMs);
        return base + i;
      });
      if (i === flakyAt) total += await step.do("flaky", FLAKY, flakyFn(env, id, holdMs, failFirst, 100));
      await step.sleep("nap", naps[i]!);
    }
    return step.do("sum", async (ctx) => {
      await effect(env, id, ctx, holdMs);
      return { total, rounds: naps.length };
    });
  },
});

/** Waits for two events the test sends at random moments (often before the wait is reached). */
export const crashEvents = defineWorkflow<
  Held & { base: number; settleMs: number; coolMs: number; failFirst: number },
  { applied: number; carrier: string; flaky: number },
  CrashEnv
>({
  name: "crash-events",
  async run(event, step, { env }) {
    const { base, holdMs, settleMs, coolMs, failFirst } = event.payload;
    const id = event.instanceId;
    const prepared = await step.do("prepare", async (ctx) => {
      await effect(env, id, ctx, holdMs);
      return base * 2;
    });
    await step.sleep("settle", settleMs);
    const approval = await step.waitForEvent<{ amount: number }>("approval", { type: "approve", timeout: "10 minutes" });
    const applied = await step.do("apply", async (ctx) => {
      await effect(env, id, ctx, holdMs);
      return prepared + approval.payload.amount;
    });
    const flaky = failFirst > 0 ? await step.do("flaky", FLAKY, flakyFn(env, id, holdMs, failFirst, 7)) : 0;
    await step.sleep("cool", coolMs);
    const shipment = await step.waitForEvent<{ carrier: string }>("shipment", { type: "ship", timeout: "10 minutes" });
    return step.do("finish", async (ctx) => {
      await effect(env, id, ctx, holdMs);
      return { applied, carrier: shipment.payload.carrier, flaky };
    });
  },
});

/** Waits for an event that never comes: the timeout (a timer like any other) must fire, even across a crash. */
export const crashTimeout = defineWorkflow<Held & { base: number; waitMs: number; napMs: number }, { begun: number; timedOut: string }, CrashEnv>({
  name: "crash-timeout",
  async run(event, step, { env }) {
    const { base, holdMs, waitMs, napMs } = event.payload;
    const id = event.instanceId;
    const begun = await step.do("begin", async (ctx) => {
      await effect(env, id, ctx, holdMs);
      return base;
    });
    let timedOut = "no";
    try {
      await step.waitForEvent("never", { type: "never-sent", timeout: waitMs });
    } catch (error) {
      timedOut = (error as { code?: string }).code ?? "caught";
    }
    await step.sleep("nap", napMs);
    return step.do("end", async (ctx) => {
      await effect(env, id, ctx, holdMs);
      return { begun, timedOut };
    });
  },
});

/** Ends in a failure the workflow does not catch (`declined`), or one it catches after retries run out (`exhausted`). */
export const crashDoomed = defineWorkflow<Held & { base: number; napMs: number; mode: "declined" | "exhausted" }, { recovered: number }, CrashEnv>({
  name: "crash-doomed",
  async run(event, step, { env }) {
    const { base, holdMs, napMs, mode } = event.payload;
    const id = event.instanceId;
    await step.do("begin", async (ctx) => {
      await effect(env, id, ctx, holdMs);
      return base;
    });
    await step.sleep("nap", napMs);
    if (mode === "declined") {
      await step.do("charge", FLAKY, async (ctx) => {
        await effect(env, id, ctx, holdMs);
        throw new NonRetryableError(`card declined for order ${base}`, "CardDeclined");
      });
      return { recovered: -1 };
    }
    try {
      await step.do("charge", { retries: { limit: 1, delay: 300, backoff: "constant" } }, async (ctx) => {
        await effect(env, id, ctx, holdMs);
        throw new Error("payment provider down");
      });
      return { recovered: -1 };
    } catch {
      return step.do("fallback", async (ctx) => {
        await effect(env, id, ctx, holdMs);
        return { recovered: base };
      });
    }
  },
});

/** For the bulk crash test (bulk.mjs): one step, then a wait for an event that never comes. */
export const crashIdle = defineWorkflow<{ n: number }, never, CrashEnv>({
  name: "crash-idle",
  async run(event, step) {
    await step.do("begin", () => event.payload.n);
    await step.waitForEvent("never", { type: "never", timeout: "7 days" });
    throw new NonRetryableError("an event that is never sent came");
  },
});

export const crashWorkflows = [crashChain, crashEvents, crashTimeout, crashDoomed, crashIdle];
