#!/usr/bin/env node
/**
 * `npm run bench:index`: how many status changes a second the D1 index keeps up
 * with, and the lag of each instance's final row, for the two index paths:
 * - direct: each instance writes its own row to D1 (no INDEX_QUEUE, the default);
 * - queue: instances send their rows to a queue; its consumer writes up to 100
 *   rows a query (INDEX_QUEUE bound, docs/scaling.md).
 *
 * A burst: `count` instances started at once, each making its status changes in
 * two bursts (created → running → waiting on a sleep of `nap-ms`; running →
 * completed), so about 5 changes per instance: 1 index write (the sleep is shorter than
 * the 2 s an open status waits for the next changes). Then D1 alone:
 * rows a second for one row a query (as the direct path writes) and for a hundred
 * (as the queue's consumer does): the ratio that scales Cloudflare's published
 * per-query limit to the batched path.
 *
 * Lag of an instance = when D1 first showed it completed (SQLite's clock, in a
 * trigger) − when the object completed it (its clock). One workerd, state in memory
 * (tmpfs) where there is one. Prints a table; writes bench/results/<date>-index.json.
 *
 * Options: --count 5000  --nap-ms 500  --modes direct,queue  --batch-timeout-s 1
 *          --d1-rows 20000  --timeout-s 600
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Log, LogLevel, Miniflare } from "miniflare";
import { bundleWorker, compatibilityDate, migrationStatements } from "../lib/host.mjs";
import { fmtInt, fmtMs, percentile, round } from "../lib/stats.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const { values: a } = parseArgs({
  options: {
    count: { type: "string", default: "5000" },
    "nap-ms": { type: "string", default: "500" },
    modes: { type: "string", default: "direct,queue" },
    "batch-timeout-s": { type: "string", default: "1" },
    "d1-rows": { type: "string", default: "20000" },
    "timeout-s": { type: "string", default: "600" },
  },
});
const o = {
  count: Number(a.count),
  napMs: Number(a["nap-ms"]),
  modes: a.modes.split(",").filter((m) => m === "direct" || m === "queue"),
  batchTimeoutS: Number(a["batch-timeout-s"]),
  d1Rows: Number(a["d1-rows"]),
  timeoutS: Number(a["timeout-s"]),
};
const t0 = Date.now();
const log = (text) => process.stderr.write(`[${String(Math.round((Date.now() - t0) / 1000)).padStart(4)} s] ${text}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const stateParent = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
const tmp = mkdtempSync(path.join(stateParent, "cairn-index-burst-"));
const bundle = path.join(tmp, "worker.js");
await bundleWorker(path.join(here, "worker.ts"), bundle);
const QUEUE = "cairn-index";

async function host(mode) {
  const config = {
    name: "cairn-index-burst",
    compatibilityDate: compatibilityDate(root),
    manifest: { mainModule: "worker.js", modules: { "worker.js": { type: "esm", contents: readFileSync(bundle, "utf8") } } },
    env: {
      WORKFLOW_INSTANCE: { type: "durable-object", worker: "cairn-index-burst", exportName: "WorkflowInstance" },
      DB: { type: "d1", id: `cairn-index-burst-${mode}` },
      ...(mode === "queue" && { INDEX_QUEUE: { type: "queue", name: QUEUE } }),
    },
    exports: { WorkflowInstance: { type: "durable-object", storage: "sqlite" } },
    ...(mode === "queue" && { triggers: [{ type: "queue", name: QUEUE, maxBatchSize: 100, maxBatchTimeout: o.batchTimeoutS, maxRetries: 100 }] }),
  };
  const mf = new Miniflare({
    workers: [{ config }],
    resourcePersistencePath: path.join(tmp, mode),
    cf: false,
    log: new Log(LogLevel.WARN),
    handleStructuredLogs: ({ level, message }) => process.stderr.write(`workerd ${level}: ${message}\n`),
  });
  await mf.ready;
  const call = async (route, body) => {
    const res = await mf.dispatchFetch(`http://bench.local${route}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) throw new Error(`${route} → ${res.status}: ${json.error}`);
    return json;
  };
  await call("/migrate", migrationStatements(root));
  return { call, stop: () => mf.dispose() };
}

async function burst(h, mode) {
  const prefix = `burst-${mode}-${Date.now().toString(36)}`;
  log(`${mode}: starting ${fmtInt(o.count)} instances at once`);
  const started = await h.call(`/burst?prefix=${prefix}&count=${o.count}&ms=${o.napMs}`);
  const deadline = Date.now() + o.timeoutS * 1000;
  for (let seen = -1; ; ) {
    const { completed } = await h.call(`/progress?prefix=${prefix}`);
    if (completed !== seen) log(`${mode}: ${fmtInt(completed)} of ${fmtInt(o.count)} completed in the index`);
    seen = completed;
    if (completed >= o.count || Date.now() > deadline) break;
    await sleep(1000);
  }
  const { rows } = await h.call(`/result?prefix=${prefix}`);
  const lag = rows.map((r) => r.seenAt - r.completedAt);
  const byCompletion = [...rows].sort((x, y) => x.completedAt - y.completedAt).map((r) => r.seenAt - r.completedAt);
  const tenth = Math.max(1, Math.floor(byCompletion.length / 10));
  const changes = rows.reduce((n, r) => n + r.version, 0);
  const lastCompleted = Math.max(...rows.map((r) => r.completedAt));
  const lastSeen = Math.max(...rows.map((r) => r.seenAt));
  const result = {
    mode,
    instances: o.count,
    indexed: rows.length,
    statusChanges: changes,
    startedMs: started.startedMs,
    /** From the first start to the last instance completing, by the objects' clocks. */
    completedAllMs: round(lastCompleted - started.t0, 0),
    /** From the first start to the index showing the last one completed. */
    indexedAllMs: round(lastSeen - started.t0, 0),
    changesPerSecondRecorded: round((changes * 1000) / (lastCompleted - started.t0), 0),
    changesPerSecondIndexed: round((changes * 1000) / (lastSeen - started.t0), 0),
    lagMs: { p50: round(percentile(lag, 50), 0), p99: round(percentile(lag, 99), 0), max: round(Math.max(...lag), 0) },
    /** Lag p50 of the first and the last tenth to complete: growing lag means the index fell behind. */
    lagFirstTenthP50Ms: round(percentile(byCompletion.slice(0, tenth), 50), 0),
    lagLastTenthP50Ms: round(percentile(byCompletion.slice(-tenth), 50), 0),
  };
  const { batches } = await h.call("/consumer");
  if (batches.length) {
    const messages = batches.reduce((n, b) => n + b.messages, 0);
    const ms = batches.reduce((n, b) => n + b.ms, 0);
    /** One consumer invocation at a time (as Miniflare delivers): messages it writes and acknowledges a second. */
    result.consumer = { batches: batches.length, messages, msPerBatch: round(ms / batches.length, 1), messagesPerSecond: round((messages * 1000) / ms, 0) };
    log(`${mode}: consumer ${batches.length} batches, ${result.consumer.msPerBatch} ms each, ${fmtInt(result.consumer.messagesPerSecond)} messages/s while busy`);
  }
  log(`${mode}: lag p50 ${fmtMs(result.lagMs.p50)} ms, p99 ${fmtMs(result.lagMs.p99)} ms; ${fmtInt(result.changesPerSecondIndexed)} changes/s indexed`);
  return result;
}

async function d1Alone(h) {
  const runs = [];
  for (const [batch, parallel, rows] of [
    [1, 1, Math.min(o.d1Rows, 5_000)],
    [1, 32, o.d1Rows],
    [100, 1, o.d1Rows],
    [100, 4, o.d1Rows],
  ]) {
    const r = await h.call(`/d1?rows=${rows}&batch=${batch}&parallel=${parallel}`);
    runs.push({ ...r, rowsPerSecond: round((r.rows * 1000) / r.ms, 0), msPerQuery: round(r.ms / r.queries, 3) });
    log(`D1 alone: ${batch} row(s) a query, ${parallel} in flight: ${fmtInt((r.rows * 1000) / r.ms)} rows/s, ${round(r.ms / r.queries, 3)} ms a query`);
  }
  return runs;
}

const out = { date: new Date().toISOString(), machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadAverageAtStart: os.loadavg() }, options: o, bursts: [], d1: [] };
try {
  for (const mode of o.modes) {
    const h = await host(mode);
    try {
      out.bursts.push(await burst(h, mode));
      if (mode === o.modes[0] && o.d1Rows > 0) out.d1 = await d1Alone(h);
    } finally {
      await h.stop();
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

console.log(`\nIndex burst: ${fmtInt(o.count)} instances started at once (~5 status changes, 1 index write each: the sleep ends within the 2 s an open status waits), ${os.cpus().length} CPUs, load at start ${os.loadavg()[0].toFixed(2)}\n`);
console.log("| path | changes | indexed/s | all completed | all indexed | lag p50 | lag p99 | lag max | lag p50 first → last tenth |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const b of out.bursts) {
  console.log(
    `| ${b.mode} | ${fmtInt(b.statusChanges)} | ${fmtInt(b.changesPerSecondIndexed)} | ${fmtInt(b.completedAllMs)} ms | ${fmtInt(b.indexedAllMs)} ms | ${fmtInt(b.lagMs.p50)} ms | ${fmtInt(b.lagMs.p99)} ms | ${fmtInt(b.lagMs.max)} ms | ${fmtInt(b.lagFirstTenthP50Ms)} → ${fmtInt(b.lagLastTenthP50Ms)} ms |`,
  );
}
for (const b of out.bursts.filter((b) => b.consumer)) {
  const c = b.consumer;
  console.log(`\nQueue consumer (${b.mode}): ${fmtInt(c.messages)} messages in ${c.batches} batches, ${c.msPerBatch} ms a batch (D1 write + acknowledgements): ${fmtInt(c.messagesPerSecond)} messages a second per consumer invocation in flight`);
}
if (out.d1.length) {
  console.log("\n| D1 alone: rows a query | in flight | rows/s | ms a query |\n|---|---|---|---|");
  for (const r of out.d1) console.log(`| ${r.batch} | ${r.parallel} | ${fmtInt(r.rowsPerSecond)} | ${r.msPerQuery} |`);
}
const dir = path.join(root, "bench/results");
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${out.date.slice(0, 10)}-index.json`);
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
