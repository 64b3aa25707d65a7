/**
 * Bulk actions in the dashboard: from the instance list's filters, a page that
 * counts what they match (a dry run), shows the newest few and asks which action
 * to take and to confirm; then the job's progress, reloading itself until it is
 * done, with a cancel button. It goes through the API's `/api/bulk` like any client.
 */
import { CairnApiError, type BulkAction, type BulkFilter, type BulkJob, type Status } from "../client/index.js";
import { parseJson } from "../lib/json.js";
import { Notice, Page, notFoundPage } from "./layout.js";
import { InstanceTable } from "./overview.js";
import type { DashboardContext } from "./routes.js";

const FILTER_KEYS = ["workflow", "status", "tag", "attr", "parent", "createdAfter", "createdBefore"] as const;
const KINDS = ["terminate", "pause", "resume", "restart", "event", "delete"] as const;

/** The filter in a query or a form (the instance list's fields; empty ones mean no filter). */
function readFilter(get: (key: string) => string[]): { filter: BulkFilter; query: URLSearchParams } {
  const query = new URLSearchParams();
  for (const key of FILTER_KEYS) for (const value of get(key)) if (value.trim()) query.append(key, value.trim());
  const one = (key: string) => query.get(key) ?? undefined;
  const utc = (value: string) => (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(value) ? `${value}Z` : value);
  const filter: BulkFilter = { status: query.getAll("status") as Status[], tags: query.getAll("tag"), attributes: query.getAll("attr") };
  if (one("workflow")) filter.workflow = one("workflow")!;
  if (one("parent")) filter.parent = one("parent")!;
  if (one("createdAfter")) filter.createdAfter = utc(one("createdAfter")!);
  if (one("createdBefore")) filter.createdBefore = utc(one("createdBefore")!);
  return { filter, query };
}

function describe(query: URLSearchParams): string {
  const parts = [...query].map(([key, value]) => `${key} ${value}`);
  return parts.length ? parts.join(", ") : "every instance";
}

interface ActionForm {
  kind?: string;
  rollback?: boolean;
  step?: string;
  type?: string;
  payload?: string;
  error?: string;
}

/** GET /bulk?<filters>: the count, a sample, and the action form. */
export async function bulkForm(c: DashboardContext) {
  if (c.get("access") !== "full") return readOnly(c);
  const url = new URL(c.req.url);
  return formPage(c, readFilter((key) => url.searchParams.getAll(key)), {}, 200);
}

async function formPage(c: DashboardContext, { filter, query }: ReturnType<typeof readFilter>, form: ActionForm, status: 200 | 422) {
  const cairn = c.get("cairn");
  let dry;
  try {
    dry = await cairn.bulkDryRun(filter, { kind: "pause" });
  } catch (error) {
    if (!(error instanceof CairnApiError) || error.status !== 422) throw error;
    return c.html(
      <Page title="Bulk action" access={c.get("access")}>
        <Notice kind="bad">{error.message}</Notice>
        <a href={`/?${query}`}>← Back to the filters</a>
      </Page>,
      422,
    );
  }
  return c.html(
    <Page title="Bulk action" access={c.get("access")}>
      <section class="card">
        <h1>Act on {dry.matched} instances</h1>
        <p class="muted">Matching {describe(query)}. The job takes a snapshot of them when it starts: instances started later are not touched.</p>
        {form.error ? <Notice kind="bad">{form.error}</Notice> : null}
        {dry.tooMany ? <Notice kind="bad">That is more than one bulk action takes: narrow the filters.</Notice> : null}
        <form method="post" action="/bulk">
          {[...query].map(([key, value]) => (
            <input type="hidden" name={key} value={value} />
          ))}
          <label for="kind">Action</label>
          <select id="kind" name="kind">
            {KINDS.map((kind) => (
              <option value={kind} selected={(form.kind ?? "terminate") === kind}>
                {kind === "event" ? "send an event" : kind}
              </option>
            ))}
          </select>
          <label class="check">
            <input type="checkbox" name="rollback" value="true" checked={form.rollback} /> Terminate: first run the rollbacks of completed steps
          </label>
          <label for="step">Restart: from this step (empty: from the beginning)</label>
          <input id="step" name="step" type="text" value={form.step ?? ""} />
          <label for="type">Event: type</label>
          <input id="type" name="type" type="text" value={form.type ?? ""} />
          <label for="payload">Event: payload (JSON)</label>
          <textarea id="payload" name="payload">
            {form.payload ?? "{}"}
          </textarea>
          <p class="actions">
            <button type="submit" class="danger" disabled={dry.matched === 0 || dry.tooMany}>
              Start: act on {dry.matched} instances
            </button>
            <a class="button secondary" href={`/?${query}`}>
              Cancel
            </a>
          </p>
        </form>
      </section>
      <section class="card">
        <h2>Newest of them</h2>
        <InstanceTable instances={dry.sample} now={Date.now()} />
      </section>
    </Page>,
    status,
  );
}

/** POST /bulk: starts the job and goes to its progress. */
export async function startBulk(c: DashboardContext) {
  if (c.get("access") !== "full") return readOnly(c);
  const body = await c.req.parseBody({ all: true });
  const values = (key: string) => [body[key] ?? []].flat().filter((v): v is string => typeof v === "string");
  const field = (key: string) => values(key)[0]?.trim() ?? "";
  const selected = readFilter(values);
  const { filter } = selected;
  const form: ActionForm = { kind: field("kind"), rollback: field("rollback") === "true", step: field("step"), type: field("type"), payload: field("payload") };
  const again = (error: string) => formPage(c, selected, { ...form, error }, 422);
  let action: BulkAction;
  if (form.kind === "terminate") action = { kind: "terminate", ...(form.rollback && { rollback: true }) };
  else if (form.kind === "restart") action = { kind: "restart", ...(form.step && { fromStep: { name: form.step } }) };
  else if (form.kind === "event") {
    let payload: unknown;
    try {
      payload = form.payload ? parseJson(form.payload) : undefined;
    } catch (error) {
      return again(`The payload is not accepted: ${(error as Error).message}`);
    }
    action = { kind: "event", type: form.type ?? "", ...(payload !== undefined && { payload }) };
  } else if (form.kind === "pause" || form.kind === "resume" || form.kind === "delete") action = { kind: form.kind };
  else return again("Choose an action.");
  try {
    const job = await c.get("cairn").bulk(filter, action);
    return c.redirect(`/bulk/${encodeURIComponent(job.id)}`, 303);
  } catch (error) {
    if (!(error instanceof CairnApiError) || error.status !== 422) throw error;
    return again([error.message, ...(error.problem?.errors ?? []).map((e) => `${e.path}: ${e.message}`)].join(" · "));
  }
}

/** GET /bulk/:id: the job's progress, reloading itself while it works. */
export async function bulkProgress(c: DashboardContext) {
  const id = c.req.param("id")!;
  let job: BulkJob;
  try {
    job = await c.get("cairn").bulkJob(id);
  } catch (error) {
    return notFoundPage(c, error);
  }
  const moving = job.status === "snapshotting" || job.status === "running";
  const reached = job.done + job.skipped + job.failed;
  const percent = job.matched ? Math.floor((reached / job.matched) * 100) : 100;
  return c.html(
    <Page title={`Bulk ${job.action.kind as string}`} access={c.get("access")} refreshSeconds={moving ? 2 : undefined} refreshUrl={`/bulk/${encodeURIComponent(id)}`}>
      <section class="card">
        <div class="step-head">
          <h1>
            Bulk {job.action.kind as string}: {job.status}
          </h1>
          <span class={`badge s-${job.status === "completed" ? "completed" : job.status === "cancelled" ? "terminated" : "running"}`}>{percent}%</span>
        </div>
        <p class="muted">
          Job {job.id}, matching {describe(new URLSearchParams(Object.entries(job.filter).flatMap(([k, v]) => [v ?? []].flat().map((x) => [k, String(x)]))))}
        </p>
        <progress max={job.matched || 1} value={reached} style="width: 100%" />
        <dl class="facts">
          <dt>Matched</dt>
          <dd>{job.matched}{job.status === "snapshotting" ? " so far" : ""}</dd>
          <dt>Done</dt>
          <dd>{job.done}</dd>
          <dt>Skipped</dt>
          <dd>
            {job.skipped}
            {job.skippedReasons.map((r) => (
              <div class="muted">
                {r.count} × {r.reason}
              </div>
            ))}
          </dd>
          <dt>Failed</dt>
          <dd>
            {job.failed}
            {job.failedReasons.map((r) => (
              <div class="error">
                {r.count} × {r.reason}
              </div>
            ))}
          </dd>
          <dt>Pending</dt>
          <dd>{job.pending}{job.status === "cancelled" && job.pending > 0 ? " (cancelled: not reached)" : ""}</dd>
        </dl>
        {moving && c.get("access") === "full" ? (
          <form method="post" action={`/bulk/${encodeURIComponent(id)}/cancel`}>
            <button type="submit" class="danger">
              Cancel the job
            </button>
          </form>
        ) : null}
      </section>
    </Page>,
  );
}

/** POST /bulk/:id/cancel */
export async function cancelBulk(c: DashboardContext) {
  if (c.get("access") !== "full") return readOnly(c);
  const id = c.req.param("id")!;
  await c
    .get("cairn")
    .cancelBulk(id)
    .catch((error: unknown) => {
      if (!(error instanceof CairnApiError) || error.code !== "BULK_FINISHED") throw error;
    });
  return c.redirect(`/bulk/${encodeURIComponent(id)}`, 303);
}

function readOnly(c: DashboardContext) {
  return c.html(
    <Page title="Read-only" access={c.get("access")}>
      <Notice kind="bad">This session is read-only: sign in with API_TOKEN to act on instances.</Notice>
    </Page>,
    403,
  );
}
