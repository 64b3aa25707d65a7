/**
 * The shapes of `POST /api/events`: its body, and the answer it shares with the
 * provider door (`POST /hooks/providers/:name`).
 */
import { z } from "zod";
import { EVENT_TYPE_PATTERN, ID_PATTERN } from "../lib/ids.js";
import { MAX_CORRELATION_KEY_LENGTH, MAX_EVENT_TYPE_LENGTH, MAX_ID_LENGTH } from "../lib/bounds.js";
import { once } from "../lib/once.js";

export const namedEventBody = once(() =>
  z
    .strictObject({
      name: z
        .string()
        .regex(EVENT_TYPE_PATTERN, `an event name is 1 to ${MAX_EVENT_TYPE_LENGTH} letters, digits or -_.:/, starting with a letter or digit`)
        .meta({ description: "The event's name, e.g. `order.created`: what triggers and waits name as their event or `type`" }),
      data: z.unknown().optional().meta({ description: "The event's data: a triggered instance's input, a wait's `payload`" }),
      id: z
        .string()
        .regex(ID_PATTERN, `an event id is 1 to ${MAX_ID_LENGTH} letters, digits or -_.:~, starting with a letter or digit`)
        .optional()
        .meta({ description: "Deduplicates: the same id again starts and delivers nothing more (a UUID when absent)" }),
      key: z
        .string()
        .min(1)
        .max(MAX_CORRELATION_KEY_LENGTH)
        .optional()
        .meta({ description: "The correlation key: the value waits match on (`match.equals`), e.g. the order id. Without one the event only starts triggers" }),
    })
    .meta({ id: "NamedEvent" }),
);

export const EventPublished = once(() =>
  z
    .object({
      accepted: z.literal(true),
      id: z.string(),
      duplicate: z.boolean().meta({ description: "True when an event with this id was published before: nothing happened again" }),
      started: z
        .array(z.object({ workflow: z.string(), id: z.string(), created: z.boolean() }))
        .meta({ description: "The instances of the workflows it triggers (`created` false when the instance existed)" }),
      refused: z
        .array(z.object({ workflow: z.string(), code: z.string(), message: z.string() }))
        .meta({ description: "Workflows it triggers that could not start (their input schema refused the data, say)" }),
      delivered: z.number().int().meta({ description: "Waits and `cancelOn`s of running instances it was sent to" }),
      buffered: z.boolean().meta({ description: "No wait took it: kept for the first wait that registers for its key" }),
    })
    .meta({ id: "EventPublished" }),
);


/** A provider's delivery that its configuration reads as no event (GitHub's ping): accepted, nothing done. */
export const EventIgnored = once(() => z.object({ accepted: z.literal(true), ignored: z.literal(true) }).meta({ id: "EventIgnored" }));
