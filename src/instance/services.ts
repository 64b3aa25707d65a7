/**
 * What the object lends the engine: signing webhook URLs for `step.webhook` and
 * starting children for `step.child`.
 */
import { NonRetryableError, type Services } from "../engine/index.js";
import type { Env } from "../env.js";
import { signHookToken } from "../hooks/token.js";
import type { WorkflowRegistry } from "../workflow.js";
import { correlationServices } from "./correlate.js";
import { startChild } from "./family.js";
import type { InstanceRow } from "./view.js";

export function servicesFor(env: Env, registry: WorkflowRegistry, row: InstanceRow): Services {
  return {
    mintWebhook: (claims) => mintWebhook(env, row, claims),
    startChild: (child) => startChild(env, registry, row, child),
    ...correlationServices(env, row.id),
  };
}

/** Signs a webhook URL for `step.webhook`; its base is PUBLIC_URL, else the origin the instance was started from. */
async function mintWebhook(env: Env, row: InstanceRow, claims: { eventType: string; expiresAt: number; verifyWith?: string }) {
  const secret = env.WEBHOOK_SECRET;
  if (!secret) {
    throw new NonRetryableError("step.webhook needs a signing secret: run `npx wrangler secret put WEBHOOK_SECRET` (locally: put it in .dev.vars)", "WebhookSecretMissing");
  }
  const token = await signHookToken(secret, { instanceId: row.id, ...claims });
  const base = (env.PUBLIC_URL || row.origin || "http://localhost:8787").replace(/\/+$/, "");
  return { url: `${base}/hooks/${token}`, token };
}
