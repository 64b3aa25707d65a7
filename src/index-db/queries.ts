/**
 * Reads and writes of the D1 index, all through drizzle. Writes come only from an
 * instance's Durable Object (its outbox); reads serve the list, search and stats API.
 */
import { and, count, desc, eq, exists, getTableColumns, gte, inArray, lt, or, sql, type Placeholder, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { Status, WaitingFor } from "../engine/status.js";
import { instanceAttributes, instanceTags, instances, revokedSessions, schedules, type InstanceRow, type NewInstanceRow } from "./schema.js";

export type IndexDb = ReturnType<typeof indexDb>;

export function indexDb(d1: D1Database) {
  return drizzle(d1, { schema: { instances, instanceTags, instanceAttributes, schedules, revokedSessions } });
}

/**
 * The guard of every write of an instance's row: it replaces the stored row only
 * when it is newer, that is of a later life of the id (a later `created_at`: the
 * id was deleted and used again) or of the same life at a higher `version`.
 */
export const NEWER_THAN_STORED = sql.raw(
  "(excluded.created_at > instances.created_at OR (excluded.created_at = instances.created_at AND excluded.version > instances.version))",
);

type InstanceColumn = keyof NewInstanceRow;
const INSTANCE_COLUMNS = Object.keys(getTableColumns(instances)) as InstanceColumn[];

/** The instance upsert, guarded by NEWER_THAN_STORED, with a placeholder for each column. */
function instanceUpsert(db: IndexDb) {
  const placeholders = Object.fromEntries(INSTANCE_COLUMNS.map((column) => [column, sql.placeholder(column)]));
  return db
    .insert(instances)
    .values(placeholders as unknown as NewInstanceRow)
    .onConflictDoUpdate({
      target: instances.id,
      set: {
        workflow: sql`excluded.workflow`,
        tags: sql`excluded.tags`,
        parentId: sql`excluded.parent_id`,
        forkedFrom: sql`excluded.forked_from`,
        status: sql`excluded.status`,
        attributes: sql`excluded.attributes`,
        errorCode: sql`excluded.error_code`,
        errorMessage: sql`excluded.error_message`,
        waitingFor: sql`excluded.waiting_for`,
        updatedAt: sql`excluded.updated_at`,
        completedAt: sql`excluded.completed_at`,
        createdAt: sql`excluded.created_at`,
        version: sql`excluded.version`,
      },
      setWhere: NEWER_THAN_STORED,
    });
}

/**
 * The upsert's SQL text and the column each parameter takes, built by drizzle once
 * per isolate: every status change of every instance is one push, and building the
 * statement anew each time was a fifth of a push's CPU in profiles.
 */
let preparedUpsert: { sql: string; columns: InstanceColumn[] } | undefined;

function upsertStatement(db: IndexDb, row: NewInstanceRow): D1PreparedStatement {
  if (!preparedUpsert) {
    const built = instanceUpsert(db).toSQL();
    // Each parameter is a Param wrapping its Placeholder (text and integer columns need no encoding).
    const placeholderOf = (param: unknown) => ((param as { value?: unknown }).value ?? param) as Placeholder<InstanceColumn>;
    preparedUpsert = { sql: built.sql, columns: built.params.map((param) => placeholderOf(param).name) };
  }
  return db.$client.prepare(preparedUpsert.sql).bind(...preparedUpsert.columns.map((column) => row[column] ?? null));
}

/** A drizzle query as a D1 statement, to go in one `batch` with the prepared upsert. */
function statement(db: IndexDb, query: { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
  const { sql: text, params } = query.toSQL();
  return db.$client.prepare(text).bind(...params);
}

/**
 * Writes an instance's row. A row already at this version or later is left alone,
 * so a late or repeated push never moves a row backwards. Tags are written once;
 * attributes whenever they are newer than the ones stored.
 */
export async function pushInstance(db: IndexDb, row: NewInstanceRow & { tags: string; attributes?: string }): Promise<void> {
  const tags = Object.entries(JSON.parse(row.tags) as Record<string, string>);
  const attributes = Object.entries(JSON.parse(row.attributes ?? "{}") as Record<string, string>);
  const upsert = upsertStatement(db, { ...row, attributes: row.attributes ?? "{}" });
  const writes: D1PreparedStatement[] = [];
  if (tags.length > 0) {
    const tagRows = tags.map(([key, value]) => ({ instanceId: row.id, key, value, createdAt: row.createdAt }));
    writes.push(statement(db, db.insert(instanceTags).values(tagRows).onConflictDoNothing()));
  }
  if (attributes.length > 0) {
    const attributeRows = attributes.map(([key, value]) => ({ instanceId: row.id, key, value, createdAt: row.createdAt, version: row.version! }));
    writes.push(
      statement(
        db,
        db
          .insert(instanceAttributes)
          .values(attributeRows)
          .onConflictDoUpdate({
            target: [instanceAttributes.instanceId, instanceAttributes.key],
            set: { value: sql`excluded.value`, version: sql`excluded.version` },
            setWhere: sql`excluded.version > ${instanceAttributes.version}`,
          }),
      ),
    );
  }
  if (writes.length === 0) {
    await upsert.run();
    return;
  }
  await db.$client.batch([upsert, ...writes]);
}

/** Removes an instance's row, tags and attributes. */
export async function removeInstance(db: IndexDb, id: string): Promise<void> {
  await db.batch([
    db.delete(instanceTags).where(eq(instanceTags.instanceId, id)),
    db.delete(instanceAttributes).where(eq(instanceAttributes.instanceId, id)),
    db.delete(instances).where(eq(instances.id, id)),
  ]);
}

/** What a search matches: the filters of `GET /api/instances` (and of a bulk action). */
export interface SearchFilter {
  workflow?: string;
  statuses: Status[];
  /** Every pair must match. */
  tags: [key: string, value: string][];
  /** Search attributes: every pair must match. */
  attributes?: [key: string, value: string][];
  parent?: string;
  /** Epoch ms, inclusive. */
  createdAfter?: number;
  /** Epoch ms, exclusive. */
  createdBefore?: number;
}

export interface SearchFilters extends SearchFilter {
  limit: number;
  after?: Cursor;
}

/** Where the previous page ended: the (createdAt, id) of its last row. */
export interface Cursor {
  createdAt: number;
  id: string;
}

export interface InstanceListItem {
  id: string;
  workflow: string;
  status: Status;
  tags: Record<string, string>;
  attributes?: Record<string, string>;
  error?: { code: string; message: string };
  waitingFor?: WaitingFor;
  parentId?: string;
  forkedFrom?: string;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
}

/**
 * The conditions of a filter, and the table whose (createdAt, id) the listing walks.
 * With a tag or attribute filter, the first one's index drives the query in listing
 * order (a rare value would otherwise mean scanning instances until enough match);
 * the others are checked per row.
 */
function filterQuery(db: IndexDb, f: SearchFilter) {
  const where: SQL[] = [];
  if (f.workflow !== undefined) where.push(eq(instances.workflow, f.workflow));
  if (f.statuses.length === 1) where.push(eq(instances.status, f.statuses[0]!));
  else if (f.statuses.length > 1) where.push(inArray(instances.status, f.statuses));
  if (f.parent !== undefined) where.push(eq(instances.parentId, f.parent));
  if (f.createdAfter !== undefined) where.push(gte(instances.createdAt, f.createdAfter));
  if (f.createdBefore !== undefined) where.push(lt(instances.createdAt, f.createdBefore));
  const pairs = [
    ...f.tags.map(([key, value]) => ({ table: instanceTags, key, value })),
    ...(f.attributes ?? []).map(([key, value]) => ({ table: instanceAttributes, key, value })),
  ];
  const [driver, ...others] = pairs;
  if (driver) where.push(eq(driver.table.key, driver.key), eq(driver.table.value, driver.value));
  for (const { table, key, value } of others) {
    where.push(
      exists(
        db
          .select({ one: sql`1` })
          .from(table)
          .where(and(eq(table.instanceId, instances.id), eq(table.key, key), eq(table.value, value))),
      ),
    );
  }
  const order = driver ? { createdAt: driver.table.createdAt, id: driver.table.instanceId } : { createdAt: instances.createdAt, id: instances.id };
  return { where, order, driver: driver?.table };
}

/** Newest first, by (createdAt, id): pages neither repeat nor skip rows while new instances arrive. */
export async function searchInstances(db: IndexDb, f: SearchFilters): Promise<{ instances: InstanceListItem[]; next?: Cursor }> {
  const { where, order, driver } = filterQuery(db, f);
  if (f.after) {
    where.push(or(lt(order.createdAt, f.after.createdAt), and(eq(order.createdAt, f.after.createdAt), lt(order.id, f.after.id)))!);
  }
  const query = driver
    ? db.select(getTableColumns(instances)).from(driver).innerJoin(instances, eq(instances.id, driver.instanceId))
    : db.select().from(instances);
  const rows = await query
    .where(and(...where))
    .orderBy(desc(order.createdAt), desc(order.id))
    .limit(f.limit + 1);
  const page = rows.slice(0, f.limit);
  const last = page.at(-1);
  return {
    instances: page.map(toListItem),
    ...(rows.length > f.limit && last && { next: { createdAt: last.createdAt, id: last.id } }),
  };
}

/** How many instances the filter matches now. */
export async function countInstances(db: IndexDb, f: SearchFilter): Promise<number> {
  const { where, driver } = filterQuery(db, f);
  const query = driver
    ? db.select({ count: count() }).from(driver).innerJoin(instances, eq(instances.id, driver.instanceId))
    : db.select({ count: count() }).from(instances);
  const [row] = await query.where(and(...where));
  return row?.count ?? 0;
}

/** Counts by workflow and status. */
export async function instanceStats(db: IndexDb): Promise<{ workflow: string; status: Status; count: number }[]> {
  return db
    .select({ workflow: instances.workflow, status: instances.status, count: count() })
    .from(instances)
    .groupBy(instances.workflow, instances.status)
    .orderBy(instances.workflow, instances.status);
}

export async function findIndexRow(db: IndexDb, id: string): Promise<InstanceRow | undefined> {
  return db.select().from(instances).where(eq(instances.id, id)).get();
}

const iso = (ms: number) => new Date(ms).toISOString();

function toListItem(row: InstanceRow): InstanceListItem {
  const item: InstanceListItem = {
    id: row.id,
    workflow: row.workflow,
    status: row.status,
    tags: JSON.parse(row.tags) as Record<string, string>,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
  if (row.attributes !== "{}") item.attributes = JSON.parse(row.attributes) as Record<string, string>;
  if (row.errorCode !== null) item.error = { code: row.errorCode, message: row.errorMessage ?? "" };
  if (row.waitingFor !== null) item.waitingFor = JSON.parse(row.waitingFor) as WaitingFor;
  if (row.parentId !== null) item.parentId = row.parentId;
  if (row.forkedFrom !== null) item.forkedFrom = row.forkedFrom;
  if (row.completedAt !== null) item.completedAt = iso(row.completedAt);
  return item;
}

/**
 * Open instances whose workflow is not among `registered`, and that do not show it
 * yet (their `waitingFor` is not a deployment's): at most `limit`, for the sweep that
 * tells them (src/flow/deployment.ts). One bound value whatever the registry's size.
 */
export async function strandedInstances(db: IndexDb, registered: readonly string[], limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: instances.id })
    .from(instances)
    .where(
      and(
        inArray(instances.status, ["queued", "running", "waiting"]),
        sql`${instances.workflow} NOT IN (SELECT value FROM json_each(${JSON.stringify(registered)}))`,
        or(sql`${instances.waitingFor} IS NULL`, sql`${instances.waitingFor} NOT LIKE '%WORKFLOW_NOT_REGISTERED%'`),
      ),
    )
    .limit(limit);
  return rows.map((row) => row.id);
}
