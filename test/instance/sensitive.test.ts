/**
 * A step configured `sensitive: "output"`: the workflow gets its result, the
 * journal keeps it for replays, and no view shows it (the API, the index).
 */
import { runInDurableObject } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import type { WorkflowInstance } from "../../src/instance/object.js";
import { api, read, indexRow, start, stubFor, uniqueId, waitForIndex, waitForStatus } from "../helpers.js";

suite("sensitive step output", () => {
  it("is left out of the instance view, the API and the index, and the workflow still gets it", async () => {
    const id = uniqueId("sensitive");
    // What the step makes: it appears nowhere else (not in the id, the input or the output).
    const secret = [...id].reverse().join("");
    await start("test-secretive", { id });
    const view = await waitForStatus(id, "completed");
    // The workflow used the value: its length is `token:` plus the secret.
    expect(view.output).toBe(`token:${secret}`.length);
    expect(view.steps[0]).toMatchObject({ name: "mint token", status: "completed", sensitive: true });
    expect(view.steps[0]).not.toHaveProperty("result");
    expect(view.steps[1]).toMatchObject({ name: "use token", result: view.output });
    expect(view.steps[1]).not.toHaveProperty("sensitive");

    const res = await api(`/api/instances/${id}`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).not.toContain(secret);
    expect(JSON.parse(body).steps[0]).toMatchObject({ sensitive: true });

    await waitForIndex(id, (row) => row?.status === "completed", "completed");
    expect(JSON.stringify(await indexRow(id))).not.toContain(secret);

    // The journal keeps it, flagged, for the workflow's replays.
    const stored = await runInDurableObject(stubFor(id), (_i: WorkflowInstance, state) =>
      state.storage.sql.exec<{ result: string; sensitive: number | null }>("SELECT result, sensitive FROM steps ORDER BY seq").toArray(),
    );
    expect(stored).toEqual([
      { result: JSON.stringify(`token:${secret}`), sensitive: 1 },
      { result: String(`token:${secret}`.length), sensitive: null },
    ]);
    expect((await read(id)).steps[0]).not.toHaveProperty("result");
  });
});
