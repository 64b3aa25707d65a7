#!/usr/bin/env node
/**
 * `npm run bench`: Cairn against Cloudflare Workflows' local engine and against the
 * storage floor (a raw SQLite Durable Object), in one workerd, on workloads W1–W8
 * (see docs/benchmarks.md), plus a breakdown of Cairn's per-step cost.
 *
 * Progress goes to stderr; the tables to stdout; the figures to
 * bench/results/<date>.json; the tables, method and chart to docs/benchmarks.md
 * (its generated section) and docs/benchmarks-w1.png.
 *
 * `--only cost` counts what instance lives cost (docs/cost.md): exact operation
 * counts, checked against docs/cost.json, and that file's tables and chart.
 *
 * `--only startup` measures a cold start: bundle size, startup CPU (`wrangler check
 * startup`) and the first request of a fresh isolate.
 *
 * Options (defaults in brackets):
 *   --only W1,W2,...,W8,profile,flow,cost,memory,startup [all]   (flow: what each flow control adds to a start, Cairn only)   --engines cairn,cloudflare,floor [all]
 *   --sizes 10,100,1000,10000           --rounds 5  --warmup 1   (W1, W3, W6, profile)
 *   --count 1000  --crowd-rounds 3                               (W2, W4, W5, W8)
 *   --events 50  --nap-ms 1000  --nap-pace-ms 10  --fanout 100  --payloads 1024,102400  --payload-steps 10
 *   --resume-steps 10000  --resume-count 3  --profile-n 10000  --profile-instances 200  --flow-count 100
 *   --cost-io-steps 3  --cost-io-ms 1000                         (cost: steps awaiting outside I/O)
 *   --startup-rounds 3                                            (startup)
 *   --memory-count 500  --memory-large-count 10                   (memory: idle objects of each layer, and instances with 5 × 1 MB results)
 *   --memory-brief: the memory rung measures Cairn's instances only, not each layer nor eviction (--quick does)
 *   --state-dir DIR [/dev/shm if present, else the OS temp dir]: where workerd keeps state
 *   --no-index: Cairn's objects write to a D1 stand-in that does nothing (what the index costs)
 *   --quick: small sizes and counts, for a smoke run (not for the docs)
 *   --no-docs: leave docs/ alone
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeChart } from "./lib/chart.mjs";
import { compatibilityDate, startHost } from "./lib/host.mjs";
import { methodLines } from "./lib/method.mjs";
import { cost, costText, writeCostChart, writeCostDocs } from "./lib/cost.mjs";
import { memory, memoryText } from "./lib/memory.mjs";
import { buildTables, toText, writeDocs } from "./lib/report.mjs";
import { startup, startupText } from "./lib/startup.mjs";
import { round } from "./lib/stats.mjs";
import * as workloads from "./lib/workloads.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
/** Memory (tmpfs) where there is one: see "Reading the numbers" in docs/benchmarks.md. */
const DEFAULT_STATE_DIR = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
const ALL = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "profile", "flow", "cost", "memory", "startup"];

const { values: a } = parseArgs({
  options: {
    only: { type: "string", default: ALL.join(",") },
    engines: { type: "string", default: "cairn,cloudflare,floor" },
    sizes: { type: "string", default: "10,100,1000,10000" },
    rounds: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    count: { type: "string", default: "1000" },
    "crowd-rounds": { type: "string", default: "3" },
    events: { type: "string", default: "50" },
    "nap-ms": { type: "string", default: "1000" },
    fanout: { type: "string", default: "100" },
    payloads: { type: "string", default: "1024,102400" },
    "payload-steps": { type: "string", default: "10" },
    "resume-steps": { type: "string", default: "10000" },
    "resume-count": { type: "string", default: "3" },
    "nap-pace-ms": { type: "string", default: "10" },
    "profile-n": { type: "string", default: "10000" },
    "profile-instances": { type: "string", default: "200" },
    "flow-count": { type: "string", default: "100" },
    "cost-io-steps": { type: "string", default: "3" },
    "cost-io-ms": { type: "string", default: "1000" },
    "startup-rounds": { type: "string", default: "3" },
    "memory-count": { type: "string", default: "500" },
    "memory-large-count": { type: "string", default: "10" },
    "memory-brief": { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    "no-docs": { type: "boolean", default: false },
    "no-index": { type: "boolean", default: false },
    "state-dir": { type: "string", default: DEFAULT_STATE_DIR },
  },
});
const num = (s) => Number(String(s).replaceAll("_", ""));
const list = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);
const o = {
  only: list(a.only),
  engines: ["cairn", "cloudflare", "floor"].filter((e) => list(a.engines).includes(e)),
  sizes: list(a.sizes).map(num),
  rounds: num(a.rounds),
  warmup: num(a.warmup),
  count: num(a.count),
  crowdRounds: num(a["crowd-rounds"]),
  events: num(a.events),
  napMs: num(a["nap-ms"]),
  fanout: num(a.fanout),
  payloads: list(a.payloads).map(num),
  payloadSteps: num(a["payload-steps"]),
  resumeSteps: num(a["resume-steps"]),
  resumeCount: num(a["resume-count"]),
  napPaceMs: num(a["nap-pace-ms"]),
  profileN: num(a["profile-n"]),
  profileInstances: num(a["profile-instances"]),
  flowCount: num(a["flow-count"]),
  costIoSteps: num(a["cost-io-steps"]),
  costIoMs: num(a["cost-io-ms"]),
  startupRounds: num(a["startup-rounds"]),
  memoryCount: num(a["memory-count"]),
  memoryLargeCount: num(a["memory-large-count"]),
  memoryBrief: a["memory-brief"],
  noIndex: a["no-index"],
};
if (a.quick) Object.assign(o, { sizes: [10, 100, 1000], rounds: 2, count: 100, crowdRounds: 1, napMs: 500, events: 10, resumeSteps: 1000, resumeCount: 1, profileN: 1000, profileInstances: 50, flowCount: 20, costIoMs: 200, startupRounds: 1, memoryCount: 100, memoryLargeCount: 4, memoryBrief: true });

// ---- progress on stderr ------------------------------------------------------------

const tty = process.stderr.isTTY;
const t0 = Date.now();
const stamp = () => `[${String(Math.round((Date.now() - t0) / 1000)).padStart(4)} s]`;
const progress = (text) => (tty ? process.stderr.write(`\r\x1b[2K${stamp()} ${text}`) : process.stderr.write(`${stamp()} ${text}\n`));
progress.line = (text) => process.stderr.write(`${tty ? "\r\x1b[2K" : ""}${stamp()} ${text}\n`);

// ---- run -----------------------------------------------------------------------------

function machine() {
  const require = createRequire(createRequire(import.meta.url).resolve("miniflare"));
  const pkg = require.resolve("workerd/package.json");
  let workerd = JSON.parse(readFileSync(pkg, "utf8")).version;
  try {
    workerd = `${workerd} (${execFileSync(path.join(path.dirname(pkg), "bin", "workerd"), ["--version"], { encoding: "utf8" }).trim()})`;
  } catch {}
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: { count: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown" },
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    loadAverageAtStart: os.loadavg().map((x) => round(x, 2)),
    node: process.version,
    workerd,
    miniflare: JSON.parse(readFileSync(createRequire(import.meta.url).resolve("miniflare/package.json"), "utf8")).version,
    compatibilityDate: compatibilityDate(root),
  };
}

function localDate() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

let host;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping workerd\n`);
    (host?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

try {
  const startedAt = new Date();
  // The startup and memory rungs run in a workerd of their own; the rest share the bench's.
  const needsHost = o.only.some((id) => id !== "startup" && id !== "memory");
  if (needsHost) {
    progress("building the bench Worker and starting workerd");
    host = await startHost(root, { stateParent: a["state-dir"] });
  }
  const w = {};
  const statedCost = path.join(root, "docs", "cost.json");
  // Each workload after the first three starts in a fresh workerd, with nothing of the last one in memory.
  const fresh = async () => {
    progress("restarting workerd");
    await host.restart();
  };
  const run = async (id, fn) => {
    if (o.only.includes(id)) w[id] = await fn();
  };
  await run("W1", () => workloads.w1(host, o, progress));
  await run("W3", () => workloads.w3(host, o, progress));
  await run("W6", () => workloads.w6(host, o, progress));
  await run("W5", async () => (await fresh(), workloads.w5(host, o, progress)));
  if (o.only.includes("W2") || o.only.includes("W8")) {
    const { w2, w8 } = await workloads.w2(host, o, progress);
    if (o.only.includes("W2")) w.W2 = w2;
    if (o.only.includes("W8") && w8) w.W8 = w8;
  }
  await run("W4", () => workloads.w4(host, o, progress));
  const profile = o.only.includes("profile") && o.engines.includes("cairn") ? (await fresh(), await workloads.profile(host, o, progress)) : undefined;
  await run("W7", async () => (await fresh(), workloads.w7(host, o, progress)));
  if (o.engines.includes("cairn")) await run("flow", async () => (await fresh(), workloads.flow(host, o, progress)));
  const costs = o.only.includes("cost") && o.engines.includes("cairn") ? await cost(host, o, progress, statedCost) : undefined;
  await host?.stop();
  const memo = o.only.includes("memory") && o.engines.includes("cairn") ? await memory(root, { ...o, stateDir: a["state-dir"] }, progress) : undefined;
  const cold = o.only.includes("startup") ? await startup(root, o, progress) : undefined;

  const result = {
    date: localDate(),
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - t0) / 1000),
    machine: machine(),
    options: { ...o, quick: a.quick, stateDir: a["state-dir"] },
    method: methodLines(o, host?.indexStatements ?? 0, a["state-dir"]),
    workloads: w,
    profile,
    cost: costs,
    startup: cold,
    memory: memo,
  };
  const dir = path.join(here, "results");
  mkdirSync(dir, { recursive: true });
  // A partial or what-if run never overwrites the day's full results.
  const partial = ALL.every((id) => o.only.includes(id)) && o.engines.length === 3 ? [] : [...o.only, ...o.engines];
  const otherState = a["state-dir"] !== DEFAULT_STATE_DIR;
  const suffix = [...(a.quick ? ["quick"] : []), ...(o.noIndex ? ["no-index"] : []), ...(otherState ? [`state-${path.basename(a["state-dir"])}`] : []), ...partial]
    .map((x) => `-${x}`)
    .join("");
  const file = path.join(dir, `${result.date}${suffix}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  // Written first: a fault in the tables below leaves the figures on disk.
  const tables = buildTables(result);
  const writesDocs = !a.quick && !a["no-docs"] && !o.noIndex && !otherState && !partial.length;
  if (writesDocs) {
    const docs = path.join(root, "docs");
    mkdirSync(docs, { recursive: true });
    await writeChart(w.W1, o.engines, path.join(docs, "benchmarks-w1.png"));
    writeDocs(path.join(docs, "benchmarks.md"), result, tables, "benchmarks-w1.png");
  }
  // The cost doc renders docs/cost.json (the stated counts), whatever else ran.
  const writesCostDocs = costs && !a.quick && !a["no-docs"] && !o.noIndex;
  if (writesCostDocs) {
    writeCostDocs(path.join(root, "docs", "cost.md"), statedCost);
    await writeCostChart(statedCost, path.join(root, "docs", "cost.png"));
  }
  const m = result.machine;
  console.log(`Cairn vs Cloudflare Workflows (local engine) vs floor — ${m.os}, ${m.cpus.count}× ${m.cpus.model}, Node ${m.node}, workerd ${m.workerd}\n`);
  console.log(tables.map(toText).join("\n\n"));
  if (costs) console.log(`\n${costText(costs)}`);
  if (memo) console.log(`\n${memoryText(memo)}`);
  if (cold) console.log(`\n${startupText(cold)}`);
  if (costs?.above.length) process.exitCode = 1;
  console.log(`\nresults: ${path.relative(process.cwd(), file)}${writesDocs ? ", docs/benchmarks.md, docs/benchmarks-w1.png" : ""}${writesCostDocs ? ", docs/cost.md, docs/cost.png" : ""}`);
} catch (error) {
  process.stderr.write("\n");
  console.error("bench failed:", error);
  process.exitCode = 1;
} finally {
  await host?.stop();
}
