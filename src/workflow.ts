/**
 * What workflow files import.
 *
 * @example
 * import { defineWorkflow, NonRetryableError } from "../src/workflow";
 *
 * export default defineWorkflow({
 *   name: "welcome-email",
 *   async run(event, step) {
 *     const user = await step.do("load user", () => loadUser(event.payload.userId));
 *     await step.sleep("let them settle in", "1 day");
 *     await step.do("send email", ({ step }) => send(user, { idempotencyKey: `${event.instanceId}/${step.name}` }));
 *   },
 * });
 */
import { toMs } from "./engine/durations.js";
import { checkFlowControls } from "./flow/controls.js";
import { cronSyntaxProblem } from "./flow/cron.js";
import { ATTRIBUTE_KEY_PATTERN, ATTRIBUTE_KEY_RULE } from "./lib/attributes.js";
import { MAX_ATTRIBUTES, MAX_SCHEDULE_ID_LENGTH } from "./lib/bounds.js";
import type { WorkflowDefinition } from "./engine/types.js";
import { fromClass, isWorkflowClass, type WorkflowClass } from "./compat/entrypoint.js";

export { NonRetryableError } from "./engine/errors.js";
export type { Duration } from "./engine/durations.js";
export type { StepConfig, Backoff, ResolvedStepConfig, RetryDelayFunction } from "./engine/retry.js";
export type {
  FlowKey,
  FlowPriority,
  ReceivedEvent,
  RunContext,
  Serializable,
  StepContext,
  StepResult,
  WaitForEventOptions,
  WorkflowDefinition,
  WorkflowEvent,
  WorkflowStep,
} from "./engine/types.js";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const SCHEDULE_ID = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:~-]{0,${MAX_SCHEDULE_ID_LENGTH - 1}}$`);

/** Declares a workflow; the name is checked here so a bad one fails at deploy, not at start. */
export function defineWorkflow<Input = unknown, Output = unknown, Env = unknown>(
  definition: WorkflowDefinition<Input, Output, Env>,
): WorkflowDefinition<Input, Output, Env> {
  if (!NAME.test(definition.name)) {
    throw new Error(
      `workflow name ${JSON.stringify(definition.name)} is not allowed: use 1 to 64 letters, digits, "-" or "_", starting with a letter or digit`,
    );
  }
  checkFlowControls(definition);
  for (const [bound, value] of Object.entries(definition.inbox ?? {})) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      throw new Error(`workflow "${definition.name}": inbox.${bound} must be a whole number of at least 1`);
    }
  }
  for (const schedule of definition.schedules ?? []) {
    // The form only: the time zone and whether it ever fires are checked when the schedule is synced (flow/declared.ts).
    const problem = cronSyntaxProblem(schedule.cron);
    if (problem) throw new Error(`workflow "${definition.name}": schedule "${schedule.cron}" is not valid: ${problem}`);
    if (schedule.id !== undefined && !SCHEDULE_ID.test(schedule.id)) {
      throw new Error(`workflow "${definition.name}": schedule id ${JSON.stringify(schedule.id)} is not allowed: use 1 to ${MAX_SCHEDULE_ID_LENGTH} letters, digits or -_.:~`);
    }
  }
  for (const key of Object.keys(definition.searchAttributes ?? {})) {
    if (!ATTRIBUTE_KEY_PATTERN.test(key)) throw new Error(`workflow "${definition.name}": search attribute ${JSON.stringify(key)} is not allowed: use ${ATTRIBUTE_KEY_RULE}`);
  }
  if (Object.keys(definition.searchAttributes ?? {}).length > MAX_ATTRIBUTES) {
    throw new Error(`workflow "${definition.name}": at most ${MAX_ATTRIBUTES} search attributes`);
  }
  // Parsed once here so that a bad duration fails at deploy, not when an instance finishes.
  retentionMs(definition, "completed");
  retentionMs(definition, "failed");
  return definition;
}

export const DEFAULT_RETENTION = { completed: "7 days", failed: "30 days" } as const;

/** How long an instance of `definition` that ended with `status` is kept. */
export function retentionMs(definition: WorkflowDefinition | undefined, status: "completed" | "failed" | "terminated"): number {
  const retention = definition?.retention;
  return status === "completed"
    ? toMs(retention?.completed ?? DEFAULT_RETENTION.completed, "retention.completed")
    : toMs(retention?.failed ?? DEFAULT_RETENTION.failed, "retention.failed");
}

/** The registered workflows by name, as `workflows/index.ts` exports them. */
export type WorkflowRegistry = Readonly<Record<string, WorkflowDefinition>>;

/** Workflow classes (Cloudflare's `WorkflowEntrypoint` form) by the name they are registered under. */
export type WorkflowClasses = Readonly<Record<string, WorkflowClass>>;

/**
 * Builds a registry from definitions and from classes named in an object, refusing
 * two workflows with one name.
 *
 * @example registry(orderFulfilment, approval, { "welcome-email": WelcomeEmail })
 */
export function registry(...entries: Array<WorkflowDefinition | WorkflowClasses>): WorkflowRegistry {
  const byName: Record<string, WorkflowDefinition> = {};
  const add = (definition: WorkflowDefinition) => {
    if (byName[definition.name]) throw new Error(`two workflows are named "${definition.name}": names must be unique`);
    byName[definition.name] = definition;
  };
  for (const entry of entries) {
    if (isDefinition(entry)) {
      add(entry);
      continue;
    }
    for (const [name, Class] of Object.entries(entry)) {
      if (!isWorkflowClass(Class)) {
        throw new Error(`registry entry "${name}" is not a workflow class: register a class with a run(event, step) method, or a defineWorkflow(...) result`);
      }
      add(defineWorkflow(fromClass(name, Class)));
    }
  }
  return Object.freeze(byName);
}

function isDefinition(entry: WorkflowDefinition | WorkflowClasses): entry is WorkflowDefinition {
  return typeof entry.name === "string" && typeof entry.run === "function" && !isWorkflowClass(entry.run);
}
