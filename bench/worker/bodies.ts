/**
 * The workflow bodies of the benchmark, written once as `run(input, step)` against
 * the step API that Cairn and Cloudflare Workflows share. bench/worker/cairn.ts and
 * bench/worker/cloudflare.ts wrap the same function for each engine, so both run
 * the same code; bench/worker/floor.ts writes what these bodies journal, by hand.
 *
 * Every step function is `async`, as Cloudflare's types require; Cairn accepts both.
 */

/** The part of the step API the bodies use; both engines' `step` objects have it. */
export interface BenchStep {
  do<T>(name: string, fn: () => Promise<T>): Promise<T>;
  do<T>(name: string, config: { retries: { limit: number; delay: number } }, fn: (ctx: { attempt: number }) => Promise<T>): Promise<T>;
  sleepUntil(name: string, timestamp: Date | number): Promise<void>;
  waitForEvent<P>(name: string, options: { type: string; timeout?: string }): Promise<{ payload: P }>;
}

export type BenchInput =
  /** W1: `steps` sequential steps, each returning its index. */
  | { body: "chain"; steps: number }
  /** W2, W8: three sequential steps; the last returns when it ran (epoch ms). */
  | { body: "trio" }
  /** W3: `steps` steps started at once, awaited together. */
  | { body: "fanout"; steps: number }
  /** W4: one step, a sleep until `ms` after it, one step; returns how late the wake-up was. */
  | { body: "nap"; ms: number }
  /** W5: one step, then waits for an event of type "go", returns its payload. */
  | { body: "event" }
  /** W6: `steps` sequential steps, each returning a string whose JSON is `bytes` long. */
  | { body: "payload"; steps: number; bytes: number }
  /** W7: `steps` sequential steps, then waits for an event of type "resume", then one more step. */
  | { body: "resume"; steps: number }
  /** Cost: one step whose first attempt fails and whose retry, `delayMs` later, succeeds. */
  | { body: "flaky"; delayMs: number }
  /** Cost: `steps` sequential steps, each awaiting `ms` of outside I/O (a call to a slow API). */
  | { body: "io"; steps: number; ms: number }
  /** Memory: `steps` steps each returning `bytes` of JSON, then waits for an event of type "go". */
  | { body: "hold"; steps: number; bytes: number };

export const EVENT_TYPE = "go";
/** The step the "event" body runs right before it waits. */
export const READY_STEP = { name: "ready", count: 1 };
export const RESUME_TYPE = "resume";

export async function runBody(input: BenchInput, step: BenchStep): Promise<unknown> {
  switch (input.body) {
    case "chain":
      return { steps: input.steps, last: await chain(step, input.steps) };
    case "trio": {
      const a = await step.do("one", async () => 1);
      const b = await step.do("two", async () => a + 1);
      const doneAt = await step.do("three", async () => Date.now());
      return { sum: a + b, doneAt };
    }
    case "fanout": {
      const parts = await Promise.all(Array.from({ length: input.steps }, (_, i) => step.do(`part-${i}`, async () => i)));
      return { steps: parts.length, sum: parts.reduce((s, x) => s + x, 0) };
    }
    case "nap": {
      const start = await step.do("start", async () => Date.now());
      await step.sleepUntil("nap", start + input.ms);
      const woke = await step.do("woke", async () => Date.now());
      return { lateMs: woke - (start + input.ms) };
    }
    case "event": {
      await step.do(READY_STEP.name, async () => true);
      const event = await step.waitForEvent<{ n: number }>("wait", { type: EVENT_TYPE, timeout: "1 hour" });
      return { got: event.payload.n };
    }
    case "payload": {
      let bytes = 0;
      for (let i = 0; i < input.steps; i++) {
        const chunk = await step.do("chunk", async () => filler(input.bytes));
        bytes += chunk.length + 2;
      }
      return { steps: input.steps, bytes };
    }
    case "resume": {
      const last = await chain(step, input.steps);
      const event = await step.waitForEvent<{ n: number }>("wait", { type: RESUME_TYPE, timeout: "1 hour" });
      const after = await step.do("after", async () => last + event.payload.n);
      return { steps: input.steps, last, after };
    }
    case "flaky":
      return step.do("flaky", { retries: { limit: 1, delay: input.delayMs } }, async ({ attempt }) => {
        if (attempt === 1) throw new Error("the first attempt fails");
        return attempt;
      });
    case "hold": {
      for (let i = 0; i < input.steps; i++) await step.do("chunk", async () => filler(input.bytes));
      const event = await step.waitForEvent<{ n: number }>("wait", { type: EVENT_TYPE, timeout: "1 hour" });
      return { got: event.payload.n };
    }
    case "io": {
      for (let i = 0; i < input.steps; i++) await step.do("call", () => new Promise<number>((resolve) => setTimeout(() => resolve(i), input.ms)));
      return { steps: input.steps };
    }
  }
}

async function chain(step: BenchStep, steps: number): Promise<number> {
  let last = -1;
  for (let i = 0; i < steps; i++) last = await step.do("step", async () => i);
  return last;
}

/** A string whose JSON text is `bytes` long. */
export function filler(bytes: number): string {
  return "x".repeat(Math.max(0, bytes - 2));
}
