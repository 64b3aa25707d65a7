/**
 * Between the journal format and the engine's records: a document becomes an
 * in-memory journal the engine replays, and an engine's journal (the test kit's)
 * becomes a document. JSON values in a document are the parsed form of the texts
 * the engine keeps; the engine wrote those texts with JSON.stringify, so the round
 * trip gives back the same text.
 */
import type { ErrorRecord } from "../engine/errors.js";
import type { InstanceInput, Outcome } from "../engine/host.js";
import { MemoryJournal, type AttemptRecord, type InboxEvent, type StepRecord } from "../engine/journal.js";
import { JOURNAL_FORMAT, JOURNAL_VERSION, stepEntry, type JournalDocument } from "./format.js";

const ms = (time: string) => Date.parse(time);
const iso = (time: number) => new Date(time).toISOString();
const text = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value));

/** The engine's view of a document: what the instance was started with, and its journal in memory. */
export function toEngineJournal(document: JournalDocument): { instance: InstanceInput; journal: MemoryJournal } {
  const journal = new MemoryJournal();
  for (const step of document.steps) {
    const record: StepRecord = {
      seq: step.seq,
      name: step.name,
      count: step.count,
      kind: step.kind,
      status: step.status,
      attempts: step.attempts,
      startedAt: ms(step.startedAt),
    };
    if (step.attemptStartedAt !== undefined) record.attemptStartedAt = ms(step.attemptStartedAt);
    if (step.finishedAt !== undefined) record.finishedAt = ms(step.finishedAt);
    if (step.dueAt !== undefined) record.dueAt = ms(step.dueAt);
    if (step.eventType !== undefined) record.eventType = step.eventType;
    if ("result" in step && step.result !== undefined) record.result = text(step.result);
    if (step.error !== undefined) record.error = step.error as ErrorRecord;
    journal.save(record);
  }
  for (const attempt of document.attempts) {
    journal.attempts.push({ ...attempt, startedAt: ms(attempt.startedAt), finishedAt: ms(attempt.finishedAt), error: attempt.error as ErrorRecord });
  }
  for (const event of document.events) {
    const payload = text(event.payload);
    journal.inbox.push({
      id: event.id,
      type: event.type,
      timestamp: ms(event.timestamp),
      ...(payload !== undefined && { payload }),
      ...(event.consumedBy !== undefined && { consumedBy: event.consumedBy }),
    });
  }
  const input = text(document.instance.input);
  return {
    instance: { id: document.instance.id, createdAt: ms(document.instance.createdAt), ...(input !== undefined && { input }) },
    journal,
  };
}

/** What an instance's outcome looks like in a document's `instance` fields. */
export function outcomeFields(outcome: Outcome): Pick<JournalDocument["instance"], "status" | "output" | "error" | "waitingFor"> {
  if (outcome.kind === "completed") return { status: "completed", ...(outcome.output !== undefined && { output: JSON.parse(outcome.output) as unknown }) };
  if (outcome.kind === "failed") return { status: "failed", error: outcome.error };
  return { status: "waiting", ...(outcome.waitingFor && { waitingFor: outcome.waitingFor }) };
}

/** A document from an engine's journal in memory, e.g. a test kit run. */
export function toJournalDocument(source: {
  instance: InstanceInput & { workflow: string; workflowVersion?: string; tags?: Record<string, string> };
  outcome: Outcome;
  records: StepRecord[];
  attempts: AttemptRecord[];
  inbox: (InboxEvent & { consumedBy?: number })[];
  scenario?: string;
  exportedAt?: number;
}): JournalDocument {
  const { instance } = source;
  const created = iso(instance.createdAt);
  const { status, ...ending } = outcomeFields(source.outcome);
  return {
    format: JOURNAL_FORMAT,
    version: JOURNAL_VERSION,
    exportedAt: iso(source.exportedAt ?? instance.createdAt),
    ...(source.scenario !== undefined && { scenario: source.scenario }),
    instance: {
      id: instance.id,
      workflow: instance.workflow,
      ...(instance.workflowVersion !== undefined && { workflowVersion: instance.workflowVersion }),
      status,
      ...(instance.input !== undefined && { input: JSON.parse(instance.input) as unknown }),
      ...ending,
      tags: instance.tags ?? {},
      createdAt: created,
      updatedAt: created,
    },
    steps: [...source.records]
      .sort((a, b) => a.seq - b.seq)
      .map((r) => stepEntry(r, r.result === undefined ? {} : { value: JSON.parse(r.result) as unknown })),
    attempts: source.attempts.map((a) => ({ ...a, startedAt: iso(a.startedAt), finishedAt: iso(a.finishedAt) })),
    events: source.inbox.map((e) => ({
      id: e.id,
      type: e.type,
      timestamp: iso(e.timestamp),
      ...(e.payload !== undefined && { payload: JSON.parse(e.payload) as unknown }),
      ...(e.consumedBy !== undefined && { consumedBy: e.consumedBy }),
    })),
  };
}
