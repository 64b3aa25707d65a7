/**
 * Every code Cairn gives an error or a problem, in one table: what it means, where
 * it shows, and for a problem the HTTP API answers, its status and title. The
 * engine's error classes, the API's problems, the OpenAPI document and the typed
 * client take their codes from here (a code missing from the table does not
 * compile), and a test holds the README's tables of codes to this one, both ways.
 *
 * Adding a code is one line here; then one row in the README's table.
 *
 * Where a code shows:
 * - `workflow`: an error journaled for a step or the instance. It is thrown into the
 *   workflow's code (branch on `error.code`) and shown by `GET /api/instances/:id`.
 * - `api`: a problem (application/problem+json) an `/api` route may answer.
 * - `hooks`: a problem only the public webhook door (`POST /hooks/:token`) answers.
 * - `client`: thrown by the typed client (`src/client`) itself; no HTTP status.
 *
 * Pure data: the engine imports it, so nothing here may import `cloudflare:*`.
 */

interface WorkflowCodeEntry {
  readonly where: "workflow" | "client";
  readonly title: string;
  /** One line: what happened, for the README and the document. */
  readonly meaning: string;
}

interface HttpCodeEntry {
  readonly where: "api" | "hooks";
  readonly status: 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 503;
  readonly title: string;
  readonly meaning: string;
}

export type CodeEntry = WorkflowCodeEntry | HttpCodeEntry;

export const CODES = {
  // Errors in a workflow (journaled)
  NON_RETRYABLE: { where: "workflow", title: "Non-retryable error", meaning: "the step's function threw `NonRetryableError`: the step failed without further attempts" },
  STEP_FAILED: { where: "workflow", title: "Step failed", meaning: "the step's function kept throwing an error without a `code` until its retries ran out" },
  STEP_TIMEOUT: { where: "workflow", title: "Step timed out", meaning: "an attempt ran past the step's `timeout`; its signal was aborted and the step retries" },
  STEP_INTERRUPTED: { where: "workflow", title: "Step interrupted", meaning: "the runtime stopped during an attempt; it counts as failed and the step runs again" },
  STEP_RESULT_INVALID: { where: "workflow", title: "Step result not kept", meaning: "a step or the workflow returned what the journal cannot keep (a function, a class instance, a symbol, a stream inside a value) or a value nested more than 64 levels deep; the message names where" },
  STEP_RESULT_TOO_LARGE: { where: "workflow", title: "Step result too large", meaning: "a step or the workflow returned more than 1 MiB once serialised, or a stream past the instance's 64 MiB of stream results" },
  INVALID_STEP: { where: "workflow", title: "Invalid step call", meaning: "a step was called with arguments it cannot take (a bad duration, name or option)" },
  EVENT_TIMEOUT: { where: "workflow", title: "No event in time", meaning: "`step.waitForEvent` timed out before an event of its type came; the workflow may catch it" },
  NON_DETERMINISTIC: { where: "workflow", title: "Not deterministic", meaning: "a replay called other steps than the journal holds; the instance fails, naming both" },
  TERMINATED: { where: "workflow", title: "Terminated", meaning: "the instance was terminated: what a running step's signal aborts with, and the error of an attempt it cut off (the step shows `cancelled`)" },
  RESTARTED: { where: "workflow", title: "Restarted", meaning: "the error of a step attempt cut off by a restart (the step shows `cancelled`)" },
  DELETED: { where: "workflow", title: "Deleted", meaning: "the error of a step attempt cut off by a delete" },
  WORKFLOW_FAILED: { where: "workflow", title: "Workflow failed", meaning: "the workflow threw an error without a `code` of its own" },
  OUTPUT_INVALID: { where: "workflow", title: "Output invalid", meaning: "the workflow's output could not be kept" },
  CHILD_FAILED: { where: "workflow", title: "Child failed", meaning: "a `step.child` instance failed; its own error is the error's `detail`" },
  CHILD_TERMINATED: { where: "workflow", title: "Child terminated", meaning: "a `step.child` instance was terminated" },
  CHILD_TIMEOUT: { where: "workflow", title: "Child timed out", meaning: "a `step.child` instance did not finish within the step's `timeout`" },
  CHILD_START_FAILED: { where: "workflow", title: "Child not started", meaning: "a `step.child` could not start: its workflow is not registered, or its id is taken by another workflow" },
  CHILD_STUCK: { where: "workflow", title: "Child stuck", meaning: "test kit only: a child waits for an event the test never sends" },
  WEBHOOK_FAILED: { where: "workflow", title: "Webhook not made", meaning: "`step.webhook` could not sign its URL (is `WEBHOOK_SECRET` set?)" },
  WORKFLOW_NOT_REGISTERED: { where: "workflow", title: "Workflow not registered", meaning: "the instance's workflow is not registered in the running deployment: it waits (`waitingFor.kind` `deployment`) and goes on by itself once a deployment registers it" },
  GATE_UNAVAILABLE: { where: "workflow", title: "Concurrency gate unreachable", meaning: "a queued instance's concurrency gate cannot be reached: it stays queued (`waitingFor.kind` `slot`) and asks again with backoff" },
  CONCURRENCY_KEY_INVALID: { where: "workflow", title: "Concurrency key invalid", meaning: "the workflow's `concurrency.key()` threw or returned something other than a string of 1 to 256 characters: the instance fails" },
  THROTTLE_KEY_INVALID: { where: "workflow", title: "Throttle key invalid", meaning: "the workflow's `throttle.key()` threw or returned something other than a string of 1 to 256 characters: the instance fails" },

  // Thrown by the Cloudflare-style `Workflow` binding (src/compat) to its caller
  INVALID_BATCH: { where: "client", title: "Invalid batch", meaning: "`createBatch` was given no instances, more than 100, or one id twice" },

  // Problems the API answers
  MALFORMED_JSON: { where: "api", status: 400, title: "Malformed JSON", meaning: "the body is not JSON" },
  INBOX_FULL: { where: "api", status: 429, title: "Inbox full", meaning: "the instance's inbox holds as many waiting events as it takes (count or bytes); nothing was stored" },
  MALFORMED_BODY: { where: "api", status: 400, title: "Malformed body", meaning: "the body is not valid UTF-8 text (the same on every route, `/hooks` included)" },
  JSON_TOO_DEEP: { where: "api", status: 422, title: "JSON too deep", meaning: "the JSON nests more than 64 levels deep" },
  JSON_NUMBER_UNSAFE: { where: "api", status: 422, title: "Number not exact", meaning: "the JSON holds a number that would change on reading (`1e400`, an integer beyond ±2^53 − 1): send it as a string" },
  JSON_KEY_FORBIDDEN: { where: "api", status: 422, title: "Key not accepted", meaning: "the JSON has a `__proto__` key" },
  HTTP_ERROR: { where: "api", status: 400, title: "Request refused", meaning: "the HTTP layer refused the request before Cairn's own checks; `status` says how" },
  UNAUTHORIZED: { where: "api", status: 401, title: "Unauthorized", meaning: "no token, or a wrong one" },
  READ_ONLY_TOKEN: { where: "api", status: 403, title: "Read-only token", meaning: "the read-only token asked for a change" },
  WORKFLOW_NOT_FOUND: { where: "api", status: 404, title: "Unknown workflow", meaning: "no workflow is registered by that name" },
  INSTANCE_NOT_FOUND: { where: "api", status: 404, title: "Unknown instance", meaning: "no instance has that id" },
  SCHEDULE_NOT_FOUND: { where: "api", status: 404, title: "Unknown schedule", meaning: "no schedule has that id" },
  BULK_NOT_FOUND: { where: "api", status: 404, title: "Unknown bulk job", meaning: "no bulk job has that id" },
  ROUTE_NOT_FOUND: { where: "api", status: 404, title: "Not found", meaning: "no route for this method and path" },
  INSTANCE_EXISTS: { where: "api", status: 409, title: "Instance id taken", meaning: "the id is taken by an instance of another workflow" },
  INSTANCE_FINISHED: { where: "api", status: 409, title: "Instance finished", meaning: "an event for an instance that has finished (`currentStatus` names its status)" },
  INVALID_TRANSITION: { where: "api", status: 409, title: "Not allowed in this status", meaning: "a lifecycle action the current status does not allow (`currentStatus` names it)" },
  BULK_FINISHED: { where: "api", status: 409, title: "Bulk job finished", meaning: "a cancel of a bulk job that has already completed or been cancelled" },
  BODY_TOO_LARGE: { where: "api", status: 413, title: "Body too large", meaning: "a body over 1 MiB (chunked bodies included)" },
  UNSUPPORTED_MEDIA_TYPE: { where: "api", status: 415, title: "Unsupported media type", meaning: "a body that is not `application/json`" },
  INVALID_INPUT: { where: "api", status: 422, title: "Invalid input", meaning: "the body or query breaks a rule (`errors` lists each field)" },
  INVALID_ID: { where: "api", status: 422, title: "Invalid id", meaning: "the id in the path is not an instance id" },
  STEP_NOT_FOUND: { where: "api", status: 422, title: "No such step", meaning: "a restart, fork or resolve of a step the journal does not have" },
  FORK_TOO_LARGE: { where: "api", status: 422, title: "Fork too large", meaning: "the journal before the fork's step holds more results than one fork copies (16 MiB); fork from an earlier step" },
  FLOW_KEY_INVALID: { where: "api", status: 422, title: "Flow key invalid", meaning: "the workflow's `rateLimit.key()` or `debounce.key()` threw or returned something other than a string of 1 to 256 characters for this input: nothing was started" },
  RATE_LIMITED: { where: "api", status: 429, title: "Rate limited", meaning: "the workflow's `rateLimit` for this key is used up: nothing was started; `Retry-After` says when to try again" },
  BULK_TOO_LARGE: { where: "api", status: 422, title: "Bulk action too large", meaning: "the filter of a bulk action matches more than 100,000 instances; narrow it" },
  STEP_NOT_RESOLVABLE: { where: "api", status: 422, title: "Step cannot be resolved", meaning: "the step is not a `step.do` that failed the instance or waits to retry" },
  EVENT_BUFFER_FULL: { where: "api", status: 429, title: "Event buffer full", meaning: "the correlation key holds as many events that no wait took yet as it keeps (count or bytes); nothing was stored" },
  INTERNAL: { where: "api", status: 500, title: "Internal error", meaning: "Cairn failed to handle the request; the error was logged" },
  AUTH_NOT_CONFIGURED: { where: "api", status: 503, title: "No API token configured", meaning: "no `API_TOKEN` is set: Cairn refuses every request" },
  INDEX_UNAVAILABLE: { where: "api", status: 503, title: "Index unavailable", meaning: "a delete while D1 cannot be reached: nothing was deleted, try again" },

  // Problems only the webhook door answers

  BAD_SIGNATURE: { where: "hooks", status: 401, title: "Bad signature", meaning: "the webhook token, or the provider's signature, does not verify" },
  SIGNATURE_STALE: { where: "hooks", status: 401, title: "Stale signature", meaning: "the provider's signed timestamp is more than 5 minutes from now (an old delivery replayed, or a clock off); nothing was stored" },
  PROVIDER_NOT_FOUND: { where: "hooks", status: 404, title: "Unknown provider", meaning: "no webhook provider by that name is configured (`workflows/providers.ts`)" },
  WEBHOOK_EXPIRED: { where: "hooks", status: 410, title: "Webhook expired", meaning: "the webhook URL's time is up" },
  WEBHOOKS_NOT_CONFIGURED: { where: "hooks", status: 503, title: "Webhooks not configured", meaning: "no `WEBHOOK_SECRET`, or no secret for the provider's signature, is set" },

  // Thrown by the typed client
  UNEXPECTED_STATUS: { where: "client", title: "Unexpected status", meaning: "`waitFor`: the instance ended in another final status than the one waited for" },
  WAIT_TIMEOUT: { where: "client", title: "Wait timed out", meaning: "`waitFor`: the instance did not reach the status within `timeoutMs`" },
  UNEXPECTED_RESPONSE: { where: "client", title: "Unexpected response", meaning: "an error answer that is not a problem document (a proxy's error page, say); `status` tells" },
} as const satisfies Record<string, CodeEntry>;

export type Code = keyof typeof CODES;

type CodesWhere<W extends CodeEntry["where"]> = { [C in Code]: (typeof CODES)[C]["where"] extends W ? C : never }[Code];

/** Codes of errors journaled in a workflow: what the engine's errors carry. */
export type WorkflowCode = CodesWhere<"workflow">;
/** Codes of problems the Worker answers over HTTP (`/api` and `/hooks`). */
export type HttpCode = CodesWhere<"api" | "hooks">;
/** Codes the typed client throws itself. */
export type ClientCode = CodesWhere<"client">;

const codesWhere = <W extends CodeEntry["where"]>(...where: W[]) =>
  (Object.keys(CODES) as Code[]).filter((code) => (where as string[]).includes(CODES[code].where)) as CodesWhere<W>[];

export const WORKFLOW_CODES = codesWhere("workflow");
export const HTTP_CODES = codesWhere("api", "hooks");
/** The problems any `/api` route may answer (the webhook door's own are apart). */
export const API_CODES = codesWhere("api");
export const CLIENT_CODES = codesWhere("client");

export function isCode(value: string): value is Code {
  return Object.hasOwn(CODES, value);
}
