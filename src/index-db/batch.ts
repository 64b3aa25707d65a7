/**
 * Many instances' rows in one D1 round trip: the queue consumer's write. D1 runs one
 * query at a time, and a query's fixed cost dwarfs a row's, so a hundred rows in
 * one statement go about as fast as one row in its own. The rows travel as one
 * bound JSON parameter (D1 allows 100 bound parameters a query, a row has 13
 * columns) and SQLite's `json_each` unpacks them.
 *
 * The same guard as a single push: a row only replaces an older one of the same
 * instance (see `newer` in queries.ts), so batches may land in any order, twice, or
 * interleaved with direct pushes, and the index still ends at each instance's newest row.
 */
import { getTableColumns, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { NEWER_THAN_STORED, type IndexDb } from "./queries.js";
import { instanceAttributes, instances, instanceTags, type NewInstanceRow } from "./schema.js";

export type PushedRow = NewInstanceRow & { tags: string; version: number };

/** Keeps, for each instance, only its newest row (by life, then version): what coalescing a batch means. */
export function newestPerInstance<T extends Pick<PushedRow, "id" | "createdAt" | "version">>(rows: readonly T[]): T[] {
  const newest = new Map<string, T>();
  for (const row of rows) {
    const seen = newest.get(row.id);
    if (!seen || row.createdAt > seen.createdAt || (row.createdAt === seen.createdAt && row.version > seen.version)) newest.set(row.id, row);
  }
  return [...newest.values()];
}

/** The index row's columns in table order: the order an INSERT … SELECT fills them. */
const COLUMNS = Object.entries(getTableColumns(instances)) as [keyof PushedRow, (typeof instances)["_"]["columns"][keyof PushedRow]][];

/** Everything but the id: a newer life under the same id replaces the whole row. */
const REPLACED = Object.fromEntries(COLUMNS.filter(([key]) => key !== "id").map(([key, column]) => [key, sql.raw(`excluded.${column.name}`)]));

/** `value ->> 0, value ->> 1, …`: the fields of each JSON array `json_each` yields. */
const fields = (n: number) => sql.raw(Array.from({ length: n }, (_, i) => `value ->> ${i}`).join(", "));

/**
 * Writes the newest row of each instance among `rows`, and their tags, in one
 * batch (one transaction, one round trip). Returns the rows it wrote or found older.
 */
export async function pushInstances(db: IndexDb, rows: readonly PushedRow[]): Promise<PushedRow[]> {
  const newest = newestPerInstance(rows);
  if (newest.length === 0) return newest;
  // Rows pushed before instances had search attributes carry none: the column's default.
  const json = JSON.stringify(newest.map((row) => COLUMNS.map(([key]) => row[key] ?? (key === "attributes" ? "{}" : null))));
  const upsert = db
    .insert(instances)
    .select(sql`SELECT ${fields(COLUMNS.length)} FROM json_each(${json}) WHERE true`)
    .onConflictDoUpdate({ target: instances.id, set: REPLACED, setWhere: NEWER_THAN_STORED });
  const tags = newest.flatMap((row) =>
    Object.entries(JSON.parse(row.tags) as Record<string, string>).map(([key, value]) => [row.id, key, value, row.createdAt]),
  );
  const attributes = newest.flatMap((row) =>
    Object.entries(JSON.parse(row.attributes ?? "{}") as Record<string, string>).map(([key, value]) => [row.id, key, value, row.createdAt, row.version]),
  );
  const writes: BatchItem<"sqlite">[] = [];
  // Tags never change within a life; a later life of the id brings its own.
  if (tags.length > 0) {
    writes.push(
      db
        .insert(instanceTags)
        .select(sql`SELECT ${fields(4)} FROM json_each(${JSON.stringify(tags)}) WHERE true`)
        .onConflictDoUpdate({
          target: [instanceTags.instanceId, instanceTags.key],
          set: { value: sql`excluded.value`, createdAt: sql`excluded.created_at` },
          setWhere: sql`excluded.created_at > ${instanceTags.createdAt}`,
        }),
    );
  }
  // Search attributes change within a life: the newer version wins, as for the row.
  if (attributes.length > 0) {
    writes.push(
      db
        .insert(instanceAttributes)
        .select(sql`SELECT ${fields(5)} FROM json_each(${JSON.stringify(attributes)}) WHERE true`)
        .onConflictDoUpdate({
          target: [instanceAttributes.instanceId, instanceAttributes.key],
          set: { value: sql`excluded.value`, createdAt: sql`excluded.created_at`, version: sql`excluded.version` },
          setWhere: sql`excluded.created_at > ${instanceAttributes.createdAt} OR (excluded.created_at = ${instanceAttributes.createdAt} AND excluded.version > ${instanceAttributes.version})`,
        }),
    );
  }
  if (writes.length === 0) {
    await upsert;
    return newest;
  }
  await db.batch([upsert, ...writes]);
  return newest;
}

/**
 * Removes rows a late batch wrote for instances that are gone: only the row of that
 * life (its `createdAt`), never one a new instance under the same id has written since.
 */
export async function removeStale(db: IndexDb, rows: readonly Pick<PushedRow, "id" | "createdAt">[]): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(rows.map((row) => [row.id, row.createdAt]));
  const lives = sql`(SELECT ${fields(2)} FROM json_each(${json}))`;
  await db.batch([
    db.delete(instanceTags).where(sql`(${instanceTags.instanceId}, ${instanceTags.createdAt}) IN ${lives}`),
    db.delete(instanceAttributes).where(sql`(${instanceAttributes.instanceId}, ${instanceAttributes.createdAt}) IN ${lives}`),
    db.delete(instances).where(sql`(${instances.id}, ${instances.createdAt}) IN ${lives}`),
  ]);
}
