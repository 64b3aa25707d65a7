/**
 * Errors as `application/problem+json` (RFC 9457) with a stable `code` that clients
 * branch on. `ApiError` is thrown anywhere in a request; the app's error handler
 * turns it into the response.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    readonly title: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = "ApiError";
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

export const notFound = (what: "workflow" | "instance", name: string) =>
  new ApiError(
    404,
    what === "workflow" ? "WORKFLOW_NOT_FOUND" : "INSTANCE_NOT_FOUND",
    `Unknown ${what}`,
    what === "workflow"
      ? `no workflow is registered as "${name}"; GET /api/workflows lists the registered ones`
      : `no instance has the id "${name}"`,
  );
