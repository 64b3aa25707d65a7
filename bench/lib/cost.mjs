/**
 * The cost rung as Node drives it (`npm run bench -- --only cost`): the metered lives
 * (bench/worker/cost.ts), compared with what docs/cost.json states; the tables of
 * docs/cost.md (its generated section) and the chart docs/cost.png.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile } from "vega-lite";
import { cases, COUNT_HEADS, countsTable, dollarsTable, perKindTable, total } from "./cost-table.mjs";

const BEGIN = "<!-- cost:begin (generated from docs/cost.json by npm run bench -- --only cost; edits between these markers are replaced) -->";
const END = "<!-- cost:end -->";

/** Runs the lives once and checks them against the stated counts. */
export async function cost(host, o, progress, statedFile) {
  progress("cost: metered instance lives");
  const { lives, io, schema } = await host.call(`cost?ioSteps=${o.costIoSteps}&ioMs=${o.costIoMs}`);
  const stated = JSON.parse(readFileSync(statedFile, "utf8"));
  const above = [];
  const below = [];
  for (const [name, counts] of Object.entries(lives)) {
    for (const key of Object.keys(COUNT_HEADS)) {
      const limit = stated.lives[name]?.[key];
      if (limit === undefined || counts[key] > limit) above.push(`${name} ${key}: ${counts[key]} > ${limit}`);
      else if (counts[key] < limit) below.push(`${name} ${key}: ${counts[key]} < ${limit}`);
    }
  }
  return { lives, io, schema, above, below };
}

/** Text tables for stdout: measured counts, and what differs from docs/cost.json. */
export function costText(c) {
  const lines = ["Cost: one instance life, counted (bench/worker/cost.ts)", countsTable(c.lives), "", "What a step of each kind adds", perKindTable(c.lives)];
  lines.push("", `A new instance's schema: ${c.schema.rowsWritten} SQLite rows written, ${c.schema.rowsRead} read, ${c.schema.storageBytes} bytes`);
  lines.push(`Steps awaiting ${c.io.ioMs} ms of outside I/O: the object is active ${c.io.activeMsPerStep.toFixed(1)} ms a step (${c.io.overheadMsPerStep.toFixed(1)} ms beyond the wait; machine shared, a timing)`);
  lines.push(c.above.length ? `ABOVE docs/cost.json: ${c.above.join("; ")}` : "No count above docs/cost.json.");
  if (c.below.length) lines.push(`Below docs/cost.json (expected for a life stated at its worst timing; lower the number if it holds in every run): ${c.below.join("; ")}`);
  return lines.join("\n");
}

/** Rewrites the generated section of docs/cost.md from docs/cost.json. */
export function writeCostDocs(docFile, statedFile) {
  const stated = JSON.parse(readFileSync(statedFile, "utf8"));
  const body = [
    "**Every life, counted** (the most seen over repeated runs; docs/cost.json):",
    "",
    countsTable(stated.lives),
    "",
    "**What one step of each kind adds**, as differences between those lives:",
    "",
    perKindTable(stated.lives),
    "",
    "**USD per million**, past the Workers Paid plan's monthly allotments:",
    "",
    dollarsTable(stated.lives, stated.assumptions),
  ].join("\n");
  const doc = readFileSync(docFile, "utf8");
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${docFile} lacks the cost markers`);
  writeFileSync(docFile, `${doc.slice(0, start + BEGIN.length)}\n${body}\n${doc.slice(end)}`);
}

/** docs/cost.png: each case's dollars per million, Cairn's by bill line next to Cloudflare Workflows'. */
export async function writeCostChart(statedFile, file) {
  const stated = JSON.parse(readFileSync(statedFile, "utf8"));
  const values = cases(stated.lives, stated.assumptions).flatMap((c) => [
    ...Object.entries(c.cairn).map(([line, usd]) => ({ case: c.name, engine: "Cairn", line, usd })),
    { case: c.name, engine: "Cloudflare Workflows", line: "Workflows (requests + CPU)", usd: total(c.workflows) },
  ]);
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "USD per million, at Cloudflare's published prices (past the plan's allotments)", fontSize: 15 },
    background: "white",
    data: { values },
    facet: { row: { field: "case", type: "nominal", title: null, header: { labelAngle: 0, labelOrient: "top", labelAnchor: "start", labelAlign: "left", labelFontSize: 13, labelFontWeight: "bold" }, sort: null } },
    spec: {
      width: 560,
      height: 46,
      mark: "bar",
      encoding: {
        y: { field: "engine", type: "nominal", title: null, axis: { labelFontSize: 12, labelLimit: 220 } },
        x: { field: "usd", type: "quantitative", aggregate: "sum", title: "USD per million", axis: { format: "$,.2f" } },
        color: { field: "line", type: "nominal", title: null, legend: { orient: "bottom", columns: 2, labelLimit: 400 } },
      },
    },
    resolve: { scale: { x: "independent" } },
    config: { font: "DejaVu Sans", axis: { labelFontSize: 12, titleFontSize: 12 }, legend: { labelFontSize: 12 } },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { fitTo: { mode: "zoom", value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } }).render().asPng();
  writeFileSync(file, png);
}
