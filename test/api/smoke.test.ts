import { describe as suite, expect, it } from "vitest";
import { api, start, uniqueId, waitForStatus } from "../helpers.js";

suite("smoke", () => {
  it("runs the shipping-quotes fan-out to completion", async () => {
    const id = uniqueId("smoke");
    const started = await start("shipping-quotes", { id, input: { parcel: { weightGrams: 1200, from: "NL", to: "DE" } } });
    expect(started.status).toBe("queued");
    const view = await waitForStatus(id, "completed");
    expect(view.steps).toHaveLength(6);
    const res = await api(`/api/instances/${id}`);
    expect(res.status).toBe(200);
  });
});
