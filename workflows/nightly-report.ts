/**
 * The nightly sales report: every night at 02:00 UTC (a schedule declared here),
 * one child workflow per region sums the day's orders in parallel; the parent joins
 * them, and a failed region does not sink the report: it is listed as missing.
 */
import { z } from "zod";
import { defineWorkflow } from "../src/workflow.js";
import type { RegionalTotals } from "./regional-report.js";

const Input = z.object({
  regions: z.array(z.string().min(1).max(20)).min(1).max(100),
  /** The day to report on; default: the day before the run started. */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
});

export default defineWorkflow<z.infer<typeof Input>>({
  name: "nightly-report",
  description: "Every night, sum each region's orders in child workflows and publish the report.",
  version: "1",
  input: Input,
  schedules: [{ id: "nightly-report", cron: "0 2 * * *", timezone: "UTC", input: { regions: ["eu", "us", "apac"] } }],
  async run(event, step) {
    // The date comes from the instance's start time, which every replay sees the same.
    const date = event.payload.date ?? new Date(event.timestamp.getTime() - 86_400_000).toISOString().slice(0, 10);

    const parts = await Promise.all(
      event.payload.regions.map((region) =>
        step
          .child<RegionalTotals>(`report ${region}`, "regional-report", { region, date }, { timeout: "6 hours" })
          .catch((error: { code?: string; message?: string }) => ({ region, missing: error.code ?? "FAILED" })),
      ),
    );

    const complete = parts.filter((p): p is RegionalTotals => "orders" in p);
    const report = await step.do("publish report", () => ({
      date,
      orders: complete.reduce((sum, p) => sum + p.orders, 0),
      revenueCents: complete.reduce((sum, p) => sum + p.revenueCents, 0),
      regions: parts,
    }));
    return report;
  },
});
