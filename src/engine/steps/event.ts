/**
 * `step.waitForEvent`: the first unconsumed event of a type from the inbox, or a
 * timeout error. With `match`, a correlated wait: the first of that type whose
 * field holds the value, and the host registers the wait (after its record is
 * journaled) where events published by key find it (src/engine/match.ts).
 */
import type { Engine, StepOp } from "../call.js";
import { toMs } from "../durations.js";
import { EventTimeoutError, InvalidStepError, toErrorRecord } from "../errors.js";
import type { CorrelatedWait } from "../host.js";
import { checkMatch, correlationKey } from "../match.js";
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
  const match = options.match === undefined ? undefined : checkMatch(name, options.match);
  return {
    kind: "event",
    name,
    decode: (record) => toReceivedEvent(record.result),
    run(call) {
      const { engine } = call;
      const existing = call.record;
      const now = engine.clock.now();
      const record = existing ?? call.open({ status: "waiting", eventType: type, dueAt: now + timeoutMs }, { save: false });
      const wait: CorrelatedWait | undefined = match && { seq: record.seq, name: type, key: correlationKey(match), match };
      // A wait journaled before (a replay) may be registered already.
      let registered = existing !== undefined;
      const ended = () => {
        if (wait && registered) unregister(engine, wait);
      };
      const wake = (at: number) => {
        const event = engine.takeEvent(type, record.seq, match);
        if (event) {
          call.complete(eventResult(event));
          ended();
          return true;
        }
        if ((record.dueAt ?? Infinity) > at) return false;
        const error = new EventTimeoutError(name, type, timeoutMs);
        call.fail(toErrorRecord(error, error.code));
        ended();
        return true;
      };
      if (wake(now)) return;
      if (!existing) call.save();
      call.wait(wake);
      if (wait) {
        registered = true;
        register(engine, wait);
      }
    },
  };
}

/**
 * Registers the wait through the host; the workflow counts as busy meanwhile, so
 * the host sees it suspended only once it is findable. A failure is the host's,
 * not the workflow's: the drive stops and the host replays it later, which
 * registers again.
 */
function register(engine: Engine, wait: CorrelatedWait): void {
  const correlate = engine.services.correlate;
  if (!correlate) return;
  const done = engine.busy();
  correlate(wait).then(done, (error: unknown) => {
    try {
      engine.write(() => {
        throw error;
      });
    } catch {
      // Thrown to stop the execution; advance() reports it to the host.
    }
    done();
  });
}

/** Best effort: a registration left behind only sends this instance an event it no longer waits for. */
function unregister(engine: Engine, wait: CorrelatedWait): void {
  const uncorrelate = engine.services.uncorrelate;
  if (!uncorrelate) return;
  const done = engine.busy();
  uncorrelate(wait).then(done, (error: unknown) => {
    console.warn(`could not unregister the wait for ${wait.name} (key ${wait.key}): ${String(error)}`);
    done();
  });
}
