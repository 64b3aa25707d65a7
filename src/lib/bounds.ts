/**
 * Every bound Cairn enforces at a door, in one place. Each is checked before
 * anything is stored, and answered with a problem whose code the README's "Bounds"
 * table names next to it; that table mirrors this file.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** Largest `/api` request body (bytes), chunked bodies included. 413 `BODY_TOO_LARGE`. */
export const MAX_BODY_BYTES = 1 * MiB;
/** Largest webhook delivery (bytes). 413 `BODY_TOO_LARGE`. */
export const MAX_HOOK_BYTES = 1 * MiB;
/** Up to this size a JSON or form delivery is also handed to the workflow parsed, next to its raw text. */
export const HOOK_PARSE_UP_TO_BYTES = 512 * KiB;

/** Deepest nesting of arrays and objects in any JSON Cairn accepts or journals. 422 `JSON_TOO_DEEP`. */
export const MAX_JSON_DEPTH = 64;

/** Instance ids and event ids: at most this many characters. 422 `INVALID_ID` / `INVALID_INPUT`. */
export const MAX_ID_LENGTH = 100;
/** Event types: at most this many characters. 422 `INVALID_INPUT`. */
export const MAX_EVENT_TYPE_LENGTH = 100;
/** Tags on one instance. 422 `INVALID_INPUT`. */
export const MAX_TAGS = 20;
export const MAX_TAG_KEY_LENGTH = 64;
export const MAX_TAG_VALUE_LENGTH = 256;

/** Values of one repeatable query parameter (`status`, `tag`) in a search. 422 `INVALID_INPUT`. */
export const MAX_QUERY_VALUES = 20;
/** Instances on one page of a search. 422 `INVALID_INPUT`. */
export const MAX_PAGE_SIZE = 100;

/**
 * Schedule ids: short enough that a fire's instance id `<schedule id>--<ISO time>`
 * (24 characters of time) stays within `MAX_ID_LENGTH`. 422 `INVALID_INPUT`.
 */
export const MAX_SCHEDULE_ID_LENGTH = MAX_ID_LENGTH - "--".length - "2026-01-01T00:00:00.000Z".length;
/** Fires a `catchUp` schedule runs after an outage, at most. 422 `INVALID_INPUT` above it. */
export const MAX_CATCH_UP_LIMIT = 1_000;

/** A webhook token's length, at most (characters). 401 `BAD_SIGNATURE`. */
export const MAX_HOOK_TOKEN_LENGTH = 2_000;

/** Largest serialised text a step may return (UTF-8 bytes). The step fails with `STEP_RESULT_TOO_LARGE`. */
export const MAX_STEP_RESULT_BYTES = 1 * MiB;

/**
 * Bytes of `ReadableStream` step results one instance keeps, all its steps together
 * (each is stored in parts, apart from the journal's records). Past it the step
 * fails with `STEP_RESULT_TOO_LARGE`.
 */
export const MAX_STREAM_RESULT_BYTES = 64 * MiB;

/**
 * Events waiting in one instance's inbox (received, not yet taken by a step), at
 * most; a workflow may set its own with `inbox: { maxEvents, maxBytes }`. An event
 * over either bound is refused with 429 `INBOX_FULL`, and nothing is stored. Events
 * taken by `step.waitForEvent` leave the inbox's count and bytes: their payload is
 * kept once, in the step's journaled result.
 */
export const MAX_INBOX_EVENTS = 1_000;
/** Bytes of payload waiting in one instance's inbox, at most (see MAX_INBOX_EVENTS). */
export const MAX_INBOX_BYTES = 16 * MiB;

/** Steps in one read of an instance (`GET /api/instances/:id`): the newest, older ones by page. */
export const STEPS_PAGE_SIZE = 200;
/** A step result (or input, output) larger than this is left out of an instance's view, with its size; fetch it whole by its step. */
export const VIEW_VALUE_MAX_BYTES = 64 * 1024;
/** Failed attempts shown per step in a view: the newest. */
export const VIEW_ATTEMPTS_PER_STEP = 20;

/**
 * Named events (`POST /api/events`, provider webhooks) that a correlation key holds
 * for waits not registered yet, at most: as many, and as many bytes of data, as an
 * instance's inbox takes. Over either: 429 `EVENT_BUFFER_FULL`, nothing stored.
 */
export const MAX_EVENT_BUFFER_EVENTS = MAX_INBOX_EVENTS;
export const MAX_EVENT_BUFFER_BYTES = MAX_INBOX_BYTES;
/** How long a correlation key remembers an event's id (a repeat is a duplicate) and keeps an event no wait took. */
export const EVENT_DEDUPE_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
/** Correlation keys (`key`, `match.equals` as text) and match fields: at most this many characters. 422 `INVALID_INPUT`. */
export const MAX_CORRELATION_KEY_LENGTH = 200;

/** Search attributes of one instance (declared and set), and attribute filters in one search. 422 `INVALID_INPUT`; `INVALID_STEP` in `step.setAttributes`. */
export const MAX_ATTRIBUTES = 20;
export const MAX_ATTRIBUTE_VALUE_LENGTH = 256;

/** Instances one bulk action works through, at most; a filter that matches more is refused. 422 `BULK_TOO_LARGE`. */
export const MAX_BULK_INSTANCES = 100_000;

/**
 * A timer due within this long wakes its instance from memory (a setTimeout in the
 * object, src/instance/alarm-clock.ts), besides the platform's alarm; one further off
 * wakes it through the alarm alone.
 */
export const WAKE_IN_MEMORY_WITHIN_MS = 5_000;

/**
 * Memory, not a door. An instance's execution is kept in memory between wake-ups
 * only while that saves work: one that waits with nothing running is dropped at
 * once (src/instance/driver.ts) unless both hold:
 * - its next wake-up is a timer within WAKE_IN_MEMORY_WITHIN_MS (a short sleep, a
 *   retry's short backoff), which goes on in memory. A wait for an event, a child
 *   or a webhook, or a timer further off, comes back through a request or the
 *   alarm, by when the platform has likely evicted the idle object anyway;
 * - the step results it handed to the workflow come to at most this many
 *   characters. The engine keeps no delivered result; the workflow's variables
 *   may, and dropping the execution frees them.
 * The next wake-up of a dropped execution replays it from the journal (about 3 µs
 * a step); the instance's status does not change.
 */
export const IDLE_EXECUTION_MAX_RESULT_BYTES = 256 * KiB;
