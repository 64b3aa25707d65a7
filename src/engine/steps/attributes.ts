/**
 * `step.setAttributes`: search attributes the workflow sets while it runs (an id it
 * learned from a step, a stage reached). Journaled like a step, with the attributes
 * as its result: the host indexes them in the same transaction (its
 * `setAttributes` service), and a replay returns at once without setting them again.
 */
import type { StepOp } from "../call.js";
import { InvalidStepError } from "../errors.js";
import { normalizeAttributes } from "../../lib/attributes.js";

export const ATTRIBUTES_STEP_NAME = "attributes";

export function attributesOp(attributes: unknown): StepOp<void> {
  const checked = normalizeAttributes(attributes);
  if (!checked.ok) throw new InvalidStepError(`step.setAttributes: ${checked.problem}`);
  return {
    kind: "attributes",
    name: ATTRIBUTES_STEP_NAME,
    decode: () => undefined,
    run(call) {
      call.open({}, { save: false });
      call.complete(JSON.stringify(checked.attributes));
      // Written right after the record, with no await between: one transaction.
      call.engine.services.setAttributes?.(checked.attributes);
    },
  };
}
