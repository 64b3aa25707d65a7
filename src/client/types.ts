/**
 * The types of the typed client: the API's answers (derived from the zod schemas
 * that also generate `/openapi.json`), and the input and output types of each
 * workflow, derived from its definition.
 */
import type { z } from "zod";
import type { Status } from "../engine/status.js";
import type { WorkflowDefinition } from "../engine/types.js";
import type * as schemas from "../api/responses.js";
import type * as scheduleSchemas from "../api/schedules.js";
import type * as forkSchemas from "../api/fork.js";
import type * as eventSchemas from "../events/schemas.js";
import type * as bulkSchemas from "../api/bulk.js";

export type { Status };
export type { JournalDocument, JournalPage } from "../journal/format.js";

/** Workflow definitions by name, e.g. `{ approval: typeof approval }`: what the client is typed by. */
export type WorkflowTypes = Record<string, WorkflowDefinition<any, any, any>>;

/** A client that knows no workflow: any name, input and output `unknown`. */
export type UntypedWorkflows = Record<string, WorkflowDefinition<unknown, unknown, unknown>>;

export type InputOf<D> = D extends WorkflowDefinition<infer Input, any, any> ? Input : unknown;
export type OutputOf<D> = D extends WorkflowDefinition<any, infer Output, any> ? Awaited<Output> : unknown;

/** The type of an event of `subscribe` (Cloudflare's names, plus `child_started` and `child_finished`). */
export type { EventType } from "../watch/events.js";

/**
 * One event of an instance's subscription: Cloudflare's `WorkflowInstanceEvent`
 * fields, plus Cairn's (`stepCount`, `stepKind`, the error's `code`, `waitingFor`,
 * a sleep's `until`, a wait's `timeoutAt`, a child's `childId` and `status`).
 */
export interface InstanceEvent {
  instanceId: string;
  /** Its place in the instance's events: pass the last one seen as `cursor` to resume after it. */
  eventId: number;
  type: import("../watch/events.js").EventType;
  /** Epoch ms. */
  timestamp: number;
  stepName?: string;
  stepCount?: number;
  stepKind?: StepView["kind"];
  attempt?: number;
  /** A step's result, the event a wait received, a child's or the workflow's output; "[REDACTED]" for a sensitive step. */
  output?: unknown;
  error?: { name: string; message: string; code: string };
  retryDelayMs?: number;
  durationMs?: number;
  until?: string;
  eventType?: string;
  timeoutAt?: string;
  waitingFor?: WaitingFor;
  /** The instance's input (on `workflow_started`). */
  params?: unknown;
  childId?: string;
  status?: "completed" | "failed";
}

export interface SubscribeOptions {
  /** The last `eventId` already seen: events after it come. */
  cursor?: number;
  /** Only these event types (the iteration still ends when the instance does). */
  filter?: readonly import("../watch/events.js").EventType[];
  /** Aborts the request (ends the iteration with an AbortError). */
  signal?: AbortSignal;
}

export type Problem = z.output<ReturnType<typeof schemas.Problem>>;
export type StepView = z.output<ReturnType<typeof schemas.Step>>;
export type WaitingFor = z.output<ReturnType<typeof schemas.WaitingFor>>;
export type InstanceError = z.output<ReturnType<typeof schemas.ErrorRecord>>;
export type InstanceListItem = z.output<ReturnType<typeof schemas.ListItem>>;
export type InstancePage = z.output<ReturnType<typeof schemas.InstancePage>>;
export type Stats = z.output<ReturnType<typeof schemas.Stats>>;
export type WorkflowInfo = z.output<ReturnType<typeof schemas.WorkflowList>>["workflows"][number];
export type EventAccepted = z.output<ReturnType<typeof schemas.EventAccepted>>;
export type LifecycleAnswer = z.output<ReturnType<typeof schemas.LifecycleAnswer>>;
export type EventPublished = z.output<ReturnType<typeof eventSchemas.EventPublished>>;
export type Schedule = z.output<ReturnType<typeof scheduleSchemas.Schedule>>;
/** A schedule to create, or to put in place of the one with the same `id`. */
export type ScheduleRequest = z.input<ReturnType<typeof scheduleSchemas.scheduleBody>>;

/** An instance as `GET /api/instances/:id` shows it, with its workflow's input and output types. */
export type Instance<Input = unknown, Output = unknown> = Omit<z.output<ReturnType<typeof schemas.Instance>>, "input" | "output"> & {
  input?: Input;
  output?: Output;
};

/** What `start` answers; pass it to `get` or `waitFor` to keep the workflow's types. */
export type Started<Name extends string = string> = z.output<ReturnType<typeof schemas.InstanceSummarySchema>> & {
  workflow: Name;
  /** False when an instance with this id already ran this workflow (nothing new was started). */
  created: boolean;
};

/** An instance id, or something that names the instance and its workflow (such as `start`'s answer). */
export type InstanceRef<Name extends string = string> = string | { id: string; workflow: Name };

export interface StartOptions<Input> {
  /** Your id (an idempotency key): the same id again answers the existing instance. */
  id?: string;
  input?: Input;
  tags?: Record<string, string>;
}

export interface ListFilters {
  workflow?: string;
  status?: Status | Status[];
  /** `{ team: "design" }` or `["team:design"]`: every pair must match. */
  tags?: Record<string, string> | string[];
  /** Search attributes, `{ orderId: "A-1" }` or `["orderId:A-1"]`: every pair must match. */
  attributes?: Record<string, string> | string[];
  parent?: string;
  createdAfter?: Date | string | number;
  createdBefore?: Date | string | number;
  limit?: number;
  cursor?: string;
}

/** What a bulk action matches: the filters of `list`, without paging. */
export type BulkFilter = Omit<ListFilters, "limit" | "cursor">;
/** What a bulk action does to each instance. */
export type BulkAction = z.input<ReturnType<typeof bulkSchemas.bulkAction>>;
export type BulkJob = z.output<ReturnType<typeof bulkSchemas.BulkJob>>;
export type BulkDryRun = z.output<ReturnType<typeof bulkSchemas.BulkDryRun>>;
export type BulkTargetPage = z.output<ReturnType<typeof bulkSchemas.BulkTargetPage>>;

/** What `fork` takes: the fork's id, the step to fork at (nothing copied when absent), a new input. */
export type ForkOptions = z.input<ReturnType<typeof forkSchemas.forkBody>>;
export type Forked = z.output<ReturnType<typeof schemas.InstanceSummarySchema>> & { forkedFrom: z.output<ReturnType<typeof schemas.ForkedFrom>> };

export interface Resolved {
  id: string;
  status: Status;
  step: { name: string; count: number };
}

export interface SendEventOptions<Payload = unknown> {
  type: string;
  payload?: Payload;
  /** Deduplicates: an event with an id already accepted is accepted once. */
  id?: string;
}

export interface PublishOptions<Data = unknown> {
  /** The event's name, e.g. "order.created". */
  name: string;
  data?: Data;
  /** Deduplicates: the same id again starts and delivers nothing more. */
  id?: string;
  /** The correlation key waits match on (`match.equals`), e.g. the order id. */
  key?: string;
}

export interface WaitOptions {
  /** Give up after this long (default 60 s) with a CairnApiError of code WAIT_TIMEOUT. */
  timeoutMs?: number;
  /** Poll this often (default 500 ms). */
  intervalMs?: number;
  signal?: AbortSignal;
}
