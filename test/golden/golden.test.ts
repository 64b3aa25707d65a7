/**
 * Determinism across deploys: the journals that the example workflows wrote (the
 * golden files here, in the journal format of docs/journal-format.md) are replayed
 * against the current code with no side effect. A change that would break instances
 * already running fails here: a step renamed, reordered, added or removed in the
 * middle, or a different outcome. To change a workflow safely, put the new steps
 * behind `step.patched(...)` (see order-fulfilment) or ship a new workflow.
 */
import { describe, expect, it } from "vitest";
import { isTerminal } from "../../src/engine/status.js";
import { readJournal, type JournalDocument } from "../../src/journal/format.js";
import { replayJournal } from "../../src/journal/replay.js";
import type { WorkflowDefinition } from "../../src/workflow.js";
import { workflows } from "../../workflows/index.js";

const files = import.meta.glob<unknown>("./*.json", { eager: true, import: "default" });
const goldens = Object.entries(files).map(([file, content]) => ({ file: file.slice(2), journal: readJournal(content, file) }));
/** Plain journals, as golden files were before the journal format: still read, still replayed. */
const legacy = import.meta.glob<unknown>("./legacy/*.json", { eager: true, import: "default" });

/**
 * Replays a journal: a finished one must end as the instance did, without going past
 * the journal; an open one (saved by `check:deploy --save`) must line up up to where it stands.
 */
async function expectSameEnding(journal: JournalDocument) {
  const replay = await replayJournal(workflows[journal.instance.workflow] as WorkflowDefinition, journal);
  if (!isTerminal(journal.instance.status)) {
    expect(replay.kind === "frontier" || (replay.kind === "outcome" && replay.outcome.kind === "suspended"), JSON.stringify(replay)).toBe(true);
    return;
  }
  expect(replay.kind, JSON.stringify(replay)).toBe("outcome");
  if (replay.kind !== "outcome") return;
  const { instance } = journal;
  const outcome = replay.outcome;
  expect(outcome.kind).toBe(instance.status);
  if (outcome.kind === "completed") expect(outcome.output === undefined ? undefined : JSON.parse(outcome.output)).toEqual(instance.output);
  if (outcome.kind === "failed") expect(outcome.error).toEqual(instance.error);
}

describe("golden journals replay against the current code", () => {
  it("covers every registered workflow", () => {
    const covered = new Set(goldens.map((g) => g.journal.instance.workflow));
    expect([...covered].sort()).toEqual(Object.keys(workflows).sort());
  });

  for (const { file, journal } of goldens) {
    it(`${journal.instance.workflow}: ${journal.scenario} (${file})`, () => expectSameEnding(journal));
  }

  for (const [file, content] of Object.entries(legacy)) {
    it(`reads and replays a plain journal from before the format (${file.slice(2)})`, async () => {
      const journal = readJournal(content, file);
      expect(journal).toMatchObject({ format: "cairn.journal", version: 1 });
      expect(journal.steps.length).toBeGreaterThan(0);
      await expectSameEnding(journal);
    });
  }

  it("fails a change that is not behind step.patched: a step added in the middle of a running journal", async () => {
    const golden = goldens.find((g) => g.journal.instance.workflow === "order-fulfilment" && g.journal.instance.status === "completed")!.journal;
    const original = workflows["order-fulfilment"]!;
    const careless: WorkflowDefinition = {
      ...original,
      async run(event, step, ctx) {
        await step.do("validate order", () => ({ items: 1 }));
        await step.do("a new step, unguarded", () => "oops");
        return original.run(event, step, ctx);
      },
    };
    const replay = await replayJournal(careless, golden);
    expect(replay).toMatchObject({ kind: "diverged", position: 1, found: 'do "a new step, unguarded" (#1)', error: { code: "NON_DETERMINISTIC" } });
  });

  it("replays an open instance's journal up to its frontier, and names the first divergence", async () => {
    const golden = goldens.find((g) => g.journal.instance.workflow === "approval" && g.journal.scenario === "approved")!.journal;
    const open: JournalDocument = { ...golden, instance: { ...golden.instance, status: "waiting", output: undefined }, steps: golden.steps.slice(0, 1), events: [] };
    await expectSameEnding(open);
    expect(await replayJournal(workflows.approval!, open)).toMatchObject({ kind: "frontier" });
    const renamed: WorkflowDefinition = { ...workflows.approval!, run: async (_event, step) => step.do("notify the approver", () => 1) };
    expect(await replayJournal(renamed, open)).toEqual({
      kind: "diverged",
      position: 0,
      expected: 'do "notify approver" (#1)',
      found: 'do "notify the approver" (#1)',
      error: expect.objectContaining({ code: "NON_DETERMINISTIC" }),
    });
  });

  it("refuses a journal of a newer format version, naming it", () => {
    const newer = { ...goldens[0]!.journal, version: 2 };
    expect(() => readJournal(newer, "newer.json")).toThrow(/version 2; this code reads up to version 1/);
  });
});
