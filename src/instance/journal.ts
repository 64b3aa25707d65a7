/**
 * The engine's journal on the object's SQLite storage, plus the timers table that
 * the object's alarm is computed from. A step record that waits (retry backoff,
 * sleep, event timeout) owns the timer `step:<seq>`.
 */
import { CHILD_EVENT_PREFIX, matchesPayload, type AttemptRecord, type ErrorRecord, type EventMatch, type InboxEvent, type JournalStore, type StepKind, type StepRecord, type StepStatus } from "../engine/index.js";
import { createOnDemand, tableExists, type OnDemandTable } from "./schema.js";
import type { Sql } from "./sql.js";
import { SET_TIMER } from "./timers.js";
import type { JournalObserver } from "./watch.js";

/** A row of the `steps` table, as SQLite gives it. */
export type StepRow = {
  seq: number;
  name: string;
  count: number;
  kind: string;
  status: string;
  attempts: number;
  started_at: number;
  attempt_started_at: number | null;
  finished_at: number | null;
  due_at: number | null;
  event_type: string | null;
  result: string | null;
  error: string | null;
  sensitive: number | null;
  resolved_by?: string | null;
};

/** A page of the journal for a view (see `viewPage`). */
export interface ViewPage {
  records: StepRecord[];
  /** Steps whose result was left out, by position: the result's size in bytes. */
  omitted: Map<number, number>;
  total: number;
  attempts: AttemptRecord[];
  /** Failed attempts each step has in all, by position (only where it has any). */
  attemptTotals: Map<number, number>;
  /** The position to page back from, when older steps exist. */
  olderBefore?: number;
}

type FinishedRow = Pick<StepRow, "seq" | "name" | "count" | "kind" | "status" | "attempts" | "started_at" | "result" | "error">;

type InboxRow = { position: number; id: string; type: string; payload: string | null; received_at: number };
const PENDING_OF_TYPE = "SELECT position, id, type, payload, received_at FROM inbox WHERE type = ? AND consumed_by IS NULL ORDER BY position";

type AttemptRow = { seq: number; attempt: number; started_at: number; finished_at: number; error: string };

const TIMED: ReadonlySet<StepStatus> = new Set(["retrying", "sleeping", "waiting"]);

// The two writes of every step.do attempt that succeeds, kept short: each statement
// costs mostly per call and per bound value, and these two are most of the journal.
const START_ATTEMPT = `INSERT OR REPLACE INTO steps (seq, name, count, kind, status, attempts, started_at, attempt_started_at)
  VALUES (?, ?, ?, 'do', 'running', ?, ?, ?)`;
const COMPLETE_ATTEMPT = "UPDATE steps SET status = 'completed', result = ?, finished_at = ? WHERE seq = ?";

export class SqlJournal implements JournalStore {
  /** Steps that own a timer row, so a step that never waited costs no DELETE. */
  private readonly timed = new Set<number>();
  /** step.do calls whose row this store wrote as a bare running attempt, so completing one is an UPDATE. */
  private readonly attempting = new Set<number>();

  /** The tables made on first write (schema.ts) that this object is known to have, and known not to have. */
  private readonly present = new Set<OnDemandTable>();
  private readonly absent = new Set<OnDemandTable>();
  /** Set for the journal of an instance created a moment ago: there is nothing to read yet. */
  private known: "empty" | undefined;
  private readonly observer?: JournalObserver;

  /** `empty`: the instance was created in this object's life and nothing was journaled since. `observer`: told of each write (live subscriptions). */
  constructor(
    private readonly sql: Sql,
    { empty = false, observer }: { empty?: boolean; observer?: JournalObserver } = {},
  ) {
    this.observer = observer;
    if (empty) {
      this.known = "empty";
      return;
    }
    for (const row of sql.all<{ key: string }>("SELECT key FROM timers WHERE key LIKE 'step:%'")) {
      this.timed.add(Number(row.key.slice(5)));
    }
  }

  load(): StepRecord[] {
    if (this.takeKnownEmpty()) return [];
    return this.sql.all<StepRow>("SELECT * FROM steps ORDER BY seq").map(toRecord);
  }

  /** Finished steps without their times: the rows of a long journal cost per column read. */
  loadForReplay(): StepRecord[] {
    if (this.takeKnownEmpty()) return [];
    const records = this.sql
      .all<FinishedRow>(`SELECT seq, name, count, kind, status, attempts, started_at, result, error FROM steps WHERE status IN ('completed', 'failed')`)
      .map(toFinishedRecord);
    for (const row of this.sql.all<StepRow>("SELECT * FROM steps WHERE status NOT IN ('completed', 'failed')")) records.push(toRecord(row));
    return records;
  }

  /** True the first time only: a second read of the journal reads it. */
  private takeKnownEmpty(): boolean {
    const empty = this.known === "empty";
    this.known = undefined;
    return empty;
  }

  save(r: StepRecord): void {
    this.observer?.step(r);
    if (this.saveAttemptRow(r)) return;
    this.attempting.delete(r.seq);
    this.sql.run(
      `INSERT OR REPLACE INTO steps (seq, name, count, kind, status, attempts, started_at, attempt_started_at, finished_at, due_at, event_type, result, error, sensitive)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.seq, r.name, r.count, r.kind, r.status, r.attempts, r.startedAt,
      r.attemptStartedAt ?? null, r.finishedAt ?? null, r.dueAt ?? null, r.eventType ?? null,
      r.result ?? null, r.error ? JSON.stringify(r.error) : null, r.sensitive ? 1 : null,
    );
    if (r.dueAt !== undefined && TIMED.has(r.status)) {
      this.sql.run(SET_TIMER, `step:${r.seq}`, r.dueAt, 0);
      this.timed.add(r.seq);
    } else if (this.timed.delete(r.seq)) {
      this.sql.run("DELETE FROM timers WHERE key = ?", `step:${r.seq}`);
    }
  }

  /**
   * The common case in two short statements: a step.do attempt starts (a bare
   * running row), then succeeds (status, result, finish time). False when the
   * record holds anything else, which the full row write then covers.
   */
  private saveAttemptRow(r: StepRecord): boolean {
    if (r.kind !== "do" || r.dueAt !== undefined || r.error !== undefined || r.sensitive) return false;
    if (r.status === "running") {
      if (r.result !== undefined || r.finishedAt !== undefined || this.timed.has(r.seq)) return false;
      this.sql.run(START_ATTEMPT, r.seq, r.name, r.count, r.attempts, r.startedAt, r.attemptStartedAt ?? null);
      this.attempting.add(r.seq);
      return true;
    }
    if (r.status !== "completed" || !this.attempting.delete(r.seq)) return false;
    this.sql.run(COMPLETE_ATTEMPT, r.result ?? null, r.finishedAt ?? null, r.seq);
    return true;
  }

  saveAttempt(a: AttemptRecord): void {
    this.observer?.attempt(a);
    this.ensure("attempts");
    this.sql.run(
      "INSERT OR REPLACE INTO attempts (seq, attempt, started_at, finished_at, error) VALUES (?, ?, ?, ?, ?)",
      a.seq, a.attempt, a.startedAt, a.finishedAt, JSON.stringify(a.error),
    );
  }

  takeEvent(type: string, seq: number, match?: EventMatch): InboxEvent | undefined {
    if (!this.has("inbox")) return undefined;
    const row = match ? this.firstMatching(type, match) : this.sql.one<InboxRow>(`${PENDING_OF_TYPE} LIMIT 1`, type);
    if (!row) return undefined;
    // The payload is kept once: a step.waitForEvent journals it in its result. A
    // child's outcome stays whole: a restart that re-runs the step.child needs it.
    if (type.startsWith(CHILD_EVENT_PREFIX)) this.sql.run("UPDATE inbox SET consumed_by = ? WHERE position = ?", seq, row.position);
    else this.sql.run("UPDATE inbox SET consumed_by = ?, payload = NULL WHERE position = ?", seq, row.position);
    return { id: row.id, type: row.type, timestamp: row.received_at, ...(row.payload !== null && { payload: row.payload }) };
  }

  /** The oldest pending event of `type` whose payload matches (a correlated wait). */
  private firstMatching(type: string, match: EventMatch): InboxRow | undefined {
    for (const row of this.sql.each<InboxRow>(PENDING_OF_TYPE, type)) {
      if (matchesPayload(row.payload ?? undefined, match)) return row;
    }
    return undefined;
  }

  saveBlob(seq: number, part: number, bytes: Uint8Array): void {
    this.ensure("blobs");
    const exact = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    this.sql.run("INSERT OR REPLACE INTO blobs (seq, part, bytes) VALUES (?, ?, ?)", seq, part, exact as ArrayBuffer);
  }

  loadBlob(seq: number, part: number): Uint8Array | undefined {
    if (!this.has("blobs")) return undefined;
    const row = this.sql.one<{ bytes: ArrayBuffer }>("SELECT bytes FROM blobs WHERE seq = ? AND part = ?", seq, part);
    return row && new Uint8Array(row.bytes);
  }

  dropBlobs(seq: number): void {
    if (this.has("blobs")) this.sql.run("DELETE FROM blobs WHERE seq = ?", seq);
  }

  blobBytes(): number {
    if (!this.has("blobs")) return 0;
    return Number(this.sql.one<{ total: number }>("SELECT COALESCE(SUM(length(bytes)), 0) AS total FROM blobs")?.total ?? 0);
  }

  /** Adds an event to the inbox; false when an event with this id was received before. */
  addEvent(event: InboxEvent): boolean {
    this.ensure("inbox");
    const inserted = this.sql.all(
      "INSERT INTO inbox (id, type, payload, received_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING position",
      event.id, event.type, event.payload ?? null, event.timestamp,
    );
    return inserted.length > 0;
  }

  /** Events received and not yet taken, and the bytes of their payloads (UTF-8, as SQLite counts them). */
  inboxUsage(): { events: number; bytes: number } {
    if (!this.has("inbox")) return { events: 0, bytes: 0 };
    const row = this.sql.one<{ events: number; bytes: number | null }>(
      "SELECT COUNT(*) AS events, SUM(LENGTH(CAST(payload AS BLOB))) AS bytes FROM inbox WHERE consumed_by IS NULL",
    );
    return { events: row?.events ?? 0, bytes: row?.bytes ?? 0 };
  }

  hasEvent(id: string): boolean {
    if (!this.has("inbox")) return false;
    return this.sql.one("SELECT 1 AS found FROM inbox WHERE id = ?", id) !== undefined;
  }

  /** Whether a step call is waiting for an event of this type right now. */
  isWaitingFor(type: string): boolean {
    return this.sql.one("SELECT 1 AS found FROM steps WHERE status = 'waiting' AND event_type = ? LIMIT 1", type) !== undefined;
  }

  /**
   * One page of the journal for a view: the `limit` steps before position `before`
   * (the newest when absent), in call order, with results over `maxValueBytes` left
   * out and their size given instead; the newest `attemptsPerStep` failed attempts
   * of each; and how many steps the journal holds.
   */
  viewPage(options: { before?: number; limit: number; maxValueBytes: number; attemptsPerStep: number }): ViewPage {
    const { before = Number.MAX_SAFE_INTEGER, limit, maxValueBytes, attemptsPerStep } = options;
    const rows = this.sql.all<StepRow & { result_bytes: number | null }>(
      `SELECT seq, name, count, kind, status, attempts, started_at, attempt_started_at, finished_at, due_at, event_type, error, sensitive,
              CASE WHEN LENGTH(CAST(result AS BLOB)) <= ? THEN result END AS result, LENGTH(CAST(result AS BLOB)) AS result_bytes
         FROM steps WHERE seq < ? ORDER BY seq DESC LIMIT ?`,
      maxValueBytes, before, limit,
    );
    rows.reverse();
    const records = rows.map(toRecord);
    const omitted = new Map<number, number>();
    for (const row of rows) if (row.result === null && row.result_bytes !== null) omitted.set(row.seq, row.result_bytes);
    const total = this.sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM steps")?.n ?? 0;
    const first = rows[0]?.seq;
    const attempts: AttemptRecord[] = [];
    const attemptTotals = new Map<number, number>();
    if (first !== undefined && this.has("attempts")) {
      const last = rows.at(-1)!.seq;
      const found = this.sql.all<AttemptRow & { rank: number; total: number }>(
        `SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY seq ORDER BY attempt DESC) AS rank, COUNT(*) OVER (PARTITION BY seq) AS total
           FROM attempts WHERE seq BETWEEN ? AND ?) WHERE rank <= ? ORDER BY seq, attempt`,
        first, last, attemptsPerStep,
      );
      for (const row of found) {
        attempts.push({ seq: row.seq, attempt: row.attempt, startedAt: row.started_at, finishedAt: row.finished_at, error: JSON.parse(row.error) as ErrorRecord });
        attemptTotals.set(row.seq, row.total);
      }
    }
    return { records, omitted, total, attempts, attemptTotals, ...(first !== undefined && first > 0 && { olderBefore: first }) };
  }

  /** The position of the step called `name` for the `count`th time, if the journal has it. */
  findStep(name: string, count: number): number | undefined {
    return this.sql.one<{ seq: number }>("SELECT seq FROM steps WHERE name = ? AND count = ?", name, count)?.seq;
  }

  /**
   * For a restart from position `seq`: forgets the steps from there, their failed
   * attempts and their timers, and puts the events they took back in the inbox.
   */
  discardFrom(seq: number): void {
    this.rewind(seq);
    this.sql.run("DELETE FROM steps WHERE seq >= ?", seq);
    this.sql.run("DELETE FROM timers WHERE key LIKE 'step:%' AND CAST(substr(key, 6) AS INTEGER) >= ?", seq);
    for (const timed of [...this.timed]) if (timed >= seq) this.timed.delete(timed);
  }

  /** Ids of the children the instance still waits for. */
  runningChildren(): string[] {
    return this.sql
      .all<{ event_type: string }>("SELECT event_type FROM steps WHERE kind = 'child' AND status = 'waiting'")
      .map((row) => row.event_type.slice(CHILD_EVENT_PREFIX.length));
  }

  /** One step's record, whole. */
  step(seq: number): StepRecord | undefined {
    const row = this.sql.one<StepRow>("SELECT * FROM steps WHERE seq = ?", seq);
    return row && toRecord(row);
  }

  /** The tokens of the webhooks this instance made: capabilities a read-only view must not show. */
  webhookTokens(): string[] {
    return this.sql
      .all<{ result: string | null }>("SELECT result FROM steps WHERE kind = 'webhook' AND status = 'completed'")
      .flatMap((row) => {
        try {
          const token = (JSON.parse(row.result ?? "null") as { token?: unknown } | null)?.token;
          return typeof token === "string" && token.length > 0 ? [token] : [];
        } catch {
          return [];
        }
      });
  }

  /** Up to `limit` steps from position `fromSeq` on, in call order, with their failed attempts (a page of a subscription's history). */
  stepsFrom(fromSeq: number, limit: number): { records: StepRecord[]; attempts: AttemptRecord[] } {
    const records = this.sql.all<StepRow>("SELECT * FROM steps WHERE seq >= ? ORDER BY seq LIMIT ?", fromSeq, limit).map(toRecord);
    if (records.length === 0) return { records, attempts: [] };
    return { records, attempts: this.attempts(records[0]!.seq, records.at(-1)!.seq) };
  }

  /** Failed attempts (of the steps from `fromSeq` to `toSeq`), oldest first by step. */
  attempts(fromSeq = 0, toSeq = Number.MAX_SAFE_INTEGER): AttemptRecord[] {
    if (!this.has("attempts")) return [];
    return this.sql.all<AttemptRow>("SELECT * FROM attempts WHERE seq BETWEEN ? AND ? ORDER BY seq, attempt", fromSeq, toSeq).map((row) => ({
      seq: row.seq,
      attempt: row.attempt,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      error: JSON.parse(row.error) as ErrorRecord,
    }));
  }

  /**
   * Ends every attempt the journal holds as running, for a terminate, restart or
   * delete that finds no execution in memory (the object was evicted mid-step):
   * each becomes a failed attempt with `cause` and a cancelled step, as the engine
   * journals the attempts it cuts off itself.
   */
  cancelRunning(cause: ErrorRecord, now: number): void {
    for (const record of this.sql.all<StepRow>("SELECT * FROM steps WHERE status = 'running'").map(toRecord)) {
      this.saveAttempt({ seq: record.seq, attempt: record.attempts, startedAt: record.attemptStartedAt ?? now, finishedAt: now, error: cause });
      this.save({ ...record, status: "cancelled", finishedAt: now, error: { ...cause, step: { name: record.name, count: record.count } } });
    }
  }

  /**
   * For a restart from step `seq` on: forgets the failed attempts and stream bytes of
   * the steps from there, and puts the events those steps took back in the inbox, in their order.
   */
  private rewind(seq: number): void {
    if (this.has("attempts")) this.sql.run("DELETE FROM attempts WHERE seq >= ?", seq);
    if (this.has("blobs")) this.sql.run("DELETE FROM blobs WHERE seq >= ?", seq);
    if (!this.has("inbox")) return;
    // A payload taken by a step.waitForEvent lives in the step's result: put it back first.
    const taken = this.sql.all<{ position: number; result: string | null }>(
      `SELECT inbox.position, steps.result FROM inbox JOIN steps ON steps.seq = inbox.consumed_by
        WHERE inbox.consumed_by >= ? AND inbox.payload IS NULL AND steps.kind = 'event' AND steps.status = 'completed'`,
      seq,
    );
    for (const { position, result } of taken) {
      const payload = result === null ? undefined : (JSON.parse(result) as { payload?: unknown }).payload;
      if (payload !== undefined) this.sql.run("UPDATE inbox SET payload = ? WHERE position = ?", JSON.stringify(payload), position);
    }
    this.sql.run("UPDATE inbox SET consumed_by = NULL WHERE consumed_by >= ?", seq);
  }

  private has(table: OnDemandTable): boolean {
    if (this.present.has(table)) return true;
    // Only this store creates these tables (ensure), so an absence once seen holds until it does.
    if (this.absent.has(table)) return false;
    if (!tableExists(this.sql, table)) {
      this.absent.add(table);
      return false;
    }
    this.present.add(table);
    return true;
  }

  private ensure(table: OnDemandTable): void {
    if (this.present.has(table)) return;
    this.absent.delete(table);
    createOnDemand(this.sql, table);
    this.present.add(table);
  }
}

function toRecord(row: StepRow): StepRecord {
  const record: StepRecord = {
    seq: row.seq,
    name: row.name,
    count: row.count,
    kind: row.kind as StepKind,
    status: row.status as StepStatus,
    attempts: row.attempts,
    startedAt: row.started_at,
  };
  if (row.attempt_started_at !== null) record.attemptStartedAt = row.attempt_started_at;
  if (row.finished_at !== null) record.finishedAt = row.finished_at;
  if (row.due_at !== null) record.dueAt = row.due_at;
  if (row.event_type !== null) record.eventType = row.event_type;
  if (row.result !== null) record.result = row.result;
  if (row.error !== null) record.error = JSON.parse(row.error) as ErrorRecord;
  if (row.sensitive) record.sensitive = true;
  return record;
}

/** A finished row read without its times and timer columns, which a replay does not need. */
function toFinishedRecord(row: FinishedRow): StepRecord {
  return toRecord({ ...row, attempt_started_at: null, finished_at: null, due_at: null, event_type: null, sensitive: null });
}
