/**
 * `npm start`: runs Cairn locally, the one command after `npm install`.
 *
 * Starts `wrangler dev` on http://localhost:8787 (override with PORT=…) with its state
 * (Durable Object storage, alarms) kept in .wrangler/state, so instances survive a
 * restart. Prints where to go once the server answers, passes Ctrl-C / SIGTERM on
 * to wrangler so it shuts workerd down cleanly, and exits with wrangler's code.
 *
 * Extra arguments go to wrangler: `npm start -- --ip 0.0.0.0`.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { dirname, join } from "node:path";

const port = process.env.PORT || "8787";
const url = `http://localhost:${port}`;

// `npm start` runs the Node from the `node` devDependency; wrangler refuses anything older than 22.
if (Number(process.versions.node.split(".")[0]) < 22) {
  console.error(`Cairn's dev server needs Node.js 22 or later (this is ${process.version}): run it with \`npm start\`.`);
  process.exit(1);
}

const wrangler = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
const child = spawn(
  process.execPath,
  [wrangler, "dev", "--port", port, "--persist-to", ".wrangler/state", ...process.argv.slice(2)],
  { stdio: "inherit" },
);

// Ctrl-C reaches wrangler from the terminal as well; either way we wait for it to finish.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
// `kill <pid of npm start>` stops npm and its shell without telling us: stop wrangler when orphaned.
const parent = process.ppid;
const orphanWatch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(orphanWatch);
  child.kill("SIGTERM");
}, 1000).unref();

let exited = false;
child.on("exit", (code, signal) => {
  exited = true;
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});

// Print the banner once the server answers, below wrangler's own start-up output.
for (let tries = 0; tries < 240 && !exited; tries++) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const up = await fetch(`${url}/api/workflows`).then(() => true, () => false);
  if (up) {
    console.log(`\n  Cairn is running at ${url}  (state in .wrangler/state, Ctrl-C to stop)`);
    console.log(`  Try:  curl ${url}/api/workflows\n`);
    break;
  }
}
