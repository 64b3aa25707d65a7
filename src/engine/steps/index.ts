/**
 * The step API a workflow receives. Each tool only describes its call (a
 * `StepOp`, built by its kind's module); `perform` — the engine — gives it its
 * place in the journal, checks it on replay and runs it.
 */
import type { Engine, StepOp } from "../call.js";
import { toMs } from "../durations.js";
import { toTimestamp } from "../records.js";
import type { StepConfig } from "../retry.js";
import type { DoOptions, ReceivedEvent, StepContext, WorkflowStep } from "../types.js";
import { attributesOp } from "./attributes.js";
import { childOp } from "./child.js";
import { doOp } from "./do.js";
import { waitForEventOp } from "./event.js";
import { patchedOp } from "./patched.js";
import { sleepOp } from "./sleep.js";
import { webhookOp } from "./webhook.js";

/** Runs the op that `describe` builds; a description that throws (bad arguments) rejects. */
export type Perform = <T>(describe: () => StepOp<T>) => Promise<T>;

type StepFunction<T> = (ctx: StepContext) => Promise<T> | T;

export function createStepTools(engine: Engine, perform: Perform): WorkflowStep {
  return {
    do<T>(
      name: string,
      configOrFn: StepConfig | StepFunction<T>,
      fnOrOptions?: StepFunction<T> | DoOptions<T>,
      maybeOptions?: DoOptions<T>,
    ): Promise<T> {
      const shortForm = typeof configOrFn === "function";
      const fn = (shortForm ? configOrFn : fnOrOptions) as StepFunction<T> | undefined;
      const config = shortForm ? undefined : configOrFn;
      const options = (shortForm ? fnOrOptions : maybeOptions) as DoOptions<unknown> | undefined;
      return perform(() => doOp(engine, name, config, fn, "do", options)) as Promise<T>;
    },
    sleep: (name, duration) => perform(() => sleepOp(name, engine.clock.now() + toMs(duration, `step "${name}" sleep duration`))),
    sleepUntil: (name, timestamp) => perform(() => sleepOp(name, toTimestamp(name, timestamp))),
    waitForEvent: <P>(name: string, options: Parameters<WorkflowStep["waitForEvent"]>[1]) =>
      perform(() => waitForEventOp(name, options)) as Promise<ReceivedEvent<P>>,
    webhook: (name, options) => perform(() => webhookOp(name, options ?? {})),
    patched: (id) => perform(() => patchedOp(id)),
    setAttributes: (attributes) => perform(() => attributesOp(attributes)),
    child: <O>(name: string, workflow: string | { name: string }, input?: unknown, options?: Parameters<WorkflowStep["child"]>[3]) =>
      perform(() => childOp(name, workflow, input, options ?? {})) as Promise<O>,
  };
}
