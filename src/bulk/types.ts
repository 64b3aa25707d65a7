/**
 * What crosses RPC between the API and a BulkJob: the action to apply to every
 * matching instance, and the job's progress as `GET /api/bulk/:id` shows it.
 */
import type { Status } from "../engine/status.js";
import type { SearchFilter } from "../index-db/queries.js";

export const BULK_ACTIONS = ["terminate", "restart", "pause", "resume", "delete", "event"] as const;

export type BulkAction =
  | { kind: "terminate"; rollback?: boolean }
  | { kind: "restart"; fromStep?: { name: string; count?: number } }
  | { kind: "pause" }
  | { kind: "resume" }
  | { kind: "delete" }
  /** `payload`: JSON text. `id`: the event's id in every instance (default: the job's), so a repeat is accepted once. */
  | { kind: "event"; type: string; payload?: string; id?: string };

/** Where a job stands: finding its instances, working through them, or done. */
export const BULK_STATUSES = ["snapshotting", "running", "completed", "cancelled"] as const;
export type BulkStatus = (typeof BULK_STATUSES)[number];

/** What became of one instance: not yet done, done, skipped (nothing to do, and why), or failed (and why). */
export const TARGET_STATES = ["pending", "done", "skipped", "failed"] as const;
export type TargetState = (typeof TARGET_STATES)[number];

export interface BulkSpec {
  id: string;
  filter: SearchFilter;
  action: BulkAction;
}

export interface ReasonCount {
  reason: string;
  count: number;
}

export interface BulkJobView {
  id: string;
  status: BulkStatus;
  /** The action as requested (an event's payload as JSON text: the API parses it). */
  action: BulkAction;
  filter: BulkFilterView;
  /** Instances the filter matched when the job took its snapshot (so far, while `snapshotting`). */
  matched: number;
  done: number;
  skipped: number;
  failed: number;
  /** Not reached yet (after a cancel: never will be). */
  pending: number;
  skippedReasons: ReasonCount[];
  failedReasons: ReasonCount[];
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  cancelledAt?: string;
}

/** A job's filter in the form `GET /api/instances` takes it. */
export interface BulkFilterView {
  workflow?: string;
  status: Status[];
  tag: string[];
  attr: string[];
  parent?: string;
  createdAfter?: string;
  createdBefore?: string;
}

export function filterView(f: SearchFilter): BulkFilterView {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    ...(f.workflow !== undefined && { workflow: f.workflow }),
    status: f.statuses,
    tag: f.tags.map((pair) => pair.join(":")),
    attr: (f.attributes ?? []).map((pair) => pair.join(":")),
    ...(f.parent !== undefined && { parent: f.parent }),
    ...(f.createdAfter !== undefined && { createdAfter: iso(f.createdAfter) }),
    ...(f.createdBefore !== undefined && { createdBefore: iso(f.createdBefore) }),
  };
}

export interface BulkTarget {
  id: string;
  state: TargetState;
  reason?: string;
  /** How many times the action was sent (more than once only after a crash or an unreachable instance). */
  tries: number;
}

export type CreateBulkResult = { created: boolean; job: BulkJobView };

export type CancelBulkResult = { ok: true; job: BulkJobView } | { ok: false; code: "BULK_NOT_FOUND" | "BULK_FINISHED"; status?: BulkStatus };
