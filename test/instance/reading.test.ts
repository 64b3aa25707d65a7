/**
 * Bounded and least-privilege reading: an instance's view stays bounded whatever it
 * holds (10,000 steps; 50 results of 1 MiB), large results are fetched one by one,
 * the read-only token never sees a webhook capability, an old webhook URL dies with
 * its instance, and the inbox has bounds it answers with 429.
 */
import { SELF, runInDurableObject } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import type { InstanceView, StepsPage } from "../../src/instance/rpc.js";
import { api, start, stubFor, uniqueId, waitForStatus, waitUntil } from "../helpers.js";

const json = async <T>(res: Response) => {
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as T;
};

suite("an instance's view", () => {
  it("shows the newest 200 of 10,000 steps, and pages back through the rest", async () => {
    const id = uniqueId("ten-thousand");
    await start("test-counted-chain", { id, input: { steps: 10_000 } });
    await waitForStatus(id, "completed", 60_000);
    const view = await json<InstanceView>(await api(`/api/instances/${id}`));
    expect(view.stepsTotal).toBe(10_000);
    expect(view.steps).toHaveLength(200);
    expect(view.steps[0]).toMatchObject({ name: "add", count: 9_801, result: 9_800 });
    expect(view.steps.at(-1)).toMatchObject({ count: 10_000, result: 9_999 });
    expect(view.olderSteps).toEqual({ before: 9_800 });
    const older = await json<StepsPage>(await api(`/api/instances/${id}/steps?before=9800&limit=50`));
    expect(older.steps.map((s) => s.count)).toEqual(Array.from({ length: 50 }, (_, i) => 9_751 + i));
    const first = await json<StepsPage>(await api(`/api/instances/${id}/steps?before=3`));
    expect(first.steps.map((s) => s.count)).toEqual([1, 2, 3]);
    expect(first.olderSteps).toBeUndefined();
  }, 90_000);

  it("leaves out results over 64 KiB with their size, and gives each whole by its step", async () => {
    const id = uniqueId("big-results");
    await start("test-big-results", { id, input: { count: 50, bytes: 1024 * 1024 - 16 } });
    await waitForStatus(id, "completed", 60_000);
    const res = await api(`/api/instances/${id}`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text.length).toBeLessThan(200_000);
    const view = JSON.parse(text) as InstanceView;
    expect(view.steps).toHaveLength(50);
    for (const step of view.steps) {
      expect(step.result).toBeUndefined();
      expect(step.truncated?.bytes).toBe(1024 * 1024 - 16 + 2);
    }
    const whole = await json<{ result: string }>(await api(`/api/instances/${id}/steps/${view.steps[7]!.truncated!.seq}`));
    expect(whole.result).toHaveLength(1024 * 1024 - 16);
    expect(whole.result.startsWith("7:xx")).toBe(true);
    expect((await api(`/api/instances/${id}/steps/500`)).status).toBe(422);
    // The dashboard's page stays bounded too.
    const page = await SELF.fetch(`http://cairn.test/instances/${id}`, { headers: { accept: "text/html", cookie: await sessionCookie() } });
    expect(page.status).toBe(200);
    expect((await page.text()).length).toBeLessThan(500_000);
  }, 90_000);
});

async function sessionCookie(token = "test-api-token"): Promise<string> {
  const res = await SELF.fetch("http://cairn.test/login", {
    method: "POST",
    redirect: "manual",
    headers: { accept: "text/html", origin: "http://cairn.test", "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token, next: "/" }).toString(),
  });
  return (res.headers.get("set-cookie") ?? "").split(";")[0]!;
}

suite("webhook capabilities", () => {
  async function hooked(id: string): Promise<{ url: string; token: string }> {
    await start("test-hooked", { id, input: { count: 1 } });
    const view = await waitUntil(id, (v) => v.steps[0]?.status === "completed", "holding its webhook");
    return view.steps[0]!.result as { url: string; token: string };
  }

  it("are never shown to the read-only token: not in the view, its steps, the journal export or the dashboard", async () => {
    const id = uniqueId("hook-readonly");
    const { token } = await hooked(id);
    expect(token.length).toBeGreaterThan(20);
    const reads = [
      await api(`/api/instances/${id}`, { auth: "readonly" }),
      await api(`/api/instances/${id}/steps`, { auth: "readonly" }),
      await api(`/api/instances/${id}/steps/0`, { auth: "readonly" }),
      await api(`/api/instances/${id}/journal`, { auth: "readonly" }),
      await SELF.fetch(`http://cairn.test/instances/${id}`, { headers: { accept: "text/html", cookie: await sessionCookie("test-readonly-token") } }),
    ];
    for (const res of reads) {
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.slice(0, 40));
    }
    const readOnlyView = (await (await api(`/api/instances/${id}`, { auth: "readonly" })).json()) as InstanceView;
    expect(readOnlyView.steps[0]!.result).toMatchObject({ token: "[redacted]" });
    // The full token still sees the capability it owns.
    expect(await (await api(`/api/instances/${id}`)).text()).toContain(token);
  });

  it("die with their instance: a deleted and re-created id refuses the old URL", async () => {
    const id = uniqueId("hook-generation");
    const old = await hooked(id);
    expect((await api(`/api/instances/${id}`, { method: "DELETE" })).status).toBe(200);
    const fresh = await hooked(id);
    expect(fresh.token).not.toBe(old.token);
    const stale = await SELF.fetch(`http://cairn.test/hooks/${old.token}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(stale.status).toBe(404);
    expect(((await stale.json()) as { code: string }).code).toBe("INSTANCE_NOT_FOUND");
    const live = await SELF.fetch(`http://cairn.test/hooks/${fresh.token}`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"ok":true}' });
    expect(live.status).toBe(202);
    expect((await waitForStatus(id, "completed")).status).toBe("completed");
  });
});

suite("the inbox", () => {
  const send = (id: string, type: string, payload: unknown, eventId?: string) =>
    api(`/api/instances/${id}/events`, { method: "POST", json: { type, payload, ...(eventId && { id: eventId }) } });

  it("answers 429 INBOX_FULL over its bounds and stores nothing, counting only events not taken yet", async () => {
    const id = uniqueId("inbox-full");
    await start("test-small-inbox", { id });
    await waitUntil(id, (v) => v.status === "waiting", "waiting");
    for (let i = 0; i < 3; i++) expect((await send(id, "other", i)).status).toBe(202);
    const full = await send(id, "other", 3, "fourth");
    expect(full.status).toBe(429);
    expect(await full.json()).toMatchObject({ code: "INBOX_FULL", maxEvents: 3 });
    // Nothing was stored: the same id is new when it comes again later.
    const stored = await runInDurableObject(stubFor(id), (_i, state) => state.storage.sql.exec("SELECT id FROM inbox").toArray().map((r) => r.id));
    expect(stored).not.toContain("fourth");
    // Bytes count too, and an event a step waits for is refused the same way: the sender tries again later.
    expect((await send(id, "go", "x".repeat(2_000))).status).toBe(429);
  });

  it("keeps a taken event's payload once, in the step's result, and gives it back on a restart", async () => {
    const id = uniqueId("inbox-pruned");
    await start("test-inbox", { id });
    await waitUntil(id, (v) => v.waitingFor?.eventType === "note", "waiting");
    for (const [type, payload] of [["note", "first"], ["note", "second"], ["done", "third"]] as const) expect((await send(id, type, payload)).status).toBe(202);
    expect((await waitForStatus(id, "completed")).output).toEqual(["first", "second", "third"]);
    const payloads = await runInDurableObject(stubFor(id), (_i, state) => state.storage.sql.exec("SELECT payload FROM inbox").toArray().map((r) => r.payload));
    expect(payloads).toEqual([null, null, null]);
    expect((await api(`/api/instances/${id}/restart`, { method: "POST", json: { fromStep: { name: "second" } } })).status).toBe(200);
    expect((await waitForStatus(id, "completed")).output).toEqual(["first", "second", "third"]);
  });
});
