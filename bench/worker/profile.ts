/**
 * Profiling only: pieces of Cairn's per-step path, each run in a fresh object by one
 * RPC, so that their costs can be told apart (`npm run bench -- --only profile`).
 *
 * - `fresh`: nothing: the cost of reaching a new object.
 * - `schema`: Cairn's schema in a fresh object, as a new instance gets it (one script).
 * - `schema-stepwise`: the same schema built migration by migration, as before it was squashed.
 * - `journal`: SqlJournal.save() twice per step (running, then completed), no engine.
 * - `engine-memory`: the engine (Execution, real clock) over a journal that keeps nothing.
 * - `engine-sql`: the engine over SqlJournal on this object's SQLite, as the instance
 *   runs it, minus the API, create(), the alarm and the status bookkeeping.
 * - `replay`: after `engine-sql` built the journal (untimed), a new Execution loads
 *   it and replays every step: what a resume after eviction costs, minus the restart.
 */
import { DurableObject } from "cloudflare:workers";
import { Execution, realClock, type JournalStore } from "../../src/engine/index.js";
import { SqlJournal } from "../../src/instance/journal.js";
import { migrate, migrateFrom } from "../../src/instance/schema.js";
import { Sql, SqlMeter } from "../../src/instance/sql.js";
import { benchWorkflow } from "./cairn.js";

export const PROFILE_VARIANTS = ["fresh", "schema", "schema-stepwise", "journal", "engine-memory", "engine-sql", "replay"] as const;
export type ProfileVariant = (typeof PROFILE_VARIANTS)[number];

class NullJournal implements JournalStore {
  load() {
    return [];
  }
  save() {}
  saveAttempt() {}
  takeEvent() {
    return undefined;
  }
  saveBlob() {}
  loadBlob() {
    return undefined;
  }
  dropBlobs() {}
  blobBytes() {
    return 0;
  }
}

export class Profile extends DurableObject {
  private readonly sql = new Sql(this.ctx.storage.sql);

  private execution(store: JournalStore, n: number): Execution {
    const input = { id: "profile", input: JSON.stringify({ body: "chain", steps: n }), createdAt: Date.now() };
    return new Execution(benchWorkflow, input, store, realClock);
  }

  async run(variant: ProfileVariant, n: number): Promise<{ rows: number }> {
    if (variant === "fresh") return { rows: 0 };
    if (variant === "schema-stepwise") {
      this.ctx.storage.transactionSync(() => migrateFrom(this.sql, 0));
      return { rows: 0 };
    }
    this.ctx.storage.transactionSync(() => migrate(this.sql));
    if (variant === "schema") return { rows: 0 };
    const journal = new SqlJournal(this.sql);
    if (variant === "journal") {
      const now = Date.now();
      for (let seq = 0; seq < n; seq++) {
        const record = { seq, name: "step", count: seq + 1, kind: "do" as const, status: "running" as const, attempts: 1, startedAt: now, attemptStartedAt: now };
        journal.save(record);
        journal.save({ ...record, status: "completed", result: JSON.stringify(seq), finishedAt: now });
      }
    } else {
      const outcome = await this.execution(variant === "engine-memory" ? new NullJournal() : journal, n).advance();
      if (outcome.kind !== "completed") throw new Error(`profile ${variant}: ${JSON.stringify(outcome)}`);
    }
    return this.rows();
  }

  /** The rows a new instance's schema costs (the cost rung): Cairn's migration, metered. */
  schemaCost(): { rowsRead: number; rowsWritten: number; storageBytes: number } {
    const meter = (this.sql.meter = new SqlMeter());
    this.ctx.storage.transactionSync(() => migrate(this.sql));
    this.sql.meter = undefined;
    return { rowsRead: meter.rowsRead, rowsWritten: meter.rowsWritten, storageBytes: this.ctx.storage.sql.databaseSize };
  }

  /**
   * The memory rung: Cairn's schema, then `count` distinct statements over its
   * tables. workerd keeps each statement an object ran compiled, until the object
   * is evicted (its statement cache).
   */
  statements(count: number): { statements: number } {
    this.ctx.storage.transactionSync(() => migrate(this.sql));
    for (let i = 0; i < count; i++) this.sql.all(`SELECT * FROM instance WHERE id = ? AND version > ${i}`, "none");
    return { statements: count };
  }

  /**
   * The memory rung: `count` rows of `bytes` characters in a table of their own, each
   * written as the journal writes a step (a row, then its result): the same bytes
   * as a Cairn instance's results, without Cairn.
   */
  writeRows(count: number, bytes: number): { rows: number } {
    this.sql.run("CREATE TABLE IF NOT EXISTS results (seq INTEGER PRIMARY KEY, result TEXT)");
    for (let seq = 0; seq < count; seq++) {
      this.sql.run("INSERT INTO results (seq) VALUES (?)", seq);
      this.sql.run("UPDATE results SET result = ? WHERE seq = ?", "x".repeat(bytes), seq);
    }
    return { rows: count };
  }

  /** The timed half of `replay`: a new execution over the journal `run("engine-sql")` left. */
  async replay(n: number): Promise<{ rows: number }> {
    const execution = this.execution(new SqlJournal(this.sql), n);
    const outcome = await execution.advance();
    if (outcome.kind !== "completed" || execution.replayLength !== n) throw new Error(`replay: ${JSON.stringify(outcome)} after ${execution.replayLength} records`);
    return this.rows();
  }

  private rows(): { rows: number } {
    return { rows: this.sql.one<{ rows: number }>("SELECT COUNT(*) AS rows FROM steps")!.rows };
  }
}
