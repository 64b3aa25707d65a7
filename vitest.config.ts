import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import SummaryReporter from "./test/summary-reporter.js";

export default defineConfig({
  plugins: [
    cloudflareTest({
      // The product's wrangler.toml, with an entry that adds the test-only workflows.
      wrangler: { configPath: "./wrangler.toml" },
      main: "./test/fixtures/worker.ts",
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    reporters: ["default", new SummaryReporter()],
  },
});
