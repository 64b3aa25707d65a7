/**
 * The journal: one record per step call, in call order, plus each failed attempt
 * and the event inbox. The engine reads and writes it only through `JournalStore`,
 * which the Durable Object implements on SQLite and tests implement in memory.
 *
 * A store must make each method call atomic, and the Durable Object commits every
 * write the engine makes between two awaits as one transaction.
 */
import type { ErrorRecord } from "./errors.js";
import { matchesPayload, type EventMatch } from "./match.js";

export const STEP_KINDS = ["do", "sleep", "event", "webhook", "patch", "child", "rollback", "attributes"] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/**
 * - `running`: an attempt is under way (after a restart: it was interrupted).
 * - `retrying`: an attempt failed; the next starts at `dueAt`.
 * - `sleeping`: a timer ends at `dueAt`.
 * - `waiting`: waiting for an event of `eventType`, until `dueAt` (timeout).
 * - `completed` / `failed`: final; `result` or `error` is what every replay returns.
 * - `cancelled`: the attempt under way was cut off by a terminate, restart or
 *   delete; `error` says which (code TERMINATED, RESTARTED or DELETED). Not an
 *   outcome: a replay that reaches the step runs it again.
 */
export const STEP_STATUSES = ["running", "retrying", "sleeping", "waiting", "completed", "failed", "cancelled"] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface StepRecord {
  /** Position of the call in the workflow's sequence of step calls (0-based). */
  seq: number;
  name: string;
  /** 1 for the first call with this name, 2 for the second, ... */
  count: number;
  kind: StepKind;
  status: StepStatus;
  /** Attempts started so far (step.do only). */
  attempts: number;
  startedAt: number;
  /** When the current attempt started (step.do only). */
  attemptStartedAt?: number;
  finishedAt?: number;
  /** Next attempt, wake-up, or event timeout (epoch ms). */
  dueAt?: number;
  eventType?: string;
  /** The text of the result (serialize.ts); absent for `undefined`. */
  result?: string;
  error?: ErrorRecord;
  /** Set for a step configured `sensitive: "output"`: views leave its result out. */
  sensitive?: boolean;
}

export interface AttemptRecord {
  seq: number;
  attempt: number;
  startedAt: number;
  finishedAt: number;
  error: ErrorRecord;
}

/** An event as delivered to `waitForEvent`. */
export interface InboxEvent {
  id: string;
  type: string;
  /** JSON text of the payload; absent when none was sent. */
  payload?: string;
  /** Epoch ms when the event was accepted. */
  timestamp: number;
}

export interface JournalStore {
  /** Every record, in any order, with every field. */
  load(): StepRecord[];
  /**
   * The records an execution starts from (a replay), in any order; called once, in
   * place of `load()` when the store has it. Finished records (completed, failed)
   * may leave out `attemptStartedAt`, `finishedAt`, `dueAt` and `eventType`: a
   * replay reads only how a finished step was called and how it ended, and the
   * store can then read a long journal faster.
   */
  loadForReplay?(): StepRecord[];
  /** Insert or replace the record at `record.seq`. */
  save(record: StepRecord): void;
  /** Keep a failed attempt in the step's history. */
  saveAttempt(attempt: AttemptRecord): void;
  /**
   * Remove and return the oldest unconsumed event of `type` from the inbox,
   * marking it consumed by step `seq`; an event is consumed at most once. With
   * `match`, the oldest of that type whose payload matches (src/engine/match.ts).
   */
  takeEvent(type: string, seq: number, match?: EventMatch): InboxEvent | undefined;
  /**
   * The bytes of a step's stream result (streams.ts), kept apart from its record in
   * parts of at most `STREAM_PART_BYTES`: part `part` of step `seq`.
   */
  saveBlob(seq: number, part: number, bytes: Uint8Array): void;
  loadBlob(seq: number, part: number): Uint8Array | undefined;
  /** Forgets every part of step `seq`'s bytes. */
  dropBlobs(seq: number): void;
  /** The bytes of every stream result the instance keeps, all steps together. */
  blobBytes(): number;
}

/** A store in memory: for unit tests, the test kit and anywhere no storage is needed. */
export class MemoryJournal implements JournalStore {
  readonly records = new Map<number, StepRecord>();
  readonly attempts: AttemptRecord[] = [];
  readonly inbox: (InboxEvent & { consumedBy?: number })[] = [];
  /** Stream results' bytes, by `seq:part`. */
  readonly blobs = new Map<string, Uint8Array>();

  load(): StepRecord[] {
    return [...this.records.values()].map((r) => structuredClone(r));
  }
  save(record: StepRecord): void {
    this.records.set(record.seq, structuredClone(record));
  }
  saveAttempt(attempt: AttemptRecord): void {
    this.attempts.push(structuredClone(attempt));
  }
  takeEvent(type: string, seq: number, match?: EventMatch): InboxEvent | undefined {
    const event = this.inbox.find((e) => e.type === type && e.consumedBy === undefined && (!match || matchesPayload(e.payload, match)));
    if (!event) return undefined;
    event.consumedBy = seq;
    const { consumedBy: _, ...delivered } = event;
    return delivered;
  }
  saveBlob(seq: number, part: number, bytes: Uint8Array): void {
    this.blobs.set(`${seq}:${part}`, bytes.slice());
  }
  loadBlob(seq: number, part: number): Uint8Array | undefined {
    return this.blobs.get(`${seq}:${part}`)?.slice();
  }
  dropBlobs(seq: number): void {
    for (const key of this.blobs.keys()) if (key.startsWith(`${seq}:`)) this.blobs.delete(key);
  }
  blobBytes(): number {
    let total = 0;
    for (const bytes of this.blobs.values()) total += bytes.byteLength;
    return total;
  }
  /** Adds an event to the inbox; returns false for an id seen before. */
  addEvent(event: InboxEvent): boolean {
    if (this.inbox.some((e) => e.id === event.id)) return false;
    this.inbox.push({ ...event });
    return true;
  }
}
