/**
 * The bench Worker: hosts Cairn (its API and WorkflowInstance), the same workflow
 * bodies as a Cloudflare Workflow (binding `CLOUDFLARE`), the storage floor and the
 * profiling object, in one workerd. bench/run.mjs drives it; each route below runs
 * one measurement inside workerd and answers JSON.
 *
 *   GET  /bench/single?engine=E&body=chain|fanout|payload&steps=N[&bytes=B]   W1, W3, W6
 *   GET  /bench/crowd?engine=E&body=trio|nap&count=C[&ms=M][&paceMs=P]        W2 (+ W8 for Cairn), W4
 *   GET  /bench/events?engine=E&count=C                                      W5
 *   GET  /bench/resume/prepare?engine=E&steps=N&count=C                      W7, before the restart
 *   GET  /bench/resume/run?engine=E&id=ID&steps=N                            W7, after it
 *   GET  /bench/profile?variant=V&n=N                                        per step, see profile.ts
 *   GET  /bench/instances?variant=V&count=C                                  per instance, see workloads.ts
 *   GET  /bench/flow?variant=V&count=C                                       flow: start to completion with each flow control
 *   GET  /bench/cost?ioSteps=S&ioMs=M                                        cost: metered lives, see cost.ts
 *   GET  /bench/gc                                                           a full garbage collection (memory rung)
 *   GET  /bench/memory?variant=V&count=C[&steps=S&bytes=B&statements=K]      memory: C objects left idle, see memory.ts
 *   POST /bench/migrate  (JSON array of SQL statements)                      the D1 index schema, + W8's trigger
 *
 * E is cairn, cloudflare or floor. Anything else goes to Cairn's API.
 */
import type { BenchInput } from "./bodies.js";
import { app, cairn, costClient, NO_INDEX_PREFIX } from "./cairn.js";
import { measureIo, measureLives } from "./cost.js";
import { cloudflare } from "./cloudflare.js";
import type { BenchEnv, Engine } from "./engine.js";
import { FLOW_VARIANTS, type FlowVariant } from "./flow.js";
import { idleObjects, MEMORY_VARIANTS } from "./memory.js";
import { PROFILE_VARIANTS, type ProfileVariant } from "./profile.js";
import { crowd, events, floor, INDEX_LAG_TRIGGERS, indexLag, INSTANCE_VARIANTS, instanceProfile, prepareResume, resume, single } from "./workloads.js";

export { WorkflowInstance } from "./cairn.js";
export { ConcurrencyGate } from "../../src/flow/gate.js";
export { Debouncer } from "../../src/flow/debounce.js";
export { RateLimiter } from "../../src/flow/rate-limit.js";
export { ThrottleGate } from "../../src/flow/throttle.js";
export { BenchWorkflow } from "./cloudflare.js";
export { Floor } from "./floor.js";
export { Profile } from "./profile.js";

const MAX_STEPS = 100_000;

class BadRequest extends Error {}

function int(url: URL, name: string, fallback?: number, max = MAX_STEPS): number {
  const raw = url.searchParams.get(name);
  const value = raw === null ? fallback : Number(raw);
  if (value === undefined || !Number.isInteger(value) || value < 0 || value > max) throw new BadRequest(`${name} must be an integer in 0..${max}`);
  return value;
}

/** noIndex=1 (Cairn, for profiling): the objects get a D1 stand-in that does nothing. */
const noIndex = (url: URL) => (url.searchParams.get("noIndex") === "1" ? NO_INDEX_PREFIX : "");

function engine(env: BenchEnv, name: string | null): Engine {
  if (name === "cairn") return cairn(env);
  if (name === "cloudflare") return cloudflare(env);
  throw new BadRequest(`engine must be cairn, cloudflare or floor, got ${name}`);
}

async function route(request: Request, env: BenchEnv, url: URL): Promise<unknown> {
  const kind = url.pathname.slice("/bench/".length);
  const engineName = url.searchParams.get("engine");
  const isFloor = engineName === "floor";
  switch (kind) {
    case "ping":
      return { ok: true };
    case "gc": {
      // Only where workerd runs with V8's --expose-gc (the memory rung's): every object shares this isolate.
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) throw new BadRequest("gc() is not exposed: start workerd with MINIFLARE_WORKERD_V8_FLAGS=--expose-gc");
      gc();
      return { ok: true };
    }
    case "migrate": {
      const given = (await request.json()) as string[];
      const statements = given.length ? [...given, ...INDEX_LAG_TRIGGERS] : [];
      if (!statements.length) return { applied: 0 };
      await env.DB.batch(statements.map((s) => env.DB.prepare(s)));
      return { applied: statements.length };
    }
    case "single": {
      const steps = int(url, "steps");
      const bytes = int(url, "bytes", 0, 1 << 20);
      const body = url.searchParams.get("body");
      if (isFloor) return floor.journal(env, steps, bytes);
      const e = engine(env, engineName);
      if (body === "chain") return single(e, { body, steps }, (o) => o?.steps === steps && o.last === steps - 1, steps, noIndex(url));
      if (body === "fanout") return single(e, { body, steps }, (o) => o?.steps === steps && o.sum === (steps * (steps - 1)) / 2, steps, noIndex(url));
      if (body === "payload") return single(e, { body, steps, bytes }, (o) => o?.steps === steps && o.bytes === steps * bytes, steps, noIndex(url));
      throw new BadRequest(`body must be chain, fanout or payload, got ${body}`);
    }
    case "crowd": {
      const count = int(url, "count", undefined, 10_000);
      const body = url.searchParams.get("body");
      const ms = int(url, "ms", 1_000, 60_000);
      const paceMs = int(url, "paceMs", 0, 1_000);
      if (body !== "trio" && body !== "nap") throw new BadRequest(`body must be trio or nap, got ${body}`);
      if (isFloor) return body === "trio" ? floor.crowd(env, count, 3) : floor.naps(env, count, ms, paceMs);
      const input: BenchInput = body === "trio" ? { body } : { body, ms };
      const idPrefix = noIndex(url);
      const { t0, prefix, ms: lastMs, outputs } = await crowd(engine(env, engineName), count, input, { paceMs, idPrefix });
      if (body === "nap") {
        const lateMs = outputs.map((o) => (o as { lateMs?: number })?.lateMs);
        if (lateMs.some((x) => typeof x !== "number")) throw new Error(`${engineName} nap outputs without lateMs`);
        return { ms: lastMs, lateMs };
      }
      const wrong = outputs.find((o) => (o as { sum?: number })?.sum !== 3);
      if (wrong !== undefined) throw new Error(`${engineName} trio output ${JSON.stringify(wrong)}`);
      const samplesMs = outputs.map((o) => (o as { doneAt: number }).doneAt - t0);
      return { ms: lastMs, samplesMs, ...(engineName === "cairn" && !idPrefix && (await indexLag(env, prefix, count))) };
    }
    case "events": {
      const count = int(url, "count", undefined, 10_000);
      return isFloor ? floor.events(env, count) : events(engine(env, engineName), count, noIndex(url));
    }
    case "resume/prepare": {
      const [steps, count] = [int(url, "steps"), int(url, "count", 1, 100)];
      return isFloor ? floor.prepareResume(env, steps, count) : prepareResume(engine(env, engineName), steps, count, noIndex(url));
    }
    case "resume/run": {
      const [id, steps] = [url.searchParams.get("id") ?? "", int(url, "steps")];
      return isFloor ? floor.resume(env, id, steps) : resume(engine(env, engineName), id, steps);
    }
    case "flow": {
      const name = url.searchParams.get("variant");
      const variant = Object.keys(FLOW_VARIANTS).find((v) => v === name) as FlowVariant | undefined;
      if (!variant) throw new BadRequest(`variant must be one of ${Object.keys(FLOW_VARIANTS).join(", ")}`);
      return flowLatency(env, variant, int(url, "count", undefined, 10_000));
    }
    case "cost": {
      const client = costClient(env);
      const lives = await measureLives(client);
      const io = await measureIo(client, int(url, "ioSteps", 3, 100), int(url, "ioMs", 1_000, 60_000));
      const schema = await env.PROFILE.get(env.PROFILE.idFromName(`profile-schema-cost-${crypto.randomUUID()}`)).schemaCost();
      return { lives, io, schema };
    }
    case "memory": {
      const variant = MEMORY_VARIANTS.find((v) => v === url.searchParams.get("variant"));
      if (!variant) throw new BadRequest(`variant must be one of ${MEMORY_VARIANTS.join(", ")}`);
      const [steps, bytes, statements] = [int(url, "steps", 0, 100), int(url, "bytes", 0, 1 << 20), int(url, "statements", 0, 1_000)];
      return idleObjects(env, variant, int(url, "count", undefined, 10_000), { steps, bytes, statements });
    }
    case "instances": {
      const variant = INSTANCE_VARIANTS.find((v) => v === url.searchParams.get("variant"));
      if (!variant) throw new BadRequest(`variant must be one of ${INSTANCE_VARIANTS.join(", ")}`);
      return instanceProfile(env, variant, int(url, "count", undefined, 10_000));
    }
    case "profile": {
      const variant = PROFILE_VARIANTS.find((v) => v === url.searchParams.get("variant"));
      if (!variant) throw new BadRequest(`variant must be one of ${PROFILE_VARIANTS.join(", ")}`);
      return profile(env, variant, int(url, "n"));
    }
  }
  throw new BadRequest(`no bench route ${url.pathname}`);
}

/** `count` instances one after the other, each from its start request to its completion. */
async function flowLatency(env: BenchEnv, variant: FlowVariant, count: number) {
  const e = cairn(env);
  const samplesMs: number[] = [];
  for (let i = 0; i < count; i++) {
    const id = `flow-${variant}-${crypto.randomUUID()}`;
    const t0 = Date.now();
    await e.startOf(FLOW_VARIANTS[variant].name, id, { key: id });
    await e.wait(id);
    samplesMs.push(Date.now() - t0);
  }
  return { samplesMs };
}

async function profile(env: BenchEnv, variant: ProfileVariant, n: number) {
  const stub = env.PROFILE.get(env.PROFILE.idFromName(`profile-${variant}-${crypto.randomUUID()}`));
  if (variant === "replay") await stub.run("engine-sql", n);
  const t0 = Date.now();
  const { rows } = variant === "replay" ? await stub.replay(n) : await stub.run(variant, n);
  const ms = Date.now() - t0;
  const expected = variant === "fresh" || variant.startsWith("schema") || variant === "engine-memory" ? 0 : n;
  if (rows !== expected) throw new Error(`profile ${variant} left ${rows} rows, expected ${expected}`);
  return { ms };
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const url = new URL(request.url);
    if (!url.pathname.startsWith("/bench/")) return app.fetch(request, env, ctx);
    try {
      return Response.json(await route(request, env, url));
    } catch (error) {
      const status = error instanceof BadRequest ? 400 : 500;
      return Response.json({ error: String((error as Error)?.stack ?? error) }, { status });
    }
  },
} satisfies ExportedHandler<BenchEnv>;
