/**
 * The instance's SQLite schema, versioned. Each entry of MIGRATIONS moves the
 * schema one version up; an object created under an older version applies the ones
 * it has not seen, in order, in one transaction. Never edit a released entry: append
 * a new one, and bring CURRENT up to date with it.
 *
 * A new object skips the steps and runs CURRENT, the schema the migrations end at,
 * written out as one script: every ALTER TABLE makes SQLite rewrite and re-read its
 * schema, and that was half of what creating an instance cost. Tables that most
 * instances never use, `attempts` (failed attempts), `inbox` (events), `blobs` (the
 * bytes of stream results) and `requests` (operators' requests applied once), are
 * left out of CURRENT and created the first time one is written
 * (ON_DEMAND); a missing one reads as empty. A test checks that CURRENT plus
 * ON_DEMAND and the migrations build the same tables, columns and indexes.
 *
 * A migration that changes a table made on demand must also change ON_DEMAND, and
 * work on objects that do not have the table yet.
 */
import type { Sql } from "./sql.js";

const MIGRATIONS: readonly string[][] = [
  [
    `CREATE TABLE schema_version (version INTEGER NOT NULL)`,
    `INSERT INTO schema_version (version) VALUES (0)`,
    // One row: what the instance is and where it stands.
    `CREATE TABLE instance (
       id TEXT PRIMARY KEY,
       workflow TEXT NOT NULL,
       status TEXT NOT NULL,
       input TEXT,
       output TEXT,
       error TEXT,
       waiting_for TEXT,
       tags TEXT NOT NULL DEFAULT '{}',
       created_at INTEGER NOT NULL,
       updated_at INTEGER NOT NULL,
       completed_at INTEGER,
       version INTEGER NOT NULL DEFAULT 1
     )`,
    // The journal: one row per step call, keyed by its position in call order.
    `CREATE TABLE steps (
       seq INTEGER PRIMARY KEY,
       name TEXT NOT NULL,
       count INTEGER NOT NULL,
       kind TEXT NOT NULL,
       status TEXT NOT NULL,
       attempts INTEGER NOT NULL,
       started_at INTEGER NOT NULL,
       attempt_started_at INTEGER,
       finished_at INTEGER,
       due_at INTEGER,
       event_type TEXT,
       result TEXT,
       error TEXT
     )`,
    // Failed attempts of step.do, for the timeline; the last attempt lives in its step row.
    `CREATE TABLE attempts (
       seq INTEGER NOT NULL,
       attempt INTEGER NOT NULL,
       started_at INTEGER NOT NULL,
       finished_at INTEGER NOT NULL,
       error TEXT NOT NULL,
       PRIMARY KEY (seq, attempt)
     )`,
    // Every timer of the instance; the object's one alarm is set to the earliest.
    `CREATE TABLE timers (key TEXT PRIMARY KEY, due_at INTEGER NOT NULL)`,
    `CREATE INDEX timers_due ON timers (due_at)`,
    // Events in arrival order; consumed_by is the step (seq) that received the event.
    `CREATE TABLE inbox (
       position INTEGER PRIMARY KEY AUTOINCREMENT,
       id TEXT NOT NULL UNIQUE,
       type TEXT NOT NULL,
       payload TEXT,
       received_at INTEGER NOT NULL,
       consumed_by INTEGER
     )`,
    `CREATE INDEX inbox_pending ON inbox (type, position) WHERE consumed_by IS NULL`,
  ],
  [
    // The parent instance, for child workflows.
    `ALTER TABLE instance ADD COLUMN parent_id TEXT`,
    // Index rows waiting to be pushed to D1, by instance version.
    `CREATE TABLE outbox (version INTEGER PRIMARY KEY, row TEXT NOT NULL)`,
  ],
  [
    // Origin of the start request: the base of webhook URLs when PUBLIC_URL is not set.
    `ALTER TABLE instance ADD COLUMN origin TEXT`,
  ],
  [
    // Set while the instance is being stopped in a particular way ('rollback': terminate with rollbacks).
    `ALTER TABLE instance ADD COLUMN stopping TEXT`,
  ],
  [
    // The concurrency gate whose slot the instance holds, until it gives it back.
    `ALTER TABLE instance ADD COLUMN slot TEXT`,
  ],
  [
    // For a fork: the instance and step it was copied from (JSON { id, step? }).
    `ALTER TABLE instance ADD COLUMN forked_from TEXT`,
    // For a step whose result an operator gave: who and when (JSON { by, at }).
    `ALTER TABLE steps ADD COLUMN resolved_by TEXT`,
  ],
  [
    // 1 for a step configured sensitive: "output": views leave its result out.
    `ALTER TABLE steps ADD COLUMN sensitive INTEGER`,
  ],
  [
    // A value made when the instance is created: its webhook tokens carry it, so an
    // instance deleted and created again under the same id refuses the old URLs.
    `ALTER TABLE instance ADD COLUMN generation TEXT`,
  ],
  [
    // The bytes of a step's ReadableStream result, in parts of at most 1 MiB (src/engine/streams.ts).
    `CREATE TABLE blobs (
       seq INTEGER NOT NULL,
       part INTEGER NOT NULL,
       bytes BLOB NOT NULL,
       PRIMARY KEY (seq, part)
     )`,
  ],
  [
    // Search attributes (JSON object of strings): declared from the input, or set by the workflow.
    `ALTER TABLE instance ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}'`,
    // Operators' requests already applied (a bulk job's), so a repeat after a crash is not applied twice.
    `CREATE TABLE requests (id TEXT PRIMARY KEY, at INTEGER NOT NULL)`,
  ],
  [
    // Timers keyed by their key alone (no rowid, no due_at index: a handful of rows, read by
    // MIN): each timer write touches one b-tree instead of three, and a new object has two fewer.
    `CREATE TABLE timers_by_key (key TEXT PRIMARY KEY, due_at INTEGER NOT NULL) WITHOUT ROWID`,
    `INSERT INTO timers_by_key (key, due_at) SELECT key, due_at FROM timers`,
    `DROP TABLE timers`,
    `ALTER TABLE timers_by_key RENAME TO timers`,
  ],
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The schema at SCHEMA_VERSION, for a new object: what MIGRATIONS build, in one go. */
const CURRENT = [
  `CREATE TABLE schema_version (version INTEGER NOT NULL)`,
  `INSERT INTO schema_version (version) VALUES (${SCHEMA_VERSION})`,
  `CREATE TABLE instance (
     id TEXT PRIMARY KEY,
     workflow TEXT NOT NULL,
     status TEXT NOT NULL,
     input TEXT,
     output TEXT,
     error TEXT,
     waiting_for TEXT,
     tags TEXT NOT NULL DEFAULT '{}',
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     completed_at INTEGER,
     version INTEGER NOT NULL DEFAULT 1,
     parent_id TEXT,
     origin TEXT,
     stopping TEXT,
     slot TEXT,
     forked_from TEXT,
     generation TEXT,
     attributes TEXT NOT NULL DEFAULT '{}'
   )`,
  `CREATE TABLE steps (
     seq INTEGER PRIMARY KEY,
     name TEXT NOT NULL,
     count INTEGER NOT NULL,
     kind TEXT NOT NULL,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     started_at INTEGER NOT NULL,
     attempt_started_at INTEGER,
     finished_at INTEGER,
     due_at INTEGER,
     event_type TEXT,
     result TEXT,
     error TEXT,
     resolved_by TEXT,
     sensitive INTEGER
   )`,
  `CREATE TABLE timers (key TEXT PRIMARY KEY, due_at INTEGER NOT NULL) WITHOUT ROWID`,
  `CREATE TABLE outbox (version INTEGER PRIMARY KEY, row TEXT NOT NULL)`,
].join(";\n");

/** The tables created on first write (see the top of this file), as they stand at SCHEMA_VERSION. */
const ON_DEMAND = {
  attempts: `CREATE TABLE IF NOT EXISTS attempts (
     seq INTEGER NOT NULL,
     attempt INTEGER NOT NULL,
     started_at INTEGER NOT NULL,
     finished_at INTEGER NOT NULL,
     error TEXT NOT NULL,
     PRIMARY KEY (seq, attempt)
   )`,
  inbox: [
    `CREATE TABLE IF NOT EXISTS inbox (
       position INTEGER PRIMARY KEY AUTOINCREMENT,
       id TEXT NOT NULL UNIQUE,
       type TEXT NOT NULL,
       payload TEXT,
       received_at INTEGER NOT NULL,
       consumed_by INTEGER
     )`,
    `CREATE INDEX IF NOT EXISTS inbox_pending ON inbox (type, position) WHERE consumed_by IS NULL`,
  ].join(";\n"),
  blobs: `CREATE TABLE IF NOT EXISTS blobs (
     seq INTEGER NOT NULL,
     part INTEGER NOT NULL,
     bytes BLOB NOT NULL,
     PRIMARY KEY (seq, part)
   )`,
  requests: `CREATE TABLE IF NOT EXISTS requests (id TEXT PRIMARY KEY, at INTEGER NOT NULL)`,
} as const;

export type OnDemandTable = keyof typeof ON_DEMAND;
export const ON_DEMAND_TABLES = Object.keys(ON_DEMAND) as OnDemandTable[];

export function tableExists(sql: Sql, table: OnDemandTable | "schema_version"): boolean {
  return sql.one("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?", table) !== undefined;
}

/** Creates the table if this object does not have it yet. */
export function createOnDemand(sql: Sql, table: OnDemandTable): void {
  sql.run(ON_DEMAND[table]);
}

/** True once this object was created (it has a schema); the check itself creates no storage. */
function hasSchema(sql: Sql): boolean {
  return tableExists(sql, "schema_version");
}

/**
 * Brings the schema to SCHEMA_VERSION: CURRENT for a new object, the missing steps
 * for an older one (`version`: the object's, if the caller knows it).
 * Call inside a storage transaction.
 */
export function migrate(sql: Sql, version = schemaVersion(sql)): void {
  if (version === 0) sql.run(CURRENT);
  else migrateFrom(sql, version);
}

/** The version this object's schema is at; 0 when it has none (a version is never stored as 0 past its transaction). */
export function schemaVersion(sql: Sql): number {
  return hasSchema(sql) ? Number(sql.one<{ version: number }>("SELECT version FROM schema_version")?.version ?? 0) : 0;
}

/**
 * Applies the migrations from `version` up to `target`, one by one, as the objects
 * created under each version did. Call inside a storage transaction.
 */
export function migrateFrom(sql: Sql, version: number, target = MIGRATIONS.length): void {
  for (; version < target; version++) {
    // One exec per migration: SQLite runs the statements in turn, saving a round trip each.
    sql.run(MIGRATIONS[version]!.join(";\n"));
    sql.run("UPDATE schema_version SET version = ?", version + 1);
  }
}
