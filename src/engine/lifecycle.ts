/**
 * The instance lifecycle as one pure machine: `next(state, cause, now)` says what
 * follows anything that can happen to an instance, as a new state, the timers to
 * set or clear, and the effects to run, or as a refusal with a stable code.
 *
 * The Durable Object gathers the facts a cause needs (is a step waiting for this
 * event? is an advance under way in memory?), asks the machine, writes the new state
 * and the timers in one storage transaction, and only then runs the effects. Effects
 * that take time (asking the gate for a slot, telling a parent, purging) report back
 * as causes of their own, so nothing held across an `await` decides the lifecycle.
 *
 * Every (status × cause) pair has a decided outcome; `test/engine/lifecycle.test.ts`
 * lists them all in one table.
 */
import type { ErrorRecord } from "./errors.js";
import { canTransition, type Status, type TerminalStatus, type WaitingFor } from "./status.js";

/** The object's own timers (step timers belong to the journal). */
export const OWN_TIMERS = ["outbox", "retention", "parent", "slot", "release", "registry", "lease"] as const;
export type OwnTimer = (typeof OWN_TIMERS)[number];

/** While an advance runs, the alarm is kept this far ahead; if the runtime dies mid-step it replays the journal. */
export const RECOVERY_LEASE_MS = 5_000;
/** After a fault of the runtime or of Cairn in a drive, replay this much later. */
export const FAULT_RETRY_MS = 1_000;
/** A status change must reach the index by then, or the alarm pushes it again. */
export const OUTBOX_LEASE_MS = 10_000;
/** A queued instance asks its gate again this often, in case a grant was missed. */
export const SLOT_CHECK_MS = 30_000;
/** Telling a parent or giving a slot back that failed is tried again this much later. */
export const MESSAGE_RETRY_MS = 15_000;
/** A purge that could not update the index is tried again this much later. */
export const PURGE_RETRY_MS = 60_000;
/** How often an instance whose workflow is not registered looks again: often at first, then once a minute. */
export const REGISTRY_CHECK_MS = { first: 5_000, later: 60_000, firstFor: 60_000 } as const;
/** An unreachable gate is asked again after this long, doubling with the time spent waiting, up to the maximum. */
export const GATE_RETRY_MS = { first: 1_000, max: 60_000 } as const;

/** What the machine knows of an instance. `absent`: no instance in this object (never created, or deleted). */
export interface LifecycleState {
  status: Status | "absent";
  waitingFor: WaitingFor | null;
  /** `rollback`: terminating, the rollbacks run first. `delete`: the instance is deleting itself. */
  stopping: "rollback" | "delete" | null;
  /** The concurrency gate holding this instance's slot, if any. */
  slot: string | null;
  /** Started by a parent (`step.child`): tells it when it finishes. */
  hasParent: boolean;
  /** Its workflow declares a concurrency limit: it needs a slot before it runs. */
  gated: boolean;
  /** How long a finished instance is kept, by final status. */
  retentionMs: Readonly<Record<TerminalStatus, number>>;
}

export type Cause =
  | { kind: "create" }
  /** A drive is about to run the workflow (its definition is registered). */
  | { kind: "drive" }
  | { kind: "completed"; output: string | null }
  | { kind: "failed"; error: ErrorRecord }
  /** Every step call waits; `waitingFor` names what the view should show. */
  | { kind: "suspended"; waitingFor: WaitingFor | null }
  /** The drive failed through no fault of the workflow (storage, runtime): replay later. */
  | { kind: "threw" }
  /** An event was accepted; `waitedFor`: a step call waits for its type right now. */
  | { kind: "event"; waitedFor: boolean }
  /**
   * The alarm fired with no own timer due: a step timer (sleep, retry, step or event
   * timeout), the recovery lease, or a wake-up after an eviction.
   */
  | { kind: "alarm"; advancing: boolean; inMemory: boolean; stepDue: boolean }
  | { kind: "retentionDue" }
  | { kind: "outboxDue" }
  | { kind: "slotDue" }
  | { kind: "parentDue" }
  | { kind: "releaseDue" }
  | { kind: "registryDue" }
  | { kind: "slotGranted"; gate: string }
  | { kind: "slotRefused" }
  | { kind: "gateUnreachable"; message: string }
  | { kind: "slotKeyInvalid"; message: string }
  | { kind: "slotReleased" }
  | { kind: "releaseFailed" }
  | { kind: "parentTold" }
  | { kind: "parentUnreachable" }
  | { kind: "pause" }
  | { kind: "resume" }
  | { kind: "terminate"; rollback: boolean }
  | { kind: "restart"; fromSeq: number }
  | { kind: "delete" }
  | { kind: "purged" }
  | { kind: "purgeFailed" }
  | { kind: "workflowMissing"; workflow: string };

export type CauseKind = Cause["kind"];

/** Every cause kind, for tables that must cover them all. */
export const CAUSE_KINDS = [
  "create", "drive", "completed", "failed", "suspended", "threw", "event", "alarm",
  "retentionDue", "outboxDue", "slotDue", "parentDue", "releaseDue", "registryDue",
  "slotGranted", "slotRefused", "gateUnreachable", "slotKeyInvalid", "slotReleased", "releaseFailed",
  "parentTold", "parentUnreachable", "pause", "resume", "terminate", "restart", "delete", "purged", "purgeFailed",
  "workflowMissing",
] as const satisfies readonly CauseKind[];

/** Why an execution in memory is stopped. */
export type StopReason = "terminated" | "restarted" | "deleted";

export type Effect =
  /** Let the workflow go on: start a drive, or wake the execution under way. */
  | { kind: "drive" }
  /** Run the execution now (the state is `running` and the lease is set). */
  | { kind: "advance" }
  | { kind: "pauseExecution" }
  | { kind: "resumeExecution" }
  | { kind: "compensate" }
  | { kind: "abort"; reason: StopReason }
  /** Forget the execution in memory (finished, or a fault): the next drive replays the journal. */
  | { kind: "dropExecution" }
  | { kind: "rewind"; fromSeq: number }
  | { kind: "clearStepTimers" }
  | { kind: "pushIndex" }
  | { kind: "requestSlot" }
  | { kind: "releaseSlot"; gate: string }
  | { kind: "tellParent" }
  | { kind: "terminateChildren" }
  | { kind: "purge" }
  | { kind: "log"; level: "warn" | "error"; message: string };

/** Fields of the instance row written with the new state. */
export interface RowWrite {
  output?: string | null;
  error?: ErrorRecord;
  completedAt?: number;
  /** Clear output, error and completion time (a restart). */
  reset?: boolean;
}

export interface Step {
  ok: true;
  state: LifecycleState;
  /** The row changes (status, what it waits for): bump its version and record it in the outbox. */
  changed: boolean;
  write: RowWrite;
  timers: { set: Partial<Record<OwnTimer, number>>; clear: OwnTimer[] };
  effects: Effect[];
}

export type RefusalCode = "INSTANCE_NOT_FOUND" | "INSTANCE_EXISTS" | "INSTANCE_FINISHED" | "INVALID_TRANSITION" | "INSTANCE_DELETING";

export interface Refusal {
  ok: false;
  code: RefusalCode;
  status: Status | "absent";
}

export type Transition = Step | Refusal;

export const ABSENT: LifecycleState = Object.freeze({
  status: "absent",
  waitingFor: null,
  stopping: null,
  slot: null,
  hasParent: false,
  gated: false,
  retentionMs: { completed: 0, failed: 0, terminated: 0 },
}) as LifecycleState;

const ACTIVE: ReadonlySet<string> = new Set(["queued", "running", "waiting"]);
const TERMINAL: ReadonlySet<string> = new Set(["completed", "failed", "terminated"]);
/** Causes that are requests from outside, refused rather than ignored when they do not apply. */
const REQUESTS: ReadonlySet<CauseKind> = new Set(["create", "event", "pause", "resume", "terminate", "restart", "delete"]);

/** Decides what follows `cause` for an instance in `state`. */
export function next(state: LifecycleState, cause: Cause, now: number): Transition {
  const b = new Builder(state, now);
  const { status } = state;

  if (status === "absent") {
    if (cause.kind !== "create") return REQUESTS.has(cause.kind) ? refuse("INSTANCE_NOT_FOUND", status) : b.done();
    b.move("queued", { waitingFor: null });
    b.effects.push(state.gated ? { kind: "requestSlot" } : { kind: "drive" });
    return b.done();
  }
  if (cause.kind === "create") return refuse("INSTANCE_EXISTS", status);

  if (state.stopping === "delete") {
    switch (cause.kind) {
      case "delete":
      case "retentionDue":
        b.effects.push({ kind: "purge" });
        return b.done();
      case "purged":
        return b.gone();
      case "purgeFailed":
        b.state.stopping = null;
        if (TERMINAL.has(status)) b.timer("retention", now + PURGE_RETRY_MS);
        else if (ACTIVE.has(status)) b.effects.push({ kind: "drive" });
        return b.done();
      case "slotGranted":
        b.effects.push({ kind: "releaseSlot", gate: cause.gate });
        return b.done();
      default:
        return REQUESTS.has(cause.kind) ? refuse("INSTANCE_DELETING", status) : b.done();
    }
  }

  switch (cause.kind) {
    case "drive":
      if (status === "queued" && state.gated && state.slot === null && state.stopping !== "rollback") {
        b.effects.push({ kind: "requestSlot" });
        return b.done();
      }
      if (!ACTIVE.has(status)) return b.done();
      b.move("running", { waitingFor: null });
      b.timer("lease", now + RECOVERY_LEASE_MS);
      b.clear("registry");
      b.effects.push({ kind: "advance" });
      return b.done();

    case "completed":
    case "failed": {
      if (status !== "running" && status !== "paused") return b.done();
      if (state.stopping === "rollback") return b.finish("terminated", {});
      if (cause.kind === "completed") return b.finish("completed", { output: cause.output });
      return b.finish("failed", { error: cause.error });
    }

    case "suspended":
      if (status !== "running" && status !== "paused") return b.done();
      b.clear("lease");
      if (status === "paused") return b.done();
      if (cause.waitingFor) b.move("waiting", { waitingFor: cause.waitingFor });
      // Awaiting something that is not a step: look again now and then rather than never.
      else b.timer("lease", now + 60_000);
      return b.done();

    case "threw":
      if (status !== "running" && status !== "paused") return b.done();
      b.timer("lease", now + FAULT_RETRY_MS);
      b.effects.push({ kind: "dropExecution" });
      return b.done();

    case "event":
      if (TERMINAL.has(status)) return refuse("INSTANCE_FINISHED", status);
      if (cause.waitedFor && (status === "running" || status === "waiting")) b.effects.push({ kind: "drive" });
      return b.done();

    case "alarm":
      switch (status) {
        case "queued":
          b.effects.push({ kind: "drive" });
          return b.done();
        case "running":
          // A drive under way (a long step) keeps its lease; one cut short by an eviction replays.
          if (cause.advancing) b.timer("lease", now + RECOVERY_LEASE_MS);
          b.effects.push({ kind: "drive" });
          return b.done();
        case "waiting":
          // Waiting for a deployment: the registry timer looks. An execution in memory
          // that waits, with no step timer due, has nothing to do (the alarm was for another timer).
          if (state.waitingFor?.kind === "deployment" || cause.advancing || (cause.inMemory && !cause.stepDue)) return b.done();
          b.effects.push({ kind: "drive" });
          return b.done();
        default:
          return b.done();
      }

    case "retentionDue":
      if (!TERMINAL.has(status)) {
        b.clear("retention");
        return b.done();
      }
      b.state.stopping = "delete";
      b.effects.push({ kind: "purge" });
      return b.done();

    case "outboxDue":
      b.timer("outbox", now + OUTBOX_LEASE_MS);
      b.effects.push({ kind: "pushIndex" });
      return b.done();

    case "slotDue":
      if (status === "queued" && state.gated && state.slot === null) b.effects.push({ kind: "requestSlot" });
      else b.clear("slot");
      return b.done();

    case "parentDue":
      if (TERMINAL.has(status) && state.hasParent) b.effects.push({ kind: "tellParent" });
      else b.clear("parent");
      return b.done();

    case "releaseDue":
      if (TERMINAL.has(status) && state.slot !== null) b.effects.push({ kind: "releaseSlot", gate: state.slot });
      else b.clear("release");
      return b.done();

    case "registryDue":
      if (status === "waiting" && state.waitingFor?.kind === "deployment") b.effects.push({ kind: "drive" });
      else b.clear("registry");
      return b.done();

    case "slotGranted":
      if (TERMINAL.has(status)) {
        b.effects.push({ kind: "releaseSlot", gate: cause.gate });
        return b.done();
      }
      b.state.slot = cause.gate;
      b.clear("slot");
      if (status === "queued") {
        if (state.waitingFor) b.move("queued", { waitingFor: null });
        b.effects.push({ kind: "drive" });
      }
      return b.done();

    case "slotRefused":
      if (status !== "queued" || state.slot !== null) return b.done();
      if (state.waitingFor) b.move("queued", { waitingFor: null });
      b.timer("slot", now + SLOT_CHECK_MS);
      return b.done();

    case "gateUnreachable": {
      if (status !== "queued" || state.slot !== null) return b.done();
      const previous = state.waitingFor?.kind === "slot" ? state.waitingFor : undefined;
      const since = previous?.since ? Date.parse(previous.since) : now;
      const delay = Math.min(GATE_RETRY_MS.max, Math.max(GATE_RETRY_MS.first, now - since));
      if (!previous) {
        b.move("queued", { waitingFor: { kind: "slot", code: "GATE_UNAVAILABLE", since: new Date(now).toISOString(), message: cause.message } });
        b.effects.push({ kind: "log", level: "warn", message: `its concurrency gate cannot be reached (${cause.message}); asking again with backoff` });
      }
      b.timer("slot", now + delay);
      return b.done();
    }

    case "slotKeyInvalid":
      if (status !== "queued") return b.done();
      return b.finish("failed", {
        error: { name: "ConcurrencyKeyError", code: "CONCURRENCY_KEY_INVALID", message: cause.message },
      });

    case "slotReleased":
      b.state.slot = null;
      b.clear("release");
      return b.done();

    case "releaseFailed":
      if (state.slot !== null) b.timer("release", now + MESSAGE_RETRY_MS);
      return b.done();

    case "parentTold":
      b.clear("parent");
      return b.done();

    case "parentUnreachable":
      if (state.hasParent && TERMINAL.has(status)) b.timer("parent", now + MESSAGE_RETRY_MS);
      return b.done();

    case "pause":
      if (!ACTIVE.has(status) || state.stopping === "rollback") return refuse("INVALID_TRANSITION", status);
      b.move("paused", { waitingFor: null });
      b.clear("lease");
      b.effects.push({ kind: "pauseExecution" });
      return b.done();

    case "resume":
      if (status !== "paused") return refuse("INVALID_TRANSITION", status);
      b.move(state.gated && state.slot === null ? "queued" : "running", { waitingFor: null });
      b.effects.push({ kind: "resumeExecution" }, { kind: "drive" });
      return b.done();

    case "terminate":
      if (!ACTIVE.has(status) && status !== "paused") return refuse("INVALID_TRANSITION", status);
      b.effects.push({ kind: "terminateChildren" });
      if (!cause.rollback) {
        b.effects.push({ kind: "abort", reason: "terminated" });
        return b.finish("terminated", {});
      }
      // The rollbacks run in a drive of their own, from any status, needing no slot.
      b.state.stopping = "rollback";
      b.move("running", { waitingFor: null });
      b.clear("registry");
      b.effects.push({ kind: "resumeExecution" }, { kind: "compensate" }, { kind: "drive" });
      return b.done();

    case "restart":
      if (status === "queued") return refuse("INVALID_TRANSITION", status);
      b.state.stopping = null;
      b.move("queued", { waitingFor: null }, { reset: true });
      b.clear("retention", "parent", "registry", "lease");
      if (state.slot !== null) b.clear("release");
      b.effects.push({ kind: "abort", reason: "restarted" }, { kind: "rewind", fromSeq: cause.fromSeq });
      b.effects.push(state.gated && state.slot === null ? { kind: "requestSlot" } : { kind: "drive" });
      return b.done();

    case "delete":
      b.state.stopping = "delete";
      b.effects.push({ kind: "abort", reason: "deleted" }, { kind: "purge" });
      return b.done();

    case "purged":
    case "purgeFailed":
      return b.done();

    case "workflowMissing": {
      if (!ACTIVE.has(status)) return b.done();
      const previous = state.waitingFor?.kind === "deployment" ? state.waitingFor : undefined;
      const since = previous?.since ?? new Date(now).toISOString();
      const waited = now - Date.parse(since);
      b.move("waiting", {
        waitingFor: {
          kind: "deployment",
          code: "WORKFLOW_NOT_REGISTERED",
          workflow: cause.workflow,
          since,
          message: `workflow "${cause.workflow}" is not registered in this deployment; the instance continues by itself once a deployment registers it again (workflows/index.ts), and may be terminated or deleted meanwhile`,
        },
      });
      b.clear("lease");
      b.timer("registry", now + (waited < REGISTRY_CHECK_MS.firstFor ? REGISTRY_CHECK_MS.first : REGISTRY_CHECK_MS.later));
      b.effects.push({ kind: "dropExecution" });
      if (!previous) b.effects.push({ kind: "log", level: "warn", message: `waits for a deployment that registers workflow "${cause.workflow}"` });
      return b.done();
    }
  }
}

function refuse(code: RefusalCode, status: Status | "absent"): Refusal {
  return { ok: false, code, status };
}

/** Collects one transition: the new state, row fields, timers and effects. */
class Builder {
  readonly state: LifecycleState;
  readonly effects: Effect[] = [];
  private changed = false;
  private write: RowWrite = {};
  private readonly set: Partial<Record<OwnTimer, number>> = {};
  private readonly cleared = new Set<OwnTimer>();

  constructor(
    private readonly from: LifecycleState,
    private readonly now: number,
  ) {
    this.state = { ...from };
  }

  /** Moves to `to` (checked against the transition table); the row changes when status or wait does. */
  move(to: Status, { waitingFor }: { waitingFor: WaitingFor | null }, write: RowWrite = {}): void {
    const from = this.state.status;
    if (from !== "absent" && from !== to && !canTransition(from, to)) {
      throw new Error(`the lifecycle machine tried an illegal status change ${from} → ${to}`);
    }
    const sameWait = JSON.stringify(this.state.waitingFor) === JSON.stringify(waitingFor);
    if (from !== to || !sameWait || write.reset || write.output !== undefined || write.error) this.changed = true;
    this.state.status = to;
    this.state.waitingFor = waitingFor;
    this.write = { ...this.write, ...write };
  }

  /** Ends the instance: retention starts, the parent is told, the slot given back. */
  finish(to: TerminalStatus, write: RowWrite): Step {
    this.state.stopping = null;
    this.move(to, { waitingFor: null }, { ...write, completedAt: this.now });
    this.clear("lease", "slot", "registry");
    this.timer("retention", this.now + this.from.retentionMs[to]);
    this.effects.push({ kind: "dropExecution" }, { kind: "clearStepTimers" });
    if (this.from.hasParent) {
      this.timer("parent", this.now);
      this.effects.push({ kind: "tellParent" });
    }
    if (this.from.slot !== null) {
      this.timer("release", this.now);
      this.effects.push({ kind: "releaseSlot", gate: this.from.slot });
    }
    return this.done();
  }

  /** The instance is gone: no state, no timer. */
  gone(): Step {
    return { ok: true, state: { ...ABSENT }, changed: false, write: {}, timers: { set: {}, clear: [...OWN_TIMERS] }, effects: [] };
  }

  timer(key: OwnTimer, at: number): void {
    this.set[key] = at;
    this.cleared.delete(key);
  }

  clear(...keys: OwnTimer[]): void {
    for (const key of keys) {
      delete this.set[key];
      this.cleared.add(key);
    }
  }

  done(): Step {
    if (this.changed) {
      this.effects.push({ kind: "pushIndex" });
      if (this.set.outbox === undefined) this.set.outbox = this.now + OUTBOX_LEASE_MS;
      this.cleared.delete("outbox");
    }
    return { ok: true, state: this.state, changed: this.changed, write: this.write, timers: { set: this.set, clear: [...this.cleared] }, effects: this.effects };
  }
}
