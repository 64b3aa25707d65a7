/**
 * Errors that cross the journal. Each class sets `name` and a stable `code`;
 * after an error has been journaled or sent over RPC, callers branch on `code`
 * (the class is gone by then), never on the message text.
 *
 * What an error means for retries:
 * - `NonRetryableError` (thrown by user code): the step fails at once. So does any
 *   error named "NonRetryableError", whatever module defined it (Cloudflare's own
 *   from `cloudflare:workflows` among them), so a port that keeps its import behaves the same.
 * - `StepTimeoutError`: one attempt ran past its timeout; the step retries.
 * - `StepResultError`, `InvalidStepError`: a programming error; retrying cannot help.
 * - `EventTimeoutError`: `waitForEvent` gave up; the workflow may catch it.
 * - `NonDeterministicError`: fails the instance; no catch can swallow it.
 *
 * Their codes come from the one table of codes (`src/lib/codes.ts`).
 */
import type { WorkflowCode } from "../lib/codes.js";

/** The serialised form kept in the journal and shown by the API. */
export interface ErrorRecord {
  name: string;
  message: string;
  code: string;
  /** Set when the error is the outcome of a step, so operators see where it came from. */
  step?: { name: string; count: number };
  /** The error this one wraps, e.g. a child workflow's own error. */
  cause?: ErrorRecord;
}

/**
 * The engine's errors. `C` is the code's type: one code of the table for most, any
 * string for `NonRetryableError` (a subclass may carry the user's own code); the
 * constructor takes only a workflow code of the table.
 */
export abstract class CairnError<C extends string = WorkflowCode> extends Error {
  readonly code: C;
  /** Terminal errors never retry. */
  readonly retryable: boolean = false;
  constructor(code: C & WorkflowCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Throw from a step's function to fail the step without further attempts.
 * Same signature as Cloudflare Workflows' `NonRetryableError`.
 *
 * @example throw new NonRetryableError("card declined: do not charge again");
 */
export class NonRetryableError extends CairnError<string> {
  constructor(message: string, name = "NonRetryableError") {
    super("NON_RETRYABLE", message);
    this.name = name;
  }
}

export class StepTimeoutError extends CairnError<"STEP_TIMEOUT"> {
  override readonly retryable = true;
  constructor(step: string, timeoutMs: number) {
    super("STEP_TIMEOUT", `step "${step}" did not finish within ${timeoutMs} ms; its signal was aborted and the attempt counted as failed`);
    this.name = "StepTimeoutError";
  }
}

export class StepInterruptedError extends CairnError<"STEP_INTERRUPTED"> {
  override readonly retryable = true;
  constructor(step: string) {
    super("STEP_INTERRUPTED", `step "${step}" was running when the instance's runtime stopped; the attempt is counted as failed and the step runs again`);
    this.name = "StepInterruptedError";
  }
}

export class StepResultError extends CairnError<"STEP_RESULT_TOO_LARGE" | "STEP_RESULT_INVALID"> {
  constructor(code: "STEP_RESULT_TOO_LARGE" | "STEP_RESULT_INVALID", message: string) {
    super(code, message);
    this.name = "StepResultError";
  }
}

export class InvalidStepError extends CairnError<"INVALID_STEP"> {
  constructor(message: string) {
    super("INVALID_STEP", message);
    this.name = "InvalidStepError";
  }
}

export class EventTimeoutError extends CairnError<"EVENT_TIMEOUT"> {
  constructor(step: string, eventType: string, timeoutMs: number) {
    super("EVENT_TIMEOUT", `step "${step}" waited ${timeoutMs} ms for an event of type "${eventType}" and none came`);
    this.name = "EventTimeoutError";
  }
}

export class NonDeterministicError extends CairnError<"NON_DETERMINISTIC"> {
  constructor(
    readonly workflow: string,
    /** The step call's position in the journal (0-based). */
    readonly position: number,
    /** The call the journal holds there, e.g. `do "charge card" (#1)`. */
    readonly expected: string,
    /** The call the code makes now. */
    readonly found: string,
  ) {
    super(
      "NON_DETERMINISTIC",
      `workflow "${workflow}" is not deterministic: step call #${position + 1} was ${expected} in the journal but the code now calls ${found}. ` +
        `Code outside steps must make the same step calls in the same order on every replay; ` +
        `to change a running workflow, give the new code a new workflow version or name.`,
    );
    this.name = "NonDeterministicError";
  }
}

/** How an instance was stopped from outside: the code of each step attempt it cut off. */
export type StopCode = "TERMINATED" | "RESTARTED" | "DELETED";

/**
 * What a running step's signal aborts with when its instance is terminated,
 * restarted or deleted; the attempts cut off are journaled as cancelled with it.
 */
export class TerminatedError extends CairnError<StopCode> {
  constructor(reason = "terminated by request", code: StopCode = "TERMINATED") {
    super(code, code === "TERMINATED" ? `the instance was terminated: ${reason}` : `the instance was ${reason}`);
    this.name = "TerminatedError";
  }

  /** A restart: the attempts it cuts off end with code RESTARTED. */
  static restarted(): TerminatedError {
    return new TerminatedError("restarted", "RESTARTED");
  }

  /** A deletion: the attempts it cuts off end with code DELETED. */
  static deleted(): TerminatedError {
    return new TerminatedError("deleted", "DELETED");
  }
}

/** An error rebuilt from its journal record: same name, message and code on every replay. */
export class JournaledError extends Error {
  readonly code: string;
  readonly step?: { name: string; count: number };
  /** The wrapped error's record, e.g. a failed child workflow's error. */
  readonly detail?: ErrorRecord;
  constructor(record: ErrorRecord) {
    super(record.message);
    this.name = record.name;
    this.code = record.code;
    if (record.step) this.step = record.step;
    if (record.cause) this.detail = record.cause;
  }
}

/** The code for an arbitrary thrown value: its own string `code` if it has one. */
export function codeOf(error: unknown, fallback: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.length > 0 && code.length <= 100 ? code : fallback;
}

/** Longest error message kept in the journal; the rest is cut, saying so. */
export const MAX_ERROR_MESSAGE = 8 * 1024;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters cut)`;
}

/** The journal's record of a thrown value; `fallbackCode` when it carries no code of its own. */
export function toErrorRecord(error: unknown, fallbackCode: WorkflowCode): ErrorRecord {
  if (error instanceof Error) {
    return { name: clip(String(error.name || "Error"), 200), message: clip(String(error.message), MAX_ERROR_MESSAGE), code: codeOf(error, fallbackCode) };
  }
  return { name: "Error", message: clip(typeof error === "string" ? error : safeString(error), MAX_ERROR_MESSAGE), code: fallbackCode };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof CairnError) return error.retryable;
  return !isNamedNonRetryable(error);
}

/** An error another module's `NonRetryableError` made (e.g. `cloudflare:workflows`): known by its name. */
export function isNamedNonRetryable(error: unknown): boolean {
  return error instanceof Error && error.name === "NonRetryableError";
}
