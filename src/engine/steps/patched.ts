/**
 * `step.patched`: true where the code inside the patch may run — for instances
 * that reach this point with the patched code (a marker is journaled) — and false
 * for instances whose journal was written before the patch existed (the journal
 * holds another step here). It then takes no position, so old journals still line up.
 */
import type { StepOp } from "../call.js";
import { InvalidStepError } from "../errors.js";

const MAX_ID_LENGTH = 256;

export function patchedOp(id: string): StepOp<boolean> {
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new InvalidStepError(`step.patched needs an id of 1 to ${MAX_ID_LENGTH} characters, got ${JSON.stringify(id)}`);
  }
  return {
    kind: "patch",
    name: id,
    decode: () => true,
    optional: { otherwise: false },
    run(call) {
      call.open({}, { save: false });
      call.complete();
    },
  };
}
