/** `step.waitForEvent`: the first unconsumed event of a type from the inbox, or a timeout error. */
import type { StepOp } from "../call.js";
import { toMs } from "../durations.js";
import { EventTimeoutError, InvalidStepError, toErrorRecord } from "../errors.js";
import { eventResult, toReceivedEvent } from "../records.js";
import type { ReceivedEvent, WaitForEventOptions } from "../types.js";

export const DEFAULT_EVENT_TIMEOUT = "24 hours";
export const MAX_EVENT_TYPE_LENGTH = 100;

export function waitForEventOp(name: string, options: WaitForEventOptions): StepOp<ReceivedEvent> {
  const type = options?.type;
  if (typeof type !== "string" || type.length === 0 || type.length > MAX_EVENT_TYPE_LENGTH) {
    throw new InvalidStepError(`step.waitForEvent("${name}") needs a type of 1 to ${MAX_EVENT_TYPE_LENGTH} characters, got ${JSON.stringify(type)}`);
  }
  const timeoutMs = toMs(options.timeout ?? DEFAULT_EVENT_TIMEOUT, `step "${name}" timeout`);
  return {
    kind: "event",
    name,
    decode: (record) => toReceivedEvent(record.result),
    run(call) {
      const { engine } = call;
      const existing = call.record;
      const now = engine.clock.now();
      const record = existing ?? call.open({ status: "waiting", eventType: type, dueAt: now + timeoutMs }, { save: false });
      const wake = (at: number) => {
        const event = engine.takeEvent(type, record.seq);
        if (event) {
          call.complete(eventResult(event));
          return true;
        }
        if ((record.dueAt ?? Infinity) > at) return false;
        const error = new EventTimeoutError(name, type, timeoutMs);
        call.fail(toErrorRecord(error, error.code));
        return true;
      };
      if (wake(now)) return;
      if (!existing) call.save();
      call.wait(wake);
    },
  };
}
