/**
 * Forks end to end: `POST /api/instances/:id/fork` copies the journal up to a step,
 * takes a new input, never runs the copied steps again, and leaves the origin as it was.
 */
import { describe as suite, expect, it } from "vitest";
import { effects } from "../fixtures/effects.js";
import { api, read, start, uniqueId, waitForIndex, waitForStatus } from "../helpers.js";

async function fork(id: string, body: unknown) {
  const res = await api(`/api/instances/${id}/fork`, { method: "POST", json: body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

suite("POST /api/instances/:id/fork", () => {
  it("copies the journal up to the step, with a new input; the fork runs on from there and the origin is untouched", async () => {
    const origin = uniqueId("fork-origin");
    await start("approval", { id: origin, input: { request: "desk", amountCents: 100, approver: "dana" }, tags: { team: "ops" } });
    await waitForStatus(origin, "waiting");
    await api(`/api/instances/${origin}/events`, { method: "POST", json: { type: "decision", id: "d-1", payload: { approved: false, by: "dana" } } });
    const before = await waitForStatus(origin, "completed");
    const originJournal = await (await api(`/api/instances/${origin}/journal`)).json();

    const id = uniqueId("fork-copy");
    const input = { request: "desk", amountCents: 100, approver: "lee" };
    const created = await fork(origin, { id, fromStep: { name: "wait for decision" }, input });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id, workflow: "approval", status: "queued", forkedFrom: { id: origin, step: { name: "wait for decision", count: 1 } } });

    // The copied step keeps the origin's result (its function did not run again: it would name lee).
    const waiting = await waitForStatus(id, "waiting");
    expect(waiting.input).toEqual(input);
    expect(waiting.forkedFrom).toEqual({ id: origin, step: { name: "wait for decision", count: 1 } });
    expect(waiting.tags).toEqual({ team: "ops" });
    expect(waiting.steps.map((s) => [s.name, s.status])).toEqual([
      ["notify approver", "completed"],
      ["wait for decision", "waiting"],
    ]);
    expect(waiting.steps[0]!.result).toEqual(before.steps[0]!.result);
    await api(`/api/instances/${id}/events`, { method: "POST", json: { type: "decision", payload: { approved: true, by: "lee" } } });
    expect((await waitForStatus(id, "completed")).output).toEqual({ approved: true, decidedBy: "lee", outcome: "approved" });

    expect(await read(origin)).toEqual(before);
    const { exportedAt: _a, ...originAfter } = (await (await api(`/api/instances/${origin}/journal`)).json()) as Record<string, unknown>;
    const { exportedAt: _b, ...originBefore } = originJournal as Record<string, unknown>;
    expect(originAfter).toEqual(originBefore);
    const row = await waitForIndex(id, (r) => r?.status === "completed", "completed");
    expect(row?.forkedFrom).toBe(origin);
    const listed = (await (await api(`/api/instances?workflow=approval&tag=team:ops&limit=100`)).json()) as { instances: { id: string; forkedFrom?: string }[] };
    expect(listed.instances.find((i) => i.id === id)?.forkedFrom).toBe(origin);
    const journal = (await (await api(`/api/instances/${id}/journal`)).json()) as { instance: { forkedFrom: unknown } };
    expect(journal.instance.forkedFrom).toEqual({ id: origin, step: { name: "wait for decision", count: 1 } });
  });

  it("without fromStep copies nothing: the fork runs from the beginning with the origin's input", async () => {
    const origin = uniqueId("fork-whole");
    await start("test-counted-chain", { id: origin, input: { steps: 3 } });
    await waitForStatus(origin, "completed");
    const id = uniqueId("fork-fresh");
    expect((await fork(origin, { id })).status).toBe(201);
    const done = await waitForStatus(id, "completed");
    expect(done.output).toEqual({ total: 3 });
    expect(effects(`${id}/add/0`)).toBe(1);
  });

  it("copies the steps before a later step without running them again", async () => {
    const origin = uniqueId("fork-later");
    await start("test-counted-chain", { id: origin, input: { steps: 4 } });
    await waitForStatus(origin, "completed");
    const id = uniqueId("fork-later-copy");
    expect((await fork(origin, { id, fromStep: { name: "add", count: 3 } })).status).toBe(201);
    expect((await waitForStatus(id, "completed")).output).toEqual({ total: 6 });
    expect([0, 1, 2, 3].map((i) => effects(`${id}/add/${i}`))).toEqual([0, 0, 1, 1]);
  });

  it("answers 404, 422 STEP_NOT_FOUND, 422 for a bad input, and 409 for an id already taken", async () => {
    expect((await fork(uniqueId("fork-none"), {})).status).toBe(404);
    const origin = uniqueId("fork-errors");
    await start("approval", { id: origin, input: { request: "desk", amountCents: 100, approver: "dana" } });
    await waitForStatus(origin, "waiting");
    const missing = await fork(origin, { fromStep: { name: "nope" } });
    expect(missing).toMatchObject({ status: 422, body: { code: "STEP_NOT_FOUND" } });
    const badInput = await fork(origin, { input: { request: "" } });
    expect(badInput).toMatchObject({ status: 422, body: { code: "INVALID_INPUT" } });
    expect((await fork(origin, { id: origin })).body).toMatchObject({ code: "INSTANCE_EXISTS" });
    expect((await read(origin)).status).toBe("waiting");
  });
});
