/**
 * What a subscription to an instance delivers: its events, in the shape of
 * Cloudflare's `WorkflowInstanceEvent` (`type`, `timestamp`, `stepName`, `attempt`,
 * `output`, `error`, …) plus what Cairn knows more (`stepCount`, `stepKind`,
 * `waitingFor`, child workflows). Pure: the instance derives events from its journal
 * records and its row, the same function for the history and for live events, so
 * an event has one `key` however it was seen; the watch hub keeps each key once and
 * numbers the events in the order it keeps them (the `eventId` a cursor names).
 */
import type { AttemptRecord, ErrorRecord, StepRecord } from "../engine/index.js";
import { CHILD_EVENT_PREFIX } from "../engine/host.js";
import type { Status, WaitingFor } from "../engine/status.js";

/** Every event type, Cloudflare's first (in its order), then Cairn's own. */
export const EVENT_TYPES = [
  "workflow_queued",
  "workflow_started",
  "workflow_running",
  "workflow_paused",
  "workflow_waiting_for_pause",
  "workflow_waiting",
  "workflow_completed",
  "workflow_errored",
  "workflow_terminated",
  "step_started",
  "step_completed",
  "step_errored",
  "attempt_started",
  "attempt_completed",
  "attempt_errored",
  "sleep_started",
  "sleep_completed",
  "wait_started",
  "wait_completed",
  "wait_timed_out",
  "rollback_started",
  "rollback_step_started",
  "rollback_step_completed",
  "rollback_step_errored",
  "rollback_attempt_started",
  "rollback_attempt_completed",
  "rollback_attempt_errored",
  "rollback_completed",
  "rollback_errored",
  "child_started",
  "child_finished",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** A subscription ends after one of these (as Cloudflare's does). */
export const TERMINAL_EVENTS: ReadonlySet<string> = new Set<EventType>(["workflow_completed", "workflow_errored", "workflow_terminated"]);

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/** An event as the instance hands it to the hub. */
export interface WatchEvent {
  /** Tells this event apart from every other of the instance; the hub keeps each key once. */
  key: string;
  type: EventType;
  /** Epoch ms. */
  timestamp: number;
  /** The event's other fields (JSON values). */
  fields: Record<string, unknown>;
  /** JSON text of `output`, carried as it is: a step result may be a mebibyte. */
  output?: string;
}

/** What a sensitive step's output becomes, as on Cloudflare. */
export const REDACTED = "[REDACTED]";

const STATUS_EVENTS: Record<Status, EventType> = {
  queued: "workflow_queued",
  running: "workflow_running",
  waiting: "workflow_waiting",
  paused: "workflow_paused",
  completed: "workflow_completed",
  failed: "workflow_errored",
  terminated: "workflow_terminated",
};

/** The fields of the instance row events are made from. */
export interface RowFacts {
  status: Status;
  version: number;
  created_at: number;
  updated_at: number;
  input: string | null;
  output: string | null;
  error: string | null;
  waiting_for: string | null;
}

/** The instance was created (queued). */
export function queuedEvent(row: RowFacts): WatchEvent {
  return { key: `queued:${row.created_at}`, type: "workflow_queued", timestamp: row.created_at, fields: {} };
}

/** The instance ran for the first time; `params` is its input. */
export function startedEvent(row: RowFacts, at: number): WatchEvent {
  return { key: `started:${row.created_at}`, type: "workflow_started", timestamp: at, fields: row.input === null ? {} : { params: JSON.parse(row.input) as unknown } };
}

/** The row's status as it stands (one event per row version). */
export function statusEvent(row: RowFacts): WatchEvent {
  const event: WatchEvent = { key: `status:${row.version}`, type: STATUS_EVENTS[row.status], timestamp: row.updated_at, fields: {} };
  if (row.status === "waiting" && row.waiting_for !== null) event.fields.waitingFor = JSON.parse(row.waiting_for) as WaitingFor;
  if (row.status === "completed" && row.output !== null) event.output = row.output;
  if ((row.status === "failed" || row.status === "terminated") && row.error !== null) event.fields.error = errorOf(JSON.parse(row.error) as ErrorRecord);
  return event;
}

/**
 * The events a step record stands for, as far as it has come: its start, each
 * attempt (`failed`: this step's failed attempts that are known), its end. A record
 * journaled again yields its earlier events again, with the same keys.
 */
export function stepEvents(record: StepRecord, failed: readonly AttemptRecord[] = []): WatchEvent[] {
  const r = record;
  const step = { stepName: r.name, stepCount: r.count, stepKind: r.kind };
  const events: WatchEvent[] = [];
  const at = (type: EventType, timestamp: number, fields: Record<string, unknown> = {}, key = `${r.seq}:${r.startedAt}:${type}`) =>
    events.push({ key, type, timestamp, fields: { ...step, ...fields } });
  const end = r.finishedAt ?? r.startedAt;
  switch (r.kind) {
    case "do":
    case "rollback": {
      const p = r.kind === "rollback" ? "rollback_" : "";
      // Before the first rollback's own events; one per instance (the hub keeps a key once).
      if (r.kind === "rollback") events.push({ key: "rollback", type: "rollback_started", timestamp: r.startedAt, fields: {} });
      at(`${p}step_started` as EventType, r.startedAt);
      const attempt = (type: string, n: number, startedAt: number, timestamp: number, fields: Record<string, unknown> = {}) =>
        at(`${p}attempt_${type}` as EventType, timestamp, { attempt: n, ...fields }, `${r.seq}:${startedAt}:attempt_${type}:${n}`);
      const sorted = [...failed].sort((a, b) => a.attempt - b.attempt);
      sorted.forEach((a, i) => {
        attempt("started", a.attempt, a.startedAt, a.startedAt);
        const nextStart = sorted[i + 1]?.startedAt ?? (r.status === "retrying" ? r.dueAt : a.attempt < r.attempts ? r.attemptStartedAt : undefined);
        attempt("errored", a.attempt, a.startedAt, a.finishedAt, {
          error: errorOf(a.error),
          ...(nextStart !== undefined && nextStart >= a.finishedAt && { retryDelayMs: nextStart - a.finishedAt }),
        });
      });
      const lastFailed = sorted.at(-1)?.attempt ?? 0;
      if (r.attempts > lastFailed && r.attemptStartedAt !== undefined && (r.status === "running" || r.status === "completed")) {
        attempt("started", r.attempts, r.attemptStartedAt, r.attemptStartedAt);
        if (r.status === "completed") attempt("completed", r.attempts, r.attemptStartedAt, end);
      }
      if (r.status === "completed") completed(events, at, `${p}step_completed` as EventType, end, r);
      if (r.status === "failed" || r.status === "cancelled") at(`${p}step_errored` as EventType, end, r.error ? { error: errorOf(r.error) } : {});
      return events;
    }
    case "sleep":
      at("sleep_started", r.startedAt, { durationMs: (r.dueAt ?? end) - r.startedAt, ...(r.dueAt !== undefined && { until: iso(r.dueAt) }) });
      if (r.status === "completed") at("sleep_completed", end);
      return events;
    case "event":
      at("wait_started", r.startedAt, { eventType: r.eventType ?? "", ...(r.dueAt !== undefined && { timeoutAt: iso(r.dueAt) }) });
      if (r.status === "completed") completed(events, at, "wait_completed", end, r);
      else if (r.status === "failed") at(r.error?.code === "EVENT_TIMEOUT" ? "wait_timed_out" : "step_errored", end, r.error ? { error: errorOf(r.error) } : {});
      return events;
    case "child": {
      const childId = r.eventType?.slice(CHILD_EVENT_PREFIX.length) ?? "";
      at("child_started", r.startedAt, { childId });
      if (r.status === "completed") completed(events, at, "child_finished", end, r, { childId, status: "completed" });
      else if (r.status === "failed") at("child_finished", end, { childId, status: "failed", ...(r.error && { error: errorOf(r.error) }) });
      return events;
    }
    case "webhook":
      at("step_started", r.startedAt);
      if (r.status === "completed") completed(events, at, "step_completed", end, r);
      else if (r.status === "failed") at("step_errored", end, r.error ? { error: errorOf(r.error) } : {});
      return events;
    default:
      // step.patched marks a code path; nothing happens at run time.
      return events;
  }
}

/** A completed step's event with its output (redacted for a sensitive step). */
function completed(
  events: WatchEvent[],
  at: (type: EventType, timestamp: number, fields?: Record<string, unknown>) => unknown,
  type: EventType,
  timestamp: number,
  r: StepRecord,
  fields: Record<string, unknown> = {},
): void {
  at(type, timestamp, fields);
  const event = events.at(-1)!;
  if (r.sensitive) event.fields.output = REDACTED;
  else if (r.result !== undefined) event.output = r.result;
}

/** An error as events carry it: Cloudflare's `{ name, message }` plus Cairn's `code`. */
function errorOf(error: ErrorRecord): { name: string; message: string; code: string } {
  return { name: error.name, message: error.message, code: error.code };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The event's JSON without `instanceId` and `eventId` (which the hub adds when it
 * delivers), its output spliced in as the text it is.
 */
export function eventBody(event: WatchEvent): string {
  const head = JSON.stringify({ type: event.type, timestamp: event.timestamp, ...event.fields });
  return event.output === undefined ? head : `${head.slice(0, -1)},"output":${event.output}}`;
}

/** Roughly how many bytes an event takes on the wire, to keep each batch well under the RPC limit. */
export function eventSize(event: WatchEvent): number {
  return 200 + (event.output?.length ?? 0) + event.key.length;
}
