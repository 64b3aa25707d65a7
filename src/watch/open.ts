/**
 * Opens a subscription on an instance's watch hub: what the API route, the
 * dashboard and the `Workflow` binding's `instance.subscribe()` all go through.
 */
import type { Env } from "../env.js";
import { subscribeUrl, type StreamRequest } from "./hub.js";

export type { StreamRequest } from "./hub.js";

/** The hub's Server-Sent Events stream for `request`, or undefined when there is no such instance. */
export async function openSubscription(env: Pick<Env, "WATCH_HUB">, request: StreamRequest): Promise<Response | undefined> {
  const hub = env.WATCH_HUB.get(env.WATCH_HUB.idFromName(request.instance));
  const response = await hub.fetch(subscribeUrl(request));
  if (response.status === 404) return undefined;
  if (!response.ok || !response.body) throw new Error(`the watch hub of instance ${request.instance} answered ${response.status}`);
  return response;
}
