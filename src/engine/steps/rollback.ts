/**
 * A compensation (a saga's undo): the rollbacks of the completed steps, newest
 * first, each journaled and retried like a step.do (kind "rollback") with the
 * step's own config.
 */
import type { Engine, Rollback } from "../call.js";
import type { StepContext } from "../types.js";
import { doOp } from "./do.js";
import type { Perform } from "./index.js";

export async function runRollbacks(engine: Engine, perform: Perform, rollbacks: readonly Rollback[]): Promise<void> {
  for (const step of [...rollbacks].sort((a, b) => b.seq - a.seq)) {
    const name = `rollback ${step.name}${step.count > 1 ? ` #${step.count}` : ""}`;
    const undo = (ctx: StepContext) => step.rollback({ ...ctx, result: step.result });
    // A rollback that fails for good is journaled as failed; the others still run.
    await perform(() => doOp(engine, name, step.config, undo, "rollback")).catch(() => undefined);
  }
}
