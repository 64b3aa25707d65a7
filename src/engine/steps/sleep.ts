/** `step.sleep` and `step.sleepUntil`: a durable timer whose wake time is journaled at the first call. */
import type { StepOp } from "../call.js";

export function sleepOp(name: string, wakeAt: number): StepOp<void> {
  return {
    kind: "sleep",
    name,
    decode: () => undefined,
    run(call) {
      const existing = call.record;
      const record = existing ?? call.open({ status: "sleeping", dueAt: wakeAt }, { save: false });
      const wake = (now: number) => {
        if ((record.dueAt ?? 0) > now) return false;
        call.complete();
        return true;
      };
      // A time already past returns at once, journaled only as completed.
      if (wake(call.engine.clock.now())) return;
      if (!existing) call.save();
      call.wait(wake);
    },
  };
}
