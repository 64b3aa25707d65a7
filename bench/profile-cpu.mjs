#!/usr/bin/env node
/**
 * A CPU profile of one bench route in workerd (V8's sampling profiler through the
 * inspector): `node bench/profile-cpu.mjs "crowd?engine=cairn&body=trio&count=1000" [out.cpuprofile]`.
 * Prints self time by function and by file, heaviest first; writes the profile for
 * Chrome's DevTools (and, next to it, the bundle its line numbers refer to).
 */
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startHost } from "./lib/host.mjs";
import { inspect } from "./lib/inspector.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [route = "crowd?engine=cairn&body=trio&count=1000", out, warm = route] = process.argv.slice(2);
const port = 9300 + Math.floor(Math.random() * 500);
const host = await startHost(root, { inspectorPort: port, stateParent: "/dev/shm" });
try {
  await host.call(warm);
  const session = await inspect(port);
  const { send } = session;
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  const r = await host.call(route);
  const { profile } = await send("Profiler.stop");
  session.close();
  if (out) {
    writeFileSync(out, JSON.stringify(profile));
    // The bundle the profile's line numbers refer to.
    copyFileSync(path.join(host.tmp, "worker.js"), `${out}.worker.js`);
  }
  const dt = profile.timeDeltas;
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (let i = 0; i < profile.samples.length; i++) counts.set(profile.samples[i], (counts.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const fn = new Map();
  const file = new Map();
  for (const [nid, us] of counts) {
    const n = byId.get(nid);
    const cf = n.callFrame;
    const name = `${cf.functionName || "(anon)"} ${cf.url.split("/").pop()}:${cf.lineNumber}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const f = cf.url ? cf.url.split("/").pop() : cf.functionName;
    file.set(f, (file.get(f) ?? 0) + us);
  }
  const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([n, us]) => `${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${n}`).join("\n");
  console.log(`route ${route}: ${JSON.stringify({ ms: r.ms })}; sampled ${(total / 1000).toFixed(0)} ms`);
  console.log(top(file, 15));
  console.log("--");
  console.log(top(fn, 60));
} finally {
  await host.stop();
}
