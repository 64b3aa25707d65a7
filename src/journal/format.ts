/**
 * The journal format: an instance's whole history as one JSON document, versioned,
 * for export (`GET /api/instances/:id/journal`), the deploy check, golden files and
 * forks. docs/journal-format.md describes it field by field.
 *
 * A reader accepts every version up to JOURNAL_VERSION and refuses a newer one by
 * name; a new version only ever adds optional fields, or gets a reader of its own here.
 */
import { z } from "zod";
import { once } from "../lib/once.js";
import { ErrorRecord, Status, WaitingFor } from "../api/responses.js";
import { STEP_KINDS, STEP_STATUSES, type StepRecord } from "../engine/journal.js";
import { JOURNAL_FORMAT, JOURNAL_VERSION } from "./version.js";

export { JOURNAL_FORMAT, JOURNAL_VERSION };

const time = once(() => z.string().meta({ format: "date-time", description: "ISO 8601 time (UTC), to the millisecond" }));
/** A JSON value as the journal holds it; absent stands for `undefined`. */
const json = once(() => z.unknown());

export const JournalStep = once(() =>
  z
    .object({
      seq: z.number().int().min(0).meta({ description: "Position in the workflow's sequence of step calls (0-based)" }),
      kind: z.enum(STEP_KINDS),
      name: z.string(),
      count: z.number().int().min(1).meta({ description: "1 for the first call with this name, 2 for the second, …" }),
      status: z.enum(STEP_STATUSES),
      attempts: z.number().int().min(0).meta({ description: "Attempts started (step.do)" }),
      startedAt: time(),
      attemptStartedAt: time().optional(),
      finishedAt: time().optional(),
      dueAt: time().optional().meta({ description: "Next attempt, wake-up, or event timeout" }),
      eventType: z.string().optional(),
      result: json().optional().meta({ description: "The step's result: plain JSON, or `{ $devalue }` / `{ $stream }` for what JSON cannot hold (docs/journal-format.md); absent for none" }),
      error: ErrorRecord().optional(),
      resolvedBy: z
        .object({ by: z.string(), at: time() })
        .optional()
        .meta({ description: "Set when an operator gave the result (`POST /api/instances/:id/steps/resolve`): who, and when" }),
    })
    .meta({ id: "JournalStep" }),
);

export const JournalAttempt = once(() =>
  z
    .object({ seq: z.number().int().min(0), attempt: z.number().int().min(1), startedAt: time(), finishedAt: time(), error: ErrorRecord() })
    .meta({ id: "JournalAttempt", description: "A failed attempt of the step at `seq`" }),
);

export const JournalEvent = once(() =>
  z
    .object({
      id: z.string(),
      type: z.string(),
      timestamp: time().meta({ description: "When the event was accepted" }),
      payload: json().optional(),
      consumedBy: z.number().int().min(0).optional().meta({ description: "The step (seq) that received it; absent while it waits in the inbox" }),
    })
    .meta({ id: "JournalEvent" }),
);

export const JournalInstance = once(() =>
  z
    .object({
      id: z.string(),
      workflow: z.string(),
      workflowVersion: z.string().optional().meta({ description: "The `version` of the workflow as the exporting deployment has it" }),
      status: Status(),
      input: json().optional(),
      output: json().optional(),
      error: ErrorRecord().optional(),
      waitingFor: WaitingFor().optional(),
      tags: z.record(z.string(), z.string()),
      createdAt: time(),
      updatedAt: time(),
      completedAt: time().optional(),
      parentId: z.string().optional(),
      forkedFrom: z.object({ id: z.string(), step: z.object({ name: z.string(), count: z.number().int() }).optional() }).optional(),
    })
    .meta({ id: "JournalInstance" }),
);

export const JournalDocument = once(() =>
  z
    .object({
      format: z.literal(JOURNAL_FORMAT),
      version: z.literal(JOURNAL_VERSION),
      exportedAt: time(),
      /** Set by recordings (golden files): what the journal shows. */
      scenario: z.string().optional(),
      instance: JournalInstance(),
      steps: z.array(JournalStep()),
      attempts: z.array(JournalAttempt()),
      events: z.array(JournalEvent()),
    })
    .meta({ id: "Journal", description: `An instance's history, format "${JOURNAL_FORMAT}" version ${JOURNAL_VERSION} (docs/journal-format.md)` }),
);

export const JournalPage = once(() =>
  JournalDocument()
    .extend({ nextCursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last page" }) })
    .meta({ id: "JournalPage", description: "One page of an instance's journal: the instance, and the next steps, their failed attempts and events" }),
);

export type JournalDocument = z.output<ReturnType<typeof JournalDocument>>;
export type JournalPage = z.output<ReturnType<typeof JournalPage>>;
export type JournalStep = z.output<ReturnType<typeof JournalStep>>;
export type JournalEvent = z.output<ReturnType<typeof JournalEvent>>;

/** The error a journal that cannot be read throws, with what is wrong and what to do. */
export class JournalFormatError extends Error {
  readonly code = "JOURNAL_UNREADABLE";
  constructor(message: string) {
    super(message);
    this.name = "JournalFormatError";
  }
}

/**
 * Reads a journal document: this format (any version up to JOURNAL_VERSION), or the
 * plain journal that golden files held before it (`records`, `inbox`, `outcome`).
 */
export function readJournal(value: unknown, source = "the journal"): JournalDocument {
  const candidate = value as { format?: unknown; version?: unknown; records?: unknown } | null;
  if (candidate && typeof candidate === "object" && candidate.format === JOURNAL_FORMAT) {
    if (typeof candidate.version === "number" && candidate.version > JOURNAL_VERSION) {
      throw new JournalFormatError(`${source} is ${JOURNAL_FORMAT} version ${candidate.version}; this code reads up to version ${JOURNAL_VERSION}: update Cairn`);
    }
    const parsed = JournalDocument().safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    throw new JournalFormatError(`${source} is not a valid ${JOURNAL_FORMAT}: ${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  if (candidate && typeof candidate === "object" && Array.isArray(candidate.records)) return fromPlainJournal(value as PlainJournal);
  throw new JournalFormatError(`${source} is neither a ${JOURNAL_FORMAT} document nor a plain journal (with "records")`);
}

/** The plain journal golden files held before this format: the engine's records as they were. */
interface PlainJournal {
  workflow: string;
  version?: string | null;
  scenario?: string;
  input?: unknown;
  outcome?: { kind: "completed"; output?: string } | { kind: "failed"; error: z.output<ReturnType<typeof ErrorRecord>> } | { kind: "suspended" };
  records: { seq: number; name: string; count: number; kind: string; status: string; attempts: number; startedAt: number; attemptStartedAt?: number; finishedAt?: number; dueAt?: number; eventType?: string; result?: string; error?: z.output<ReturnType<typeof ErrorRecord>> }[];
  attempts?: { seq: number; attempt: number; startedAt: number; finishedAt: number; error: z.output<ReturnType<typeof ErrorRecord>> }[];
  inbox?: { id: string; type: string; timestamp: number; payload?: string; consumedBy?: number }[];
}

/** The start time of plain golden journals, which did not record one. */
const PLAIN_START = Date.UTC(2026, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const parsed = (text: string | undefined) => (text === undefined ? {} : { value: JSON.parse(text) as unknown });

function fromPlainJournal(plain: PlainJournal): JournalDocument {
  const outcome = plain.outcome;
  const status = outcome?.kind === "completed" ? "completed" : outcome?.kind === "failed" ? "failed" : "waiting";
  const output = outcome?.kind === "completed" ? parsed(outcome.output) : {};
  const document = {
    format: JOURNAL_FORMAT,
    version: JOURNAL_VERSION,
    exportedAt: iso(PLAIN_START),
    ...(plain.scenario !== undefined && { scenario: plain.scenario }),
    instance: {
      id: `test-${plain.workflow}`,
      workflow: plain.workflow,
      ...(plain.version != null && { workflowVersion: plain.version }),
      status,
      ...(plain.input !== undefined && { input: plain.input }),
      ...("value" in output && { output: output.value }),
      ...(outcome?.kind === "failed" && { error: outcome.error }),
      tags: {},
      createdAt: iso(PLAIN_START),
      updatedAt: iso(PLAIN_START),
    },
    // A plain golden journal's kinds and statuses are the engine's; the document is validated when read.
    steps: plain.records.map((r) => stepEntry(r as Omit<StepRecord, "result">, parsed(r.result))),
    attempts: (plain.attempts ?? []).map((a) => ({ ...a, startedAt: iso(a.startedAt), finishedAt: iso(a.finishedAt) })),
    events: (plain.inbox ?? []).map((e) => {
      const payload = parsed(e.payload);
      return {
        id: e.id,
        type: e.type,
        timestamp: iso(e.timestamp),
        ...("value" in payload && { payload: payload.value }),
        ...(e.consumedBy !== undefined && { consumedBy: e.consumedBy }),
      };
    }),
  };
  return readJournal(document, `the plain journal of ${plain.workflow}`);
}

/** A journal record as the document's step, its result already read (`{}` when it has none). */
export function stepEntry(r: Omit<StepRecord, "result">, result: { value?: unknown }): JournalDocument["steps"][number] {
  return {
    seq: r.seq,
    kind: r.kind,
    name: r.name,
    count: r.count,
    status: r.status,
    attempts: r.attempts,
    startedAt: iso(r.startedAt),
    ...(r.attemptStartedAt !== undefined && { attemptStartedAt: iso(r.attemptStartedAt) }),
    ...(r.finishedAt !== undefined && { finishedAt: iso(r.finishedAt) }),
    ...(r.dueAt !== undefined && { dueAt: iso(r.dueAt) }),
    ...(r.eventType !== undefined && { eventType: r.eventType }),
    ...("value" in result && { result: result.value }),
    ...(r.error !== undefined && { error: r.error }),
  };
}
