/// <reference types="node" />
// The typed client example of the README, verbatim but for the import paths:
// type-checked by `npm test` (tsc), and compared with the README by readme.spec.ts.
// It is never run (it expects a Cairn on :8787); client.spec.ts runs the same calls.
import { CairnApiError, createClient } from "../../src/client/index.js";
import type approval from "../../workflows/approval.js";
import type orderFulfilment from "../../workflows/order-fulfilment.js";

const cairn = createClient<{ approval: typeof approval; "order-fulfilment": typeof orderFulfilment }>({
  baseUrl: "http://localhost:8787",
  token: process.env.TOKEN!,
});

const started = await cairn.start("approval", {
  id: "expense-42",                                                    // idempotent: the same id again answers this instance
  input: { request: "New laptop", amountCents: 189900, approver: "dana" }, // checked against ApprovalInput
  tags: { team: "design" },
});
await cairn.waitFor(started, "waiting");
await cairn.sendEvent(started, { type: "decision", payload: { approved: true, by: "dana" } });
const done = await cairn.waitFor(started, "completed", { timeoutMs: 30_000 });
console.log(done.output?.outcome);                                    // typed: "approved" | "rejected" | "expired"

const page = await cairn.list({ workflow: "approval", status: ["waiting"], tags: { team: "design" }, limit: 20 });
await cairn.pause("order-1");
await cairn.resume("order-1");
await cairn.restart("order-1", { fromStep: { name: "charge card" } });
await cairn.terminate("order-1");

try {
  await cairn.get("no-such-instance");
} catch (error) {
  if (error instanceof CairnApiError && error.code === "INSTANCE_NOT_FOUND") console.log(error.message);
}
