/**
 * An expense approval: ask an approver, wait for their decision for a while, and
 * take the timeout branch (escalate and reject) when nobody answers.
 *
 * The decision arrives as an event of type "decision":
 *   POST /api/instances/:id/events  {"type":"decision","payload":{"approved":true,"by":"dana"}}
 */
import { z } from "zod";
import { defineWorkflow } from "../src/workflow.js";

const ApprovalInput = z.object({
  request: z.string().min(1).max(500),
  amountCents: z.number().int().min(0),
  approver: z.string().min(1),
  /** How long to wait for the decision. Default 3 days. */
  timeout: z.string().optional(),
});
export type ApprovalInput = z.infer<typeof ApprovalInput>;

export interface Decision {
  approved: boolean;
  by: string;
  comment?: string;
}

export interface ApprovalOutput {
  approved: boolean;
  decidedBy: string;
  outcome: "approved" | "rejected" | "expired";
}

export default defineWorkflow<ApprovalInput, ApprovalOutput>({
  name: "approval",
  description: "Ask an approver, wait for the decision, escalate when nobody answers.",
  version: "1",
  input: ApprovalInput,
  async run(event, step) {
    const { request, approver, amountCents } = event.payload;

    await step.do("notify approver", () => ({
      to: approver,
      message: `Please approve "${request}" (${(amountCents / 100).toFixed(2)}): send a "decision" event to instance ${event.instanceId}`,
    }));

    let decision: Decision;
    try {
      const received = await step.waitForEvent<Decision>("wait for decision", {
        type: "decision",
        timeout: event.payload.timeout ?? "3 days",
      });
      decision = received.payload;
    } catch (error) {
      if ((error as { code?: string }).code !== "EVENT_TIMEOUT") throw error;
      await step.do("escalate", () => ({ escalatedTo: "finance-leads", reason: `${approver} did not answer` }));
      return { approved: false, decidedBy: "timeout", outcome: "expired" };
    }

    await step.do("record decision", () => ({ request, approved: decision.approved, by: decision.by }));
    return {
      approved: decision.approved,
      decidedBy: decision.by,
      outcome: decision.approved ? "approved" : "rejected",
    };
  },
});
