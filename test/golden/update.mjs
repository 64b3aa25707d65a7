/**
 * `npm run golden:update`: records the golden journals of the example workflows
 * into test/golden/*.json. Run it only when a change to a workflow is meant to be
 * incompatible with running instances (a new workflow version); otherwise the golden
 * test is what tells you a change would break instances already in flight.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(path.join(here, name), `${JSON.stringify(content, null, 2)}\n`);
    console.log(`wrote test/golden/${name}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
