/**
 * Scenarios that take each example workflow through its main branches. The
 * replay-safety test runs them with a crash at every step boundary; the golden
 * journals in this folder were recorded from them (`npm run golden:update`).
 */
import type { ReplayScenario } from "../../src/testing.js";

const order = { orderId: "A-1", customer: "ada", items: [{ sku: "book", quantity: 1 }], amountCents: 2_500 };
const ticket = { ticketId: "T-1", customer: "ada", question: "Where is my parcel?", reviewer: "sam" };
const model = { "draft answer": { result: "Your parcel is on its way." } };

export const scenarios: Record<string, Record<string, ReplayScenario<any>>> = {
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
  "nightly-report": {
    "three regions": { input: { regions: ["eu", "us", "apac"], date: "2026-11-20" } },
  },
  "regional-report": {
    "one region": { input: { region: "eu", date: "2026-11-20" } },
  },
  "customer-sync": {
    "through a rate limit": { input: { customerId: "c-1", records: 250, pageSize: 100, simulate: { rateLimitedPages: [1] } } },
  },
  "order-saga": {
    shipped: { input: { orderId: "S-1", amountCents: 4_200, sku: "lamp" } },
    "refunded when the carrier refuses": { input: { orderId: "S-2", amountCents: 4_200, sku: "lamp", simulate: { carrierRefuses: true } } },
  },
  checkout: {
    paid: {
      input: { orderId: "C-1", amountCents: 4_200, paymentIntentId: "pi_test_1" },
      events: [{ type: "payment_intent.succeeded", payload: { id: "pi_test_1", object: "payment_intent", amount_received: 4_200, currency: "eur" } }],
    },
    unpaid: { input: { orderId: "C-2", amountCents: 4_200, paymentIntentId: "pi_test_2", payWithin: "30 minutes" } },
  },
  "agent-review": {
    edited: { input: ticket, mocks: model, events: [{ type: "review", payload: { body: { decision: "edit", by: "sam", text: "Tomorrow." } } }] },
    escalated: { input: ticket, mocks: model },
  },
};

export function goldenFileName(workflow: string, scenario: string): string {
  return `${workflow}--${scenario.replaceAll(/[^a-z0-9]+/gi, "-").toLowerCase()}.json`;
}
