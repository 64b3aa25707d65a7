/**
 * Run by `npm start` before `wrangler dev`: creates .dev.vars from .dev.vars.example
 * with fresh random secrets if it does not exist yet, and says where the API token is.
 * Never overwrites an existing .dev.vars.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const file = path.resolve(".dev.vars");
if (existsSync(file)) {
  console.log(`Local secrets: ${file} (API_TOKEN is the bearer token for the API)`);
} else {
  const example = readFileSync(path.resolve(".dev.vars.example"), "utf8");
  writeFileSync(file, example.replace(/=replace-me$/gm, () => `=${randomBytes(24).toString("base64url")}`), { mode: 0o600 });
  const token = /^API_TOKEN=(.*)$/m.exec(readFileSync(file, "utf8"))?.[1];
  console.log(`Created ${file} with fresh local secrets.`);
  console.log(`API token for this machine: ${token}`);
  console.log(`  export TOKEN=$(grep ^API_TOKEN= .dev.vars | cut -d= -f2)   # then: curl -H "authorization: Bearer $TOKEN" …`);
}
