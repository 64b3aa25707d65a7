/**
 * One instance: its status and what it waits for, a waterfall of its steps and
 * attempts on a time axis, the timeline of its steps (each attempt, duration and
 * error, results folded away), its parent and children, and the actions its status
 * allows. While the instance moves, the page subscribes to its events and redraws
 * itself when one comes (live.ts), instead of reloading.
 */
import { canApply, isTerminal } from "../engine/status.js";
import type { Instance, StepView } from "../client/index.js";
import { Folded, StatusBadge, When, absolute, duration, waitText } from "./format.js";
import { Notice, Page, notFoundPage } from "./layout.js";
import { LiveUpdates } from "./live.js";
import { InstanceTable } from "./overview.js";
import type { DashboardContext } from "./routes.js";
import { Waterfall } from "./waterfall.js";

const DONE: Record<string, string> = {
  event: "Event sent.",
  pause: "Paused.",
  resume: "Resumed.",
  terminate: "Terminated.",
  restart: "Restarted.",
  fork: "Forked: this is the new instance.",
  resolve: "Step resolved: the instance goes on from there.",
};

const href = (id: string, rest = "") => `/instances/${encodeURIComponent(id)}${rest}`;

export async function instancePage(c: DashboardContext) {
  const id = c.req.param("id")!;
  const cairn = c.get("cairn");
  const access = c.get("access");
  let instance: Instance;
  try {
    instance = await cairn.get(id);
  } catch (error) {
    return notFoundPage(c, error, <a href="/">← All instances</a>);
  }
  const children = await cairn.list({ parent: id, limit: 100 });
  const now = Date.now();
  const live = !isTerminal(instance.status);
  const done = DONE[c.req.query("done") ?? ""];

  return c.html(
    <Page title={id} access={access}>
      {done ? <Notice kind="ok">{done}</Notice> : null}
      <section class="card">
        <div class="step-head">
          <h1>{id}</h1>
          <StatusBadge status={instance.status} />
        </div>
        <p class="muted">
          workflow <a href={`/?workflow=${encodeURIComponent(instance.workflow)}`}>{instance.workflow}</a>{" "}
          {Object.entries(instance.tags).map(([k, v]) => (
            <span class="tag">
              {k}:{v}
            </span>
          ))}
          {Object.entries(instance.attributes ?? {}).map(([k, v]) => (
            <a class="tag" href={`/?attr=${encodeURIComponent(`${k}:${v}`)}`} title="search attribute">
              {k}={v}
            </a>
          ))}
        </p>
        {live ? (
          <p class="refresh" data-live>
            This page follows the instance live.
          </p>
        ) : null}
        <dl class="facts">
          {(instance.status === "waiting" || instance.status === "queued") && instance.waitingFor ? (
            <>
              <dt>Waiting for</dt>
              <dd>
                <strong>{waitText(instance.waitingFor, now)}</strong>
                {instance.waitingFor.step ? <span class="muted"> · step “{instance.waitingFor.step}”</span> : null}
                {instance.waitingFor.until ? <div class="abs">until {absolute(instance.waitingFor.until)}</div> : null}
              </dd>
            </>
          ) : null}
          <dt>Created</dt>
          <dd>
            <When iso={instance.createdAt} now={now} />
          </dd>
          <dt>Updated</dt>
          <dd>
            <When iso={instance.updatedAt} now={now} />
          </dd>
          {instance.completedAt ? (
            <>
              <dt>Finished</dt>
              <dd>
                <When iso={instance.completedAt} now={now} /> <span class="muted">(took {duration(Date.parse(instance.completedAt) - Date.parse(instance.createdAt))})</span>
              </dd>
            </>
          ) : null}
          {instance.forkedFrom ? (
            <>
              <dt>Forked from</dt>
              <dd>
                <a href={href(instance.forkedFrom.id)}>{instance.forkedFrom.id}</a>
                {instance.forkedFrom.step ? <span class="muted"> before step “{instance.forkedFrom.step.name}” #{instance.forkedFrom.step.count}</span> : null}
              </dd>
            </>
          ) : null}
          {instance.parentId ? (
            <>
              <dt>Parent</dt>
              <dd>
                <a href={href(instance.parentId)}>{instance.parentId}</a>
              </dd>
            </>
          ) : null}
        </dl>
        {instance.error ? (
          <div class="error">
            <code>{instance.error.code}</code> {instance.error.message}
            {instance.error.step ? <span class="muted"> (step “{instance.error.step.name}” #{instance.error.step.count})</span> : null}
          </div>
        ) : null}
        <Folded summary="Input" value={instance.input} />
        {instance.output !== undefined ? <Folded summary="Output" value={instance.output} open /> : null}
        <Actions instance={instance} readOnly={access === "readonly"} />
      </section>
      <section class="card">
        <div class="step-head">
          <h2>
            Steps ({instance.stepsTotal > instance.steps.length ? `the newest ${instance.steps.length} of ${instance.stepsTotal}` : instance.steps.length})
          </h2>
          <a class="muted" href={href(instance.id, "/journal")} download>
            Download the journal (JSON)
          </a>
        </div>
        {instance.steps.length === 0 ? <p class="muted">No step has run yet.</p> : null}
        <Waterfall instance={instance} now={now} />
        <ol class="timeline">
          {instance.steps.map((step) => (
            <Step step={step} instance={instance} now={now} readOnly={access === "readonly"} />
          ))}
        </ol>
      </section>
      <section class="card">
        <h2>Children ({children.instances.length})</h2>
        <InstanceTable instances={children.instances} now={now} empty="This instance started no child workflows." />
      </section>
      {live ? <LiveUpdates events={href(id, "/subscribe")} page={href(id)} since={now} /> : null}
    </Page>,
  );
}

function Actions({ instance, readOnly }: { instance: Instance; readOnly: boolean }) {
  if (readOnly) return <p class="muted">Read-only session: sign in with API_TOKEN to send events or change the instance.</p>;
  const id = instance.id;
  const eventType = instance.waitingFor?.kind === "event" ? instance.waitingFor.eventType : undefined;
  return (
    <div class="actions" style="margin-top: 14px">
      {!isTerminal(instance.status) ? (
        <a class="button" href={href(id, `/event${eventType ? `?type=${encodeURIComponent(eventType)}` : ""}`)}>
          Send event{eventType ? ` “${eventType}”` : ""}
        </a>
      ) : null}
      {canApply("pause", instance.status) ? (
        <a class="button secondary" href={href(id, "/pause")}>
          Pause
        </a>
      ) : null}
      {canApply("resume", instance.status) ? (
        <a class="button secondary" href={href(id, "/resume")}>
          Resume
        </a>
      ) : null}
      {canApply("restart", instance.status) ? (
        <a class="button secondary" href={href(id, "/restart")}>
          Restart
        </a>
      ) : null}
      {canApply("terminate", instance.status) ? (
        <a class="button danger" href={href(id, "/terminate")}>
          Terminate
        </a>
      ) : null}
      <a class="button secondary" href={href(id, "/fork")}>
        Fork
      </a>
      <a class="button danger" href={href(id, "/delete")}>
        Delete
      </a>
    </div>
  );
}

function Step({ step, instance, now, readOnly }: { step: StepView; instance: Instance; now: number; readOnly: boolean }) {
  const took = step.finishedAt ? Date.parse(step.finishedAt) - Date.parse(step.startedAt) : undefined;
  const dueLabel = { sleeping: "wakes", retrying: "next attempt", waiting: "times out" }[step.status as string];
  return (
    <li class={step.status}>
      <div class="step-head">
        <span class="name">
          {step.name}
          {step.count > 1 ? <span class="muted"> #{step.count}</span> : null}
        </span>
        <span class="muted">{step.kind}</span>
        <StatusBadge status={step.status} />
      </div>
      <div class="step-meta">
        <span>
          started <When iso={step.startedAt} now={now} />
        </span>
        {took !== undefined ? <span>took {duration(took)}</span> : <span>for {duration(now - Date.parse(step.startedAt))} so far</span>}
        {step.kind === "do" ? <span>{step.attempts === 1 ? "1 attempt" : `${step.attempts} attempts`}</span> : null}
        {/* A child step waits on an internal event; the children are listed below instead. */}
        {step.eventType && step.kind !== "child" ? <span>event “{step.eventType}”</span> : null}
        {step.until && dueLabel ? (
          <span>
            {dueLabel} <When iso={step.until} now={now} />
          </span>
        ) : null}
      </div>
      {step.error ? (
        <div class="error">
          <code>{step.error.code}</code> {step.error.message}
        </div>
      ) : null}
      {step.failedAttempts?.length ? (
        <details class="json">
          <summary>
            {step.failedAttempts.length} failed attempt{step.failedAttempts.length > 1 ? "s" : ""}
          </summary>
          <ol>
            {step.failedAttempts.map((a) => (
              <li>
                attempt {a.attempt}, {duration(Date.parse(a.finishedAt) - Date.parse(a.startedAt))}, <When iso={a.startedAt} now={now} />:{" "}
                <span class="error">
                  <code>{a.error.code}</code> {a.error.message}
                </span>
              </li>
            ))}
          </ol>
        </details>
      ) : null}
      {step.result !== undefined ? <Folded summary="Result" value={step.result} /> : null}
      {step.sensitive ? <div class="muted">Result kept out of view (sensitive)</div> : null}
      {step.truncated ? (
        <div class="muted">
          Result of {step.truncated.bytes.toLocaleString("en")} bytes, too large to show here: in the journal download, or{" "}
          <code>GET /api/instances/{instance.id}/steps/{step.truncated.seq}</code>
        </div>
      ) : null}
      {!readOnly && step.kind === "do" && ((step.status === "failed" && instance.status === "failed") || step.status === "retrying") ? (
        <a class="muted" style="font-size: 13px; margin-right: 12px" href={href(instance.id, `/resolve?step=${encodeURIComponent(step.name)}&count=${step.count}`)}>
          Resolve: give its output
        </a>
      ) : null}
      {!readOnly && canApply("restart", instance.status) && step.kind !== "patch" && step.kind !== "rollback" && step.kind !== "attributes" ? (
        <a class="muted" style="font-size: 13px" href={href(instance.id, `/restart?step=${encodeURIComponent(step.name)}&count=${step.count}`)}>
          Restart from this step
        </a>
      ) : null}
    </li>
  );
}
