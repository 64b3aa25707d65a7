/**
 * Every workflow in workflows/ survives a crash at every step boundary: the kit's
 * replay-safety check, over scenarios that take each workflow's main branches.
 */
import { describe, expect, it } from "vitest";
import { checkReplaySafety } from "../../src/testing.js";
import type { WorkflowDefinition } from "../../src/workflow.js";
import { workflows } from "../../workflows/index.js";
import { scenarios } from "../golden/scenarios.js";

describe("replay safety of every workflow", () => {
  it("has scenarios for every registered workflow", () => {
    expect(Object.keys(scenarios).sort()).toEqual(Object.keys(workflows).sort());
  });

  for (const [name, cases] of Object.entries(scenarios)) {
    for (const [what, scenario] of Object.entries(cases)) {
      it(`${name}: ${what}`, async () => {
        const report = await checkReplaySafety(workflows[name] as WorkflowDefinition, { workflows, ...scenario });
        expect(report.boundaries).toBeGreaterThan(1);
        expect(report.outcome.kind).not.toBe("suspended");
      });
    }
  }
});
