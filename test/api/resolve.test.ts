/**
 * Resolving a step end to end: an operator's output becomes the result of a step
 * that failed the instance, or waits to retry, and the instance goes on without
 * running the step's function again.
 */
import { describe as suite, expect, it } from "vitest";
import { effects } from "../fixtures/effects.js";
import { api, read, start, uniqueId, waitForStatus, waitUntil } from "../helpers.js";

async function resolve(id: string, body: unknown) {
  const res = await api(`/api/instances/${id}/steps/resolve`, { method: "POST", json: body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

suite("POST /api/instances/:id/steps/resolve", () => {
  it("continues a failed instance with the given output, recording who resolved the step and when", async () => {
    const id = uniqueId("resolve-failed");
    await start("test-flaky", { id, input: { failures: 5, limit: 1, delayMs: 1 } });
    const failed = await waitForStatus(id, "failed");
    expect(failed.error).toMatchObject({ step: { name: "flaky", count: 1 } });

    const answer = await resolve(id, { name: "flaky", output: { attempt: 99, by: "hand" } });
    expect(answer).toEqual({ status: 200, body: { id, status: "queued", step: { name: "flaky", count: 1 } } });
    const done = await waitForStatus(id, "completed");
    expect(done.output).toEqual({ attempt: 99, by: "hand" });
    expect(done.error).toBeUndefined();
    expect(done.steps[0]).toMatchObject({ status: "completed", result: { attempt: 99, by: "hand" } });
    expect(effects(`${id}/flaky`)).toBe(2);

    const journal = (await (await api(`/api/instances/${id}/journal`)).json()) as { steps: { resolvedBy?: { by: string; at: string } }[]; attempts: unknown[] };
    expect(journal.steps[0]!.resolvedBy).toEqual({ by: "api", at: expect.any(String) });
    expect(Date.parse(journal.steps[0]!.resolvedBy!.at)).toBeLessThanOrEqual(Date.now());
    expect(journal.attempts).toHaveLength(2);
  });

  it("resolves a step that waits to retry: its timer is dropped and the instance goes on at once", async () => {
    const id = uniqueId("resolve-retrying");
    await start("test-flaky", { id, input: { failures: 10, limit: 5, delayMs: 60_000 } });
    await waitUntil(id, (v) => v.status === "waiting" && v.waitingFor?.kind === "retry", "waiting to retry");
    const answer = await resolve(id, { name: "flaky", count: 1, output: "by hand" });
    expect(answer.status).toBe(200);
    expect((await waitForStatus(id, "completed")).output).toBe("by hand");
    expect(effects(`${id}/flaky`)).toBe(1);
  });

  it("refuses an unknown instance (404), an unknown step and a step that did not fail (422)", async () => {
    expect((await resolve(uniqueId("resolve-none"), { name: "flaky", output: 1 })).status).toBe(404);
    const id = uniqueId("resolve-done");
    await start("test-counted-chain", { id, input: { steps: 1 } });
    await waitForStatus(id, "completed");
    expect(await resolve(id, { name: "nope", output: 1 })).toMatchObject({ status: 422, body: { code: "STEP_NOT_FOUND" } });
    expect(await resolve(id, { name: "add", output: 1 })).toMatchObject({ status: 422, body: { code: "STEP_NOT_RESOLVABLE" } });
    expect(await resolve(id, { name: "add" })).toMatchObject({ status: 422, body: { code: "INVALID_INPUT" } });
    expect((await read(id)).status).toBe("completed");
  });
});
