/**
 * Request bodies and parameters, checked before anything reaches a Durable Object:
 * content type (415), JSON syntax (400), shape (422 with field paths).
 */
import type { Context } from "hono";
import { z } from "zod";
import type { InputSchema } from "../engine/types.js";
import { ApiError, type FieldError } from "./problem.js";

/** Instance ids and event ids: letters, digits and `-_.:~`, 1 to 100 characters. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:~-]{0,99}$/;
const ID_RULE = "1 to 100 letters, digits or -_.:~, starting with a letter or digit";
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/;
export const MAX_TAGS = 20;

export const instanceId = z.string().regex(ID_PATTERN, `an id is ${ID_RULE}`);

export const TAG_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const tags = z
  .record(
    z.string().regex(TAG_KEY_PATTERN, "a tag key is 1 to 64 letters, digits or -_."),
    z.string().max(256, "a tag value is at most 256 characters"),
  )
  .refine((value) => Object.keys(value).length <= MAX_TAGS, `at most ${MAX_TAGS} tags`);

export const startBody = z
  .strictObject({
    id: instanceId.optional().meta({ description: "Your id for the instance (an idempotency key); a UUID when absent" }),
    input: z.unknown().optional().meta({ description: "The workflow's input, checked against the schema it declares" }),
    tags: tags.optional().meta({ description: `Up to ${MAX_TAGS} key/value pairs to search by` }),
  })
  .meta({ id: "StartRequest" });

export const restartBody = z
  .strictObject({
    fromStep: z
      .strictObject({ name: z.string().min(1).max(256), count: z.number().int().min(1).optional() })
      .optional()
      .meta({ description: "Keep the results of the steps before this one; from the beginning when absent" }),
  })
  .meta({ id: "RestartRequest" });

export const terminateBody = z
  .strictObject({
    /** Run the rollbacks of completed steps before ending terminated. */
    rollback: z.boolean().optional().meta({ description: "Run the rollbacks of completed steps before ending terminated" }),
  })
  .meta({ id: "TerminateRequest" });

export const eventBody = z
  .strictObject({
    type: z.string().regex(EVENT_TYPE_PATTERN, "an event type is 1 to 100 letters, digits or -_.:/, starting with a letter or digit"),
    payload: z.unknown().optional(),
    id: z
      .string()
      .regex(ID_PATTERN, `an event id is ${ID_RULE}`)
      .optional()
      .meta({ description: "Deduplicates: an event with an id already accepted is accepted once" }),
  })
  .meta({ id: "EventRequest" });

/** Reads a JSON body. An absent body reads as `{}` when `optional`. */
export async function readJson(c: Context, { optional = false } = {}): Promise<unknown> {
  const text = await c.req.text();
  if (text.length === 0 && optional) return {};
  const type = c.req.header("content-type") ?? "";
  const mediaType = type.split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json" && !mediaType.endsWith("+json")) {
    throw new ApiError(
      "UNSUPPORTED_MEDIA_TYPE",
      `send the body as JSON with "content-type: application/json" (got ${mediaType ? `"${mediaType}"` : "no content type"})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError("MALFORMED_JSON", `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Checks `value` against `schema`; a mismatch is a 422 listing every field at fault. */
export function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(body)",
    message: issue.message,
  }));
  throw new ApiError("INVALID_INPUT", `${what} is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, { errors });
}

/** Checks a workflow's input against the schema it declares; a mismatch is a 422 listing the fields under `input`. */
export async function checkInput(schema: InputSchema, value: unknown, workflow: string): Promise<void> {
  const result = (await schema["~standard"].validate(value)) as { issues?: ReadonlyArray<{ message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }> };
  if (!result.issues) return;
  const errors: FieldError[] = result.issues.map((issue) => ({
    path: ["input", ...(issue.path ?? []).map((p) => String(typeof p === "object" ? p.key : p))].join("."),
    message: issue.message,
  }));
  throw new ApiError(
    "INVALID_INPUT",
    `the input does not match what workflow "${workflow}" declares: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`,
    { errors },
  );
}

export function checkId(value: string): string {
  if (!ID_PATTERN.test(value)) {
    throw new ApiError("INVALID_ID", `"${value.slice(0, 120)}" is not an instance id: an id is ${ID_RULE}`, {
      errors: [{ path: "id", message: `an id is ${ID_RULE}` }],
    });
  }
  return value;
}
