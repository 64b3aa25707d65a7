/**
 * The step API on the pure engine: retries and backoff, timeouts, sleeps, events,
 * result rules, parallel steps, and going on in memory after a wait.
 */
import { describe, expect, it } from "vitest";
import { Execution, MemoryJournal, backoffMs, resolvePolicy, toMs, type Outcome } from "../../src/engine/index.js";
import { NonRetryableError, defineWorkflow } from "../../src/workflow.js";
import { ManualClock, runOnce } from "./harness.js";

function output(outcome: Outcome): unknown {
  if (outcome.kind !== "completed") throw new Error(`expected completed, got ${JSON.stringify(outcome)}`);
  return outcome.output === undefined ? undefined : JSON.parse(outcome.output);
}

describe("durations", () => {
  it.each([
    [250, 250],
    ["1 second", 1_000],
    ["10 seconds", 10_000],
    ["1.5 minutes", 90_000],
    ["2 hours", 7_200_000],
    ["3 days", 259_200_000],
    ["1 week", 604_800_000],
  ] as const)("%s is %i ms", (input, ms) => expect(toMs(input)).toBe(ms));

  it.each([-1, Number.NaN, "soon", "10 fortnights", ""])("refuses %s with a message naming the value", (input) => {
    expect(() => toMs(input as string)).toThrow(/duration|milliseconds/);
  });
});

describe("retry policy", () => {
  it("uses Cloudflare's defaults: 5 retries, 10 seconds, exponential, 10 minutes", () => {
    expect(resolvePolicy("s", undefined)).toEqual({ maxAttempts: 6, delayMs: 10_000, backoff: "exponential", timeoutMs: 600_000 });
  });

  it.each([
    ["constant", [100, 100, 100, 100]],
    ["linear", [100, 200, 300, 400]],
    ["exponential", [100, 200, 400, 800]],
  ] as const)("%s backoff waits %j after attempts 1..4", (backoff, delays) => {
    const policy = resolvePolicy("s", { retries: { limit: 4, delay: 100, backoff } });
    expect([1, 2, 3, 4].map((attempt) => backoffMs(policy, attempt))).toEqual(delays);
  });
});

describe("step.do", () => {
  it("retries a failing step after its backoff and journals each failed attempt", async () => {
    const attempts: number[] = [];
    const workflow = defineWorkflow({
      name: "flaky",
      run: (_e, step) =>
        step.do("call", { retries: { limit: 3, delay: 1_000, backoff: "linear" } }, ({ attempt }) => {
          attempts.push(attempt);
          if (attempt < 3) throw new Error(`boom ${attempt}`);
          return "ok";
        }),
    });
    const clock = new ManualClock();
    const t0 = clock.now();
    const { execution, journal } = await runOnce(workflow, undefined, { clock });
    expect(execution.outcome()).toMatchObject({ kind: "suspended", wakeAt: t0 + 1_000, waitingFor: { kind: "retry", step: "call" } });
    clock.advance(999);
    expect((await execution.advance()).kind).toBe("suspended");
    expect(attempts).toEqual([1]);
    clock.advance(1);
    expect(await execution.advance()).toMatchObject({ kind: "suspended", wakeAt: t0 + 1_000 + 2_000 });
    clock.advance(2_000);
    expect(output(await execution.advance())).toBe("ok");
    expect(attempts).toEqual([1, 2, 3]);
    expect(journal.attempts.map((a) => [a.attempt, a.error.message])).toEqual([[1, "boom 1"], [2, "boom 2"]]);
    expect(journal.records.get(0)).toMatchObject({ status: "completed", attempts: 3 });
  });

  it("fails the step once retries run out, with the last attempt's error", async () => {
    const workflow = defineWorkflow({
      name: "hopeless",
      run: (_e, step) =>
        step.do("call", { retries: { limit: 1, delay: 0 } }, ({ attempt }) => {
          throw new Error(`attempt ${attempt} failed`);
        }),
    });
    const { outcome } = await runOnce(workflow, undefined);
    expect(outcome).toMatchObject({ kind: "failed", error: { message: "attempt 2 failed", code: "STEP_FAILED", step: { name: "call", count: 1 } } });
  });

  it("does not retry a NonRetryableError", async () => {
    let attempts = 0;
    const workflow = defineWorkflow({
      name: "declined",
      run: (_e, step) =>
        step.do("charge", () => {
          attempts++;
          throw new NonRetryableError("card declined");
        }),
    });
    const { outcome } = await runOnce(workflow, undefined);
    expect(attempts).toBe(1);
    expect(outcome).toMatchObject({ kind: "failed", error: { code: "NON_RETRYABLE", message: "card declined" } });
  });

  it("aborts the signal when an attempt times out, counts the attempt and ignores its late result", async () => {
    const seen: string[] = [];
    let finishLate: (value: string) => void = () => {};
    const workflow = defineWorkflow({
      name: "slow",
      run: (_e, step) =>
        step.do("slow call", { retries: { limit: 1, delay: 500 }, timeout: 1_000 }, ({ attempt, signal }) => {
          seen.push(`start ${attempt}`);
          signal.addEventListener("abort", () => {
            seen.push(`aborted ${attempt}: ${(signal.reason as Error).name}`);
          });
          if (attempt === 1) return new Promise<string>((resolve) => (finishLate = resolve));
          return "second attempt";
        }),
    });
    const clock = new ManualClock();
    const run = runOnce(workflow, undefined, { clock });
    await new Promise((resolve) => setTimeout(resolve, 5));
    clock.advance(1_000);
    const { execution, journal } = await run;
    finishLate("too late");
    expect(seen).toEqual(["start 1", "aborted 1: StepTimeoutError"]);
    expect(journal.attempts[0]?.error.code).toBe("STEP_TIMEOUT");
    clock.advance(500);
    expect(output(await execution.advance())).toBe("second attempt");
  });

  it("keeps a result's types, the same on first run and on replay (result-types.test.ts has them all)", async () => {
    const when = new Date(Date.UTC(2026, 5, 1));
    const workflow = defineWorkflow({
      name: "dates",
      async run(_e, step) {
        const value = await step.do("when", () => ({ when, skip: undefined, n: 1 }));
        return { type: value.when instanceof Date ? "Date" : typeof value.when, keys: Object.keys(value) };
      },
    });
    const first = await runOnce(workflow, undefined);
    const replay = await runOnce(workflow, undefined, { journal: first.journal });
    expect(output(first.outcome)).toEqual({ type: "Date", keys: ["when", "skip", "n"] });
    expect(replay.outcome).toEqual(first.outcome);
  });

  it.each([
    ["a function", () => () => 1, "STEP_RESULT_INVALID"],
    ["a symbol", () => Symbol("s"), "STEP_RESULT_INVALID"],
    ["over 1 MiB", () => "x".repeat(1024 * 1024 + 1), "STEP_RESULT_TOO_LARGE"],
  ])("fails the step without retrying when the result is %s", async (_what, make, code) => {
    let attempts = 0;
    // `as any`: the types refuse these results; the run-time check is under test.
    const workflow = defineWorkflow({ name: "bad-result", run: (_e, step) => step.do("make", () => (attempts++, make() as any)) });
    const { outcome } = await runOnce(workflow, undefined);
    expect(attempts).toBe(1);
    expect(outcome).toMatchObject({ kind: "failed", error: { code } });
    if (outcome.kind === "failed") expect(outcome.error.message).toMatch(/step "make"/);
  });

  it("accepts a result of exactly 1 MiB of JSON", async () => {
    const workflow = defineWorkflow({ name: "big", run: (_e, step) => step.do("make", () => "x".repeat(1024 * 1024 - 2)).then((s) => s.length) });
    expect(output((await runOnce(workflow, undefined)).outcome)).toBe(1024 * 1024 - 2);
  });

  it("runs parallel steps concurrently and joins them with Promise.all", async () => {
    let running = 0;
    let peak = 0;
    const workflow = defineWorkflow({
      name: "fan-out",
      run: (_e, step) =>
        Promise.all(
          [1, 2, 3, 4].map((n) =>
            step.do(`part ${n}`, async () => {
              peak = Math.max(peak, ++running);
              await new Promise((resolve) => setTimeout(resolve, 5));
              running--;
              return n * n;
            }),
          ),
        ),
    });
    const { outcome, journal } = await runOnce(workflow, undefined);
    expect(output(outcome)).toEqual([1, 4, 9, 16]);
    expect(peak).toBe(4);
    expect([...journal.records.values()].map((r) => r.seq).sort()).toEqual([0, 1, 2, 3]);
  });

  it("rejects bad step calls with a clear error", async () => {
    const workflow = defineWorkflow({
      name: "bad-calls",
      async run(_e, step) {
        const errors: string[] = [];
        for (const call of [
          () => step.do("", () => 1),
          () => step.do("no fn", undefined as never),
          () => step.do("bad retries", { retries: { limit: -1, delay: 1 } }, () => 1),
          () => step.sleep("bad sleep", "a while" as never),
          () => step.waitForEvent("no type", {} as never),
        ]) {
          await call().catch((e: Error & { code: string }) => errors.push(`${e.code}: ${e.message}`));
        }
        return errors;
      },
    });
    const errors = output((await runOnce(workflow, undefined)).outcome) as string[];
    expect(errors).toHaveLength(5);
    for (const e of errors) expect(e).toMatch(/^INVALID_STEP: /);
  });
});

describe("step.sleep and step.sleepUntil", () => {
  it("journals the wake time at the first call and never sleeps again on replay", async () => {
    const workflow = defineWorkflow({
      name: "nap",
      async run(_e, step) {
        await step.sleep("nap", "1 hour");
        return "awake";
      },
    });
    const clock = new ManualClock();
    const first = await runOnce(workflow, undefined, { clock });
    const wakeAt = clock.now() + 3_600_000;
    expect(first.outcome).toMatchObject({ kind: "suspended", wakeAt, waitingFor: { kind: "sleep", step: "nap" } });
    expect(first.journal.records.get(0)).toMatchObject({ kind: "sleep", status: "sleeping", dueAt: wakeAt });

    // A replay half an hour later keeps the journaled wake time, not now + 1 hour.
    clock.advance(1_800_000);
    const replay = await runOnce(workflow, undefined, { journal: first.journal, clock });
    expect(replay.outcome).toMatchObject({ kind: "suspended", wakeAt });

    // A replay long after the wake time goes straight on.
    clock.advance(10 * 3_600_000);
    const late = await runOnce(workflow, undefined, { journal: first.journal, clock });
    expect(output(late.outcome)).toBe("awake");
  });

  it("returns at once for a time in the past, on first run and on replay", async () => {
    const workflow = defineWorkflow({
      name: "past",
      async run(_e, step) {
        await step.sleepUntil("long ago", new Date("2001-01-01T00:00:00Z"));
        await step.sleepUntil("epoch ms", 0);
        return "done";
      },
    });
    const first = await runOnce(workflow, undefined);
    expect(output(first.outcome)).toBe("done");
    expect(output((await runOnce(workflow, undefined, { journal: first.journal })).outcome)).toBe("done");
  });

  it("goes on in memory after a wake-up: code outside steps does not run again", async () => {
    let top = 0;
    const workflow = defineWorkflow({
      name: "resume",
      async run(_e, step) {
        top++;
        await step.do("before", () => 1);
        await step.sleep("wait", 1_000);
        await step.do("after", () => 2);
        return top;
      },
    });
    const clock = new ManualClock();
    const { execution } = await runOnce(workflow, undefined, { clock });
    clock.advance(1_000);
    expect(output(await execution.advance())).toBe(1);
    expect(execution.replayLength).toBe(0);
  });
});

describe("step.waitForEvent", () => {
  const workflow = defineWorkflow({
    name: "wait",
    async run(_e, step) {
      try {
        const event = await step.waitForEvent<{ ok: boolean }>("answer", { type: "answer", timeout: "1 hour" });
        return { ok: event.payload.ok, id: event.id, at: event.timestamp instanceof Date };
      } catch (error) {
        return { timedOut: (error as { code: string }).code };
      }
    },
  });

  it("takes an event that arrived before the call from the inbox", async () => {
    const first = await runOnce(workflow, undefined);
    // Nothing in the inbox: it waits.
    expect(first.outcome).toMatchObject({ kind: "suspended", waitingFor: { kind: "event", eventType: "answer" } });
    first.journal.addEvent({ id: "e1", type: "answer", payload: '{"ok":true}', timestamp: 5 });
    expect(output(await first.execution.advance())).toEqual({ ok: true, id: "e1", at: true });
    // Replay returns the journaled event and does not take another from the inbox.
    first.journal.addEvent({ id: "e2", type: "answer", payload: '{"ok":false}', timestamp: 6 });
    const replay = await runOnce(workflow, undefined, { journal: first.journal });
    expect(output(replay.outcome)).toEqual({ ok: true, id: "e1", at: true });
    expect(first.journal.inbox.find((e) => e.id === "e2")?.consumedBy).toBeUndefined();
  });

  it("throws EVENT_TIMEOUT when the timeout passes, and the workflow may catch it", async () => {
    const clock = new ManualClock();
    const { execution } = await runOnce(workflow, undefined, { clock });
    clock.advance(3_600_000);
    expect(output(await execution.advance())).toEqual({ timedOut: "EVENT_TIMEOUT" });
  });

  it("delivers events of one type first in, first out, each to one call", async () => {
    const twice = defineWorkflow({
      name: "twice",
      async run(_e, step) {
        const [a, b] = await Promise.all([
          step.waitForEvent<string>("a", { type: "note" }),
          step.waitForEvent<string>("b", { type: "note" }),
        ]);
        const c = await step.waitForEvent<string>("c", { type: "note" });
        return [a.payload, b.payload, c.payload];
      },
    });
    const first = await runOnce(twice, undefined);
    for (const [i, text] of ["one", "two", "three"].entries()) {
      first.journal.addEvent({ id: `n${i}`, type: "note", payload: JSON.stringify(text), timestamp: i });
    }
    expect(output(await first.execution.advance())).toEqual(["one", "two", "three"]);
  });
});

describe("step.setAttributes", () => {
  const workflow = defineWorkflow<{ id: string }>({
    name: "attributes",
    async run(event, step) {
      await step.setAttributes({ orderId: event.payload.id, total: 42, rush: true, gone: null });
      const refused = await step.setAttributes({ "bad key": "x" }).then(() => "accepted", (error: { code: string }) => error.code);
      await step.do("work", () => 1);
      return refused;
    },
  });

  it("journals the attributes as text and hands them to the host once; a replay hands nothing", async () => {
    const given: Record<string, string>[] = [];
    const journal = new MemoryJournal();
    const input = { id: "i", createdAt: 0, input: JSON.stringify({ id: "A-1" }) };
    const first = await new Execution(workflow, input, journal, new ManualClock(), {}, { setAttributes: (a) => void given.push(a) }).advance();
    expect(output(first)).toBe("INVALID_STEP");
    expect(given).toEqual([{ orderId: "A-1", total: "42", rush: "true" }]);
    expect([...journal.records.values()].map((r) => [r.kind, r.name, r.status, r.result])).toEqual([
      ["attributes", "attributes", "completed", '{"orderId":"A-1","total":"42","rush":"true"}'],
      ["do", "work", "completed", "1"],
    ]);
    const replay = await new Execution(workflow, input, journal, new ManualClock(), {}, { setAttributes: (a) => void given.push(a) }).advance();
    expect(output(replay)).toBe("INVALID_STEP");
    expect(given).toHaveLength(1);
  });
});
