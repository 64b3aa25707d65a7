/**
 * Records the golden journals: runs every scenario with the test kit and returns
 * the journal each one leaves, in the journal format (docs/journal-format.md).
 * Bundled and run in Node by update.mjs.
 */
import { toJournalDocument } from "../../src/journal/convert.js";
import { testWorkflow } from "../../src/testing.js";
import type { WorkflowDefinition } from "../../src/workflow.js";
import { workflows } from "../../workflows/index.js";
import { goldenFileName, scenarios } from "./scenarios.js";

/** The kit's default start time and instance id, which the recorded results mention. */
const START = Date.UTC(2026, 0, 1);

export async function recordGoldens() {
  const files: Record<string, unknown> = {};
  for (const [name, cases] of Object.entries(scenarios)) {
    for (const [scenario, spec] of Object.entries(cases)) {
      const id = `test-${name}`;
      const run = testWorkflow(workflows[name] as WorkflowDefinition, { workflows, id, ...spec });
      const events = [...(spec.events ?? [])];
      for (;;) {
        const outcome = await run.run();
        const next = events[0];
        if (outcome.kind === "suspended" && outcome.waitingFor?.kind === "event" && next && next.type === outcome.waitingFor.eventType) {
          events.shift();
          run.sendEvent(next.type, next.payload);
          continue;
        }
        if (outcome.kind === "suspended") await run.run({ timeoutEventWaits: true });
        break;
      }
      const version = workflows[name]!.version;
      files[goldenFileName(name, scenario)] = toJournalDocument({
        scenario,
        instance: { id, workflow: name, createdAt: START, ...(version !== undefined && { workflowVersion: version }), ...(spec.input !== undefined && { input: JSON.stringify(spec.input) }) },
        outcome: run.outcome,
        records: run.steps,
        attempts: run.journal.attempts,
        inbox: run.journal.inbox,
      });
    }
  }
  return files;
}
