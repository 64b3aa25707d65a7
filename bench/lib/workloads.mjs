/**
 * The workloads as Node drives them: which bench route to call, how many warm-up
 * and measured rounds, in which order the engines go (rotated every round, so each
 * sees the same machine noise), and the summary each workload reports.
 */
import { distribution, fmtInt, fmtMs, fmtUs, median, spread } from "./stats.mjs";

/** A run whose estimated time is above this gets no warm-up and SLOW_ROUNDS rounds. */
const SLOW_RUN_MS = 5_000;
const SLOW_ROUNDS = 3;
/** Pause before a workload that leaves timers or index pushes behind, so the next one starts quiet. */
const QUIET_MS = 500;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rotate = (xs, by) => xs.map((_, i) => xs[(i + by) % xs.length]);

/**
 * Runs `measure(engine)` for every engine: `warmup[e]` discarded rounds, then
 * `rounds[e]` measured ones; the engine order rotates every round.
 */
async function alternate({ label, engines, warmup, rounds, measure, progress }) {
  const out = Object.fromEntries(engines.map((e) => [e, []]));
  const most = Math.max(...engines.map((e) => warmup[e] + rounds[e]));
  for (let r = 0; r < most; r++) {
    for (const e of rotate(engines, r)) {
      const w = r - (most - warmup[e] - rounds[e]);
      if (w < 0) continue;
      const warm = w < warmup[e];
      progress(`${label}: ${e} ${warm ? `warm-up ${w + 1}/${warmup[e]}` : `round ${w - warmup[e] + 1}/${rounds[e]}`}`);
      const result = await measure(e, warm);
      if (!warm) out[e].push(result);
    }
  }
  return out;
}

const each = (engines, value) => Object.fromEntries(engines.map((e) => [e, value]));
/** The engine parameter of a bench route; with --no-index, Cairn's objects get a D1 stand-in that does nothing. */
const engine = (o, e) => `engine=${e}${o.noIndex && e === "cairn" ? "&noIndex=1" : ""}`;

/** W1: sequential chains of N steps; per-step time = ms / N. */
export async function w1(host, o, progress) {
  const sizes = [];
  for (const n of o.sizes) {
    const warmup = each(o.engines, o.warmup);
    const rounds = each(o.engines, o.rounds);
    const previous = sizes.at(-1);
    for (const e of o.engines) {
      const estimate = previous ? (previous[e].median * n) / previous.n : 0;
      if (estimate > SLOW_RUN_MS) [warmup[e], rounds[e]] = [0, SLOW_ROUNDS];
    }
    const samples = await alternate({
      label: `W1 chain n=${fmtInt(n)}`,
      engines: o.engines,
      warmup,
      rounds,
      progress,
      measure: (e) => host.call(`single?${engine(o, e)}&body=chain&steps=${n}`),
    });
    const entry = { n };
    for (const e of o.engines) {
      const ms = samples[e].map((s) => s.ms);
      entry[e] = { ...spread(ms), warmup: warmup[e], usPerStep: (median(ms) * 1000) / n, nodeWallMs: samples[e].map((s) => Math.round(s.wallMs)) };
    }
    sizes.push(entry);
    progress.line(`W1 n=${fmtInt(n)}: ${o.engines.map((e) => `${e} ${fmtMs(entry[e].median)} ms (${fmtUs(entry[e].usPerStep)} µs/step)`).join(", ")}`);
  }
  return { sizes };
}

/** W3 and W6: one instance per measurement. */
async function singles(host, o, progress, { label, query, steps }) {
  const samples = await alternate({
    label,
    engines: o.engines,
    warmup: each(o.engines, o.warmup),
    rounds: each(o.engines, o.rounds),
    progress,
    measure: (e) => host.call(`single?${engine(o, e)}&${query}`),
  });
  const out = {};
  for (const e of o.engines) out[e] = { ...spread(samples[e].map((s) => s.ms)), usPerStep: (median(samples[e].map((s) => s.ms)) * 1000) / steps };
  progress.line(`${label}: ${o.engines.map((e) => `${e} ${fmtMs(out[e].median)} ms`).join(", ")}`);
  return out;
}

export async function w3(host, o, progress) {
  const steps = o.fanout;
  return { steps, ...(await singles(host, o, progress, { label: `W3 fan-out ${steps} steps`, query: `body=fanout&steps=${steps}`, steps })) };
}

export async function w6(host, o, progress) {
  const sizes = [];
  for (const bytes of o.payloads) {
    const label = `W6 ${o.payloadSteps} steps × ${fmtInt(bytes)} B`;
    sizes.push({ bytes, steps: o.payloadSteps, ...(await singles(host, o, progress, { label, query: `body=payload&steps=${o.payloadSteps}&bytes=${bytes}`, steps: o.payloadSteps })) });
  }
  return { sizes };
}

/**
 * One round of a many-instance workload in a workerd of its own: restart (objects
 * of earlier rounds leave memory; Cloudflare's engine objects are never evicted,
 * and thousands of open SQLite files ran out of file descriptors), warm up the
 * engine with a tenth of the load, let things settle, then measure.
 */
async function crowdRound(host, o, progress, label, e, route) {
  progress(`${label}: ${e} restart and warm-up`);
  await host.restart();
  await host.call(route(Math.max(1, Math.round(o.count / 10))));
  await sleep(QUIET_MS);
  progress(`${label}: ${e} measuring`);
  return host.call(route(o.count));
}

/**
 * W2: `count` three-step instances started at once. W8 comes from the same rounds:
 * for Cairn, the index lag of each instance (see bench/worker/workloads.ts).
 */
export async function w2(host, o, progress) {
  const label = `W2 ${fmtInt(o.count)} instances × 3 steps`;
  const samples = await alternate({
    label,
    engines: o.engines,
    warmup: each(o.engines, 0),
    rounds: each(o.engines, o.crowdRounds),
    progress,
    measure: (e) => crowdRound(host, o, progress, label, e, (count) => `crowd?${engine(o, e)}&body=trio&count=${count}`),
  });
  const out = { count: o.count };
  for (const e of o.engines) {
    const rounds = samples[e];
    out[e] = { completedPerSecond: spread(rounds.map((r) => (o.count * 1000) / r.ms)), lastMs: spread(rounds.map((r) => r.ms)), ...distribution(rounds.map((r) => r.samplesMs)) };
    progress.line(`${label}: ${e} ${fmtInt(out[e].completedPerSecond.median)}/s, p50 ${fmtMs(out[e].p50.median)} ms, p99 ${fmtMs(out[e].p99.median)} ms`);
  }
  const w8 = samples.cairn?.[0]?.lagMs ? { count: o.count, cairn: { ...distribution(samples.cairn.map((r) => r.lagMs)), missing: samples.cairn.reduce((n, r) => n + r.missing, 0) } } : undefined;
  if (w8) progress.line(`W8 index lag during W2: cairn p50 ${fmtMs(w8.cairn.p50.median)} ms, p99 ${fmtMs(w8.cairn.p99.median)} ms${w8.cairn.missing ? `, ${w8.cairn.missing} never indexed` : ""}`);
  return { w2: out, w8 };
}

/**
 * W4: `count` instances each sleeping `napMs`; the bodies report their own lateness.
 * Twice: all started at once (the wake-ups then queue behind the starts still being
 * served), and paced at one start every `napPaceMs`.
 */
export async function w4(host, o, progress) {
  const out = { count: o.count, napMs: o.napMs, paceMs: o.napPaceMs };
  for (const [variant, paceMs] of [["atOnce", 0], ["paced", o.napPaceMs]]) {
    const label = `W4 ${fmtInt(o.count)} sleepers × ${o.napMs} ms, ${paceMs ? `one start every ${paceMs} ms` : "started at once"}`;
    const samples = await alternate({
      label,
      engines: o.engines,
      warmup: each(o.engines, 0),
      rounds: each(o.engines, o.crowdRounds),
      progress,
      measure: (e) => crowdRound(host, o, progress, label, e, (count) => `crowd?${engine(o, e)}&body=nap&count=${count}&ms=${o.napMs}&paceMs=${paceMs}`),
    });
    out[variant] = {};
    for (const e of o.engines) {
      out[variant][e] = distribution(samples[e].map((r) => r.lateMs));
      progress.line(`${label}: ${e} lateness p50 ${fmtMs(out[variant][e].p50.median)} ms, p99 ${fmtMs(out[variant][e].p99.median)} ms`);
    }
  }
  return out;
}

/** W5: event send to completion, one event at a time, `events` instances per round. */
export async function w5(host, o, progress) {
  const samples = await alternate({
    label: `W5 events`,
    engines: o.engines,
    warmup: each(o.engines, 1),
    rounds: each(o.engines, o.crowdRounds),
    progress,
    measure: async (e, warm) => {
      await sleep(QUIET_MS);
      return host.call(`events?${engine(o, e)}&count=${warm ? Math.max(1, Math.round(o.events / 5)) : o.events}`);
    },
  });
  const out = { events: o.events };
  for (const e of o.engines) {
    out[e] = distribution(samples[e].map((r) => r.samplesMs));
    progress.line(`W5: ${e} p50 ${fmtMs(out[e].p50.median)} ms, p99 ${fmtMs(out[e].p99.median)} ms`);
  }
  return out;
}

/**
 * W7: instances that journaled `resumeSteps` steps wait for an event; workerd is
 * restarted, so no object is in memory; then each gets its event, one at a time,
 * engines alternating. The first resume of each engine is a warm-up (it also loads
 * that engine's code), discarded.
 */
export async function w7(host, o, progress) {
  const steps = o.resumeSteps;
  const ids = {};
  await Promise.all(
    o.engines.map(async (e) => {
      progress(`W7: ${e} journaling ${fmtInt(steps)} steps in ${o.resumeCount + 1} instances`);
      ids[e] = (await host.call(`resume/prepare?${engine(o, e)}&steps=${steps}&count=${o.resumeCount + 1}`)).ids;
    }),
  );
  progress("W7: restarting workerd");
  await host.restart();
  await sleep(QUIET_MS);
  const samples = each(o.engines, []);
  for (let i = 0; i <= o.resumeCount; i++) {
    for (const e of rotate(o.engines, i)) {
      progress(`W7: ${e} ${i === 0 ? "warm-up" : `resume ${i}/${o.resumeCount}`}`);
      const { ms } = await host.call(`resume/run?${engine(o, e)}&id=${ids[e][i]}&steps=${steps}`);
      if (i > 0) samples[e] = [...samples[e], ms];
    }
  }
  const out = { steps, count: o.resumeCount };
  for (const e of o.engines) out[e] = spread(samples[e]);
  progress.line(`W7: ${o.engines.map((e) => `${e} ${fmtMs(out[e].median)} ms`).join(", ")}`);
  return out;
}

const STEP_PIECES = ["journal", "engine-memory", "engine-sql", "replay"];
const INSTANCE_RUNGS = ["fresh", "schema", "schema-stepwise", "floor", "cairn-rpc-noindex", "cairn-rpc", "cairn-api"];

/**
 * Where Cairn's time goes: pieces of the step path (bench/worker/profile.ts), then
 * the per-instance ladder (instanceProfile in bench/worker/workloads.ts), rungs
 * rotating every round.
 */
export async function profile(host, o, progress) {
  const perStep = [];
  for (const variant of STEP_PIECES) {
    const ms = [];
    for (let r = -o.warmup; r < o.rounds; r++) {
      progress(`profile per step, n=${fmtInt(o.profileN)}: ${variant} ${r < 0 ? "warm-up" : `round ${r + 1}/${o.rounds}`}`);
      const sample = await host.call(`profile?variant=${variant}&n=${o.profileN}`);
      if (r >= 0) ms.push(sample.ms);
    }
    perStep.push({ variant, n: o.profileN, ...spread(ms), usPerStep: (median(ms) * 1000) / o.profileN });
  }
  const count = o.profileInstances;
  const samples = await alternate({
    label: `profile per instance, ${count} at once`,
    engines: INSTANCE_RUNGS,
    warmup: each(INSTANCE_RUNGS, o.warmup),
    rounds: each(INSTANCE_RUNGS, o.rounds),
    progress,
    measure: (rung) => host.call(`instances?variant=${rung}&count=${count}`),
  });
  const perInstance = INSTANCE_RUNGS.map((rung) => ({ rung, count, ...spread(samples[rung].map((s) => s.ms / count)) }));
  return { perStep, perInstance };
}


/**
 * flow: what each flow control adds to a start. `count` instances of each variant one
 * after the other (start request to completion, none contended), the variants in a
 * rotating order each round; the added time is the variant's median less the plain one's.
 */
export async function flow(host, o, progress) {
  const variants = ["none", "concurrency", "priority", "throttle", "rateLimit", "debounce"];
  const samples = Object.fromEntries(variants.map((v) => [v, []]));
  for (let r = 0; r < o.warmup + o.rounds; r++) {
    for (const v of rotate(variants, r)) {
      progress(`flow: ${v} ${r < o.warmup ? "warm-up" : `round ${r - o.warmup + 1}/${o.rounds}`}`);
      const { samplesMs } = await host.call(`flow?variant=${v}&count=${o.flowCount}`);
      if (r >= o.warmup) samples[v].push(samplesMs);
    }
  }
  const out = { count: o.flowCount, rounds: o.rounds, variants: {} };
  const base = median(samples.none.flat());
  for (const v of variants) out.variants[v] = { ...distribution(samples[v]), addedMs: median(samples[v].flat()) - base };
  progress.line(`flow: ${variants.map((v) => `${v} p50 ${fmtMs(out.variants[v].pooled.p50)} ms (+${fmtMs(out.variants[v].addedMs)})`).join(", ")}`);
  return out;
}
