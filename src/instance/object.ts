/**
 * The WorkflowInstance Durable Object: one per workflow instance. A thin adapter
 * that binds the engine to the object's SQLite storage (journal, timers, inbox,
 * status, index outbox) and to its one alarm.
 *
 * A drive runs the execution until each step call waits again. Creating an
 * instance and an event for a waiting step start a drive at once; every timer
 * starts one through the alarm. A timer due soon also gets an in-memory wake-up,
 * which runs the alarm's handler on time while the object stays loaded; the alarm
 * stays set behind it for when the object does not. While a drive runs, the alarm
 * is kept a few seconds ahead (the recovery lease), so a drive cut short by a crash
 * or an eviction is resumed by the alarm. While the object stays in memory the execution stays too,
 * so a wake-up continues the workflow where it stopped; after an eviction or a
 * restart, a new execution replays the journal.
 *
 * State lives in the object instance, never at module level: objects share isolates.
 */
import { DurableObject } from "cloudflare:workers";
import { workflows } from "../../workflows/index.js";
import {
  Execution,
  NonRetryableError,
  TerminatedError,
  canApply,
  canTransition,
  isTerminal,
  realClock,
  toErrorRecord,
  type ErrorRecord,
  type LifecycleAction,
  type Outcome,
  type Status,
  type WaitingFor,
} from "../engine/index.js";
import type { Env } from "../env.js";
import { signHookToken } from "../hooks/token.js";
import { LEASE_CHECK_MS } from "../flow/gate.js";
import { retentionMs, type WorkflowDefinition, type WorkflowRegistry } from "../workflow.js";
import { notifyParent, runningChildren, startChild, terminateChildren } from "./family.js";
import { IndexPush, OUTBOX_MAX_BACKOFF_MS } from "./index-push.js";
import { SqlJournal } from "./journal.js";
import { Outbox } from "./outbox.js";
import type {
  CreateRequest,
  CreateResult,
  DeleteResult,
  InstanceView,
  LifecycleResult,
  RestartRequest,
  SendEventRequest,
  SendEventResult,
} from "./rpc.js";
import { migrate, SCHEMA_VERSION, schemaVersion } from "./schema.js";
import { Sql, type SqlValue } from "./sql.js";
import { Timers } from "./timers.js";
import { toInstanceView, type InstanceRow } from "./view.js";

/**
 * While steps run, the alarm is kept this far ahead: if the runtime dies mid-step,
 * it fires and a new execution replays the journal. Re-armed while a drive lasts.
 */
export const RECOVERY_LEASE_MS = 5_000;
/** After an unexpected error in a drive, try again this much later. */
const DRIVE_ERROR_RETRY_MS = 1_000;
/** After an alarm that failed, try again this much later, doubling up to the maximum. */
const ALARM_ERROR_RETRY_MS = 100;
const ALARM_ERROR_MAX_BACKOFF_MS = 60_000;
/** A status change must reach the index by then, or the alarm pushes it again. */
const OUTBOX_LEASE_MS = 10_000;
/**
 * A timer due within this long also gets an in-memory wake-up (setTimeout): on time
 * while the object stays loaded, where the platform's alarm queues behind the
 * object's other work. The alarm remains set for when the object is evicted first.
 */
const WAKE_TIMER_MAX_MS = 5_000;

export class WorkflowInstance extends DurableObject<Env> {
  private readonly sql: Sql;
  private readonly timers: Timers;
  private readonly outbox: Outbox;
  private store?: SqlJournal;
  /** The instance row as last read or written; every write of the row goes through updateInstance(). */
  private current?: InstanceRow;
  private execution?: Execution;
  private driving = false;
  private created = false;
  private readonly index: IndexPush;
  /** Set while the instance deletes itself. */
  private deleting = false;
  private alarmFailures = 0;
  /** The in-memory wake-up for the next timer, if it is due soon. */
  private wakeTimer?: ReturnType<typeof setTimeout>;
  /** The alarm handler under way: the platform's alarm and the wake-up take turns. */
  private alarmRun?: Promise<void>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage.sql);
    this.timers = new Timers(this.sql);
    this.outbox = new Outbox(this.sql);
    this.index = new IndexPush({
      outbox: this.outbox,
      timers: this.timers,
      database: () => this.indexDatabase(),
      exists: () => this.hasInstance(),
      scheduleAlarm: () => this.scheduleAlarm(),
      retryBaseMs: () => this.outboxRetryBaseMs(),
    });
  }

  /** The workflows this object can run. */
  protected registry(): WorkflowRegistry {
    return workflows;
  }

  /** The D1 database of the index. */
  protected indexDatabase(): D1Database {
    return this.env.DB;
  }

  /** The first retry after a failed alarm waits this long; each next one twice as long. */
  protected alarmRetryBaseMs(): number {
    return ALARM_ERROR_RETRY_MS;
  }

  /** The first retry of a failed index push waits this long; each next one twice as long. */
  protected outboxRetryBaseMs(): number {
    return 1_000;
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
    const row = this.ctx.storage.transactionSync(() => {
      migrate(this.sql, this.created ? SCHEMA_VERSION : 0);
      const inserted = this.sql.one<InstanceRow>(
        `INSERT INTO instance (id, workflow, status, input, tags, created_at, updated_at, parent_id, origin) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?) RETURNING *`,
        request.id, request.workflow, request.input ?? null, JSON.stringify(request.tags), now, now, request.parentId ?? null, request.origin ?? null,
      )!;
      this.outbox.record(inserted);
      this.timers.set("outbox", now + OUTBOX_LEASE_MS);
      return inserted;
    });
    this.created = true;
    this.current = row;
    this.store = new SqlJournal(this.sql, { empty: true });
    this.kick();
    this.index.soon();
    return { ok: true, created: true, instance: summary(row) };
  }

  async describe(): Promise<InstanceView | null> {
    const row = this.row();
    if (!row) return null;
    const journal = this.journal();
    const view = toInstanceView(row, journal.load(), journal.attempts());
    const definition = this.registry()[row.workflow];
    if (definition?.concurrency && row.slot === null && row.status === "queued") {
      const gate = gateName(definition, row);
      view.queue = { position: await this.gate(gate).place(row.id), key: gate };
    }
    return view;
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

  /** A running step finishes; nothing new starts and no timer fires until `resume`. */
  async pause(): Promise<LifecycleResult> {
    return this.act("pause", () => {
      this.execution?.pause();
      this.transition("paused", {});
    });
  }

  async resume(): Promise<LifecycleResult> {
    return this.act("resume", () => {
      this.transition("running", {});
      this.execution?.resume();
      this.kick();
    });
  }

  /**
   * Stops the instance: running steps see their signal abort, late results are
   * discarded, timers cleared, and its running children are terminated too. With
   * `rollback`, the rollbacks of its completed steps run first (then it ends terminated).
   */
  async terminate(request: { rollback?: boolean } = {}): Promise<LifecycleResult> {
    const children = this.hasInstance() ? runningChildren(this.sql) : [];
    const result = await this.act("terminate", () => {
      if (request.rollback) {
        this.updateInstance("stopping = 'rollback'");
        this.execution?.compensate(new TerminatedError("terminated with rollback"));
        if (this.row()!.status === "paused") this.transition("running", {});
        this.kick();
        return;
      }
      this.dropExecution(new TerminatedError());
      this.finish("terminated", {});
    });
    if (result.ok) await terminateChildren(this.env, children);
    return result;
  }

  /** Runs the instance again from the beginning, or from a step on, keeping earlier results. */
  async restart(request: RestartRequest = {}): Promise<LifecycleResult> {
    let from = 0;
    if (request.fromStep) {
      const step = { name: request.fromStep.name, count: request.fromStep.count ?? 1 };
      const found = this.hasInstance() ? this.sql.one<{ seq: number }>("SELECT seq FROM steps WHERE name = ? AND count = ?", step.name, step.count) : undefined;
      if (this.row() && !found) return { ok: false, code: "STEP_NOT_FOUND", step };
      from = found?.seq ?? 0;
    }
    return this.act("restart", () => {
      this.dropExecution(TerminatedError.restarted());
      this.sql.run("DELETE FROM steps WHERE seq >= ?", from);
      this.timers.clearSteps(from);
      this.timers.clear("retention");
      // Events taken by discarded steps go back to the inbox, in their order, for the re-run.
      this.journal().rewind(from);
      this.transition("queued", { reset: true });
      this.kick();
    });
  }

  /** Deletes the instance: its index row first (so nothing is left pointing at it), then its storage. */
  async delete(): Promise<DeleteResult> {
    if (!this.row()) return { ok: false, code: "INSTANCE_NOT_FOUND" };
    return this.purge();
  }

  // ---- the alarm -------------------------------------------------------------------

  /**
   * Never throws: the platform retries a throwing alarm only a few times and then
   * drops it, which would leave the instance stalled. An error re-arms the alarm
   * instead, later each time, so the instance always gets another chance.
   */
  override async alarm(): Promise<void> {
    while (this.alarmRun) await this.alarmRun;
    this.alarmRun = this.handleAlarm();
    try {
      await this.alarmRun;
    } finally {
      this.alarmRun = undefined;
    }
  }

  private async handleAlarm(): Promise<void> {
    try {
      await this.onAlarm();
      this.alarmFailures = 0;
    } catch (error) {
      this.alarmFailures++;
      const delay = Math.min(this.alarmRetryBaseMs() * 2 ** (this.alarmFailures - 1), ALARM_ERROR_MAX_BACKOFF_MS);
      console.error(`alarm failed (${this.alarmFailures} in a row), trying again in ${delay} ms:`, error);
      if (!this.driving) {
        // Start over from storage: whatever the failure left in memory is not trusted.
        this.execution = undefined;
        this.store = undefined;
        this.current = undefined;
      }
      await this.ctx.storage.setAlarm(Date.now() + delay);
    }
  }

  /** What an alarm does: retention, index retries, and driving the workflow. */
  protected async onAlarm(): Promise<void> {
    if (!this.hasInstance()) return;
    const now = Date.now();
    const retention = this.timers.get("retention");
    if (retention !== undefined && retention <= now) {
      const result = await this.purge();
      if (!result.ok) await this.ctx.storage.setAlarm(Date.now() + OUTBOX_MAX_BACKOFF_MS);
      return;
    }
    const parent = this.timers.get("parent");
    if (parent !== undefined && parent <= now) await this.tellParent();
    const release = this.timers.get("release");
    if (release !== undefined && release <= now) await this.releaseSlot();
    const outbox = this.timers.get("outbox");
    if (outbox !== undefined && outbox <= now) {
      this.timers.set("outbox", now + OUTBOX_LEASE_MS);
      this.index.soon();
    }
    if (this.driving) {
      // A drive is under way (a long step): keep the recovery lease alive and let it work.
      this.execution?.poll();
      this.index.soon();
      await this.ctx.storage.setAlarm(Date.now() + RECOVERY_LEASE_MS);
      return;
    }
    // An execution in memory that waits, with no step timer due, has nothing to do:
    // the alarm was for the object's own timers, or the wake-up got there first.
    const status = this.row()?.status;
    const idle = this.execution && (status === "waiting" || status === "paused") && !((this.timers.nextStep() ?? Infinity) <= now);
    if (idle) return this.scheduleAlarm();
    await this.drive();
  }

  // ---- driving the execution ---------------------------------------------------------

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
    if (this.deleting) return;
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
      this.index.soon();
      return this.scheduleAlarm();
    }
    this.driving = true;
    if (definition.concurrency && row.slot === null && !(await this.takeSlot(definition, row))) {
      // Over the limit: stays queued; the gate tells it when a slot frees (and it asks again now and then).
      this.driving = false;
      return this.scheduleAlarm();
    }
    try {
      this.cancelWake();
      await this.ctx.storage.setAlarm(Date.now() + RECOVERY_LEASE_MS);
      const execution = (this.execution ??= new Execution(
        definition,
        { id: row.id, createdAt: row.created_at, ...(row.input !== null && { input: row.input }) },
        this.journal(),
        realClock,
        this.env,
        {
          mintWebhook: (claims) => this.mintWebhook(row, claims),
          startChild: (child) => startChild(this.env, this.registry(), row, child),
        },
      ));
      if (row.stopping === "rollback") execution.compensate(new TerminatedError("terminated with rollback"));
      if (this.row()!.status !== "running") this.transition("running", { waitingFor: null });
      const outcome = await execution.advance();
      // A terminate, restart or delete while it ran has taken over: its outcome is void.
      if (this.execution === execution) this.recordOutcome(outcome);
    } catch (error) {
      // A fault of the runtime or of Cairn, not of the workflow: start over from the journal later.
      console.error(`instance ${row.id}: drive failed, replaying in ${DRIVE_ERROR_RETRY_MS} ms:`, error);
      this.execution = undefined;
      this.store = undefined;
      this.current = undefined;
      this.driving = false;
      await this.ctx.storage.setAlarm(Date.now() + DRIVE_ERROR_RETRY_MS);
      return;
    }
    this.driving = false;
    this.index.soon();
    // Restarted while this drive ran: the new run needs a drive of its own.
    if (this.row()?.status === "queued") return this.kick();
    await this.scheduleAlarm();
  }

  private recordOutcome(outcome: Outcome): void {
    if (outcome.kind === "completed") return this.finish("completed", { output: outcome.output ?? null });
    if (outcome.kind === "failed") {
      // A compensation asked for by terminate ends terminated, with the rollbacks done.
      if (this.row()?.stopping === "rollback") return this.finish("terminated", {});
      return this.finish("failed", { error: outcome.error });
    }
    const status = this.row()?.status;
    // Paused meanwhile: it stays paused; resume() starts the next drive.
    if (status === "paused" || status === undefined || isTerminal(status)) return;
    this.transition(outcome.waitingFor ? "waiting" : "running", { waitingFor: outcome.waitingFor ?? null });
  }

  private finish(status: "completed" | "failed" | "terminated", fields: { output?: string | null; error?: ErrorRecord }): void {
    this.execution = undefined;
    this.timers.clearSteps();
    this.store = undefined;
    const row = this.row()!;
    const definition = this.registry()[row.workflow];
    this.timers.set("retention", Date.now() + retentionMs(definition, status));
    if (row.parent_id) this.timers.set("parent", Date.now());
    if (row.slot !== null) this.timers.set("release", Date.now());
    this.timers.clear("slot");
    this.transition(status, { ...fields, waitingFor: null, completedAt: Date.now() });
    if (row.parent_id) void this.tellParent();
    if (row.slot !== null) void this.releaseSlot();
  }

  // ---- concurrency slots -----------------------------------------------------------

  /** Asks the workflow's gate for a slot; true when this instance may run. */
  private async takeSlot(definition: WorkflowDefinition, row: InstanceRow): Promise<boolean> {
    const gate = gateName(definition, row);
    const acquired = await this.gate(gate).acquire(row.id, definition.concurrency!.limit);
    if (!this.hasInstance()) return false;
    if (!acquired.granted) {
      this.timers.set("slot", Date.now() + LEASE_CHECK_MS);
      return false;
    }
    this.updateInstance("slot = ?", gate);
    this.timers.clear("slot");
    return true;
  }

  /** Gives the slot back once finished; retried through the alarm until the gate has it. */
  private async releaseSlot(): Promise<void> {
    const row = this.row();
    if (!row?.slot || !isTerminal(row.status)) return;
    try {
      await this.gate(row.slot).release(row.id);
      if (!this.hasInstance()) return;
      this.updateInstance("slot = NULL");
      this.timers.clear("release");
    } catch (error) {
      console.warn(`instance ${row.id}: could not release its slot, retrying: ${String(error)}`);
      if (this.hasInstance()) this.timers.set("release", Date.now() + OUTBOX_MAX_BACKOFF_MS / 4);
    }
    await this.scheduleAlarm();
  }

  private gate(name: string) {
    return this.env.CONCURRENCY_GATE.get(this.env.CONCURRENCY_GATE.idFromName(name));
  }

  /** The gate told this instance a slot is free. */
  async slotGranted(): Promise<void> {
    const row = this.row();
    if (row && row.slot === null && (row.status === "queued" || row.status === "running")) this.kick();
  }

  /** For the gate's lease check: does this instance still need its slot? */
  async holdsSlot(): Promise<boolean> {
    const row = this.row();
    return row !== undefined && !isTerminal(row.status);
  }

  /** A finished child tells its parent, through the parent's inbox; retried by the alarm until it lands. */
  private async tellParent(): Promise<void> {
    const row = this.row();
    if (!row?.parent_id || !isTerminal(row.status)) return;
    try {
      await notifyParent(this.env, row);
      if (this.hasInstance()) this.timers.clear("parent");
    } catch (error) {
      console.warn(`instance ${row.id}: could not tell parent ${row.parent_id} it finished, retrying: ${String(error)}`);
      if (this.hasInstance()) this.timers.set("parent", Date.now() + OUTBOX_MAX_BACKOFF_MS / 4);
    }
    await this.scheduleAlarm();
  }

  private dropExecution(reason: Error): void {
    const execution = this.execution;
    // Evicted mid-step, no execution in memory: the journal's running attempts end here.
    if (!execution && this.hasInstance()) this.journal().cancelRunning(toErrorRecord(reason, "TERMINATED"), Date.now());
    this.execution = undefined;
    this.store = undefined;
    execution?.abort(reason);
  }

  /** Applies a lifecycle action if the status allows it, then lets the index know. */
  private async act(action: LifecycleAction, apply: () => void): Promise<LifecycleResult> {
    const row = this.row();
    if (!row) return { ok: false, code: "INSTANCE_NOT_FOUND" };
    if (!canApply(action, row.status)) return { ok: false, code: "INVALID_TRANSITION", status: row.status };
    apply();
    this.index.soon();
    await this.scheduleAlarm();
    return { ok: true, status: this.row()!.status };
  }

  private async scheduleAlarm(): Promise<void> {
    // A drive sets the alarm when it ends; until then the recovery lease stands.
    if (this.driving || !this.hasInstance()) return;
    const paused = this.row()?.status === "paused";
    const next = this.timers.next({ steps: !paused });
    this.cancelWake();
    if (next === undefined) return this.ctx.storage.deleteAlarm();
    if (next - Date.now() <= WAKE_TIMER_MAX_MS) {
      this.wakeTimer = setTimeout(
        () => {
          this.wakeTimer = undefined;
          void this.alarm();
        },
        Math.max(next - Date.now(), 0),
      );
    }
    await this.ctx.storage.setAlarm(Math.max(next, 1));
  }

  private cancelWake(): void {
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }

  /** Signs a webhook URL for `step.webhook`; its base is PUBLIC_URL, else the origin the instance was started from. */
  private async mintWebhook(row: InstanceRow, claims: { eventType: string; expiresAt: number; verifyWith?: string }) {
    const secret = this.env.WEBHOOK_SECRET;
    if (!secret) {
      throw new NonRetryableError("step.webhook needs a signing secret: run `npx wrangler secret put WEBHOOK_SECRET` (locally: put it in .dev.vars)", "WebhookSecretMissing");
    }
    const token = await signHookToken(secret, { instanceId: row.id, ...claims });
    const base = (this.env.PUBLIC_URL || row.origin || "http://localhost:8787").replace(/\/+$/, "");
    return { url: `${base}/hooks/${token}`, token };
  }

  /** Removes the index row, then every byte of storage. Used by delete and by retention. */
  private async purge(): Promise<DeleteResult> {
    const { id, slot } = this.row()!;
    this.deleting = true;
    try {
      await this.index.remove(id);
      // A deleted instance holds no slot (the gate's lease check would free it too, later).
      if (slot !== null) await this.gate(slot).release(id).catch(() => undefined);
    } catch (error) {
      this.deleting = false;
      this.index.release();
      return { ok: false, code: "INDEX_UNAVAILABLE", message: `the index could not be updated (${String(error)}); nothing was deleted, try again` };
    }
    this.dropExecution(TerminatedError.deleted());
    this.cancelWake();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.created = false;
    this.current = undefined;
    this.deleting = false;
    this.index.release();
    return { ok: true };
  }

  // ---- storage ---------------------------------------------------------------------

  private hasInstance(): boolean {
    if (this.created) return true;
    const version = schemaVersion(this.sql);
    if (version === 0) return false;
    // An object created under an older schema catches up the first time it is touched after a deploy.
    if (version < SCHEMA_VERSION) this.ctx.storage.transactionSync(() => migrate(this.sql, version));
    this.created = true;
    return true;
  }

  private row(): InstanceRow | undefined {
    if (!this.hasInstance()) return undefined;
    this.current ??= this.sql.one<InstanceRow>("SELECT * FROM instance LIMIT 1");
    return this.current;
  }

  /** Changes the instance row (`set`: the SET clause); returns the row as written, and keeps it. */
  private updateInstance(set: string, ...params: SqlValue[]): InstanceRow {
    this.current = this.sql.one<InstanceRow>(`UPDATE instance SET ${set} RETURNING *`, ...params);
    return this.current!;
  }

  private journal(): SqlJournal {
    this.store ??= new SqlJournal(this.sql);
    return this.store;
  }

  /**
   * Moves the instance to `to`, checked against the transition table; bumps its
   * version and records the new index row in the outbox, in the same transaction.
   */
  private transition(
    to: Status,
    fields: { output?: string | null; error?: ErrorRecord; waitingFor?: WaitingFor | null; completedAt?: number; reset?: boolean },
  ): void {
    const row = this.row()!;
    if (!canTransition(row.status, to)) {
      throw new Error(`instance ${row.id}: illegal status change ${row.status} → ${to}`);
    }
    const now = Date.now();
    if (fields.reset) this.updateInstance("output = NULL, error = NULL, completed_at = NULL");
    const updated = this.updateInstance(
      `status = ?, updated_at = ?, version = version + 1,
         output = COALESCE(?, output), error = COALESCE(?, error), waiting_for = ?, completed_at = COALESCE(?, completed_at)`,
      to,
      now,
      fields.output ?? null,
      fields.error ? JSON.stringify(fields.error) : null,
      fields.waitingFor ? JSON.stringify(fields.waitingFor) : null,
      fields.completedAt ?? null,
    );
    this.outbox.record(updated);
    if (this.timers.get("outbox") === undefined) this.timers.set("outbox", now + OUTBOX_LEASE_MS);
  }
}

/** The gate an instance of `definition` queues at: one per workflow, or per key of its input. */
function gateName(definition: WorkflowDefinition, row: InstanceRow): string {
  const key = definition.concurrency?.key?.(row.input === null ? undefined : JSON.parse(row.input));
  return key === undefined ? definition.name : `${definition.name}:${String(key)}`;
}

function summary(row: InstanceRow) {
  return { id: row.id, workflow: row.workflow, status: row.status, createdAt: new Date(row.created_at).toISOString() };
}
