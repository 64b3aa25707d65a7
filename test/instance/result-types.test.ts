/**
 * Result types and stream results in a real Durable Object: a step's Date, Set,
 * BigInt, Uint8Array and Map come back as such, and a 50 MiB stream is stored in
 * parts in the object's SQLite storage and read back intact, on the first run and
 * on a replay after the object was evicted. The view, the index and the journal
 * export show readable JSON and the stream's size, never its bytes.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { parseResult } from "../../src/engine/index.js";
import type { WorkflowInstance } from "../../src/instance/object.js";
import { api, evict, indexRow, read, start, stubFor, uniqueId, waitForIndex, waitForStatus, waitUntil } from "../helpers.js";

const MiB = 1024 * 1024;

suite("result types and stream results in the Durable Object", () => {
  it("keeps typed results and a 50 MiB stream, the same after an eviction, and shows them readably", { timeout: 180_000 }, async () => {
    const id = uniqueId("typed");
    const size = 50 * MiB;
    const began = Date.now();
    await start("test-typed-results", { id, input: { bytes: size } });
    const waiting = await waitUntil(id, (v) => v.status === "waiting" || v.status === "failed", "waiting for go", 120_000);
    const firstRunMs = Date.now() - began;
    expect(waiting.status, JSON.stringify(waiting.error)).toBe("waiting");

    // The view: readable JSON with each type named, and the stream's size instead of its bytes.
    expect(waiting.steps[0]).toMatchObject({
      name: "typed",
      result: {
        at: { $type: "Date", value: "2026-04-01T00:00:00.000Z" },
        ids: { $type: "Set", value: [1, 2] },
        big: { $type: "BigInt", value: "18446744073709551616" },
        bytes: { $type: "Uint8Array", base64: "AQID" },
        byName: { $type: "Map", value: [["a", { missing: { $type: "undefined" } }]] },
      },
    });
    expect(waiting.steps[1]).toMatchObject({ name: "download", status: "completed", result: { $type: "ReadableStream", bytes: size } });
    expect(waiting.steps[2]).toMatchObject({ name: "first read", result: { length: size, intact: true } });
    expect(JSON.stringify(waiting).length).toBeLessThan(10_000);

    const storage = await runInDurableObject(stubFor(id), (_i: WorkflowInstance, state) => ({
      parts: state.storage.sql.exec<{ parts: number; bytes: number; largest: number }>(
        "SELECT COUNT(*) AS parts, SUM(length(bytes)) AS bytes, MAX(length(bytes)) AS largest FROM blobs WHERE seq = 1",
      ).one(),
      results: state.storage.sql.exec<{ result: string }>("SELECT result FROM steps WHERE seq < 2 ORDER BY seq").toArray().map((r) => r.result),
    }));
    expect(storage.parts).toEqual({ parts: 50, bytes: size, largest: MiB });
    expect(storage.results[0]).toMatch(/^\{"\$devalue":\[/);
    expect(storage.results[1]).toBe(JSON.stringify({ $stream: { bytes: size, parts: 50 } }));

    // The replay after an eviction reads the stored parts again, and the typed result from its text.
    await evict(id);
    const replayBegan = Date.now();
    expect((await api(`/api/instances/${id}/events`, { method: "POST", json: { type: "go" } })).status).toBe(202);
    const done = await waitForStatus(id, ["completed", "failed"], 120_000);
    const replayMs = Date.now() - replayBegan;
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(done.output).toEqual({ first: { length: size, intact: true }, read: { length: size, intact: true }, kept: true, at: { $type: "Date", value: "2026-04-01T00:00:00.000Z" } });
    console.info(`50 MiB stream result: first run (store + read) ${firstRunMs} ms, replay after eviction (read) ${replayMs} ms`);

    // The index row and the journal export: the same texts, no bytes.
    await waitForIndex(id, (row) => row?.status === "completed", "completed");
    expect(JSON.stringify(await indexRow(id)).length).toBeLessThan(2_000);
    const exported = (await (await api(`/api/instances/${id}/journal`)).json()) as { steps: { result?: unknown }[]; instance: { output: unknown } };
    expect(exported.steps[1]!.result).toEqual({ $stream: { bytes: size, parts: 50 } });
    expect(parseResult(JSON.stringify(exported.steps[0]!.result))).toMatchObject({ at: new Date(Date.UTC(2026, 3, 1)), big: 2n ** 64n });
    expect(parseResult(JSON.stringify(exported.instance.output))).toMatchObject({ at: new Date(Date.UTC(2026, 3, 1)) });
  });

  it("a restart from the stream's step drops its bytes and stores them anew", { timeout: 60_000 }, async () => {
    const id = uniqueId("typed-restart");
    await start("test-typed-results", { id, input: { bytes: 3 * MiB + 1 } });
    const before = await waitForStatus(id, "waiting", 30_000);
    expect((await api(`/api/instances/${id}/restart`, { method: "POST", json: { fromStep: { name: "download" } } })).status).toBe(200);
    const again = await waitUntil(id, (v) => v.status === "waiting" && v.steps.length === 4, "waiting again", 30_000);
    expect(again.steps[1]).toMatchObject({ name: "download", result: { $type: "ReadableStream", bytes: 3 * MiB + 1 } });
    expect(again.steps[1]!.startedAt > before.steps[1]!.startedAt).toBe(true);
    const parts = await runInDurableObject(stubFor(id), (_i: WorkflowInstance, state) =>
      state.storage.sql.exec<{ seq: number; parts: number }>("SELECT seq, COUNT(*) AS parts FROM blobs GROUP BY seq").toArray(),
    );
    expect(parts).toEqual([{ seq: 1, parts: 4 }]);
    expect((await read(id)).steps[2]).toMatchObject({ result: { length: 3 * MiB + 1, intact: true } });
  });
});
