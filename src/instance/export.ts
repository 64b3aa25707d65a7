/**
 * The journal export: one page of an instance's history in the journal format
 * (src/journal/format.ts, docs/journal-format.md), as JSON text. Pages go through
 * the steps in call order (each with its failed attempts), then through the events
 * in arrival order; a page stops once it holds PAGE_BUDGET characters, so that an
 * instance of 10,000 steps with large results comes out in pages each well under
 * the RPC limit (32 MiB). Every page repeats the instance's fields.
 *
 * JSON values (input, output, results, payloads) are spliced in as the text the
 * journal holds, never parsed and written again.
 */
import type { StepRow as JournalStepRow } from "./journal.js";
import { JOURNAL_FORMAT, JOURNAL_VERSION } from "../journal/version.js";
import { tableExists } from "./schema.js";
import type { Sql } from "./sql.js";
import type { InstanceRow } from "./view.js";

/** Characters of JSON per page, past which a page ends (at least one item per page): at most 8 MiB over RPC. */
export const PAGE_BUDGET = 4 * 1024 * 1024;

export type JournalPageResult =
  | { ok: true; page: string }
  | { ok: false; code: "INSTANCE_NOT_FOUND" }
  | { ok: false; code: "INVALID_INPUT"; message: string };

/** Where a page starts: a step (`s:<seq>`) or an event (`e:<position>`). */
export const CURSOR_PATTERN = /^([se]):(\d{1,15})$/;

type StepRow = Omit<JournalStepRow, "sensitive" | "resolved_by"> & { resolved_by: string | null };
type AttemptRow = { seq: number; attempt: number; started_at: number; finished_at: number; error: string };
type EventRow = { position: number; id: string; type: string; payload: string | null; received_at: number; consumed_by: number | null };

const iso = (ms: number) => new Date(ms).toISOString();

/** `fields` as JSON, with each of `raw`'s JSON texts added under its key (null: left out). */
function withRaw(fields: Record<string, unknown>, raw: Record<string, string | null | undefined>): string {
  const text = JSON.stringify(fields);
  const extra = Object.entries(raw)
    .filter((entry): entry is [string, string] => typeof entry[1] === "string")
    .map(([key, value]) => `${JSON.stringify(key)}:${value}`)
    .join(",");
  if (!extra) return text;
  return text === "{}" ? `{${extra}}` : `${text.slice(0, -1)},${extra}}`;
}

function instanceText(row: InstanceRow, workflowVersion: string | undefined): string {
  return withRaw(
    {
      id: row.id,
      workflow: row.workflow,
      ...(workflowVersion !== undefined && { workflowVersion }),
      status: row.status,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      ...(row.completed_at !== null && { completedAt: iso(row.completed_at) }),
      ...(row.parent_id !== null && { parentId: row.parent_id }),
    },
    { tags: row.tags, input: row.input, output: row.output, error: row.error, waitingFor: row.waiting_for, forkedFrom: row.forked_from },
  );
}

function stepText(row: StepRow): string {
  return withRaw(
    {
      seq: row.seq,
      kind: row.kind,
      name: row.name,
      count: row.count,
      status: row.status,
      attempts: row.attempts,
      startedAt: iso(row.started_at),
      ...(row.attempt_started_at !== null && { attemptStartedAt: iso(row.attempt_started_at) }),
      ...(row.finished_at !== null && { finishedAt: iso(row.finished_at) }),
      ...(row.due_at !== null && { dueAt: iso(row.due_at) }),
      ...(row.event_type !== null && { eventType: row.event_type }),
    },
    { result: row.result, error: row.error, resolvedBy: row.resolved_by },
  );
}

function attemptText(row: AttemptRow): string {
  return withRaw({ seq: row.seq, attempt: row.attempt, startedAt: iso(row.started_at), finishedAt: iso(row.finished_at) }, { error: row.error });
}

function eventText(row: EventRow & { taken_result: string | null }): string {
  return withRaw(
    { id: row.id, type: row.type, timestamp: iso(row.received_at), ...(row.consumed_by !== null && { consumedBy: row.consumed_by }) },
    { payload: row.payload ?? takenPayload(row.taken_result) },
  );
}

/** A taken event's payload is kept once, in the result of the step.waitForEvent that took it. */
function takenPayload(result: string | null): string | null {
  if (result === null) return null;
  const payload = (JSON.parse(result) as { payload?: unknown }).payload;
  return payload === undefined ? null : JSON.stringify(payload);
}

/**
 * One page of the journal of the instance in `row`, from `cursor` (the first page
 * when absent). `budget` is for tests; `workflowVersion` is the running code's.
 */
export function journalPage(
  sql: Sql,
  row: InstanceRow,
  cursor: string | undefined,
  options: { workflowVersion?: string; budget?: number; now?: number } = {},
): JournalPageResult {
  const from = cursor === undefined ? { part: "s", at: 0 } : parseCursor(cursor);
  if (!from) return { ok: false, code: "INVALID_INPUT", message: `"${cursor}" is not a journal cursor; pass the nextCursor of the page before` };
  const budget = options.budget ?? PAGE_BUDGET;
  const head = `{"format":${JSON.stringify(JOURNAL_FORMAT)},"version":${JOURNAL_VERSION},"exportedAt":"${iso(options.now ?? Date.now())}","instance":${instanceText(row, options.workflowVersion)}`;
  let used = head.length;
  const steps: string[] = [];
  const attempts: string[] = [];
  const events: string[] = [];
  let next: string | null = null;
  const fits = (size: number) => steps.length + events.length === 0 || used + size <= budget;

  if (from.part === "s") {
    const withAttempts = tableExists(sql, "attempts");
    for (const step of sql.each<StepRow>("SELECT * FROM steps WHERE seq >= ? ORDER BY seq", from.at)) {
      const texts = [stepText(step)];
      const failed = withAttempts && (step.attempts > 1 || step.status === "failed" || step.status === "retrying");
      const own = failed ? sql.all<AttemptRow>("SELECT * FROM attempts WHERE seq = ? ORDER BY attempt", step.seq).map(attemptText) : [];
      const size = texts[0]!.length + own.reduce((sum, text) => sum + text.length + 1, 1);
      if (!fits(size)) {
        next = `s:${step.seq}`;
        break;
      }
      used += size;
      steps.push(...texts);
      attempts.push(...own);
    }
  }
  if (next === null && tableExists(sql, "inbox")) {
    const start = from.part === "e" ? from.at : 0;
    const query = `SELECT inbox.*, CASE WHEN inbox.payload IS NULL AND steps.kind = 'event' THEN steps.result END AS taken_result
      FROM inbox LEFT JOIN steps ON steps.seq = inbox.consumed_by WHERE inbox.position >= ? ORDER BY inbox.position`;
    for (const event of sql.each<EventRow & { taken_result: string | null }>(query, start)) {
      const text = eventText(event);
      if (!fits(text.length + 1)) {
        next = `e:${event.position}`;
        break;
      }
      used += text.length + 1;
      events.push(text);
    }
  }
  const page = `${head},"steps":[${steps.join(",")}],"attempts":[${attempts.join(",")}],"events":[${events.join(",")}],"nextCursor":${JSON.stringify(next)}}`;
  return { ok: true, page };
}

function parseCursor(cursor: string): { part: "s" | "e"; at: number } | undefined {
  const match = CURSOR_PATTERN.exec(cursor);
  return match ? { part: match[1] as "s" | "e", at: Number(match[2]) } : undefined;
}
