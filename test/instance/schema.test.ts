/**
 * The instance's SQLite schema: a new object gets the current schema in one script,
 * an object created under an older version catches up when it is next touched, and
 * both end with the same tables, columns and indexes.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import type { WorkflowInstance } from "../../src/instance/object.js";
import { createOnDemand, migrate, migrateFrom, ON_DEMAND_TABLES, SCHEMA_VERSION, schemaVersion, tableExists } from "../../src/instance/schema.js";
import { Sql } from "../../src/instance/sql.js";
import { api, read, start, stubFor, uniqueId, waitForStatus } from "../helpers.js";

/** Every table and index with its columns, as SQLite reports them (not as written). */
function shape(sql: Sql) {
  const objects = sql.all<{ type: string; name: string; tbl_name: string; sql: string | null }>(
    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE '_cf_%' AND name != 'sqlite_sequence' ORDER BY type, name",
  );
  return objects.map((o) => ({
    type: o.type,
    name: o.name,
    table: o.tbl_name,
    columns:
      o.type === "table"
        ? sql.all("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid", o.name)
        : sql.all("SELECT name FROM pragma_index_info(?) ORDER BY seqno", o.name),
    partial: o.sql?.includes(" WHERE ") ?? false,
  }));
}

suite("instance schema", () => {
  it("gives a new object the schema the migrations build, step by step, once its tables made on demand exist", async () => {
    const squashed = await runInDurableObject(stubFor(uniqueId("schema-new")), (_i: WorkflowInstance, state) => {
      const sql = new Sql(state.storage.sql);
      state.storage.transactionSync(() => migrate(sql));
      const before = ON_DEMAND_TABLES.filter((t) => tableExists(sql, t));
      for (const table of ON_DEMAND_TABLES) createOnDemand(sql, table);
      return { shape: shape(sql), version: schemaVersion(sql), before };
    });
    expect(squashed.before).toEqual([]);
    const stepwise = await runInDurableObject(stubFor(uniqueId("schema-steps")), (_i: WorkflowInstance, state) => {
      const sql = new Sql(state.storage.sql);
      state.storage.transactionSync(() => migrateFrom(sql, 0));
      return { shape: shape(sql), version: schemaVersion(sql) };
    });
    expect(squashed.version).toBe(SCHEMA_VERSION);
    expect(stepwise.version).toBe(SCHEMA_VERSION);
    expect(squashed.shape.map((o) => o.name)).toEqual(expect.arrayContaining(["instance", "steps", "attempts", "timers", "inbox", "outbox", "inbox_pending"]));
    expect(squashed.shape).toEqual(stepwise.shape);
  });

  it("brings an instance created under the first schema up to date, and runs it on", async () => {
    const id = uniqueId("schema-old");
    // As an object created by the first release left it: schema version 1, a queued instance, an alarm.
    await runInDurableObject(stubFor(id), (_i: WorkflowInstance, state) => {
      const sql = new Sql(state.storage.sql);
      state.storage.transactionSync(() => {
        migrateFrom(sql, 0, 1);
        sql.run(
          "INSERT INTO instance (id, workflow, status, input, tags, created_at, updated_at) VALUES (?, 'test-counted-chain', 'queued', ?, '{}', ?, ?)",
          id,
          JSON.stringify({ steps: 3 }),
          Date.now(),
          Date.now(),
        );
      });
      return state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stubFor(id))).toBe(true);
    const done = await waitForStatus(id, "completed");
    expect(done.output).toEqual({ total: 0 + 1 + 2 });
    const after = await runInDurableObject(stubFor(id), (_i: WorkflowInstance, state) => {
      const sql = new Sql(state.storage.sql);
      return { version: schemaVersion(sql), columns: sql.all<{ name: string }>("SELECT name FROM pragma_table_info('instance')").map((c) => c.name) };
    });
    expect(after.version).toBe(SCHEMA_VERSION);
    expect(after.columns).toEqual(expect.arrayContaining(["parent_id", "origin", "stopping", "slot"]));
  });

  it("creates the attempts and inbox tables when first written, and reads them as empty before", async () => {
    const tables = (id: string) =>
      runInDurableObject(stubFor(id), (_i: WorkflowInstance, state) => ON_DEMAND_TABLES.filter((t) => tableExists(new Sql(state.storage.sql), t)));

    const plain = uniqueId("no-extra-tables");
    await start("test-counted-chain", { id: plain, input: { steps: 2 } });
    await waitForStatus(plain, "completed");
    expect(await tables(plain)).toEqual([]);
    expect((await read(plain)).steps.every((step) => step.failedAttempts === undefined)).toBe(true);
    // A restart rewinds attempts and events it does not have.
    expect((await api(`/api/instances/${plain}/restart`, { method: "POST" })).status).toBe(200);
    expect((await waitForStatus(plain, "completed")).output).toEqual({ total: 1 });

    const flaky = uniqueId("attempts-table");
    await start("test-flaky", { id: flaky, input: { failures: 1, limit: 2, delayMs: 10 } });
    const retried = await waitForStatus(flaky, "completed");
    expect(retried.steps[0]!.failedAttempts).toHaveLength(1);
    expect(await tables(flaky)).toEqual(["attempts"]);

    const evented = uniqueId("inbox-table");
    await start("test-inbox", { id: evented });
    await waitForStatus(evented, "waiting");
    expect(await tables(evented)).toEqual([]);
    for (const [type, payload] of [["note", "a"], ["note", "b"], ["done", "c"]]) {
      expect((await api(`/api/instances/${evented}/events`, { method: "POST", json: { type, payload } })).status).toBe(202);
    }
    expect((await waitForStatus(evented, "completed")).output).toEqual(["a", "b", "c"]);
    expect(await tables(evented)).toEqual(["inbox"]);
  });
});
