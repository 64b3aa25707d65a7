/**
 * Instance statuses and the transitions between them: the one place that spells
 * them out. Everything else derives from `STATUSES` and `TRANSITIONS`.
 */
export const STATUSES = ["queued", "running", "waiting", "paused", "completed", "failed", "terminated"] as const;
export type Status = (typeof STATUSES)[number];

export const TERMINAL_STATUSES = ["completed", "failed", "terminated"] as const satisfies readonly Status[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

/**
 * Which status may follow which. A status missing from a list cannot follow it.
 */
export const TRANSITIONS: { readonly [From in Status]: readonly Status[] } = {
  // waiting: for a deployment that registers its workflow; failed: its concurrency key is invalid.
  queued: ["running", "waiting", "paused", "terminated", "failed"],
  running: ["running", "waiting", "completed", "failed", "paused", "terminated", "queued"],
  waiting: ["running", "waiting", "paused", "terminated", "queued"],
  // A step that was running when the instance was paused may still end the workflow.
  paused: ["running", "completed", "failed", "terminated", "queued"],
  completed: ["queued"],
  failed: ["queued"],
  terminated: ["queued"],
};

/**
 * What an operator may do to an instance, from which statuses, and the status it
 * leads to. Each `from → to` is also a transition of TRANSITIONS (a test checks).
 */
export const ACTIONS = {
  pause: { from: ["queued", "running", "waiting"], to: "paused" },
  resume: { from: ["paused"], to: "running" },
  terminate: { from: ["queued", "running", "waiting", "paused"], to: "terminated" },
  restart: { from: ["running", "waiting", "paused", "completed", "failed", "terminated"], to: "queued" },
} as const satisfies Record<string, { from: readonly Status[]; to: Status }>;
export type LifecycleAction = keyof typeof ACTIONS;

export function canApply(action: LifecycleAction, status: Status): boolean {
  return (ACTIONS[action].from as readonly Status[]).includes(status);
}

export function isStatus(value: string): value is Status {
  return (STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: Status): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly Status[]).includes(status);
}

export function canTransition(from: Status, to: Status): boolean {
  return TRANSITIONS[from].includes(to);
}

/** What a `waiting` instance waits for, and why a `queued` one has not started yet. */
export interface WaitingFor {
  /**
   * `deployment`: its workflow is not registered in the running deployment (code
   * `WORKFLOW_NOT_REGISTERED`); it goes on by itself once a deployment registers it.
   * Kinds of a queued instance (flow control): `slot`: a concurrency slot (code
   * `GATE_UNAVAILABLE` while the gate cannot be reached); `throttle`: its turn under
   * the workflow's throttle (`until`: its next permit, as estimated); `debounce`: later
   * starts for its key may still replace its input (`until`: when it starts, unless
   * another start pushes it back).
   */
  kind: "sleep" | "retry" | "event" | "child" | "deployment" | "slot" | "throttle" | "debounce";
  /** ISO time the wait ends (wake-up, next attempt, or event timeout). */
  until?: string;
  eventType?: string;
  step?: string;
  /** The child instance waited for (kind "child"). */
  childId?: string;
  /** Why it waits, for kinds `deployment` and `slot`. */
  code?: "WORKFLOW_NOT_REGISTERED" | "GATE_UNAVAILABLE";
  /** The workflow waited for (kind `deployment`). */
  workflow?: string;
  /** ISO time it began to wait (kinds `deployment`, `slot`, `throttle` and `debounce`). */
  since?: string;
  message?: string;
}
