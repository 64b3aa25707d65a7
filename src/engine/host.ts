/**
 * The contract between the engine and its host (the Durable Object, or the test
 * kit): the clock it reads, the outcome it reports, and the services it borrows.
 */
import type { ErrorRecord } from "./errors.js";
import type { EventMatch } from "./match.js";
import type { WaitingFor } from "./status.js";

/** Time as the engine sees it; the Durable Object passes the real clock, tests a virtual one. */
export interface Clock {
  now(): number;
  /** Calls `fn` after `ms` while the execution is in memory; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
  /** Resolves after one turn of the event loop (a macrotask), so pending microtasks have run. */
  yield(): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
  yield: () => new Promise((resolve) => setTimeout(resolve, 0)),
};

export type Outcome =
  | { kind: "completed"; output?: string }
  | { kind: "failed"; error: ErrorRecord }
  /** Every step call is waiting; `wakeAt` is the earliest time one can go on. */
  | { kind: "suspended"; wakeAt?: number; waitingFor?: WaitingFor };

export interface InstanceInput {
  id: string;
  /** JSON text of the input; absent for none. */
  input?: string;
  createdAt: number;
}

/** What the engine asks the host to start for `step.child`; creating the same id again must do nothing. */
export interface ChildStart {
  id: string;
  workflow: string;
  /** JSON text of the input. */
  input?: string;
}

/** The event a finished child sends its parent (type `CHILD_EVENT_PREFIX + childId`). */
export interface ChildFinished {
  status: "completed" | "failed" | "terminated";
  /** JSON text of the output. */
  output?: string;
  error?: ErrorRecord;
}

export const CHILD_EVENT_PREFIX = "cairn.child:";

/**
 * A step call waiting for an event by correlation: where events of `name` whose
 * key is `key` (and whose `match.field` holds `match.equals`) find it. `seq` tells
 * the waits of one instance apart.
 */
export interface CorrelatedWait {
  seq: number;
  name: string;
  key: string;
  match: EventMatch;
}

/** What the host lends the engine: starting children, signing webhook URLs (its secret and public URL), and for tests, mocks. */
export interface Services {
  startChild?(child: ChildStart): Promise<void>;
  /** Indexes search attributes set by `step.setAttributes`, in the transaction that journals the call. */
  setAttributes?(attributes: Record<string, string>): void;
  mintWebhook?(claims: { eventType: string; expiresAt: number; verifyWith?: string }): Promise<{ url: string; token: string }>;
  /**
   * Registers a correlated wait where incoming events find it, after its record is
   * journaled (idempotent: a replay registers again). A rejection stops the drive,
   * which the host replays later.
   */
  correlate?(wait: CorrelatedWait): Promise<void>;
  /** The correlated wait ended (its event came, or it timed out): events are no longer sent to it. */
  uncorrelate?(wait: CorrelatedWait): Promise<void>;
  /** For tests: answer an attempt of a step instead of running its function. */
  mockStep?(step: { name: string; count: number }, attempt: number): { result: unknown } | { error: unknown } | undefined;
}
