/**
 * Ends a test run with one plain line, "N passed, N failed, N skipped", that any
 * tool reading the output understands without knowing Vitest's own summary, and
 * records the counts so that `test/summary.mjs` can add up the whole `npm test`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

export const SUMMARY_DIR = "test-results/summary";

export default class SummaryReporter implements Reporter {
  constructor(private readonly name = "tests") {}

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") counts.passed++;
        else if (state === "failed") counts.failed++;
        else counts.skipped++;
      }
      // A file that failed to load has no tests to count: count it as a failure.
      if (module.state() === "failed" && [...module.children.allTests()].length === 0) counts.failed++;
    }
    mkdirSync(SUMMARY_DIR, { recursive: true });
    writeFileSync(`${SUMMARY_DIR}/${this.name}.json`, JSON.stringify(counts));
    console.log(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  }
}
