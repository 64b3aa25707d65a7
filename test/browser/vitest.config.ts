/// <reference types="node" />
/**
 * The browser and client tests: Node (not workerd), against Cairn running under
 * `wrangler dev` (started once for all of them by global-setup.ts), with Debian's
 * Chromium driven by playwright-core. `npm test` runs them after the workerd suite.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import SummaryReporter from "../summary-reporter.js";

export default defineConfig({
  resolve: { alias: { "cloudflare:workers": fileURLToPath(new URL("./cloudflare-workers.ts", import.meta.url)) } },
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["test/browser/**/*.spec.ts"],
    environment: "node",
    globalSetup: ["test/browser/global-setup.ts"],
    // One wrangler dev and one browser at a time: the machine has two cores.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default", new SummaryReporter("browser")],
  },
});
