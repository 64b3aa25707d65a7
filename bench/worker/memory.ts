/**
 * The memory rung's objects (`npm run bench -- --only memory`): `count` Durable
 * Objects left idle in memory, each one layer of what a waiting instance is made
 * of, so that bench/lib/memory.mjs can tell the layers apart.
 *
 * - `object`: a bare SQLite Durable Object (Profile `run("fresh")`), reached once,
 *   holding nothing: the runtime's own cost per object.
 * - `schema`: the same with Cairn's schema created (Profile `run("schema")`).
 * - `statements`: the schema, then `statements` distinct SQL statements run once
 *   each (workerd keeps every statement an object ran compiled until it is evicted).
 * - `rows`: a bare object that writes `steps` rows of `bytes` characters: the bytes
 *   of the `cairn` variant's results, without Cairn.
 * - `cairn`: a Cairn instance left waiting for an event after `steps` steps
 *   returning `bytes` each, as the product leaves it.
 * - `cairn-dropped`: the same, then its execution dropped from memory as the driver
 *   drops an idle one: the object, its row and its SQLite stay.
 */
import type { BenchInput } from "./bodies.js";
import { cairn } from "./cairn.js";
import type { BenchEnv } from "./engine.js";

export const MEMORY_VARIANTS = ["object", "schema", "statements", "rows", "cairn", "cairn-dropped"] as const;
export type MemoryVariant = (typeof MEMORY_VARIANTS)[number];

/** Objects reached at once: the point is what they hold once idle, not how fast they start. */
const BATCH = 20;

export async function idleObjects(env: BenchEnv, variant: MemoryVariant, count: number, o: { steps: number; bytes: number; statements: number }) {
  const e = cairn(env);
  const one = async (name: string) => {
    if (variant === "object" || variant === "schema") {
      await env.PROFILE.get(env.PROFILE.idFromName(name)).run(variant === "object" ? "fresh" : "schema", 0);
      return;
    }
    if (variant === "statements") {
      await env.PROFILE.get(env.PROFILE.idFromName(name)).statements(o.statements);
      return;
    }
    if (variant === "rows") {
      await env.PROFILE.get(env.PROFILE.idFromName(name)).writeRows(o.steps, o.bytes);
      return;
    }
    const input: BenchInput = { body: "hold", steps: o.steps, bytes: o.bytes };
    await e.start(name, input);
    await e.waitForEventWait(name, { name: "chunk", count: o.steps });
    if (variant === "cairn-dropped" && (await env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(name)).benchDropExecution())) {
      throw new Error(`instance ${name}: its execution is still in memory after the drop`);
    }
  };
  const prefix = `memory-${variant}-${crypto.randomUUID()}`;
  for (let i = 0; i < count; i += BATCH) await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => one(`${prefix}-${i + j}`)));
  return { variant, count };
}
