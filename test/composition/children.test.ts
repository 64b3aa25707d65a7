/**
 * Child workflows: fan-out and join, failures that the parent may catch, replays
 * that never start a second child, and a terminated parent taking its children along.
 */
import { describe as suite, expect, it } from "vitest";
import { indexDb, searchInstances } from "../../src/index-db/queries.js";
import { env } from "cloudflare:test";
import { effects, switches } from "../fixtures/effects.js";
import { api, evict, read, start, stubFor, uniqueId, waitForIndex, waitForStatus, waitUntil } from "../helpers.js";

suite("step.child", () => {
  it("fans out to children, resumes the parent with their outputs, and indexes their parent", async () => {
    const id = uniqueId("parent");
    await start("test-parent", { id, input: { count: 5 } });
    const done = await waitForStatus(id, "completed", 20_000);
    expect(done.output).toEqual([0, 2, 4, 6, 8]);
    const childIds = done.steps.filter((s) => s.kind === "child").map((_, i) => `${id}:part:${i + 1}`);
    for (const childId of childIds) {
      const view = await read(childId);
      expect(view).toMatchObject({ status: "completed", parentId: id });
      expect(effects(`${childId}/double`)).toBe(1);
    }
    for (const childId of childIds) await waitForIndex(childId, (row) => row?.parentId === id, "indexed with its parent");
    const page = await searchInstances(indexDb(env.DB), { parent: id, statuses: [], tags: [], limit: 50 });
    expect(page.instances.map((i) => i.id).sort()).toEqual([...childIds].sort());
    const res = await api(`/api/instances?parent=${id}`);
    expect(((await res.json()) as { instances: unknown[] }).instances).toHaveLength(5);
  });

  it("fails the step when a child fails, with the child's error, and the parent may catch it", async () => {
    const failing = uniqueId("parent-fails");
    await start("test-parent", { id: failing, input: { count: 3, failAt: 1 } });
    const failed = await waitForStatus(failing, "failed", 20_000);
    expect(failed.error).toMatchObject({ code: "CHILD_FAILED", name: "ChildWorkflowError", cause: { name: "ChildRefused", code: "NON_RETRYABLE" } });

    const catching = uniqueId("parent-catches");
    await start("test-parent", { id: catching, input: { count: 3, failAt: 2, catchFailure: true } });
    const done = await waitForStatus(catching, "completed", 20_000);
    expect(done.output).toEqual([0, 2, { code: "CHILD_FAILED", childError: "ChildRefused" }]);
  });

  it("never starts a second child when the parent is evicted between the child's start and its end", async () => {
    const id = uniqueId("parent-evicted");
    await start("test-parent", { id, input: { count: 2, hold: true } });
    const childIds = [`${id}:part:1`, `${id}:part:2`];
    for (const childId of childIds) await waitUntil(id, () => effects(`${childId}/double`) === 1, `child ${childId} running`);
    await evict(id);
    for (const childId of childIds) switches.set(`${childId}/release`, true);
    const done = await waitForStatus(id, "completed", 20_000);
    expect(done.output).toEqual([0, 2]);
    for (const childId of childIds) expect(effects(`${childId}/double`)).toBe(1);
    // The parent replayed from the top after the eviction (once per child's news when
    // they come apart: a parent waiting for children is not kept in memory), and asked
    // for the same children.
    expect(effects(`${id}/top`)).toBeGreaterThanOrEqual(2);
  });

  it("terminates running children along with their parent", async () => {
    const id = uniqueId("parent-terminated");
    await start("test-parent", { id, input: { count: 3, hold: true } });
    const childIds = [1, 2, 3].map((n) => `${id}:part:${n}`);
    for (const childId of childIds) await waitUntil(id, () => effects(`${childId}/double`) === 1, `child ${childId} running`);
    const res = await api(`/api/instances/${id}/terminate`, { method: "POST" });
    expect(res.status).toBe(200);
    for (const childId of childIds) expect((await waitForStatus(childId, "terminated")).status).toBe("terminated");
    expect((await read(id)).status).toBe("terminated");
  });

  it("completes a fan-out of 100 children joined with Promise.all", async () => {
    const id = uniqueId("parent-100");
    await start("test-parent", { id, input: { count: 100 } });
    const done = await waitForStatus(id, "completed", 60_000);
    expect(done.output).toEqual(Array.from({ length: 100 }, (_, n) => n * 2));
    expect(await stubFor(`${id}:part:100`).read()).toMatchObject({ status: "completed" });
  }, 90_000);
});
