/**
 * The workloads W1–W8, each one measurement per call, run inside workerd so that
 * no HTTP hop from Node is timed. The same function measures Cairn and Cloudflare
 * Workflows (through `Engine`); the floor has its own, doing the same writes by hand.
 *
 * Times are Date.now() deltas: workerd moves its clock forward on I/O, and every
 * interval here ends when an RPC returns, so each figure is the wall time up to
 * that I/O at 1 ms resolution.
 */
import { EVENT_TYPE, READY_STEP, RESUME_TYPE, type BenchInput } from "./bodies.js";
import { cairn, NO_INDEX_PREFIX } from "./cairn.js";
import type { BenchEnv, Engine } from "./engine.js";
import { METERED_PREFIX } from "./meter.js";

const uid = (prefix: string) => `${prefix}-${crypto.randomUUID()}`;

/** Lets background work (index pushes, the engine reaching its wait) finish before a timed part. */
const SETTLE_MS = 200;
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

function expect(ok: boolean, what: string, got: unknown): void {
  if (!ok) throw new Error(`${what}: got ${JSON.stringify(got)}`);
}

/** One instance from start to completion (W1, W3, W6); its output is checked after timing. */
export async function single(e: Engine, input: BenchInput, check: (output: any) => boolean, journalRows?: number, idPrefix = "") {
  const id = uid(`${idPrefix}${input.body}`);
  const t0 = Date.now();
  await e.start(id, input);
  await e.wait(id);
  const ms = Date.now() - t0;
  const output = await e.output(id);
  expect(check(output), `${e.name} ${input.body} instance ${id} output`, output);
  if (journalRows !== undefined && e.journalRows) {
    const rows = await e.journalRows(id);
    expect(rows === journalRows, `${e.name} ${id} completed journal rows (want ${journalRows})`, rows);
  }
  return { ms };
}

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

/**
 * `count` instances started at once, or one every `paceMs` (W2, W4). `ms` is when
 * the driver saw the last one complete; each instance's output says the rest. Under
 * load the driver (which shares workerd's thread with Cairn's objects) sees
 * completions late and in bunches, so per-instance times come from the bodies.
 */
export async function crowd(e: Engine, count: number, input: BenchInput, { paceMs = 0, idPrefix = "" } = {}) {
  const prefix = uid(`${idPrefix}crowd-${input.body}`);
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const t0 = Date.now();
  const seenMs = await Promise.all(
    ids.map(async (id, i) => {
      if (paceMs > 0) await sleepUntil(t0 + i * paceMs);
      await e.start(id, input);
      await e.wait(id);
      return Date.now() - t0;
    }),
  );
  const outputs = await Promise.all(ids.map((id) => e.output(id)));
  return { t0, prefix, ms: Math.max(...seenMs), outputs };
}

/**
 * W8: for each instance of a crowd, from its completion at its object
 * (`completed_at`, the object's clock) to the moment D1 took the completed row
 * (`bench_index_seen`, filled by a bench-only trigger on the index table). Waits
 * up to 30 s for stragglers.
 */
export async function indexLag(env: BenchEnv, prefix: string, count: number) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { results } = await env.DB.prepare(
      "SELECT s.seen_at - i.completed_at AS lag FROM instances i JOIN bench_index_seen s ON s.id = i.id WHERE i.id LIKE ?",
    )
      .bind(`${prefix}-%`)
      .all<{ lag: number }>();
    if (results.length >= count || Date.now() > deadline) return { lagMs: results.map((r) => r.lag), missing: count - results.length };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SQL that records when each instance's completed row reached the index (see indexLag); not for metered instances, whose D1 rows are counted. */
export const INDEX_LAG_TRIGGERS = [
  "CREATE TABLE IF NOT EXISTS bench_index_seen (id TEXT PRIMARY KEY, seen_at REAL NOT NULL)",
  ...["INSERT", "UPDATE OF status"].map(
    (event, i) => `CREATE TRIGGER IF NOT EXISTS bench_index_seen_${i} AFTER ${event} ON instances WHEN NEW.status = 'completed' AND NEW.id NOT LIKE '${METERED_PREFIX}%'
      BEGIN INSERT OR IGNORE INTO bench_index_seen (id, seen_at) VALUES (NEW.id, (julianday('now') - 2440587.5) * 86400000.0); END`,
  ),
];

/** W5: `count` instances waiting for an event; each sample is one event's send to completion, one at a time. */
export async function events(e: Engine, count: number, idPrefix = "") {
  const ids = Array.from({ length: count }, () => uid(`${idPrefix}event`));
  await Promise.all(ids.map((id) => e.start(id, { body: "event" })));
  await Promise.all(ids.map((id) => e.waitForEventWait(id, READY_STEP)));
  await settle();
  const samplesMs: number[] = [];
  for (const [n, id] of ids.entries()) {
    const t0 = Date.now();
    await e.sendEvent(id, EVENT_TYPE, { n });
    await e.wait(id);
    samplesMs.push(Date.now() - t0);
    const output = await e.output(id);
    expect((output as { got?: number })?.got === n, `${e.name} event instance ${id} output`, output);
  }
  return { samplesMs };
}

/** W7, before the restart: instances that journaled `steps` steps and now wait for an event. */
export async function prepareResume(e: Engine, steps: number, count: number, idPrefix = "") {
  const ids = Array.from({ length: count }, () => uid(`${idPrefix}resume`));
  await Promise.all(ids.map((id) => e.start(id, { body: "resume", steps })));
  await Promise.all(ids.map((id) => e.waitForEventWait(id, { name: "step", count: steps })));
  await settle();
  return { ids };
}

/** W7, after the restart: the event to an instance no object holds in memory, to completion. */
export async function resume(e: Engine, id: string, steps: number) {
  const t0 = Date.now();
  await e.sendEvent(id, RESUME_TYPE, { n: 1 });
  await e.wait(id);
  const ms = Date.now() - t0;
  const output = (await e.output(id)) as { steps?: number; after?: number };
  expect(output?.steps === steps && output.after === steps, `${e.name} resumed instance ${id} output`, output);
  return { ms };
}

// ---- the floor ------------------------------------------------------------------------

const floorStub = (env: BenchEnv, name: string) => env.FLOOR.get(env.FLOOR.idFromName(name));

export const floor = {
  async journal(env: BenchEnv, steps: number, bytes = 0) {
    const stub = floorStub(env, uid("floor"));
    const t0 = Date.now();
    const { rows } = await stub.journal(steps, bytes);
    const ms = Date.now() - t0;
    expect(rows === steps, "floor rows", rows);
    return { ms };
  },

  /** W2: `samplesMs` from the common start to each object's end of writing, as the bodies report it. */
  async crowd(env: BenchEnv, count: number, steps: number) {
    const t0 = Date.now();
    const done = await Promise.all(
      Array.from({ length: count }, async () => {
        const { doneAt } = await floorStub(env, uid("floor-crowd")).journal(steps);
        return { doneAt, seen: Date.now() - t0 };
      }),
    );
    return { ms: Math.max(...done.map((d) => d.seen)), samplesMs: done.map((d) => d.doneAt - t0) };
  },

  async naps(env: BenchEnv, count: number, ms: number, paceMs = 0) {
    const stubs = Array.from({ length: count }, () => floorStub(env, uid("floor-nap")));
    const t0 = Date.now();
    await Promise.all(
      stubs.map(async (stub, i) => {
        if (paceMs > 0) await sleepUntil(t0 + i * paceMs);
        await stub.arm(ms);
      }),
    );
    return { lateMs: await Promise.all(stubs.map((stub) => stub.lateness())) };
  },

  async events(env: BenchEnv, count: number) {
    const stubs = Array.from({ length: count }, () => floorStub(env, uid("floor-event")));
    await Promise.all(stubs.map((stub) => stub.prepareEvent()));
    const samplesMs: number[] = [];
    for (const [n, stub] of stubs.entries()) {
      const t0 = Date.now();
      await stub.event({ n });
      samplesMs.push(Date.now() - t0);
    }
    return { samplesMs };
  },

  async prepareResume(env: BenchEnv, steps: number, count: number) {
    const ids = Array.from({ length: count }, () => uid("floor-resume"));
    await Promise.all(ids.map((id) => floorStub(env, id).journal(steps)));
    return { ids };
  },

  async resume(env: BenchEnv, id: string, steps: number) {
    const t0 = Date.now();
    const { rows } = await floorStub(env, id).replay();
    const ms = Date.now() - t0;
    expect(rows === steps, "floor replayed rows", rows);
    return { ms };
  },
};

// ---- per-instance profile ----------------------------------------------------------------

export const INSTANCE_VARIANTS = ["fresh", "schema", "schema-stepwise", "floor", "cairn-rpc-noindex", "cairn-rpc", "cairn-api"] as const;
export type InstanceVariant = (typeof INSTANCE_VARIANTS)[number];

/**
 * Where an instance's time goes: `count` objects at once through one path, time
 * until the driver saw the last one done. A ladder, each rung adding one thing:
 * `fresh` reaches a new object; `schema` also creates Cairn's schema in it, as a
 * new instance does (`schema-stepwise`: migration by migration, as before);
 * `floor` is W2's floor (its own two tables, three step rows); `cairn-rpc-noindex`
 * runs W2's three-step workflow through the create() RPC with a D1 stand-in that
 * does nothing; `cairn-rpc` with the real D1 index; `cairn-api` through the HTTP
 * API, which is W2's path.
 */
export async function instanceProfile(env: BenchEnv, variant: InstanceVariant, count: number) {
  if (variant === "fresh" || variant === "schema" || variant === "schema-stepwise") {
    const t0 = Date.now();
    await Promise.all(Array.from({ length: count }, () => env.PROFILE.get(env.PROFILE.idFromName(uid("profile-instance"))).run(variant, 0)));
    return { ms: Date.now() - t0 };
  }
  if (variant === "floor") return { ms: (await floor.crowd(env, count, 3)).ms };
  const e = cairn(env, { api: variant === "cairn-api" });
  const { ms } = await crowd(e, count, { body: "trio" }, { idPrefix: variant === "cairn-rpc-noindex" ? NO_INDEX_PREFIX : "" });
  return { ms };
}
