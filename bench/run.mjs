#!/usr/bin/env node
/**
 * `npm run bench`: sequential step chains on Cairn against a raw SQLite Durable
 * Object that writes the same journal rows (the storage floor).
 *
 * One workerd process (Miniflare API) hosts bench/worker.ts, bundled with esbuild.
 * Each measurement is one request to the bench Worker, which times the work inside
 * workerd (see bench/worker.ts); the Node-side wall time of the request is kept too.
 *
 * Options: --sizes 10,100,1000,10000  --rounds 5  --warmup 1  --poll-ms 0
 *          --profile-n 10000 (0 skips the per-step breakdown)  --profile-rounds 5
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as esbuild from "esbuild";
import { Log, LogLevel, Miniflare } from "miniflare";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "10,100,1000,10000" },
    rounds: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    "poll-ms": { type: "string", default: "0" },
    "profile-n": { type: "string", default: "10000" },
    "profile-rounds": { type: "string", default: "5" },
  },
});
const SIZES = args.sizes.split(",").map((s) => Number(s.replaceAll("_", "")));
const ROUNDS = Number(args.rounds);
const WARMUP = Number(args.warmup);
/** Sleep between status polls inside the Worker (see bench/worker.ts). */
const POLL_MS = Number(args["poll-ms"]);
/** Size of the per-step cost breakdown (0: skip it). */
const PROFILE_N = Number(args["profile-n"].replaceAll("_", ""));
const PROFILE_ROUNDS = Number(args["profile-rounds"]);
const PROFILE_VARIANTS = [
  ["fresh", "reach a new object, nothing else"],
  ["schema", "new object + Cairn's schema migration"],
  ["journal", "Cairn's SqlJournal.save() ×2 per step (running, completed; INSERT OR REPLACE, 13 columns), no engine"],
  ["sql-insert-update", "alternative: INSERT running row, then UPDATE status/result/finished_at"],
  ["sql-insert-once", "alternative: one INSERT of the completed row per step"],
  ["engine-memory", "engine (Execution, realClock) over a journal that keeps nothing"],
  ["engine-notimer", "same, clock whose per-step timeout timer is a no-op"],
  ["engine-sql", "engine over SqlJournal: the instance's per-step path without create/alarm/status"],
];
/** A size whose warm-up chain takes longer than this gets fewer measured rounds. */
const SLOW_CHAIN_MS = 5_000;
const SLOW_ROUNDS = 3;

const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(readFileSync(path.join(root, "wrangler.toml"), "utf8"))?.[1];
if (!compatibilityDate) throw new Error("no compatibility_date in wrangler.toml");

// ---- helpers -------------------------------------------------------------------

const tty = process.stderr.isTTY;
function progress(line) {
  if (tty) process.stderr.write(`\r\x1b[2K${line}`);
  else process.stderr.write(`${line}\n`);
}
function progressDone() {
  if (tty) process.stderr.write("\r\x1b[2K");
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function summarise(samples, n) {
  const ms = samples.map((s) => s.ms);
  const med = median(ms);
  return {
    samplesMs: ms,
    medianMs: med,
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    medianUsPerStep: (med * 1000) / n,
    minUsPerStep: (Math.min(...ms) * 1000) / n,
    maxUsPerStep: (Math.max(...ms) * 1000) / n,
    nodeWallMs: samples.map((s) => round(s.wallMs, 2)),
    ...(samples[0]?.polls !== undefined && {
      polls: samples.map((s) => s.polls),
      createMs: samples.map((s) => s.createMs),
      alarmAfterMs: samples.map((s) => s.alarmAfterMs),
    }),
  };
}
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const fmtInt = (n) => n.toLocaleString("en-US");
const fmtMs = (x) => (x >= 100 ? String(Math.round(x)) : String(round(x, 1)));
const fmtUs = (x) => (Math.abs(x) >= 100 ? String(Math.round(x)) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));

function workerdVersion() {
  const require = createRequire(createRequire(import.meta.url).resolve("miniflare"));
  const pkg = require.resolve("workerd/package.json");
  const version = JSON.parse(readFileSync(pkg, "utf8")).version;
  let binary = "";
  try {
    binary = execFileSync(path.join(path.dirname(pkg), "bin", "workerd"), ["--version"], { encoding: "utf8" }).trim();
  } catch {}
  return { version, binary };
}

function localDate() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

// ---- run -----------------------------------------------------------------------

const tmp = mkdtempSync(path.join(os.tmpdir(), "cairn-bench-"));
let mf;
let cleaning;
/** Stops workerd (Miniflare's child process) and removes the temp dir; once. */
function cleanup() {
  cleaning ??= (async () => {
    try {
      await mf?.dispose();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  })();
  return cleaning;
}
// Last resort if the process ends before cleanup() finished.
process.once("exit", () => rmSync(tmp, { recursive: true, force: true }));
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    progressDone();
    process.stderr.write(`bench: ${signal}, stopping workerd\n`);
    cleanup().finally(() => process.exit(130));
  });
}

async function measure(kind, n) {
  const t0 = performance.now();
  const res = await mf.dispatchFetch(`http://bench.local/bench/${kind}?n=${n}${kind === "chain" ? `&pollMs=${POLL_MS}` : ""}`);
  const wallMs = performance.now() - t0;
  const body = await res.json();
  if (!res.ok) throw new Error(`/bench/${kind}?n=${n} → ${res.status}: ${body.error ?? JSON.stringify(body)}`);
  return { ...body, wallMs };
}

async function main() {
  const bundle = path.join(tmp, "worker.js");
  await esbuild.build({
    entryPoints: [path.join(here, "worker.ts")],
    outfile: bundle,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser", "import"],
    external: ["cloudflare:*", "node:*"],
    logLevel: "warning",
  });
  await esbuild.stop();

  const name = "cairn-bench";
  const durableObject = (exportName) => ({ type: "durable-object", worker: name, exportName });
  mf = new Miniflare({
    workers: [
      {
        config: {
          name,
          compatibilityDate,
          manifest: { mainModule: "worker.js", modules: { "worker.js": { type: "esm", contents: readFileSync(bundle, "utf8") } } },
          env: {
            WORKFLOW_INSTANCE: durableObject("WorkflowInstance"),
            RAW_JOURNAL: durableObject("RawJournal"),
            PROFILE: durableObject("Profile"),
          },
          exports: {
            WorkflowInstance: { type: "durable-object", storage: "sqlite" },
            RawJournal: { type: "durable-object", storage: "sqlite" },
            Profile: { type: "durable-object", storage: "sqlite" },
          },
        },
      },
    ],
    resourcePersistencePath: path.join(tmp, "state"),
    cf: false,
    log: new Log(LogLevel.WARN),
  });
  await mf.ready;

  const results = [];
  for (const n of SIZES) {
    const label = `n=${fmtInt(n)}`;
    let rounds = ROUNDS;
    let slowest = 0;
    for (let w = 0; w < WARMUP; w++) {
      progress(`bench ${label}: warm-up ${w + 1}/${WARMUP}`);
      const warm = await measure("chain", n);
      await measure("raw", n);
      slowest = Math.max(slowest, warm.wallMs);
    }
    if (slowest > SLOW_CHAIN_MS && rounds > SLOW_ROUNDS) rounds = SLOW_ROUNDS;
    const cairn = [];
    const raw = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate the two so both see the same machine noise.
      progress(`bench ${label}: round ${r + 1}/${rounds} cairn`);
      cairn.push(await measure("chain", n));
      progress(`bench ${label}: round ${r + 1}/${rounds} raw`);
      raw.push(await measure("raw", n));
    }
    const entry = { n, warmup: WARMUP, rounds, cairn: summarise(cairn, n), raw: summarise(raw, n) };
    entry.ratio = entry.raw.medianMs > 0 ? entry.cairn.medianMs / entry.raw.medianMs : null;
    // Marginal cost: the slope from the previous size, free of the fixed cost per run.
    const previous = results.at(-1);
    if (previous) {
      const slope = (key) => ((entry[key].medianMs - previous[key].medianMs) * 1000) / (n - previous.n);
      entry.marginalUsPerStep = { from: previous.n, cairn: slope("cairn"), raw: slope("raw") };
    }
    results.push(entry);
    progressDone();
    process.stderr.write(
      `bench ${label}: cairn ${fmtMs(entry.cairn.medianMs)} ms (${fmtUs(entry.cairn.medianUsPerStep)} µs/step), raw ${fmtMs(entry.raw.medianMs)} ms\n`,
    );
  }

  const profile = [];
  if (PROFILE_N > 0) {
    const n = PROFILE_N;
    for (const [variant, what] of PROFILE_VARIANTS) {
      const samples = [];
      for (let r = -WARMUP; r < PROFILE_ROUNDS; r++) {
        progress(`bench profile n=${fmtInt(n)}: ${variant} ${r < 0 ? "warm-up" : `round ${r + 1}/${PROFILE_ROUNDS}`}`);
        const sample = await measure(`profile/${variant}`, n);
        if (r >= 0) samples.push(sample);
      }
      profile.push({ variant, what, n, rounds: PROFILE_ROUNDS, ...summarise(samples, n) });
    }
    progressDone();
  }
  return { results, profile };
}

function table(results) {
  const head = [
    "steps",
    "rounds",
    "cairn ms med [min–max]",
    "cairn µs/step med [min–max]",
    "floor ms med [min–max]",
    "floor µs/step med [min–max]",
    "cairn ÷ floor",
    "marginal µs/step cairn / floor",
  ];
  const rows = results.map((r) => [
    fmtInt(r.n),
    String(r.rounds),
    `${fmtMs(r.cairn.medianMs)} [${fmtMs(r.cairn.minMs)}–${fmtMs(r.cairn.maxMs)}]`,
    `${fmtUs(r.cairn.medianUsPerStep)} [${fmtUs(r.cairn.minUsPerStep)}–${fmtUs(r.cairn.maxUsPerStep)}]`,
    `${fmtMs(r.raw.medianMs)} [${fmtMs(r.raw.minMs)}–${fmtMs(r.raw.maxMs)}]`,
    `${fmtUs(r.raw.medianUsPerStep)} [${fmtUs(r.raw.minUsPerStep)}–${fmtUs(r.raw.maxUsPerStep)}]`,
    r.ratio === null ? "n/a (<1 ms)" : `${round(r.ratio, 1)}×`,
    r.marginalUsPerStep ? `${fmtUs(r.marginalUsPerStep.cairn)} / ${fmtUs(r.marginalUsPerStep.raw)}` : "–",
  ]);
  return grid(head, rows, 2);
}

function profileTable(profile) {
  const head = ["variant (fresh object, one RPC)", "ms med [min–max]", "µs/step med", "what it runs"];
  const rows = profile.map((p) => [p.variant, `${fmtMs(p.medianMs)} [${fmtMs(p.minMs)}–${fmtMs(p.maxMs)}]`, p.variant === "fresh" || p.variant === "schema" ? "(fixed)" : fmtUs(p.medianUsPerStep), p.what]);
  return grid(head, rows, 0);
}

/** A plain-text table; the first `right` columns are right-aligned. */
function grid(head, rows, right) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i < right ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

try {
  const started = new Date();
  const { results, profile } = await main();
  const workerd = workerdVersion();
  const machine = {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: { count: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown" },
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    workerd: workerd.binary ? `${workerd.version} (${workerd.binary})` : workerd.version,
    miniflare: JSON.parse(readFileSync(createRequire(import.meta.url).resolve("miniflare/package.json"), "utf8")).version,
    compatibilityDate,
  };
  const method = [
    "One workerd process via the Miniflare API; bench/worker.ts (Cairn's createApp + WorkflowInstance subclass with a bench-chain workflow, and RawJournal) bundled with esbuild; SQLite-backed Durable Objects persisted to a temp dir, removed afterwards.",
    `cairn: GET /bench/chain?n=N in the Worker creates a fresh instance through the WorkflowInstance stub's create() RPC (which starts the run at once; the alarm serves timers and recovery), then polls a one-row status RPC (after a setTimeout(${POLL_MS}) each) until the status is final; time from before create() to the poll that saw 'completed'. bench-chain runs N sequential step.do('step', () => i) and returns { steps, last }. After timing, the run is checked: status completed, output right, N completed journal rows.`,
    "floor: GET /bench/raw?n=N makes one RPC to a fresh SQLite-backed RawJournal object that creates a table and inserts N rows (seq, name, result JSON) with ctx.storage.sql.exec, then counts them; time around that RPC.",
    "Times are Date.now() deltas in the Worker (1 ms resolution; workerd advances the clock across I/O, and each timed interval ends at an RPC return). nodeWallMs is the same request timed from Node with performance.now(), including the HTTP hop.",
    `Per size: ${WARMUP} warm-up round(s) of each, discarded, then ${ROUNDS} measured rounds (${SLOW_ROUNDS} when a warm-up chain exceeds ${SLOW_CHAIN_MS} ms), alternating cairn and floor. Medians, min and max over the measured rounds; µs/step = ms × 1000 / N; ratio = cairn median ÷ floor median.`,
  ];
  if (profile.length) {
    method.push(
      `profile: GET /bench/profile/<variant>?n=${PROFILE_N} runs one piece of Cairn's step path in a fresh Profile object (one RPC, timed around it like the floor), ${WARMUP} warm-up + ${PROFILE_ROUNDS} measured rounds each; see PROFILE_VARIANTS in bench/worker.ts.`,
    );
  }
  const out = { date: localDate(), startedAt: started.toISOString(), machine, method, results, profile };
  const dir = path.join(here, "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${out.date}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);

  console.log(`Cairn sequential step.do chain vs raw SQLite DO floor (${machine.os}, ${machine.cpus.count}× ${machine.cpus.model}, node ${machine.node}, workerd ${workerd.version})`);
  console.log(table(results));
  console.log(
    "ms: workerd's clock inside the Worker, 1 ms resolution. marginal: slope between the medians of consecutive sizes (coarse below 1,000 steps).",
  );
  if (profile.length) {
    console.log(`\nWhere a step's time goes (n=${fmtInt(PROFILE_N)}, ${PROFILE_ROUNDS} rounds):`);
    console.log(profileTable(profile));
  }
  console.log(`results: ${path.relative(process.cwd(), file)}`);
} catch (error) {
  progressDone();
  console.error("bench failed:", error);
  process.exitCode = 1;
} finally {
  await cleanup();
}
