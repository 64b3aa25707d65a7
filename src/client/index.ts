/**
 * A typed client for Cairn's HTTP API, for scripts, services and tests. Plain
 * `fetch`, so it runs in Node 18+, Workers, Deno and browsers.
 *
 * Typed by your workflows: give it their definitions by name, and `start` checks
 * each input at compile time while `get` and `waitFor` type each output.
 *
 * @example
 * import { createClient } from "./src/client";
 * import type approval from "./workflows/approval";
 *
 * const cairn = createClient<{ approval: typeof approval }>({ baseUrl: "http://localhost:8787", token: process.env.TOKEN! });
 * const started = await cairn.start("approval", { id: "expense-42", input: { request: "Laptop", amountCents: 189900, approver: "dana" } });
 * await cairn.waitFor(started, "waiting");
 * await cairn.sendEvent(started, { type: "decision", payload: { approved: true, by: "dana" } });
 * const done = await cairn.waitFor(started, "completed");
 * done.output?.outcome; // "approved" | "rejected" | "expired"
 */
import { TERMINAL_STATUSES, type Status } from "../engine/status.js";
import type { ClientCode, HttpCode } from "../lib/codes.js";
import { assemblePages } from "../journal/pages.js";
import { readServerSentEvents } from "../lib/sse.js";
import type * as T from "./types.js";

export type * from "./types.js";

/**
 * An answer of the API that is not a success, or a wait that gave up: `code` is the
 * problem's stable code (the README's tables list them all). Not the engine's
 * `CairnError`, which workflows meet inside their steps.
 */
export class CairnApiError extends Error {
  override readonly name = "CairnApiError";
  constructor(
    /** A code of the table; typed open, since a newer server may answer a code this client does not know. */
    readonly code: HttpCode | ClientCode | (string & {}),
    message: string,
    /** HTTP status; 0 when the error did not come from the API (e.g. WAIT_TIMEOUT). */
    readonly status: number,
    readonly problem?: T.Problem,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  /** Where Cairn answers, e.g. "http://localhost:8787". */
  baseUrl: string;
  /** API_TOKEN, or API_TOKEN_READONLY for a client that only reads. */
  token: string;
  /** Another fetch (a service binding's, a test's): default the global one. */
  fetch?: (request: Request) => Promise<Response>;
}

type Named<W> = keyof W & string;
type InstanceOf<W extends T.WorkflowTypes, N> = [N] extends [never]
  ? T.Instance
  : N extends Named<W>
    ? T.Instance<T.InputOf<W[N]>, T.OutputOf<W[N]>>
    : T.Instance;

const idOf = (ref: T.InstanceRef) => encodeURIComponent(typeof ref === "string" ? ref : ref.id);

export function createClient<W extends T.WorkflowTypes = T.UntypedWorkflows>(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, "");
  const send = options.fetch ?? ((request: Request) => fetch(request));

  async function call<R>(method: string, path: string, body?: unknown): Promise<{ status: number; body: R }> {
    const headers = new Headers({ authorization: `Bearer ${options.token}`, accept: "application/json" });
    if (body !== undefined) headers.set("content-type", "application/json");
    const response = await send(new Request(`${base}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) }));
    const text = await response.text();
    if (!response.ok) throw failure(response, text);
    return { status: response.status, body: JSON.parse(text) as R };
  }

  function failure(response: Response, text: string): CairnApiError {
    let problem: T.Problem | undefined;
    try {
      problem = JSON.parse(text) as T.Problem;
    } catch {
      // Not a problem document (a proxy's error page, say): the status and text tell.
    }
    return new CairnApiError(problem?.code ?? "UNEXPECTED_RESPONSE", problem?.detail ?? (text.slice(0, 200) || response.statusText), response.status, problem);
  }

  const lifecycle = (action: string) => async (ref: T.InstanceRef, body?: unknown) =>
    (await call<T.LifecycleAnswer>("POST", `/api/instances/${idOf(ref)}/${action}`, body)).body;

  const client = {
    /** The registered workflows. */
    async workflows(): Promise<T.WorkflowInfo[]> {
      return (await call<{ workflows: T.WorkflowInfo[] }>("GET", "/api/workflows")).body.workflows;
    },

    /** Starts an instance; the same `id` again answers the existing one (`created: false`). */
    async start<N extends Named<W>>(workflow: N, start: T.StartOptions<T.InputOf<W[N]>> = {}): Promise<T.Started<N>> {
      const { status, body } = await call<T.Started<N>>("POST", `/api/workflows/${encodeURIComponent(workflow)}/instances`, start);
      return { ...body, created: status === 201 };
    },

    /** The instance as its Durable Object holds it; typed when `ref` names its workflow. */
    async get<N extends Named<W> = never>(ref: T.InstanceRef<N>): Promise<InstanceOf<W, N>> {
      return (await call<InstanceOf<W, N>>("GET", `/api/instances/${idOf(ref)}`)).body;
    },

    /**
     * The instance's whole history in the journal format (docs/journal-format.md):
     * every page of `GET /api/instances/:id/journal`, assembled into one document.
     */
    async journal(ref: T.InstanceRef): Promise<T.JournalDocument> {
      const pages: T.JournalPage[] = [];
      let cursor: string | null = null;
      do {
        const search = cursor === null ? "" : `?${new URLSearchParams({ cursor })}`;
        const page: T.JournalPage = (await call<T.JournalPage>("GET", `/api/instances/${idOf(ref)}/journal${search}`)).body;
        pages.push(page);
        cursor = page.nextCursor;
      } while (cursor !== null);
      return assemblePages(pages);
    },

    /**
     * The instance's events (`GET /api/instances/:id/subscribe`): its history, then
     * each event as it happens; the iteration ends when the instance completes, fails
     * or is terminated. Resume after a dropped connection with the last `eventId`
     * seen as `cursor`; `filter` keeps only those event types.
     *
     * @example
     * for await (const event of cairn.subscribe("expense-42", { filter: ["step_completed", "workflow_completed"] })) {
     *   console.log(event.eventId, event.type, event.stepName ?? "", event.output);
     * }
     */
    async *subscribe(ref: T.InstanceRef, subscription: T.SubscribeOptions = {}): AsyncGenerator<T.InstanceEvent, void, undefined> {
      const query = new URLSearchParams();
      if (subscription.cursor !== undefined) query.set("cursor", String(subscription.cursor));
      if (subscription.filter?.length) query.set("filter", subscription.filter.join(","));
      const headers = new Headers({ authorization: `Bearer ${options.token}`, accept: "text/event-stream" });
      const request = new Request(`${base}/api/instances/${idOf(ref)}/subscribe${query.size ? `?${query}` : ""}`, {
        headers,
        ...(subscription.signal && { signal: subscription.signal }),
      });
      const response = await send(request);
      if (!response.ok || !response.body) throw failure(response, await response.text());
      for await (const frame of readServerSentEvents(response.body)) yield JSON.parse(frame.data) as T.InstanceEvent;
    },

    /** One page of instances, newest first; pass `nextCursor` back as `cursor` for the next. */
    async list(filters: T.ListFilters = {}): Promise<T.InstancePage> {
      const query = new URLSearchParams();
      const filter = filterBody(filters);
      if (filter.workflow) query.set("workflow", filter.workflow);
      for (const key of ["status", "tag", "attr"] as const) for (const value of filter[key]) query.append(key, value);
      if (filter.parent) query.set("parent", filter.parent);
      if (filter.createdAfter !== undefined) query.set("createdAfter", filter.createdAfter);
      if (filter.createdBefore !== undefined) query.set("createdBefore", filter.createdBefore);
      if (filters.limit !== undefined) query.set("limit", String(filters.limit));
      if (filters.cursor) query.set("cursor", filters.cursor);
      const search = query.size ? `?${query}` : "";
      return (await call<T.InstancePage>("GET", `/api/instances${search}`)).body;
    },

    /** How many instances a bulk action with this filter would reach now, and the newest few: nothing is done. */
    async bulkDryRun(filter: T.BulkFilter, action: T.BulkAction): Promise<T.BulkDryRun> {
      return (await call<T.BulkDryRun>("POST", "/api/bulk", { filter: filterBody(filter), action, dryRun: true })).body;
    },

    /**
     * Applies `action` to every instance the filter matches, as a durable job: it
     * takes a snapshot of the matching instances, then does each at most once. The
     * same `id` again answers that job.
     */
    async bulk(filter: T.BulkFilter, action: T.BulkAction, options: { id?: string } = {}): Promise<T.BulkJob> {
      return (await call<T.BulkJob>("POST", "/api/bulk", { filter: filterBody(filter), action, ...(options.id && { id: options.id }) })).body;
    },

    /** A bulk job's progress: matched, done, skipped and failed (with why). */
    async bulkJob(id: string): Promise<T.BulkJob> {
      return (await call<T.BulkJob>("GET", `/api/bulk/${encodeURIComponent(id)}`)).body;
    },

    /** One page of a bulk job's instances with what became of each. */
    async bulkInstances(id: string, options: { state?: "pending" | "done" | "skipped" | "failed"; limit?: number; cursor?: string } = {}): Promise<T.BulkTargetPage> {
      const query = new URLSearchParams();
      if (options.state) query.set("state", options.state);
      if (options.limit !== undefined) query.set("limit", String(options.limit));
      if (options.cursor) query.set("cursor", options.cursor);
      return (await call<T.BulkTargetPage>("GET", `/api/bulk/${encodeURIComponent(id)}/instances${query.size ? `?${query}` : ""}`)).body;
    },

    /** Stops a bulk job: no more actions are sent. */
    async cancelBulk(id: string): Promise<T.BulkJob> {
      return (await call<T.BulkJob>("POST", `/api/bulk/${encodeURIComponent(id)}/cancel`)).body;
    },

    /** Counts by workflow and status. */
    async stats(): Promise<T.Stats> {
      return (await call<T.Stats>("GET", "/api/stats")).body;
    },

    /** Sends an event; a repeated event `id` is accepted once (`duplicate: true`). */
    async sendEvent<Payload>(ref: T.InstanceRef, event: T.SendEventOptions<Payload>): Promise<T.EventAccepted> {
      return (await call<T.EventAccepted>("POST", `/api/instances/${idOf(ref)}/events`, event)).body;
    },

    /**
     * Publishes a named event: it starts the workflows that declare it as a trigger
     * and, with a `key`, reaches the waits that match it (`step.waitForEvent` with
     * `match`). A repeated `id` starts and delivers nothing more (`duplicate: true`).
     *
     * @example await cairn.publish({ name: "order.paid", key: "o-17", id: "pay-981", data: { orderId: "o-17" } });
     */
    async publish<Data>(event: T.PublishOptions<Data>): Promise<T.EventPublished> {
      return (await call<T.EventPublished>("POST", "/api/events", event)).body;
    },

    pause: (ref: T.InstanceRef) => lifecycle("pause")(ref),
    resume: (ref: T.InstanceRef) => lifecycle("resume")(ref),
    /** With `rollback: true`, the rollbacks of completed steps run first. */
    terminate: (ref: T.InstanceRef, options: { rollback?: boolean } = {}) => lifecycle("terminate")(ref, options.rollback ? { rollback: true } : undefined),
    /** From the beginning, or from `fromStep` on (keeping the results of the steps before it). */
    restart: (ref: T.InstanceRef, options: { fromStep?: { name: string; count?: number } } = {}) =>
      lifecycle("restart")(ref, options.fromStep ? { fromStep: options.fromStep } : undefined),

    /**
     * A new instance of the same workflow whose journal is this one's up to (not
     * including) `fromStep`, with this input or `input`; the origin is untouched.
     */
    async fork(ref: T.InstanceRef, options: T.ForkOptions = {}): Promise<T.Forked> {
      return (await call<T.Forked>("POST", `/api/instances/${idOf(ref)}/fork`, options)).body;
    },

    /** Gives the result of a step that failed the instance or waits to retry; the instance continues from there. */
    async resolveStep(ref: T.InstanceRef, step: { name: string; count?: number; output: unknown }): Promise<T.Resolved> {
      return (await call<T.Resolved>("POST", `/api/instances/${idOf(ref)}/steps/resolve`, step)).body;
    },

    /** Deletes the instance: its index row, then its storage. */
    async delete(ref: T.InstanceRef): Promise<void> {
      await call("DELETE", `/api/instances/${idOf(ref)}`);
    },

    /** Every schedule, by id; only one workflow's with `workflow`. */
    async schedules(workflow?: string): Promise<T.Schedule[]> {
      const search = workflow ? `?${new URLSearchParams({ workflow })}` : "";
      return (await call<{ schedules: T.Schedule[] }>("GET", `/api/schedules${search}`)).body.schedules;
    },

    async schedule(id: string): Promise<T.Schedule> {
      return (await call<T.Schedule>("GET", `/api/schedules/${encodeURIComponent(id)}`)).body;
    },

    /** Creates a schedule; the same `id` again replaces that schedule. */
    async putSchedule(schedule: T.ScheduleRequest): Promise<T.Schedule> {
      return (await call<T.Schedule>("POST", "/api/schedules", schedule)).body;
    },

    /** No fires until resumed. */
    async pauseSchedule(id: string): Promise<T.Schedule> {
      return (await call<T.Schedule>("POST", `/api/schedules/${encodeURIComponent(id)}/pause`)).body;
    },

    async resumeSchedule(id: string): Promise<T.Schedule> {
      return (await call<T.Schedule>("POST", `/api/schedules/${encodeURIComponent(id)}/resume`)).body;
    },

    /** Deletes a schedule created through the API (a schedule declared in code comes back with the code). */
    async deleteSchedule(id: string): Promise<void> {
      await call("DELETE", `/api/schedules/${encodeURIComponent(id)}`);
    },

    /**
     * Polls until the instance has one of `statuses`, and answers it. Fails at once
     * (code UNEXPECTED_STATUS) when the instance ends in another final status, and
     * with code WAIT_TIMEOUT after `timeoutMs`.
     */
    async waitFor<N extends Named<W> = never>(ref: T.InstanceRef<N>, statuses: Status | Status[], wait: T.WaitOptions = {}): Promise<InstanceOf<W, N>> {
      const wanted: Status[] = [statuses].flat();
      const deadline = Date.now() + (wait.timeoutMs ?? 60_000);
      for (;;) {
        const instance = await client.get<N>(ref);
        if (wanted.includes(instance.status)) return instance;
        if ((TERMINAL_STATUSES as readonly Status[]).includes(instance.status)) {
          throw new CairnApiError("UNEXPECTED_STATUS", `instance "${instance.id}" is ${instance.status} and will not become ${wanted.join(" or ")}`, 0);
        }
        if (Date.now() >= deadline) {
          throw new CairnApiError("WAIT_TIMEOUT", `instance "${instance.id}" is still ${instance.status}, not ${wanted.join(" or ")}, after ${wait.timeoutMs ?? 60_000} ms`, 0);
        }
        wait.signal?.throwIfAborted();
        await new Promise((resolve) => setTimeout(resolve, wait.intervalMs ?? 500));
      }
    },
  };
  return client;
}

/** A filter as the API's JSON takes it (the query of `GET /api/instances`, as arrays). */
function filterBody(filters: T.BulkFilter) {
  const time = (t: Date | string | number) => (t instanceof Date ? t.toISOString() : String(t));
  const pairs = (given: Record<string, string> | string[] | undefined) => (Array.isArray(given) ? given : Object.entries(given ?? {}).map(([key, value]) => `${key}:${value}`));
  return {
    ...(filters.workflow && { workflow: filters.workflow }),
    status: [filters.status ?? []].flat(),
    tag: pairs(filters.tags),
    attr: pairs(filters.attributes),
    ...(filters.parent && { parent: filters.parent }),
    ...(filters.createdAfter !== undefined && { createdAfter: time(filters.createdAfter) }),
    ...(filters.createdBefore !== undefined && { createdBefore: time(filters.createdBefore) }),
  };
}

export type CairnClient<W extends T.WorkflowTypes = T.UntypedWorkflows> = ReturnType<typeof createClient<W>>;
