/**
 * Errors as `application/problem+json` (RFC 9457) with a stable `code` that clients
 * branch on. `ApiError` is thrown anywhere in a request; the app's error handler
 * turns it into the response. Status and title come from the table of codes
 * (`src/lib/codes.ts`), and `refused` is the one mapping of an instance's RPC
 * refusals to problems, for the API and the webhook door alike.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ACTIONS, type LifecycleAction } from "../engine/status.js";
import type { CreateResult, DeleteResult, LifecycleResult, SendEventResult } from "../instance/rpc.js";
import { CODES, type HttpCode } from "../lib/codes.js";

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: HttpCode;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly title: string;
  /**
   * @param detail what happened, why, and what to do
   * @param status only where the table's status is a default (`HTTP_ERROR` keeps the HTTP layer's)
   */
  constructor(
    readonly code: HttpCode,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
    status?: ContentfulStatusCode,
  ) {
    super(detail);
    this.name = "ApiError";
    this.status = status ?? CODES[code].status;
    this.title = CODES[code].title;
  }

  toProblem(): Problem {
    return {
      type: `urn:cairn:problem:${this.code.toLowerCase().replaceAll("_", "-")}`,
      title: this.title,
      status: this.status,
      detail: this.message,
      code: this.code,
      ...this.extensions,
    };
  }
}

export function problem(c: Context, error: ApiError): Response {
  return c.body(JSON.stringify(error.toProblem()), error.status, { "content-type": "application/problem+json" });
}

/** How a detail names an instance the caller asked for by id. */
export const instanceNamed = (id: string) => `instance "${id}"`;

export const notFound = (what: "workflow" | "instance", name: string) =>
  what === "workflow"
    ? new ApiError("WORKFLOW_NOT_FOUND", `no workflow is registered as "${name}"; GET /api/workflows lists the registered ones`)
    : refused({ ok: false, code: "INSTANCE_NOT_FOUND" }, { instance: instanceNamed(name) });

/** What an instance's Durable Object answers when it refuses a request. */
export type Refusal = Extract<CreateResult | SendEventResult | LifecycleResult | DeleteResult, { ok: false }>;

/**
 * The problem an instance's refusal answers. `instance` names the instance in the
 * detail: `instanceNamed(id)`, or words that do not echo the id (the webhook door's
 * "the instance this webhook belongs to"); `action` is the lifecycle action refused.
 */
export function refused(refusal: Refusal, about: { instance: string; action?: LifecycleAction }): ApiError {
  const { instance, action } = about;
  switch (refusal.code) {
    case "INSTANCE_NOT_FOUND":
      return new ApiError("INSTANCE_NOT_FOUND", `${instance} does not exist`);
    case "INSTANCE_EXISTS":
      return new ApiError("INSTANCE_EXISTS", `${instance} already exists and runs workflow "${refusal.workflow}"; choose another id`);
    case "INSTANCE_FINISHED":
      return new ApiError("INSTANCE_FINISHED", `${instance} is ${refusal.status} and takes no more events`, { currentStatus: refusal.status });
    case "INVALID_TRANSITION": {
      const allowed = action ? `; ${action} applies to ${ACTIONS[action].from.join(", ")} instances` : "";
      return new ApiError("INVALID_TRANSITION", `cannot ${action ?? "do that to"} ${instance}: it is ${refusal.status}${allowed}`, {
        currentStatus: refusal.status,
      });
    }
    case "STEP_NOT_FOUND":
      return new ApiError("STEP_NOT_FOUND", `${instance} has no step "${refusal.step.name}" #${refusal.step.count} in its journal`, {
        errors: [{ path: "fromStep", message: "no step with this name and count" }],
      });
    case "INDEX_UNAVAILABLE":
      return new ApiError("INDEX_UNAVAILABLE", refusal.message);
    case "INBOX_FULL":
      return new ApiError(
        "INBOX_FULL",
        `${instance} holds as many waiting events as its inbox takes (${refusal.maxEvents} events, ${refusal.maxBytes} bytes of payload); nothing was stored. Send it again once the workflow has taken some, or raise the workflow's inbox bounds`,
        { maxEvents: refusal.maxEvents, maxBytes: refusal.maxBytes },
      );
  }
}
