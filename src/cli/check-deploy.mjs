/**
 * `npm run check:deploy -- --url <Cairn's URL> [--token …] [--workflow …] [--save DIR] [--concurrency N]`
 *
 * Replays the journal of every open instance (queued, running, waiting, paused) of a
 * running Cairn against the workflows in the working tree, with no side effect, and
 * exits non-zero when any would break (see deploy-check.ts). Bundles the TypeScript
 * (the registry and the pure engine) with esbuild, which wrangler already brings.
 *
 * The token: --token, else CAIRN_TOKEN, else API_TOKEN from .dev.vars for a local URL.
 * The URL: --url, else CAIRN_URL. `--workflows <file>` checks another registry
 * module than workflows/index.ts (it must export `workflows`).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const USAGE = "usage: npm run check:deploy -- --url <Cairn's URL> [--token <API token>] [--workflow <name>] [--save <dir>] [--concurrency <n>]";

function fail(message) {
  console.error(`check:deploy: ${message}\n${USAGE}`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      url: { type: "string" },
      token: { type: "string" },
      workflow: { type: "string" },
      save: { type: "string" },
      concurrency: { type: "string", default: "8" },
      workflows: { type: "string", default: path.join(ROOT, "workflows/index.ts") },
      help: { type: "boolean" },
    },
  }));
} catch (error) {
  fail(error.message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const url = args.url ?? process.env.CAIRN_URL;
if (!url) fail("give Cairn's URL with --url (or CAIRN_URL)");
const concurrency = Number(args.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) fail("--concurrency is a whole number from 1 to 64");

/** API_TOKEN from .dev.vars, for a Cairn on this machine (`npm start` wrote it). */
function localToken() {
  const file = path.join(ROOT, ".dev.vars");
  if (!/^https?:\/\/(localhost|127\.0\.0\.1)(:|\/|$)/.test(url) || !existsSync(file)) return undefined;
  return /^API_TOKEN=(.*)$/m.exec(readFileSync(file, "utf8"))?.[1]?.trim();
}
const token = args.token ?? process.env.CAIRN_TOKEN ?? localToken();
if (!token) fail("give the API token with --token (or CAIRN_TOKEN)");

const tmp = mkdtempSync(path.join(os.tmpdir(), "cairn-check-deploy-"));
let exitCode = 2;
try {
  const outfile = path.join(tmp, "check.mjs");
  const registry = path.resolve(args.workflows);
  await esbuild.build({
    stdin: {
      contents: `export { workflows } from ${JSON.stringify(registry)};\nexport * from ${JSON.stringify(path.join(ROOT, "src/cli/deploy-check.ts"))};`,
      resolveDir: ROOT,
      loader: "ts",
    },
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    // A registry outside the repository still finds the repository's packages.
    nodePaths: [path.join(ROOT, "node_modules")],
    logLevel: "warning",
  });
  await esbuild.stop();
  const { workflows, checkDeploy, formatReport } = await import(pathToFileURL(outfile).href);

  const save = args.save && path.resolve(args.save);
  if (save) mkdirSync(save, { recursive: true });
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  console.error(`check:deploy: replaying the open instances of ${url} against ${path.relative(process.cwd(), registry) || registry}`);
  const report = await checkDeploy(workflows, {
    url,
    token,
    concurrency,
    ...(args.workflow && { workflow: args.workflow }),
    ...(save && {
      save: (journal) => {
        const name = `${journal.instance.workflow}--${journal.instance.id.replaceAll(/[^A-Za-z0-9._-]+/g, "-")}.json`;
        const golden = { ...journal, scenario: journal.scenario ?? `open instance ${journal.instance.id}` };
        writeFileSync(path.join(save, name), `${JSON.stringify(golden, null, 2)}\n`);
      },
    }),
    progress: (line, final) => {
      // On a terminal one line that updates; in a log a line now and then.
      if (tty) process.stderr.write(`\r${line}${final ? "\n" : ""}`);
      else if (final || Date.now() - lastLine > 2_000) {
        lastLine = Date.now();
        process.stderr.write(`${line}\n`);
      }
    },
  });
  process.stdout.write(formatReport(report));
  if (save) console.error(`check:deploy: journals saved in ${save}`);
  exitCode = report.breaks ? 1 : 0;
} catch (error) {
  console.error(`check:deploy: could not check ${url}: ${error?.code ? `${error.code}: ` : ""}${error?.message ?? error}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(exitCode);
