/**
 * Drives the pure engine in tests: an in-memory journal and a clock that only
 * moves when the test says so.
 */
import { Execution, MemoryJournal, type Outcome, type StepRecord, type WorkflowDefinition } from "../../src/engine/index.js";
import { VirtualClock } from "../../src/testing.js";

/** The kit's virtual clock, moved by a number of milliseconds at a time. */
export class ManualClock extends VirtualClock {
  constructor(time = Date.UTC(2026, 0, 1)) {
    super(time);
  }
  /** Moves time forward, firing in-memory timers that fall due, in order. */
  advance(ms: number): void {
    this.moveTo(this.now() + ms);
  }
}

export interface Run {
  execution: Execution;
  journal: MemoryJournal;
  clock: ManualClock;
  outcome: Outcome;
}

/** Starts (or replays, given `records`) an execution and advances it once. */
export async function runOnce(
  workflow: WorkflowDefinition,
  input: unknown,
  options: { journal?: MemoryJournal; clock?: ManualClock; records?: StepRecord[]; id?: string } = {},
): Promise<Run> {
  const journal = options.journal ?? new MemoryJournal();
  for (const record of options.records ?? []) journal.save(record);
  const clock = options.clock ?? new ManualClock();
  const execution = new Execution(
    workflow,
    { id: options.id ?? "test-instance", createdAt: clock.now(), ...(input !== undefined && { input: JSON.stringify(input) }) },
    journal,
    clock,
  );
  const outcome = await execution.advance();
  return { execution, journal, clock, outcome };
}

export function completed(seq: number, name: string, result: unknown, count = 1): StepRecord {
  return { seq, name, count, kind: "do", status: "completed", attempts: 1, startedAt: 0, finishedAt: 1, result: JSON.stringify(result) };
}
