/**
 * The dashboard's front page: counts per workflow and status, and the instance
 * list with the search API's filters (workflow, status, tags, parent, creation
 * time) and its keyset paging.
 */
import { STATUSES, type Status } from "../engine/status.js";
import { CairnApiError, type InstanceListItem, type ListFilters, type Stats } from "../client/index.js";
import { StatusBadge, When, waitText } from "./format.js";
import { Notice, Page } from "./layout.js";
import type { DashboardContext } from "./routes.js";

const FILTERS = ["workflow", "status", "tag", "attr", "parent", "createdAfter", "createdBefore", "limit"] as const;

/** The page's query, minus empty fields (an empty form field means no filter). */
function readQuery(url: URL): URLSearchParams {
  const query = new URLSearchParams();
  for (const key of [...FILTERS, "cursor"]) for (const value of url.searchParams.getAll(key)) if (value.trim()) query.append(key, value.trim());
  return query;
}

/** A `datetime-local` value has no zone: the form says UTC, so it is read as UTC. */
const utc = (value: string) => (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(value) ? `${value}Z` : value);

function toFilters(query: URLSearchParams): ListFilters {
  const get = (key: string) => query.get(key) ?? undefined;
  const filters: ListFilters = { status: query.getAll("status") as Status[], tags: query.getAll("tag"), attributes: query.getAll("attr"), limit: Number(get("limit") ?? 25) };
  if (get("workflow")) filters.workflow = get("workflow")!;
  if (get("parent")) filters.parent = get("parent")!;
  if (get("createdAfter")) filters.createdAfter = utc(get("createdAfter")!);
  if (get("createdBefore")) filters.createdBefore = utc(get("createdBefore")!);
  if (get("cursor")) filters.cursor = get("cursor")!;
  return filters;
}

/** The bulk action page for the list's filters (paging left out). */
function bulkHref(query: URLSearchParams): string {
  const filters = new URLSearchParams([...query].filter(([key]) => key !== "cursor" && key !== "limit"));
  return `/bulk?${filters}`;
}

const withQuery = (query: URLSearchParams, changes: Record<string, string | null>) => {
  const next = new URLSearchParams(query);
  for (const [key, value] of Object.entries(changes)) value === null ? next.delete(key) : next.set(key, value);
  return `/?${next}`;
};

export async function overviewPage(c: DashboardContext) {
  const cairn = c.get("cairn");
  const query = readQuery(new URL(c.req.url));
  const now = Date.now();
  const [stats, page] = await Promise.all([
    cairn.stats(),
    cairn.list(toFilters(query)).catch((error: unknown) => {
      if (error instanceof CairnApiError && error.status === 422) return error;
      throw error;
    }),
  ]);
  const names = [...new Set([...Object.keys(c.get("workflows")), ...Object.keys(stats.byWorkflow)])].sort();
  const filtered = FILTERS.some((key) => query.has(key));
  const deleted = c.req.query("deleted");

  return c.html(
    <Page title="Instances" access={c.get("access")}>
      {deleted ? <Notice kind="ok">Deleted {deleted}.</Notice> : null}
      <Counts stats={stats} names={names} />
      <section class="card">
        <h2>Find instances</h2>
        <Filters query={query} names={names} />
      </section>
      <section class="card">
        <h2>{filtered ? "Matching instances" : "Newest instances"}</h2>
        {page instanceof CairnApiError ? (
          <Notice kind="bad">
            {page.message}
            {page.problem?.errors ? (
              <ul>
                {page.problem.errors.map((e) => (
                  <li>
                    <code>{e.path}</code>: {e.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </Notice>
        ) : (
          <>
            <InstanceTable instances={page.instances} now={now} />
            {c.get("access") === "full" && page.instances.length > 0 ? (
              <p>
                <a class="button secondary" href={bulkHref(query)}>
                  Act on all {filtered ? "matching" : ""} instances…
                </a>
              </p>
            ) : null}
            <div class="pager">
              {query.has("cursor") ? <a href={withQuery(query, { cursor: null })}>← First page</a> : <span />}
              {page.nextCursor ? <a href={withQuery(query, { cursor: page.nextCursor })}>Next page →</a> : <span />}
            </div>
          </>
        )}
      </section>
    </Page>,
  );
}

function Counts({ stats, names }: { stats: Stats; names: string[] }) {
  return (
    <section class="card">
      <h2>
        Workflows <span class="muted">· {stats.total} instances</span>
      </h2>
      <table class="stack">
        <thead>
          <tr>
            <th>Workflow</th>
            <th class="num">Total</th>
            <th>By status</th>
          </tr>
        </thead>
        <tbody>
          {names.map((name) => {
            const counts = stats.byWorkflow[name];
            return (
              <tr>
                <td class="primary" data-label="Workflow">
                  <a href={`/?workflow=${encodeURIComponent(name)}`}>{name}</a>
                </td>
                <td class="num" data-label="Total">
                  {counts?.total ?? 0}
                </td>
                <td data-label="By status">
                  {STATUSES.filter((s) => (counts?.[s] ?? 0) > 0).map((s) => (
                    <a class="count" href={`/?workflow=${encodeURIComponent(name)}&status=${s}`}>
                      <span class={`badge s-${s}`}>
                        {s} {counts![s]}
                      </span>{" "}
                    </a>
                  ))}
                  {!counts?.total ? <span class="muted">none yet</span> : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function Filters({ query, names }: { query: URLSearchParams; names: string[] }) {
  const statuses = query.getAll("status");
  const tags = query.getAll("tag");
  const attrs = query.getAll("attr");
  return (
    <form class="filters" method="get" action="/">
      <div>
        <label for="f-workflow">Workflow</label>
        <select id="f-workflow" name="workflow">
          <option value="">any</option>
          {names.map((name) => (
            <option value={name} selected={query.get("workflow") === name}>
              {name}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="f-tag">Tag (key:value)</label>
        <input id="f-tag" name="tag" type="text" placeholder="team:design" value={tags[0] ?? ""} />
        {tags.slice(1).map((tag) => (
          <input type="hidden" name="tag" value={tag} />
        ))}
      </div>
      <div>
        <label for="f-attr">Attribute (key:value)</label>
        <input id="f-attr" name="attr" type="text" placeholder="orderId:A-1" value={attrs[0] ?? ""} />
        {attrs.slice(1).map((attr) => (
          <input type="hidden" name="attr" value={attr} />
        ))}
      </div>
      <div>
        <label for="f-parent">Parent instance</label>
        <input id="f-parent" name="parent" type="text" value={query.get("parent") ?? ""} />
      </div>
      <div>
        <label for="f-after">Created after (UTC)</label>
        <input id="f-after" name="createdAfter" type="datetime-local" value={query.get("createdAfter") ?? ""} />
      </div>
      <div>
        <label for="f-before">Created before (UTC)</label>
        <input id="f-before" name="createdBefore" type="datetime-local" value={query.get("createdBefore") ?? ""} />
      </div>
      <div>
        <label for="f-limit">Per page</label>
        <select id="f-limit" name="limit">
          {["10", "25", "50", "100"].map((n) => (
            <option value={n} selected={(query.get("limit") ?? "25") === n}>
              {n}
            </option>
          ))}
        </select>
      </div>
      <fieldset>
        <legend class="muted">Status</legend>
        {STATUSES.map((s) => (
          <label class="check">
            <input type="checkbox" name="status" value={s} checked={statuses.includes(s)} /> {s}
          </label>
        ))}
      </fieldset>
      <div class="actions">
        <button type="submit">Search</button>
        <a class="button secondary" href="/">
          Clear
        </a>
      </div>
    </form>
  );
}

/** Instances as the list shows them (also a parent's children); `empty` is said when there are none. */
export function InstanceTable({ instances, now, empty = "No instances match." }: { instances: InstanceListItem[]; now: number; empty?: string }) {
  if (instances.length === 0) return <p class="muted">{empty}</p>;
  return (
    <table class="stack instances">
      <thead>
        <tr>
          <th>Instance</th>
          <th>Workflow</th>
          <th>Status</th>
          <th>Created</th>
          <th>Updated</th>
        </tr>
      </thead>
      <tbody>
        {instances.map((i) => (
          <tr>
            <td class="primary" data-label="Instance">
              <a href={`/instances/${encodeURIComponent(i.id)}`}>{i.id}</a>
              <div>
                {Object.entries(i.tags).map(([k, v]) => (
                  <span class="tag">
                    {k}:{v}
                  </span>
                ))}
              </div>
            </td>
            <td data-label="Workflow">{i.workflow}</td>
            <td data-label="Status">
              <StatusBadge status={i.status} />
              {i.waitingFor && (i.status === "waiting" || i.status === "queued") ? <div class="muted">{waitText(i.waitingFor, now)}</div> : null}
              {i.error ? <div class="error">{i.error.code}</div> : null}
            </td>
            <td data-label="Created">
              <When iso={i.createdAt} now={now} />
            </td>
            <td data-label="Updated">
              <When iso={i.updatedAt} now={now} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
