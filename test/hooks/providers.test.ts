/**
 * Provider webhooks at one endpoint (`POST /hooks/providers/:name`): the signature
 * schemes against documented and independently computed vectors, and the Stripe
 * checkout end to end: a signed payment_intent.succeeded wakes exactly the checkout
 * waiting for that payment intent; the same delivery again is a duplicate; a forged
 * or stale one is refused and stores nothing.
 */
import { describe, expect, it } from "vitest";
import { verifyGitHub, verifyStripe } from "../../src/hooks/providers/signatures.js";
import { read, start, uniqueId, waitForStatus, waitUntil } from "../helpers.js";
import { correlation, deliver, githubDelivery, paymentSucceeded, stripeDelivery } from "../events/helpers.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("signature schemes", () => {
  it("GitHub: the documented test vector verifies, and a changed body or secret does not", async () => {
    // docs.github.com, "Validating webhook deliveries": secret, payload and signature given there.
    const headers = new Headers({ "x-hub-signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" });
    expect(await verifyGitHub(headers, bytes("Hello, World!"), ["It's a Secret to Everybody"])).toEqual({ ok: true });
    expect((await verifyGitHub(headers, bytes("Hello, World?"), ["It's a Secret to Everybody"])).ok).toBe(false);
    expect((await verifyGitHub(headers, bytes("Hello, World!"), ["another secret"])).ok).toBe(false);
    // During a rotation either secret verifies.
    expect(await verifyGitHub(headers, bytes("Hello, World!"), ["the new one", "It's a Secret to Everybody"])).toEqual({ ok: true });
    expect((await verifyGitHub(new Headers({ "x-hub-signature-256": "sha1=757107ea" }), bytes("Hello, World!"), ["x"])).ok).toBe(false);
  });

  it("Stripe: HMAC-SHA256 of `t.body` (computed apart with Python's hmac), within 5 minutes of t", async () => {
    const body = bytes('{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1"}}}');
    const t = 1767225600; // 2026-01-01T00:00:00Z
    const header = `t=${t},v1=fc281b995f6bd4d7025f055dbe43b52376bdef0115410d9e0d2a40dfe12835df,v0=ignored`;
    const at = (seconds: number) => seconds * 1000;
    expect(await verifyStripe(new Headers({ "stripe-signature": header }), body, ["whsec_test_new_secret"], at(t + 10))).toEqual({ ok: true });
    // A roll: the old secret first, the new one matches.
    expect(await verifyStripe(new Headers({ "stripe-signature": header }), body, ["whsec_test_old_secret", "whsec_test_new_secret"], at(t))).toEqual({ ok: true });
    expect(await verifyStripe(new Headers({ "stripe-signature": header }), body, ["whsec_test_new_secret"], at(t + 301))).toMatchObject({ ok: false, stale: true });
    expect(await verifyStripe(new Headers({ "stripe-signature": header }), body, ["whsec_other"], at(t))).toMatchObject({ ok: false, reason: "no v1 signature matches" });
    expect((await verifyStripe(new Headers({ "stripe-signature": header.replace(`t=${t}`, `t=${t + 1}`) }), body, ["whsec_test_new_secret"], at(t))).ok).toBe(false);
    expect((await verifyStripe(new Headers({ "stripe-signature": `t=${t}` }), body, ["whsec_test_new_secret"], at(t))).ok).toBe(false);
    expect((await verifyStripe(new Headers(), body, ["whsec_test_new_secret"], at(t))).ok).toBe(false);
  });
});

describe("POST /hooks/providers/stripe", () => {
  async function checkoutWaiting(intent: string) {
    const id = uniqueId("checkout");
    await start("checkout", { id, input: { orderId: `O-${id}`, amountCents: 4_200, paymentIntentId: intent } });
    await waitUntil(id, (view) => view.waitingFor?.kind === "event", "waiting for its payment");
    return id;
  }

  it("wakes exactly the checkout waiting for that payment intent; the same delivery again is a duplicate", async () => {
    const tag = uniqueId("pi").replaceAll(/[^A-Za-z0-9]/g, "_");
    const [mine, other] = [`pi_${tag}_a`, `pi_${tag}_b`];
    const waiting = await checkoutWaiting(mine);
    const bystander = await checkoutWaiting(other);

    const delivery = await stripeDelivery(paymentSucceeded(`evt_${tag}`, mine));
    const first = await deliver("stripe", delivery);
    expect(first).toMatchObject({ status: 202, body: { accepted: true, duplicate: false, id: `evt_${tag}`, delivered: 1, buffered: false } });

    const paid = await waitForStatus(waiting, "completed");
    expect(paid.output).toMatchObject({ status: "paid", paymentIntent: mine, amountReceived: 4_200, eventId: `evt_${tag}` });
    expect((await read(bystander)).status).toBe("waiting");

    // Stripe retries a delivery it thinks failed: the same event id changes nothing.
    const again = await deliver("stripe", await stripeDelivery(paymentSucceeded(`evt_${tag}`, mine)));
    expect(again).toMatchObject({ status: 202, body: { accepted: true, duplicate: true, delivered: 0 } });
    expect((await read(waiting)).steps.filter((s) => s.name === "payment succeeded")).toHaveLength(1);
    expect((await read(bystander)).status).toBe("waiting");
  });

  it("refuses a forged signature, a stale timestamp and an unsigned delivery, and stores nothing", async () => {
    const tag = uniqueId("pi").replaceAll(/[^A-Za-z0-9]/g, "_");
    const intent = `pi_${tag}`;
    const waiting = await checkoutWaiting(intent);
    const event = paymentSucceeded(`evt_${tag}`, intent);

    const forged = await deliver("stripe", await stripeDelivery(event, { secret: "whsec_guessed" }));
    expect(forged).toMatchObject({ status: 401, body: { code: "BAD_SIGNATURE" } });
    const tampered = await stripeDelivery(event);
    const changed = await deliver("stripe", { ...tampered, body: tampered.body.replace("4200", "1") });
    expect(changed).toMatchObject({ status: 401, body: { code: "BAD_SIGNATURE" } });
    const stale = await deliver("stripe", await stripeDelivery(event, { at: Math.floor(Date.now() / 1000) - 600 }));
    expect(stale).toMatchObject({ status: 401, body: { code: "SIGNATURE_STALE" } });
    const unsigned = await deliver("stripe", { body: JSON.stringify(event), headers: { "content-type": "application/json" } });
    expect(unsigned).toMatchObject({ status: 401, body: { code: "BAD_SIGNATURE" } });

    expect(await correlation("payment_intent.succeeded", intent).state()).toMatchObject({ seen: 0, buffered: [] });
    expect((await read(waiting)).status).toBe("waiting");

    // Signed with the old secret of the roll: accepted, and the one event wakes the checkout.
    expect(await deliver("stripe", await stripeDelivery(event, { secret: "whsec_test_old_secret" }))).toMatchObject({ status: 202, body: { duplicate: false } });
    expect((await waitForStatus(waiting, "completed")).output).toMatchObject({ status: "paid", paymentIntent: intent });
  });

  it("keeps a payment that comes before the checkout waits, and hands it over when it does", async () => {
    const tag = uniqueId("pi").replaceAll(/[^A-Za-z0-9]/g, "_");
    const intent = `pi_${tag}`;
    expect(await deliver("stripe", await stripeDelivery(paymentSucceeded(`evt_${tag}`, intent, 990)))).toMatchObject({ status: 202, body: { buffered: true } });
    const id = uniqueId("checkout-late");
    await start("checkout", { id, input: { orderId: "O-late", amountCents: 990, paymentIntentId: intent } });
    expect((await waitForStatus(id, "completed")).output).toMatchObject({ status: "paid", amountReceived: 990 });
    expect(await correlation("payment_intent.succeeded", intent).state()).toMatchObject({ buffered: [], pending: 0, registrations: [] });
  });
});

describe("other providers", () => {
  it("GitHub: a signed pull_request delivery is accepted once, a ping is ignored, a bad signature refused", async () => {
    const delivery = uniqueId("gh-delivery");
    const pr = { action: "opened", number: 7, pull_request: { html_url: `https://github.com/acme/app/pull/${delivery}` }, repository: { full_name: "acme/app" } };
    const first = await deliver("github", await githubDelivery(pr, "pull_request", delivery));
    expect(first).toMatchObject({ status: 202, body: { accepted: true, duplicate: false, id: delivery, buffered: true } });
    expect(await correlation("pull_request.opened", pr.pull_request.html_url).state()).toMatchObject({ buffered: [delivery] });
    // A redelivery from GitHub's settings keeps the delivery id.
    expect(await deliver("github", await githubDelivery(pr, "pull_request", delivery))).toMatchObject({ status: 202, body: { duplicate: true } });
    expect(await deliver("github", await githubDelivery({ zen: "Keep it logically awesome." }, "ping", uniqueId("ping")))).toMatchObject({ status: 202, body: { ignored: true } });
    expect(await deliver("github", await githubDelivery(pr, "pull_request", uniqueId("x"), "wrong-secret"))).toMatchObject({ status: 401, body: { code: "BAD_SIGNATURE" } });
  });

  it("Standard Webhooks: verified with either secret of a rotation; a stale one is refused as stale", async () => {
    const send = async (id: string, timestamp: number, secretText: string) => {
      const body = JSON.stringify({ type: "test.invoice.paid", data: { orderId: `inv-${id}` } });
      const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secretText), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`)));
      const signature = `v1,${btoa(String.fromCharCode(...mac))}`;
      return deliver("test-billing", { body, headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature } });
    };
    const now = Math.floor(Date.now() / 1000);
    const id = uniqueId("msg");
    expect(await send(id, now, "old-provider-secret")).toMatchObject({ status: 202, body: { id, buffered: true } });
    expect(await send(uniqueId("msg"), now, "new-provider-secret")).toMatchObject({ status: 202 });
    expect(await send(uniqueId("msg"), now - 3_600, "new-provider-secret")).toMatchObject({ status: 401, body: { code: "SIGNATURE_STALE" } });
    expect(await send(uniqueId("msg"), now, "not-the-secret")).toMatchObject({ status: 401, body: { code: "BAD_SIGNATURE" } });
  });

  it("answers 404 PROVIDER_NOT_FOUND for a provider not configured", async () => {
    const res = await deliver("paypal", { body: "{}", headers: { "content-type": "application/json" } });
    expect(res).toMatchObject({ status: 404, body: { code: "PROVIDER_NOT_FOUND" } });
  });
});
