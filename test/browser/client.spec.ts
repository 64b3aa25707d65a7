/**
 * The typed client against a running Cairn (`wrangler dev`): every method, its
 * errors, and its types (the `@ts-expect-error` lines fail the type check if the
 * client stops catching them). Every request it makes, and every answer, is checked
 * against the served `/openapi.json`.
 */
import { beforeAll, describe, expect, expectTypeOf, inject, it } from "vitest";
import { CairnApiError, createClient, type Instance } from "../../src/client/index.js";
import type approval from "../../workflows/approval.js";
import type { ApprovalInput, ApprovalOutput } from "../../workflows/approval.js";
import type shippingQuotes from "../../workflows/shipping-quotes.js";
import { openApiChecker, type OpenApiDocument } from "../api/openapi-check.js";

const { url, tokens } = inject("cairn");
const run = Date.now().toString(36);
type Workflows = { approval: typeof approval; "shipping-quotes": typeof shippingQuotes };

const problems: string[] = [];
let checker: ReturnType<typeof openApiChecker>;

/**
 * The global fetch, with each exchange checked against the document: every answer
 * must be described, and a request the document refuses must be refused (4xx) by
 * the server too (some tests send such requests on purpose).
 */
async function checkedFetch(request: Request): Promise<Response> {
  const requestBody = request.body ? await request.clone().text() : undefined;
  const response = await fetch(request);
  const responseBody = await response.clone().text();
  const found = checker.problems({
    method: request.method,
    url: request.url,
    requestType: request.headers.get("content-type"),
    requestBody,
    status: response.status,
    responseType: response.headers.get("content-type"),
    responseBody,
  });
  const refusedByDocument = found.some((p) => !/^(status|response)/.test(p));
  const relevant = refusedByDocument && response.status >= 400 && response.status < 500 ? found.filter((p) => /^(status|response)/.test(p)) : found;
  problems.push(...relevant.map((p) => `${request.method} ${new URL(request.url).pathname}: ${p}`));
  return response;
}

const cairn = createClient<Workflows>({ baseUrl: url, token: tokens.full, fetch: checkedFetch });
const input: ApprovalInput = { request: "Standing desk", amountCents: 64900, approver: "dana" };

beforeAll(async () => {
  checker = openApiChecker((await (await fetch(`${url}/openapi.json`)).json()) as OpenApiDocument);
});

describe("the typed client", () => {
  it("starts, waits, sends the event and reads the typed output", async () => {
    const started = await cairn.start("approval", { id: `client-${run}`, input, tags: { suite: `client-${run}` } });
    expect(started).toMatchObject({ id: `client-${run}`, workflow: "approval", status: "queued", created: true });
    expect((await cairn.start("approval", { id: `client-${run}`, input })).created).toBe(false);

    const waiting = await cairn.waitFor(started, "waiting", { timeoutMs: 20_000, intervalMs: 100 });
    expect(waiting.waitingFor).toMatchObject({ kind: "event", eventType: "decision" });
    expectTypeOf(waiting.input).toEqualTypeOf<ApprovalInput | undefined>();

    expect(await cairn.sendEvent(started, { type: "decision", id: `decision-${run}`, payload: { approved: true, by: "dana" } })).toEqual({
      accepted: true,
      duplicate: false,
      id: `decision-${run}`,
    });
    const done = await cairn.waitFor(started, "completed", { timeoutMs: 20_000, intervalMs: 100 });
    expectTypeOf(done.output).toEqualTypeOf<ApprovalOutput | undefined>();
    expect(done.output).toEqual({ approved: true, decidedBy: "dana", outcome: "approved" });
    expect(done.steps.map((s) => s.name)).toEqual(["notify approver", "wait for decision", "record decision"]);

    // By id alone the workflow is unknown: input and output are unknown.
    expectTypeOf((await cairn.get(started.id)).output).toEqualTypeOf<unknown>();
    expectTypeOf(await cairn.get<"approval">(started.id)).toEqualTypeOf<Instance<ApprovalInput, ApprovalOutput>>();
  });

  it("is typed by each workflow's input and by the registered names", async () => {
    const quotes = await cairn.start("shipping-quotes", { input: { parcel: { weightGrams: 800, from: "NL", to: "DE" } } });
    const done = await cairn.waitFor(quotes, "completed", { timeoutMs: 20_000, intervalMs: 100 });
    expect(done.output?.booked.carrier).toEqual(expect.any(String));
    // @ts-expect-error: amountCents is a number in approval's input.
    await expect(cairn.start("approval", { input: { request: "x", amountCents: "12", approver: "a" } })).rejects.toMatchObject({ code: "INVALID_INPUT", status: 422 });
    // @ts-expect-error: not a workflow this client knows.
    await expect(cairn.start("approvals", {})).rejects.toMatchObject({ code: "WORKFLOW_NOT_FOUND", status: 404 });
  });

  it("lists with filters and pages, counts, and lists the workflows", async () => {
    for (let i = 0; i < 3; i++) await cairn.start("approval", { id: `page-${run}-${i}`, input, tags: { page: run } });
    for (let i = 0; i < 3; i++) await cairn.waitFor(`page-${run}-${i}`, "waiting", { timeoutMs: 20_000, intervalMs: 100 });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      // The index may lag an instance by moments: these were settled before paging began.
      const page = await cairn.list({ tags: { page: run }, status: ["waiting"], limit: 2, ...(cursor && { cursor }) });
      seen.push(...page.instances.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual([0, 1, 2].map((i) => `page-${run}-${i}`));
    const stats = await cairn.stats();
    expect(stats.byWorkflow.approval?.total).toBeGreaterThanOrEqual(3);
    expect((await cairn.workflows()).map((w) => w.name)).toContain("approval");
  });

  it("pauses, resumes, restarts from a step, terminates and deletes", async () => {
    const id = `ops-${run}`;
    await cairn.start("approval", { id, input });
    await cairn.waitFor(id, "waiting", { timeoutMs: 20_000, intervalMs: 100 });
    expect(await cairn.pause(id)).toEqual({ id, status: "paused" });
    expect((await cairn.resume(id)).id).toBe(id);
    await cairn.waitFor(id, "waiting", { timeoutMs: 20_000, intervalMs: 100 });
    expect((await cairn.restart(id, { fromStep: { name: "wait for decision" } })).status).toBe("queued");
    await cairn.waitFor(id, "waiting", { timeoutMs: 20_000, intervalMs: 100 });
    expect(await cairn.terminate(id)).toEqual({ id, status: "terminated" });
    await expect(cairn.waitFor(id, "completed")).rejects.toMatchObject({ code: "UNEXPECTED_STATUS" });
    await expect(cairn.pause(id)).rejects.toMatchObject({ code: "INVALID_TRANSITION", status: 409, problem: { currentStatus: "terminated" } });
    await cairn.delete(id);
    await expect(cairn.get(id)).rejects.toBeInstanceOf(CairnApiError);
  });

  it("throws CairnApiError with the problem's code, and WAIT_TIMEOUT when waiting too long", async () => {
    const error = await cairn.get("no-such-instance").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CairnApiError);
    expect(error).toMatchObject({ code: "INSTANCE_NOT_FOUND", status: 404 });
    await expect(cairn.sendEvent("anyone", { type: "bad type" })).rejects.toMatchObject({ code: "INVALID_INPUT", problem: { errors: [{ path: "type" }] } });
    const slow = await cairn.start("approval", { input });
    await expect(cairn.waitFor(slow, "completed", { timeoutMs: 300, intervalMs: 100 })).rejects.toMatchObject({ code: "WAIT_TIMEOUT" });
    const readOnly = createClient<Workflows>({ baseUrl: url, token: tokens.readonly, fetch: checkedFetch });
    expect((await readOnly.get(slow)).id).toBe(slow.id);
    await expect(readOnly.terminate(slow)).rejects.toMatchObject({ code: "READ_ONLY_TOKEN", status: 403 });
  });

  it("made only requests, and got only answers, that /openapi.json describes", () => {
    expect(problems).toEqual([]);
  });
});
