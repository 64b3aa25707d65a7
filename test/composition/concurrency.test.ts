/**
 * Concurrency limits: never more than `limit` at once, first in first out,
 * positions shown while queued, per-key limits, and slots that survive a crash of
 * their holder but never leak when a holder is gone.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { switches } from "../fixtures/effects.js";
import { api, crash, read, start, stubFor, uniqueId, waitForStatus, waitUntil } from "../helpers.js";

const gate = (name: string) => env.CONCURRENCY_GATE.get(env.CONCURRENCY_GATE.idFromName(name));
const running = (group: string) => (switches.get(`running/${group}`) as number | undefined) ?? 0;

suite("concurrency limits", () => {
  it("runs at most the limit at once, first in first out, showing each queued instance's place", async () => {
    const run = uniqueId("limited");
    const ids = Array.from({ length: 6 }, (_, i) => `${run}-${i}`);
    switches.delete("peak/test-limited:*");
    switches.set("order/test-limited:*", []);
    for (const id of ids) await start("test-limited", { id });
    await waitUntil(ids[1]!, () => running("test-limited:*") === 2, "two running");
    const queued = await Promise.all(ids.slice(2).map((id) => read(id)));
    expect(queued.map((v) => v.status)).toEqual(["queued", "queued", "queued", "queued"]);
    expect(queued.map((v) => v.queue?.position)).toEqual([1, 2, 3, 4]);
    for (const id of ids) {
      switches.set(`${id}/release`, true);
      await waitForStatus(id, "completed");
    }
    expect(switches.get("peak/test-limited:*")).toBe(2);
    expect(switches.get("order/test-limited:*")).toEqual(ids);
    expect(await gate("test-limited").state()).toMatchObject({ holders: [], waiting: [] });
  });

  it("limits per key: one customer's runs queue while another's go ahead", async () => {
    const run = uniqueId("per-customer");
    const [a1, a2, b1] = [`${run}-a1`, `${run}-a2`, `${run}-b1`];
    await start("test-limited-per-customer", { id: a1, input: { customer: `${run}-a` } });
    await start("test-limited-per-customer", { id: a2, input: { customer: `${run}-a` } });
    await start("test-limited-per-customer", { id: b1, input: { customer: `${run}-b` } });
    await waitUntil(b1, () => running(`test-limited-per-customer:${run}-b`) === 1, "b running");
    expect((await read(a2)).queue).toEqual({ position: 1, key: `test-limited-per-customer:${run}-a` });
    switches.set(`${a1}/release`, true);
    switches.set(`${b1}/release`, true);
    await waitForStatus(a1, "completed");
    switches.set(`${a2}/release`, true);
    await waitForStatus(a2, "completed");
    expect(switches.get(`peak/test-limited-per-customer:${run}-a`)).toBe(1);
  });

  it("keeps the slot of a holder whose object crashed, and frees it when the holder finishes", async () => {
    const run = uniqueId("crash-holder");
    const [holder, other, waiter] = [`${run}-1`, `${run}-2`, `${run}-3`];
    for (const id of [holder, other, waiter]) await start("test-limited", { id });
    await waitUntil(waiter, (v) => v.status === "queued" && v.queue?.position === 1, "queued first in line");
    // The holder's object crashes in the middle of its step.
    await crash(holder, "crash while holding a slot");
    // The gate's lease check asks the holder, which is still running: the slot stays.
    await runDurableObjectAlarm(gate("test-limited"));
    expect((await read(waiter)).status).toBe("queued");
    switches.set(`${holder}/release`, true);
    await waitForStatus(holder, "completed", 15_000);
    switches.set(`${waiter}/release`, true);
    await waitForStatus(waiter, "completed", 15_000);
    switches.set(`${other}/release`, true);
    await waitForStatus(other, "completed");
  });

  it("never leaks a slot: a holder that is gone loses it at the gate's next lease check", async () => {
    const name = "test-limited-per-customer";
    const run = uniqueId("ghost");
    const key = `${name}:${run}`;
    // A holder that no longer exists, as after a release message that was lost.
    expect(await gate(key).acquire(`${run}-ghost`, 1)).toEqual({ granted: true });
    const id = `${run}-real`;
    await start(name, { id, input: { customer: run } });
    await waitUntil(id, (v) => v.queue?.position === 1, "queued behind the ghost");
    await runDurableObjectAlarm(gate(key));
    await waitUntil(id, () => running(key) === 1, "running once the ghost's slot was freed");
    switches.set(`${id}/release`, true);
    await waitForStatus(id, "completed");
  });

  it("frees the slot of a terminated or deleted instance", async () => {
    const run = uniqueId("freed");
    const ids = [`${run}-1`, `${run}-2`, `${run}-3`, `${run}-4`];
    for (const id of ids) await start("test-limited", { id });
    await waitUntil(ids[2]!, (v) => v.queue?.position === 1, "queued");
    expect((await api(`/api/instances/${ids[0]}/terminate`, { method: "POST" })).status).toBe(200);
    expect((await api(`/api/instances/${ids[1]}`, { method: "DELETE" })).status).toBe(200);
    for (const id of ids.slice(2)) {
      await waitUntil(id, (v) => v.status === "running", "running");
      switches.set(`${id}/release`, true);
      await waitForStatus(id, "completed");
    }
  });
});
