/**
 * Run by `npm start` before `wrangler dev`: creates .dev.vars from .dev.vars.example
 * with fresh random secrets if it does not exist yet, and says where the API token is.
 * Never overwrites a value in an existing .dev.vars; a secret the example has and it
 * lacks (one a newer version of Cairn added) is appended with a fresh value.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const file = path.resolve(".dev.vars");
const fresh = () => randomBytes(24).toString("base64url");
if (existsSync(file)) {
  const current = readFileSync(file, "utf8");
  const have = new Set([...current.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
  const wanted = [...readFileSync(path.resolve(".dev.vars.example"), "utf8").matchAll(/^([A-Z0-9_]+)=replace-me$/gm)].map((m) => m[1]);
  const missing = wanted.filter((name) => !have.has(name));
  if (missing.length > 0) {
    writeFileSync(file, `${current.replace(/\n?$/, "\n")}${missing.map((name) => `${name}=${fresh()}`).join("\n")}\n`, { mode: 0o600 });
    console.log(`Added to ${file}: ${missing.join(", ")} (fresh local values)`);
  }
  console.log(`Local secrets: ${file} (API_TOKEN is the bearer token for the API)`);
} else {
  const example = readFileSync(path.resolve(".dev.vars.example"), "utf8");
  writeFileSync(file, example.replace(/=replace-me$/gm, () => `=${fresh()}`), { mode: 0o600 });
  const token = /^API_TOKEN=(.*)$/m.exec(readFileSync(file, "utf8"))?.[1];
  console.log(`Created ${file} with fresh local secrets.`);
  console.log(`API token for this machine: ${token}`);
  console.log(`  export TOKEN=$(grep ^API_TOKEN= .dev.vars | cut -d= -f2)   # then: curl -H "authorization: Bearer $TOKEN" …`);
}
