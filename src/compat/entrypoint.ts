/**
 * The class form of a workflow, as Cloudflare Workflows writes it:
 *
 *   export class Welcome extends WorkflowEntrypoint<Env, Params> {
 *     async run(event: WorkflowEvent<Params>, step: WorkflowStep) { … this.env … }
 *   }
 *
 * A class is adapted into a `WorkflowDefinition` (`fromClass`), so both forms run on
 * one engine with one journal format. The adapter builds a new object for every
 * execution (first run and each replay), as Cloudflare does: state kept in fields
 * outside steps is rebuilt by the replay, never carried over.
 *
 * Nothing here imports `cloudflare:*`: the test kit drives class workflows too.
 */
import type { Duration } from "../engine/durations.js";
import type { Backoff, StepConfig } from "../engine/retry.js";
import type {
  RunContext,
  StepContext,
  WorkflowDefinition,
  WorkflowEvent as EngineEvent,
  WorkflowStep as EngineStep,
} from "../engine/types.js";

/*
 * WorkflowEvent, WorkflowStep, WorkflowStepConfig and WorkflowStepContext are each a
 * class merged with an interface of the same name. The interface gives the shape;
 * the (empty, abstract) class makes the name a value as well, because Cloudflare's
 * import line names them without `type` (`import { WorkflowEntrypoint, WorkflowEvent,
 * WorkflowStep } from "cloudflare:workers"`), and under `verbatimModuleSyntax` that
 * line only compiles and bundles when each name is a real export. No code constructs
 * them; the engine's plain objects have their shape.
 */

/** What `run` receives first: the instance's params and who it is. */
export interface WorkflowEvent<T = unknown> extends EngineEvent<T> {
  /** The name the workflow is registered under in `workflows/index.ts`. */
  readonly workflowName: string;
}
export abstract class WorkflowEvent<T = unknown> {}

/** The step tools: `do`, `sleep`, `sleepUntil`, `waitForEvent` (Cloudflare's), plus Cairn's own. */
export interface WorkflowStep extends EngineStep {}
export abstract class WorkflowStep {}

/** The second argument of `step.do`: `{ retries?: { limit, delay, backoff? }, timeout? }`. */
export interface WorkflowStepConfig extends StepConfig {}
export abstract class WorkflowStepConfig {}

/** What a step's function receives: `{ attempt, step: { name, count }, … }`. */
export interface WorkflowStepContext<_Delay = unknown> extends StepContext {}
export abstract class WorkflowStepContext<_Delay = unknown> {}

/** Cloudflare's names for durations: `"10 seconds"`, `"1 day"`, or milliseconds. */
export type WorkflowSleepDuration = Duration;
export type WorkflowDelayDuration = Duration;
export type WorkflowTimeoutDuration = Duration;
export type WorkflowRetentionDuration = Duration;
export type WorkflowBackoff = Backoff;

/**
 * `this.ctx` of a workflow class: typed as the Worker's ExecutionContext, as on
 * Cloudflare, so constructors declared `(ctx: ExecutionContext, env: Env)` compile.
 * What works: `waitUntil` (a Cairn workflow runs inside its instance's Durable
 * Object, which stays alive while work is pending, so it only has to keep a rejected
 * promise from going unnoticed: it is logged), `passThroughOnException` (nothing to
 * pass through to) and `props` (empty: a workflow has no caller). Other members are
 * absent.
 */
export type WorkflowExecutionContext = ExecutionContext;

/**
 * The base class of a workflow written the Cloudflare way. Subclass it, implement
 * `run`, and register the class under a name in `workflows/index.ts`.
 *
 * @example
 * export class Welcome extends WorkflowEntrypoint<Env, { email: string }> {
 *   async run(event: WorkflowEvent<{ email: string }>, step: WorkflowStep) {
 *     await step.do("send welcome", () => this.env.MAILER.send(event.payload.email));
 *   }
 * }
 * // workflows/index.ts: registry(…, { welcome: Welcome })
 */
export abstract class WorkflowEntrypoint<Env = unknown, T = unknown> {
  protected ctx: WorkflowExecutionContext;
  protected env: Env;

  constructor(ctx: WorkflowExecutionContext, env: Env) {
    this.ctx = ctx;
    this.env = env;
  }

  /** The workflow. Its return value is the instance's output. */
  abstract run(event: Readonly<WorkflowEvent<T>>, step: WorkflowStep): Promise<unknown>;
}

/** A class that `fromClass` accepts: constructed with `(ctx, env)`, with a `run(event, step)`. */
export type WorkflowClass<Env = any, T = any> = new (ctx: WorkflowExecutionContext, env: Env) => {
  run(event: Readonly<WorkflowEvent<T>>, step: WorkflowStep): Promise<unknown> | unknown;
};

/** True for a class (a function with a `run` method on its prototype), false for a definition object. */
export function isWorkflowClass(value: unknown): value is WorkflowClass {
  return typeof value === "function" && typeof (value as { prototype?: { run?: unknown } }).prototype?.run === "function";
}

/**
 * Adapts a workflow class into a definition named `name`: each execution constructs
 * the class with `(ctx, env)` and calls its `run` with the event (plus `workflowName`)
 * and the engine's step tools. The name is checked where the registry is built.
 */
export function fromClass<Env, T>(name: string, Class: WorkflowClass<Env, T>): WorkflowDefinition<T, unknown, Env> {
  return {
    name,
    description: `${Class.name || "anonymous"} (a WorkflowEntrypoint class)`,
    run(event: EngineEvent<T>, step: EngineStep, { env }: RunContext<Env>) {
      const workflow = new Class(executionContext(name, event.instanceId), env);
      return workflow.run({ ...event, workflowName: name }, step);
    },
  };
}

function executionContext(workflow: string, instanceId: string): WorkflowExecutionContext {
  const ctx = {
    waitUntil(promise) {
      Promise.resolve(promise).catch((error: unknown) => {
        console.error(`workflow "${workflow}" instance "${instanceId}": a promise passed to ctx.waitUntil rejected: ${String(error)}`);
      });
    },
    passThroughOnException() {},
    props: {},
  } satisfies Pick<ExecutionContext, "waitUntil" | "passThroughOnException" | "props">;
  return ctx as ExecutionContext;
}
