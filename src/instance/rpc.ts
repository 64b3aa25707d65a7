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
}

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
}

export type SendEventResult =
  | { ok: true; id: string; duplicate: boolean }
  | { ok: false; code: "INSTANCE_NOT_FOUND" }
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
  steps: StepView[];
}
