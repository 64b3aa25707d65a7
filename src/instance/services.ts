/**
 * What the object lends the engine: signing webhook URLs for `step.webhook` and
 * starting children for `step.child`.
 */
import { NonRetryableError, type Services } from "../engine/index.js";
import type { Env } from "../env.js";
import { signHookToken } from "../hooks/token.js";
import type { WorkflowRegistry } from "../workflow.js";
import { startChild } from "./family.js";
import type { InstanceRow } from "./view.js";

export function servicesFor(env: Env, registry: WorkflowRegistry, row: InstanceRow): Services {
  return {
    mintWebhook: (claims) => mintWebhook(env, row, claims),
    startChild: (child) => startChild(env, registry, row, child),
  };
}

/**
 * Signs a webhook URL for `step.webhook`, bound to this instance's generation. Its
 * base is PUBLIC_URL, else the origin the instance (or its schedule) was started
 * from; with neither, the URL is a path (`/hooks/<token>`) and a warning says to set
 * PUBLIC_URL: a made-up host would send the provider elsewhere.
 */
async function mintWebhook(env: Env, row: InstanceRow, claims: { eventType: string; expiresAt: number; verifyWith?: string }) {
  const secret = env.WEBHOOK_SECRET;
  if (!secret) {
    throw new NonRetryableError("step.webhook needs a signing secret: run `npx wrangler secret put WEBHOOK_SECRET` (locally: put it in .dev.vars)", "WebhookSecretMissing");
  }
  const token = await signHookToken(secret, { instanceId: row.id, ...claims, ...(row.generation !== null && { generation: row.generation }) });
  const base = (env.PUBLIC_URL || row.origin || "").replace(/\/+$/, "");
  if (!base) console.warn(`instance ${row.id}: step.webhook made a URL without a host: set PUBLIC_URL to the address the outside world reaches Cairn at`);
  return { url: `${base}/hooks/${token}`, token };
}
