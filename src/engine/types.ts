/**
 * The step API a workflow's `run(event, step)` receives, shaped like Cloudflare
 * Workflows' `WorkflowStep` so that a Cloudflare workflow ports by changing its import.
 */
import type { Duration } from "./durations.js";
import type { ResolvedStepConfig, StepConfig } from "./retry.js";

/** What `run` receives as its first argument. */
export interface WorkflowEvent<Input = unknown> {
  /** The instance's input, as given at start (JSON). */
  readonly payload: Readonly<Input>;
  /** When the instance was created. */
  readonly timestamp: Date;
  readonly instanceId: string;
  /** The name the workflow is registered under. */
  readonly workflowName: string;
}

/** What a step's function receives. */
export interface StepContext {
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
  /** `name` and `count` (1 for the first call with that name) plus the instance id make a stable idempotency key. */
  step: { name: string; count: number };
  /** The step's config with the defaults applied, as Cloudflare Workflows gives it. */
  config: ResolvedStepConfig;
  /** Aborts when the attempt times out or the instance is terminated. */
  signal: AbortSignal;
}

/** An event delivered by `waitForEvent`. */
export interface ReceivedEvent<Payload = unknown> {
  type: string;
  payload: Payload;
  timestamp: Date;
  id: string;
}

export interface WaitForEventOptions {
  type: string;
  /** Default 24 hours. When it passes, `waitForEvent` throws an error with code `EVENT_TIMEOUT`. */
  timeout?: Duration | string;
}

/** Options of `step.webhook`. */
export interface WebhookOptions {
  /** The type of the event each delivery becomes. Default "webhook". */
  eventType?: string;
  /** How long the URL accepts deliveries. Default 7 days. */
  expiresIn?: Duration | string;
  /**
   * Require deliveries signed under the Standard Webhooks scheme with the secret(s)
   * held in this env variable (e.g. "PAYMENTS_WEBHOOK_SECRET"); the delivery's
   * `webhook-id` becomes the event id, so a provider's retries count once.
   */
  verify?: { standardWebhooks: string };
}

/** A URL the outside world can POST to; each delivery becomes an event for this instance. */
export interface WebhookHandle {
  url: string;
  token: string;
  /** ISO time after which deliveries are refused (410). */
  expiresAt: string;
  eventType: string;
}

/** A schedule declared in a workflow's code. */
export interface DeclaredSchedule<Input = unknown> {
  id?: string;
  /** Five or six fields (seconds optional), as croner reads them. */
  cron: string;
  timezone?: string;
  input?: Input;
  /** Fires missed while paused or down: "skip" runs only the latest (default), "catchUp" runs each. */
  policy?: "skip" | "catchUp";
  /** With catchUp: at most this many missed fires run. Default 10. */
  catchUpLimit?: number;
}

/** Options of `step.do`'s last argument. */
export interface DoOptions<T> {
  /**
   * Undoes the step (a saga's compensation). When the instance fails, or is
   * terminated with `{ rollback: true }`, the rollbacks of completed steps run in
   * reverse order, each journaled and retried like a step (with the step's config).
   */
  rollback?: (ctx: StepContext & { result: T }) => Promise<unknown> | unknown;
}

/** Options of `step.child`. */
export interface ChildOptions {
  /** The child's instance id. Default: derived from this instance's id and the step, so a replay never starts a second child. */
  id?: string;
  /** How long to wait for the child; the step then fails with CHILD_TIMEOUT (the child goes on). Default: no limit. */
  timeout?: Duration | string;
}

export interface WorkflowStep {
  /**
   * Runs `fn` until it succeeds (at least once) and journals its JSON result once;
   * every replay returns the journaled result without running `fn` again. A terminal
   * failure (retries exhausted, `NonRetryableError`) is journaled too and rethrown on
   * every replay, with the same `name`, `message` and `code`.
   *
   * Results must be JSON-serialisable and at most 1 MiB; the value returned is the
   * JSON round trip of what `fn` returned, identical on first run and on replay.
   *
   * @example const charge = await step.do("charge card", { retries: { limit: 3, delay: "5 seconds" } },
   *   async ({ step }) => payments.charge(order, { idempotencyKey: `${event.instanceId}/${step.name}/${step.count}` }));
   */
  do<T>(name: string, fn: (ctx: StepContext) => Promise<T> | T, options?: DoOptions<T>): Promise<T>;
  do<T>(name: string, config: StepConfig, fn: (ctx: StepContext) => Promise<T> | T, options?: DoOptions<T>): Promise<T>;
  /** A durable timer: the wake time is journaled at the first call, so a replay never sleeps again. */
  sleep(name: string, duration: Duration | string): Promise<void>;
  /** A durable timer until `timestamp`; a time in the past returns at once. */
  sleepUntil(name: string, timestamp: Date | number | string): Promise<void>;
  /**
   * Resolves with the first unconsumed event of `type` (events sent before the call
   * wait in the inbox, first in first out). Each event is delivered to one call only.
   */
  waitForEvent<Payload = unknown>(name: string, options: WaitForEventOptions): Promise<ReceivedEvent<Payload>>;
  /**
   * A signed URL that turns each POST into an event of `eventType` for this instance,
   * to be awaited with `waitForEvent`. Journaled like a step: every replay returns the
   * same URL. Deliveries need no API token; the URL itself is the capability.
   *
   * @example const hook = await step.webhook("approval link", { eventType: "review", expiresIn: "3 days" });
   *   await step.do("ask reviewer", () => sendMail(reviewer, hook.url));
   *   const review = await step.waitForEvent("wait for review", { type: hook.eventType, timeout: "3 days" });
   */
  webhook(name: string, options?: WebhookOptions): Promise<WebhookHandle>;
  /**
   * Changes a workflow safely while instances of the old code are still running.
   * Resolves true where the new code runs (new instances, and running ones that
   * reach this point after the deploy), false when replaying a journal written by
   * the code before the patch. Keep the old branch until no instance needs it.
   *
   * @example if (await step.patched("fraud-check")) await step.do("check fraud", () => screen(order));
   */
  patched(id: string): Promise<boolean>;
  /**
   * Sets search attributes of this instance: what people will look it up by
   * (`GET /api/instances?attr=orderId:A-1`, the bulk filter, the dashboard). Merged
   * over the ones it has; journaled like a step, so a replay does not set them again.
   * Values are strings, finite numbers or booleans (kept as text, at most 256
   * characters); at most 20 attributes per instance.
   *
   * @example const order = await step.do("create order", () => shop.create(cart));
   *   await step.setAttributes({ orderId: order.id, customer: cart.customerId });
   */
  setAttributes(attributes: Record<string, string | number | boolean | null | undefined>): Promise<void>;
  /**
   * Starts another workflow as a child instance and resolves with its output once it
   * completes. A failed or terminated child fails this step with code CHILD_FAILED or
   * CHILD_TERMINATED; the child's own error is in the error's `detail`. Terminating
   * this instance terminates its running children.
   *
   * @example const totals = await Promise.all(regions.map((r) => step.child(`report ${r}`, "regional-report", { region: r })));
   */
  child<Output = unknown>(name: string, workflow: string | { name: string }, input?: unknown, options?: ChildOptions): Promise<Output>;
}

/** What a workflow may see besides its input: the Worker's bindings. */
export interface RunContext<Env = unknown> {
  env: Env;
}

/**
 * A schema in the Standard Schema form (zod 4, valibot, arktype and others
 * implement it), so a workflow can declare its input without Cairn picking the library.
 */
export interface InputSchema<Input = unknown> {
  readonly "~standard": {
    validate(value: unknown):
      | { value: Input; issues?: undefined }
      | { issues: ReadonlyArray<{ message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }> }
      | Promise<unknown>;
  };
}

export interface WorkflowDefinition<Input = any, Output = any, Env = any> {
  /** The name the API starts it by: letters, digits, `-` and `_`. */
  name: string;
  description?: string;
  version?: string;
  /**
   * How long a finished instance is kept before it deletes itself (its storage and
   * its index row). Defaults: 7 days after `completed`, 30 days after `failed` or `terminated`.
   */
  retention?: { completed?: Duration | string; failed?: Duration | string };
  /**
   * Checked when an instance is started: input that does not match is refused with
   * 422 listing each field at fault, and no instance is created.
   *
   * @example input: z.object({ orderId: z.string(), amountCents: z.number().int().positive() })
   */
  input?: InputSchema<Input>;
  /**
   * At most `limit` instances run at once (per `key` of the input, when given);
   * the others stay `queued` and start first in, first out as slots free.
   *
   * @example concurrency: { limit: 1, key: (input) => input.customerId }
   */
  concurrency?: { limit: number; key?: (input: Input) => string };
  /**
   * Cron schedules that start this workflow. Each becomes a schedule named `id`
   * (default `<workflow>.<n>`), managed like those created through `/api/schedules`.
   *
   * @example schedules: [{ cron: "0 2 * * *", timezone: "Europe/Amsterdam", input: { regions: ["eu", "us"] } }]
   */
  schedules?: DeclaredSchedule<Input>[];
  /**
   * Search attributes taken from the input when an instance is created, e.g. to
   * find an order's instances by its id. A function that throws or gives something
   * other than a string, number or boolean leaves its attribute out. More can be set
   * while the workflow runs with `step.setAttributes`.
   *
   * @example searchAttributes: { orderId: (input) => input.orderId, customer: (input) => input.customer.id }
   */
  searchAttributes?: Record<string, (input: Input) => string | number | boolean | null | undefined>;
  run(event: WorkflowEvent<Input>, step: WorkflowStep, ctx: RunContext<Env>): Promise<Output> | Output;
}
