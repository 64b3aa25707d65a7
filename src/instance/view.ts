/**
 * The instance as the API shows it: values as readable JSON (`displayValue`: a Date,
 * a Map, a stream… named by `$type`), times as ISO strings.
 */
import { displayValue, type AttemptRecord, type ErrorRecord, type StepRecord, type Status, type WaitingFor } from "../engine/index.js";
import type { ViewPage } from "./journal.js";
import type { ForkedFrom, InstanceView, StepsPage, StepView } from "./rpc.js";

export type InstanceRow = {
  id: string;
  workflow: string;
  status: Status;
  input: string | null;
  output: string | null;
  error: string | null;
  waiting_for: string | null;
  tags: string;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  version: number;
  parent_id: string | null;
  origin: string | null;
  stopping: string | null;
  slot: string | null;
  /** JSON of `{ id, step? }` for a fork. */
  forked_from: string | null;
  /** Made when the instance is created; its webhook tokens carry it (null for instances created before). */
  generation: string | null;
  /** JSON object of the search attributes (declared from the input, and set by the workflow). */
  attributes: string;
};

const iso = (ms: number) => new Date(ms).toISOString();

/** The instance as the API shows it, with one page of its steps. */
export function toInstanceView(row: InstanceRow, page: ViewPage): InstanceView {
  const view: InstanceView = {
    id: row.id,
    workflow: row.workflow,
    status: row.status,
    tags: JSON.parse(row.tags) as Record<string, string>,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    ...toStepsPage(page),
  };
  if (row.input !== null) view.input = displayValue(row.input);
  if (row.output !== null) view.output = displayValue(row.output);
  if (row.error !== null) view.error = JSON.parse(row.error) as ErrorRecord;
  if (row.waiting_for !== null) view.waitingFor = JSON.parse(row.waiting_for) as WaitingFor;
  if (row.completed_at !== null) view.completedAt = iso(row.completed_at);
  if (row.parent_id !== null) view.parentId = row.parent_id;
  if (row.forked_from !== null) view.forkedFrom = JSON.parse(row.forked_from) as ForkedFrom;
  return view;
}

/** A page of steps as the API shows it. */
export function toStepsPage(page: ViewPage): StepsPage {
  const failedBySeq = new Map<number, AttemptRecord[]>();
  for (const attempt of page.attempts) {
    const list = failedBySeq.get(attempt.seq) ?? [];
    list.push(attempt);
    failedBySeq.set(attempt.seq, list);
  }
  return {
    steps: page.records.map((r) => {
      const step = toStepView(r, failedBySeq.get(r.seq));
      const bytes = page.omitted.get(r.seq);
      if (bytes !== undefined && !r.sensitive) step.truncated = { bytes, seq: r.seq };
      const total = page.attemptTotals.get(r.seq);
      if (total !== undefined && total > (step.failedAttempts?.length ?? 0)) step.failedAttemptsTotal = total;
      return step;
    }),
    stepsTotal: page.total,
    ...(page.olderBefore !== undefined && { olderSteps: { before: page.olderBefore } }),
  };
}

export function toStepView(r: StepRecord, failed: AttemptRecord[] | undefined): StepView {
  const view: StepView = {
    name: r.name,
    count: r.count,
    kind: r.kind,
    status: r.status,
    attempts: r.attempts,
    startedAt: iso(r.startedAt),
  };
  if (r.finishedAt !== undefined) view.finishedAt = iso(r.finishedAt);
  if (r.dueAt !== undefined) view.until = iso(r.dueAt);
  if (r.eventType !== undefined) view.eventType = r.eventType;
  // A sensitive step's result stays in the journal for the workflow's replays, never in a view.
  if (r.sensitive) view.sensitive = true;
  else if (r.result !== undefined) view.result = displayValue(r.result);
  if (r.error !== undefined) view.error = r.error;
  if (failed?.length) {
    view.failedAttempts = failed.map((a) => ({
      attempt: a.attempt,
      startedAt: iso(a.startedAt),
      finishedAt: iso(a.finishedAt),
      error: a.error,
    }));
  }
  return view;
}
