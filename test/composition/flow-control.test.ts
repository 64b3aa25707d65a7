/**
 * Flow control per key, in workerd: a throttle spreads a burst over time and drops
 * nothing, a rate limit refuses what is beyond it (and creates nothing), a debounced
 * key runs once with the last input, and priorities order the concurrency queue.
 */
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { objectName } from "../../src/flow/controls.js";
import { describe as suite, expect, it } from "vitest";
import { workflowBinding } from "../../src/compat/binding.js";
import { effects, switches } from "../fixtures/effects.js";
import { testWorkflows } from "../fixtures/workflows.js";
import { registry } from "../../src/workflow.js";
import type { InstanceView } from "../../src/instance/rpc.js";
import { api, read, start, uniqueId, waitForStatus, waitUntil } from "../helpers.js";

/** Drops a flow object from memory, as a restart of the runtime would; its storage stays. */
async function restart(stub: DurableObjectStub): Promise<void> {
  await evictDurableObject(stub).catch((error: Error) => {
    if (!/not currently running/.test(error.message)) throw error;
  });
}

const running = (group: string) => (switches.get(`running/${group}`) as number | undefined) ?? 0;
const post = (workflow: string, json: unknown) => api(`/api/workflows/${workflow}/instances`, { method: "POST", json });

suite("throttle", () => {
  it("spreads 20 starts in one second over about four seconds at 5 a second, losing none, first in first out", async () => {
    const tenant = uniqueId("burst");
    // Four waves of five, a quarter of a second apart.
    const waves = Array.from({ length: 4 }, (_, w) => Array.from({ length: 5 }, (_, i) => `${tenant}-${w}-${i}`));
    const began = Date.now();
    const seen: Array<InstanceView["waitingFor"]> = [];
    for (const [w, wave] of waves.entries()) {
      const answers = await Promise.all(wave.map((id) => post("test-throttled", { id, input: { tenant } })));
      expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      // Those still in line show why they are queued, since when, and when their turn is expected.
      for (const view of await Promise.all(waves.slice(0, w + 1).flat().map((id) => read(id)))) if (view.status === "queued") seen.push(view.waitingFor);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const waitingFor of seen) expect(waitingFor).toMatchObject({ kind: "throttle", since: expect.any(String), until: expect.any(String) });
    for (const id of waves.flat()) await waitForStatus(id, "completed", 15_000);
    const starts = (switches.get(`started/${tenant}`) as number[]).sort((a, b) => a - b);
    expect(starts).toHaveLength(20);
    const spread = starts.at(-1)! - began;
    expect(spread).toBeGreaterThan(2_500);
    expect(spread).toBeLessThan(6_500);
    // In any window of one second the gate gave at most the limit of permits (when a step then ran varies with the machine's load).
    const gate = env.THROTTLE.get(env.THROTTLE.idFromName(objectName("throttle", "test-throttled", tenant)));
    const grants = await runInDurableObject(gate, (_gate, state) => state.storage.sql.exec<{ at: number }>("SELECT at FROM grants ORDER BY at").toArray().map((r) => r.at));
    expect(grants).toHaveLength(20);
    for (const at of grants) expect(grants.filter((t) => t >= at && t < at + 1_000).length).toBeLessThanOrEqual(5);
    // First in, first out: each wave started, by its median, after the one before it.
    const medians = waves.map((wave) => wave.map((id) => switches.get(`started/${id}`) as number).sort((a, b) => a - b)[2]!);
    expect([...medians].sort((a, b) => a - b)).toEqual(medians);
  }, 30_000);

  it("throttles each key apart: another tenant's starts do not wait", async () => {
    const [busy, quiet] = [uniqueId("busy"), uniqueId("quiet")];
    await Promise.all(Array.from({ length: 10 }, (_, i) => post("test-throttled", { id: `${busy}-${i}`, input: { tenant: busy } })));
    const other = `${quiet}-1`;
    await post("test-throttled", { id: other, input: { tenant: quiet } });
    await waitForStatus(other, "completed", 2_000);
    for (let i = 0; i < 10; i++) await waitForStatus(`${busy}-${i}`, "completed", 10_000);
  }, 20_000);
});

suite("rate limit", () => {
  it("accepts exactly the limit among concurrent starts and refuses the rest with 429, Retry-After, and nothing created", async () => {
    const tenant = uniqueId("limited");
    const ids = Array.from({ length: 12 }, (_, i) => `${tenant}-${i}`);
    const answers = await Promise.all(ids.map((id) => post("test-rate-limited", { id, input: { tenant } })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    const refused = answers.find((r) => r.status === 429)!;
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(await refused.json()).toMatchObject({ status: 429, code: "RATE_LIMITED" });
    for (const [i, id] of ids.entries()) {
      const got = await api(`/api/instances/${id}`);
      expect(got.status, id).toBe(statuses[i] === 201 ? 200 : 404);
    }
    // Another key has its own limit.
    expect((await post("test-rate-limited", { input: { tenant: `${tenant}-other` } })).status).toBe(201);
  });

  it("does not count a repeated start of an existing id", async () => {
    const tenant = uniqueId("repeat");
    const id = `${tenant}-same`;
    for (let i = 0; i < 6; i++) expect((await post("test-rate-limited", { id, input: { tenant } })).status).toBe(i === 0 ? 201 : 200);
    const fresh = await Promise.all(Array.from({ length: 5 }, (_, i) => post("test-rate-limited", { id: `${tenant}-${i}`, input: { tenant } })));
    expect(fresh.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 429]);
  });

  it("holds for starts through the Workflow binding too", async () => {
    const tenant = uniqueId("binding");
    const binding = workflowBinding(env, registry(...testWorkflows), "test-rate-limited");
    for (let i = 0; i < 5; i++) await binding.create({ params: { tenant } });
    await expect(binding.create({ params: { tenant } })).rejects.toMatchObject({ code: "RATE_LIMITED" });
  });
});

suite("debounce", () => {
  it("runs a key started 10 times in a burst once, with the last input, after the burst", async () => {
    const doc = uniqueId("doc");
    const answers = [];
    for (let n = 1; n <= 10; n++) {
      const res = await post("test-debounced", { input: { doc, n } });
      expect(res.status).toBe(202);
      answers.push((await res.json()) as { id: string; debounce: { until: string; merged: boolean } });
    }
    const id = answers[0]!.id;
    expect(new Set(answers.map((a) => a.id))).toEqual(new Set([id]));
    expect(answers.map((a) => a.debounce.merged)).toEqual([false, true, true, true, true, true, true, true, true, true]);
    const pending = await read(id);
    expect(pending).toMatchObject({ status: "queued", input: { doc, n: 10 }, waitingFor: { kind: "debounce", until: answers[9]!.debounce.until } });
    const done = await waitForStatus(id, "completed", 5_000);
    expect(done.output).toBe(10);
    expect(effects(`runs/${doc}`)).toBe(1);
  });

  it("starts no later than maxWait after the first start of a key that keeps being started", async () => {
    const doc = uniqueId("busy-doc");
    const first = Date.now();
    const ids = new Set<string>();
    for (let n = 1; Date.now() - first < 3_500; n++) {
      const res = await post("test-debounced", { input: { doc, n } });
      ids.add(((await res.json()) as { id: string }).id);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const [firstId] = [...ids];
    const ran = await waitForStatus(firstId!, "completed", 5_000);
    expect(ids.size).toBeGreaterThanOrEqual(2);
    // maxWait is 2.5 seconds: the first instance left its debounce then, while starts kept coming.
    expect(Date.parse(ran.updatedAt) - first).toBeLessThan(3_300);
  }, 15_000);
});

suite("flow control across restarts", () => {
  it("a throttle's line and a debouncer's pending instance survive restarts of their objects", async () => {
    const tenant = uniqueId("restart");
    const ids = Array.from({ length: 8 }, (_, i) => `${tenant}-${i}`);
    for (const id of ids) await post("test-throttled", { id, input: { tenant } });
    await restart(env.THROTTLE.get(env.THROTTLE.idFromName(`throttle/test-throttled:${tenant}`)));
    for (const id of ids) await waitForStatus(id, "completed", 10_000);

    const doc = uniqueId("restart-doc");
    const t0 = Date.now();
    const first = (await (await post("test-debounced-slowly", { input: { doc, n: 1 } })).json()) as { id: string };
    await restart(env.DEBOUNCER.get(env.DEBOUNCER.idFromName(`debounce/test-debounced-slowly:${doc}`)));
    expect(Date.now() - t0, "the restart took less than the debounce period").toBeLessThan(5_000);
    const second = (await (await post("test-debounced-slowly", { input: { doc, n: 2 } })).json()) as { id: string; debounce: { merged: boolean } };
    expect(second).toMatchObject({ id: first.id, debounce: { merged: true } });
    expect((await waitForStatus(first.id, "completed", 10_000)).output).toBe(2);
  }, 30_000);
});

suite("priority", () => {
  it("lets higher priorities go first, first in first out among equals", async () => {
    const customer = uniqueId("prio");
    const group = `test-prioritized:${customer}`;
    switches.set(`order/${group}`, []);
    const holder = `${customer}-holder`;
    await start("test-prioritized", { id: holder, input: { customer } });
    await waitUntil(holder, () => running(group) === 1, "running");
    const queued: Array<[string, number]> = [["low-1", 0], ["high", 100], ["mid", 50], ["low-2", 0], ["urgent", 600]];
    for (const [name, priority] of queued) {
      await start("test-prioritized", { id: `${customer}-${name}`, input: { customer, priority } });
      await waitUntil(`${customer}-${name}`, (v) => v.waitingFor?.kind === "slot", "waiting for a slot");
    }
    expect((await read(`${customer}-urgent`)).queue?.position).toBe(1);
    expect((await read(`${customer}-low-2`)).queue?.position).toBe(5);
    for (const id of [holder, ...["urgent", "high", "mid", "low-1", "low-2"].map((n) => `${customer}-${n}`)]) {
      await waitUntil(id, (v) => v.status === "running", "running");
      switches.set(`${id}/release`, true);
      await waitForStatus(id, "completed");
    }
    expect(switches.get(`order/${group}`)).toEqual([holder, ...["urgent", "high", "mid", "low-1", "low-2"].map((n) => `${customer}-${n}`)]);
  });
});
