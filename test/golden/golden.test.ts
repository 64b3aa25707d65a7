/**
 * Determinism across deploys: the journals that the example workflows wrote (the
 * golden files here) are replayed against the current code. A change that would
 * break instances already running fails here: a step renamed, reordered, added or
 * removed in the middle, or a different outcome. To change a workflow safely, put
 * the new steps behind `step.patched(...)` (see order-fulfilment) or ship a new workflow.
 */
import { describe, expect, it } from "vitest";
import { Execution, MemoryJournal, realClock, type AttemptRecord, type InboxEvent, type Outcome, type StepRecord } from "../../src/engine/index.js";
import type { WorkflowDefinition } from "../../src/workflow.js";
import { workflows } from "../../workflows/index.js";

interface Golden {
  workflow: string;
  scenario: string;
  input: unknown;
  outcome: Outcome;
  records: StepRecord[];
  attempts: AttemptRecord[];
  inbox: (InboxEvent & { consumedBy?: number })[];
}

const goldens = import.meta.glob<Golden>("./*.json", { eager: true, import: "default" });

describe("golden journals replay against the current code", () => {
  it("covers every registered workflow", () => {
    const covered = new Set(Object.values(goldens).map((g) => g.workflow));
    expect([...covered].sort()).toEqual(Object.keys(workflows).sort());
  });

  for (const [file, golden] of Object.entries(goldens)) {
    it(`${golden.workflow}: ${golden.scenario} (${file.slice(2)})`, async () => {
      const journal = new MemoryJournal();
      for (const record of golden.records) journal.save(record);
      journal.attempts.push(...golden.attempts);
      journal.inbox.push(...golden.inbox);
      const ran: string[] = [];
      const execution = new Execution(
        workflows[golden.workflow] as WorkflowDefinition,
        { id: `test-${golden.workflow}`, createdAt: Date.UTC(2026, 0, 1), ...(golden.input !== undefined && { input: JSON.stringify(golden.input) }) },
        journal,
        realClock,
        {},
        {
          // Every step is journaled: a function that runs means the journal no longer lines up.
          mockStep: (step) => {
            ran.push(`${step.name}#${step.count}`);
            return { error: new Error(`step "${step.name}" ran during a replay of a finished journal`) };
          },
          mintWebhook: () => Promise.reject(new Error("a webhook was minted during a replay of a finished journal")),
        },
      );
      const outcome = await execution.advance();
      expect(ran).toEqual([]);
      expect(outcome).toEqual(golden.outcome);
    });
  }

  it("fails a change that is not behind step.patched: a step added in the middle of a running journal", async () => {
    const golden = Object.values(goldens).find((g) => g.workflow === "order-fulfilment" && g.outcome.kind === "completed")!;
    const original = workflows["order-fulfilment"]!;
    const careless: WorkflowDefinition = {
      ...original,
      async run(event, step, ctx) {
        await step.do("validate order", () => ({ items: 1 }));
        await step.do("a new step, unguarded", () => "oops");
        return original.run(event, step, ctx);
      },
    };
    const journal = new MemoryJournal();
    for (const record of golden.records) journal.save(record);
    const outcome = await new Execution(careless, { id: "test-order-fulfilment", createdAt: 0, input: JSON.stringify(golden.input) }, journal, realClock).advance();
    expect(outcome).toMatchObject({ kind: "failed", error: { code: "NON_DETERMINISTIC" } });
  });
});
