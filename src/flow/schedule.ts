/**
 * A schedule: one Durable Object per schedule, whose alarm fires at the next cron
 * time (croner computes it, time zones included) and starts an instance. The
 * instance id is the schedule id and the fire time (`fireInstanceId`), so a repeated
 * or late alarm never starts the same fire twice. Fires missed while paused or down follow the
 * schedule's policy: `skip` runs only the latest one (none after a pause),
 * `catchUp` runs each, up to `catchUpLimit`.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { indexDb } from "../index-db/queries.js";
import { removeSchedule, upsertSchedule } from "../index-db/schedules.js";
import { Sql } from "../instance/sql.js";
import { MAX_ID_LENGTH } from "../lib/bounds.js";
import { base64url } from "../lib/base64url.js";
import { cronProblem, firesBetween, nextFire } from "./cron.js";

export const SCHEDULE_POLICIES = ["skip", "catchUp"] as const;
export type SchedulePolicy = (typeof SCHEDULE_POLICIES)[number];

export interface ScheduleSpec {
  id: string;
  workflow: string;
  cron: string;
  timezone?: string;
  /** JSON text of the input each fire starts the workflow with. */
  input?: string;
  policy?: SchedulePolicy;
  catchUpLimit?: number;
  /** Declared in a workflow's code, or created through the API. */
  source: "code" | "api";
  /**
   * Origin of the request that created the schedule (or, for one declared in code,
   * of a request the Worker served): the base of its instances' webhook URLs when
   * PUBLIC_URL is not set. An upsert without one keeps the one stored.
   */
  origin?: string;
}

export interface ScheduleView extends Omit<ScheduleSpec, "input" | "origin"> {
  input?: unknown;
  policy: SchedulePolicy;
  paused: boolean;
  lastFire?: string;
  nextFire?: string;
  createdAt: string;
}

type Row = {
  id: string;
  workflow: string;
  cron: string;
  timezone: string | null;
  input: string | null;
  policy: SchedulePolicy;
  catch_up_limit: number;
  source: "code" | "api";
  paused: number;
  last_fire: number;
  created_at: number;
  origin: string | null;
};

export const DEFAULT_CATCH_UP_LIMIT = 10;

/**
 * The id of the instance a fire starts: `<schedule id>--<ISO time>`. Schedule ids
 * are bounded so that this fits the instance id rule; a longer one (stored before
 * that bound) is cut and given a digest of the whole id, so its fires stay reachable.
 */
export async function fireInstanceId(scheduleId: string, fire: number): Promise<string> {
  const suffix = `--${new Date(fire).toISOString()}`;
  if (scheduleId.length + suffix.length <= MAX_ID_LENGTH) return `${scheduleId}${suffix}`;
  const digest = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(scheduleId)))).slice(0, 12);
  return `${scheduleId.slice(0, MAX_ID_LENGTH - suffix.length - digest.length - 1)}~${digest}${suffix}`;
}

export class Schedule extends DurableObject<Env> {
  private readonly sql: Sql;
  /** Whether this object already warned that its instances have no base for webhook URLs. */
  private warnedNoOrigin = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage.sql);
  }

  /** Creates the table on first write only, so that reading an unknown schedule leaves no storage behind. */
  private createTable(): void {
    this.sql.run(`CREATE TABLE IF NOT EXISTS schedule (
      id TEXT PRIMARY KEY, workflow TEXT NOT NULL, cron TEXT NOT NULL, timezone TEXT, input TEXT,
      policy TEXT NOT NULL, catch_up_limit INTEGER NOT NULL, source TEXT NOT NULL,
      paused INTEGER NOT NULL DEFAULT 0, last_fire INTEGER NOT NULL, created_at INTEGER NOT NULL, origin TEXT)`);
    // Schedules created before the origin was kept gain the column.
    const table = this.sql.one<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'schedule'");
    if (table && !/\borigin\b/.test(table.sql)) this.sql.run("ALTER TABLE schedule ADD COLUMN origin TEXT");
  }

  /** Creates the schedule, or updates its definition; an unchanged definition changes nothing. */
  async upsert(spec: ScheduleSpec): Promise<{ created: boolean; schedule: ScheduleView }> {
    this.createTable();
    const existing = this.row();
    const now = Date.now();
    const policy = spec.policy ?? "skip";
    const limit = spec.catchUpLimit ?? DEFAULT_CATCH_UP_LIMIT;
    // A schedule declared in code had only its form checked at load (workflow.ts): its time zone and fire times are checked here.
    const invalid = () => {
      const problem = cronProblem(spec.cron, spec.timezone);
      if (problem) throw new Error(`schedule ${spec.id} of workflow "${spec.workflow}": "${spec.cron}" is not valid: ${problem}`);
    };
    if (existing) {
      if (spec.origin !== undefined && spec.origin !== existing.origin) this.sql.run("UPDATE schedule SET origin = ?", spec.origin);
      const same = existing.workflow === spec.workflow && existing.cron === spec.cron && existing.timezone === (spec.timezone ?? null) &&
        existing.input === (spec.input ?? null) && existing.policy === policy && existing.catch_up_limit === limit;
      if (!same) {
        invalid();
        this.sql.run(
          "UPDATE schedule SET workflow = ?, cron = ?, timezone = ?, input = ?, policy = ?, catch_up_limit = ?, source = ?",
          spec.workflow, spec.cron, spec.timezone ?? null, spec.input ?? null, policy, limit, spec.source,
        );
        await this.arm();
        await this.index();
      }
      return { created: false, schedule: this.view()! };
    }
    invalid();
    this.sql.run(
      "INSERT INTO schedule (id, workflow, cron, timezone, input, policy, catch_up_limit, source, last_fire, created_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      spec.id, spec.workflow, spec.cron, spec.timezone ?? null, spec.input ?? null, policy, limit, spec.source, now, now, spec.origin ?? null,
    );
    await this.arm();
    await this.index();
    return { created: true, schedule: this.view()! };
  }

  async get(): Promise<ScheduleView | null> {
    return this.view() ?? null;
  }

  async pause(): Promise<ScheduleView | null> {
    if (!this.row()) return null;
    this.sql.run("UPDATE schedule SET paused = 1");
    await this.ctx.storage.deleteAlarm();
    await this.index();
    return this.view()!;
  }

  async resume(): Promise<ScheduleView | null> {
    const row = this.row();
    if (!row) return null;
    // skip: what was missed while paused is dropped; catchUp: the next alarm runs it.
    if (row.policy === "skip") this.sql.run("UPDATE schedule SET paused = 0, last_fire = ?", Math.max(row.last_fire, Date.now()));
    else this.sql.run("UPDATE schedule SET paused = 0");
    await this.arm();
    await this.index();
    return this.view()!;
  }

  async delete(): Promise<boolean> {
    const row = this.row();
    if (!row) return false;
    await removeSchedule(indexDb(this.env.DB), row.id);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    return true;
  }

  /** Starts one instance per due fire (per the policy), then sets the alarm to the next fire. */
  override async alarm(): Promise<void> {
    const row = this.row();
    if (!row || row.paused) return;
    const now = Date.now();
    const due = firesBetween(row.cron, row.timezone ?? undefined, row.last_fire, now);
    const fires = row.policy === "catchUp" ? due.slice(-row.catch_up_limit) : due.slice(-1);
    const origin = row.origin ?? undefined;
    if (fires.length > 0 && !this.env.PUBLIC_URL && !origin && !this.warnedNoOrigin) {
      this.warnedNoOrigin = true;
      console.warn(
        `schedule ${row.id}: PUBLIC_URL is not set and no request origin is known, so webhook URLs of the instances it starts have no public base; set PUBLIC_URL (wrangler.toml [vars])`,
      );
    }
    for (const fire of fires) {
      const id = await fireInstanceId(row.id, fire);
      const instance = this.env.WORKFLOW_INSTANCE.get(this.env.WORKFLOW_INSTANCE.idFromName(id));
      // The id names the fire: a repeated alarm finds the instance already there.
      await instance.create({
        id,
        workflow: row.workflow,
        tags: { schedule: row.id },
        ...(row.input !== null && { input: row.input }),
        ...(origin !== undefined && { origin }),
      });
    }
    if (due.length > 0) this.sql.run("UPDATE schedule SET last_fire = ?", due.at(-1)!);
    await this.arm();
    await this.index();
  }

  private async arm(): Promise<void> {
    const row = this.row();
    if (!row || row.paused) return this.ctx.storage.deleteAlarm();
    const next = nextFire(row.cron, row.timezone ?? undefined, Math.max(row.last_fire, Date.now() - 1));
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
  }

  private async index(): Promise<void> {
    const view = this.view();
    if (!view) return;
    // The list of schedules is an index: losing a write here only delays it to the next change or fire.
    await upsertSchedule(indexDb(this.env.DB), view).catch((error: unknown) => console.warn(`schedule ${view.id}: index write failed: ${String(error)}`));
  }

  private row(): Row | undefined {
    if (this.sql.one("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'schedule'") === undefined) return undefined;
    return this.sql.one<Row>("SELECT * FROM schedule LIMIT 1");
  }

  private view(): ScheduleView | undefined {
    const row = this.row();
    if (!row) return undefined;
    const next = row.paused ? undefined : nextFire(row.cron, row.timezone ?? undefined, Math.max(row.last_fire, Date.now() - 1));
    return {
      id: row.id,
      workflow: row.workflow,
      cron: row.cron,
      ...(row.timezone !== null && { timezone: row.timezone }),
      ...(row.input !== null && { input: JSON.parse(row.input) }),
      policy: row.policy,
      catchUpLimit: row.catch_up_limit,
      source: row.source,
      paused: row.paused === 1,
      ...(row.last_fire > row.created_at && { lastFire: new Date(row.last_fire).toISOString() }),
      ...(next !== undefined && { nextFire: new Date(next).toISOString() }),
      createdAt: new Date(row.created_at).toISOString(),
    };
  }
}
