/**
 * The forms of the ids and names that cross the edge of the system: instance ids,
 * event ids, event types, tag keys. Plain patterns, so that code on the hot path (the
 * Durable Objects, the Workflow binding) checks an id without loading the API's
 * schemas; src/api/validate.ts builds its zod schemas from the same patterns.
 */
import { MAX_EVENT_TYPE_LENGTH, MAX_ID_LENGTH, MAX_TAG_KEY_LENGTH } from "./bounds.js";

/** Instance ids and event ids: letters, digits and `-_.:~`, 1 to 100 characters. */
export const ID_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:~-]{0,${MAX_ID_LENGTH - 1}}$`);
export const ID_RULE = `1 to ${MAX_ID_LENGTH} letters, digits or -_.:~, starting with a letter or digit`;
export const EVENT_TYPE_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,${MAX_EVENT_TYPE_LENGTH - 1}}$`);

export const TAG_KEY_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_TAG_KEY_LENGTH - 1}}$`);
export const TAG_KEY_RULE = `a tag key is 1 to ${MAX_TAG_KEY_LENGTH} letters, digits or -_., starting with a letter or digit`;

/** The prefix of the event ids of webhook deliveries (src/hooks/route.ts). */
export const HOOK_EVENT_ID_PREFIX = "hook:";
/** Event ids given through the API may not start with these, so that ids from different sources never collide. */
export const RESERVED_EVENT_ID_PREFIXES = [HOOK_EVENT_ID_PREFIX] as const;
