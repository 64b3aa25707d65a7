/**
 * Named events (`POST /api/events`): correlated waits, the buffer of a key,
 * triggers and cancelOn, each through the API in workerd.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { TOKENS, api, read, start, uniqueId, waitForStatus, waitUntil } from "../helpers.js";
import { effects } from "../fixtures/effects.js";
import { correlation, publish } from "./helpers.js";

const waiting = (id: string) => waitUntil(id, (view) => view.waitingFor?.kind === "event", "waiting for an event");

describe("correlated waits", () => {
  it("an event reaches the instance waiting for its key and no other", async () => {
    const [a, b] = [uniqueId("order"), uniqueId("order")];
    await start("test-correlated", { id: a, input: { orderId: a } });
    await start("test-correlated", { id: b, input: { orderId: b } });
    await Promise.all([waiting(a), waiting(b)]);
    expect(await correlation("test.paid", a).state()).toMatchObject({ registrations: [{ instanceId: a, action: "deliver", match: { field: "data.orderId", equals: a } }] });

    const sent = await publish({ name: "test.paid", key: a, id: `pay-${a}`, data: { orderId: a, amount: 5 } });
    expect(sent).toMatchObject({ status: 202, body: { accepted: true, duplicate: false, delivered: 1, buffered: false, started: [] } });
    expect((await waitForStatus(a, "completed")).output).toEqual([{ id: `pay-${a}`, amount: 5 }]);
    expect((await read(b)).status).toBe("waiting");
    // The wait took its event: nothing stays registered for it.
    expect(await correlation("test.paid", a).state()).toMatchObject({ registrations: [], pending: 0 });
  });

  it("an event whose field does not hold the key's value reaches no wait, and is kept", async () => {
    const id = uniqueId("order");
    await start("test-correlated", { id, input: { orderId: id } });
    await waiting(id);
    const sent = await publish({ name: "test.paid", key: id, data: { orderId: "someone-else" } });
    expect(sent.body).toMatchObject({ delivered: 0, buffered: true });
    expect((await read(id)).status).toBe("waiting");
  });

  it("an event published before the wait is kept for its key and handed over when the wait comes", async () => {
    const id = uniqueId("early");
    expect((await publish({ name: "test.paid", key: id, id: `early-${id}`, data: { orderId: id, amount: 1 } })).body).toMatchObject({ buffered: true });
    expect(await correlation("test.paid", id).state()).toMatchObject({ buffered: [`early-${id}`] });
    await start("test-correlated", { id, input: { orderId: id } });
    expect((await waitForStatus(id, "completed")).output).toEqual([{ id: `early-${id}`, amount: 1 }]);
    expect(await correlation("test.paid", id).state()).toMatchObject({ buffered: [], registrations: [] });
  });

  it("a repeated event id is a duplicate: delivered once", async () => {
    const id = uniqueId("dupe");
    await start("test-correlated", { id, input: { orderId: id, times: 2, timeoutMs: 1_500 } });
    await waiting(id);
    const event = { name: "test.paid", key: id, id: `once-${id}`, data: { orderId: id, amount: 1 } };
    expect((await publish(event)).body.duplicate).toBe(false);
    expect((await publish(event)).body).toMatchObject({ duplicate: true, delivered: 0, buffered: false });
    // The second wait gets nothing and times out: the event came once.
    const failed = await waitForStatus(id, "failed");
    expect(failed.error).toMatchObject({ code: "EVENT_TIMEOUT" });
    expect(failed.steps.filter((s) => s.status === "completed")).toHaveLength(1);
  });

  it("a wait that times out leaves no registration behind", async () => {
    const id = uniqueId("timeout");
    await start("test-correlated", { id, input: { orderId: id, timeoutMs: 200 } });
    await waitForStatus(id, "failed");
    await expect.poll(async () => (await correlation("test.paid", id).state()).registrations).toEqual([]);
  });

  it("refuses an event over the key's buffer with 429 EVENT_BUFFER_FULL and keeps nothing of it", async () => {
    const key = uniqueId("full");
    const stub = correlation("test.paid", key);
    for (let i = 0; i < 1_000; i++) await stub.publish({ id: `e${i}`, name: "test.paid", data: "{}" });
    const over = await publish({ name: "test.paid", key, id: "one-more", data: {} });
    expect(over).toMatchObject({ status: 429, body: { code: "EVENT_BUFFER_FULL" } });
    expect((await stub.state()).seen).toBe(1_000);
  });

  it("checks the event: name, id and key within their bounds, data within JSON's", async () => {
    const bad = [
      { name: "", data: {} },
      { name: "a b" },
      { name: "ok", id: "not an id" },
      { name: "ok", key: "" },
      { name: "ok", key: "k".repeat(201) },
      { name: "ok", extra: 1 },
    ];
    for (const body of bad) expect((await api("/api/events", { method: "POST", json: body })).status, JSON.stringify(body)).toBe(422);
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    expect((await api("/api/events", { method: "POST", json: { name: "ok", data: deep } })).status).toBe(422);
    expect((await api("/api/events", { method: "POST", json: { name: "ok" }, auth: "readonly" })).status).toBe(403);
  });
});

describe("triggers", () => {
  it("starts each workflow that declares the event, once per event id, and not when the filter says no", async () => {
    const orderId = uniqueId("trig");
    const event = { name: "test.order.created", id: `created-${orderId}`, data: { orderId, total: 12 } };
    const first = await publish(event);
    expect(first).toMatchObject({ status: 202, body: { duplicate: false, started: [{ workflow: "test-triggered", id: `test-triggered--created-${orderId}`, created: true }] } });
    const done = await waitForStatus(`test-triggered--created-${orderId}`, "completed");
    expect(done.output).toEqual({ orderId, total: 12 });
    expect(done.tags).toEqual({ event: "test.order.created" });

    const again = await publish(event);
    expect(again.body).toMatchObject({ duplicate: true, started: [{ workflow: "test-triggered", created: false }] });
    expect(effects(`triggered/${orderId}`)).toBe(1);

    const free = await publish({ name: "test.order.created", id: `free-${orderId}`, data: { orderId: `${orderId}-free`, total: 0 } });
    expect(free.body).toMatchObject({ started: [], duplicate: false });
  });

  it("derives an id from a digest when the event id would make a too long instance id", async () => {
    const start = uniqueId("x");
    const long = `${start}${"y".repeat(100 - start.length)}`;
    const sent = await publish({ name: "test.order.created", id: long, data: { orderId: long, total: 1 } });
    const started = sent.body.started[0];
    expect(started.id).toMatch(/^test-triggered--[A-Za-z0-9_-]{32}$/);
    expect((await publish({ name: "test.order.created", id: long, data: { orderId: long, total: 1 } })).body.started[0].id).toBe(started.id);
  });
});

describe("cancelOn", () => {
  it("terminates the running instance of that key, rollbacks first, and leaves others running", async () => {
    const [mine, other] = [uniqueId("cancel"), uniqueId("cancel")];
    await start("test-cancellable", { id: mine, input: { orderId: mine } });
    await start("test-cancellable", { id: other, input: { orderId: other } });
    await Promise.all([waiting(mine), waiting(other)]);

    const sent = await publish({ name: "test.order.cancelled", key: mine, data: { orderId: mine } });
    expect(sent.body).toMatchObject({ delivered: 1 });
    await waitForStatus(mine, "terminated");
    expect(effects(`released/${mine}`)).toBe(1);
    expect((await read(other)).status).toBe("waiting");
    expect(effects(`released/${other}`)).toBe(0);
    // Gone from the key once an event finds the instance finished.
    await publish({ name: "test.order.cancelled", key: mine, data: { orderId: mine } });
    await expect.poll(async () => (await correlation("test.order.cancelled", mine).state()).registrations).toEqual([]);
  });
});

describe("the typed client", () => {
  it("publishes a named event that wakes the wait for its key", async () => {
    const client = createClient({ baseUrl: "http://cairn.test", token: TOKENS.full, fetch: (request) => SELF.fetch(request) });
    const id = uniqueId("client");
    await start("test-correlated", { id, input: { orderId: id } });
    await waiting(id);
    const published = await client.publish({ name: "test.paid", key: id, id: `client-${id}`, data: { orderId: id, amount: 7 } });
    expect(published).toMatchObject({ accepted: true, duplicate: false, delivered: 1 });
    expect((await waitForStatus(id, "completed")).output).toEqual([{ id: `client-${id}`, amount: 7 }]);
    await expect(client.publish({ name: "bad name" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});
