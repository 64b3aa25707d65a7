/**
 * Request bodies and parameters, checked before anything reaches a Durable Object:
 * content type (415), UTF-8 (400), JSON syntax (400), JSON depth, numbers and keys
 * (422, src/lib/json.ts), shape (422 with field paths).
 */
import type { Context } from "hono";
import { z } from "zod";
import type { InputSchema } from "../engine/types.js";
import { MAX_EVENT_TYPE_LENGTH, MAX_TAG_VALUE_LENGTH, MAX_TAGS } from "../lib/bounds.js";
import { EVENT_TYPE_PATTERN, ID_PATTERN, ID_RULE, RESERVED_EVENT_ID_PREFIXES, TAG_KEY_PATTERN, TAG_KEY_RULE } from "../lib/ids.js";
import { JsonError, decodeUtf8, parseJson } from "../lib/json.js";
import { once } from "../lib/once.js";
import { ApiError, type FieldError } from "./problem.js";

export { MAX_TAGS };

export const instanceId = once(() => z.string().regex(ID_PATTERN, `an id is ${ID_RULE}`));

const tags = once(() =>
  z
    .record(
      z.string().regex(TAG_KEY_PATTERN, TAG_KEY_RULE),
      z.string().max(MAX_TAG_VALUE_LENGTH, `a tag value is at most ${MAX_TAG_VALUE_LENGTH} characters`),
    )
    .refine((value) => Object.keys(value).length <= MAX_TAGS, `at most ${MAX_TAGS} tags`),
);

export const startBody = once(() =>
  z
    .strictObject({
      id: instanceId().optional().meta({ description: "Your id for the instance (an idempotency key); a UUID when absent" }),
      input: z.unknown().optional().meta({ description: "The workflow's input, checked against the schema it declares" }),
      tags: tags().optional().meta({ description: `Up to ${MAX_TAGS} key/value pairs to search by` }),
    })
    .meta({ id: "StartRequest" }),
);

export const restartBody = once(() =>
  z
    .strictObject({
      fromStep: z
        .strictObject({ name: z.string().min(1).max(256), count: z.number().int().min(1).optional() })
        .optional()
        .meta({ description: "Keep the results of the steps before this one; from the beginning when absent" }),
    })
    .meta({ id: "RestartRequest" }),
);

export const terminateBody = once(() =>
  z
    .strictObject({
      /** Run the rollbacks of completed steps before ending terminated. */
      rollback: z.boolean().optional().meta({ description: "Run the rollbacks of completed steps before ending terminated" }),
    })
    .meta({ id: "TerminateRequest" }),
);

export const eventBody = once(() =>
  z
    .strictObject({
      type: z.string().regex(EVENT_TYPE_PATTERN, `an event type is 1 to ${MAX_EVENT_TYPE_LENGTH} letters, digits or -_.:/, starting with a letter or digit`),
      payload: z.unknown().optional(),
      id: z
        .string()
        .regex(ID_PATTERN, `an event id is ${ID_RULE}`)
        .refine((id) => !RESERVED_EVENT_ID_PREFIXES.some((prefix) => id.startsWith(prefix)), {
          message: `an event id may not start with ${RESERVED_EVENT_ID_PREFIXES.map((p) => `"${p}"`).join(", ")}: those name webhook deliveries`,
        })
        .optional()
        .meta({ description: `Deduplicates: an event with an id already accepted is accepted once. Ids starting with ${RESERVED_EVENT_ID_PREFIXES.join(", ")} are reserved for webhook deliveries` }),
    })
    .meta({ id: "EventRequest" }),
);

/** How a refusal of `src/lib/json.ts` is answered. */
export function jsonProblem(error: JsonError): ApiError {
  return new ApiError(error.code, error.message);
}

/** Refusal of a body that is not UTF-8 text: the same on every route. */
export const notUtf8 = () => new ApiError("MALFORMED_BODY", "the body is not valid UTF-8 text");

/** Reads a JSON body (see src/lib/json.ts for its rules). An absent body reads as `{}` when `optional`. */
export async function readJson(c: Context, { optional = false } = {}): Promise<unknown> {
  const bytes = await c.req.arrayBuffer();
  if (bytes.byteLength === 0 && optional) return {};
  const type = c.req.header("content-type") ?? "";
  const mediaType = type.split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json" && !mediaType.endsWith("+json")) {
    throw new ApiError(
      "UNSUPPORTED_MEDIA_TYPE",
      `send the body as JSON with "content-type: application/json" (got ${mediaType ? `"${mediaType}"` : "no content type"})`,
    );
  }
  const text = decodeUtf8(bytes);
  if (text === undefined) throw notUtf8();
  try {
    return parseJson(text);
  } catch (error) {
    if (error instanceof JsonError) throw jsonProblem(error);
    throw error;
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
