/**
 * Reads and writes of the D1 index, all through drizzle. Writes come only from an
 * instance's Durable Object (its outbox); reads serve the list, search and stats API.
 */
import { and, count, desc, eq, exists, getTableColumns, gte, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { Status, WaitingFor } from "../engine/status.js";
import { instanceTags, instances, revokedSessions, schedules, type InstanceRow, type NewInstanceRow } from "./schema.js";

export type IndexDb = ReturnType<typeof indexDb>;

export function indexDb(d1: D1Database) {
  return drizzle(d1, { schema: { instances, instanceTags, schedules, revokedSessions } });
}

/**
 * The guard of every write of an instance's row: it replaces the stored row only
 * when it is newer, that is of a later life of the id (a later `created_at`: the
 * id was deleted and used again) or of the same life at a higher `version`.
 */
export const NEWER_THAN_STORED = sql.raw(
  "(excluded.created_at > instances.created_at OR (excluded.created_at = instances.created_at AND excluded.version > instances.version))",
);

/**
 * Writes an instance's row. A row already at this version or later is left alone,
 * so a late or repeated push never moves a row backwards. Tags are written once.
 */
export async function pushInstance(db: IndexDb, row: NewInstanceRow & { tags: string }): Promise<void> {
  const tags = Object.entries(JSON.parse(row.tags) as Record<string, string>);
  const upsert = db
    .insert(instances)
    .values(row)
    .onConflictDoUpdate({
      target: instances.id,
      set: {
        workflow: sql`excluded.workflow`,
        tags: sql`excluded.tags`,
        parentId: sql`excluded.parent_id`,
        forkedFrom: sql`excluded.forked_from`,
        status: sql`excluded.status`,
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
  if (tags.length === 0) {
    await upsert;
    return;
  }
  const tagRows = tags.map(([key, value]) => ({ instanceId: row.id, key, value, createdAt: row.createdAt }));
  await db.batch([upsert, db.insert(instanceTags).values(tagRows).onConflictDoNothing()]);
}

/** Removes an instance's row and tags. */
export async function removeInstance(db: IndexDb, id: string): Promise<void> {
  await db.batch([db.delete(instanceTags).where(eq(instanceTags.instanceId, id)), db.delete(instances).where(eq(instances.id, id))]);
}

export interface SearchFilters {
  workflow?: string;
  statuses: Status[];
  /** Every pair must match. */
  tags: [key: string, value: string][];
  parent?: string;
  /** Epoch ms, inclusive. */
  createdAfter?: number;
  /** Epoch ms, exclusive. */
  createdBefore?: number;
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
  error?: { code: string; message: string };
  waitingFor?: WaitingFor;
  parentId?: string;
  forkedFrom?: string;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
}

/** Newest first, by (createdAt, id): pages neither repeat nor skip rows while new instances arrive. */
export async function searchInstances(db: IndexDb, f: SearchFilters): Promise<{ instances: InstanceListItem[]; next?: Cursor }> {
  const where: SQL[] = [];
  if (f.workflow !== undefined) where.push(eq(instances.workflow, f.workflow));
  if (f.statuses.length === 1) where.push(eq(instances.status, f.statuses[0]!));
  else if (f.statuses.length > 1) where.push(inArray(instances.status, f.statuses));
  if (f.parent !== undefined) where.push(eq(instances.parentId, f.parent));
  if (f.createdAfter !== undefined) where.push(gte(instances.createdAt, f.createdAfter));
  if (f.createdBefore !== undefined) where.push(lt(instances.createdAt, f.createdBefore));
  // With a tag filter, the first tag's index drives the query in listing order (a rare tag
  // would otherwise mean scanning instances until enough match); other tags are checked per row.
  const [driver, ...otherTags] = f.tags;
  const order = driver ? { createdAt: instanceTags.createdAt, id: instanceTags.instanceId } : { createdAt: instances.createdAt, id: instances.id };
  if (driver) where.push(eq(instanceTags.key, driver[0]), eq(instanceTags.value, driver[1]));
  for (const [key, value] of otherTags) {
    where.push(
      exists(
        db
          .select({ one: sql`1` })
          .from(instanceTags)
          .where(and(eq(instanceTags.instanceId, instances.id), eq(instanceTags.key, key), eq(instanceTags.value, value))),
      ),
    );
  }
  if (f.after) {
    where.push(or(lt(order.createdAt, f.after.createdAt), and(eq(order.createdAt, f.after.createdAt), lt(order.id, f.after.id)))!);
  }
  const query = driver
    ? db.select(getTableColumns(instances)).from(instanceTags).innerJoin(instances, eq(instances.id, instanceTags.instanceId))
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
