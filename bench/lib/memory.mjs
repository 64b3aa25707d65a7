/**
 * The memory rung (`npm run bench -- --only memory`): what a waiting instance costs
 * in workerd's resident memory (Cloudflare gives an isolate 128 MB, shared by the
 * Durable Objects placed in it). A fresh workerd, then `count` instances left waiting
 * for an event: the growth of workerd's RSS divided by `count`. Small: one tiny step
 * before the wait; large: five steps of 1 MB results before it.
 *
 * RSS is what the operating system sees, garbage not yet collected included: a
 * ceiling on what the instances hold, read from several hundred of them at once.
 */
import { readdirSync, readFileSync } from "node:fs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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

export async function memory(host, o, progress) {
  const variants = [
    { name: "small", count: o.memoryCount, steps: 1, bytes: 16 },
    { name: "large results", count: o.memoryLargeCount, steps: 5, bytes: 1_000_000 },
  ];
  const rows = [];
  for (const v of variants) {
    progress(`memory: ${v.count} waiting instances, ${v.name}`);
    await host.restart();
    await sleep(1_000);
    const before = workerdRss();
    await host.call(`memory?count=${v.count}&steps=${v.steps}&bytes=${v.bytes}`);
    await sleep(2_000);
    const after = workerdRss();
    rows.push({ ...v, beforeMiB: before / 2 ** 20, afterMiB: after / 2 ** 20, perInstanceKiB: (after - before) / 1024 / v.count });
  }
  return rows;
}

export function memoryText(rows) {
  return [
    "Memory: workerd RSS per waiting instance (fresh workerd each; RSS includes uncollected garbage)",
    "| instances | each | RSS before MiB | after MiB | per instance KiB |",
    ...rows.map((r) => `| ${r.count} | ${r.name} (${r.steps} × ${r.bytes} B results) | ${r.beforeMiB.toFixed(1)} | ${r.afterMiB.toFixed(1)} | ${r.perInstanceKiB.toFixed(0)} |`),
  ].join("\n");
}
