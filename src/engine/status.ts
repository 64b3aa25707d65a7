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
  queued: ["running", "paused", "terminated"],
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

/** What a `waiting` instance waits for. */
export interface WaitingFor {
  kind: "sleep" | "retry" | "event" | "child";
  /** ISO time the wait ends (wake-up, next attempt, or event timeout). */
  until?: string;
  eventType?: string;
  step?: string;
  /** The child instance waited for (kind "child"). */
  childId?: string;
}
