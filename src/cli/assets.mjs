/**
 * Wrangler's build step (`[build]` in wrangler.toml, run by `wrangler dev`, `wrangler
 * deploy` and `npm start`): copies Swagger UI's browser bundle and stylesheet from
 * the `swagger-ui-dist` package into public/docs/, which Workers Static Assets serve
 * at /docs/… before the Worker runs. They are 1.9 MB the Worker's bundle no longer
 * carries (loaded on every cold start), and requests for them are free.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const FILES = ["swagger-ui-bundle.js", "swagger-ui.css"];

const from = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const to = path.join(ROOT, "public", "docs");
mkdirSync(to, { recursive: true });
for (const file of FILES) copyFileSync(path.join(from, file), path.join(to, file));
