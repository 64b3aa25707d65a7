/**
 * The memory rung (`npm run bench -- --only memory`): what an idle instance costs in
 * workerd's memory (Cloudflare gives an isolate 128 MB, shared by the Durable
 * Objects placed in it), layer by layer (bench/worker/memory.ts): a bare SQLite
 * Durable Object, Cairn's schema, the statements an instance runs, a Cairn instance
 * waiting for an event with its execution dropped and as the product leaves it,
 * and one with five 1 MB results next to a bare object writing the same bytes.
 *
 * Each variant in a fresh workerd started with V8's `--expose-gc` (so that the bench
 * Worker can collect garbage: bench route `gc`) and an inspector (the heap's size):
 * a few objects of the variant first (code compiled, caches warm), then `count`
 * more, left idle for 2 s. Per object:
 * - RSS: the growth of workerd's resident memory, as the objects left it (garbage
 *   included), and after a full garbage collection. What the operating system
 *   sees: native memory (SQLite, the runtime, the allocator's free lists) and
 *   JavaScript alike.
 * - JS heap: the growth of the isolate's JavaScript heap after a full garbage
 *   collection: what the objects' JavaScript retains.
 *
 * Then eviction: workerd evicts an object after 10 s without a request, as
 * Cloudflare does after some seconds. Memory freed stays with the process (RSS does
 * not fall), so the last line measures it by reuse: `count` instances left 15 s,
 * then as many again, and what the second batch adds.
 *
 * `memoryBrief` (--quick): Cairn's two waiting instances only, no layers, no eviction.
 */
import { readdirSync, readFileSync } from "node:fs";
import { startHost } from "./host.mjs";
import { inspect } from "./inspector.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Objects of the variant made before measuring, so that its first-use costs are left out. */
const WARM_UP = 5;
const IDLE_MS = 2_000;
/** Past workerd's 10 s without a request, after which it evicts an object. */
const EVICTED_AFTER_MS = 15_000;
/** Distinct SQL statements a small instance runs up to its wait (the cost rung's `byQuery`). */
const INSTANCE_STATEMENTS = 18;

/** Resident memory (bytes) of the workerd processes this process started. */
export function workerdRss() {
  const parents = new Map();
  const names = new Map();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(pid), ppid);
      names.set(Number(pid), name);
    } catch {
      // gone meanwhile
    }
  }
  const mine = (pid) => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === process.pid) return true;
    return false;
  };
  let bytes = 0;
  for (const [pid, name] of names) {
    if (name !== "workerd" || !mine(pid)) continue;
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    bytes += Number(kb ?? 0) * 1024;
  }
  if (bytes === 0) throw new Error("no workerd process of this run found in /proc");
  return bytes;
}

export async function memory(root, o, progress) {
  const small = { steps: 1, bytes: 16 };
  const large = { steps: 5, bytes: 1_000_000 };
  const layers = [
    { name: "bare SQLite Durable Object", variant: "object", count: o.memoryCount },
    { name: "+ Cairn's schema", variant: "schema", count: o.memoryCount },
    { name: `+ ${INSTANCE_STATEMENTS} distinct SQL statements run once`, variant: "statements", count: o.memoryCount, statements: INSTANCE_STATEMENTS },
    { name: "Cairn, waiting for an event, execution dropped", variant: "cairn-dropped", count: o.memoryCount, ...small },
    { name: "Cairn, waiting for an event", variant: "cairn", count: o.memoryCount, ...small },
    { name: "bare object that wrote 5 × 1 MB rows", variant: "rows", count: o.memoryLargeCount, ...large },
    { name: "Cairn, waiting after 5 × 1 MB results", variant: "cairn", count: o.memoryLargeCount, ...large },
  ];
  // Brief (--quick): the product's instances only, and no eviction check.
  const variants = o.memoryBrief ? layers.filter((v) => v.variant === "cairn") : layers;
  const flags = process.env.MINIFLARE_WORKERD_V8_FLAGS;
  process.env.MINIFLARE_WORKERD_V8_FLAGS = [flags, "--expose-gc"].filter(Boolean).join(" ");
  const port = 9300 + Math.floor(Math.random() * 600);
  let host;
  try {
    host = await startHost(root, { stateParent: o.stateDir, inspectorPort: port });
    const make = (v, count) => host.call(`memory?variant=${v.variant}&count=${count}&steps=${v.steps ?? 0}&bytes=${v.bytes ?? 0}&statements=${v.statements ?? 0}`);
    const collect = async () => {
      await host.call("gc");
      await sleep(300);
    };
    const heap = async () => {
      const session = await inspect(port);
      try {
        return await session.heapUsed();
      } finally {
        session.close();
      }
    };
    const rows = [];
    for (const v of variants) {
      progress(`memory: ${v.count} × ${v.name}`);
      await host.restart();
      await make(v, WARM_UP);
      await collect();
      await sleep(1_000);
      const [before, heapBefore] = [workerdRss(), await heap()];
      await make(v, v.count);
      await sleep(IDLE_MS);
      const after = workerdRss();
      await collect();
      const [collected, heapAfter] = [workerdRss(), await heap()];
      const each = (bytes) => bytes / 1024 / v.count;
      rows.push({
        ...v,
        beforeMiB: before / 2 ** 20,
        afterMiB: after / 2 ** 20,
        perInstanceKiB: each(after - before),
        afterGcKiB: each(collected - before),
        heapPerInstanceKiB: each(heapAfter - heapBefore),
      });
    }
    if (o.memoryBrief) return { rows };
    const v = variants.find((x) => x.variant === "cairn");
    progress(`memory: ${v.count} × ${v.name}, ${EVICTED_AFTER_MS / 1000} s idle, then as many again`);
    await host.restart();
    await make(v, WARM_UP);
    await collect();
    await sleep(1_000);
    const before = workerdRss();
    await make(v, v.count);
    await sleep(IDLE_MS);
    const first = workerdRss();
    await sleep(EVICTED_AFTER_MS - IDLE_MS);
    await collect();
    const idle = workerdRss();
    await make(v, v.count);
    await sleep(IDLE_MS);
    const second = workerdRss();
    const each = (bytes) => bytes / 1024 / v.count;
    const eviction = { name: v.name, count: v.count, firstKiB: each(first - before), idleKiB: each(idle - before), secondKiB: each(second - idle) };
    return { rows, eviction };
  } finally {
    await host?.stop();
    if (flags === undefined) delete process.env.MINIFLARE_WORKERD_V8_FLAGS;
    else process.env.MINIFLARE_WORKERD_V8_FLAGS = flags;
  }
}

export function memoryText({ rows, eviction: e }) {
  const lines = [
    "Memory: per idle object, a fresh workerd each (RSS: workerd's resident memory, as left and after a full GC; JS heap: after a full GC)",
    "| objects | each | RSS before → after MiB | RSS per object KiB | after GC KiB | JS heap per object KiB |",
    "| ---: | --- | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) => `| ${r.count} | ${r.name} | ${r.beforeMiB.toFixed(1)} → ${r.afterMiB.toFixed(1)} | ${r.perInstanceKiB.toFixed(0)} | ${r.afterGcKiB.toFixed(0)} | ${r.heapPerInstanceKiB.toFixed(1)} |`,
    ),
  ];
  if (!e) return lines.join("\n");
  return [
    ...lines,
    "",
    `Eviction: ${e.count} × ${e.name}: ${e.firstKiB.toFixed(0)} KiB each; after ${EVICTED_AFTER_MS / 1000} s idle (evicted) and a GC, RSS still ${e.idleKiB.toFixed(0)} KiB each, ` +
      `but ${e.count} more add ${e.secondKiB.toFixed(0)} KiB each: the evicted objects' memory is reused.`,
  ].join("\n");
}
