/**
 * Where events and waits meet: the correlation object of (event name, key), and
 * the instance id a trigger starts for an event.
 */
import type { Env } from "../env.js";
import { base64url } from "../lib/base64url.js";
import { MAX_ID_LENGTH } from "../lib/bounds.js";
import type { Correlation } from "./correlation.js";

export function correlationStub(env: Env, name: string, key: string): DurableObjectStub<Correlation> {
  return env.CORRELATION.get(env.CORRELATION.idFromName(JSON.stringify([name, key])));
}

const PLAIN_ID = /^[A-Za-z0-9][A-Za-z0-9._:~-]*$/;

/**
 * The id of the instance `workflow` starts for the event `eventId`:
 * `<workflow>--<event id>`, or a digest of the event id where that would not be an
 * id. The same event always names the same instance, so it starts once.
 */
export async function triggeredInstanceId(workflow: string, eventId: string): Promise<string> {
  const plain = `${workflow}--${eventId}`;
  if (plain.length <= MAX_ID_LENGTH && PLAIN_ID.test(plain)) return plain;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(eventId)));
  return `${workflow}--${base64url(digest).slice(0, 32)}`;
}
