/**
 * What an execution keeps in memory: a step's result is handed to the workflow and
 * then left to it; the journal keeps it for a replay, the execution does not.
 */
import { describe, expect, it } from "vitest";
import { NonRetryableError, defineWorkflow } from "../../src/workflow.js";
import { runOnce } from "./harness.js";

const BIG = 1_000_000;

const bigThenWait = defineWorkflow({
  name: "big-then-wait",
  async run(_event, step) {
    const big = await step.do("big", () => "x".repeat(BIG));
    const go = await step.waitForEvent<string>("go", { type: "go", timeout: "1 hour" });
    return { length: big.length, go: go.payload };
  },
});

describe("an execution's memory", () => {
  it("holds no delivered result: the journal keeps it, the execution does not", async () => {
    const { execution, journal, clock } = await runOnce(bigThenWait, undefined);
    expect(execution.outcome().kind).toBe("suspended");
    expect(journal.records.get(0)?.result).toHaveLength(BIG + 2);
    expect(execution.heldRecords()).toEqual([]);
    expect(execution.resultChars).toBe(BIG + 2);

    journal.addEvent({ id: "e1", type: "go", payload: JSON.stringify("on"), timestamp: clock.now() });
    expect(await execution.advance()).toEqual({ kind: "completed", output: JSON.stringify({ length: BIG, go: "on" }) });
  });

  it("lets a replay's records go once each call has taken its own", async () => {
    const first = await runOnce(bigThenWait, undefined);
    const { execution } = await runOnce(bigThenWait, undefined, { journal: first.journal });
    expect(execution.replayLength).toBe(2);
    expect(execution.outcome().kind).toBe("suspended");
    // The replay handed the big result back, then kept neither it nor the waiting record.
    expect(execution.heldRecords()).toEqual([]);
    expect(execution.resultChars).toBe(BIG + 2);
  });

  it("keeps the value a rollback needs, on the first run and on a replay", async () => {
    const undone: number[] = [];
    const saga = defineWorkflow({
      name: "big-saga",
      async run(_event, step) {
        await step.do("reserve", () => "y".repeat(BIG), { rollback: ({ result }) => void undone.push((result as string).length) });
        await step.waitForEvent("go", { type: "go", timeout: "1 hour" });
        await step.do("charge", () => {
          throw new NonRetryableError("card declined");
        });
      },
    });
    const first = await runOnce(saga, undefined);
    expect(first.execution.heldRecords()).toEqual([]);
    first.journal.addEvent({ id: "e1", type: "go", timestamp: first.clock.now() });
    expect((await first.execution.advance()).kind).toBe("failed");
    expect(undone).toEqual([BIG]);

    // A replay of the same journal up to the wait: the rollback's value comes from the journal.
    const journal = first.journal;
    for (const seq of [...journal.records.keys()]) if (seq > 0) journal.records.delete(seq);
    journal.inbox.length = 0;
    const replay = await runOnce(saga, undefined, { journal });
    expect(replay.execution.heldRecords()).toEqual([]);
    journal.addEvent({ id: "e2", type: "go", timestamp: replay.clock.now() });
    expect((await replay.execution.advance()).kind).toBe("failed");
    expect(undone).toEqual([BIG, BIG]);
  });
});
