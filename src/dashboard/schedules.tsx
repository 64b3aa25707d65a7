/**
 * The dashboard's schedules: every schedule with its cron, its next and last fire,
 * and where it comes from; pause, resume and (for schedules created through the API)
 * delete, each through a page that says what will happen and asks to confirm.
 * A schedule declared in a workflow's code is not deleted here: the code brings it
 * back, so the page says to remove it from the code instead.
 */
import { CairnApiError, type Schedule } from "../client/index.js";
import { DEFAULT_CATCH_UP_LIMIT } from "../flow/schedule.js";
import { When } from "./format.js";
import { ConfirmPage, Notice, Page } from "./layout.js";
import type { DashboardContext } from "./routes.js";

const SCHEDULE_ACTIONS = ["pause", "resume", "delete"] as const;
type ScheduleAction = (typeof SCHEDULE_ACTIONS)[number];

export const isScheduleAction = (value: string | undefined): value is ScheduleAction => (SCHEDULE_ACTIONS as readonly string[]).includes(value ?? "");

const TEXT: Record<ScheduleAction, { title: string; button: string; explain: string; done: string }> = {
  pause: { title: "Pause schedule", button: "Pause", explain: "It starts no instance until you resume it. Instances it already started go on.", done: "Paused" },
  resume: { title: "Resume schedule", button: "Resume", explain: "It fires again at its next cron time; fires missed meanwhile follow its policy.", done: "Resumed" },
  delete: { title: "Delete schedule", button: "Delete for good", explain: "It starts no instance again. Instances it already started go on.", done: "Deleted" },
};

const href = (id: string, rest = "") => `/schedules/${encodeURIComponent(id)}${rest}`;

export async function schedulesPage(c: DashboardContext) {
  const schedules = await c.get("cairn").schedules();
  const now = Date.now();
  const readOnly = c.get("access") !== "full";
  const done = c.req.query("done");
  const which = c.req.query("id");
  const doneText = isScheduleAction(done) && which ? `${TEXT[done].done} ${which}.` : undefined;
  return c.html(
    <Page title="Schedules" access={c.get("access")}>
      {doneText ? <Notice kind="ok">{doneText}</Notice> : null}
      <section class="card">
        <h1>Schedules ({schedules.length})</h1>
        <ScheduleTable schedules={schedules} now={now} readOnly={readOnly} />
      </section>
    </Page>,
  );
}

function ScheduleTable({ schedules, now, readOnly }: { schedules: Schedule[]; now: number; readOnly: boolean }) {
  if (schedules.length === 0) {
    return <p class="muted">No schedules: declare them in a workflow (`schedules: [...]`) or create them with POST /api/schedules.</p>;
  }
  return (
    <table class="stack schedules">
      <thead>
        <tr>
          <th>Schedule</th>
          <th>Workflow</th>
          <th>When</th>
          <th>Next fire</th>
          <th>Last fire</th>
          {readOnly ? null : <th>Actions</th>}
        </tr>
      </thead>
      <tbody>
        {schedules.map((s) => (
          <tr>
            <td class="primary" data-label="Schedule">
              {s.id}
              <div class="muted">{s.source === "code" ? "declared in code" : "created through the API"}</div>
            </td>
            <td data-label="Workflow">
              <a href={`/?workflow=${encodeURIComponent(s.workflow)}`}>{s.workflow}</a>
            </td>
            <td data-label="When">
              <div>
                <code style="white-space: nowrap">{s.cron}</code> {s.timezone ?? "UTC"}
                <div class="muted">missed fires: {s.policy === "catchUp" ? `catch up, at most ${s.catchUpLimit ?? DEFAULT_CATCH_UP_LIMIT}` : "skip to the latest"}</div>
              </div>
            </td>
            <td data-label="Next fire">{s.paused ? <span class="badge s-paused">paused</span> : <When iso={s.nextFire} now={now} />}</td>
            <td data-label="Last fire">
              <When iso={s.lastFire} now={now} />
            </td>
            {readOnly ? null : (
              <td data-label="Actions">
                <div class="actions">
                {s.paused ? (
                  <a class="button secondary" href={href(s.id, "/resume")}>
                    Resume
                  </a>
                ) : (
                  <a class="button secondary" href={href(s.id, "/pause")}>
                    Pause
                  </a>
                )}
                {s.source === "api" ? (
                  <a class="button danger" href={href(s.id, "/delete")}>
                    Delete
                  </a>
                ) : null}
                </div>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ScheduleActionPage({ c, action, error }: { c: DashboardContext; action: ScheduleAction; error?: string }) {
  const id = c.req.param("id")!;
  const text = TEXT[action];
  return (
    <ConfirmPage
      title={`${text.title}: ${id}`}
      access={c.get("access")}
      explain={text.explain}
      problem={error}
      action={href(id, `/${action}`)}
      button={text.button}
      danger={action === "delete"}
      cancelHref="/schedules"
    />
  );
}

function refusal(c: DashboardContext, message: string, status: 403 | 404 | 409) {
  return c.html(
    <Page title="Refused" access={c.get("access")}>
      <Notice kind="bad">{message}</Notice>
      <a href="/schedules">← All schedules</a>
    </Page>,
    status,
  );
}

/** The schedule, or the answer to give when it cannot take this action. */
async function target(c: DashboardContext, action: ScheduleAction): Promise<Schedule | Response> {
  if (c.get("access") !== "full") return refusal(c, "This session is read-only: sign in with API_TOKEN to change schedules.", 403);
  const id = c.req.param("id")!;
  let schedule: Schedule;
  try {
    schedule = await c.get("cairn").schedule(id);
  } catch (error) {
    if (error instanceof CairnApiError && error.status === 404) return refusal(c, error.message, 404);
    throw error;
  }
  if (action === "delete" && schedule.source === "code") {
    return refusal(c, `Schedule ${id} is declared in the code of workflow "${schedule.workflow}": remove it there and deploy. Deleted here, the code would bring it back.`, 409);
  }
  return schedule;
}

export async function scheduleActionForm(c: DashboardContext) {
  const action = c.req.param("action") as ScheduleAction;
  const found = await target(c, action);
  if (found instanceof Response) return found;
  return c.html(<ScheduleActionPage c={c} action={action} />);
}

export async function performScheduleAction(c: DashboardContext) {
  const action = c.req.param("action") as ScheduleAction;
  const found = await target(c, action);
  if (found instanceof Response) return found;
  const cairn = c.get("cairn");
  try {
    if (action === "pause") await cairn.pauseSchedule(found.id);
    else if (action === "resume") await cairn.resumeSchedule(found.id);
    else await cairn.deleteSchedule(found.id);
  } catch (error) {
    if (!(error instanceof CairnApiError) || error.status >= 500 || error.status === 0) throw error;
    return c.html(<ScheduleActionPage c={c} action={action} error={error.message} />, error.status as 409);
  }
  return c.redirect(`/schedules?done=${action}&id=${encodeURIComponent(found.id)}`, 303);
}
