/**
 * One region's part of the nightly report: gather the day's orders for the region
 * and sum them up. Started as a child by nightly-report, one per region; it can
 * also be started on its own to redo a single region.
 *
 * The figures are computed from the region and date so the example runs anywhere;
 * a real one would query the region's database or warehouse inside its steps.
 */
import { z } from "zod";
import { defineWorkflow } from "../src/workflow.js";

const Input = z.object({ region: z.string().min(1).max(20), date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) });

export interface RegionalTotals {
  region: string;
  date: string;
  orders: number;
  revenueCents: number;
}

function seeded(text: string): number {
  let hash = 7;
  for (const char of text) hash = (hash * 31 + char.charCodeAt(0)) % 100_003;
  return hash;
}

export default defineWorkflow<z.infer<typeof Input>, RegionalTotals>({
  name: "regional-report",
  description: "Sum one region's orders for a day (a child of nightly-report).",
  version: "1",
  input: Input,
  async run(event, step) {
    const { region, date } = event.payload;
    const orders = await step.do("count orders", { retries: { limit: 5, delay: "30 seconds", backoff: "exponential" } }, () => 50 + (seeded(`${region}/${date}`) % 450));
    const revenueCents = await step.do("sum revenue", () => orders * (1_500 + (seeded(region) % 3_000)));
    return { region, date, orders, revenueCents };
  },
});
