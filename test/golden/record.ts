/**
 * Records the golden journals: runs every scenario with the test kit and returns
 * the journal each one leaves. Bundled and run in Node by update.mjs.
 */
import { testWorkflow } from "../../src/testing.js";
import type { WorkflowDefinition } from "../../src/workflow.js";
import { workflows } from "../../workflows/index.js";
import { goldenFileName, scenarios } from "./scenarios.js";

export async function recordGoldens() {
  const files: Record<string, unknown> = {};
  for (const [name, cases] of Object.entries(scenarios)) {
    for (const [scenario, spec] of Object.entries(cases)) {
      const run = testWorkflow(workflows[name] as WorkflowDefinition, { workflows, ...spec });
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
      files[goldenFileName(name, scenario)] = {
        workflow: name,
        version: workflows[name]!.version ?? null,
        scenario,
        input: spec.input,
        outcome: run.outcome,
        records: run.steps,
        attempts: run.journal.attempts,
        inbox: run.journal.inbox,
      };
    }
  }
  return files;
}
