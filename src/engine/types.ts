/**
 * The step API a workflow's `run(event, step)` receives, shaped like Cloudflare
 * Workflows' `WorkflowStep` so that a Cloudflare workflow ports by changing its import.
 */
import type { Duration } from "./durations.js";
import type { EventMatch, MatchValue } from "./match.js";
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
  /**
   * Wait by correlation: the first event of `type` whose `field` holds `equals`,
   * published to `POST /api/events` (or by a provider's webhook) with the key
   * `String(equals)`, reaches this call without naming the instance. `field` is a
   * dotted path into the event `{ name, id, data }`. Events published before the
   * call wait for it in the correlation object of their key.
   *
   * @example await step.waitForEvent("paid", { type: "payment_intent.succeeded", match: { field: "data.id", equals: intent.id } })
   */
  match?: EventMatch;
}

/** A workflow started by a named event (`POST /api/events`, or a provider's webhook). */
export interface EventTrigger<Input = unknown> {
  /** The event's name, e.g. "order.created". */
  event: string;
  /** Starts only for events whose data passes; the data becomes the instance's input. */
  filter?: (data: Input) => boolean;
}

/** An event that terminates a running instance of the workflow that declares it. */
export interface CancelOn<Input = unknown> {
  /** The event's name, e.g. "order.cancelled". */
  event: string;
  /** Which events: those whose `field` holds the value `equals(input)` gives for this instance. */
  match: { field: string; equals: (input: Input) => MatchValue };
  /** Run the rollbacks of completed steps before ending terminated. Default false. */
  rollback?: boolean;
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

/** Values kept as they are, with no inner values to check. */
type SerializableLeaf = string | number | boolean | bigint | null | undefined | void | Date | RegExp | ArrayBuffer | ArrayBufferView | URL | URLSearchParams | Error;

/**
 * What the journal keeps of a value, at compile time as `serializeResult` checks it
 * at run time: plain data, `Date`, `Map`, `Set`, `BigInt`, `RegExp`, typed arrays,
 * `ArrayBuffer`, `URL`, errors (name, message, a string `code`) and `undefined`,
 * nested in objects, arrays, maps and sets.
 * `T extends Serializable<T>` fails for a function, or a value holding a function,
 * a symbol or an object with methods (a class instance). A value typed `any`, or
 * `unknown` inside an object, passes here and is checked when the step returns.
 * (A union, not one conditional type, so that it can constrain `T` itself.)
 *
 * @example await step.do("load", () => new Map([["a", 1]])); // Map<string, number>
 *   await step.do("load", () => ({ save() {} })); // does not compile: save is a function
 */
export type Serializable<T> =
  | SerializableLeaf
  | Map<T extends Map<infer K, unknown> ? Inner<K> : never, T extends Map<unknown, infer V> ? Inner<V> : never>
  | Set<T extends Set<infer V> ? Inner<V> : never>
  | ReadonlyArray<T extends ReadonlyArray<infer V> ? Inner<V> : never>
  // Functions have Function's `Symbol.hasInstance`; plain data has no symbol keys.
  | ({ [K in keyof T]: K extends string | number ? Inner<T[K]> : never } & { readonly [Symbol.hasInstance]?: never });

/** A value inside a result: `unknown` passes (checked at run time), a symbol does not. */
type Inner<T> = unknown extends T ? unknown : T extends symbol ? never : Serializable<T>;

/** What a step may return: `Serializable`, or a `ReadableStream` of bytes as the whole result. */
export type StepResult<T> = Serializable<T> | ReadableStream<Uint8Array>;

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
   * Runs `fn` until it succeeds (at least once) and journals its result once;
   * every replay returns the journaled result without running `fn` again. A terminal
   * failure (retries exhausted, `NonRetryableError`) is journaled too and rethrown on
   * every replay, with the same `name`, `message` and `code`.
   *
   * A result keeps its types (`Serializable`: Date, Map, Set, BigInt, typed arrays,
   * `undefined` inside objects…) and must take at most 1 MiB once serialised; a
   * `ReadableStream<Uint8Array>` result is stored apart, up to 64 MiB per instance,
   * and comes back as a stream of the same bytes. The value returned is what the
   * journal keeps, identical on first run and on replay; anything it cannot keep (a
   * function, a class instance) fails the step with STEP_RESULT_INVALID naming where.
   *
   * @example const charge = await step.do("charge card", { retries: { limit: 3, delay: "5 seconds" } },
   *   async ({ step }) => payments.charge(order, { idempotencyKey: `${event.instanceId}/${step.name}/${step.count}` }));
   */
  do<T extends StepResult<T>>(name: string, fn: (ctx: StepContext) => Promise<T> | T, options?: DoOptions<T>): Promise<T>;
  do<T extends StepResult<T>>(name: string, config: StepConfig, fn: (ctx: StepContext) => Promise<T> | T, options?: DoOptions<T>): Promise<T>;
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

/**
 * Which key of a flow control an input falls under (a tenant, a customer…): a string of
 * 1 to 256 characters. Without one, the control holds for the workflow as a whole.
 */
export type FlowKey<Input> = (input: Input) => string;

/**
 * A waiter's priority in the concurrency queue, in seconds of head start: a waiter of
 * priority `p` goes ahead of one of priority `q` that arrived less than `p − q`
 * seconds before it. Clamped to −600…600, so nothing waits behind later arrivals
 * for more than 20 minutes; equal priorities keep first in, first out.
 *
 * @example priority: (input) => (input.plan === "enterprise" ? 120 : 0)
 */
export type FlowPriority<Input> = (input: Input) => number;

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
   * the others stay `queued` and start as slots free: first in, first out, or by
   * `priority` when given (higher first; see FlowPriority).
   *
   * @example concurrency: { limit: 1, key: (input) => input.customerId }
   */
  concurrency?: { limit: number; key?: FlowKey<Input>; priority?: FlowPriority<Input> };
  /**
   * At most `limit` instances start per `period` (per `key`): the others stay queued
   * (`waitingFor.kind` `throttle`) and start in their turn, first in first out; none is dropped.
   *
   * @example throttle: { limit: 10, period: "1 minute", key: (input) => input.tenant }
   */
  throttle?: { limit: number; period: Duration | string; key?: FlowKey<Input> };
  /**
   * At most `limit` starts are accepted per `period` (a sliding window, per `key`):
   * a start beyond it is refused with 429 `RATE_LIMITED` and `Retry-After`, and no
   * instance is created. Schedules are not counted (see the README).
   *
   * @example rateLimit: { limit: 100, period: "1 hour", key: (input) => input.apiKey }
   */
  rateLimit?: { limit: number; period: Duration | string; key?: FlowKey<Input> };
  /**
   * A start within `period` of the last one for the same `key` does not start another
   * instance: it replaces the input of the pending one and pushes its start back to
   * `period` after itself, but never more than `maxWait` after the first start.
   *
   * @example debounce: { period: "30 seconds", maxWait: "5 minutes", key: (input) => input.documentId }
   */
  debounce?: { period: Duration | string; maxWait?: Duration | string; key?: FlowKey<Input> };
  /**
   * Cron schedules that start this workflow. Each becomes a schedule named `id`
   * (default `<workflow>.<n>`), managed like those created through `/api/schedules`.
   *
   * @example schedules: [{ cron: "0 2 * * *", timezone: "Europe/Amsterdam", input: { regions: ["eu", "us"] } }]
   */
  schedules?: DeclaredSchedule<Input>[];
  /**
   * Bounds of each instance's inbox: events received and not yet taken by a step.
   * Defaults: 1,000 events, 16 MiB of payload. An event over either is refused with
   * 429 `INBOX_FULL`, and nothing is stored.
   *
   * @example inbox: { maxEvents: 50_000, maxBytes: 64 * 1024 * 1024 }
   */
  inbox?: { maxEvents?: number; maxBytes?: number };
  /**
   * Named events that start an instance each (`POST /api/events`, provider webhooks),
   * with the event's data as input. The instance id is derived from the event id and
   * the workflow, so an event published twice starts one instance.
   *
   * @example triggers: [{ event: "order.created", filter: (order) => order.total > 0 }]
   */
  triggers?: EventTrigger<Input>[];
  /**
   * Named events that terminate a running instance: registered when the instance is
   * created, with the key `equals(input)`.
   *
   * @example cancelOn: [{ event: "order.cancelled", match: { field: "data.orderId", equals: (input) => input.orderId }, rollback: true }]
   */
  cancelOn?: CancelOn<Input>[];
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
