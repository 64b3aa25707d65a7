import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import SummaryReporter from "./test/summary-reporter.js";

// The index's migrations, as drizzle-kit wrote them; test/setup.ts applies them to the test D1.
const migrations = await readD1Migrations("./migrations");

export default defineConfig({
  plugins: [
    cloudflareTest({
      // The product's wrangler.toml, with an entry that adds the test-only workflows.
      wrangler: { configPath: "./wrangler.toml" },
      main: "./test/fixtures/worker.ts",
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: migrations,
          API_TOKEN: "test-api-token",
          API_TOKEN_READONLY: "test-readonly-token",
          WEBHOOK_SECRET: "test-webhook-secret",
        },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
    testTimeout: 20_000,
    reporters: ["default", new SummaryReporter()],
  },
});
