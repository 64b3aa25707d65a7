/**
 * The one piece of client script in the dashboard: an instance page that follows
 * its instance. It subscribes to the instance's events (Server-Sent Events through
 * the dashboard's session, `/instances/:id/subscribe`), and when one comes that is
 * newer than the page, fetches the page again and swaps its content in place (a
 * burst of events costs one fetch). It stops when the instance ends.
 */
import { raw } from "hono/html";
import { notFound } from "../api/problem.js";
import { streamAnswer, subscribeRequest } from "../api/subscribe.js";
import { checkId } from "../api/validate.js";
import { EVENT_TYPES, TERMINAL_EVENTS } from "../watch/events.js";
import { openSubscription } from "../watch/open.js";
import type { DashboardContext } from "./routes.js";

const SCRIPT = `(() => {
  const me = document.currentScript;
  const { events, page, since } = me.dataset;
  const types = ${JSON.stringify(EVENT_TYPES)};
  const terminal = ${JSON.stringify([...TERMINAL_EVENTS])};
  const source = new EventSource(events);
  let pending;
  const redraw = async () => {
    pending = undefined;
    const answer = await fetch(page, { headers: { accept: "text/html" } });
    if (!answer.ok) return;
    const next = new DOMParser().parseFromString(await answer.text(), "text/html").querySelector("main");
    if (next) document.querySelector("main").replaceChildren(...next.childNodes);
    document.documentElement.dataset.redraws = String(Number(document.documentElement.dataset.redraws || 0) + 1);
  };
  const seen = (message) => {
    const event = JSON.parse(message.data);
    if (terminal.includes(event.type)) source.close();
    if (event.timestamp <= Number(since) && !terminal.includes(event.type)) return;
    pending ??= setTimeout(redraw, 150);
  };
  for (const type of types) source.addEventListener(type, seen);
})();`;

export function LiveUpdates({ events, page, since }: { events: string; page: string; since: number }) {
  return <script data-events={events} data-page={page} data-since={String(since)}>{raw(SCRIPT)}</script>;
}

/** `/instances/:id/subscribe`: the API's subscription, for the session (a read-only session reads as the read-only token). */
export async function instanceEvents(c: DashboardContext): Promise<Response> {
  const id = checkId(c.req.param("id")!);
  const stream = await openSubscription(c.env, { instance: id, ...subscribeRequest(c), readOnly: c.get("access") !== "full" });
  if (!stream) throw notFound("instance", id);
  return streamAnswer(stream);
}
