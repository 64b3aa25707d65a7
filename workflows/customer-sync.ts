/**
 * Syncs one customer's records to a CRM, a page at a time, with at most one sync
 * per customer running at once (the CRM's rate limit is per account): a second
 * sync for the same customer waits `queued` until the first finishes; other
 * customers' syncs run meanwhile.
 *
 * The CRM is simulated so the example runs anywhere; `simulate.rateLimitedPages`
 * makes the first attempt of those pages answer 429, retried with backoff.
 */
import { z } from "zod";
import { defineWorkflow } from "../src/workflow.js";

const Input = z.object({
  customerId: z.string().min(1).max(100),
  records: z.number().int().min(0).max(100_000),
  pageSize: z.number().int().min(1).max(1_000).optional(),
  simulate: z.object({ rateLimitedPages: z.array(z.number().int().min(0)).optional() }).optional(),
});

export default defineWorkflow<z.infer<typeof Input>>({
  name: "customer-sync",
  description: "Sync a customer's records to the CRM in pages; one sync per customer at a time.",
  version: "1",
  input: Input,
  concurrency: { limit: 1, key: (input) => input.customerId },
  async run(event, step) {
    const { customerId, records } = event.payload;
    const pageSize = event.payload.pageSize ?? 100;
    const pages = Math.ceil(records / pageSize);
    let synced = 0;
    for (let page = 0; page < pages; page++) {
      synced += await step.do(
        `sync page ${page + 1}`,
        { retries: { limit: 5, delay: "2 seconds", backoff: "exponential" }, timeout: "1 minute" },
        ({ attempt }) => {
          if (attempt === 1 && event.payload.simulate?.rateLimitedPages?.includes(page)) {
            throw new Error(`CRM answered 429 Too Many Requests for ${customerId}, page ${page + 1}`);
          }
          return Math.min(pageSize, records - page * pageSize);
        },
      );
    }
    await step.do("mark synced", () => ({ customerId, synced }));
    return { customerId, synced, pages };
  },
});
