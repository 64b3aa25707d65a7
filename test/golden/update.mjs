/**
 * `npm run golden:update`: records golden journals of the example workflows into
 * test/golden/*.json, for scenarios that have none yet. Existing ones are kept: they
 * stand for instances already in flight, which the current code must still replay.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), "cairn-golden-"));
try {
  const outfile = path.join(tmp, "record.mjs");
  await esbuild.build({ entryPoints: [path.join(here, "record.ts")], outfile, bundle: true, format: "esm", platform: "node", logLevel: "warning" });
  const { recordGoldens } = await import(pathToFileURL(outfile).href);
  const files = await recordGoldens();
  // A golden journal is a record of the past: it is written once and never replaced,
  // unless named on the command line (`npm run golden:update -- <file>`).
  const replace = new Set(process.argv.slice(2));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(here, name);
    if (existsSync(file) && !replace.has(name)) continue;
    writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
    console.log(`wrote test/golden/${name}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
