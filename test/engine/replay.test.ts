/**
 * Table-driven replay tests: given a journal, which step functions run and what
 * comes out.
 */
import { describe, expect, it } from "vitest";
import { NonRetryableError, defineWorkflow } from "../../src/workflow.js";
import type { StepRecord } from "../../src/engine/index.js";
import { completed, runOnce } from "./harness.js";

function chain(ran: string[]) {
  return defineWorkflow<{ base: number }>({
    name: "chain",
    async run(event, step) {
      const a = await step.do("a", () => (ran.push("a"), event.payload.base + 1));
      const b = await step.do("b", () => (ran.push("b"), a * 10));
      const c = await step.do("c", () => (ran.push("c"), b + 5));
      return { a, b, c };
    },
  });
}

const cases: { name: string; journal: StepRecord[]; ran: string[]; output?: unknown; errorCode?: string }[] = [
  { name: "empty journal runs every step", journal: [], ran: ["a", "b", "c"], output: { a: 2, b: 20, c: 25 } },
  { name: "first step journaled: only b and c run", journal: [completed(0, "a", 7)], ran: ["b", "c"], output: { a: 7, b: 70, c: 75 } },
  {
    name: "every step journaled: nothing runs, journaled results come back",
    journal: [completed(0, "a", 1), completed(1, "b", 2), completed(2, "c", 3)],
    ran: [],
    output: { a: 1, b: 2, c: 3 },
  },
  {
    name: "a step journaled as failed throws its error again without running",
    journal: [
      completed(0, "a", 1),
      { seq: 1, name: "b", count: 1, kind: "do", status: "failed", attempts: 3, startedAt: 0, finishedAt: 1, error: { name: "Error", message: "gone", code: "GONE" } },
    ],
    ran: [],
    errorCode: "GONE",
  },
  {
    name: "a different step name at a journaled position fails with NON_DETERMINISTIC and runs nothing",
    journal: [completed(0, "a", 1), completed(1, "renamed", 2)],
    ran: [],
    errorCode: "NON_DETERMINISTIC",
  },
  {
    name: "a different step kind at a journaled position fails with NON_DETERMINISTIC",
    journal: [{ seq: 0, name: "a", count: 1, kind: "sleep", status: "completed", attempts: 0, startedAt: 0, finishedAt: 1 }],
    ran: [],
    errorCode: "NON_DETERMINISTIC",
  },
];

describe("replay", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const ran: string[] = [];
      const { outcome } = await runOnce(chain(ran), { base: 1 }, { records: c.journal });
      expect(ran).toEqual(c.ran);
      if (c.errorCode) {
        expect(outcome.kind).toBe("failed");
        if (outcome.kind === "failed") expect(outcome.error.code).toBe(c.errorCode);
      } else {
        expect(outcome).toEqual({ kind: "completed", output: JSON.stringify(c.output) });
      }
    });
  }

  it("names the expected and the found step in a determinism failure, and a catch cannot swallow it", async () => {
    const workflow = defineWorkflow({
      name: "sneaky",
      async run(_event, step) {
        try {
          await step.do("new name", () => "never");
        } catch {
          // A workflow that swallows errors must still not run on against the wrong journal.
        }
        return step.do("after", () => "ran");
      },
    });
    const { outcome, journal } = await runOnce(workflow, undefined, { records: [completed(0, "old name", "x")] });
    expect(outcome.kind).toBe("failed");
    if (outcome.kind !== "failed") return;
    expect(outcome.error.code).toBe("NON_DETERMINISTIC");
    expect(outcome.error.message).toContain('do "old name"');
    expect(outcome.error.message).toContain('do "new name"');
    expect(outcome.error.message).toContain("sneaky");
    expect(journal.records.size).toBe(1);
  });

  it("tells repeated names apart by count and replays each from its own record", async () => {
    const ran: number[] = [];
    const workflow = defineWorkflow({
      name: "repeat",
      async run(_event, step) {
        const results: number[] = [];
        for (let i = 0; i < 3; i++) results.push(await step.do("poll", ({ step: s }) => (ran.push(s.count), s.count * 100)));
        return results;
      },
    });
    const first = await runOnce(workflow, undefined);
    expect(first.outcome).toEqual({ kind: "completed", output: "[100,200,300]" });
    expect([...first.journal.records.values()].map((r) => [r.name, r.count])).toEqual([["poll", 1], ["poll", 2], ["poll", 3]]);
    ran.length = 0;
    const replay = await runOnce(workflow, undefined, { journal: first.journal });
    expect(replay.outcome).toEqual({ kind: "completed", output: "[100,200,300]" });
    expect(ran).toEqual([]);
  });

  it("replays parallel steps by call order, running only the one missing from the journal", async () => {
    const ran: string[] = [];
    const workflow = defineWorkflow({
      name: "parallel",
      async run(_event, step) {
        return Promise.all(["x", "y", "z"].map((n) => step.do(n, () => (ran.push(n), n.toUpperCase()))));
      },
    });
    const { outcome } = await runOnce(workflow, undefined, { records: [completed(0, "x", "X"), completed(2, "z", "Z")] });
    expect(outcome).toEqual({ kind: "completed", output: '["X","Y","Z"]' });
    expect(ran).toEqual(["y"]);
  });

  it("journals a terminal error once and rethrows it on replay with the same name, message and code", async () => {
    let runs = 0;
    const workflow = defineWorkflow({
      name: "terminal",
      async run(_event, step) {
        try {
          await step.do("refuse", () => {
            runs++;
            throw new NonRetryableError("declined", "CardDeclined");
          });
        } catch (error) {
          const e = error as Error & { code: string };
          return { name: e.name, message: e.message, code: e.code };
        }
      },
    });
    const first = await runOnce(workflow, undefined);
    const replay = await runOnce(workflow, undefined, { journal: first.journal });
    expect(runs).toBe(1);
    expect(first.outcome).toEqual(replay.outcome);
    expect(first.outcome).toEqual({ kind: "completed", output: JSON.stringify({ name: "CardDeclined", message: "declined", code: "NON_RETRYABLE" }) });
  });

  it("counts a step found running after a restart as an interrupted attempt and runs it again", async () => {
    let runs = 0;
    const workflow = defineWorkflow({
      name: "interrupted",
      run: (_event, step) => step.do("work", { retries: { limit: 2, delay: 0 } }, ({ attempt }) => (runs++, attempt)),
    });
    const { outcome, journal } = await runOnce(workflow, undefined, {
      records: [{ seq: 0, name: "work", count: 1, kind: "do", status: "running", attempts: 1, startedAt: 0, attemptStartedAt: 0 }],
    });
    expect(outcome).toEqual({ kind: "completed", output: "2" });
    expect(runs).toBe(1);
    expect(journal.attempts.map((a) => a.error.code)).toEqual(["STEP_INTERRUPTED"]);
  });
});
