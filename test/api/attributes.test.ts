/**
 * Search attributes: declared from the input, set while the workflow runs, shown in
 * the view and the index, usable as `attr=key:value` filters, carried by a fork,
 * and never set again by a replay.
 */
import { describe as suite, expect, it } from "vitest";
import { api, evict, read, start, uniqueId, waitForIndex, waitUntil } from "../helpers.js";

type Page = { instances: { id: string; attributes?: Record<string, string> }[]; nextCursor: string | null };

async function ids(query: string): Promise<string[]> {
  const res = await api(`/api/instances?${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as Page).instances.map((i) => i.id);
}

suite("search attributes", () => {
  it("are taken from the input at start, merged with those the workflow sets, and found by attr filters", async () => {
    const run = uniqueId("attrs");
    const a = `${run}-a`;
    const b = `${run}-b`;
    await start("test-attributed", { id: a, input: { orderId: `${run}-A-1`, customer: { id: "c-7" } }, tags: { run } });
    await start("test-attributed", { id: b, input: { orderId: `${run}-B-2` }, tags: { run } });

    const waiting = await waitUntil(a, (v) => v.status === "waiting", "waiting");
    expect(waiting.attributes).toEqual({ orderId: `${run}-A-1`, customer: "c-7", stage: "picked", carrier: "dhl" });
    expect(waiting.steps.map((s) => [s.kind, s.name, s.status])).toContainEqual(["attributes", "attributes", "completed"]);
    // A declaration that throws (no customer) leaves its attribute out; the start is not refused.
    expect((await waitUntil(b, (v) => v.status === "waiting", "waiting")).attributes).toEqual({ orderId: `${run}-B-2`, stage: "picked", carrier: "dhl" });

    await waitForIndex(a, (row) => row?.status === "waiting", "waiting");
    await waitForIndex(b, (row) => row?.status === "waiting", "waiting");
    expect(await ids(`attr=orderId:${run}-A-1`)).toEqual([a]);
    expect(await ids(`attr=stage:picked&tag=run:${run}`)).toEqual([b, a]);
    expect(await ids(`attr=stage:picked&attr=customer:c-7&tag=run:${run}`)).toEqual([a]);
    expect(await ids(`attr=customer:nobody&tag=run:${run}`)).toEqual([]);
    const listed = (await (await api(`/api/instances?tag=run:${run}&attr=orderId:${run}-A-1`)).json()) as Page;
    expect(listed.instances[0]!.attributes).toEqual({ orderId: `${run}-A-1`, customer: "c-7", stage: "picked", carrier: "dhl" });

    // Set later while it runs: the index follows, and the old value no longer matches.
    expect((await api(`/api/instances/${a}/events`, { method: "POST", json: { type: "go", payload: { stage: "shipped" } } })).status).toBe(202);
    await waitForIndex(a, (row) => row?.status === "completed", "completed");
    expect(await ids(`attr=stage:shipped&tag=run:${run}`)).toEqual([a]);
    expect(await ids(`attr=stage:picked&tag=run:${run}`)).toEqual([b]);
    expect((await read(a)).attributes!.stage).toBe("shipped");
  });

  it("are not set again by a replay, and a bad one fails only that call", async () => {
    const id = uniqueId("attrs-replay");
    await start("test-attributed", { id, input: { orderId: "R-1", bad: true } });
    const before = await waitUntil(id, (v) => v.status === "waiting", "waiting");
    expect(before.attributes).toEqual({ orderId: "R-1", stage: "bad-key-refused", carrier: "dhl" });
    await evict(id);
    expect((await api(`/api/instances/${id}/events`, { method: "POST", json: { type: "go", payload: { stage: "done" } } })).status).toBe(202);
    const after = await waitUntil(id, (v) => v.status === "completed", "completed");
    // The replay went past the journaled calls: "stage" is what the last call set, and the steps are as they were.
    expect(after.attributes).toEqual({ orderId: "R-1", stage: "done", carrier: "dhl" });
    expect(after.steps.filter((s) => s.kind === "attributes")).toHaveLength(3);
  });

  it("come along with a fork, as the copied steps set them", async () => {
    const origin = uniqueId("attrs-origin");
    await start("test-attributed", { id: origin, input: { orderId: "F-1" } });
    await waitUntil(origin, (v) => v.status === "waiting", "waiting");
    const fork = uniqueId("attrs-fork");
    const res = await api(`/api/instances/${origin}/fork`, { method: "POST", json: { id: fork, fromStep: { name: "go" }, input: { orderId: "F-2" } } });
    expect(res.status, await res.clone().text()).toBe(201);
    const forked = await waitUntil(fork, (v) => v.status === "waiting", "waiting");
    expect(forked.attributes).toEqual({ orderId: "F-2", stage: "picked", carrier: "dhl" });
  });

  it("refuses bad attribute filters", async () => {
    const res = await api(`/api/instances?attr=no-colon`);
    expect(res.status).toBe(422);
    const many = Array.from({ length: 21 }, (_, i) => `attr=k${i}:v`).join("&");
    expect((await api(`/api/instances?${many}`)).status).toBe(422);
  });
});
