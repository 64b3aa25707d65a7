/**
 * Every workflow in workflows/ survives a crash at every step boundary: the kit's
 * replay-safety check, over scenarios that take each workflow's main branches.
 */
import { describe, expect, it } from "vitest";
import { checkReplaySafety, type ReplayScenario } from "../../src/testing.js";
import type { WorkflowDefinition } from "../../src/workflow.js";
import { workflows } from "../../workflows/index.js";

const order = { orderId: "A-1", customer: "ada", items: [{ sku: "book", quantity: 1 }], amountCents: 2_500 };
const ticket = { ticketId: "T-1", customer: "ada", question: "Where is my parcel?", reviewer: "sam" };
const model = { "draft answer": { result: "Your parcel is on its way." } };

const scenarios: Record<string, Record<string, ReplayScenario<any>>> = {
  "order-fulfilment": {
    "ships after a payment outage": { input: { ...order, simulate: { paymentOutages: 2 } } },
    "stops at a declined card": { input: { ...order, simulate: { decline: true } } },
  },
  approval: {
    approved: { input: { request: "laptop", amountCents: 1, approver: "dana" }, events: [{ type: "decision", payload: { approved: true, by: "dana" } }] },
    "nobody answers": { input: { request: "laptop", amountCents: 1, approver: "dana" } },
  },
  "shipping-quotes": {
    "books the cheapest": { input: { parcel: { weightGrams: 900, from: "NL", to: "FR" } } },
  },
  "agent-review": {
    edited: { input: ticket, mocks: model, events: [{ type: "review", payload: { body: { decision: "edit", by: "sam", text: "Tomorrow." } } }] },
    escalated: { input: ticket, mocks: model },
  },
};

describe("replay safety of every workflow", () => {
  it("has scenarios for every registered workflow", () => {
    expect(Object.keys(scenarios).sort()).toEqual(Object.keys(workflows).sort());
  });

  for (const [name, cases] of Object.entries(scenarios)) {
    for (const [what, scenario] of Object.entries(cases)) {
      it(`${name}: ${what}`, async () => {
        const report = await checkReplaySafety(workflows[name] as WorkflowDefinition, scenario);
        expect(report.boundaries).toBeGreaterThan(1);
        expect(report.outcome.kind).not.toBe("suspended");
      });
    }
  }
});
