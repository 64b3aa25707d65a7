/**
 * The journal export: `GET /api/instances/:id/journal` in the journal format, paged
 * by a byte budget, assembled by the typed client, read back and replayed on the
 * pure engine with the outcome the instance had.
 */
import { SELF, runInDurableObject } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { journalPage } from "../../src/instance/export.js";
import { Sql } from "../../src/instance/sql.js";
import type { InstanceRow } from "../../src/instance/view.js";
import { readJournal, type JournalPage } from "../../src/journal/format.js";
import { assemblePages } from "../../src/journal/pages.js";
import { replayJournal } from "../../src/journal/replay.js";
import { workflows } from "../../workflows/index.js";
import { TOKENS, api, read, start, stubFor, uniqueId, waitForStatus } from "../helpers.js";

const client = createClient({ baseUrl: "http://cairn.test", token: TOKENS.full, fetch: (request) => SELF.fetch(request) });

suite("GET /api/instances/:id/journal", () => {
  it("exports a finished instance in the journal format, which replays to the same outcome", async () => {
    const id = uniqueId("journal-approval");
    const input = { request: "chair", amountCents: 4_900, approver: "dana" };
    await start("approval", { id, input, tags: { team: "ops" } });
    await waitForStatus(id, "waiting");
    await api(`/api/instances/${id}/events`, { method: "POST", json: { type: "decision", id: "decision-1", payload: { approved: true, by: "dana" } } });
    const view = await waitForStatus(id, "completed");

    const res = await api(`/api/instances/${id}/journal`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const page = (await res.json()) as JournalPage;
    expect(page).toMatchObject({
      format: "cairn.journal",
      version: 1,
      nextCursor: null,
      instance: { id, workflow: "approval", workflowVersion: "1", status: "completed", input, output: view.output, tags: { team: "ops" }, createdAt: view.createdAt },
    });
    expect(page.steps.map((s) => [s.seq, s.kind, s.name, s.count, s.status])).toEqual([
      [0, "do", "notify approver", 1, "completed"],
      [1, "event", "wait for decision", 1, "completed"],
      [2, "do", "record decision", 1, "completed"],
    ]);
    expect(page.steps[2]!.result).toEqual(view.steps[2]!.result);
    expect(page.events).toEqual([{ id: "decision-1", type: "decision", timestamp: expect.any(String), consumedBy: 1, payload: { approved: true, by: "dana" } }]);

    const journal = readJournal(page);
    const replay = await replayJournal(workflows.approval!, journal);
    expect(replay).toMatchObject({ kind: "outcome", outcome: { kind: "completed" } });
    if (replay.kind === "outcome" && replay.outcome.kind === "completed") expect(JSON.parse(replay.outcome.output!)).toEqual(view.output);
  });

  it("pages by size: the pages of a small budget assemble into the one-page journal; the client assembles them too", async () => {
    const id = uniqueId("journal-pages");
    await start("test-flaky", { id, input: { failures: 2, limit: 3, delayMs: 1 } });
    await waitForStatus(id, "completed");
    const chain = uniqueId("journal-chain");
    await start("test-counted-chain", { id: chain, input: { steps: 30 } });
    await waitForStatus(chain, "completed");

    const inbox = uniqueId("journal-inbox");
    await start("test-inbox", { id: inbox });
    for (const n of [1, 2, 3]) await api(`/api/instances/${inbox}/events`, { method: "POST", json: { type: "note", id: `note-${n}`, payload: "x".repeat(300) } });
    await waitForStatus(inbox, "waiting");

    for (const target of [id, chain, inbox]) {
      const pages = await runInDurableObject(stubFor(target), (_instance, state) => {
        const sql = new Sql(state.storage.sql);
        const row = sql.one<InstanceRow>("SELECT * FROM instance")!;
        const out: JournalPage[] = [];
        let cursor: string | undefined;
        do {
          const result = journalPage(sql, row, cursor, { budget: 600, now: 0 });
          if (!result.ok) throw new Error(result.code);
          const page = JSON.parse(result.page) as JournalPage;
          out.push(page);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        const whole = journalPage(sql, row, undefined, { now: 0 });
        return { pages: out, whole: whole.ok ? (JSON.parse(whole.page) as JournalPage) : undefined };
      });
      if (target === chain) expect(pages.pages.length).toBeGreaterThan(5);
      const { nextCursor: _, ...whole } = pages.whole!;
      expect(assemblePages(pages.pages)).toEqual(whole);
      expect(await client.journal(target)).toEqual({ ...whole, exportedAt: expect.any(String) });
    }
    const flaky = await client.journal(id);
    expect(flaky.attempts.map((a) => [a.seq, a.attempt, a.error.message])).toEqual([
      [0, 1, "failure #1"],
      [0, 2, "failure #2"],
    ]);
    expect((await client.journal(chain)).steps).toHaveLength(30);
    const events = (await client.journal(inbox)).events;
    expect(events.map((e) => [e.id, e.consumedBy])).toEqual([
      ["note-1", 0],
      ["note-2", 1],
      ["note-3", undefined],
    ]);
  });

  it("answers 404 for an unknown instance and 422 for a cursor it never gave out", async () => {
    const missing = await api(`/api/instances/${uniqueId("journal-missing")}/journal`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "INSTANCE_NOT_FOUND" });
    const id = uniqueId("journal-cursor");
    await start("test-counted-chain", { id, input: { steps: 1 } });
    const bad = await api(`/api/instances/${id}/journal?cursor=${encodeURIComponent("x:1")}`);
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ code: "INVALID_INPUT", errors: [{ path: "cursor" }] });
    expect((await read(id)).id).toBe(id);
  });
});
