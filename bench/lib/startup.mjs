/**
 * The cold-start rung (`npm run bench -- --only startup`): what a fresh isolate pays
 * before Cairn's Worker serves anything, which every Durable Object that wakes on a
 * new isolate pays too (a sleeper due, an evicted instance, a new machine).
 *
 * - Bundle size, and startup CPU from `wrangler check startup` (the Worker's module
 *   evaluation, profiled locally), over the bundle `wrangler deploy --dry-run` builds.
 * - First-request latency: a fresh workerd runs the same bundle, and the first and the
 *   second `GET /api/workflows` are timed from Node (what the first request does that
 *   the second does not: building the Hono app and the schemas its route checks with,
 *   which startup leaves to it (src/worker.ts), and the declared schedules' sync).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { Log, LogLevel, Miniflare } from "miniflare";
import { compatibilityDate, migrationStatements } from "./host.mjs";
import { median } from "./stats.mjs";

function wrangler(root, args) {
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
  return execFileSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "true" } });
}

/** `wrangler check startup` over a prebuilt bundle: the CPU the Worker's startup took, as it reports it. */
function checkStartup(root, bundle, dir) {
  const out = wrangler(root, ["check", "startup", "--worker", bundle, "--outfile", path.join(dir, "startup.cpuprofile")]);
  const active = /Active:\s*([\d.]+)\s*ms/.exec(out);
  if (!active) throw new Error(`wrangler check startup said:\n${out}`);
  return Number(active[1]);
}

async function firstRequest(root, script) {
  const API_TOKEN = "startup-token";
  const NAME = "cairn-startup";
  const durableObject = (exportName) => ({ type: "durable-object", worker: NAME, exportName });
  const mf = new Miniflare({
    workers: [
      {
        config: {
          name: NAME,
          compatibilityDate: compatibilityDate(root),
          manifest: { mainModule: "index.js", modules: { "index.js": { type: "esm", contents: script } } },
          env: {
            WORKFLOW_INSTANCE: durableObject("WorkflowInstance"),
            CONCURRENCY_GATE: durableObject("ConcurrencyGate"),
            SCHEDULE: durableObject("Schedule"),
            DB: { type: "d1", id: "cairn-startup-index" },
            API_TOKEN: { type: "json", value: API_TOKEN },
          },
          exports: {
            WorkflowInstance: { type: "durable-object", storage: "sqlite" },
            ConcurrencyGate: { type: "durable-object", storage: "sqlite" },
            Schedule: { type: "durable-object", storage: "sqlite" },
          },
        },
      },
    ],
    cf: false,
    log: new Log(LogLevel.ERROR),
    handleStructuredLogs: () => {},
  });
  try {
    await mf.ready;
    const db = await mf.getD1Database("DB");
    for (const statement of migrationStatements(root)) await db.prepare(statement).run();
    const get = async () => {
      const t0 = performance.now();
      const res = await mf.dispatchFetch("http://cairn.local/api/workflows", { headers: { authorization: `Bearer ${API_TOKEN}` } });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`GET /api/workflows answered ${res.status}`);
      return performance.now() - t0;
    };
    const first = await get();
    const second = await get();
    return { first, second };
  } finally {
    await mf.dispose();
  }
}

export async function startup(root, o, progress) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cairn-startup-"));
  try {
    progress("startup: building the Worker as wrangler deploys it");
    const bundle = path.join(dir, "worker.bundle");
    wrangler(root, ["deploy", "--dry-run", "--outfile", bundle]);
    wrangler(root, ["deploy", "--dry-run", "--outdir", path.join(dir, "dist")]);
    const script = readFileSync(path.join(dir, "dist", "index.js"), "utf8");
    const startupMs = [];
    const first = [];
    const second = [];
    for (let round = 1; round <= o.startupRounds; round++) {
      progress(`startup: round ${round}/${o.startupRounds}`);
      startupMs.push(checkStartup(root, bundle, dir));
      const r = await firstRequest(root, script);
      first.push(r.first);
      second.push(r.second);
    }
    return {
      bundleKiB: statSync(path.join(dir, "dist", "index.js")).size / 1024,
      gzipKiB: gzipSync(script).length / 1024,
      startupCpuMs: { median: median(startupMs), rounds: startupMs },
      firstRequestMs: { median: median(first), rounds: first },
      secondRequestMs: { median: median(second), rounds: second },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function startupText(s) {
  const f = (x) => x.toFixed(1);
  return [
    "Cold start (npm run bench -- --only startup; machine shared: read medians, rounds in the results file)",
    `| Worker bundle | ${f(s.bundleKiB)} KiB (${f(s.gzipKiB)} KiB gzipped) |`,
    `| startup CPU (wrangler check startup, "Active") | ${f(s.startupCpuMs.median)} ms [${s.startupCpuMs.rounds.map(f).join(", ")}] |`,
    `| first request of a fresh isolate, GET /api/workflows | ${f(s.firstRequestMs.median)} ms [${s.firstRequestMs.rounds.map(f).join(", ")}] |`,
    `| second request | ${f(s.secondRequestMs.median)} ms [${s.secondRequestMs.rounds.map(f).join(", ")}] |`,
  ].join("\n");
}
