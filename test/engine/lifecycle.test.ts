/**
 * The lifecycle machine, enumerated: for every status (and the states that matter
 * within one: rolling back, waiting for a deployment, deleting) and every cause,
 * what follows. A new status or cause without a row here fails to compile; a changed
 * outcome fails the table. Then a property test drives random sequences of causes,
 * with effects answering in random order, and checks the invariants after each.
 *
 * Notation: `<status> [(deleting|rolling back|stop cleared)] [+timer set] [-timer cleared] [▸ effects]`,
 * `ignored` (nothing changes, nothing runs) or `refused <CODE>`.
 */
import fc from "fast-check";
import { describe as suite, expect, it } from "vitest";
import {
  ABSENT,
  CAUSE_KINDS,
  OWN_TIMERS,
  canTransition,
  next,
  type Cause,
  type CauseKind,
  type Effect,
  type LifecycleState,
  type OwnTimer,
  type WaitingFor,
} from "../../src/engine/index.js";
import { TIMER_CAUSES } from "../../src/instance/timers.js";

const base: LifecycleState = { ...ABSENT, hasParent: true, gated: true, retentionMs: { completed: 1_000, failed: 2_000, terminated: 3_000 } };

/** One state for each status, plus the states within a status that change what follows. */
const STATES = {
  absent: { ...base, status: "absent" },
  queued: { ...base, status: "queued" },
  running: { ...base, status: "running", slot: "g" },
  waiting: { ...base, status: "waiting", slot: "g", waitingFor: { kind: "event", eventType: "e" } },
  paused: { ...base, status: "paused", slot: "g" },
  completed: { ...base, status: "completed", slot: "g" },
  failed: { ...base, status: "failed" },
  terminated: { ...base, status: "terminated" },
  "running, rolling back": { ...base, status: "running", slot: "g", stopping: "rollback" },
  "waiting for a deployment": {
    ...base,
    status: "waiting",
    slot: "g",
    waitingFor: { kind: "deployment", code: "WORKFLOW_NOT_REGISTERED", workflow: "w", since: new Date(0).toISOString() },
  },
  "completed, deleting": { ...base, status: "completed", stopping: "delete" },
  "queued, debounced": {
    ...base,
    status: "queued",
    waitingFor: { kind: "debounce", since: new Date(0).toISOString(), until: new Date(500).toISOString() },
  },
} satisfies Record<string, LifecycleState>;
type Row = keyof typeof STATES;

/** One cause of each kind. */
const SAMPLES: { [K in CauseKind]: Extract<Cause, { kind: K }> } = {
  create: { kind: "create" },
  drive: { kind: "drive" },
  completed: { kind: "completed", output: "1" },
  failed: { kind: "failed", error: { name: "Error", code: "STEP_FAILED", message: "boom" } },
  suspended: { kind: "suspended", waitingFor: { kind: "sleep" } },
  threw: { kind: "threw" },
  event: { kind: "event", waitedFor: true },
  alarm: { kind: "alarm", advancing: false, stepDue: true },
  retentionDue: { kind: "retentionDue" },
  outboxDue: { kind: "outboxDue" },
  slotDue: { kind: "slotDue" },
  parentDue: { kind: "parentDue" },
  releaseDue: { kind: "releaseDue" },
  registryDue: { kind: "registryDue" },
  slotGranted: { kind: "slotGranted", gate: "g" },
  slotRefused: { kind: "slotRefused", wait: "throttle", retryAt: 700 },
  gateUnreachable: { kind: "gateUnreachable", message: "down" },
  slotKeyInvalid: { kind: "slotKeyInvalid", code: "CONCURRENCY_KEY_INVALID", message: "bad key" },
  slotReleased: { kind: "slotReleased" },
  releaseFailed: { kind: "releaseFailed" },
  parentTold: { kind: "parentTold" },
  parentUnreachable: { kind: "parentUnreachable" },
  pause: { kind: "pause" },
  resume: { kind: "resume" },
  terminate: { kind: "terminate", rollback: false },
  restart: { kind: "restart", fromSeq: 0 },
  delete: { kind: "delete" },
  purged: { kind: "purged" },
  purgeFailed: { kind: "purgeFailed" },
  workflowMissing: { kind: "workflowMissing", workflow: "w" },
  resolve: { kind: "resolve" },
  debounce: { kind: "debounce", until: 900 },
  debounceDue: { kind: "debounceDue" },
};

// prettier-ignore
const TABLE: Record<Row, Record<CauseKind, string>> = {
  "absent": {
    create: "queued +outbox ▸ requestSlot, pushIndex",
    drive: "ignored",
    completed: "ignored",
    failed: "ignored",
    suspended: "ignored",
    threw: "ignored",
    event: "refused INSTANCE_NOT_FOUND",
    alarm: "ignored",
    retentionDue: "ignored",
    outboxDue: "ignored",
    slotDue: "ignored",
    parentDue: "ignored",
    releaseDue: "ignored",
    registryDue: "ignored",
    slotGranted: "ignored",
    slotRefused: "ignored",
    gateUnreachable: "ignored",
    slotKeyInvalid: "ignored",
    slotReleased: "ignored",
    releaseFailed: "ignored",
    parentTold: "ignored",
    parentUnreachable: "ignored",
    pause: "refused INSTANCE_NOT_FOUND",
    resume: "refused INSTANCE_NOT_FOUND",
    terminate: "refused INSTANCE_NOT_FOUND",
    restart: "refused INSTANCE_NOT_FOUND",
    delete: "refused INSTANCE_NOT_FOUND",
    purged: "ignored",
    purgeFailed: "ignored",
    workflowMissing: "ignored",
    resolve: "refused INSTANCE_NOT_FOUND",
    debounce: "refused INSTANCE_NOT_FOUND",
    debounceDue: "ignored",
  },
  "queued": {
    create: "refused INSTANCE_EXISTS",
    drive: "queued ▸ requestSlot",
    completed: "ignored",
    failed: "ignored",
    suspended: "ignored",
    threw: "ignored",
    event: "ignored",
    alarm: "queued ▸ drive",
    retentionDue: "queued -retention",
    outboxDue: "queued +outbox ▸ pushIndex",
    slotDue: "queued ▸ requestSlot",
    parentDue: "queued -parent",
    releaseDue: "queued -release",
    registryDue: "queued -registry",
    slotGranted: "queued -slot ▸ drive",
    slotRefused: "queued +slot +outbox ▸ pushIndex",
    gateUnreachable: "queued +slot +outbox ▸ pushIndex",
    slotKeyInvalid: "failed +retention +parent +outbox -lease -slot ▸ dropExecution, clearStepTimers, tellParent, pushIndex",
    slotReleased: "queued -release",
    releaseFailed: "ignored",
    parentTold: "queued -parent",
    parentUnreachable: "ignored",
    pause: "paused +outbox -lease ▸ pauseExecution, pushIndex",
    resume: "refused INVALID_TRANSITION",
    terminate: "terminated +retention +parent +outbox -lease -slot ▸ terminateChildren, abort, dropExecution, clearStepTimers, tellParent, pushIndex",
    restart: "refused INVALID_TRANSITION",
    delete: "queued (deleting) +retention ▸ abort, purge",
    purged: "ignored",
    purgeFailed: "ignored",
    workflowMissing: "waiting +registry +outbox -lease ▸ dropExecution, pushIndex",
    resolve: "refused INVALID_TRANSITION",
    debounce: "refused INVALID_TRANSITION",
    debounceDue: "queued -debounce",
  },
  "running": {
    create: "refused INSTANCE_EXISTS",
    drive: "running +lease -registry ▸ advance",
    completed: "completed +retention +parent +release +outbox -lease -slot ▸ dropExecution, clearStepTimers, tellParent, releaseSlot, pushIndex",
    failed: "failed +retention +parent +release +outbox -lease -slot ▸ dropExecution, clearStepTimers, tellParent, releaseSlot, pushIndex",
    suspended: "waiting +outbox -lease ▸ pushIndex",
    threw: "running +lease ▸ dropExecution",
    event: "running ▸ drive",
    alarm: "running ▸ drive",
    retentionDue: "running -retention",
    outboxDue: "running +outbox ▸ pushIndex",
    slotDue: "running -slot",
    parentDue: "running -parent",
    releaseDue: "running -release",
    registryDue: "running -registry",
    slotGranted: "running -slot",
    slotRefused: "ignored",
    gateUnreachable: "ignored",
    slotKeyInvalid: "ignored",
    slotReleased: "running -release",
    releaseFailed: "running +release",
    parentTold: "running -parent",
    parentUnreachable: "ignored",
    pause: "paused +outbox -lease ▸ pauseExecution, pushIndex",
    resume: "refused INVALID_TRANSITION",
    terminate: "terminated +retention +parent +release +outbox -lease -slot ▸ terminateChildren, abort, dropExecution, clearStepTimers, tellParent, releaseSlot, pushIndex",
    restart: "queued +outbox -retention -parent -registry -lease -release ▸ abort, rewind, drive, pushIndex",
    delete: "running (deleting) +retention ▸ abort, purge",
    purged: "ignored",
    purgeFailed: "ignored",
    workflowMissing: "waiting +registry +outbox -lease ▸ dropExecution, pushIndex",
    resolve: "running ▸ dropExecution, drive",
    debounce: "refused INVALID_TRANSITION",
    debounceDue: "running -debounce",
  },
  "waiting": {
    create: "refused INSTANCE_EXISTS",
    drive: "running +lease +outbox -registry ▸ advance, pushIndex",
    completed: "ignored",
    failed: "ignored",
    suspended: "ignored",
    threw: "ignored",
    event: "waiting ▸ drive",
    alarm: "waiting ▸ drive",
    retentionDue: "waiting -retention",
    outboxDue: "waiting +outbox ▸ pushIndex",
    slotDue: "waiting -slot",
    parentDue: "waiting -parent",
    releaseDue: "waiting -release",
    registryDue: "waiting -registry",
    slotGranted: "waiting -slot",
    slotRefused: "ignored",
    gateUnreachable: "ignored",
    slotKeyInvalid: "ignored",
    slotReleased: "waiting -release",
    releaseFailed: "waiting +release",
    parentTold: "waiting -parent",
    parentUnreachable: "ignored",
    pause: "paused +outbox -lease ▸ pauseExecution, pushIndex",
    resume: "refused INVALID_TRANSITION",
    terminate: "terminated +retention +parent +release +outbox -lease -slot ▸ terminateChildren, abort, dropExecution, clearStepTimers, tellParent, releaseSlot, pushIndex",
    restart: "queued +outbox -retention -parent -registry -lease -release ▸ abort, rewind, drive, pushIndex",
    delete: "waiting (deleting) +retention ▸ abort, purge",
    purged: "ignored",
    purgeFailed: "ignored",
    workflowMissing: "waiting +registry +outbox -lease ▸ dropExecution, pushIndex",
    resolve: "waiting ▸ dropExecution, drive",
    debounce: "refused INVALID_TRANSITION",
    debounceDue: "waiting -debounce",
  },
  "paused": {
    create: "refused INSTANCE_EXISTS",
    drive: "ignored",
    completed: "completed +retention +parent +release +outbox -lease -slot ▸ dropExecution, clearStepTimers, tellParent, releaseSlot, pushIndex",
    failed: "failed +retention +parent +release +outbox -lease -slot ▸ dropExecution, clearStepTimers, tellParent, releaseSlot, pushIndex",
    suspended: "paused -lease",
    threw: "paused +lease ▸ dropExecution",
    event: "ignored",
    alarm: "ignored",
    retentionDue: "paused -retention",
    outboxDue: "paused +outbox ▸ pushIndex",
    slotDue: "paused -slot",
    parentDue: "paused -parent",
    releaseDue: "paused -release",
    registryDue: "paused -registry",
    slotGranted: "paused -slot",
    slotRefused: "ignored",
    gateUnreachable: "ignored",
    slotKeyInvalid: "ignored",
    slotReleased: "paused -release",
    releaseFailed: "paused +release",
    parentTold: "paused -parent",
    parentUnreachable: "ignored",
    pause: "refused INVALID_TRANSITION",
    resume: "running +outbox ▸ resumeExecution, drive, pushIndex",
    terminate: "terminated +retention +parent +release +outbox -lease -slot ▸ terminateChildren, abort, dropExecution, clearStepTimers, tellParent, releaseSlot, pushIndex",
    restart: "queued +outbox -retention -parent -registry -lease -release ▸ abort, rewind, drive, pushIndex",
    delete: "paused (deleting) +retention ▸ abort, purge",
    purged: "ignored",
    purgeFailed: "ignored",
    workflowMissing: "ignored",
    resolve: "paused ▸ dropExecution",
    debounce: "refused INVALID_TRANSITION",
    debounceDue: "paused -debounce",
  },
  "completed": {
    create: "refused INSTANCE_EXISTS",
    drive: "ignored",
    completed: "ignored",
    failed: "ignored",
    suspended: "ignored",
    threw: "ignored",
    event: "refused INSTANCE_FINISHED",
    alarm: "ignored",
    retentionDue: "completed (deleting) +retention ▸ purge",
    outboxDue: "completed +outbox ▸ pushIndex",
    slotDue: "completed -slot",
    parentDue: "completed ▸ tellParent",
    releaseDue: "completed ▸ releaseSlot",
    registryDue: "completed -registry",
    slotGranted: "completed ▸ releaseSlot",
    slotRefused: "ignored",
    gateUnreachable: "ignored",
    slotKeyInvalid: "ignored",
    slotReleased: "completed -release",
    releaseFailed: "completed +release",
    parentTold: "completed -parent",
    parentUnreachable: "completed +parent",
    pause: "refused INVALID_TRANSITION",
    resume: "refused INVALID_TRANSITION",
    terminate: "refused INVALID_TRANSITION",
    restart: "queued +outbox -retention -parent -registry -lease -release ▸ abort, rewind, drive, pushIndex",
    delete: "completed (deleting) +retention ▸ abort, purge",
    purged: "ignored",
    purgeFailed: "ignored",
    workflowMissing: "ignored",
    resolve: "refused INVALID_TRANSITION",
    debounce: "refused INVALID_TRANSITION",
    debounceDue: "completed -debounce",
  },
  "failed": {
    create: "refused INSTANCE_EXISTS",
    drive: "ignored",
    completed: "ignored",
    failed: "ignored",
    suspended: "ignored",
    threw: "ignored",
    event: "refused INSTANCE_FINISHED",
    alarm: "ignored",
    retentionDue: "failed (deleting) +retention ▸ purge",
    outboxDue: "failed +outbox ▸ pushIndex",
    slotDue: "failed -slot",
    parentDue: "failed ▸ tellParent",
    releaseDue: "failed -release",
    registryDue: "failed -registry",
    slotGranted: "failed ▸ releaseSlot",
    slotRefused: "ignored",
    gateUnreachable: "ignored",
    slotKeyInvalid: "ignored",
    slotReleased: "failed -release",
    releaseFailed: "ignored",
    parentTold: "failed -parent",
    parentUnreachable: "failed +parent",
    pause: "refused INVALID_TRANSITION",
    resume: "refused INVALID_TRANSITION",
    terminate: "refused INVALID_TRANSITION",
    restart: "queued +outbox -retention -parent -registry -lease ▸ abort, rewind, requestSlot, pushIndex",
    delete: "failed (deleting) +retention ▸ abort, purge",
    purged: "ignored",
    purgeFailed: "ignored",
    workflowMissing: "ignored",
    resolve: "queued +outbox -retention -parent ▸ dropExecution, requestSlot, pushIndex",
    debounce: "refused INVALID_TRANSITION",
    debounceDue: "failed -debounce",
  },
  "terminated": {
    create: "refused INSTANCE_EXISTS",
    drive: "ignored",
    completed: "ignored",
    failed: "ignored",
    suspended: "ignored",
    threw: "ignored",
    event: "refused INSTANCE_FINISHED",
    alarm: "ignored",
    retentionDue: "terminated (deleting) +retention ▸ purge",
    outboxDue: "terminated +outbox ▸ pushIndex",
    slotDue: "terminated -slot",
    parentDue: "terminated ▸ tellParent",
    releaseDue: "terminated -release",
    registryDue: "terminated -registry",
    slotGranted: "terminated ▸ releaseSlot",
    slotRefused: "ignored",
    gateUnreachable: "ignored",
    slotKeyInvalid: "ignored",
    slotReleased: "terminated -release",
    releaseFailed: "ignored",
    parentTold: "terminated -parent",
    parentUnreachable: "terminated +parent",
    pause: "refused INVALID_TRANSITION",
    resume: "refused INVALID_TRANSITION",
    terminate: "refused INVALID_TRANSITION",
    restart: "queued +outbox -retention -parent -registry -lease ▸ abort, rewind, requestSlot, pushIndex",
    delete: "terminated (deleting) +retention ▸ abort, purge",
    purged: "ignored",
    purgeFailed: "ignored",
    workflowMissing: "ignored",
    resolve: "refused INVALID_TRANSITION",
    debounce: "refused INVALID_TRANSITION",
    debounceDue: "terminated -debounce",
  },
  "running, rolling back": {
    create: "refused INSTANCE_EXISTS",
    drive: "running +lease -registry ▸ advance",
    completed: "terminated (stop cleared) +retention +parent +release +outbox -lease -slot ▸ dropExecution, clearStepTimers, tellParent, releaseSlot, pushIndex",
    failed: "terminated (stop cleared) +retention +parent +release +outbox -lease -slot ▸ dropExecution, clearStepTimers, tellParent, releaseSlot, pushIndex",
    suspended: "waiting +outbox -lease ▸ pushIndex",
    threw: "running +lease ▸ dropExecution",
    event: "running ▸ drive",
    alarm: "running ▸ drive",
    retentionDue: "running -retention",
    outboxDue: "running +outbox ▸ pushIndex",
    slotDue: "running -slot",
    parentDue: "running -parent",
    releaseDue: "running -release",
    registryDue: "running -registry",
    slotGranted: "running -slot",
    slotRefused: "ignored",
    gateUnreachable: "ignored",
    slotKeyInvalid: "ignored",
    slotReleased: "running -release",
    releaseFailed: "running +release",
    parentTold: "running -parent",
    parentUnreachable: "ignored",
    pause: "refused INVALID_TRANSITION",
    resume: "refused INVALID_TRANSITION",
    terminate: "terminated (stop cleared) +retention +parent +release +outbox -lease -slot ▸ terminateChildren, abort, dropExecution, clearStepTimers, tellParent, releaseSlot, pushIndex",
    restart: "queued (stop cleared) +outbox -retention -parent -registry -lease -release ▸ abort, rewind, drive, pushIndex",
    delete: "running (deleting) +retention ▸ abort, purge",
    purged: "ignored",
    purgeFailed: "ignored",
    workflowMissing: "waiting +registry +outbox -lease ▸ dropExecution, pushIndex",
    resolve: "refused INVALID_TRANSITION",
    debounce: "refused INVALID_TRANSITION",
    debounceDue: "running -debounce",
  },
  "waiting for a deployment": {
    create: "refused INSTANCE_EXISTS",
    drive: "running +lease +outbox -registry ▸ advance, pushIndex",
    completed: "ignored",
    failed: "ignored",
    suspended: "ignored",
    threw: "ignored",
    event: "waiting ▸ drive",
    alarm: "ignored",
    retentionDue: "waiting -retention",
    outboxDue: "waiting +outbox ▸ pushIndex",
    slotDue: "waiting -slot",
    parentDue: "waiting -parent",
    releaseDue: "waiting -release",
    registryDue: "waiting ▸ drive",
    slotGranted: "waiting -slot",
    slotRefused: "ignored",
    gateUnreachable: "ignored",
    slotKeyInvalid: "ignored",
    slotReleased: "waiting -release",
    releaseFailed: "waiting +release",
    parentTold: "waiting -parent",
    parentUnreachable: "ignored",
    pause: "paused +outbox -lease ▸ pauseExecution, pushIndex",
    resume: "refused INVALID_TRANSITION",
    terminate: "terminated +retention +parent +release +outbox -lease -slot -registry ▸ terminateChildren, abort, dropExecution, clearStepTimers, tellParent, releaseSlot, pushIndex",
    restart: "queued +outbox -retention -parent -registry -lease -release ▸ abort, rewind, drive, pushIndex",
    delete: "waiting (deleting) +retention ▸ abort, purge",
    purged: "ignored",
    purgeFailed: "ignored",
    workflowMissing: "waiting +registry +outbox -lease ▸ dropExecution, pushIndex",
    resolve: "waiting ▸ dropExecution, drive",
    debounce: "refused INVALID_TRANSITION",
    debounceDue: "waiting -debounce",
  },
  "completed, deleting": {
    create: "refused INSTANCE_EXISTS",
    drive: "ignored",
    completed: "ignored",
    failed: "ignored",
    suspended: "ignored",
    threw: "ignored",
    event: "refused INSTANCE_DELETING",
    alarm: "ignored",
    retentionDue: "completed +retention ▸ purge",
    outboxDue: "ignored",
    slotDue: "ignored",
    parentDue: "ignored",
    releaseDue: "ignored",
    registryDue: "ignored",
    slotGranted: "completed ▸ releaseSlot",
    slotRefused: "ignored",
    gateUnreachable: "ignored",
    slotKeyInvalid: "ignored",
    slotReleased: "ignored",
    releaseFailed: "ignored",
    parentTold: "ignored",
    parentUnreachable: "ignored",
    pause: "refused INSTANCE_DELETING",
    resume: "refused INSTANCE_DELETING",
    terminate: "refused INSTANCE_DELETING",
    restart: "refused INSTANCE_DELETING",
    delete: "completed +retention ▸ purge",
    purged: "absent -outbox -retention -parent -slot -release -registry -lease -debounce",
    purgeFailed: "completed (stop cleared) +retention",
    workflowMissing: "ignored",
    resolve: "refused INSTANCE_DELETING",
    debounce: "refused INSTANCE_DELETING",
    debounceDue: "ignored",
  },
  "queued, debounced": {
    create: "refused INSTANCE_EXISTS",
    drive: "ignored",
    completed: "ignored",
    failed: "ignored",
    suspended: "ignored",
    threw: "ignored",
    event: "ignored",
    alarm: "queued ▸ drive",
    retentionDue: "queued -retention",
    outboxDue: "queued +outbox ▸ pushIndex",
    slotDue: "queued -slot",
    parentDue: "queued -parent",
    releaseDue: "queued -release",
    registryDue: "queued -registry",
    slotGranted: "queued ▸ releaseSlot",
    slotRefused: "ignored",
    gateUnreachable: "ignored",
    slotKeyInvalid: "failed +retention +parent +outbox -lease -slot -debounce ▸ dropExecution, clearStepTimers, tellParent, pushIndex",
    slotReleased: "queued -release",
    releaseFailed: "ignored",
    parentTold: "queued -parent",
    parentUnreachable: "ignored",
    pause: "paused +outbox -lease ▸ pauseExecution, pushIndex",
    resume: "refused INVALID_TRANSITION",
    terminate: "terminated +retention +parent +outbox -lease -slot -debounce ▸ terminateChildren, abort, dropExecution, clearStepTimers, tellParent, pushIndex",
    restart: "refused INVALID_TRANSITION",
    delete: "queued (deleting) +retention ▸ abort, purge",
    purged: "ignored",
    purgeFailed: "ignored",
    workflowMissing: "waiting +registry +outbox -lease ▸ dropExecution, pushIndex",
    resolve: "refused INVALID_TRANSITION",
    debounce: "queued +debounce +outbox ▸ pushIndex",
    debounceDue: "queued +outbox -debounce ▸ requestSlot, pushIndex",
  },
};

/** The outcome of one cause in the table's notation. */
function outcome(state: LifecycleState, cause: Cause): string {
  const result = next(state, cause, 0);
  if (!result.ok) return `refused ${result.code}`;
  const effects = result.effects.filter((e) => e.kind !== "log").map((e) => e.kind);
  const timers = [...Object.keys(result.timers.set).map((k) => `+${k}`), ...result.timers.clear.map((k) => `-${k}`)];
  const stopping = result.state.stopping;
  const stop =
    stopping && stopping !== state.stopping
      ? ` (${stopping === "delete" ? "deleting" : "rolling back"})`
      : !stopping && state.stopping && result.state.status !== "absent"
        ? " (stop cleared)"
        : "";
  if (result.state.status === state.status && !result.changed && effects.length === 0 && timers.length === 0 && !stop) return "ignored";
  return `${result.state.status}${stop}${timers.length ? ` ${timers.join(" ")}` : ""}${effects.length ? ` ▸ ${effects.join(", ")}` : ""}`;
}

suite("the lifecycle machine, status × cause", () => {
  for (const row of Object.keys(STATES) as Row[]) {
    it(`decides every cause for ${row}`, () => {
      for (const kind of CAUSE_KINDS) {
        expect(`${kind}: ${outcome(STATES[row], SAMPLES[kind])}`).toBe(`${kind}: ${TABLE[row][kind]}`);
      }
    });
  }

  it("lists every cause kind in the samples and the table", () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...CAUSE_KINDS].sort());
    for (const row of Object.keys(STATES) as Row[]) expect(Object.keys(TABLE[row]).sort()).toEqual([...CAUSE_KINDS].sort());
  });
});

suite("the lifecycle machine, cases a table row does not show", () => {
  it("an alarm for a waiting instance with no step timer due leaves it alone, its execution in memory or not", () => {
    const result = next(STATES.waiting, { kind: "alarm", advancing: false, stepDue: false }, 0);
    expect(result).toMatchObject({ ok: true, changed: false, effects: [] });
  });

  it("an alarm while an advance runs renews the recovery lease", () => {
    const result = next(STATES.running, { kind: "alarm", advancing: true, stepDue: false }, 100);
    expect(result).toMatchObject({ ok: true, timers: { set: { lease: 5_100 } } });
  });

  it("a workflow that is missing makes a queued instance wait for a deployment, logged once, looked for again with backoff", () => {
    const first = next(STATES.queued, { kind: "workflowMissing", workflow: "w" }, 0);
    if (!first.ok) throw new Error("refused");
    expect(first.state).toMatchObject({ status: "waiting", waitingFor: { kind: "deployment", code: "WORKFLOW_NOT_REGISTERED", workflow: "w" } });
    expect(first.effects.filter((e) => e.kind === "log")).toHaveLength(1);
    expect(first.timers.set.registry).toBe(5_000);
    // Looking again a minute later: no new log line, no new index row, a longer wait.
    const again = next(first.state, { kind: "workflowMissing", workflow: "w" }, 61_000);
    if (!again.ok) throw new Error("refused");
    expect(again.changed).toBe(false);
    expect(again.effects.filter((e) => e.kind === "log")).toHaveLength(0);
    expect(again.timers.set.registry).toBe(121_000);
  });

  it("an unreachable gate keeps the instance queued, visibly, asking again later each time", () => {
    const first = next(STATES.queued, { kind: "gateUnreachable", message: "down" }, 0);
    if (!first.ok) throw new Error("refused");
    expect(first.state.waitingFor).toMatchObject({ kind: "slot", code: "GATE_UNAVAILABLE" });
    expect(first.timers.set.slot).toBe(1_000);
    const later = next(first.state, { kind: "gateUnreachable", message: "down" }, 8_000);
    if (!later.ok) throw new Error("refused");
    expect(later.changed).toBe(false);
    expect(later.timers.set.slot).toBe(16_000);
    const granted = next(later.state, { kind: "slotGranted", gate: "g" }, 9_000);
    expect(granted).toMatchObject({ ok: true, changed: true, state: { status: "queued", waitingFor: null, slot: "g" } });
  });

  it("terminate with rollback runs the rollbacks from every status an instance can be stopped in, and ends terminated", () => {
    for (const row of ["queued", "running", "waiting", "paused", "waiting for a deployment"] as const) {
      const started = next(STATES[row], { kind: "terminate", rollback: true }, 0);
      if (!started.ok) throw new Error(`refused from ${row}`);
      expect(started.state, row).toMatchObject({ status: "running", stopping: "rollback" });
      expect(started.effects.map((e) => e.kind), row).toEqual(expect.arrayContaining(["resumeExecution", "compensate", "drive"]));
      const ended = next(started.state, { kind: "failed", error: { name: "TerminatedError", code: "TERMINATED", message: "x" } }, 1);
      expect(ended, row).toMatchObject({ ok: true, state: { status: "terminated", stopping: null } });
    }
  });

  it("a throttled instance shows since when it waits and its expected turn, and asks again then", () => {
    const first = next(STATES.queued, { kind: "slotRefused", wait: "throttle", retryAt: 2_500 }, 1_000);
    if (!first.ok) throw new Error("refused");
    expect(first.state.waitingFor).toEqual({ kind: "throttle", since: new Date(1_000).toISOString(), until: new Date(2_500).toISOString() });
    expect(first.timers.set.slot).toBe(2_500);
    const again = next(first.state, { kind: "slotRefused", wait: "throttle", retryAt: 3_500 }, 2_500);
    if (!again.ok) throw new Error("refused");
    expect(again.state.waitingFor).toMatchObject({ since: new Date(1_000).toISOString(), until: new Date(3_500).toISOString() });
    // Refused by the concurrency gate: waits for a slot, asked again after the usual period.
    const slot = next(STATES.queued, { kind: "slotRefused" }, 1_000);
    expect(slot).toMatchObject({ ok: true, state: { waitingFor: { kind: "slot", since: new Date(1_000).toISOString() } }, timers: { set: { slot: 31_000 } } });
  });

  it("a debounced start waits for its time, pushed back by later starts, then asks for admission", () => {
    const created = next({ ...base, status: "absent" }, { kind: "create", debounceUntil: 500 }, 0);
    if (!created.ok) throw new Error("refused");
    expect(created.state.waitingFor).toEqual({ kind: "debounce", since: new Date(0).toISOString(), until: new Date(500).toISOString() });
    expect(created.effects.map((e) => e.kind)).toEqual(["pushIndex"]);
    expect(created.timers.set.debounce).toBe(500);
    const pushed = next(created.state, { kind: "debounce", until: 800 }, 300);
    if (!pushed.ok) throw new Error("refused");
    expect(pushed.state.waitingFor).toMatchObject({ since: new Date(0).toISOString(), until: new Date(800).toISOString() });
    expect(next(pushed.state, { kind: "drive" }, 400)).toMatchObject({ ok: true, effects: [] });
    const due = next(pushed.state, { kind: "debounceDue" }, 800);
    expect(due).toMatchObject({ ok: true, state: { status: "queued", waitingFor: null } });
    expect(next({ ...pushed.state, gated: false }, { kind: "debounceDue" }, 800)).toMatchObject({ ok: true, effects: [{ kind: "drive" }, { kind: "pushIndex" }] });
  });

  it("a rollback needs no concurrency slot", () => {
    const state = { ...STATES.queued, stopping: "rollback" as const };
    expect(next(state, { kind: "drive" }, 0)).toMatchObject({ ok: true, state: { status: "running" } });
  });
});

// ---- random sequences -----------------------------------------------------------------

/** What answers each effect that reports back, as the object would turn it into a cause. */
const ANSWERS: Partial<Record<Effect["kind"], Cause[]>> = {
  drive: [{ kind: "drive" }, { kind: "workflowMissing", workflow: "w" }],
  advance: [
    { kind: "completed", output: "1" },
    { kind: "failed", error: { name: "Error", code: "STEP_FAILED", message: "x" } },
    { kind: "suspended", waitingFor: { kind: "event", eventType: "e" } },
    { kind: "suspended", waitingFor: { kind: "sleep", until: new Date(0).toISOString() } },
    { kind: "threw" },
  ],
  requestSlot: [{ kind: "slotGranted", gate: "g" }, { kind: "slotRefused" }, { kind: "slotRefused", wait: "throttle", retryAt: 0 }, { kind: "gateUnreachable", message: "down" }, { kind: "slotKeyInvalid", code: "THROTTLE_KEY_INVALID", message: "bad" }],
  releaseSlot: [{ kind: "slotReleased" }, { kind: "releaseFailed" }],
  tellParent: [{ kind: "parentTold" }, { kind: "parentUnreachable" }],
  purge: [{ kind: "purged" }, { kind: "purgeFailed" }],
};

const OUTSIDE: Cause[] = [
  { kind: "create" },
  { kind: "create", debounceUntil: 5_000 },
  { kind: "debounce", until: 9_000 },
  { kind: "event", waitedFor: true },
  { kind: "event", waitedFor: false },
  { kind: "pause" },
  { kind: "resume" },
  { kind: "terminate", rollback: false },
  { kind: "terminate", rollback: true },
  { kind: "restart", fromSeq: 0 },
  { kind: "delete" },
  { kind: "resolve" },
];

/** The cause each own timer stands for when it falls due, as the object maps it; the lease wakes the alarm cause. */
const TIMER_CAUSE: Record<OwnTimer, Cause> = { ...TIMER_CAUSES, lease: { kind: "alarm", advancing: false, stepDue: false } };

/**
 * A wait the view names and something will end: a cause from outside (an event, a
 * child), a step timer the journal holds (sleep, retry), or the object's own timer
 * that looks again (a deployment, a gate).
 */
function namedWait(waitingFor: WaitingFor | null, timers: Map<OwnTimer, number>): boolean {
  if (waitingFor === null) return false;
  if (waitingFor.kind === "deployment") return timers.has("registry");
  if (waitingFor.kind === "slot" || waitingFor.kind === "throttle") return timers.has("slot");
  if (waitingFor.kind === "debounce") return timers.has("debounce");
  return true;
}

suite("the lifecycle machine, random sequences of causes", () => {
  it("keeps its invariants after every cause", () => {
    const move = fc.record({ pick: fc.nat(), source: fc.constantFrom("outside", "effect", "timer"), answer: fc.nat() });
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(move, { minLength: 1, maxLength: 60 }), (gated, hasParent, moves) => {
        let state: LifecycleState = { ...base, gated, hasParent };
        const timers = new Map<OwnTimer, number>();
        let pending: Effect[] = [];
        let now = 0;
        for (const { pick, source, answer } of moves) {
          now += 1_000;
          let cause: Cause | undefined;
          if (source === "outside" || state.status === "absent") cause = OUTSIDE[pick % OUTSIDE.length];
          else if (source === "effect" && pending.length > 0) {
            const [effect] = pending.splice(pick % pending.length, 1);
            const answers = ANSWERS[effect!.kind];
            if (answers) {
              cause = answers[answer % answers.length];
              if (cause!.kind === "slotGranted" && effect!.kind === "releaseSlot") cause = undefined;
            }
          } else if (timers.size > 0) {
            const keys = [...timers.keys()];
            cause = TIMER_CAUSE[keys[pick % keys.length]!];
            if (cause.kind === "alarm") cause = { ...cause, advancing: pending.some((e) => e.kind === "advance") };
          }
          if (!cause) continue;
          const result = next(state, cause, now);
          if (!result.ok) {
            // A refusal changes nothing, and only requests from outside are refused.
            expect(OUTSIDE.some((c) => c.kind === cause!.kind), `${cause.kind} refused`).toBe(true);
            continue;
          }
          const from = state.status;
          const to = result.state.status;
          // No illegal transition.
          if (from !== to && from !== "absent" && to !== "absent") expect(canTransition(from, to), `${from} → ${to} on ${cause.kind}`).toBe(true);
          if (to === "absent") expect(cause.kind, "only a purge removes an instance").toBe("purged");
          // A changed row is recorded for the index: a push now, and the outbox timer behind it.
          if (result.changed) {
            expect(result.effects.some((e) => e.kind === "pushIndex"), `${cause.kind} changed the row without a push`).toBe(true);
            expect(result.timers.set.outbox).toBeGreaterThanOrEqual(now);
          }
          for (const key of result.timers.clear) timers.delete(key);
          for (const [key, at] of Object.entries(result.timers.set)) timers.set(key as OwnTimer, at);
          // A stopped or restarted execution's answers are void: the object drops an outcome of an execution it replaced.
          if (result.effects.some((e) => e.kind === "abort" || e.kind === "dropExecution")) pending = pending.filter((e) => e.kind !== "advance");
          pending.push(...result.effects.filter((e) => ANSWERS[e.kind]));
          state = result.state;
          if (to === "absent") {
            timers.clear();
            pending = [];
          }
          // Never stuck: an open instance has something under way, a timer set, a wait its view names, or is paused.
          if (to === "queued" || to === "running" || to === "waiting") {
            const live = pending.length > 0 || [...timers.keys()].some((k) => k !== "outbox") || namedWait(state.waitingFor, timers);
            expect(live, `${to} after ${cause.kind} with nothing to wake it`).toBe(true);
          }
          // Running means an advance is under way or about to be, behind the recovery lease (or the instance is deleting itself).
          if (to === "running" && state.stopping !== "delete") {
            expect(timers.has("lease") || pending.some((e) => e.kind === "advance" || e.kind === "drive"), `running after ${cause.kind} with no lease`).toBe(true);
          }
          // A finished instance keeps a retention timer until it is deleted.
          if (to === "completed" || to === "failed" || to === "terminated") expect(timers.has("retention") || state.stopping === "delete", `${to} after ${cause.kind} without retention`).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("names every own timer the object can set", () => {
    expect(Object.keys(TIMER_CAUSE).sort()).toEqual([...OWN_TIMERS].sort());
  });
});
