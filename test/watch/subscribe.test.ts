/**
 * `GET /api/instances/:id/subscribe` in workerd: the history, then live events, then
 * the end; resuming after an event; filters; what a read-only subscriber sees; and
 * what subscribers cost the instance (its calls to the watch hub).
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { readServerSentEvents } from "../../src/lib/sse.js";
import { switches } from "../fixtures/effects.js";
import { TOKENS, api, start, uniqueId, waitForStatus, waitUntil } from "../helpers.js";

type Event = { instanceId: string; eventId: number; type: string; timestamp: number; stepName?: string; attempt?: number; output?: unknown; error?: { code: string }; retryDelayMs?: number; [k: string]: unknown };

/** An open subscription: events as they come. */
async function subscribe(id: string, { query = "", auth = "full", lastEventId }: { query?: string; auth?: "full" | "readonly"; lastEventId?: number } = {}) {
  const res = await api(`/api/instances/${id}/subscribe${query}`, {
    auth,
    headers: lastEventId === undefined ? {} : { "last-event-id": String(lastEventId) },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const frames = readServerSentEvents(res.body!);
  const seen: Event[] = [];
  return {
    seen,
    /** Reads until an event satisfies `until` (returns it), or the stream ends (returns undefined). */
    async read(until: (event: Event) => boolean = () => false): Promise<Event | undefined> {
      for (;;) {
        const next = await frames.next();
        if (next.done) return undefined;
        const event = JSON.parse(next.value.data) as Event;
        expect(next.value.id).toBe(String(event.eventId));
        expect(next.value.event).toBe(event.type);
        seen.push(event);
        if (until(event)) return event;
      }
    },
    close: () => frames.return(undefined),
  };
}

const types = (events: Event[]) => events.map((e) => e.type);
const send = (id: string, type: string, payload?: unknown) => api(`/api/instances/${id}/events`, { method: "POST", json: { type, payload } });

describe("GET /api/instances/:id/subscribe", () => {
  it("sends the history, then live events, then ends with the instance", async () => {
    const { id } = await start("test-inbox", { id: uniqueId("sub-live") });
    await waitForStatus(id, "waiting");
    const stream = await subscribe(id);
    // The history: created, started, the first wait, the status now.
    await stream.read((e) => e.type === "workflow_waiting");
    expect(types(stream.seen)).toEqual(["workflow_queued", "workflow_started", "wait_started", "workflow_waiting"]);
    expect(stream.seen[2]).toMatchObject({ instanceId: id, stepName: "first", stepCount: 1, stepKind: "event", eventType: "note" });

    // Live: each event as it happens.
    await send(id, "note", "one");
    await stream.read((e) => e.type === "wait_completed");
    await send(id, "note", "two");
    await send(id, "done", "three");
    expect(await stream.read()).toBeUndefined();

    const seen = stream.seen;
    expect(seen.at(-1)).toMatchObject({ type: "workflow_completed", output: ["one", "two", "three"] });
    expect(seen.filter((e) => e.type === "wait_completed").map((e) => e.stepName)).toEqual(["first", "second", "done"]);
    expect(seen.filter((e) => e.type === "wait_completed")[0]!.output).toMatchObject({ type: "note", payload: "one" });
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.eventId).toBeGreaterThan(seen[i - 1]!.eventId);
  });

  it("resumes after the last event seen (Last-Event-ID or cursor), and ends at once after the end", async () => {
    const { id } = await start("test-counted-chain", { id: uniqueId("sub-resume"), input: { steps: 3 } });
    await waitForStatus(id, "completed");
    const whole = await subscribe(id);
    expect(await whole.read()).toBeUndefined();
    expect(types(whole.seen)).toEqual([
      "workflow_queued",
      "workflow_started",
      ...Array(3).fill(["step_started", "attempt_started", "attempt_completed", "step_completed"]).flat(),
      "workflow_completed",
    ]);
    expect(whole.seen.filter((e) => e.type === "step_completed").map((e) => e.output)).toEqual([0, 1, 2]);

    const middle = whole.seen[5]!;
    const resumed = await subscribe(id, { lastEventId: middle.eventId });
    expect(await resumed.read()).toBeUndefined();
    expect(resumed.seen).toEqual(whole.seen.slice(6));

    const byCursor = await subscribe(id, { query: `?cursor=${middle.eventId}` });
    expect(await byCursor.read()).toBeUndefined();
    expect(byCursor.seen).toEqual(whole.seen.slice(6));

    const after = await subscribe(id, { lastEventId: whole.seen.at(-1)!.eventId });
    expect(await after.read()).toBeUndefined();
    expect(after.seen).toEqual([]);
  });

  it("sends only the event types of the filter, and still ends with the instance", async () => {
    const { id } = await start("test-flaky", { id: uniqueId("sub-filter"), input: { failures: 2, limit: 3, delayMs: 30 } });
    const stream = await subscribe(id, { query: "?filter=attempt_errored,step_completed" });
    expect(await stream.read()).toBeUndefined();
    expect(types(stream.seen)).toEqual(["attempt_errored", "attempt_errored", "step_completed"]);
    const [first, second] = stream.seen;
    expect(first).toMatchObject({ stepName: "flaky", attempt: 1, error: { name: "Error", message: "failure #1", code: "STEP_FAILED" } });
    expect(second).toMatchObject({ attempt: 2 });
    expect(first!.retryDelayMs).toBeGreaterThanOrEqual(25);
    expect(stream.seen[2]).toMatchObject({ output: { attempt: 3 } });
  });

  it("refuses an unknown instance, event type or cursor", async () => {
    const missing = await api(`/api/instances/${uniqueId("sub-missing")}/subscribe`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "INSTANCE_NOT_FOUND" });
    const { id } = await start("test-counted-chain", { id: uniqueId("sub-bad"), input: { steps: 1 } });
    const badType = await api(`/api/instances/${id}/subscribe?filter=step_completed,step_exploded`);
    expect(badType.status).toBe(422);
    expect(((await badType.json()) as { detail: string }).detail).toContain("step_exploded");
    expect((await api(`/api/instances/${id}/subscribe?cursor=-1`)).status).toBe(422);
    expect((await api(`/api/instances/${id}/subscribe`, { headers: { "last-event-id": "abc" } })).status).toBe(422);
  });

  it("tells of rollbacks and of children", async () => {
    const saga = await start("test-saga", { id: uniqueId("sub-saga"), input: { mode: "fail" } });
    const rollbacks = await subscribe(saga.id, { query: "?filter=rollback_started,rollback_step_completed,step_errored,workflow_errored" });
    expect(await rollbacks.read()).toBeUndefined();
    expect(rollbacks.seen.map((e) => `${e.type} ${e.stepName ?? ""}`.trim())).toEqual([
      "step_errored deliver",
      "rollback_started",
      "rollback_step_completed rollback ship",
      "rollback_step_completed rollback charge",
      "rollback_step_completed rollback reserve",
      "workflow_errored",
    ]);

    const parent = await start("test-parent", { id: uniqueId("sub-parent"), input: { count: 2 } });
    const family = await subscribe(parent.id, { query: "?filter=child_started,child_finished" });
    expect(await family.read()).toBeUndefined();
    expect(family.seen.map((e) => [e.type, e.childId, e.status ?? null, e.output ?? null]).sort((a, b) => String(a).localeCompare(String(b)))).toEqual([
      ["child_finished", `${parent.id}:part:1`, "completed", 0],
      ["child_finished", `${parent.id}:part:2`, "completed", 2],
      ["child_started", `${parent.id}:part:1`, null, null],
      ["child_started", `${parent.id}:part:2`, null, null],
    ]);
  });

  it("ends the stream when the instance is deleted", async () => {
    const { id } = await start("test-inbox", { id: uniqueId("sub-deleted") });
    await waitForStatus(id, "waiting");
    const stream = await subscribe(id);
    await stream.read((e) => e.type === "workflow_waiting");
    expect((await api(`/api/instances/${id}`, { method: "DELETE" })).status).toBe(200);
    expect(await stream.read()).toBeUndefined();
    expect((await api(`/api/instances/${id}/subscribe`)).status).toBe(404);
  });

  it("gives a read-only subscriber webhook results without their token, wherever it shows", async () => {
    const { id } = await start("test-hooked", { id: uniqueId("sub-hook") });
    await waitForStatus(id, "waiting");
    const full = await subscribe(id);
    const real = (await full.read((e) => e.type === "step_completed"))!.output as { url: string; token: string };
    expect(real.url).toContain(real.token);
    await full.close();
    const readOnly = await subscribe(id, { auth: "readonly" });
    const hook = await readOnly.read((e) => e.type === "step_completed");
    expect(hook).toMatchObject({ stepKind: "webhook", output: { url: expect.stringContaining("[redacted]"), token: "[redacted]", eventType: "callback" } });
    expect(JSON.stringify(readOnly.seen)).not.toContain(real.token);
    await readOnly.close();
  });

  it("redacts a sensitive step's output, as Cloudflare does", async () => {
    const { id } = await start("test-secretive", { id: uniqueId("sub-secret") });
    const stream = await subscribe(id, { query: "?filter=step_completed" });
    expect(await stream.read()).toBeUndefined();
    expect(stream.seen.map((e) => e.output)).toEqual(["[REDACTED]", expect.any(Number)]);
  });
});

describe("the typed client's subscribe", () => {
  it("iterates the events until the instance ends, from a cursor and with a filter", async () => {
    const cairn = createClient({ baseUrl: "http://cairn.test", token: TOKENS.full, fetch: (request) => SELF.fetch(request) });
    const { id } = await start("test-counted-chain", { id: uniqueId("sub-client"), input: { steps: 2 } });
    const all = [];
    for await (const event of cairn.subscribe(id)) all.push(event);
    expect(all.at(-1)).toMatchObject({ type: "workflow_completed", output: { total: 1 } });
    const tail = [];
    for await (const event of cairn.subscribe(id, { cursor: all[1]!.eventId, filter: ["step_completed"] })) tail.push(event.output);
    expect(tail).toEqual([0, 1]);
    await expect(cairn.subscribe(uniqueId("sub-client-missing")).next()).rejects.toMatchObject({ code: "INSTANCE_NOT_FOUND", status: 404 });
  });
});

describe("what subscribers cost the instance", () => {
  /** Runs a chain of `steps` steps watched by `subscribers` streams; the instance's calls to its hub. */
  async function hubCalls(subscribers: number, steps: number, stepMs = 0) {
    const { id } = await start("test-watched-chain", { id: uniqueId(`sub-cost-${subscribers}`), input: { steps, stepMs } });
    await waitForStatus(id, "waiting");
    const streams = await Promise.all(Array.from({ length: subscribers }, () => subscribe(id)));
    await Promise.all(streams.map((s) => s.read((e) => e.type === "workflow_waiting")));
    const before = (switches.get(`publishes/${id}`) as number | undefined) ?? 0;
    await send(id, "go");
    if (subscribers === 0) await waitForStatus(id, "completed");
    const ends = await Promise.all(streams.map((s) => s.read()));
    expect(ends.every((end) => end === undefined)).toBe(true);
    for (const s of streams) expect(s.seen.filter((e) => e.type === "step_completed")).toHaveLength(steps);
    const calls = ((switches.get(`publishes/${id}`) as number | undefined) ?? 0) - before;
    return { calls, perStep: calls / steps };
  }

  it.each([
    ["instant steps", 0],
    ["steps of 5 ms", 5],
  ])("is nothing without subscribers, and the same for one as for fifty (%s)", async (what, stepMs) => {
    const steps = 20;
    const none = await hubCalls(0, steps, stepMs);
    const one = await hubCalls(1, steps, stepMs);
    const fifty = await hubCalls(50, steps, stepMs);
    console.log(`calls to the watch hub for ${steps} ${what}: 0 subscribers ${none.calls}, 1 subscriber ${one.calls}, 50 subscribers ${fifty.calls}`);
    expect(none.calls).toBe(0);
    expect(one.calls).toBeGreaterThan(0);
    // One call per batch of events, whoever listens: at most a couple per step, never one per subscriber.
    expect(one.perStep).toBeLessThanOrEqual(2.5);
    expect(fifty.perStep).toBeLessThanOrEqual(2.5);
  });

  it("stops sending once the last subscriber leaves", async () => {
    const { id } = await start("test-watched-chain", { id: uniqueId("sub-leave"), input: { steps: 20 } });
    await waitForStatus(id, "waiting");
    const stream = await subscribe(id);
    await stream.read((e) => e.type === "workflow_waiting");
    await stream.close();
    // The hub notices the stream is gone and tells the instance (or tells it at its next call).
    await new Promise((resolve) => setTimeout(resolve, 100));
    await send(id, "go");
    await waitUntil(id, (view) => view.status === "completed", "completed");
    // At most the call that found the stream gone, and the next one, which learns nobody listens.
    expect((switches.get(`publishes/${id}`) as number | undefined) ?? 0).toBeLessThanOrEqual(2);
  });
});
