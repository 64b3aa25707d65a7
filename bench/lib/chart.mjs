/**
 * The chart of docs/benchmarks.md: W1's time per step against the chain length,
 * one line per engine, log–log. A vega-lite spec, rendered to SVG by vega's
 * headless View, then to PNG by resvg.
 */
import { writeFileSync } from "node:fs";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile } from "vega-lite";

const LABELS = { cairn: "Cairn", cloudflare: "Cloudflare Workflows (local engine)", floor: "Floor: raw SQLite Durable Object" };

export async function writeChart(w1, engines, file) {
  const values = w1.sizes.flatMap((s) => engines.filter((e) => s[e]).map((e) => ({ n: s.n, engine: LABELS[e], usPerStep: s[e].usPerStep })));
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "W1: time per step of a sequential chain (median of rounds)", fontSize: 15 },
    width: 640,
    height: 380,
    background: "white",
    data: { values },
    mark: { type: "line", point: { size: 60, filled: true }, strokeWidth: 2.5 },
    encoding: {
      x: { field: "n", type: "quantitative", scale: { type: "log" }, title: "steps in the chain (N)", axis: { values: w1.sizes.map((s) => s.n), format: "," } },
      y: { field: "usPerStep", type: "quantitative", scale: { type: "log" }, title: "µs per step (end-to-end ÷ N)", axis: { format: "~s" } },
      color: {
        field: "engine",
        type: "nominal",
        scale: { domain: engines.map((e) => LABELS[e]), range: ["#d9480f", "#1c7ed6", "#495057"].slice(0, engines.length) },
        legend: { orient: "top", title: null, labelLimit: 400, columns: 1 },
      },
    },
    config: { font: "DejaVu Sans", axis: { labelFontSize: 12, titleFontSize: 13 }, legend: { labelFontSize: 13 } },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { fitTo: { mode: "zoom", value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } }).render().asPng();
  writeFileSync(file, png);
}
