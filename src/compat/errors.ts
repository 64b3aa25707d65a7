/**
 * What the `Workflow` binding throws. Each error carries Cairn's stable `code`; the
 * message starts with the error code Cloudflare's binding puts in its message, e.g.
 * `(instance.not_found) …`, so callers written against Cloudflare's messages keep
 * working. Branch on `code` in new code: across a service binding only the message
 * is sure to survive, which is why it carries both.
 */

/** Every code the binding throws, with the error code Cloudflare's binding uses for the same case. */
export const BINDING_CODES = {
  INSTANCE_NOT_FOUND: "instance.not_found",
  INSTANCE_EXISTS: "instance.already_exists",
  INVALID_ID: "instance.invalid_id",
  INVALID_INPUT: "body",
  INVALID_BATCH: "body",
  INVALID_TRANSITION: "instance.invalid_status",
  STEP_NOT_FOUND: "instance.cannot_restart",
  INSTANCE_FINISHED: "instance.not_running",
  INBOX_FULL: "instance.too_many_events",
  INDEX_UNAVAILABLE: "internal_server",
  WORKFLOW_NOT_REGISTERED: "workflow.not_found",
  SUBSCRIBE_UNAVAILABLE: "not_supported",
} as const;
export type BindingCode = keyof typeof BINDING_CODES;

/** Not a workflow's error (those are `CairnError`s): what a caller of the binding catches. */
export class WorkflowBindingError extends Error {
  constructor(
    readonly code: BindingCode,
    message: string,
  ) {
    super(`(${BINDING_CODES[code]}) ${message}`);
    this.name = "WorkflowError";
  }
}

export function bindingError(code: BindingCode, message: string): WorkflowBindingError {
  return new WorkflowBindingError(code, message);
}
