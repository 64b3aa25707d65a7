/**
 * A step attempt cut off from outside — terminate, restart, delete, or a
 * compensation — is journaled as ended, with its cause: never left "running".
 */
import { describe, expect, it } from "vitest";
import { Execution, MemoryJournal, TerminatedError, type StepRecord } from "../../src/engine/index.js";
import { defineWorkflow } from "../../src/workflow.js";
import { ManualClock, completed, runOnce } from "./harness.js";

/** One step that holds until the test lets it go; it reports its signal's abort. */
function heldWorkflow(name: string, seen: string[], release: { go?: (value: string) => void }) {
  return defineWorkflow({
    name,
    async run(_e, step) {
      const value = await step.do("held", ({ signal }) => {
        signal.addEventListener("abort", () => {
          seen.push(`aborted: ${(signal.reason as Error & { code: string }).code}`);
        });
        return new Promise<string>((resolve) => (release.go = resolve));
      });
      return step.do("after", () => `${value} then after`);
    },
  });
}

/** Starts the workflow and lets its first step begin; `advance()` would wait for the held step. */
async function startHeld(name: string) {
  const seen: string[] = [];
  const release: { go?: (value: string) => void } = {};
  const journal = new MemoryJournal();
  const clock = new ManualClock();
  const execution = new Execution(heldWorkflow(name, seen, release), { id: `test-${name}`, createdAt: clock.now() }, journal, clock);
  const advanced = execution.advance();
  await new Promise((resolve) => setTimeout(resolve, 5));
  expect(journal.records.get(0)).toMatchObject({ status: "running", attempts: 1 });
  return { execution, journal, clock, seen, release, advanced };
}

describe("an attempt cut off from outside", () => {
  it.each([
    ["terminate", new TerminatedError(), "TERMINATED"],
    ["restart", TerminatedError.restarted(), "RESTARTED"],
    ["delete", TerminatedError.deleted(), "DELETED"],
  ] as const)("by %s is journaled cancelled with code %s, and its late result is discarded", async (_what, reason, code) => {
    const { execution, journal, clock, seen, release, advanced } = await startHeld(`cut-${code.toLowerCase()}`);
    clock.advance(1_500);
    execution.abort(reason);
    await advanced;
    expect(seen).toEqual([`aborted: ${code}`]);
    const record = journal.records.get(0)!;
    expect(record).toMatchObject({ status: "cancelled", attempts: 1, finishedAt: clock.now(), error: { code, name: "TerminatedError", step: { name: "held", count: 1 } } });
    expect(record.dueAt).toBeUndefined();
    expect(journal.attempts).toEqual([{ seq: 0, attempt: 1, startedAt: clock.now() - 1_500, finishedAt: clock.now(), error: expect.objectContaining({ code }) }]);

    release.go!("too late");
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(journal.records.get(0)).toMatchObject({ status: "cancelled" });
    expect(journal.records.has(1)).toBe(false);
  });

  it("leaves storage alone quietly when it is already gone (the host deletes it next)", async () => {
    const { execution, journal, advanced } = await startHeld("cut-gone");
    journal.save = () => {
      throw new Error("storage deleted");
    };
    journal.saveAttempt = () => {
      throw new Error("storage deleted");
    };
    expect(() => execution.abort(TerminatedError.deleted())).not.toThrow();
    await expect(advanced).resolves.toMatchObject({ kind: "failed" });
  });

  it("during a compensation: the attempt is journaled cancelled, then the rollbacks run", async () => {
    const undone: string[] = [];
    let go: (value: string) => void = () => {};
    const workflow = defineWorkflow({
      name: "cut-compensate",
      async run(_e, step) {
        await step.do("reserve", () => "r-1", { rollback: ({ result }) => void undone.push(`release ${result}`) });
        return step.do("charge", () => new Promise<string>((resolve) => (go = resolve)));
      },
    });
    const journal = new MemoryJournal();
    const clock = new ManualClock();
    const execution = new Execution(workflow, { id: "test-cut-compensate", createdAt: clock.now() }, journal, clock);
    const advanced = execution.advance();
    await new Promise((resolve) => setTimeout(resolve, 5));
    execution.compensate(new TerminatedError("terminated with rollback"));
    expect(journal.records.get(1)).toMatchObject({ status: "cancelled", error: { code: "TERMINATED" } });
    go("late");
    expect(await advanced).toMatchObject({ kind: "failed", error: { code: "TERMINATED" } });
    expect(undone).toEqual(["release r-1"]);
    expect(journal.records.get(1)).toMatchObject({ status: "cancelled" });
    expect(journal.records.get(2)).toMatchObject({ kind: "rollback", name: "rollback reserve", status: "completed" });
  });

  it("runs a step again when a replay finds it cancelled (a restart from a later step kept it)", async () => {
    const cancelled: StepRecord = {
      seq: 1,
      name: "after",
      count: 1,
      kind: "do",
      status: "cancelled",
      attempts: 1,
      startedAt: 0,
      attemptStartedAt: 0,
      finishedAt: 5,
      error: { name: "TerminatedError", code: "RESTARTED", message: "the instance was restarted", step: { name: "after", count: 1 } },
    };
    const workflow = defineWorkflow({
      name: "cut-replayed",
      async run(_e, step) {
        const first = await step.do("first", () => "one");
        return step.do("after", ({ attempt }) => `${first}, attempt ${attempt}`);
      },
    });
    const { outcome, journal } = await runOnce(workflow, undefined, { records: [completed(0, "first", "one"), cancelled] });
    expect(outcome).toEqual({ kind: "completed", output: JSON.stringify("one, attempt 2") });
    const record = journal.records.get(1)!;
    expect(record).toMatchObject({ status: "completed", attempts: 2 });
    expect(record.error).toBeUndefined();
  });
});
