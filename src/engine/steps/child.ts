/**
 * `step.child`: starts another workflow as a child instance and resolves with its
 * output. The call is journaled before the child starts, so a replay asks for the
 * same child (creating it again does nothing); the child's end arrives as an event.
 */
import type { StepOp } from "../call.js";
import { toMs } from "../durations.js";
import { InvalidStepError, toErrorRecord, type ErrorRecord } from "../errors.js";
import { CHILD_EVENT_PREFIX, type ChildFinished } from "../host.js";
import { childIdFor } from "../records.js";
import { parseResult, serializeResult } from "../serialize.js";
import type { ChildOptions } from "../types.js";

export function childOp(name: string, workflow: string | { name: string }, input: unknown, options: ChildOptions): StepOp<unknown> {
  const workflowName = typeof workflow === "string" ? workflow : workflow?.name;
  if (typeof workflowName !== "string" || workflowName.length === 0) {
    throw new InvalidStepError(`step.child("${name}") needs a workflow: its name or its definition`);
  }
  const timeoutMs = options.timeout === undefined ? undefined : toMs(options.timeout, `step "${name}" timeout`);
  const inputText = serializeResult(input, `the input of child "${name}"`, "input");
  return {
    kind: "child",
    name,
    decode: (record) => parseResult(record.result),
    run(call) {
      const { engine } = call;
      const existing = call.record;
      const now = engine.clock.now();
      const childId = existing?.eventType?.slice(CHILD_EVENT_PREFIX.length) ?? options.id ?? childIdFor(engine.instance.id, name, call.count);
      const record =
        existing ??
        call.open({ status: "waiting", eventType: `${CHILD_EVENT_PREFIX}${childId}`, ...(timeoutMs !== undefined && { dueAt: now + timeoutMs }) });
      const start = engine.services.startChild;
      if (!start) throw new InvalidStepError(`step.child("${name}") is not available here: the host cannot start instances`);
      const about = `child workflow "${workflowName}" (${childId})`;
      const wake = (at: number) => {
        const event = engine.takeEvent(record.eventType!, record.seq);
        if (event) {
          const finished = parseResult(event.payload) as ChildFinished;
          if (finished.status === "completed") call.complete(finished.output);
          else call.fail(childError(about, finished));
          return true;
        }
        if ((record.dueAt ?? Infinity) > at) return false;
        call.fail({ name: "ChildTimeoutError", code: "CHILD_TIMEOUT", message: `${about} did not finish within ${timeoutMs} ms` });
        return true;
      };
      // Replayed after the child finished: its event is already in the inbox.
      if (existing && wake(now)) return;
      call.wait(wake);
      const done = engine.busy();
      start({ id: childId, workflow: workflowName, ...(inputText !== undefined && { input: inputText }) }).then(done, (error: unknown) => {
        if (!engine.finished && engine.unblock(call.seq)) call.fail({ ...toErrorRecord(error, "CHILD_START_FAILED"), code: "CHILD_START_FAILED" });
        done();
      });
    },
  };
}

function childError(about: string, finished: ChildFinished): ErrorRecord {
  return {
    name: "ChildWorkflowError",
    code: finished.status === "terminated" ? "CHILD_TERMINATED" : "CHILD_FAILED",
    message: `${about} ${finished.status}${finished.error ? `: ${finished.error.message}` : ""}`,
    ...(finished.error && { cause: finished.error }),
  };
}
