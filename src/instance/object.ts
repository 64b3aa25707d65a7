/**
 * The WorkflowInstance Durable Object: one per workflow instance. This class is the
 * RPC surface and the alarm's entry; what happens to the instance is decided by the
 * lifecycle machine (src/engine/lifecycle.ts). Each method gathers the facts of its
 * cause, asks the machine, writes the new state and timers in one storage
 * transaction (`apply`), then runs the effects. The rooms it uses:
 * - row.ts: the instance row and its outbox record;
 * - driver.ts: the execution kept in memory and its one advance at a time;
 * - journal.ts: the journal tables (steps, attempts, inbox);
 * - slots.ts, family.ts: concurrency gates, parents and children;
 * - alarm-clock.ts, timers.ts: the one alarm over the timers table;
 * - index-push.ts, outbox.ts: the D1 index;
 * - watch.ts: live subscriptions (events sent to the instance's watch hub while anyone listens).
 *
 * State lives in the object instance, never at module level: objects share isolates.
 */
import { DurableObject } from "cloudflare:workers";
import { workflows } from "../../workflows/index.js";
import type { Cause } from "../engine/index.js";
import type { Env } from "../env.js";
import type { WorkflowDefinition, WorkflowRegistry } from "../workflow.js";
import { AlarmClock } from "./alarm-clock.js";
import { Driver } from "./driver.js";
import type { JournalPageResult } from "./export.js";
import { exportUpTo, writeFork, type ForkCopy, type ForkExport } from "./fork.js";
import { SqlJournal } from "./journal.js";
import type { ResolveRequest, ResolveResult } from "./resolve.js";
import { sendEvent } from "./inbox.js";
import { act, debounce, remove, resolveStep, restart } from "./operate.js";
import { checkDeployment, readJournalPage, readSteps, readStep, readView } from "./reading.js";
import { summary, type Rooms } from "./rooms.js";
import { declaredFor, setAttributes } from "./attributes.js";
import type { IndexAck, IndexMessage } from "../index-db/queue.js";
import { INDEX_PUSH_TIMING, IndexPush, type IndexPushTiming } from "./index-push.js";
import { Outbox } from "./outbox.js";
import { RowStore } from "./row.js";
import type {
  CreateRequest,
  CreateResult,
  DebounceRequest,
  DebounceResult,
  DeleteResult,
  ForkedFrom,
  InstanceView,
  LifecycleResult,
  ReadOptions,
  OperatorRequest,
  RestartRequest,
  SendEventRequest,
  SendEventResult,
  StepsPage,
  StepView,
} from "./rpc.js";
import { registerCancels } from "./correlate.js";
import { servicesFor } from "./services.js";
import { Runner, type Applied } from "./runner.js";
import { flowGates, type Gates } from "./slots.js";
import { Sql } from "./sql.js";
import { TIMER_CAUSES, Timers } from "./timers.js";
import type { InstanceRow } from "./view.js";
import { historyPage, Watch, type HistoryPage, type WatchHubStub } from "./watch.js";

export { RECOVERY_LEASE_MS } from "../engine/index.js";

/** After an alarm that failed, try again this much later, doubling up to the maximum. */
const ALARM_ERROR_RETRY_MS = 100;
const ALARM_ERROR_MAX_BACKOFF_MS = 60_000;

export class WorkflowInstance extends DurableObject<Env> {
  readonly sql: Sql;
  private readonly timers: Timers;
  private readonly outbox: Outbox;
  private readonly rows: RowStore;
  protected readonly driver: Driver;
  private readonly index: IndexPush;
  private readonly clock: AlarmClock;
  private readonly runner: Runner;
  private readonly watchers: Watch;
  private readonly rooms: Rooms;
  private alarmFailures = 0;
  /** The alarm handler under way: the platform's alarm and the in-memory wake-up take turns. */
  private alarmRun?: Promise<void>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage.sql);
    this.timers = new Timers(this.sql);
    this.outbox = new Outbox(this.sql);
    this.rows = new RowStore(this.sql, this.outbox, (body) => ctx.storage.transactionSync(body));
    this.clock = new AlarmClock(ctx.storage, this.timers, () => void this.alarm());
    this.watchers = new Watch({ kv: ctx.storage.kv, row: () => this.rows.get(), hub: (id) => this.watchHub(id) });
    this.driver = new Driver({
      sql: this.sql,
      env,
      observer: this.watchers,
      row: () => this.rows.get(),
      definition: (workflow) => this.definition(workflow),
      services: (row) => ({ ...servicesFor(this.env, this.registry(), row), setAttributes: (attributes) => setAttributes(this.rooms, attributes) }),
      apply: (cause) => void this.apply(cause).done,
    });
    this.index = new IndexPush({
      outbox: this.outbox,
      timers: this.timers,
      database: () => this.indexDatabase(),
      queue: () => this.indexQueue(),
      exists: () => this.rows.exists(),
      createdAt: () => this.rows.get()?.created_at,
      scheduleAlarm: () => this.runner.scheduleAlarm(),
      timing: () => this.indexPushTiming(),
    });
    this.runner = new Runner({
      storage: ctx.storage,
      env,
      sql: this.sql,
      rows: this.rows,
      timers: this.timers,
      driver: this.driver,
      index: this.index,
      clock: this.clock,
      gates: this.gates(),
      watch: this.watchers,
      definition: (workflow) => this.definition(workflow),
    });
    this.rooms = {
      env,
      sql: this.sql,
      rows: this.rows,
      driver: this.driver,
      runner: this.runner,
      index: this.index,
      gates: this.gates(),
      definition: (workflow) => this.definition(workflow),
      apply: (cause, workflow, during) => this.apply(cause, workflow, during),
    };
  }

  /** The hub that holds this instance's subscribers (src/watch/hub.ts). */
  protected watchHub(id: string): WatchHubStub {
    return this.env.WATCH_HUB.get(this.env.WATCH_HUB.idFromName(id));
  }

  /** The workflows this object can run. */
  protected registry(): WorkflowRegistry {
    return workflows;
  }

  /** The D1 database of the index. */
  protected indexDatabase(): D1Database {
    return this.env.DB;
  }

  /** The index queue, where the deployment binds one (docs/scaling.md). */
  protected indexQueue(): Queue<IndexMessage> | undefined {
    return this.env.INDEX_QUEUE;
  }

  /** The concurrency gate of this name. */
  protected gate(name: string) {
    return flowGates(this.env).concurrency(name);
  }

  /** The gates an instance is admitted by: concurrency gates and throttles. */
  protected gates(): Gates {
    return { ...flowGates(this.env), concurrency: (name) => this.gate(name) };
  }

  /** The first retry after a failed alarm waits this long; each next one twice as long. */
  protected alarmRetryBaseMs(): number {
    return ALARM_ERROR_RETRY_MS;
  }

  /** How long an open status waits to be pushed with the next changes, and the first retry of a failed push (doubling). */
  protected indexPushTiming(): IndexPushTiming {
    return INDEX_PUSH_TIMING;
  }

  // ---- RPC ---------------------------------------------------------------------

  /** From the index queue's consumer: D1 holds this instance's row at `version` (src/index-db/queue.ts). */
  async indexed(createdAt: number, version: number): Promise<IndexAck> {
    return this.index.acknowledged(createdAt, version);
  }

  /**
   * Creates the instance, or reports the one that already has this id. `prepare`
   * (for a fork) writes more in the same transaction and returns the row as written.
   */
  async create(request: CreateRequest, prepare?: (row: InstanceRow, journal: SqlJournal) => InstanceRow): Promise<CreateResult> {
    const known = this.known(request);
    if (known) return known;
    if (this.definition(request.workflow)?.cancelOn?.length) {
      // Registered before the instance exists, so that no cancelling event can miss it (correlate.ts).
      await registerCancels(this.env, this.definition(request.workflow), request.id, request.input);
      const raced = this.known(request);
      if (raced) return raced;
    }
    let created: InstanceRow | undefined;
    const attributes = declaredFor(this.rooms, request);
    const cause: Cause = request.debounceUntil === undefined ? { kind: "create" } : { kind: "create", debounceUntil: request.debounceUntil };
    const { done } = this.apply(cause, request.workflow, () => {
      created = this.rows.insert(request, Date.now(), attributes);
      if (prepare) created = this.rows.replace(prepare(created, new SqlJournal(this.sql, { empty: true })));
      else this.driver.startEmpty();
    });
    await done;
    return { ok: true, created: true, instance: summary(created!) };
  }

  /** The answer to a create when an instance is here already. */
  private known(request: CreateRequest): CreateResult | undefined {
    const existing = this.rows.get();
    if (!existing) return undefined;
    if (existing.workflow !== request.workflow) return { ok: false, code: "INSTANCE_EXISTS", workflow: existing.workflow };
    return { ok: true, created: false, instance: summary(existing) };
  }

  /**
   * The instance as the API shows it, with its newest steps (or a page further back):
   * bounded whatever it holds, large results left out with their size. For
   * read-only access, the webhook tokens it minted are redacted wherever they show.
   */
  async read(options: ReadOptions = {}): Promise<InstanceView | null> {
    return readView(this.rooms, options);
  }

  /** For the Worker's sweep after a deploy: an open instance whose workflow is missing says so at once. */
  async checkDeployment(): Promise<void> {
    await checkDeployment(this.rooms);
  }

  /** The output as the engine keeps it (typed values intact), for the Cloudflare binding's `status()`. */
  async outputText(): Promise<string | null> {
    return this.rows.get()?.output ?? null;
  }

  /** A page of the instance's steps, oldest first, going back from `before`. */
  async steps(options: ReadOptions = {}): Promise<StepsPage | null> {
    return readSteps(this.rooms, options);
  }

  /** One step, its result whole (a sensitive step's result stays out). */
  async step(seq: number, options: ReadOptions = {}): Promise<StepView | null> {
    return readStep(this.rooms, seq, options);
  }

  /**
   * Puts an event in the inbox and wakes the step call waiting for it, if any. An
   * event over the inbox's bounds is refused (`INBOX_FULL`) and nothing is stored;
   * a webhook delivery for another generation of this id is refused as not found.
   */
  async sendEvent(request: SendEventRequest): Promise<SendEventResult> {
    return sendEvent(this.rooms, request);
  }

  /** A running step finishes; nothing new starts and no timer fires until `resume`. */
  async pause(request: OperatorRequest = {}): Promise<LifecycleResult> {
    return act(this.rooms, { kind: "pause" }, request.requestId);
  }

  async resume(request: OperatorRequest = {}): Promise<LifecycleResult> {
    return act(this.rooms, { kind: "resume" }, request.requestId);
  }

  /**
   * Stops the instance: running steps see their signal abort, late results are
   * discarded, timers cleared, and its running children are terminated too. With
   * `rollback`, the rollbacks of its completed steps run first (then it ends terminated).
   */
  async terminate(request: { rollback?: boolean } & OperatorRequest = {}): Promise<LifecycleResult> {
    return act(this.rooms, { kind: "terminate", rollback: request.rollback === true }, request.requestId);
  }

  /** Runs the instance again from the beginning, or from a step on, keeping earlier results. */
  async restart(request: RestartRequest & OperatorRequest = {}): Promise<LifecycleResult> {
    return restart(this.rooms, request);
  }

  /** Deletes the instance: its index row first (so nothing is left pointing at it), then its storage. */
  async delete(): Promise<DeleteResult> {
    return remove(this.rooms);
  }

  /**
   * For the watch hub: whether anyone subscribes. While someone does, the instance
   * sends it its events (watch.ts). Answers when the instance was created, or null
   * when there is none.
   */
  async watch(on: boolean): Promise<{ createdAt: number } | null> {
    const row = this.rows.get();
    this.watchers.set(on && row !== undefined);
    return row ? { createdAt: row.created_at } : null;
  }

  /** For the watch hub: one page of the instance's history as events, from step `fromSeq` on. */
  async history(fromSeq: number): Promise<HistoryPage | null> {
    const row = this.rows.get();
    return row ? historyPage(this.driver.journal(), row, fromSeq) : null;
  }

  /** One page of the instance's journal in the export format (export.ts). */
  async journalPage(cursor?: string, options: ReadOptions = {}): Promise<JournalPageResult> {
    return readJournalPage(this.rooms, cursor, options);
  }

  /** For a fork of this instance: its journal before `fromStep` (fork.ts); the instance is untouched. */
  async exportUpTo(fromStep?: { name: string; count?: number }): Promise<ForkExport> {
    const row = this.rows.get();
    return row ? exportUpTo(this.sql, this.driver.journal(), row, fromStep) : { ok: false, code: "INSTANCE_NOT_FOUND" };
  }

  /** Creates this instance as a fork: its journal starts with `copy` (fork.ts). */
  async createFrom(request: CreateRequest, forkedFrom: ForkedFrom, copy: ForkCopy): Promise<CreateResult> {
    return this.create(request, (_row, journal) => writeFork(this.sql, journal, forkedFrom, copy));
  }

  /**
   * Journals an operator's output for a step that failed the instance or waits to
   * retry (resolve.ts), and lets the instance continue: the machine's `resolve` cause.
   */
  async resolveStep(request: ResolveRequest): Promise<ResolveResult> {
    return resolveStep(this.rooms, request);
  }

  /** A later start for this debounced instance's key: takes its input and starts at `until` instead (src/flow/debounce.ts). */
  async debounce(request: DebounceRequest): Promise<DebounceResult> {
    return debounce(this.rooms, request);
  }

  /** The gate told this instance a slot is free: ask it (acquiring is idempotent for a holder). */
  async slotGranted(): Promise<void> {
    await this.apply({ kind: "slotDue" }).done;
  }

  /** For the gate's lease check: does this instance still need its slot? */
  async holdsSlot(): Promise<boolean> {
    const row = this.rows.get();
    return row !== undefined && !["completed", "failed", "terminated"].includes(row.status);
  }

  // ---- the alarm -------------------------------------------------------------------

  /**
   * Never throws: the platform retries a throwing alarm only a few times and then
   * drops it, which would leave the instance stalled. An error re-arms the alarm
   * instead, later each time, so the instance always gets another chance.
   */
  override async alarm(): Promise<void> {
    this.clock.fired();
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
      // Start over from storage: whatever the failure left in memory is not trusted.
      if (!this.driver.isAdvancing) this.driver.drop();
      this.rows.forget();
      await this.clock.setAlarm(Date.now() + delay);
    }
  }

  /** What an alarm does: each own timer due is a cause; then the alarm itself (step timers, the lease). */
  protected async onAlarm(): Promise<void> {
    if (!this.rows.exists()) return;
    const now = Date.now();
    const settled: Promise<unknown>[] = [];
    for (const timer of this.timers.due(now)) {
      if (timer === "lease") continue;
      settled.push(this.apply(TIMER_CAUSES[timer]).done);
      if (this.runner.purging) return void (await this.runner.purging);
    }
    if (!this.rows.get()) return;
    const stepDue = (this.timers.nextStep() ?? Infinity) <= now;
    settled.push(this.apply({ kind: "alarm", advancing: this.driver.isAdvancing, stepDue }).done);
    await Promise.all(settled);
  }

  // ---- applying the machine ------------------------------------------------------------

  private definition(workflow: string): WorkflowDefinition | undefined {
    const registry = this.registry();
    return Object.hasOwn(registry, workflow) ? registry[workflow] : undefined;
  }

  private apply(cause: Cause, workflow?: string, during?: () => void): Applied {
    return this.runner.apply(cause, workflow, during);
  }
}

