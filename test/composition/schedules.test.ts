/**
 * Schedules: created through the API or declared in code, fired by their alarm,
 * one instance per fire even when the alarm comes twice, missed fires by policy,
 * pause and resume.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { indexDb, searchInstances } from "../../src/index-db/queries.js";
import { api, uniqueId, waitForIndex } from "../helpers.js";

const schedule = (id: string) => env.SCHEDULE.get(env.SCHEDULE.idFromName(id));

async function create(body: Record<string, unknown>) {
  const res = await api("/api/schedules", { method: "POST", json: body });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string; nextFire: string; paused: boolean };
}

/** Moves the schedule's last fire back, as if the runtime had been down for `minutes`. */
async function rewind(id: string, minutes: number) {
  await runInDurableObject(schedule(id), (_o, state) => {
    state.storage.sql.exec("UPDATE schedule SET last_fire = ?", Date.now() - minutes * 60_000 - 1_000);
  });
}

async function started(id: string): Promise<string[]> {
  const ids = new Set<string>();
  for (const prefix of [`${id}--`]) {
    const page = await searchInstances(indexDb(env.DB), { tags: [["schedule", id]], statuses: [], limit: 100 });
    for (const item of page.instances) if (item.id.startsWith(prefix)) ids.add(item.id);
  }
  return [...ids].sort();
}

suite("schedules", () => {
  it("creates, lists, reads, pauses, resumes and deletes a schedule", async () => {
    const id = uniqueId("sched-crud");
    const created = await create({ id, workflow: "test-counted-chain", cron: "*/5 * * * *", input: { steps: 1 } });
    expect(created).toMatchObject({ id, paused: false });
    expect(Date.parse(created.nextFire) - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    const list = (await (await api("/api/schedules?workflow=test-counted-chain")).json()) as { schedules: { id: string }[] };
    expect(list.schedules.map((s) => s.id)).toContain(id);
    expect(await (await api(`/api/schedules/${id}/pause`, { method: "POST" })).json()).toMatchObject({ paused: true });
    expect(await (await api(`/api/schedules/${id}/resume`, { method: "POST" })).json()).toMatchObject({ paused: false });
    expect((await api(`/api/schedules/${id}`, { method: "DELETE" })).status).toBe(200);
    expect((await api(`/api/schedules/${id}`)).status).toBe(404);
  });

  it("refuses a bad cron expression, an unknown workflow and input that does not match its schema", async () => {
    const bad = await api("/api/schedules", { method: "POST", json: { workflow: "test-doomed", cron: "every day at noon" } });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe("cron");
    expect((await api("/api/schedules", { method: "POST", json: { workflow: "nope", cron: "* * * * *" } })).status).toBe(404);
    expect((await api("/api/schedules", { method: "POST", json: { workflow: "approval", cron: "* * * * *", input: { request: 1 } } })).status).toBe(422);
  });

  it("starts one instance per fire, named by the fire time, and nothing twice when the alarm comes twice", async () => {
    const id = uniqueId("sched-skip");
    await create({ id, workflow: "test-counted-chain", cron: "* * * * *", input: { steps: 1 } });
    await rewind(id, 3);
    expect(await runDurableObjectAlarm(schedule(id))).toBe(true);
    await rewind(id, 0.5);
    await runDurableObjectAlarm(schedule(id));
    // skip: of the three missed minutes only the latest ran; the repeated alarm found it already started.
    const fired = await waitForStarted(id, 1);
    expect(fired).toHaveLength(1);
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    expect(fired[0]).toMatch(new RegExp(`^${id}--\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:00\\.000Z$`));
    expect(Date.parse(fired[0]!.slice(id.length + 2))).toBeLessThanOrEqual(minute.getTime());
  });

  it("catches up on missed fires, one run each, up to the limit", async () => {
    const id = uniqueId("sched-catch-up");
    await create({ id, workflow: "test-counted-chain", cron: "* * * * *", input: { steps: 1 }, policy: "catchUp", catchUpLimit: 3 });
    await rewind(id, 5);
    await runDurableObjectAlarm(schedule(id));
    await runDurableObjectAlarm(schedule(id));
    expect(await waitForStarted(id, 3)).toHaveLength(3);
  });

  it("fires on time by itself, and not while paused", async () => {
    const id = uniqueId("sched-seconds");
    await create({ id, workflow: "test-counted-chain", cron: "* * * * * *", input: { steps: 1 } });
    const two = await waitForStarted(id, 2, 6_000);
    expect(two.length).toBeGreaterThanOrEqual(2);
    await api(`/api/schedules/${id}/pause`, { method: "POST" });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const afterPause = (await started(id)).length;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await started(id)).length).toBe(afterPause);
    await api(`/api/schedules/${id}`, { method: "DELETE" });
  });

  it("creates the schedules declared in workflow code", async () => {
    await api("/api/workflows");
    const view = await waitForSchedule("test-declared");
    expect(view).toMatchObject({ id: "test-declared", workflow: "test-declared-schedule", source: "code", timezone: "Europe/Amsterdam", input: { from: "code" } });
  });
});

async function waitForStarted(id: string, count: number, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let ids = await started(id);
  while (ids.length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    ids = await started(id);
  }
  for (const instance of ids) await waitForIndex(instance, (row) => row !== undefined, "indexed");
  return ids;
}

async function waitForSchedule(id: string) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const res = await api(`/api/schedules/${id}`);
    if (res.status === 200) return res.json();
    if (Date.now() > deadline) throw new Error(`schedule ${id} does not exist`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
