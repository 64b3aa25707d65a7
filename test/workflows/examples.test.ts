/**
 * The example workflows, run end to end in workerd through the API.
 */
import { describe as suite, expect, it } from "vitest";
import { api, start, uniqueId, waitForStatus, waitUntil } from "../helpers.js";

const order = (overrides: Record<string, unknown> = {}) => ({
  orderId: "A-1",
  customer: "ada",
  items: [{ sku: "book", quantity: 2 }, { sku: "pen", quantity: 1 }],
  amountCents: 2_500,
  cancellationWindow: "1 second",
  ...overrides,
});

suite("order-fulfilment", () => {
  it("charges through a provider outage, reserves, waits out the window and ships", async () => {
    const id = uniqueId("order");
    await start("order-fulfilment", { id, input: order({ simulate: { paymentOutages: 1 } }) });
    const sleeping = await waitUntil(id, (view) => view.waitingFor?.kind === "sleep", "sleeping", 15_000);
    expect(sleeping.waitingFor).toMatchObject({ kind: "sleep", step: "cancellation window" });
    const done = await waitForStatus(id, "completed", 15_000);
    expect(done.output).toEqual({
      orderId: "A-1",
      chargeId: `ch_${id}_charge card_1`,
      reservations: ["res_A-1_book_2", "res_A-1_pen_1"],
      trackingNumber: "TRK-A-1",
    });
    const charge = done.steps.find((s) => s.name === "charge card")!;
    expect(charge.attempts).toBe(2);
    expect(charge.failedAttempts?.[0]?.error.message).toMatch(/unavailable \(503\)/);
    expect(done.steps.map((s) => s.name)).toEqual(["validate order", "fraud-screening", "screen for fraud", "charge card", "reserve stock", "cancellation window", "ship"]);
  });

  it("fails at once, without retrying, when the card is declined", async () => {
    const id = uniqueId("declined");
    await start("order-fulfilment", { id, input: order({ simulate: { decline: true } }) });
    const failed = await waitForStatus(id, "failed");
    expect(failed.error).toMatchObject({ code: "NON_RETRYABLE", name: "CardDeclined", step: { name: "charge card", count: 1 } });
    expect(failed.steps.find((s) => s.name === "charge card")?.attempts).toBe(1);
    expect(failed.steps.some((s) => s.name === "reserve stock")).toBe(false);
  });

  it("refuses an order without items before charging anything", async () => {
    const id = uniqueId("empty-order");
    await start("order-fulfilment", { id, input: order({ items: [] }) });
    const failed = await waitForStatus(id, "failed");
    expect(failed.error).toMatchObject({ name: "InvalidOrder", code: "NON_RETRYABLE" });
    expect(failed.steps.map((s) => s.name)).toEqual(["validate order"]);
  });
});

suite("approval", () => {
  const input = { request: "New laptop", amountCents: 189_900, approver: "dana" };

  it.each([
    [true, "approved"],
    [false, "rejected"],
  ] as const)("follows the decision approved=%s", async (approved, outcome) => {
    const id = uniqueId("approval");
    await start("approval", { id, input });
    await waitForStatus(id, "waiting");
    const res = await api(`/api/instances/${id}/events`, { method: "POST", json: { type: "decision", payload: { approved, by: "dana" } } });
    expect(res.status).toBe(202);
    const done = await waitForStatus(id, "completed");
    expect(done.output).toEqual({ approved, decidedBy: "dana", outcome });
    expect(done.steps.map((s) => s.name)).toEqual(["notify approver", "wait for decision", "record decision"]);
  });

  it("takes the timeout branch when nobody answers: escalates and expires", async () => {
    const id = uniqueId("approval-timeout");
    await start("approval", { id, input: { ...input, timeout: "1 second" } });
    const done = await waitForStatus(id, "completed", 10_000);
    expect(done.output).toEqual({ approved: false, decidedBy: "timeout", outcome: "expired" });
    const wait = done.steps.find((s) => s.name === "wait for decision")!;
    expect(wait).toMatchObject({ status: "failed", error: { code: "EVENT_TIMEOUT" } });
    expect(done.steps.map((s) => s.name)).toEqual(["notify approver", "wait for decision", "escalate"]);
  });

  it("uses a decision sent before the workflow asked for it", async () => {
    const id = uniqueId("approval-early");
    await start("approval", { id, input });
    await api(`/api/instances/${id}/events`, { method: "POST", json: { type: "decision", payload: { approved: true, by: "lee" } } });
    expect((await waitForStatus(id, "completed")).output).toMatchObject({ approved: true, decidedBy: "lee" });
  });
});

suite("shipping-quotes", () => {
  it("asks every carrier in parallel, joins, and books the cheapest", async () => {
    const id = uniqueId("quotes");
    await start("shipping-quotes", { id, input: { parcel: { weightGrams: 1_200, from: "NL", to: "DE" } } });
    const done = await waitForStatus(id, "completed");
    const { booked, quotes } = done.output as { booked: { priceCents: number; carrier: string }; quotes: { priceCents: number }[] };
    expect(quotes).toHaveLength(5);
    expect(booked.priceCents).toBe(Math.min(...quotes.map((q) => q.priceCents)));
    expect(done.steps.filter((s) => s.name.startsWith("quote ")).map((s) => s.status)).toEqual(Array(5).fill("completed"));
    expect(done.steps.at(-1)).toMatchObject({ name: "book cheapest", result: booked });
  });
});
