/**
 * Schedules: created through the API or declared in code, fired by their alarm,
 * one instance per fire even when the alarm comes twice, missed fires by policy,
 * pause and resume.
 */
import { SELF, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { ID_PATTERN } from "../../src/lib/ids.js";
import { fireInstanceId } from "../../src/flow/schedule.js";
import { indexDb, searchInstances } from "../../src/index-db/queries.js";
import { MAX_SCHEDULE_ID_LENGTH } from "../../src/lib/bounds.js";
import { api, read, uniqueId, waitForIndex, waitUntil } from "../helpers.js";

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
    const id = uniqueId("sched-on-time");
    await create({ id, workflow: "test-counted-chain", cron: "* * * * *", input: { steps: 1 } });
    // As if the minute were almost over: the last fire a minute back, the alarm due in a moment.
    await runInDurableObject(schedule(id), async (_o, state) => {
      state.storage.sql.exec("UPDATE schedule SET last_fire = ?", Date.now() - 61_000);
      await state.storage.setAlarm(Date.now() + 50);
    });
    expect(await waitForStarted(id, 1, 6_000)).toHaveLength(1);
    await api(`/api/schedules/${id}/pause`, { method: "POST" });
    expect(await runInDurableObject(schedule(id), (_o, state) => state.storage.getAlarm())).toBeNull();
    // Even an alarm that came anyway starts nothing while paused.
    await rewind(id, 3);
    await runInDurableObject(schedule(id), (object) => object.alarm());
    expect(await started(id)).toHaveLength(1);
    await api(`/api/schedules/${id}`, { method: "DELETE" });
  });

  it("refuses a cron with a field of seconds, which would start an instance every second", async () => {
    const res = await api("/api/schedules", { method: "POST", json: { id: uniqueId("sched-6"), workflow: "test-counted-chain", cron: "* * * * * *" } });
    expect(res.status).toBe(422);
    const problem = (await res.json()) as { code: string; errors: { path: string; message: string }[] };
    expect(problem.code).toBe("INVALID_INPUT");
    expect(problem.errors[0]).toMatchObject({ path: "cron" });
    expect(problem.errors[0]!.message).toMatch(/5 fields.*seconds/);
    const daily = uniqueId("sched-daily");
    expect((await api("/api/schedules", { method: "POST", json: { id: daily, workflow: "test-counted-chain", cron: "@daily" } })).status).toBe(201);
    await api(`/api/schedules/${daily}`, { method: "DELETE" });
  });

  it("bounds schedule ids so that every fire's instance id fits the 100-character rule, and its instance is reachable", async () => {
    const base = uniqueId("sched-long");
    const tooLong = base.padEnd(MAX_SCHEDULE_ID_LENGTH + 1, "x");
    const refused = await api("/api/schedules", { method: "POST", json: { id: tooLong, workflow: "test-counted-chain", cron: "* * * * *" } });
    expect(refused.status).toBe(422);
    expect((await api(`/api/schedules/${tooLong}`)).status).toBe(404);

    const longest = base.padEnd(MAX_SCHEDULE_ID_LENGTH, "y");
    await create({ id: longest, workflow: "test-counted-chain", cron: "* * * * *", input: { steps: 1 } });
    await rewind(longest, 2);
    await runDurableObjectAlarm(schedule(longest));
    const [fired] = await waitForStarted(longest, 1);
    expect(fired!.length).toBe(100);
    expect((await api(`/api/instances/${encodeURIComponent(fired!)}`)).status).toBe(200);
    await api(`/api/schedules/${longest}`, { method: "DELETE" });
  });

  it("names the fires of a longer id stored before the bound by a cut id and a digest, within the rule", async () => {
    const fire = Date.UTC(2026, 10, 29, 3, 0);
    const a = await fireInstanceId(`${"a".repeat(120)}-one`, fire);
    const b = await fireInstanceId(`${"a".repeat(120)}-two`, fire);
    for (const id of [a, b]) {
      expect(id.length).toBeLessThanOrEqual(100);
      expect(id).toMatch(ID_PATTERN);
      expect(id.endsWith("--2026-11-29T03:00:00.000Z")).toBe(true);
    }
    expect(a).not.toBe(b);
    expect(await fireInstanceId("short", fire)).toBe("short--2026-11-29T03:00:00.000Z");
  });

  it("starts instances whose webhook URLs use the origin that created the schedule", async () => {
    const id = uniqueId("sched-origin");
    const res = await SELF.fetch("http://schedules.example/api/schedules", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer test-api-token" },
      body: JSON.stringify({ id, workflow: "test-hooked", cron: "* * * * *" }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    await rewind(id, 2);
    await runDurableObjectAlarm(schedule(id));
    const [fired] = await waitForStarted(id, 1);
    const view = await waitUntil(fired!, (v) => v.steps[0]?.status === "completed", "with its webhook");
    expect((view.steps[0]!.result as { url: string }).url).toMatch(/^http:\/\/schedules\.example\/hooks\//);
    expect((await read(fired!)).status).toBe("waiting");
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
