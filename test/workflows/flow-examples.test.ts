/**
 * The composition examples end to end in workerd: the nightly report fanning out
 * to regional children, per-customer syncs one at a time, and the order saga that
 * refunds when shipping fails.
 */
import { describe as suite, expect, it } from "vitest";
import { api, start, uniqueId, waitForStatus } from "../helpers.js";

suite("nightly-report", () => {
  it("fans out to one child per region and joins their totals", async () => {
    const id = uniqueId("nightly");
    await start("nightly-report", { id, input: { regions: ["eu", "us", "apac"], date: "2026-11-20" } });
    const done = await waitForStatus(id, "completed", 20_000);
    const report = done.output as { orders: number; regions: { region: string; orders: number }[] };
    expect(report.regions.map((r) => r.region)).toEqual(["eu", "us", "apac"]);
    expect(report.orders).toBe(report.regions.reduce((sum, r) => sum + r.orders, 0));
    expect(done.steps.filter((s) => s.kind === "child").map((s) => s.status)).toEqual(["completed", "completed", "completed"]);
  });

  it("runs every night from the schedule declared in its code", async () => {
    await api("/api/workflows");
    let schedule: { id: string; cron: string; source: string; nextFire: string } | undefined;
    for (let tries = 0; tries < 100 && !schedule; tries++) {
      const res = await api("/api/schedules/nightly-report");
      if (res.status === 200) schedule = (await res.json()) as typeof schedule;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(schedule).toMatchObject({ id: "nightly-report", cron: "0 2 * * *", source: "code" });
    expect(new Date(schedule!.nextFire).getUTCHours()).toBe(2);
  });
});

suite("customer-sync", () => {
  it("syncs one customer at a time, first in first out, while other customers go ahead", async () => {
    const run = uniqueId("sync");
    const mine = [1, 2, 3].map((n) => `${run}-mine-${n}`);
    for (const id of mine) await start("customer-sync", { id, input: { customerId: `${run}-c1`, records: 120, pageSize: 50, simulate: { rateLimitedPages: [1] } } });
    const other = `${run}-other`;
    await start("customer-sync", { id: other, input: { customerId: `${run}-c2`, records: 10 } });
    const views = [];
    for (const id of [...mine, other]) views.push(await waitForStatus(id, "completed", 30_000));
    expect(views[0]!.output).toEqual({ customerId: `${run}-c1`, synced: 120, pages: 3 });
    // One at a time for the same customer: each began after the one before it had finished.
    for (let i = 1; i < mine.length; i++) {
      expect(Date.parse(views[i]!.steps[0]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(views[i - 1]!.completedAt!));
    }
  }, 60_000);
});

suite("order-saga", () => {
  it("ships when nothing goes wrong", async () => {
    const id = uniqueId("saga-ok");
    await start("order-saga", { id, input: { orderId: "S-1", amountCents: 4_200, sku: "lamp" } });
    expect((await waitForStatus(id, "completed")).output).toMatchObject({ tracking: "TRK-S-1" });
  });

  it("releases the stock and refunds the charge, in that order, when the carrier refuses", async () => {
    const id = uniqueId("saga-refund");
    await start("order-saga", { id, input: { orderId: "S-2", amountCents: 4_200, sku: "lamp", simulate: { carrierRefuses: true } } });
    const failed = await waitForStatus(id, "failed");
    expect(failed.error).toMatchObject({ name: "CarrierRefused", code: "NON_RETRYABLE" });
    const rollbacks = failed.steps.filter((s) => s.kind === "rollback");
    expect(rollbacks.map((s) => [s.name, s.status])).toEqual([
      ["rollback reserve stock", "completed"],
      ["rollback charge card", "completed"],
    ]);
    expect(rollbacks[1]!.result).toEqual({ refundId: `re_ch_${id}_1`, amountCents: 4_200 });
  });
});
