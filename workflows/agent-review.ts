/**
 * A human in the loop for an AI agent: a model drafts the answer to a support
 * ticket, a reviewer gets a signed link, and the workflow waits up to 3 days for
 * their decision: approve, edit or reject. Nobody answers: it escalates.
 *
 * The model is reached through the `MODEL` service binding or the `MODEL_URL`
 * endpoint (POST `{ prompt }`, answering `{ text }` or an OpenAI-style
 * `{ choices: [{ message: { content } }] }`). The reviewer POSTs to the link:
 *   curl -X POST "$URL" -H 'content-type: application/json' -d '{"decision":"approve","by":"sam"}'
 */
import { z } from "zod";
import { NonRetryableError, defineWorkflow } from "../src/workflow.js";

const Input = z.object({
  ticketId: z.string().min(1).max(100),
  customer: z.string().min(1),
  question: z.string().min(1).max(10_000),
  reviewer: z.string().min(1),
  /** How long the reviewer has. Default 3 days. */
  reviewWindow: z.string().optional(),
});

const Review = z.object({
  decision: z.enum(["approve", "edit", "reject"]),
  by: z.string().min(1),
  text: z.string().optional(),
});

interface ModelEnv {
  MODEL?: Fetcher;
  MODEL_URL?: string;
}

async function draftWithModel(env: ModelEnv, prompt: string, signal: AbortSignal): Promise<string> {
  const init = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt }), signal };
  let res: Response;
  if (env.MODEL) res = await env.MODEL.fetch("https://model/complete", init);
  else if (env.MODEL_URL) res = await fetch(env.MODEL_URL, init);
  else throw new NonRetryableError("no model is configured: bind a MODEL service or set MODEL_URL", "ModelNotConfigured");
  if (res.status === 400 || res.status === 401 || res.status === 403) {
    throw new NonRetryableError(`the model refused the request (${res.status}): check MODEL_URL and its credentials`, "ModelRefused");
  }
  if (!res.ok) throw new Error(`the model answered ${res.status}`); // 429 and 5xx: retried with backoff
  const answer = (await res.json()) as { text?: string; choices?: { message?: { content?: string } }[] };
  const text = answer.text ?? answer.choices?.[0]?.message?.content;
  if (!text) throw new Error("the model's answer had no text");
  return text;
}

export default defineWorkflow<z.infer<typeof Input>, unknown, ModelEnv>({
  name: "agent-review",
  description: "A model drafts a support answer; a person approves, edits or rejects it through a signed link.",
  version: "1",
  input: Input,
  async run(event, step, { env }) {
    const { ticketId, customer, question, reviewer } = event.payload;
    const window = event.payload.reviewWindow ?? "3 days";

    const draft = await step.do(
      "draft answer",
      { retries: { limit: 4, delay: "5 seconds", backoff: "exponential" }, timeout: "2 minutes" },
      ({ signal }) => draftWithModel(env, `Answer ${customer}'s support ticket ${ticketId} politely and precisely:\n\n${question}`, signal),
    );

    const link = await step.webhook("review link", { eventType: "review", expiresIn: window });

    await step.do("ask reviewer", () => ({
      // A real deployment posts this to email or chat; the link is all the reviewer needs.
      to: reviewer,
      message: `Ticket ${ticketId}: please review the drafted answer and POST your decision to ${link.url}`,
      draft,
    }));

    let review: z.infer<typeof Review>;
    try {
      const delivery = await step.waitForEvent<{ body?: unknown }>("wait for review", { type: link.eventType, timeout: window });
      const parsed = Review.safeParse(delivery.payload.body);
      // A malformed review counts as a rejection: a person looks at the ticket either way.
      review = parsed.success ? parsed.data : { decision: "reject", by: "unknown", text: "unreadable review" };
    } catch (error) {
      if ((error as { code?: string }).code !== "EVENT_TIMEOUT") throw error;
      await step.do("escalate to on-call", () => ({ ticketId, reason: `${reviewer} did not review within ${window}` }));
      return { ticketId, outcome: "escalated" };
    }

    if (review.decision === "reject") {
      await step.do("hand to a human agent", () => ({ ticketId, assignedTo: review.by }));
      return { ticketId, outcome: "rejected", reviewedBy: review.by };
    }
    const answer = review.decision === "edit" && review.text ? review.text : draft;
    await step.do("send answer", () => ({ ticketId, to: customer, answer }));
    return { ticketId, outcome: review.decision === "edit" ? "edited" : "approved", reviewedBy: review.by, answer };
  },
});
