/**
 * Cloudflare Workflows' API on Cairn: what a workflow or a caller written for
 * Cloudflare imports instead of `cloudflare:workers` and `cloudflare:workflows`.
 *
 * @example
 * // was: import { WorkflowEntrypoint, WorkflowEvent, WorkflowStep } from "cloudflare:workers";
 * //      import { NonRetryableError } from "cloudflare:workflows";
 * import { WorkflowEntrypoint, WorkflowEvent, WorkflowStep } from "../src/cloudflare";
 * import { NonRetryableError } from "../src/cloudflare";
 *
 * export class Welcome extends WorkflowEntrypoint<Env, { email: string }> {
 *   async run(event: WorkflowEvent<{ email: string }>, step: WorkflowStep) { … }
 * }
 * // and in workflows/index.ts: registry(…, { "welcome-email": Welcome })
 */
export { NonRetryableError } from "./engine/errors.js";
export {
  WorkflowEntrypoint,
  WorkflowEvent,
  WorkflowStep,
  WorkflowStepConfig,
  WorkflowStepContext,
  fromClass,
  type WorkflowBackoff,
  type WorkflowClass,
  type WorkflowDelayDuration,
  type WorkflowExecutionContext,
  type WorkflowRetentionDuration,
  type WorkflowSleepDuration,
  type WorkflowTimeoutDuration,
} from "./compat/entrypoint.js";
export { workflowBinding } from "./compat/binding.js";
export { WorkflowBindingError } from "./compat/errors.js";
