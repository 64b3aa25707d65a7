/**
 * Replays a journal document against a workflow's code on the pure engine, with no
 * side effect: no step function runs, no webhook is signed, no child starts. A
 * journaled step call returns its record, as in any replay; the first call the
 * journal has no record for yet (or a wait that would end now) is the frontier,
 * where the replay stops: everything up to it lined up.
 *
 * This is what the deploy check (`npm run check:deploy`) and the golden-file test
 * run: a change to a workflow that would break an instance in flight shows here as
 * a divergence, named as NON_DETERMINISTIC names it, before the change is deployed.
 */
import { NonDeterministicError, type ErrorRecord } from "../engine/errors.js";
import { Execution } from "../engine/execution.js";
import type { Clock, Outcome, Services } from "../engine/host.js";
import { MemoryJournal, type AttemptRecord, type StepRecord } from "../engine/journal.js";
import type { WorkflowDefinition, WorkflowStep } from "../engine/types.js";
import { toEngineJournal } from "./convert.js";
import type { JournalDocument } from "./format.js";

export type ReplayResult =
  /** The replay reached the end of what the journal holds, and would go on from there. */
  | { kind: "frontier"; replayed: number }
  /** The code calls another step than the journal holds at `position` (0-based). */
  | { kind: "diverged"; position: number; expected: string; found: string; error: ErrorRecord }
  /** The replay ended within the journal: completed, failed, or every step call waits. */
  | { kind: "outcome"; outcome: Outcome };

/** Thrown by the journal when the replay would write: it has gone past what the journal holds. */
class Frontier extends Error {
  readonly code = "REPLAY_FRONTIER";
  constructor() {
    super("the replay reached the end of the journal");
    this.name = "Frontier";
  }
}

/** The journal of a replay: every write means the replay reached the frontier. */
class ReadOnlyJournal extends MemoryJournal {
  override save(_record: StepRecord): void {
    throw new Frontier();
  }
  override saveAttempt(_attempt: AttemptRecord): void {
    throw new Frontier();
  }
  override saveBlob(): void {
    throw new Frontier();
  }
}

/** Time stands still at `now`: nothing sleeps, no step times out. */
function frozenClock(now: number): Clock {
  return { now: () => now, setTimer: () => () => {}, yield: () => new Promise((resolve) => setTimeout(resolve, 0)) };
}

const STEP_METHODS = ["do", "sleep", "sleepUntil", "waitForEvent", "webhook", "patched", "child", "setAttributes"] as const;

/** The step API with each call watched: the first NON_DETERMINISTIC error it throws is kept. */
function watched(step: WorkflowStep, seen: { divergence?: NonDeterministicError }): WorkflowStep {
  const wrapped = { ...step } as Record<(typeof STEP_METHODS)[number], (...args: unknown[]) => Promise<unknown>>;
  for (const method of STEP_METHODS) {
    const original = (step[method] as (...args: unknown[]) => Promise<unknown>).bind(step);
    wrapped[method] = (...args) => {
      const result = original(...args);
      result.catch((error: unknown) => {
        if (error instanceof NonDeterministicError) seen.divergence ??= error;
      });
      return result;
    };
  }
  return wrapped as unknown as WorkflowStep;
}

/**
 * Replays `document` against `workflow`'s code. `now` is the time the replay sees
 * (default: now): a sleep or timeout due by then counts as the frontier.
 */
export async function replayJournal(workflow: WorkflowDefinition, document: JournalDocument, options: { now?: number } = {}): Promise<ReplayResult> {
  const { instance, journal } = toEngineJournal(document);
  const store = new ReadOnlyJournal();
  for (const record of journal.records.values()) store.records.set(record.seq, record);
  store.attempts.push(...journal.attempts);
  store.inbox.push(...journal.inbox);

  const seen: { divergence?: NonDeterministicError } = {};
  const observed: WorkflowDefinition = { ...workflow, run: (event, step, ctx) => workflow.run(event, watched(step, seen), ctx) };
  const services: Services = {
    // A child the journal already started exists: asking again is a no-op.
    startChild: () => Promise.resolve(),
    mintWebhook: () => Promise.reject(new Frontier()),
  };
  const execution = new Execution(observed, instance, store, frozenClock(options.now ?? Date.now()), {}, services);
  let outcome: Outcome;
  try {
    outcome = await execution.advance();
  } catch (error) {
    if (error instanceof Frontier) return { kind: "frontier", replayed: store.records.size };
    throw error;
  }
  if (outcome.kind === "failed" && outcome.error.code === "NON_DETERMINISTIC" && seen.divergence) {
    const { position, expected, found } = seen.divergence;
    return { kind: "diverged", position, expected, found, error: outcome.error };
  }
  return { kind: "outcome", outcome };
}
