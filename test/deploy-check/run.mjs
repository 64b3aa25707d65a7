/**
 * `npm run test:deploy-check`: the deploy check against a local Cairn (`wrangler dev`,
 * started and stopped here). Instances of two workflows are left open (approvals
 * waiting for a decision, one of them paused; orders sleeping through their
 * cancellation window), then `check:deploy` runs against:
 *   1. the working tree as it is: every instance replays, exit 0;
 *   2. approval with the step before its wait renamed: exit 1, each approval named
 *      with the divergent step, the orders still clean;
 *   3. the same rename behind `step.patched`: exit 0;
 * and `--save` writes each journal as a golden file the golden test can read.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startCairn } from "../browser/cairn-server.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const started = Date.now();
const log = (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);

/** A registry like workflows/index.ts with approval's code changed by `edit`. */
function variant(dir, name, edit) {
  const source = readFileSync(path.join(ROOT, "workflows/approval.ts"), "utf8").replace('"../src/workflow.js"', JSON.stringify(path.join(ROOT, "src/workflow.ts")));
  const changed = edit(source);
  assert.notEqual(changed, source, `the ${name} edit changed nothing`);
  writeFileSync(path.join(dir, `${name}-approval.ts`), changed);
  const index = path.join(dir, `${name}-index.ts`);
  writeFileSync(
    index,
    [
      `import { registry } from ${JSON.stringify(path.join(ROOT, "src/workflow.ts"))};`,
      `import { workflows as product } from ${JSON.stringify(path.join(ROOT, "workflows/index.ts"))};`,
      `import approval from "./${name}-approval.ts";`,
      `export const workflows = registry(...Object.values(product).filter((w) => w.name !== "approval"), approval);`,
    ].join("\n"),
  );
  return index;
}

const RENAMED = (source) => source.replace('step.do("notify approver", () => ({', 'step.do("notify the approver", () => ({');
const PATCHED = (source) =>
  source.replace(
    /await step\.do\("notify approver", \(\) => \(\{([\s\S]*?)\}\)\);/,
    (_, body) =>
      `const notice = () => ({${body}});\n    if (await step.patched("notify-v2")) await step.do("notify the approver", notice);\n    else await step.do("notify approver", notice);`,
  );

function check(cairn, extra) {
  const result = spawnSync(process.execPath, [path.join(ROOT, "src/cli/check-deploy.mjs"), "--url", cairn.url, "--token", cairn.tokens.readonly, "--concurrency", "3", ...extra], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), "cairn-deploy-check-"));
const cairn = await startCairn();
log(`Cairn at ${cairn.url}`);
try {
  const call = async (method, route, body) => {
    const res = await fetch(`${cairn.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${cairn.tokens.full}`, ...(body && { "content-type": "application/json" }) },
      ...(body && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${route}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  const waitFor = async (id, status) => {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      if ((await call("GET", `/api/instances/${id}`)).status === status) return;
    }
    throw new Error(`${id} is not ${status} after 30 s`);
  };
  const approvals = ["dc-approval-1", "dc-approval-2", "dc-approval-3"];
  const orders = ["dc-order-1", "dc-order-2"];
  for (const id of approvals) await call("POST", "/api/workflows/approval/instances", { id, input: { request: `desk ${id}`, amountCents: 100, approver: "dana" } });
  for (const id of orders) {
    await call("POST", "/api/workflows/order-fulfilment/instances", {
      id,
      input: { orderId: id, customer: "ada", items: [{ sku: "book", quantity: 1 }], amountCents: 2_500, cancellationWindow: "1 hour" },
    });
  }
  // Finished instances are not checked: this one completes.
  await call("POST", "/api/workflows/shipping-quotes/instances", { id: "dc-done", input: { parcel: { weightGrams: 500, from: "NL", to: "BE" } } });
  for (const id of [...approvals, ...orders]) await waitFor(id, "waiting");
  await call("POST", `/api/instances/${approvals[2]}/pause`);
  await waitFor("dc-done", "completed");
  // The index lags the instances by moments.
  for (const deadline = Date.now() + 15_000; ; await new Promise((r) => setTimeout(r, 200))) {
    const page = await call("GET", "/api/instances?status=waiting&status=paused&limit=100");
    if (page.instances.length >= 5) break;
    assert.ok(Date.now() < deadline, `the index lists ${page.instances.length} open instances, not 5`);
  }
  log("5 instances open (3 approvals, one paused; 2 orders sleeping)");

  const saved = path.join(tmp, "golden");
  const unchanged = check(cairn, ["--save", saved]);
  log(`unchanged code: exit ${unchanged.code}\n${unchanged.out}`);
  assert.equal(unchanged.code, 0, unchanged.err);
  assert.match(unchanged.out, /✓ approval: 3 of 3 open instances replay cleanly/);
  assert.match(unchanged.out, /✓ order-fulfilment: 2 of 2 open instances replay cleanly/);
  assert.doesNotMatch(unchanged.out, /shipping-quotes/);
  assert.match(unchanged.err, /checked 5 of 5 open instances/);
  const files = readdirSync(saved).sort();
  assert.deepEqual(files, [...approvals.map((id) => `approval--${id}.json`), ...orders.map((id) => `order-fulfilment--${id}.json`)].sort());
  const golden = JSON.parse(readFileSync(path.join(saved, `approval--${approvals[0]}.json`), "utf8"));
  assert.equal(golden.format, "cairn.journal");
  assert.deepEqual(golden.steps.map((s) => [s.name, s.status]), [["notify approver", "completed"], ["wait for decision", "waiting"]]);

  const renamed = check(cairn, ["--workflows", variant(tmp, "renamed", RENAMED)]);
  log(`renamed step: exit ${renamed.code}\n${renamed.out}`);
  assert.equal(renamed.code, 1, renamed.err);
  assert.match(renamed.out, /✗ approval: 0 of 3 open instances replay cleanly, 3 would break/);
  for (const id of approvals) {
    assert.ok(
      renamed.out.includes(`${id}: step call #1 is do "notify approver" (#1) in the journal, but the code now calls do "notify the approver" (#1)`),
      `${id} is named with its divergence`,
    );
  }
  assert.match(renamed.out, /✓ order-fulfilment: 2 of 2/);
  assert.match(renamed.out, /step\.patched/);

  const onlyOrders = check(cairn, ["--workflows", variant(tmp, "renamed2", RENAMED), "--workflow", "order-fulfilment"]);
  assert.equal(onlyOrders.code, 0, `--workflow limits the check: ${onlyOrders.out}`);
  assert.doesNotMatch(onlyOrders.out, /approval/);

  const patched = check(cairn, ["--workflows", variant(tmp, "patched", PATCHED)]);
  log(`rename behind step.patched: exit ${patched.code}\n${patched.out}`);
  assert.equal(patched.code, 0, patched.err);
  assert.match(patched.out, /✓ approval: 3 of 3 open instances replay cleanly/);

  const unreachable = check({ url: "http://127.0.0.1:9", tokens: { readonly: "x" } }, []);
  assert.equal(unreachable.code, 2, "an unreachable Cairn is an error, not a pass");
  log("deploy check: all passed");
} finally {
  await cairn.stop();
  rmSync(tmp, { recursive: true, force: true });
}
