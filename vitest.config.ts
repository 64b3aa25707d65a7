import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import SummaryReporter from "./test/summary-reporter.js";

/** A stand-in for the model the agent-review example calls. */
function modelStub() {
  return async (request: Request) => {
    const { prompt } = (await request.json()) as { prompt: string };
    return Response.json({ text: `Thanks for reaching out! (drafted from ${prompt.length} characters of prompt)` });
  };
}

// The index's migrations, as drizzle-kit wrote them; test/setup.ts applies them to the test D1.
const migrations = await readD1Migrations("./migrations");

export default defineConfig({
  plugins: [
    cloudflareTest({
      // The product's wrangler.toml, with an entry that adds the test-only workflows.
      wrangler: { configPath: "./wrangler.toml" },
      main: "./test/fixtures/worker.ts",
      miniflare: {
        serviceBindings: { MODEL: modelStub() },
        // The index queue (docs/scaling.md), used only by instances whose id starts with `viaqueue-` (test/fixtures/worker.ts).
        queueProducers: { TEST_INDEX_QUEUE: "cairn-index-test" },
        queueConsumers: { "cairn-index-test": { maxBatchSize: 100, maxBatchTimeout: 0.05, maxRetries: 10 } },
        bindings: {
          TEST_MIGRATIONS: migrations,
          API_TOKEN: "test-api-token",
          API_TOKEN_READONLY: "test-readonly-token",
          WEBHOOK_SECRET: "test-webhook-secret",
          // A provider's Standard Webhooks secrets during a rotation: the old and the new.
          // Provider webhooks (workflows/providers.ts): Stripe during a secret roll (old and new), GitHub with one.
          STRIPE_WEBHOOK_SECRET: "whsec_test_old_secret whsec_test_new_secret",
          GITHUB_WEBHOOK_SECRET: "github-test-secret",
          TEST_PROVIDER_SECRET: `whsec_${Buffer.from("old-provider-secret").toString("base64")} whsec_${Buffer.from("new-provider-secret").toString("base64")}`,
        },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
    testTimeout: 20_000,
    reporters: ["default", new SummaryReporter("workerd")],
  },
});
