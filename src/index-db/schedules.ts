/**
 * The D1 list of schedules, for `GET /api/schedules`. Each schedule's Durable
 * Object is the source of truth and rewrites its row whenever it changes or fires.
 */
import { asc, eq } from "drizzle-orm";
import type { ScheduleView } from "../flow/schedule.js";
import type { IndexDb } from "./queries.js";
import { schedules } from "./schema.js";

export async function upsertSchedule(db: IndexDb, view: ScheduleView): Promise<void> {
  const row = {
    id: view.id,
    workflow: view.workflow,
    view: JSON.stringify(view),
    paused: view.paused,
    nextFire: view.nextFire ? Date.parse(view.nextFire) : null,
    updatedAt: Date.now(),
  };
  await db.insert(schedules).values(row).onConflictDoUpdate({ target: schedules.id, set: row });
}

export async function removeSchedule(db: IndexDb, id: string): Promise<void> {
  await db.delete(schedules).where(eq(schedules.id, id));
}

export async function listSchedules(db: IndexDb, workflow?: string): Promise<ScheduleView[]> {
  const rows = await db
    .select({ view: schedules.view })
    .from(schedules)
    .where(workflow === undefined ? undefined : eq(schedules.workflow, workflow))
    .orderBy(asc(schedules.id));
  return rows.map((r) => JSON.parse(r.view) as ScheduleView);
}
