/**
 * A fan-out: ask every carrier for a quote in parallel (each its own step, each
 * retried on its own), then join the results and book the cheapest.
 *
 * Quotes are computed, not fetched, so the example runs anywhere; a real workflow
 * would call each carrier's API inside its step.
 */
import { z } from "zod";
import { defineWorkflow } from "../src/workflow.js";

const QuotesInput = z.object({
  parcel: z.object({ weightGrams: z.number().int().positive(), from: z.string().length(2), to: z.string().length(2) }),
  carriers: z.array(z.string().min(1)).min(1).max(20).optional(),
});
export type QuotesInput = z.infer<typeof QuotesInput>;

export interface Quote {
  carrier: string;
  priceCents: number;
  days: number;
}

const DEFAULT_CARRIERS = ["dhl", "ups", "fedex", "postnl", "dpd"];

/** A deterministic stand-in for a carrier's pricing API. */
function quote(carrier: string, weightGrams: number): Quote {
  let hash = 0;
  for (const char of carrier) hash = (hash * 31 + char.charCodeAt(0)) % 997;
  return { carrier, priceCents: 500 + ((hash * weightGrams) % 2000), days: 1 + (hash % 5) };
}

export default defineWorkflow<QuotesInput, { booked: Quote; quotes: Quote[] }>({
  name: "shipping-quotes",
  description: "Fan out to every carrier for a quote, join, book the cheapest.",
  version: "1",
  input: QuotesInput,
  async run(event, step) {
    const { parcel } = event.payload;
    const carriers = event.payload.carriers ?? DEFAULT_CARRIERS;

    const quotes = await Promise.all(
      carriers.map((carrier) =>
        step.do(`quote ${carrier}`, { retries: { limit: 3, delay: "2 seconds" }, timeout: "20 seconds" }, () =>
          quote(carrier, parcel.weightGrams),
        ),
      ),
    );

    const cheapest = quotes.reduce((best, q) => (q.priceCents < best.priceCents ? q : best));
    const booked = await step.do("book cheapest", () => ({ ...cheapest }));
    return { booked, quotes };
  },
});
