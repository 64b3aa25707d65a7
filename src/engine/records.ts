/**
 * Journal records and the values built from them: what an execution stores for a
 * step call and hands back to the workflow on every replay.
 */
import { InvalidStepError } from "./errors.js";
import { CHILD_EVENT_PREFIX } from "./host.js";
import type { InboxEvent, StepKind, StepRecord } from "./journal.js";
import { parseResult } from "./serialize.js";
import type { WaitingFor } from "./status.js";
import type { ReceivedEvent } from "./types.js";

/**
 * What `value`'s text (`text`, serialize.ts) reads back as, without reading it where
 * it cannot differ: strings, booleans, null and finite numbers other than -0.
 */
export function roundTrip(value: unknown, text: string | undefined): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0) ? value : parseResult(text);
    default:
      return value === null ? null : parseResult(text);
  }
}

export function newRecord(seq: number, name: string, count: number, kind: StepKind, now: number): StepRecord {
  return { seq, name, count, kind, status: "running", attempts: 0, startedAt: now };
}

export function toTimestamp(name: string, value: Date | number | string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : value;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new InvalidStepError(`step.sleepUntil("${name}") needs a Date, an epoch in milliseconds or an ISO time, got ${String(value)}`);
  }
  return ms;
}

export function eventResult(event: InboxEvent): string {
  const timestamp = JSON.stringify(new Date(event.timestamp).toISOString());
  return `{"type":${JSON.stringify(event.type)},"id":${JSON.stringify(event.id)},"timestamp":${timestamp}${event.payload === undefined ? "" : `,"payload":${event.payload}`}}`;
}

export function toReceivedEvent(result: string | undefined): ReceivedEvent {
  const parsed = parseResult(result) as Omit<ReceivedEvent, "timestamp"> & { timestamp: string };
  return { type: parsed.type, id: parsed.id, payload: parsed.payload, timestamp: new Date(parsed.timestamp) };
}

export function describeWait(record: StepRecord): WaitingFor {
  const until = record.dueAt === undefined ? undefined : new Date(record.dueAt).toISOString();
  if (record.kind === "child") {
    return { kind: "child", step: record.name, childId: record.eventType!.slice(CHILD_EVENT_PREFIX.length), ...(until && { until }) };
  }
  const kind = record.status === "waiting" ? "event" : record.status === "retrying" ? "retry" : "sleep";
  return { kind, step: record.name, ...(until && { until }), ...(record.eventType && { eventType: record.eventType }) };
}

/** A child's default id: the parent's id and the step, so every replay names the same child. */
export function childIdFor(parentId: string, name: string, count: number): string {
  const step = name.replace(/[^A-Za-z0-9._~-]+/g, "-").replace(/^-+|-+$/g, "") || "child";
  const id = `${parentId}:${step}:${count}`;
  if (id.length <= 100) return id;
  // Too long for an id: keep a readable prefix and a digest of the whole.
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (Math.imul(hash, 31) + id.charCodeAt(i)) >>> 0;
  return `${id.slice(0, 88)}:${hash.toString(36).padStart(7, "0")}`;
}
