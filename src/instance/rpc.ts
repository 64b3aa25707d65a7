/**
 * What crosses RPC between the API and a WorkflowInstance. Errors come back as
 * values with a stable `code`, never as thrown classes (classes do not survive RPC).
 */
import type { ErrorRecord, Status, StepKind, StepStatus, WaitingFor } from "../engine/index.js";

export interface CreateRequest {
  id: string;
  workflow: string;
  /** JSON text of the input. */
  input?: string;
  tags: Record<string, string>;
  parentId?: string;
  /** Origin of the start request: the base of webhook URLs when PUBLIC_URL is not set. */
  origin?: string;
  /** A debounced start (src/flow/debounce.ts): the instance stays queued until then. */
  debounceUntil?: number;
}

/** A later start for the key of a debounced instance: its input (JSON text, null for none) and new start time. */
export interface DebounceRequest {
  input?: string;
  until: number;
}

export type DebounceResult = { ok: true; instance: InstanceSummary } | { ok: false; code: "INVALID_TRANSITION" | "INSTANCE_NOT_FOUND" };

export interface InstanceSummary {
  id: string;
  workflow: string;
  status: Status;
  createdAt: string;
}

export type CreateResult =
  | { ok: true; created: boolean; instance: InstanceSummary }
  | { ok: false; code: "INSTANCE_EXISTS"; workflow: string };

export interface SendEventRequest {
  type: string;
  /** JSON text of the payload. */
  payload?: string;
  id?: string;
  /**
   * For a webhook delivery: the generation its token was minted for (null for a
   * token minted before tokens carried one). An instance deleted and created again
   * under the same id has another generation, and refuses the old URLs.
   */
  generation?: string | null;
}

export type SendEventResult =
  | { ok: true; id: string; duplicate: boolean }
  | { ok: false; code: "INSTANCE_NOT_FOUND" }
  | { ok: false; code: "INBOX_FULL"; maxEvents: number; maxBytes: number }
  | { ok: false; code: "INSTANCE_FINISHED"; status: Status };

/** What any operator's request may carry. */
export interface OperatorRequest {
  /** The sender's id for this request: the same id again is not applied twice (answers `duplicate`). */
  requestId?: string;
}

export type LifecycleResult =
  | { ok: true; status: Status; duplicate?: boolean }
  | { ok: false; code: "INSTANCE_NOT_FOUND" }
  | { ok: false; code: "INVALID_TRANSITION"; status: Status }
  | { ok: false; code: "STEP_NOT_FOUND"; step: { name: string; count: number } };

export interface ForkedFrom {
  id: string;
  step?: { name: string; count: number };
}

export interface RestartRequest {
  /** Discard the journal from this step on (count 1 if absent); from the beginning when absent. */
  fromStep?: { name: string; count?: number };
}

export type DeleteResult =
  | { ok: true }
  | { ok: false; code: "INSTANCE_NOT_FOUND" }
  | { ok: false; code: "INDEX_UNAVAILABLE"; message: string };

export interface AttemptView {
  attempt: number;
  startedAt: string;
  finishedAt: string;
  error: ErrorRecord;
}

export interface StepView {
  name: string;
  count: number;
  kind: StepKind;
  /**
   * One of the journal's STEP_STATUSES: `running`, `retrying` (next attempt at
   * `until`), `sleeping`, `waiting` (for an event or a child, until `until`),
   * `completed`, `failed`, or `cancelled`: the attempt under way was cut off by a
   * terminate, restart or delete, and `error` says which (code TERMINATED,
   * RESTARTED or DELETED).
   */
  status: StepStatus;
  attempts: number;
  startedAt: string;
  finishedAt?: string;
  /** Next attempt, wake-up or event timeout. */
  until?: string;
  eventType?: string;
  /** The step's result; left out for a step configured `sensitive: "output"`. */
  result?: unknown;
  /** True for a step configured `sensitive: "output"`: its result is kept out of every view. */
  sensitive?: boolean;
  /**
   * Set when the result is too large for a view (over 64 KiB): `result` is left out,
   * `bytes` is its size, and `GET /api/instances/:id/steps/:seq` gives it whole.
   */
  truncated?: { bytes: number; seq: number };
  /** How many failed attempts the step has in all, when `failedAttempts` shows only the newest. */
  failedAttemptsTotal?: number;
  error?: ErrorRecord;
  /** Failed attempts, oldest first. */
  failedAttempts?: AttemptView[];
}

export interface InstanceView {
  id: string;
  workflow: string;
  status: Status;
  input?: unknown;
  output?: unknown;
  error?: ErrorRecord;
  waitingFor?: WaitingFor;
  tags: Record<string, string>;
  /** Search attributes, when it has any: declared from the input, and set with `step.setAttributes`. */
  attributes?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
  parentId?: string;
  /** For a fork: the instance it was copied from, and the step the copy stopped before. */
  forkedFrom?: ForkedFrom;
  /** For a queued instance of a workflow with a concurrency limit: its place in line (1 = next). */
  queue?: { position: number; key: string };
  /** The newest steps, in call order (at most 200); older ones by `olderSteps`. */
  steps: StepView[];
  /** How many steps the journal holds. */
  stepsTotal: number;
  /** When older steps exist: `GET /api/instances/:id/steps?before=<before>` pages back through them. */
  olderSteps?: { before: number };
}

/** A page of an instance's steps, oldest first (`GET /api/instances/:id/steps`). */
export interface StepsPage {
  steps: StepView[];
  stepsTotal: number;
  olderSteps?: { before: number };
}

/** What a view may show: a read-only reader never sees a capability (webhook URLs and tokens). */
export interface ReadOptions {
  access?: "full" | "readonly";
  /** Steps before this position (a page further back). */
  before?: number;
  limit?: number;
}
