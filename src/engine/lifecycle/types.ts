/**
 * The words of the lifecycle machine (machine.ts): the state it knows of an
 * instance, every cause that can happen to one, the effects the object runs after
 * writing a transition, and the timers' periods.
 */
import type { ErrorRecord } from "../errors.js";
import type { Status, TerminalStatus, WaitingFor } from "../status.js";

/** The object's own timers (step timers belong to the journal). */
export const OWN_TIMERS = ["outbox", "retention", "parent", "slot", "release", "registry", "lease", "debounce"] as const;
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
  /** Its workflow declares a concurrency limit or a throttle: it is admitted (`slot`) before it runs. */
  gated: boolean;
  /** How long a finished instance is kept, by final status. */
  retentionMs: Readonly<Record<TerminalStatus, number>>;
}

export type Cause =
  /** `debounceUntil`: a debounced start; it stays queued until then (`waitingFor.kind` `debounce`). */
  | { kind: "create"; debounceUntil?: number }
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
   * timeout), the recovery lease, or a wake-up after an eviction. `stepDue`: a step
   * timer is due (a waiting instance with none has nothing to do).
   */
  | { kind: "alarm"; advancing: boolean; stepDue: boolean }
  | { kind: "retentionDue" }
  | { kind: "outboxDue" }
  | { kind: "slotDue" }
  | { kind: "parentDue" }
  | { kind: "releaseDue" }
  | { kind: "registryDue" }
  | { kind: "slotGranted"; gate: string }
  /**
   * Not admitted yet: `wait` says what it waits for (a concurrency slot, or its turn
   * under a throttle); `retryAt`: when to ask again (by default after SLOT_CHECK_MS).
   */
  | { kind: "slotRefused"; wait?: "slot" | "throttle"; retryAt?: number }
  | { kind: "gateUnreachable"; message: string }
  | { kind: "slotKeyInvalid"; code: "CONCURRENCY_KEY_INVALID" | "THROTTLE_KEY_INVALID"; message: string }
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
  | { kind: "workflowMissing"; workflow: string }
  /** An operator gave the result of a step that failed the instance or waits to retry (journaled with this cause). */
  | { kind: "resolve" }
  /** Another start for the key of a debounced instance: its input was replaced, it starts at `until` instead. */
  | { kind: "debounce"; until: number }
  | { kind: "debounceDue" };

export type CauseKind = Cause["kind"];

/** Every cause kind, for tables that must cover them all. */
export const CAUSE_KINDS = [
  "create", "drive", "completed", "failed", "suspended", "threw", "event", "alarm",
  "retentionDue", "outboxDue", "slotDue", "parentDue", "releaseDue", "registryDue",
  "slotGranted", "slotRefused", "gateUnreachable", "slotKeyInvalid", "slotReleased", "releaseFailed",
  "parentTold", "parentUnreachable", "pause", "resume", "terminate", "restart", "delete", "purged", "purgeFailed",
  "workflowMissing", "resolve", "debounce", "debounceDue",
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

