/**
 * The dashboard's actions on an instance: send an event, pause, resume, terminate,
 * restart (from the beginning or from a step), delete. Each is a page that says what will
 * happen and asks to confirm (GET), then a form post that does it (POST) and goes
 * back to the instance (to the list after a delete). Read-only sessions get neither.
 */
import { CairnApiError } from "../client/index.js";
import { parseJson } from "../lib/json.js";
import { ConfirmPage, Notice, Page } from "./layout.js";
import type { DashboardContext } from "./routes.js";

const ACTIONS = ["event", "pause", "resume", "terminate", "restart", "delete"] as const;
type Action = (typeof ACTIONS)[number];

export const isAction = (value: string | undefined): value is Action => (ACTIONS as readonly string[]).includes(value ?? "");

const TEXT: Record<Action, { title: string; button: string; explain: string }> = {
  event: { title: "Send an event", button: "Send event", explain: "The event goes to the first step waiting for its type; until one waits, it stays in the inbox. A repeated event id is accepted once." },
  pause: { title: "Pause", button: "Pause", explain: "A running step finishes; nothing new starts and no timer fires until you resume it." },
  resume: { title: "Resume", button: "Resume", explain: "It goes on from where it was paused; timers that fell due meanwhile fire now." },
  terminate: { title: "Terminate", button: "Terminate", explain: "It stops for good: a running step is aborted and its late result discarded, and its timers are cleared." },
  restart: { title: "Restart", button: "Restart", explain: "It runs again from the beginning." },
  delete: {
    title: "Delete",
    button: "Delete for good",
    explain: "Its row in the index goes first, then all of its storage: journal, events, timers. A running step is aborted. Nothing of it can be brought back.",
  },
};

interface FormState {
  type?: string;
  payload?: string;
  eventId?: string;
  step?: string;
  count?: string;
  rollback?: boolean;
  error?: { message: string; fields?: { path: string; message: string }[] };
}

function ActionPage({ c, action, form }: { c: DashboardContext; action: Action; form: FormState }) {
  const id = c.req.param("id")!;
  const text = TEXT[action];
  const fromStep = action === "restart" && form.step ? `step “${form.step}” #${form.count ?? 1}` : undefined;
  const problem = form.error ? (
    <>
      {form.error.message}
      {form.error.fields ? (
        <ul>
          {form.error.fields.map((f) => (
            <li>
              <code>{f.path}</code>: {f.message}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  ) : undefined;
  return (
    <ConfirmPage
      title={`${text.title}: ${id}`}
      access={c.get("access")}
      explain={fromStep ? `It runs again from ${fromStep} on; the results of the steps before it are kept.` : text.explain}
      problem={problem}
      action={`/instances/${encodeURIComponent(id)}/${action}`}
      button={text.button}
      danger={action === "terminate" || action === "delete"}
      cancelHref={`/instances/${encodeURIComponent(id)}`}
    >
      {action === "event" ? (
        <>
          <label for="type">Event type</label>
          <input id="type" name="type" type="text" required value={form.type ?? ""} />
          <label for="payload" style="margin-top: 10px">
            Payload (JSON)
          </label>
          <textarea id="payload" name="payload">
            {form.payload ?? "{}"}
          </textarea>
          <label for="eventId" style="margin-top: 10px">
            Event id (optional: makes a repeat harmless)
          </label>
          <input id="eventId" name="eventId" type="text" value={form.eventId ?? ""} />
        </>
      ) : null}
      {fromStep ? (
        <>
          <input type="hidden" name="step" value={form.step} />
          <input type="hidden" name="count" value={form.count ?? "1"} />
        </>
      ) : null}
      {action === "terminate" ? (
        <label class="check">
          <input type="checkbox" name="rollback" value="true" checked={form.rollback} /> First run the rollbacks of completed steps
        </label>
      ) : null}
    </ConfirmPage>
  );
}

function readOnlyRefusal(c: DashboardContext) {
  return c.html(
    <Page title="Read-only" access={c.get("access")}>
      <Notice kind="bad">This session is read-only: sign in with API_TOKEN to change instances.</Notice>
    </Page>,
    403,
  );
}

export async function actionForm(c: DashboardContext) {
  const action = c.req.param("action") as Action;
  if (c.get("access") !== "full") return readOnlyRefusal(c);
  const form: FormState = { type: c.req.query("type") ?? "", step: c.req.query("step") ?? "", count: c.req.query("count") ?? "1" };
  return c.html(<ActionPage c={c} action={action} form={form} />);
}

export async function performAction(c: DashboardContext) {
  const action = c.req.param("action") as Action;
  if (c.get("access") !== "full") return readOnlyRefusal(c);
  const id = c.req.param("id")!;
  const body = await c.req.parseBody();
  const field = (name: string) => (typeof body[name] === "string" ? (body[name] as string).trim() : "");
  const form: FormState = { type: field("type"), payload: field("payload"), eventId: field("eventId"), step: field("step"), count: field("count"), rollback: field("rollback") === "true" };
  const cairn = c.get("cairn");
  try {
    if (action === "event") {
      let payload: unknown;
      try {
        payload = form.payload ? parseJson(form.payload) : undefined;
      } catch (error) {
        return c.html(<ActionPage c={c} action={action} form={{ ...form, error: { message: `The payload is not accepted: ${(error as Error).message}` } }} />, 422);
      }
      await cairn.sendEvent(id, { type: form.type!, ...(payload !== undefined && { payload }), ...(form.eventId && { id: form.eventId }) });
    } else if (action === "restart") {
      await cairn.restart(id, form.step ? { fromStep: { name: form.step, count: Number(form.count || 1) } } : {});
    } else if (action === "terminate") {
      await cairn.terminate(id, { rollback: form.rollback ?? false });
    } else if (action === "delete") {
      await cairn.delete(id);
      return c.redirect(`/?deleted=${encodeURIComponent(id)}`, 303);
    } else {
      await cairn[action](id);
    }
  } catch (error) {
    if (!(error instanceof CairnApiError) || error.status >= 500 || error.status === 0) throw error;
    const fields = error.problem?.errors;
    return c.html(<ActionPage c={c} action={action} form={{ ...form, error: { message: error.message, ...(fields && { fields }) } }} />, error.status as 409);
  }
  return c.redirect(`/instances/${encodeURIComponent(id)}?done=${action}`, 303);
}
