#!/usr/bin/env node
/**
 * `npm run test:crash-bulk`: a bulk terminate under `kill -9`.
 *
 * Starts the crash Worker under `wrangler dev` (runtime.mjs), starts 1,000
 * instances that wait for an event (`crash-idle`), and once the index shows them
 * all waiting, asks `POST /api/bulk` to terminate every instance with the run's tag.
 * While the job works through them, the runtime's whole process group is killed
 * with SIGKILL (twice, at random points of the job's progress) and started again on
 * the same state. Nothing touches the job after the last restart but reads of its
 * progress: its alarm must carry it to the end.
 *
 * Passes when the job completes with all 1,000 matched and done, none skipped or
 * failed; its snapshot is exactly the instances started; every instance is
 * terminated and applied the job's request exactly once (the instance's own record
 * of operators' requests); and actions re-sent after a crash were answered
 * "already applied" where the first try had landed.
 *
 * Options: --seed <n>  --instances 1000  --crashes 2  --keep  --verbose
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { freePort, freezeWorker, layout, Runtime } from "./runtime.mjs";

const { values: args } = parseArgs({
  options: {
    seed: { type: "string" },
    instances: { type: "string", default: "1000" },
    crashes: { type: "string", default: "2" },
    keep: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
  },
});
const SEED = args.seed !== undefined ? Number(args.seed) >>> 0 : randomBytes(4).readUInt32BE(0);
const N = Number(args.instances);
const CRASHES = Number(args.crashes);
/** Generous: creating 1,000 instances alone takes minutes on a busy machine. */
const TOTAL_BUDGET_MS = 480_000;
const REQUEST_TIMEOUT_MS = 20_000;

const t0 = Date.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);

let a = SEED;
function rng() {
  a = (a + 0x6d2b79f5) >>> 0;
  let t = a;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const RUN = `b${SEED.toString(36)}${Date.now().toString(36)}`;
const ids = Array.from({ length: N }, (_, i) => `${RUN}-${String(i).padStart(4, "0")}`);
/** Crash when the job has done this share of the instances (increasing, between 10% and 85%). */
const crashAt = Array.from({ length: CRASHES }, () => 0.1 + rng() * 0.75).sort((x, y) => x - y);
const downtimes = Array.from({ length: CRASHES }, () => Math.floor(rng() * 2000));
/**
 * After progress passes the mark, the kill waits this much longer: the job answers
 * progress between its alarms, so a kill at once would always fall between batches.
 */
const lags = Array.from({ length: CRASHES }, () => Math.floor(rng() * 1500));

const tmp = mkdtempSync(path.join(os.tmpdir(), "cairn-bulk-crash-"));
const paths = layout(tmp);
const TOKEN = randomBytes(18).toString("base64url");
let runtime;

async function cleanup(keep) {
  try {
    await runtime?.kill();
  } catch (error) {
    console.error(`could not stop the runtime: ${error.message}`);
  }
  if (keep) console.log(`state and wrangler logs kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => cleanup(args.keep).finally(() => process.exit(130)));
}
process.once("exit", () => {
  if (runtime?.child?.pid) {
    try {
      process.kill(-runtime.child.pid, "SIGKILL");
    } catch {}
  }
});

class NetError extends Error {}

async function call(method, route, body) {
  let res;
  try {
    res = await fetch(`${runtime.base}${route}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { "content-type": "application/json" }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  } catch (error) {
    throw new NetError(`${method} ${route}: ${error.cause?.code ?? error.message}`);
  }
}

/** Retries through a dying or restarting runtime (network errors, 5xx) until the budget runs out. */
async function persistently(what, fn) {
  for (;;) {
    try {
      const res = await fn();
      if (res.status < 500) return res;
      if (Date.now() - t0 > TOTAL_BUDGET_MS) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    } catch (error) {
      if (!(error instanceof NetError) || Date.now() - t0 > TOTAL_BUDGET_MS) throw error;
    }
    await sleep(200);
  }
}

async function pool(items, concurrency, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

async function countWaiting() {
  const res = await call("POST", "/api/bulk", { filter: { tag: [`run:${RUN}`], status: ["waiting"] }, action: { kind: "terminate" }, dryRun: true });
  if (res.status !== 200) throw new NetError(`dry run: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.matched;
}

async function main() {
  console.log(`bulk crash test: seed ${SEED} (rerun with --seed ${SEED}), run ${RUN}, ${N} instances, crashes at ${crashAt.map((f) => `${Math.round(f * 100)}%`).join(", ")} of the job`);
  await freezeWorker(paths);
  runtime = new Runtime({ port: await freePort(), inspectorPort: await freePort(), paths, token: TOKEN, verbose: args.verbose });
  runtime.start();
  await runtime.waitReady();
  log(`runtime ready on :${runtime.port}`);

  await pool(ids, 16, async (id, i) => {
    const res = await persistently(`start ${id}`, () => call("POST", "/api/workflows/crash-idle/instances", { id, input: { n: i }, tags: { run: RUN } }));
    if (res.status !== 201 && res.status !== 200) throw new Error(`start ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  });
  log(`${N} instances started`);
  for (;;) {
    const waiting = await countWaiting();
    if (waiting === N) break;
    if (Date.now() - t0 > TOTAL_BUDGET_MS) throw new Error(`only ${waiting} of ${N} instances are waiting in the index`);
    await sleep(300);
  }
  log(`the index shows all ${N} waiting; bulk terminate by tag`);

  const started = await call("POST", "/api/bulk", { filter: { tag: [`run:${RUN}`] }, action: { kind: "terminate" } });
  if (started.status !== 202) throw new Error(`bulk: ${started.status} ${JSON.stringify(started.body)}`);
  const jobId = started.body.id;
  const jobStart = Date.now();
  const progress = () => persistently("progress", () => call("GET", `/api/bulk/${jobId}`));

  const crashes = [];
  for (let k = 0; k < CRASHES; k++) {
    let view;
    for (;;) {
      view = (await progress()).body;
      if (view.status === "completed") break;
      if (view.matched === N && view.done >= crashAt[k] * N) break;
      await sleep(25);
    }
    if (view.status === "completed") {
      log(`the job completed before crash #${k + 1} (at ${Math.round(crashAt[k] * 100)}%)`);
      break;
    }
    await sleep(lags[k]);
    const killAt = Date.now();
    await runtime.kill();
    log(`kill -9 ${lags[k]} ms after the job was seen at ${view.done}/${view.matched} done`);
    await sleep(downtimes[k]);
    const restartAt = Date.now();
    runtime.start();
    await runtime.waitReady();
    crashes.push({ done: view.done, downMs: restartAt - killAt, readyMs: Date.now() - restartAt });
    log(`runtime ready again after ${Date.now() - restartAt} ms`);
  }

  let view;
  for (;;) {
    view = (await progress()).body;
    if (view.status === "completed" || view.status === "cancelled") break;
    if (Date.now() - t0 > TOTAL_BUDGET_MS) throw new Error(`the job is still ${view.status}: ${JSON.stringify(view)}`);
    await sleep(200);
  }
  const jobMs = Date.now() - jobStart;
  log(`job ${view.status}: ${view.done} done, ${view.skipped} skipped, ${view.failed} failed of ${view.matched}`);

  const failures = [];
  const fail = (message) => failures.push(message);
  if (view.status !== "completed") fail(`the job ended ${view.status}`);
  if (view.matched !== N || view.done !== N || view.skipped !== 0 || view.failed !== 0 || view.pending !== 0) {
    fail(`expected ${N} matched and done, none skipped, failed or pending: ${JSON.stringify(view)}`);
  }
  const targets = [];
  let cursor = null;
  do {
    const res = await call("GET", `/api/bulk/${jobId}/instances?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    targets.push(...res.body.instances);
    cursor = res.body.nextCursor;
  } while (cursor);
  const expected = new Set(ids);
  const seen = new Set();
  for (const t of targets) {
    if (!expected.has(t.id)) fail(`the snapshot holds ${t.id}, which this run did not start`);
    if (seen.has(t.id)) fail(`the snapshot holds ${t.id} twice`);
    seen.add(t.id);
    if (t.state !== "done") fail(`${t.id} is ${t.state}: ${t.reason}`);
  }
  for (const id of ids) if (!seen.has(id)) fail(`${id} is missing from the snapshot`);
  const resent = targets.filter((t) => t.tries > 1);
  /** Answered "already applied": the instance had applied the job's request, the job's record of it was cut off. */
  const landedBefore = targets.filter((t) => t.reason?.startsWith("already applied"));

  const instances = await pool(ids, 16, async (id) => {
    const [state, requests] = await Promise.all([call("GET", `/api/instances/${id}`), call("GET", `/_crash/requests?instance=${encodeURIComponent(id)}`)]);
    return { id, status: state.body.status, requests: requests.body.requests };
  });
  for (const i of instances) {
    if (i.status !== "terminated") fail(`${i.id} is ${i.status}, not terminated`);
    if (i.requests.length !== 1 || i.requests[0] !== `bulk:${jobId}`) fail(`${i.id} applied ${JSON.stringify(i.requests)}, not the job's request once`);
  }

  console.log("");
  console.log("bulk crash test figures");
  console.log(`  seed                ${SEED}`);
  console.log(`  instances           ${N}, all waiting when the job began`);
  for (const [i, c] of crashes.entries()) console.log(`  crash #${i + 1}            kill -9 ${lags[i]} ms after ${c.done}/${N} done; down ${c.downMs} ms, ready ${c.readyMs} ms after restart`);
  console.log(`  job                 ${view.status} in ${(jobMs / 1000).toFixed(1)} s (crashes included): ${view.done} done, ${view.skipped} skipped, ${view.failed} failed`);
  console.log(`  re-sent after crash ${resent.length} actions known to the job as sent (tries > 1); ${landedBefore.length} actions answered "already applied" (they had landed before a crash cut off the job's record)`);
  console.log(`  total time          ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log("");
  if (crashes.length === 0) fail("no crash happened during the job");
  if (failures.length > 0) {
    console.log(`FAILED: ${failures.length} problems`);
    for (const f of failures.slice(0, 40)) console.log(`  - ${f}`);
    console.log(`rerun with: npm run test:crash-bulk -- --seed ${SEED} --keep`);
    return false;
  }
  console.log("PASSED: every instance was terminated by the job exactly once; none skipped, none failed, none outside the snapshot.");
  return true;
}

let ok = false;
try {
  ok = await main();
} catch (error) {
  console.error(`bulk crash test aborted: ${error.stack ?? error}`);
} finally {
  await cleanup(args.keep || !ok);
}
mkdirSync("test-results/summary", { recursive: true });
writeFileSync("test-results/summary/crash-bulk.json", JSON.stringify({ passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 }));
process.exit(ok ? 0 : 1);
