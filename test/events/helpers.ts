/**
 * Helpers of the named-event tests: publishing, signing provider deliveries, and
 * reading a correlation object.
 */
import { SELF, env } from "cloudflare:test";
import { api } from "../helpers.js";

export async function publish(event: { name: string; data?: unknown; id?: string; key?: string }) {
  const res = await api("/api/events", { method: "POST", json: event });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

export function correlation(name: string, key: string) {
  return env.CORRELATION.get(env.CORRELATION.idFromName(JSON.stringify([name, key])));
}

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A Stripe delivery of `event`, signed as Stripe signs (`t.body`), at `at` (unix seconds, default now). */
export async function stripeDelivery(event: unknown, { secret = "whsec_test_new_secret", at = Math.floor(Date.now() / 1000) } = {}) {
  const body = JSON.stringify(event);
  const signature = `t=${at},v1=${await hmacHex(secret, `${at}.${body}`)}`;
  return { body, headers: { "content-type": "application/json", "stripe-signature": signature } };
}

export async function githubDelivery(event: unknown, kind: string, delivery: string, secret = "github-test-secret") {
  const body = JSON.stringify(event);
  return {
    body,
    headers: { "content-type": "application/json", "x-github-event": kind, "x-github-delivery": delivery, "x-hub-signature-256": `sha256=${await hmacHex(secret, body)}` },
  };
}

export async function deliver(provider: string, delivery: { body: string; headers: Record<string, string> }) {
  const res = await SELF.fetch(`http://cairn.test/hooks/providers/${provider}`, { method: "POST", body: delivery.body, headers: delivery.headers });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** A payment_intent.succeeded event as Stripe sends it (the parts Cairn reads). */
export function paymentSucceeded(eventId: string, intentId: string, amount = 4_200) {
  return { id: eventId, object: "event", type: "payment_intent.succeeded", data: { object: { id: intentId, object: "payment_intent", amount_received: amount, currency: "eur" } } };
}
