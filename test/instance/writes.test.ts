/**
 * The storage writes that run at every transition write no more rows than they must:
 * the outbox keeps one row (the newest) until it is pushed, and an own timer set
 * again to the same time, or an outbox timer already due sooner, writes nothing.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Outbox } from "../../src/instance/outbox.js";
import { Sql, SqlMeter } from "../../src/instance/sql.js";
import { Timers } from "../../src/instance/timers.js";
import type { InstanceRow } from "../../src/instance/view.js";
import { start, stubFor, uniqueId, waitForStatus } from "../helpers.js";

async function finished(prefix: string): Promise<string> {
  const id = uniqueId(prefix);
  await start("test-counted-chain", { id, input: { steps: 1 } });
  await waitForStatus(id, "completed");
  return id;
}

describe("writes per transition", () => {
  it("the outbox overwrites a row not pushed yet and keeps the newest until it is pushed", async () => {
    const id = await finished("outbox-one-row");
    await runInDurableObject(stubFor(id), (_instance, state) => {
      const sql = new Sql(state.storage.sql);
      const outbox = new Outbox(sql);
      const row = sql.one<InstanceRow>("SELECT * FROM instance")!;
      const versions = () => sql.all<{ version: number }>("SELECT version FROM outbox ORDER BY version").map((r) => r.version);
      outbox.pushed(Number.MAX_SAFE_INTEGER);
      outbox.record({ ...row, version: 100, status: "running" });
      outbox.record({ ...row, version: 101, status: "completed" });
      expect(versions()).toEqual([101]);
      expect(outbox.newest()).toMatchObject({ version: 101, status: "completed" });
      // A push of the older row landing late leaves the newer one to push.
      outbox.pushed(100);
      expect(versions()).toEqual([101]);
      outbox.pushed(101);
      expect(outbox.isEmpty()).toBe(true);
      // Rows left by an older release (one per change): the newest takes the place of the last.
      sql.run("INSERT INTO outbox (version, row) VALUES (200, '{}'), (201, '{}')");
      outbox.record({ ...row, version: 202 });
      expect(versions()).toEqual([200, 202]);
      expect(outbox.newest()).toMatchObject({ version: 202 });
      outbox.pushed(202);
      expect(outbox.isEmpty()).toBe(true);
    });
  });

  it("a timer set again to its time writes nothing; an outbox timer due sooner stays, one overdue moves", async () => {
    const id = await finished("timer-writes");
    await runInDurableObject(stubFor(id), (_instance, state) => {
      const sql = new Sql(state.storage.sql);
      const timers = new Timers(sql);
      const now = Date.now();
      timers.set("registry", now + 5_000);
      sql.meter = new SqlMeter();
      timers.set("registry", now + 5_000);
      expect(sql.meter.rowsWritten).toBe(0);
      sql.meter = undefined;
      expect(timers.get("registry")).toBe(now + 5_000);
      timers.set("registry", now + 6_000);
      expect(timers.get("registry")).toBe(now + 6_000);
      timers.clear("registry");

      timers.clear("outbox");
      timers.apply({ set: { outbox: now + 1_000 }, clear: [] });
      sql.meter = new SqlMeter();
      timers.apply({ set: { outbox: now + 10_000 }, clear: [] });
      expect(sql.meter.rowsWritten).toBe(0);
      sql.meter = undefined;
      expect(timers.get("outbox")).toBe(now + 1_000);
      timers.apply({ set: { outbox: now + 500 }, clear: [] });
      expect(timers.get("outbox")).toBe(now + 500);
      // Fallen due (the `outboxDue` cause sets it again): it moves on.
      timers.set("outbox", now - 1);
      timers.apply({ set: { outbox: now + 10_000 }, clear: [] });
      expect(timers.get("outbox")).toBe(now + 10_000);
      timers.clear("outbox");
    });
  });
});
