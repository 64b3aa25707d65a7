/**
 * The engine's journal on the object's SQLite storage, plus the timers table that
 * the object's alarm is computed from. A step record that waits (retry backoff,
 * sleep, event timeout) owns the timer `step:<seq>`.
 */
import type { AttemptRecord, ErrorRecord, InboxEvent, JournalStore, StepKind, StepRecord, StepStatus } from "../engine/index.js";
import { createOnDemand, tableExists, type OnDemandTable } from "./schema.js";
import type { Sql } from "./sql.js";

type StepRow = {
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
};

type FinishedRow = Pick<StepRow, "seq" | "name" | "count" | "kind" | "status" | "attempts" | "started_at" | "result" | "error">;

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

  /** The tables made on first write (schema.ts) that this object is known to have. */
  private readonly present = new Set<OnDemandTable>();
  /** Set for the journal of an instance created a moment ago: there is nothing to read yet. */
  private known: "empty" | undefined;

  /** `empty`: the instance was created in this object's life and nothing was journaled since. */
  constructor(
    private readonly sql: Sql,
    { empty = false }: { empty?: boolean } = {},
  ) {
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
      this.sql.run("INSERT OR REPLACE INTO timers (key, due_at) VALUES (?, ?)", `step:${r.seq}`, r.dueAt);
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
    this.ensure("attempts");
    this.sql.run(
      "INSERT OR REPLACE INTO attempts (seq, attempt, started_at, finished_at, error) VALUES (?, ?, ?, ?, ?)",
      a.seq, a.attempt, a.startedAt, a.finishedAt, JSON.stringify(a.error),
    );
  }

  takeEvent(type: string, seq: number): InboxEvent | undefined {
    if (!this.has("inbox")) return undefined;
    const row = this.sql.one<{ position: number; id: string; type: string; payload: string | null; received_at: number }>(
      "SELECT position, id, type, payload, received_at FROM inbox WHERE type = ? AND consumed_by IS NULL ORDER BY position LIMIT 1",
      type,
    );
    if (!row) return undefined;
    this.sql.run("UPDATE inbox SET consumed_by = ? WHERE position = ?", seq, row.position);
    return { id: row.id, type: row.type, timestamp: row.received_at, ...(row.payload !== null && { payload: row.payload }) };
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

  hasEvent(id: string): boolean {
    if (!this.has("inbox")) return false;
    return this.sql.one("SELECT 1 AS found FROM inbox WHERE id = ?", id) !== undefined;
  }

  /** Whether a step call is waiting for an event of this type right now. */
  isWaitingFor(type: string): boolean {
    return this.sql.one("SELECT 1 AS found FROM steps WHERE status = 'waiting' AND event_type = ? LIMIT 1", type) !== undefined;
  }

  attempts(): AttemptRecord[] {
    if (!this.has("attempts")) return [];
    return this.sql.all<AttemptRow>("SELECT * FROM attempts ORDER BY seq, attempt").map((row) => ({
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
  rewind(seq: number): void {
    if (this.has("attempts")) this.sql.run("DELETE FROM attempts WHERE seq >= ?", seq);
    if (this.has("blobs")) this.sql.run("DELETE FROM blobs WHERE seq >= ?", seq);
    if (this.has("inbox")) this.sql.run("UPDATE inbox SET consumed_by = NULL WHERE consumed_by >= ?", seq);
  }

  private has(table: OnDemandTable): boolean {
    if (this.present.has(table)) return true;
    if (!tableExists(this.sql, table)) return false;
    this.present.add(table);
    return true;
  }

  private ensure(table: OnDemandTable): void {
    if (this.present.has(table)) return;
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
