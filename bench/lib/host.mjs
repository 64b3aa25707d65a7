/**
 * The one workerd process the benchmark runs in, through the Miniflare API: bundles
 * bench/worker/index.ts with esbuild and serves it with Cairn's Durable Object, a
 * Cloudflare Workflows binding to the same bodies (Cloudflare's local engine), the
 * floor and profiling objects, and a D1 database with the index migrations applied.
 *
 * State is persisted to a temporary directory, so `restart()` (stop workerd, start
 * a new one on the same directory) gives every object a cold start, as an eviction
 * or a deploy does. `stop()` ends workerd and removes the directory.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import * as esbuild from "esbuild";
import { Log, LogLevel, Miniflare } from "miniflare";

const NAME = "cairn-bench";
/** Above the W7 journal (10,000 steps + 2); Cloudflare's local default is 10,000. */
const CLOUDFLARE_STEP_LIMIT = 100_000;

export function compatibilityDate(root) {
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(readFileSync(path.join(root, "wrangler.toml"), "utf8"))?.[1];
  if (!date) throw new Error("no compatibility_date in wrangler.toml");
  return date;
}

/** Bundles a Worker entry into one ES module for workerd, as wrangler would. */
export async function bundleWorker(entry, outfile) {
  await esbuild.build({
    entryPoints: [entry],
    outfile,
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
}

/** The D1 migrations drizzle-kit wrote, in order, as single statements. */
export function migrationStatements(root) {
  const dir = path.join(root, "migrations");
  let files = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
  } catch {
    return [];
  }
  return files.flatMap((f) =>
    readFileSync(path.join(dir, f), "utf8")
      .split("--> statement-breakpoint")
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/**
 * `stateParent`: where the temporary state directory goes (default: the OS temp dir);
 * `inspectorPort`: open workerd's inspector there (for CPU profiles).
 */
export async function startHost(root, { stateParent = os.tmpdir(), inspectorPort } = {}) {
  const tmp = mkdtempSync(path.join(stateParent, "cairn-bench-"));
  const bundle = path.join(tmp, "worker.js");
  await bundleWorker(path.join(root, "bench/worker/index.ts"), bundle);

  const durableObject = (exportName) => ({ type: "durable-object", worker: NAME, exportName });
  const options = {
    workers: [
      {
        config: {
          name: NAME,
          compatibilityDate: compatibilityDate(root),
          manifest: { mainModule: "worker.js", modules: { "worker.js": { type: "esm", contents: readFileSync(bundle, "utf8") } } },
          env: {
            WORKFLOW_INSTANCE: durableObject("WorkflowInstance"),
            FLOOR: durableObject("Floor"),
            PROFILE: durableObject("Profile"),
            CONCURRENCY_GATE: durableObject("ConcurrencyGate"),
            THROTTLE: durableObject("ThrottleGate"),
            RATE_LIMITER: durableObject("RateLimiter"),
            DEBOUNCER: durableObject("Debouncer"),
            DB: { type: "d1", id: "cairn-bench-index" },
            API_TOKEN: { type: "json", value: randomUUID() },
            CLOUDFLARE: {
              type: "workflow",
              name: "bench",
              worker: NAME,
              exportName: "BenchWorkflow",
              unsafeConfig: { limits: { steps: CLOUDFLARE_STEP_LIMIT } },
            },
          },
          exports: {
            WorkflowInstance: { type: "durable-object", storage: "sqlite" },
            Floor: { type: "durable-object", storage: "sqlite" },
            Profile: { type: "durable-object", storage: "sqlite" },
            ConcurrencyGate: { type: "durable-object", storage: "sqlite" },
            ThrottleGate: { type: "durable-object", storage: "sqlite" },
            RateLimiter: { type: "durable-object", storage: "sqlite" },
            Debouncer: { type: "durable-object", storage: "sqlite" },
          },
        },
      },
    ],
    resourcePersistencePath: path.join(tmp, "state"),
    cf: false,
    log: new Log(LogLevel.WARN),
    // workerd's own output (console.* of the objects, runtime warnings) goes to stderr: stdout keeps the tables.
    handleStructuredLogs: ({ level, message }) => process.stderr.write(`workerd ${level}: ${message}\n`),
    ...(inspectorPort && { inspectorPort }),
  };

  let mf = new Miniflare(options);
  await mf.ready;
  let stopping;

  const host = {
    /** GET (or POST with a JSON body) a bench route; returns its JSON and the wall time seen from Node. */
    async call(route, body) {
      const t0 = performance.now();
      const res = await mf.dispatchFetch(`http://bench.local/bench/${route}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
      const wallMs = performance.now() - t0;
      const json = await res.json();
      if (!res.ok) throw new Error(`/bench/${route} → ${res.status}: ${json.error ?? JSON.stringify(json)}`);
      return { ...json, wallMs };
    },
    /** Stops workerd and starts a new one on the same state: every object starts cold. */
    async restart() {
      await mf.dispose();
      mf = new Miniflare(options);
      await mf.ready;
      await host.call("ping");
    },
    stop() {
      stopping ??= (async () => {
        try {
          await mf.dispose();
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
      })();
      return stopping;
    },
    tmp,
  };
  const migrations = migrationStatements(root);
  host.indexStatements = migrations.length;
  await host.call("migrate", migrations);
  return host;
}
