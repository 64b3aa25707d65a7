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
import { CHILD_EVENT_PREFIX, type Cause, type OwnTimer } from "../engine/index.js";
import { MAX_INBOX_BYTES, MAX_INBOX_EVENTS, STEPS_PAGE_SIZE, VIEW_ATTEMPTS_PER_STEP, VIEW_VALUE_MAX_BYTES } from "../lib/bounds.js";
import type { Env } from "../env.js";
import { declaredAttributes, type Attributes } from "../lib/attributes.js";
import { MAX_ATTRIBUTES } from "../lib/bounds.js";
import type { WorkflowDefinition, WorkflowRegistry } from "../workflow.js";
import { AlarmClock } from "./alarm-clock.js";
import { Driver } from "./driver.js";
import { journalPage, type JournalPageResult } from "./export.js";
import { exportUpTo, writeFork, type ForkCopy, type ForkExport } from "./fork.js";
import { SqlJournal } from "./journal.js";
import { findResolvable, journalResolution, type ResolveRequest, type ResolveResult } from "./resolve.js";
import type { IndexAck, IndexMessage } from "../index-db/queue.js";
import { IndexPush } from "./index-push.js";
import { rememberRequest, requestApplied } from "./requests.js";
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
import { flowGates, gateName, type Gates } from "./slots.js";
import { Sql } from "./sql.js";
import { Timers } from "./timers.js";
import { redactText, redactTokens } from "./redact.js";
import { toInstanceView, toStepsPage, toStepView, type InstanceRow } from "./view.js";
import { historyPage, Watch, type HistoryPage, type WatchHubStub } from "./watch.js";

export { RECOVERY_LEASE_MS } from "../engine/index.js";

/** After an alarm that failed, try again this much later, doubling up to the maximum. */
const ALARM_ERROR_RETRY_MS = 100;
const ALARM_ERROR_MAX_BACKOFF_MS = 60_000;

/** The cause each of the object's own timers stands for when it falls due (`lease` wakes the alarm cause). */
const TIMER_CAUSES: Record<Exclude<OwnTimer, "lease">, Cause> = {
  retention: { kind: "retentionDue" },
  outbox: { kind: "outboxDue" },
  slot: { kind: "slotDue" },
  parent: { kind: "parentDue" },
  release: { kind: "releaseDue" },
  registry: { kind: "registryDue" },
  debounce: { kind: "debounceDue" },
};

export class WorkflowInstance extends DurableObject<Env> {
  readonly sql: Sql;
  private readonly timers: Timers;
  private readonly outbox: Outbox;
  private readonly rows: RowStore;
  private readonly driver: Driver;
  private readonly index: IndexPush;
  private readonly clock: AlarmClock;
  private readonly runner: Runner;
  private readonly watchers: Watch;
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
      services: (row) => ({ ...servicesFor(this.env, this.registry(), row), setAttributes: (attributes) => this.setAttributes(attributes) }),
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
      retryBaseMs: () => this.outboxRetryBaseMs(),
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

  /** The first retry of a failed index push waits this long; each next one twice as long. */
  protected outboxRetryBaseMs(): number {
    return 1_000;
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
    const attributes = this.declaredAttributes(request);
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
    this.checkDeploymentNow();
    const row = this.rows.get();
    if (!row) return null;
    const journal = this.driver.journal();
    let view = toInstanceView(row, journal.viewPage(pageOptions(options)));
    if (row.attributes !== "{}") view.attributes = JSON.parse(row.attributes) as Attributes;
    const definition = this.definition(row.workflow);
    if (definition?.concurrency && row.slot === null && row.status === "queued") {
      const gate = gateName(definition, row);
      if (gate.ok) {
        const position = await this.gate(gate.gate).place(row.id).catch(() => undefined);
        if (position !== undefined) view.queue = { position, key: gate.gate };
      }
    }
    if (options.access === "readonly") view = redactTokens(view, journal.webhookTokens());
    return view;
  }

  /**
   * Whether this deployment registers the instance's workflow: an open instance whose
   * workflow is missing says so (it waits for a deployment) at once, rather than when
   * it next wakes. Asked by the Worker's sweep after a deploy, and by every read.
   */
  async checkDeployment(): Promise<void> {
    await this.checkDeploymentNow();
  }

  private checkDeploymentNow(): Promise<void> | undefined {
    const row = this.rows.get();
    if (!row || !["queued", "running", "waiting"].includes(row.status)) return undefined;
    const waitsForDeployment = row.status === "waiting" && row.waiting_for?.includes('"kind":"deployment"') === true;
    // Registered again: go on now rather than at the next look.
    if (this.definition(row.workflow)) return waitsForDeployment ? this.apply({ kind: "registryDue" }).done : undefined;
    return waitsForDeployment ? undefined : this.apply({ kind: "workflowMissing", workflow: row.workflow }).done;
  }

  /** A page of the instance's steps, oldest first, going back from `before`. */
  async steps(options: ReadOptions = {}): Promise<StepsPage | null> {
    if (!this.rows.get()) return null;
    const journal = this.driver.journal();
    const page = toStepsPage(journal.viewPage(pageOptions(options)));
    return options.access === "readonly" ? redactTokens(page, journal.webhookTokens()) : page;
  }

  /** One step, its result whole (a sensitive step's result stays out). */
  async step(seq: number, options: ReadOptions = {}): Promise<StepView | null> {
    if (!this.rows.get()) return null;
    const journal = this.driver.journal();
    const record = journal.step(seq);
    if (!record) return null;
    const step = toStepView(record, journal.attempts().filter((a) => a.seq === seq));
    return options.access === "readonly" ? redactTokens(step, journal.webhookTokens()) : step;
  }

  /**
   * Puts an event in the inbox and wakes the step call waiting for it, if any. An
   * event over the inbox's bounds is refused (`INBOX_FULL`) and nothing is stored;
   * a webhook delivery for another generation of this id is refused as not found.
   */
  async sendEvent(request: SendEventRequest): Promise<SendEventResult> {
    const row = this.rows.get();
    if (!row) return { ok: false, code: "INSTANCE_NOT_FOUND" };
    if (request.generation !== undefined && (request.generation ?? null) !== row.generation) return { ok: false, code: "INSTANCE_NOT_FOUND" };
    const id = request.id ?? crypto.randomUUID();
    const journal = this.driver.journal();
    // A sender retrying an event it already delivered is told so, even after the instance finished.
    if (request.id !== undefined && journal.hasEvent(request.id)) return { ok: true, id, duplicate: true };
    const full = this.inboxFull(row.workflow, request);
    let added = false;
    const waitedFor = row.status !== "paused" && journal.isWaitingFor(request.type);
    const { result, done } = this.apply({ kind: "event", waitedFor }, undefined, () => {
      if (full) return;
      added = journal.addEvent({ id, type: request.type, timestamp: Date.now(), ...(request.payload !== undefined && { payload: request.payload }) });
    });
    if (!result.ok) {
      return result.code === "INSTANCE_FINISHED" && result.status !== "absent"
        ? { ok: false, code: "INSTANCE_FINISHED", status: result.status }
        : { ok: false, code: "INSTANCE_NOT_FOUND" };
    }
    if (full) return full;
    await done;
    return { ok: true, id, duplicate: !added };
  }

  /** The refusal of an event the inbox has no room for; a child's outcome always has room. */
  private inboxFull(workflow: string, request: SendEventRequest): Extract<SendEventResult, { code: "INBOX_FULL" }> | undefined {
    if (request.type.startsWith(CHILD_EVENT_PREFIX)) return undefined;
    const bounds = this.definition(workflow)?.inbox;
    const maxEvents = bounds?.maxEvents ?? MAX_INBOX_EVENTS;
    const maxBytes = bounds?.maxBytes ?? MAX_INBOX_BYTES;
    const usage = this.driver.journal().inboxUsage();
    const bytes = request.payload === undefined ? 0 : utf8Length(request.payload);
    if (usage.events + 1 <= maxEvents && usage.bytes + bytes <= maxBytes) return undefined;
    return { ok: false, code: "INBOX_FULL", maxEvents, maxBytes };
  }

  /** A running step finishes; nothing new starts and no timer fires until `resume`. */
  async pause(request: OperatorRequest = {}): Promise<LifecycleResult> {
    return this.act({ kind: "pause" }, request.requestId);
  }

  async resume(request: OperatorRequest = {}): Promise<LifecycleResult> {
    return this.act({ kind: "resume" }, request.requestId);
  }

  /**
   * Stops the instance: running steps see their signal abort, late results are
   * discarded, timers cleared, and its running children are terminated too. With
   * `rollback`, the rollbacks of its completed steps run first (then it ends terminated).
   */
  async terminate(request: { rollback?: boolean } & OperatorRequest = {}): Promise<LifecycleResult> {
    return this.act({ kind: "terminate", rollback: request.rollback === true }, request.requestId);
  }

  /** Runs the instance again from the beginning, or from a step on, keeping earlier results. */
  async restart(request: RestartRequest & OperatorRequest = {}): Promise<LifecycleResult> {
    if (request.requestId !== undefined && this.rows.get() && requestApplied(this.sql, request.requestId)) return this.repeated();
    let fromSeq = 0;
    if (request.fromStep && this.rows.get()) {
      const step = { name: request.fromStep.name, count: request.fromStep.count ?? 1 };
      const found = this.driver.journal().findStep(step.name, step.count);
      if (found === undefined) return { ok: false, code: "STEP_NOT_FOUND", step };
      fromSeq = found;
    }
    return this.act({ kind: "restart", fromSeq }, request.requestId);
  }

  /** Deletes the instance: its index row first (so nothing is left pointing at it), then its storage. */
  async delete(): Promise<DeleteResult> {
    const { result, done } = this.apply({ kind: "delete" });
    if (!result.ok) return { ok: false, code: "INSTANCE_NOT_FOUND" };
    const purge = this.runner.purging;
    await done;
    return (await purge) ?? { ok: true };
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
    const row = this.rows.get();
    if (!row) return { ok: false, code: "INSTANCE_NOT_FOUND" };
    const result = journalPage(this.sql, row, cursor, { workflowVersion: this.definition(row.workflow)?.version });
    if (!result.ok || options.access !== "readonly") return result;
    return { ...result, page: redactText(result.page, this.driver.journal().webhookTokens()) };
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
    const row = this.rows.get();
    if (!row) return { ok: false, code: "INSTANCE_NOT_FOUND" };
    const found = findResolvable(this.sql, row, request);
    if (!found.ok) return found;
    const { result, done } = this.apply({ kind: "resolve" }, undefined, () => journalResolution(this.sql, found.seq, request, Date.now()));
    if (!result.ok) return { ok: false, code: "STEP_NOT_RESOLVABLE", message: `the instance is ${result.status}` };
    await done;
    return { ok: true, status: result.state.status === "absent" ? row.status : result.state.status, step: found.step };
  }

  /** A later start for this debounced instance's key: takes its input and starts at `until` instead (src/flow/debounce.ts). */
  async debounce(request: DebounceRequest): Promise<DebounceResult> {
    const { result, done } = this.apply({ kind: "debounce", until: request.until }, undefined, () => this.rows.setInput(request.input ?? null));
    if (!result.ok) return { ok: false, code: result.code === "INVALID_TRANSITION" ? "INVALID_TRANSITION" : "INSTANCE_NOT_FOUND" };
    await done;
    return { ok: true, instance: summary(this.rows.get()!) };
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

  // ---- search attributes -------------------------------------------------------------

  /** The attributes the workflow declares from this input (lib/attributes.ts); one that cannot be had is left out. */
  private declaredAttributes(request: CreateRequest): Attributes {
    const declared = this.definition(request.workflow)?.searchAttributes;
    if (!declared) return {};
    const { attributes, problems } = declaredAttributes(declared, request.input === undefined ? undefined : JSON.parse(request.input));
    for (const problem of problems) console.warn(`instance ${request.id}: search attribute left out: ${problem}`);
    return attributes;
  }

  /** `step.setAttributes`, in the transaction that journals it: the row, its outbox record, then the push. */
  private setAttributes(attributes: Attributes): void {
    const dropped = this.rows.setAttributes(attributes, Date.now());
    if (dropped.length > 0) console.warn(`instance ${this.rows.get()?.id}: at most ${MAX_ATTRIBUTES} search attributes; left out ${dropped.join(", ")}`);
    this.index.soon();
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
      // Start over from storage: whatever the failure left in memory is not trusted.
      if (!this.driver.isAdvancing) this.driver.drop();
      this.rows.forget();
      await this.ctx.storage.setAlarm(Date.now() + delay);
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
    settled.push(this.apply({ kind: "alarm", advancing: this.driver.isAdvancing, inMemory: this.driver.inMemory, stepDue }).done);
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

  /**
   * Applies an operator's request and reports the status it led to, or why it was
   * refused. A `requestId` is remembered with the change (requests.ts): the same id
   * again changes nothing and answers `duplicate`.
   */
  private async act(cause: Cause, requestId?: string): Promise<LifecycleResult> {
    if (requestId !== undefined && this.rows.get() && requestApplied(this.sql, requestId)) return this.repeated();
    const remember = requestId === undefined ? undefined : () => rememberRequest(this.sql, requestId, Date.now());
    const { result, done } = this.apply(cause, undefined, remember);
    if (!result.ok) {
      if (result.code === "INVALID_TRANSITION" && result.status !== "absent") return { ok: false, code: "INVALID_TRANSITION", status: result.status };
      return { ok: false, code: "INSTANCE_NOT_FOUND" };
    }
    await done;
    return { ok: true, status: result.state.status === "absent" ? "terminated" : result.state.status };
  }

  private repeated(): LifecycleResult {
    return { ok: true, status: this.rows.get()!.status, duplicate: true };
  }
}

function summary(row: { id: string; workflow: string; status: string; created_at: number }) {
  return { id: row.id, workflow: row.workflow, status: row.status as InstanceView["status"], createdAt: new Date(row.created_at).toISOString() };
}

/** Bytes of a string in UTF-8, without encoding it. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function pageOptions(options: ReadOptions) {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? STEPS_PAGE_SIZE), 1), STEPS_PAGE_SIZE);
  return { ...(options.before !== undefined && { before: options.before }), limit, maxValueBytes: VIEW_VALUE_MAX_BYTES, attemptsPerStep: VIEW_ATTEMPTS_PER_STEP };
}
