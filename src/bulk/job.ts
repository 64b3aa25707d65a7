/**
 * A bulk action: one Durable Object per job. It first takes a snapshot of the
 * instances the filter matches (paging through the index, so the set is fixed and
 * instances started later are not touched), then works through them in batches,
 * one alarm per batch. Each instance has a row here: pending, done, skipped or
 * failed (with why), written in the same transaction as the job's counts. A crash
 * of the runtime at any point loses nothing: the alarm fires again, the snapshot
 * goes on from its cursor, and a batch cut off is sent again — safely, since each
 * action is one an instance applies once (act.ts).
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { indexDb, searchInstances, type Cursor, type SearchFilter } from "../index-db/queries.js";
import { Sql } from "../instance/sql.js";
import { MAX_BULK_INSTANCES } from "../lib/bounds.js";
import { act } from "./act.js";
import { filterView, type BulkAction, type BulkJobView, type BulkSpec, type BulkStatus, type BulkTarget, type CancelBulkResult, type CreateBulkResult, type ReasonCount, type TargetState } from "./types.js";

/** Index pages (of 100) one alarm reads while taking the snapshot. */
const SNAPSHOT_PAGES_PER_ALARM = 10;
const PAGE_SIZE = 100;
/** Instances one alarm works through, and how many of them at once. */
const BATCH_SIZE = 50;
const CONCURRENCY = 10;
/** An instance that cannot be reached is tried this many times, then counted failed. */
const MAX_TRIES = 5;
/** After a batch with an instance that could not be reached, the next one waits this long. */
const RETRY_DELAY_MS = 1_000;
/**
 * One alarm goes on with the next batch for this long, then hands over to the next
 * alarm. Short: requests to the job (its progress, a cancel) wait while an alarm runs.
 */
const ALARM_BUDGET_MS = 1_000;
/** While an alarm works, the next is set this far out: should the runtime die, the job goes on then. */
const WATCHDOG_MS = 30_000;

type JobRow = {
  id: string;
  action: string;
  filter: string;
  status: BulkStatus;
  cursor: string | null;
  matched: number;
  done: number;
  skipped: number;
  failed: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  cancelled_at: number | null;
};

type TargetRow = { seq: number; id: string; state: TargetState; reason: string | null; tries: number };

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS job (
     id TEXT PRIMARY KEY, action TEXT NOT NULL, filter TEXT NOT NULL, status TEXT NOT NULL, cursor TEXT,
     matched INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
     failed INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     finished_at INTEGER, cancelled_at INTEGER)`,
  `CREATE TABLE IF NOT EXISTS targets (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, state TEXT NOT NULL DEFAULT 'pending',
     reason TEXT, tries INTEGER NOT NULL DEFAULT 0, at INTEGER)`,
  `CREATE INDEX IF NOT EXISTS targets_state ON targets (state, seq)`,
].join(";\n");

const iso = (ms: number) => new Date(ms).toISOString();

export class BulkJob extends DurableObject<Env> {
  private readonly sql: Sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage.sql);
  }

  // ---- RPC ---------------------------------------------------------------------

  /** Creates the job and starts its snapshot; the same id again answers the job as it stands. */
  async create(spec: BulkSpec): Promise<CreateBulkResult> {
    const existing = this.row();
    if (existing) return { created: false, job: this.view(existing) };
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.run(SCHEMA);
      this.sql.run(
        "INSERT INTO job (id, action, filter, status, created_at, updated_at) VALUES (?, ?, ?, 'snapshotting', ?, ?)",
        spec.id, JSON.stringify(spec.action), JSON.stringify(spec.filter), now, now,
      );
    });
    await this.ctx.storage.setAlarm(now);
    return { created: true, job: this.view(this.row()!) };
  }

  async read(): Promise<BulkJobView | null> {
    const row = this.row();
    return row ? this.view(row) : null;
  }

  /** The instances of the job in snapshot order, after `afterSeq`, optionally in one state. */
  async targets(query: { after?: number; limit: number; state?: TargetState }): Promise<{ targets: (BulkTarget & { seq: number })[]; more: boolean } | null> {
    if (!this.row()) return null;
    const after = query.after ?? 0;
    const rows = query.state
      ? this.sql.all<TargetRow>("SELECT seq, id, state, reason, tries FROM targets WHERE state = ? AND seq > ? ORDER BY seq LIMIT ?", query.state, after, query.limit + 1)
      : this.sql.all<TargetRow>("SELECT seq, id, state, reason, tries FROM targets WHERE seq > ? ORDER BY seq LIMIT ?", after, query.limit + 1);
    const targets = rows.slice(0, query.limit).map((r) => ({ seq: r.seq, id: r.id, state: r.state, tries: r.tries, ...(r.reason !== null && { reason: r.reason }) }));
    return { targets, more: rows.length > query.limit };
  }

  /** Stops the job: actions already sent finish and are recorded; no more are sent. */
  async cancel(): Promise<CancelBulkResult> {
    const row = this.row();
    if (!row) return { ok: false, code: "BULK_NOT_FOUND" };
    if (row.status === "completed" || row.status === "cancelled") return { ok: false, code: "BULK_FINISHED", status: row.status };
    const now = Date.now();
    this.sql.run("UPDATE job SET status = 'cancelled', cancelled_at = ?, finished_at = ?, updated_at = ?", now, now, now);
    await this.ctx.storage.deleteAlarm();
    return { ok: true, job: this.view(this.row()!) };
  }

  // ---- the alarm: one step of the job at a time ----------------------------------

  override async alarm(): Promise<void> {
    const row = this.row();
    if (!row || row.status === "completed" || row.status === "cancelled") return;
    await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
    try {
      // Batch after batch while there is time: each is written down before the next, so a crash loses none.
      const until = Date.now() + ALARM_BUDGET_MS;
      let more: number | false = 0;
      for (let current = row; more === 0 && Date.now() < until; current = this.row()!) {
        more = current.status === "snapshotting" ? (await this.snapshot(current)) && 0 : current.status === "running" ? await this.work(current) : false;
      }
      if (more !== false) await this.ctx.storage.setAlarm(Date.now() + more);
      else await this.ctx.storage.deleteAlarm();
    } catch (error) {
      // The watchdog alarm stands: the job goes on from what is written.
      console.error(`bulk job ${row.id}: a step failed, going on in ${WATCHDOG_MS} ms:`, error);
    }
  }

  /** Reads the next pages of the index into the snapshot; true while there is more to do. */
  private async snapshot(row: JobRow): Promise<boolean> {
    const db = indexDb(this.env.DB);
    const filter = JSON.parse(row.filter) as SearchFilter;
    let cursor = row.cursor === null ? undefined : (JSON.parse(row.cursor) as Cursor);
    for (let page = 0; page < SNAPSHOT_PAGES_PER_ALARM; page++) {
      const found = await searchInstances(db, { ...filter, limit: PAGE_SIZE, ...(cursor && { after: cursor }) });
      const room = MAX_BULK_INSTANCES - this.row()!.matched;
      const ids = found.instances.slice(0, Math.max(0, room)).map((i) => i.id);
      cursor = found.next;
      const last = !cursor || ids.length < found.instances.length;
      // The page and where the snapshot stands, in one transaction: a crash repeats at most this page (its ids are kept once).
      this.ctx.storage.transactionSync(() => {
        for (const id of ids) this.sql.run("INSERT OR IGNORE INTO targets (id) VALUES (?)", id);
        const matched = this.sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM targets")!.n;
        this.sql.run(
          "UPDATE job SET cursor = ?, matched = ?, status = ?, updated_at = ? WHERE status = 'snapshotting'",
          cursor ? JSON.stringify(cursor) : null, matched, last ? "running" : "snapshotting", Date.now(),
        );
      });
      if (last || this.row()!.status !== "snapshotting") return this.row()!.status === "running";
    }
    return true;
  }

  /**
   * Sends the action to the next batch of pending instances. Answers when to go on
   * (ms from now: later when an instance could not be reached), or false once done.
   */
  private async work(row: JobRow): Promise<number | false> {
    const batch = this.sql.all<TargetRow>("SELECT seq, id, state, reason, tries FROM targets WHERE state = 'pending' ORDER BY seq LIMIT ?", BATCH_SIZE);
    if (batch.length === 0) {
      const now = Date.now();
      this.sql.run("UPDATE job SET status = 'completed', finished_at = ?, updated_at = ? WHERE status = 'running'", now, now);
      return false;
    }
    const action = JSON.parse(row.action) as BulkAction;
    // Counted before sending: after a crash, a try that may have landed is known as such.
    this.ctx.storage.transactionSync(() => {
      for (const target of batch) this.sql.run("UPDATE targets SET tries = tries + 1 WHERE seq = ?", target.seq);
    });
    let next = 0;
    let retrying = false;
    const worker = async () => {
      while (next < batch.length) {
        const target = batch[next++]!;
        // A cancel stops what has not been sent yet.
        if (this.row()!.status !== "running") return;
        const outcome = await act(this.env, row.id, target.id, action, target.tries);
        if (outcome.state === "retry" && target.tries + 1 < MAX_TRIES) {
          console.warn(`bulk job ${row.id}: ${target.id} will be tried again: ${outcome.reason}`);
          retrying = true;
          continue;
        }
        this.record(target.seq, outcome.state === "retry" ? "failed" : outcome.state, outcome.reason);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (this.row()!.status !== "running") return false;
    return retrying ? RETRY_DELAY_MS : 0;
  }

  /** One instance's outcome and the job's counts, in one transaction; an instance already recorded is left alone. */
  private record(seq: number, state: Exclude<TargetState, "pending">, reason: string | undefined): void {
    this.ctx.storage.transactionSync(() => {
      const now = Date.now();
      if (this.sql.run("UPDATE targets SET state = ?, reason = ?, at = ? WHERE seq = ? AND state = 'pending'", state, reason ?? null, now, seq) === 0) return;
      this.sql.run(`UPDATE job SET ${state} = ${state} + 1, updated_at = ?`, now);
    });
  }

  // ---- reading -----------------------------------------------------------------------

  private row(): JobRow | undefined {
    const exists = this.sql.one("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'job'");
    return exists ? this.sql.one<JobRow>("SELECT * FROM job LIMIT 1") : undefined;
  }

  private reasons(state: "skipped" | "failed"): ReasonCount[] {
    return this.sql
      .all<{ reason: string | null; count: number }>("SELECT reason, COUNT(*) AS count FROM targets WHERE state = ? GROUP BY reason ORDER BY count DESC LIMIT 20", state)
      .map((r) => ({ reason: r.reason ?? "", count: r.count }));
  }

  private view(row: JobRow): BulkJobView {
    return {
      id: row.id,
      status: row.status,
      action: JSON.parse(row.action) as BulkAction,
      filter: filterView(JSON.parse(row.filter) as SearchFilter),
      matched: row.matched,
      done: row.done,
      skipped: row.skipped,
      failed: row.failed,
      pending: row.matched - row.done - row.skipped - row.failed,
      skippedReasons: row.skipped > 0 ? this.reasons("skipped") : [],
      failedReasons: row.failed > 0 ? this.reasons("failed") : [],
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      ...(row.finished_at !== null && { finishedAt: iso(row.finished_at) }),
      ...(row.cancelled_at !== null && { cancelledAt: iso(row.cancelled_at) }),
    };
  }
}
