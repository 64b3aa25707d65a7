/**
 * The cost rung (`npm run bench -- --only cost`): instance lives from create to
 * completion, each metered exactly (bench/worker/meter.ts), and what one step of each
 * kind adds, as differences between lives. The same lives run in the cost test
 * (test/bench/cost.test.ts), which fails when a count rises above docs/cost.json.
 *
 * Each life is driven as a client would drive it: one HTTP request to the API to
 * start it, one more to send its event. The client reads the instance's status
 * without going through the metered code, so nothing it does is counted.
 */
import type { BenchInput } from "./bodies.js";
import { EVENT_TYPE } from "./bodies.js";
import { METERED_PREFIX, type CostCounts } from "./meter.js";

/** A life of an instance, by name: what it runs and whether it waits for an event. */
export const COST_LIVES = {
  "one step": { body: "chain", steps: 1 },
  "three steps": { body: "trio" },
  "ten steps": { body: "chain", steps: 10 },
  "sleep": { body: "nap", ms: 100 },
  "event": { body: "event" },
  "retry": { body: "flaky", delayMs: 50 },
} as const satisfies Record<string, BenchInput>;
export type LifeName = keyof typeof COST_LIVES;

/** The counts a life is held to (docs/cost.json) and the ones the per-kind table shows. */
export const COUNTED = [
  "workerRequests",
  "requests",
  "sqlRowsRead",
  "sqlRowsWritten",
  "alarmSets",
  "billedRowsWritten",
  "d1RowsRead",
  "d1RowsWritten",
  "storageBytes",
] as const;
export type Counted = (typeof COUNTED)[number];
export type LifeCounts = Record<Counted, number> & { detail: CostCounts };

/** What the lives need from their surroundings (the bench Worker, or the test's). */
export interface CostClient {
  /** POST /api/workflows/bench/instances, as a client would. */
  start(id: string, input: BenchInput): Promise<void>;
  /** POST /api/instances/:id/events. */
  sendEvent(id: string, type: string, payload: unknown): Promise<void>;
  /** The status and whether the outbox is empty, read past the meter. */
  peek(id: string): Promise<{ status: string | null; outboxEmpty: boolean }>;
  counts(id: string): Promise<CostCounts>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(client: CostClient, id: string, ready: (seen: { status: string | null; outboxEmpty: boolean }) => boolean, what: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const seen = await client.peek(id);
    if (ready(seen)) return seen;
    if (["failed", "terminated"].includes(seen.status ?? "") || Date.now() > deadline) throw new Error(`instance ${id} is not ${what}: ${JSON.stringify(seen)}`);
    await pause(5);
  }
}

/** One life from start to completion, with its index row pushed; returns its counts. */
export async function measureLife(client: CostClient, name: LifeName, id = `${METERED_PREFIX}${name.replaceAll(" ", "-")}-${crypto.randomUUID()}`): Promise<LifeCounts & { ms: number }> {
  const input: BenchInput = COST_LIVES[name];
  let workerRequests = 1;
  const t0 = Date.now();
  await client.start(id, input);
  if (input.body === "event") {
    await until(client, id, (seen) => seen.status === "waiting", "waiting");
    await client.sendEvent(id, EVENT_TYPE, { n: 1 });
    workerRequests++;
  }
  await until(client, id, (seen) => seen.status === "completed", "completed");
  const ms = Date.now() - t0;
  await until(client, id, (seen) => seen.outboxEmpty, "indexed");
  // The push's last bookkeeping (dropping the outbox timer, moving the alarm) follows the write.
  await pause(50);
  const detail = await client.counts(id);
  return { ...pick(detail), workerRequests, detail, ms };
}

function pick(c: CostCounts): Omit<Record<Counted, number>, "workerRequests"> {
  return {
    requests: c.requests,
    sqlRowsRead: c.sqlRowsRead,
    sqlRowsWritten: c.sqlRowsWritten,
    alarmSets: c.alarmSets,
    billedRowsWritten: c.billedRowsWritten,
    d1RowsRead: c.d1RowsRead,
    d1RowsWritten: c.d1RowsWritten,
    storageBytes: c.storageBytes,
  };
}

/** Every life, one after the other (so no two share the thread's attention). */
export async function measureLives(client: CostClient): Promise<Record<LifeName, LifeCounts & { ms: number }>> {
  const lives = {} as Record<LifeName, LifeCounts & { ms: number }>;
  for (const name of Object.keys(COST_LIVES) as LifeName[]) lives[name] = await measureLife(client, name);
  return lives;
}

/**
 * Wall time an instance's object stays active while its steps await outside I/O:
 * `steps` steps each awaiting `ms` (what Cloudflare bills as Durable Object duration).
 */
export async function measureIo(client: CostClient, steps: number, ms: number) {
  const id = `${METERED_PREFIX}io-${crypto.randomUUID()}`;
  const t0 = Date.now();
  await client.start(id, { body: "io", steps, ms });
  await until(client, id, (seen) => seen.status === "completed", "completed");
  const activeMs = Date.now() - t0;
  return { steps, ioMs: ms, activeMs, activeMsPerStep: activeMs / steps, overheadMsPerStep: activeMs / steps - ms };
}
