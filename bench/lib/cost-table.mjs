/**
 * What an instance costs, from its counted operations (docs/cost.json, measured by
 * the cost rung) and Cloudflare's published prices: the tables of docs/cost.md.
 * Pure (no Node APIs), so the cost test in workerd renders the same table and checks
 * that docs/cost.md shows it.
 */

/** Cloudflare's published prices past the Workers Paid plan's monthly allotments, in USD. */
export const PRICES = {
  readOn: "2026-11-29",
  workerRequestPerMillion: 0.3,
  workerCpuPerMillionMs: 0.02,
  doRequestPerMillion: 0.15,
  doGbSecondPerMillion: 12.5,
  /** Duration is billed for 128 MB whatever the object uses. */
  doGb: 0.128,
  sqlRowReadPerMillion: 0.001,
  sqlRowWrittenPerMillion: 1.0,
  sqlGbMonth: 0.2,
  d1RowReadPerMillion: 0.001,
  d1RowWrittenPerMillion: 1.0,
  workflowsRequestPerMillion: 0.3,
  workflowsCpuPerMillionMs: 0.02,
  workflowsGbMonth: 0.2,
  sources: {
    workers: "https://developers.cloudflare.com/workers/platform/pricing/",
    durableObjects: "https://developers.cloudflare.com/durable-objects/platform/pricing/",
    d1: "https://developers.cloudflare.com/d1/platform/pricing/",
    workflows: "https://developers.cloudflare.com/workflows/reference/pricing/",
  },
};

export const COUNT_HEADS = {
  workerRequests: "Worker requests",
  requests: "DO requests",
  sqlRowsRead: "SQLite rows read",
  sqlRowsWritten: "SQLite rows written",
  alarmSets: "setAlarm",
  billedRowsWritten: "billed rows written",
  d1RowsRead: "D1 rows read",
  d1RowsWritten: "D1 rows written",
  storageBytes: "storage bytes",
};
const KEYS = Object.keys(COUNT_HEADS);

const minus = (a, ...bs) => Object.fromEntries(KEYS.map((k) => [k, bs.reduce((x, b) => x - b[k], a[k])]));
const scale = (a, by) => Object.fromEntries(KEYS.map((k) => [k, a[k] * by]));

/** What one step of each kind adds to a life, and what a life costs before its steps. */
export function perKind(lives) {
  const perDo = scale(minus(lives["ten steps"], lives["one step"]), 1 / 9);
  return {
    "step.do": perDo,
    "step.sleep (woken in memory)": minus(lives.sleep, lives["one step"], perDo),
    "step.waitForEvent + its event": minus(lives.event, lives["one step"]),
    "one retry of a step.do": minus(lives.retry, lives["one step"]),
    "the instance itself (create → complete, no step)": minus(lives["one step"], perDo),
  };
}

const fmt = (x) => (Number.isInteger(x) ? x.toLocaleString("en-US") : x.toFixed(1));
const table = (head, rows) => [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i ? "---:" : "---")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

/** The counts table of docs/cost.md: every life, as docs/cost.json states it. */
export function countsTable(lives) {
  return table(["life", ...KEYS.map((k) => COUNT_HEADS[k])], Object.entries(lives).map(([name, c]) => [name, ...KEYS.map((k) => fmt(c[k]))]));
}

/** The per-kind table of docs/cost.md (storage left out: it grows in 4 KiB pages). */
export function perKindTable(lives) {
  const keys = KEYS.filter((k) => k !== "storageBytes");
  return table(["what", ...keys.map((k) => COUNT_HEADS[k])], Object.entries(perKind(lives)).map(([name, c]) => [name, ...keys.map((k) => fmt(c[k]))]));
}

/**
 * USD per million of a unit (a step or an instance) on Cairn, line by line, from its
 * counts, the wall time its object stays active, and the Worker CPU of its requests.
 */
export function cairnDollars(counts, { activeMs, workerCpuMs }, p = PRICES) {
  return {
    "Worker requests": counts.workerRequests * p.workerRequestPerMillion,
    "Worker CPU": counts.workerRequests * workerCpuMs * p.workerCpuPerMillionMs,
    "DO requests": counts.requests * p.doRequestPerMillion,
    "DO duration": (activeMs / 1000) * p.doGb * p.doGbSecondPerMillion,
    "SQLite rows read": counts.sqlRowsRead * p.sqlRowReadPerMillion,
    "SQLite rows written (+ setAlarm)": counts.billedRowsWritten * p.sqlRowWrittenPerMillion,
    "D1 rows": counts.d1RowsRead * p.d1RowReadPerMillion + counts.d1RowsWritten * p.d1RowWrittenPerMillion,
  };
}

/** USD per million on Cloudflare Workflows: its requests (the Worker's, the invocation's) and CPU. */
export function workflowsDollars({ workerRequests, invocations, cpuMs }, p = PRICES) {
  return {
    "Worker requests": workerRequests * p.workerRequestPerMillion,
    "Workflow invocations": invocations * p.workflowsRequestPerMillion,
    "Workflow CPU": cpuMs * p.workflowsCpuPerMillionMs,
  };
}

export const total = (lines) => Object.values(lines).reduce((s, x) => s + x, 0);

/**
 * The four cases of docs/cost.md, per million: a CPU-light step, a step awaiting 1 s
 * of outside I/O, and a three-step instance of each. `a` holds the assumptions
 * (docs/cost.json): active wall times and CPU per request or step.
 */
export function cases(lives, a) {
  const step = perKind(lives)["step.do"];
  const noRequest = { ...step, workerRequests: 0, requests: 0 };
  const instance = lives["three steps"];
  const light = { activeMs: a.activeMsPerLightStep, workerCpuMs: 0 };
  const io = { activeMs: a.activeMsPerLightStep + 1000 + a.ioOverheadMsPerStep, workerCpuMs: 0 };
  return [
    { name: "step, CPU-light", cairn: cairnDollars(noRequest, light), workflows: workflowsDollars({ workerRequests: 0, invocations: 0, cpuMs: a.workflowsCpuMsPerStep }) },
    { name: "step, awaits 1 s of outside I/O", cairn: cairnDollars(noRequest, io), workflows: workflowsDollars({ workerRequests: 0, invocations: 0, cpuMs: a.workflowsCpuMsPerStep }) },
    {
      name: "three-step instance, CPU-light",
      cairn: cairnDollars(instance, { activeMs: a.activeMsPerInstance, workerCpuMs: a.workerCpuMsPerRequest }),
      workflows: workflowsDollars({ workerRequests: 1, invocations: 1, cpuMs: a.workerCpuMsPerRequest + 3 * a.workflowsCpuMsPerStep }),
    },
    {
      name: "three-step instance, each step awaits 1 s",
      cairn: cairnDollars(instance, { activeMs: a.activeMsPerInstance + 3 * (1000 + a.ioOverheadMsPerStep), workerCpuMs: a.workerCpuMsPerRequest }),
      workflows: workflowsDollars({ workerRequests: 1, invocations: 1, cpuMs: a.workerCpuMsPerRequest + 3 * a.workflowsCpuMsPerStep }),
    },
  ];
}

const usd = (x) => (x >= 0.995 ? `$${x.toFixed(2)}` : x >= 0.00995 ? `$${x.toFixed(2)}` : x > 0 ? `$${x.toPrecision(2)}` : "$0");

/** The dollars table of docs/cost.md. */
export function dollarsTable(lives, assumptions) {
  return table(
    ["per million", "Cairn", "of which rows written (SQLite + D1)", "of which DO duration", "Cloudflare Workflows", "Cairn ÷ Workflows"],
    cases(lives, assumptions).map((c) => {
      const cairn = total(c.cairn);
      const wf = total(c.workflows);
      return [
        c.name,
        usd(cairn),
        usd(c.cairn["SQLite rows written (+ setAlarm)"] + c.cairn["D1 rows"]),
        usd(c.cairn["DO duration"]),
        usd(wf),
        `${(cairn / wf).toFixed(0)}×`,
      ];
    }),
  );
}
