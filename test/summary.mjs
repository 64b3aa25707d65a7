/**
 * Adds up the parts of `npm test` (the workerd suite, the browser suite, the crash
 * test) into one closing line. `--reset` clears the previous run's counts first.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";

const dir = "test-results/summary";
if (process.argv.includes("--reset")) {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
const total = { passed: 0, failed: 0, skipped: 0 };
const parts = [];
for (const file of existsSync(dir) ? readdirSync(dir).sort() : []) {
  const counts = JSON.parse(readFileSync(`${dir}/${file}`, "utf8"));
  parts.push(`${file.replace(/\.json$/, "")} ${counts.passed}/${counts.passed + counts.failed}`);
  for (const key of Object.keys(total)) total[key] += counts[key] ?? 0;
}
console.log(`\nnpm test: ${parts.join(", ")}`);
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
