/**
 * Events into an instance's inbox: deduplicated by id, bounded (count and bytes of
 * what waits untaken), refused for another generation of the id (an old webhook
 * URL), and stored in the same transaction as the lifecycle's answer to them.
 */
import { CHILD_EVENT_PREFIX } from "../engine/index.js";
import { MAX_INBOX_BYTES, MAX_INBOX_EVENTS } from "../lib/bounds.js";
import type { Rooms } from "./rooms.js";
import type { SendEventRequest, SendEventResult } from "./rpc.js";

type InboxFull = Extract<SendEventResult, { code: "INBOX_FULL" }>;

export async function sendEvent(rooms: Rooms, request: SendEventRequest): Promise<SendEventResult> {
  const row = rooms.rows.get();
  if (!row) return { ok: false, code: "INSTANCE_NOT_FOUND" };
  if (request.generation !== undefined && (request.generation ?? null) !== row.generation) return { ok: false, code: "INSTANCE_NOT_FOUND" };
  const id = request.id ?? crypto.randomUUID();
  const journal = rooms.driver.journal();
  // A sender retrying an event it already delivered is told so, even after the instance finished.
  if (request.id !== undefined && journal.hasEvent(request.id)) return { ok: true, id, duplicate: true };
  const full = inboxFull(rooms, row.workflow, request);
  let added = false;
  const waitedFor = row.status !== "paused" && journal.isWaitingFor(request.type);
  const { result, done } = rooms.apply({ kind: "event", waitedFor }, undefined, () => {
    if (full) return;
    added = journal.addEvent({ id, type: request.type, timestamp: Date.now(), ...(request.payload !== undefined && { payload: request.payload }) });
  });
  if (!result.ok) {
    return result.code === "INSTANCE_FINISHED" && result.status !== "absent"
      ? { ok: false, code: "INSTANCE_FINISHED", status: result.status }
      : { ok: false, code: "INSTANCE_NOT_FOUND" };
  }
  if (full) return full;
  await done;
  return { ok: true, id, duplicate: !added };
}

/** The refusal of an event the inbox has no room for; a child's outcome always has room. */
function inboxFull(rooms: Rooms, workflow: string, request: SendEventRequest): InboxFull | undefined {
  if (request.type.startsWith(CHILD_EVENT_PREFIX)) return undefined;
  const bounds = rooms.definition(workflow)?.inbox;
  const maxEvents = bounds?.maxEvents ?? MAX_INBOX_EVENTS;
  const maxBytes = bounds?.maxBytes ?? MAX_INBOX_BYTES;
  const usage = rooms.driver.journal().inboxUsage();
  const bytes = request.payload === undefined ? 0 : utf8Length(request.payload);
  if (usage.events + 1 <= maxEvents && usage.bytes + bytes <= maxBytes) return undefined;
  return { ok: false, code: "INBOX_FULL", maxEvents, maxBytes };
}

/** Bytes of a string in UTF-8, without encoding it. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
