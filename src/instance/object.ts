/**
 * The WorkflowInstance Durable Object: one per workflow instance. A thin adapter
 * that binds the engine to the object's SQLite storage (journal, timers, inbox,
 * status) and to its one alarm.
 *
 * A drive runs the execution until each step call waits again. Creating an
 * instance and an event for a waiting step start a drive at once; every timer
 * starts one through the alarm. While a drive runs, the alarm is kept a few seconds
 * ahead (the recovery lease), so a drive cut short by a crash or an eviction is
 * resumed by the alarm. While the object stays in memory the execution stays
 * too, so a wake-up continues the workflow where it stopped; after an eviction or a
 * restart, a new execution replays the journal.
 *
 * State lives in the object instance, never at module level: objects share isolates.
 */
import { DurableObject } from "cloudflare:workers";
import { workflows } from "../../workflows/index.js";
import {
  Execution,
  canTransition,
  isTerminal,
  realClock,
  type ErrorRecord,
  type Outcome,
  type Status,
  type WaitingFor,
} from "../engine/index.js";
import type { Env } from "../env.js";
import type { WorkflowRegistry } from "../workflow.js";
import { SqlJournal } from "./journal.js";
import type { CreateRequest, CreateResult, InstanceView, SendEventRequest, SendEventResult } from "./rpc.js";
import { hasSchema, migrate } from "./schema.js";
import { Sql } from "./sql.js";
import { toInstanceView, type InstanceRow } from "./view.js";

/**
 * While steps run, the alarm is kept this far ahead: if the runtime dies mid-step,
 * it fires and a new execution replays the journal. Re-armed while a drive lasts.
 */
export const RECOVERY_LEASE_MS = 5_000;
/** After an unexpected error in a drive, try again this much later. */
const DRIVE_ERROR_RETRY_MS = 1_000;

export class WorkflowInstance extends DurableObject<Env> {
  private readonly sql: Sql;
  private store?: SqlJournal;
  private execution?: Execution;
  private driving = false;
  private created = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage.sql);
  }

  /** The workflows this object can run. */
  protected registry(): WorkflowRegistry {
    return workflows;
  }

  // ---- RPC ---------------------------------------------------------------------

  /** Creates the instance, or reports the one that already has this id. */
  async create(request: CreateRequest): Promise<CreateResult> {
    const existing = this.row();
    if (existing) {
      if (existing.workflow !== request.workflow) return { ok: false, code: "INSTANCE_EXISTS", workflow: existing.workflow };
      return { ok: true, created: false, instance: summary(existing) };
    }
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      migrate(this.sql);
      this.sql.run(
        `INSERT INTO instance (id, workflow, status, input, tags, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?, ?, ?)`,
        request.id, request.workflow, request.input ?? null, JSON.stringify(request.tags), now, now,
      );
    });
    this.created = true;
    this.kick();
    return { ok: true, created: true, instance: summary(this.row()!) };
  }

  async describe(): Promise<InstanceView | null> {
    const row = this.row();
    if (!row) return null;
    const journal = this.journal();
    return toInstanceView(row, journal.load(), journal.attempts());
  }

  /** Puts an event in the inbox and wakes the step call waiting for it, if any. */
  async sendEvent(request: SendEventRequest): Promise<SendEventResult> {
    const row = this.row();
    if (!row) return { ok: false, code: "INSTANCE_NOT_FOUND" };
    const id = request.id ?? crypto.randomUUID();
    const journal = this.journal();
    // A sender retrying an event it already delivered is told so, even after the instance finished.
    if (request.id !== undefined && journal.hasEvent(request.id)) return { ok: true, id, duplicate: true };
    if (isTerminal(row.status)) return { ok: false, code: "INSTANCE_FINISHED", status: row.status };
    const added = journal.addEvent({ id, type: request.type, timestamp: Date.now(), ...(request.payload !== undefined && { payload: request.payload }) });
    if (!added) return { ok: true, id, duplicate: true };
    if (row.status !== "paused" && journal.isWaitingFor(request.type)) this.kick();
    return { ok: true, id, duplicate: false };
  }

  // ---- the alarm -------------------------------------------------------------------

  override async alarm(): Promise<void> {
    if (this.driving) {
      // A drive is under way (a long step): keep the recovery lease alive and let it work.
      this.execution?.poll();
      await this.ctx.storage.setAlarm(Date.now() + RECOVERY_LEASE_MS);
      return;
    }
    await this.drive();
  }

  /**
   * Lets the workflow go on now rather than at the next alarm: wakes the running
   * execution, or starts a drive. The drive's first act is to arm the recovery lease,
   * so a drive cut short by an eviction is resumed by the alarm.
   */
  private kick(): void {
    if (this.driving) {
      this.execution?.poll();
      return;
    }
    this.drive().catch((error: unknown) => console.error("drive failed before it started; the alarm will retry:", error));
  }

  /** Runs the workflow until every step call waits, then sets the alarm to the next timer. */
  private async drive(): Promise<void> {
    const row = this.row();
    if (!row || isTerminal(row.status) || row.status === "paused") return this.scheduleAlarm();
    const definition = this.registry()[row.workflow];
    if (!definition) {
      this.finish("failed", {
        error: {
          name: "WorkflowNotRegistered",
          code: "WORKFLOW_NOT_REGISTERED",
          message: `workflow "${row.workflow}" is not registered in this deployment; add it back to workflows/index.ts to let this instance continue`,
        },
      });
      return this.scheduleAlarm();
    }
    this.driving = true;
    try {
      await this.ctx.storage.setAlarm(Date.now() + RECOVERY_LEASE_MS);
      this.execution ??= new Execution(
        definition,
        { id: row.id, createdAt: row.created_at, ...(row.input !== null && { input: row.input }) },
        this.journal(),
        realClock,
        this.env,
      );
      if (row.status !== "running") this.transition("running", { waitingFor: null });
      this.recordOutcome(await this.execution.advance());
    } catch (error) {
      // A fault of the runtime or of Cairn, not of the workflow: start over from the journal later.
      console.error(`instance ${row.id}: drive failed, replaying in ${DRIVE_ERROR_RETRY_MS} ms:`, error);
      this.execution = undefined;
      this.driving = false;
      await this.ctx.storage.setAlarm(Date.now() + DRIVE_ERROR_RETRY_MS);
      return;
    }
    this.driving = false;
    await this.scheduleAlarm();
  }

  private recordOutcome(outcome: Outcome): void {
    switch (outcome.kind) {
      case "completed":
        return this.finish("completed", { output: outcome.output ?? null });
      case "failed":
        return this.finish("failed", { error: outcome.error });
      case "suspended":
        return this.transition(outcome.waitingFor ? "waiting" : "running", { waitingFor: outcome.waitingFor ?? null });
    }
  }

  private finish(status: "completed" | "failed" | "terminated", fields: { output?: string | null; error?: ErrorRecord }): void {
    this.execution = undefined;
    this.journal().clearStepTimers();
    this.transition(status, { ...fields, waitingFor: null, completedAt: Date.now() });
  }

  private async scheduleAlarm(): Promise<void> {
    if (!this.hasInstance()) return;
    const next = this.journal().nextTimer();
    if (next === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(next, 1));
  }

  // ---- storage ---------------------------------------------------------------------

  private hasInstance(): boolean {
    this.created ||= hasSchema(this.sql);
    return this.created;
  }

  private row(): InstanceRow | undefined {
    return this.hasInstance() ? this.sql.one<InstanceRow>("SELECT * FROM instance LIMIT 1") : undefined;
  }

  private journal(): SqlJournal {
    this.store ??= new SqlJournal(this.sql);
    return this.store;
  }

  /** Moves the instance to `to`, checked against the transition table; bumps its version. */
  private transition(
    to: Status,
    fields: { output?: string | null; error?: ErrorRecord; waitingFor?: WaitingFor | null; completedAt?: number },
  ): void {
    const row = this.row()!;
    if (!canTransition(row.status, to)) {
      throw new Error(`instance ${row.id}: illegal status change ${row.status} → ${to}`);
    }
    this.sql.run(
      `UPDATE instance SET status = ?, updated_at = ?, version = version + 1,
         output = COALESCE(?, output), error = COALESCE(?, error), waiting_for = ?, completed_at = COALESCE(?, completed_at)`,
      to,
      Date.now(),
      fields.output ?? null,
      fields.error ? JSON.stringify(fields.error) : null,
      fields.waitingFor ? JSON.stringify(fields.waitingFor) : null,
      fields.completedAt ?? null,
    );
  }
}

function summary(row: InstanceRow) {
  return { id: row.id, workflow: row.workflow, status: row.status, createdAt: new Date(row.created_at).toISOString() };
}
