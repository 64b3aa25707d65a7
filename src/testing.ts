/**
 * The test kit for workflow authors: run a workflow in a unit test with virtual
 * time, send it events, mock its steps, and check that it is safe to replay.
 *
 * @example
 * import { testWorkflow, checkReplaySafety } from "../src/testing";
 *
 * const run = testWorkflow(approval, { input: { request: "laptop", amountCents: 1, approver: "dana" } });
 * await run.run();                                   // stops at the wait for "decision"
 * run.sendEvent("decision", { approved: true, by: "dana" });
 * await run.run();
 * expect(run.output).toEqual({ approved: true, decidedBy: "dana", outcome: "approved" });
 *
 * await checkReplaySafety(approval, { input, events: [{ type: "decision", payload: { approved: false, by: "lee" } }] });
 *
 * Nothing here imports `cloudflare:*`: it runs anywhere the engine runs.
 */
import { toMs, type Duration } from "./engine/durations.js";
import { JournaledError, type ErrorRecord } from "./engine/errors.js";
import { Execution } from "./engine/execution.js";
import { CHILD_EVENT_PREFIX, type ChildFinished, type ChildStart, type Clock, type Outcome, type Services } from "./engine/host.js";
import { MemoryJournal, type StepRecord } from "./engine/journal.js";
import { parseResult, serializeResult } from "./engine/serialize.js";
import { stepResult } from "./engine/streams.js";
import type { WorkflowDefinition } from "./engine/types.js";

/** Time that moves only when the kit moves it; in-memory timers fire as it passes them. */
export class VirtualClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;
  constructor(private time: number) {}

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
  /** When the next in-memory timer (a step's timeout) falls due. */
  nextTimer(): number | undefined {
    return this.timers.reduce<number | undefined>((min, t) => (min === undefined || t.at < min ? t.at : min), undefined);
  }
  /** Moves to `at` (never backwards), firing the timers it passes, in order. */
  moveTo(at: number): void {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= at).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = Math.max(this.time, at);
  }
}

/** How a mocked step answers: a result, an error, or failing its first attempts. */
export type StepMock = { result: unknown } | { error: unknown } | { failTimes: number; error?: unknown; result?: unknown };

export interface TestOptions<Input> {
  input?: Input;
  env?: unknown;
  /** Virtual start time. Default 2026-01-01T00:00:00Z. */
  start?: Date;
  id?: string;
  /** Step mocks by step name (every call with that name) or by `name#count`. */
  mocks?: Record<string, StepMock>;
  /** Continue from this journal (a replay), as after a crash. */
  journal?: MemoryJournal;
  /** Workflows that `step.child` may start; each child runs to its end in the same virtual time. */
  workflows?: Readonly<Record<string, WorkflowDefinition>>;
}

export interface RunOptions {
  /** Also let event waits run into their timeout (virtual time skips ahead to it). Default false. */
  timeoutEventWaits?: boolean;
  /** Stop once virtual time reaches this far from now. Default 1 year. */
  horizon?: Duration | string;
}

const DEFAULT_START = Date.UTC(2026, 0, 1);
/** Real time a step may take before the kit decides it hangs and lets its timeout fire. */
const HANG_GRACE_MS = 25;

export class WorkflowTestRun<Input = unknown, Output = unknown> {
  readonly clock: VirtualClock;
  readonly journal: MemoryJournal;
  readonly id: string;
  private execution: Execution;
  private last: Outcome = { kind: "suspended" };
  private readonly mocks: Record<string, StepMock>;
  private eventCounter = 0;
  /** Children started so far: starting one again does nothing, as in production. */
  private readonly children = new Set<string>();
  /** Children running right now: virtual time stands still for them. */
  private childrenRunning = 0;

  constructor(
    private readonly workflow: WorkflowDefinition<Input, Output>,
    private readonly options: TestOptions<Input> = {},
  ) {
    this.clock = new VirtualClock(options.start?.getTime() ?? DEFAULT_START);
    this.journal = options.journal ?? new MemoryJournal();
    this.id = options.id ?? `test-${workflow.name}`;
    this.mocks = { ...options.mocks };
    this.execution = this.newExecution();
  }

  /** Replaces a step's function: by name, or `name#count` for one call. */
  mockStep(name: string, mock: StepMock): this {
    this.mocks[name] = mock;
    return this;
  }

  /** Puts an event in the instance's inbox, as `POST /api/instances/:id/events` does. */
  sendEvent(type: string, payload?: unknown, id = `event-${++this.eventCounter}`): boolean {
    const added = this.journal.addEvent({
      id,
      type,
      timestamp: this.clock.now(),
      ...(payload !== undefined && { payload: JSON.stringify(payload) }),
    });
    this.execution.poll();
    return added;
  }

  /**
   * Runs until the workflow completes or fails, or waits for an event that is not in
   * the inbox. Sleeps, retry backoffs and step timeouts pass in virtual time.
   */
  async run(options: RunOptions = {}): Promise<Outcome> {
    const horizon = this.clock.now() + toMs(options.horizon ?? "365 days", "horizon");
    for (;;) {
      this.last = await this.advanceOnce();
      if (this.last.kind !== "suspended") return this.last;
      const waitsForEvent = this.last.waitingFor?.kind === "event";
      if (waitsForEvent && !options.timeoutEventWaits) return this.last;
      const next = this.last.wakeAt;
      if (next === undefined || next > horizon) return this.last;
      this.clock.moveTo(next);
    }
  }

  /** Moves virtual time forward (timers that fall due fire on the next `run`). */
  advance(duration: Duration | string): this {
    this.clock.moveTo(this.clock.now() + toMs(duration, "advance"));
    return this;
  }

  /** Drops the execution from memory, as an eviction or a crash would; the next `run` replays. */
  crash(): this {
    this.execution.abort(new Error("simulated crash"), { journal: false });
    this.execution = this.newExecution();
    return this;
  }

  get outcome(): Outcome {
    return this.last;
  }
  get status(): "completed" | "failed" | "waiting" {
    return this.last.kind === "suspended" ? "waiting" : this.last.kind;
  }
  get output(): Output | undefined {
    return this.last.kind === "completed" ? (parseResult(this.last.output) as Output) : undefined;
  }
  get error(): ErrorRecord | undefined {
    return this.last.kind === "failed" ? this.last.error : undefined;
  }
  /** The journal, in call order. */
  get steps(): StepRecord[] {
    return [...this.journal.records.values()].sort((a, b) => a.seq - b.seq);
  }
  /** The journaled result of a step (count 1 unless given). */
  result(name: string, count = 1): unknown {
    const record = this.steps.find((r) => r.name === name && r.count === count);
    if (record?.status === "failed") throw new JournaledError(record.error!);
    return record && stepResult({ readBlob: (seq, part) => this.journal.loadBlob(seq, part) }, record);
  }

  private newExecution(): Execution {
    const services: Services = {
      mockStep: (step, attempt) => this.answerMock(step, attempt),
      startChild: (child) => this.runChild(child),
      mintWebhook: async ({ eventType, expiresAt }) => {
        const token = `test-token.${this.id}.${eventType}.${expiresAt}`;
        return { url: `https://cairn.test/hooks/${token}`, token };
      },
    };
    return new Execution(
      this.workflow as WorkflowDefinition,
      {
        id: this.id,
        createdAt: this.options.start?.getTime() ?? DEFAULT_START,
        ...(this.options.input !== undefined && { input: serializeResult(this.options.input, "the test's input", "input") }),
      },
      this.journal,
      this.clock,
      this.options.env ?? {},
      services,
    );
  }

  /** Runs a child to its end and puts its outcome in this instance's inbox, as a finished child does. */
  private async runChild(child: ChildStart): Promise<void> {
    if (this.children.has(child.id)) return;
    const definition = this.options.workflows?.[child.workflow];
    if (!definition) throw new Error(`no workflow "${child.workflow}" to run child ${child.id}: pass it in the test's { workflows }`);
    this.children.add(child.id);
    this.childrenRunning++;
    const run = new WorkflowTestRun(definition, {
      id: child.id,
      start: new Date(this.clock.now()),
      ...(child.input !== undefined && { input: parseResult(child.input) }),
      ...(this.options.workflows && { workflows: this.options.workflows }),
      ...(this.options.mocks && { mocks: this.options.mocks }),
    });
    const outcome = await run.run({ timeoutEventWaits: true }).finally(() => this.childrenRunning--);
    const finished: ChildFinished =
      outcome.kind === "completed"
        ? { status: "completed", ...(outcome.output !== undefined && { output: outcome.output }) }
        : outcome.kind === "failed"
          ? { status: "failed", error: outcome.error }
          : { status: "failed", error: { name: "Error", code: "CHILD_STUCK", message: `child ${child.id} waits for an event the test never sends` } };
    this.journal.addEvent({ id: `child-finished:${child.id}`, type: `${CHILD_EVENT_PREFIX}${child.id}`, payload: JSON.stringify(finished), timestamp: this.clock.now() });
    queueMicrotask(() => this.execution.poll());
  }

  private answerMock(step: { name: string; count: number }, attempt: number): { result: unknown } | { error: unknown } | undefined {
    const mock = this.mocks[`${step.name}#${step.count}`] ?? this.mocks[step.name];
    if (!mock) return undefined;
    if ("failTimes" in mock) {
      if (attempt <= mock.failTimes) return { error: mock.error ?? new Error(`mocked failure of "${step.name}" (attempt ${attempt})`) };
      return "result" in mock ? { result: mock.result } : undefined;
    }
    return mock;
  }

  /** One `advance()`, letting virtual time pass for steps that hang until their timeout. */
  private async advanceOnce(): Promise<Outcome> {
    let settled = false;
    const pending = this.execution.advance().finally(() => {
      settled = true;
    });
    while (!settled) {
      await new Promise((resolve) => setTimeout(resolve, HANG_GRACE_MS));
      const next = this.clock.nextTimer();
      if (!settled && next !== undefined && this.childrenRunning === 0) this.clock.moveTo(next);
    }
    return pending;
  }
}

export function testWorkflow<Input, Output>(workflow: WorkflowDefinition<Input, Output>, options: TestOptions<Input> = {}) {
  return new WorkflowTestRun<Input, Output>(workflow, options);
}

export interface ReplayScenario<Input> {
  input?: Input;
  env?: unknown;
  mocks?: Record<string, StepMock>;
  /** Delivered in order, each when the workflow waits for an event of its type. */
  events?: { type: string; payload?: unknown }[];
  /** Let event waits with no scripted event run into their timeout. Default true. */
  timeoutEventWaits?: boolean;
  /** Workflows that `step.child` may start. */
  workflows?: Readonly<Record<string, WorkflowDefinition>>;
}

export interface ReplayReport {
  /** Step boundaries at which the run was crashed and replayed. */
  boundaries: number;
  outcome: Outcome;
}

/** Runs a scenario to its end, delivering scripted events when the workflow waits for them. */
async function runScenario<Input>(run: WorkflowTestRun<Input>, scenario: ReplayScenario<Input>, delivered: { count: number }): Promise<Outcome> {
  const events = scenario.events ?? [];
  for (;;) {
    const outcome = await run.run({ timeoutEventWaits: false });
    if (outcome.kind !== "suspended") return outcome;
    const next = events[delivered.count];
    if (outcome.waitingFor?.kind === "event" && next && next.type === outcome.waitingFor.eventType) {
      delivered.count++;
      run.sendEvent(next.type, next.payload, `scripted-${delivered.count}`);
      continue;
    }
    if (scenario.timeoutEventWaits === false) return outcome;
    return run.run({ timeoutEventWaits: true });
  }
}

/**
 * Checks that a workflow survives a crash at every step boundary: runs the scenario
 * once, then for each point where a step's outcome was journaled, replays from the
 * journal as it stood there and runs to the end. Every replay must reach the same
 * outcome, and none may fail with NON_DETERMINISTIC.
 */
export async function checkReplaySafety<Input>(workflow: WorkflowDefinition<Input>, scenario: ReplayScenario<Input> = {}): Promise<ReplayReport> {
  const snapshots: { journal: MemoryJournal; delivered: number; time: number }[] = [];
  const delivered = { count: 0 };
  const reference = testWorkflow(workflow, { ...scenario, journal: new SnapshottingJournal(snapshots, delivered) });
  const snapshotter = reference.journal as SnapshottingJournal;
  snapshotter.clock = reference.clock;
  const outcome = await runScenario(reference, scenario, delivered);

  for (const [index, snapshot] of snapshots.entries()) {
    const replay = testWorkflow(workflow, { ...scenario, journal: snapshot.journal, start: new Date(DEFAULT_START) });
    replay.clock.moveTo(snapshot.time);
    const replayed = await runScenario(replay, scenario, { count: snapshot.delivered });
    if (replayed.kind === "failed" && replayed.error.code === "NON_DETERMINISTIC") {
      throw new Error(`replay from step boundary ${index + 1} of ${snapshots.length} is not deterministic: ${replayed.error.message}`);
    }
    if (JSON.stringify(replayed) !== JSON.stringify(outcome)) {
      throw new Error(
        `replay from step boundary ${index + 1} of ${snapshots.length} ended differently:\n  first run: ${JSON.stringify(outcome)}\n  replay:    ${JSON.stringify(replayed)}`,
      );
    }
  }
  return { boundaries: snapshots.length, outcome };
}

/** A memory journal that keeps a copy of itself each time a step's outcome is journaled. */
class SnapshottingJournal extends MemoryJournal {
  clock?: VirtualClock;
  constructor(
    private readonly snapshots: { journal: MemoryJournal; delivered: number; time: number }[],
    private readonly delivered: { count: number },
  ) {
    super();
  }
  override save(record: StepRecord): void {
    super.save(record);
    if (record.status !== "completed" && record.status !== "failed") return;
    const copy = new MemoryJournal();
    for (const r of this.records.values()) copy.records.set(r.seq, structuredClone(r));
    copy.attempts.push(...structuredClone(this.attempts));
    copy.inbox.push(...structuredClone(this.inbox));
    for (const [key, bytes] of this.blobs) copy.blobs.set(key, bytes.slice());
    this.snapshots.push({ journal: copy, delivered: this.delivered.count, time: this.clock?.now() ?? DEFAULT_START });
  }
}
