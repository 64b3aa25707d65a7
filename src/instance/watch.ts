/**
 * The instance's side of live subscriptions. Subscribers never talk to the instance:
 * they hold streams on the instance's watch hub (src/watch/hub.ts), and the hub
 * tells the instance whether anyone listens (`watch(true|false)`, kept in storage
 * so an evicted object still knows). Only then does the instance turn what it
 * journals and each change of its status into events, and send them to the hub in
 * batches, one call at a time: one call per batch however many subscribers there
 * are. Unwatched, each journal write and each transition costs one flag test.
 */
import type { AttemptRecord, StepRecord } from "../engine/index.js";
import { eventSize, queuedEvent, startedEvent, statusEvent, stepEvents, type WatchEvent } from "../watch/events.js";
import type { SqlJournal } from "./journal.js";
import type { InstanceRow } from "./view.js";

/** What the journal tells of each write (journal.ts calls it with every record and failed attempt it saves). */
export interface JournalObserver {
  step(record: StepRecord): void;
  attempt(attempt: AttemptRecord): void;
}

/** The hub's method the instance calls; `listening` false: nobody subscribes any more. */
export interface WatchHubStub {
  publish(instanceId: string, events: WatchEvent[]): Promise<{ listening: boolean }>;
  /** The instance was deleted: its subscriptions end. */
  gone(instanceId: string): Promise<void>;
}

/** A batch sent to the hub stays under this many bytes (an RPC carries at most 32 MiB). */
const BATCH_BYTES = 4 * 1024 * 1024;
/** A page of history holds at most this many steps, and results up to about BATCH_BYTES. */
const HISTORY_STEPS = 200;
const WATCHED_KEY = "watched";

export interface WatchHost {
  readonly kv: SyncKvStorage;
  row(): InstanceRow | undefined;
  hub(instanceId: string): WatchHubStub;
}

export class Watch implements JournalObserver {
  /** Unknown until first asked: then read once from storage. */
  private on?: boolean;
  /** A failed attempt waits for its step's next write, which tells when the next attempt comes. */
  private readonly failed = new Map<number, AttemptRecord>();
  private queue: WatchEvent[] = [];
  private sending = false;

  constructor(private readonly host: WatchHost) {}

  get watched(): boolean {
    return (this.on ??= this.host.kv.get<boolean>(WATCHED_KEY) === true);
  }

  /** The hub says whether anyone listens. */
  set(on: boolean): void {
    if (on === this.watched) return;
    this.on = on;
    if (on) this.host.kv.put(WATCHED_KEY, true);
    else {
      this.host.kv.delete(WATCHED_KEY);
      this.queue = [];
      this.failed.clear();
    }
  }

  /** The instance was deleted (its storage, the flag with it, is gone): the hub ends its streams. */
  async gone(id: string, watched: boolean): Promise<void> {
    this.on = false;
    this.queue = [];
    this.failed.clear();
    if (watched) await this.host.hub(id).gone(id).catch((error: unknown) => console.warn(`instance ${id}: could not end its subscriptions: ${String(error)}`));
  }

  step(record: StepRecord): void {
    if (!this.watched) return;
    const failed = this.failed.get(record.seq);
    if (failed) this.failed.delete(record.seq);
    this.emit(stepEvents(record, failed ? [failed] : []));
  }

  attempt(attempt: AttemptRecord): void {
    if (!this.watched) return;
    this.failed.set(attempt.seq, { ...attempt });
  }

  /** After a transition: the row before and after it (`changed`: its status or wait changed). */
  transition(before: InstanceRow | undefined, after: InstanceRow | undefined, changed: boolean): void {
    if (!after || !this.watched) return;
    if (!before) return this.emit([queuedEvent(after)]);
    if (!changed) return;
    const events: WatchEvent[] = [];
    if (before.status === "queued" && after.status === "running") events.push(startedEvent(after, after.updated_at));
    events.push(statusEvent(after));
    this.emit(events);
  }

  private emit(events: WatchEvent[]): void {
    this.queue.push(...events);
    if (this.sending) return;
    this.sending = true;
    queueMicrotask(() => void this.send());
  }

  /** Sends what is queued, a batch at a time; events journaled meanwhile go in the next batch. */
  private async send(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const id = this.host.row()?.id;
        if (!id) return void (this.queue = []);
        // A failed attempt whose step was not journaled again in the same turn goes as it is.
        for (const attempt of this.failed.values()) this.queue.push(...attemptOnly(attempt));
        this.failed.clear();
        const batch = takeBatch(this.queue);
        try {
          const { listening } = await this.host.hub(id).publish(id, batch);
          if (!listening) this.set(false);
        } catch (error) {
          // The hub catches up from the journal when its subscribers come back.
          console.warn(`instance ${id}: could not send ${batch.length} events to its subscribers: ${String(error)}`);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}

function takeBatch(queue: WatchEvent[]): WatchEvent[] {
  let bytes = 0;
  let n = 0;
  while (n < queue.length && (n === 0 || bytes + eventSize(queue[n]!) <= BATCH_BYTES)) bytes += eventSize(queue[n++]!);
  return queue.splice(0, n);
}

function attemptOnly(attempt: AttemptRecord): WatchEvent[] {
  return stepEvents({ seq: attempt.seq, name: "", count: 0, kind: "do", status: "retrying", attempts: attempt.attempt, startedAt: 0 }, [attempt]).filter(
    (e) => e.type === "attempt_errored" || e.type === "attempt_started",
  );
}

/** One page of an instance's history: its events from step `fromSeq` on, and where the next page starts. */
export interface HistoryPage {
  events: WatchEvent[];
  next?: number;
}

/**
 * The history as events, a page at a time so that a long instance never makes one
 * answer too large: created (and started), then each step with its attempts, then
 * the status it has now.
 */
export function historyPage(journal: SqlJournal, row: InstanceRow, fromSeq: number): HistoryPage {
  const events: WatchEvent[] = [];
  const { records, attempts } = journal.stepsFrom(fromSeq, HISTORY_STEPS);
  if (fromSeq === 0) {
    events.push(queuedEvent(row));
    if (row.status !== "queued" || records.length > 0) events.push(startedEvent(row, records[0]?.startedAt ?? row.updated_at));
  }
  const failed = new Map<number, AttemptRecord[]>();
  for (const a of attempts) failed.set(a.seq, [...(failed.get(a.seq) ?? []), a]);
  let bytes = 0;
  let last = fromSeq - 1;
  for (const record of records) {
    if (bytes > BATCH_BYTES) break;
    const made = stepEvents(record, failed.get(record.seq));
    for (const event of made) bytes += eventSize(event);
    events.push(...made);
    last = record.seq;
  }
  if (records.length === HISTORY_STEPS || last < (records.at(-1)?.seq ?? last)) return { events, next: last + 1 };
  // The status as it stands, unless nothing happened since the instance was created.
  if (row.version > 1) events.push(statusEvent(row));
  return { events };
}
