/// <reference types="node" />
/**
 * Runs Cairn under `wrangler dev` for the browser and client tests: on a free port,
 * with its own tokens and a temporary persistence directory (the repository's
 * .dev.vars and .wrangler/state are not touched), the index migrations applied
 * first. `stop()` ends the process group it started and removes the directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");

export interface RunningCairn {
  url: string;
  tokens: { full: string; readonly: string };
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(output) : reject(new Error(`wrangler ${args[0]} exited ${code}:\n${output}`))));
  });
}

async function waitUntilUp(url: string, child: ChildProcess, log: () => string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited ${child.exitCode}:\n${log()}`);
    try {
      const res = await fetch(`${url}/openapi.json`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not answer within ${timeoutMs} ms:\n${log()}`);
}

export async function startCairn(): Promise<RunningCairn> {
  const dir = await mkdtemp(path.join(tmpdir(), "cairn-browser-"));
  const tokens = { full: randomBytes(18).toString("base64url"), readonly: randomBytes(18).toString("base64url") };
  const vars = { API_TOKEN: tokens.full, API_TOKEN_READONLY: tokens.readonly, WEBHOOK_SECRET: randomBytes(18).toString("base64url") };
  // An env file of its own keeps wrangler from reading the repository's .dev.vars.
  const envFile = path.join(dir, ".env");
  await writeFile(envFile, Object.entries(vars).map(([k, v]) => `${k}=${v}\n`).join(""));
  const persist = path.join(dir, "state");
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };
  await run(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], env);

  const [port, inspectorPort] = [await freePort(), await freePort()];
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", persist];
  args.push("--env-file", envFile, "--show-interactive-dev-session=false", "--log-level", "warn");
  for (const [key, value] of Object.entries(vars)) args.push("--var", `${key}:${value}`);
  // Its own process group, so that stop() ends wrangler and the workerd it starts, and nothing else.
  const child = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const url = `http://localhost:${port}`;

  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // Already gone.
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilUp(url, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, tokens, stop };
}
