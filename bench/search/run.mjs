/**
 * `npm run bench:search`: seeds a local D1 index with 100,000 instance rows (5
 * workflows, 7 statuses, tags tier/region/customer) and times the common queries of
 * `GET /api/instances` and `GET /api/stats` through Cairn's real API, in one workerd
 * process started with the Miniflare API. Prints p50/p95 per query.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Log, LogLevel, Miniflare } from "miniflare";
import { bundleWorker, compatibilityDate, migrationStatements } from "../lib/host.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ROWS = Number(process.env.ROWS ?? 100_000);
const SEED_BATCH = 500;
const REPEATS = 40;
/** The API refuses to run open: the benchmark's Worker gets a token of its own. */
const TOKEN = `bench-${Math.random().toString(36).slice(2)}`;
const progress = (line) => process.stderr.write(`bench:search ${line}\n`);

const tmp = mkdtempSync(path.join(os.tmpdir(), "cairn-search-"));
let mf;
try {
  await bundleWorker(path.join(root, "bench/search/worker.ts"), path.join(tmp, "worker.js"));
  mf = new Miniflare({
    workers: [
      {
        config: {
          name: "cairn-search",
          compatibilityDate: compatibilityDate(root),
          manifest: { mainModule: "worker.js", modules: { "worker.js": { type: "esm", contents: readFileSync(path.join(tmp, "worker.js"), "utf8") } } },
          env: {
            DB: { type: "d1", id: "cairn-search-index" },
            API_TOKEN: { type: "json", value: TOKEN },
            WORKFLOW_INSTANCE: { type: "durable-object", worker: "cairn-search", exportName: "WorkflowInstance" },
          },
          exports: { WorkflowInstance: { type: "durable-object", storage: "sqlite" } },
        },
      },
    ],
    resourcePersistencePath: path.join(tmp, "state"),
    cf: false,
    log: new Log(LogLevel.WARN),
  });
  await mf.ready;

  const call = async (route, init) => {
    const t0 = performance.now();
    const res = await mf.dispatchFetch(`http://bench.local${route}`, { ...init, headers: { authorization: `Bearer ${TOKEN}` } });
    const body = await res.json();
    const ms = performance.now() - t0;
    if (!res.ok) throw new Error(`${route} → ${res.status}: ${JSON.stringify(body)}`);
    return { body, ms };
  };

  const statements = migrationStatements(root);
  await call("/migrate", { method: "POST", body: JSON.stringify(statements) });

  const seedStart = performance.now();
  for (let from = 0; from < ROWS; from += SEED_BATCH) {
    await call(`/seed?from=${from}&count=${Math.min(SEED_BATCH, ROWS - from)}`);
    if ((from / SEED_BATCH) % 20 === 0) progress(`seeding ${from.toLocaleString("en")} / ${ROWS.toLocaleString("en")} rows`);
  }
  progress(`seeded ${ROWS.toLocaleString("en")} rows in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  const results = [];
  async function measure(name, run) {
    await run(); // warm-up
    const samples = [];
    for (let i = 0; i < REPEATS; i++) samples.push(await run());
    samples.sort((a, b) => a - b);
    const result = { query: name, p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples.at(-1) };
    results.push(result);
    progress(`${name}: p50 ${result.p50.toFixed(1)} ms`);
  }

  const list = (query) => async () => (await call(`/api/instances?${query}`)).ms;
  await measure("newest 50", list(""));
  await measure("status=failed", list("status=failed"));
  await measure("status=waiting&status=paused", list("status=waiting&status=paused"));
  await measure("workflow=orders&status=running", list("workflow=orders&status=running"));
  await measure("tag=customer:c-17 (1 in 500)", list("tag=customer:c-17"));
  await measure("tag=tier:gold&tag=region:eu", list("tag=tier:gold&tag=region:eu"));
  await measure("status=failed&tag=customer:c-17", list("status=failed&tag=customer:c-17"));

  // Paging: walk 50 pages of 50 (status=completed), then time page 50 alone from its cursor.
  let cursor = null;
  for (let page = 1; page < 50; page++) {
    const { body } = await call(`/api/instances?status=completed&limit=50${cursor ? `&cursor=${cursor}` : ""}`);
    cursor = body.nextCursor;
  }
  const cursorAt50 = cursor;
  await measure("page 50 of status=completed (limit 50)", list(`status=completed&limit=50&cursor=${cursorAt50}`));
  let tagCursor = null;
  for (let page = 1; page < 50; page++) {
    const { body } = await call(`/api/instances?tag=tier:gold&limit=50${tagCursor ? `&cursor=${tagCursor}` : ""}`);
    tagCursor = body.nextCursor;
  }
  await measure("page 50 of tag=tier:gold (limit 50)", list(`tag=tier:gold&limit=50&cursor=${tagCursor}`));
  await measure("GET /api/stats", async () => (await call("/api/stats")).ms);

  const width = Math.max(...results.map((r) => r.query.length));
  console.log(`\nSearch over ${ROWS.toLocaleString("en")} index rows (local D1, ${os.cpus().length} cores; ms per request seen from Node, ${REPEATS} runs after a warm-up)`);
  console.log(`${"query".padEnd(width)}  p50 ms  p95 ms  max ms`);
  for (const r of results) console.log(`${r.query.padEnd(width)}  ${r.p50.toFixed(1).padStart(6)}  ${r.p95.toFixed(1).padStart(6)}  ${r.max.toFixed(1).padStart(6)}`);
  const file = path.join(root, "bench/results", `search-${new Date().toISOString().slice(0, 10)}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  const machine = { os: `${os.type()} ${os.release()} ${os.arch()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version };
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), rows: ROWS, repeats: REPEATS, machine, results }, null, 2)}\n`);
  console.log(`results: ${path.relative(root, file)}`);
} finally {
  await mf?.dispose();
  rmSync(tmp, { recursive: true, force: true });
}
