/**
 * The instance's side of correlation (src/events/correlation.ts): registering its
 * correlated waits where published events find them, and, when it is created, the
 * `cancelOn` events of its workflow. Registering changes no status: it is an effect
 * after the wait is journaled, and costs nothing to instances that use neither.
 */
import { matchProblem, type CorrelatedWait, type Services } from "../engine/index.js";
import type { Env } from "../env.js";
import { correlationStub } from "../events/keys.js";
import type { WorkflowDefinition } from "../workflow.js";

/** The services that let `step.waitForEvent({ match })` register and unregister its wait. */
export function correlationServices(env: Env, instanceId: string): Pick<Services, "correlate" | "uncorrelate"> {
  return {
    correlate: (wait: CorrelatedWait) =>
      correlationStub(env, wait.name, wait.key).register({ instanceId, slot: wait.seq, match: wait.match, action: "deliver" }),
    uncorrelate: (wait: CorrelatedWait) => correlationStub(env, wait.name, wait.key).unregister(instanceId, wait.seq),
  };
}

/**
 * Registers the workflow's `cancelOn` events for a new instance, before it is
 * created: a registration whose instance never comes is dropped the first time an
 * event finds no instance. A `cancelOn` whose `equals(input)` throws or gives no
 * usable value is skipped, with a warning.
 */
export async function registerCancels(env: Env, definition: WorkflowDefinition | undefined, instanceId: string, input: string | undefined): Promise<void> {
  const cancels = definition?.cancelOn;
  if (!cancels?.length) return;
  const value: unknown = input === undefined ? undefined : JSON.parse(input);
  await Promise.all(
    cancels.map(async (cancel, index) => {
      let equals: unknown;
      try {
        equals = cancel.match.equals(value);
      } catch (error) {
        console.warn(`instance ${instanceId}: cancelOn "${cancel.event}" skipped, its match.equals threw: ${String(error)}`);
        return;
      }
      const match = { field: cancel.match.field, equals };
      const problem = matchProblem(match);
      if (problem) return console.warn(`instance ${instanceId}: cancelOn "${cancel.event}" skipped: ${problem}`);
      const checked = match as CorrelatedWait["match"];
      await correlationStub(env, cancel.event, String(checked.equals)).register({
        instanceId,
        slot: -1 - index,
        match: checked,
        action: "cancel",
        ...(cancel.rollback && { rollback: true }),
      });
    }),
  );
}
