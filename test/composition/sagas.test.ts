/**
 * Sagas: when an instance fails, the rollbacks of its completed steps run in
 * reverse order, journaled; terminate with { rollback: true } runs them too.
 */
import { describe as suite, expect, it } from "vitest";
import { effects } from "../fixtures/effects.js";
import { api, evict, start, uniqueId, waitForStatus, waitUntil } from "../helpers.js";

suite("rollbacks", () => {
  it("undoes completed steps newest first when the instance fails, and ends failed with the original error", async () => {
    const id = uniqueId("saga");
    await start("test-saga", { id, input: { mode: "fail" } });
    const failed = await waitForStatus(id, "failed");
    expect(failed.error).toMatchObject({ name: "Lost", code: "NON_RETRYABLE" });
    expect(failed.steps.map((s) => [s.kind, s.name, s.status])).toEqual([
      ["do", "reserve", "completed"],
      ["do", "charge", "completed"],
      ["do", "no rollback", "completed"],
      ["do", "ship", "completed"],
      ["do", "deliver", "failed"],
      ["rollback", "rollback ship", "completed"],
      ["rollback", "rollback charge", "completed"],
      ["rollback", "rollback reserve", "completed"],
    ]);
    expect(failed.steps.at(-1)?.result).toBe("undid reserve");
    for (const what of ['ship "S1"', 'charge "C1"', 'reserve "R1"']) expect(effects(`${id}/undo ${what}`)).toBe(1);
    // Rolled back in reverse: each rollback started after the one before it finished.
    const rollbacks = failed.steps.filter((s) => s.kind === "rollback");
    for (let i = 1; i < rollbacks.length; i++) expect(Date.parse(rollbacks[i]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(rollbacks[i - 1]!.finishedAt!));
  });

  it("runs the rollbacks when terminated with { rollback: true }, even after an eviction, then ends terminated", async () => {
    const id = uniqueId("saga-terminated");
    await start("test-saga", { id, input: { mode: "wait" } });
    await waitUntil(id, (v) => v.status === "waiting" && v.waitingFor?.kind === "event", "waiting");
    await evict(id);
    const res = await api(`/api/instances/${id}/terminate`, { method: "POST", json: { rollback: true } });
    expect(res.status).toBe(200);
    const done = await waitForStatus(id, "terminated");
    expect(done.steps.filter((s) => s.kind === "rollback").map((s) => s.name)).toEqual(["rollback ship", "rollback charge", "rollback reserve"]);
    for (const what of ['ship "S1"', 'charge "C1"', 'reserve "R1"']) expect(effects(`${id}/undo ${what}`)).toBe(1);
  });

  it("terminates without rollbacks by default", async () => {
    const id = uniqueId("saga-plain-terminate");
    await start("test-saga", { id, input: { mode: "wait" } });
    await waitUntil(id, (v) => v.status === "waiting", "waiting");
    await api(`/api/instances/${id}/terminate`, { method: "POST" });
    const done = await waitForStatus(id, "terminated");
    expect(done.steps.some((s) => s.kind === "rollback")).toBe(false);
  });
});
