/**
 * The human-in-the-loop agent example: the model drafts, the reviewer decides
 * through the signed link, or the workflow escalates when nobody does.
 */
import { SELF } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { start, uniqueId, waitForStatus, waitUntil } from "../helpers.js";

const input = { ticketId: "T-7", customer: "ada", question: "Where is my order?", reviewer: "sam" };

async function startReview(extra: Record<string, unknown> = {}) {
  const id = uniqueId("agent");
  await start("agent-review", { id, input: { ...input, ...extra } });
  const view = await waitUntil(id, (v) => v.status === "waiting" && v.waitingFor?.kind === "event", "waiting for the review");
  const link = view.steps.find((s) => s.name === "review link")!.result as { url: string };
  const draft = view.steps.find((s) => s.name === "draft answer")!.result as string;
  return { id, link, draft };
}

const review = (url: string, body: unknown) =>
  SELF.fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

suite("agent-review", () => {
  it("drafts with the model, sends the link, and sends the draft once approved", async () => {
    const { id, link, draft } = await startReview();
    expect(draft).toMatch(/^Thanks for reaching out!/);
    expect((await review(link.url, { decision: "approve", by: "sam" })).status).toBe(202);
    const done = await waitForStatus(id, "completed");
    expect(done.output).toEqual({ ticketId: "T-7", outcome: "approved", reviewedBy: "sam", answer: draft });
    expect(done.steps.map((s) => s.name)).toEqual(["draft answer", "review link", "ask reviewer", "wait for review", "send answer"]);
  });

  it("sends the reviewer's edited text instead of the draft", async () => {
    const { id, link } = await startReview();
    await review(link.url, { decision: "edit", by: "sam", text: "Your order ships tomorrow." });
    expect((await waitForStatus(id, "completed")).output).toMatchObject({ outcome: "edited", answer: "Your order ships tomorrow." });
  });

  it("hands a rejected draft to a human agent", async () => {
    const { id, link } = await startReview();
    await review(link.url, { decision: "reject", by: "sam" });
    const done = await waitForStatus(id, "completed");
    expect(done.output).toEqual({ ticketId: "T-7", outcome: "rejected", reviewedBy: "sam" });
    expect(done.steps.at(-1)?.name).toBe("hand to a human agent");
  });

  it("escalates when nobody reviews in time", async () => {
    const { id } = await startReview({ reviewWindow: "1 second" });
    const done = await waitForStatus(id, "completed", 10_000);
    expect(done.output).toEqual({ ticketId: "T-7", outcome: "escalated" });
    expect(done.steps.at(-1)?.name).toBe("escalate to on-call");
  });
});
