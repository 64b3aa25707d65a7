/**
 * Drives the pure engine in tests: an in-memory journal and a clock that only
 * moves when the test says so.
 */
import { Execution, MemoryJournal, type Clock, type Outcome, type StepRecord, type WorkflowDefinition } from "../../src/engine/index.js";

export class ManualClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;
  constructor(public time = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.time;
  }
  setTimer(ms: number, fn: () => void): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  }
  yield(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, 0));
  }
  /** Moves time forward, firing in-memory timers that fall due, in order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = until;
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
