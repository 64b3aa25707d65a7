/**
 * Order fulfilment: validate, charge the card (retried through payment-provider
 * outages, never retried for a decline), reserve stock, hold for the cancellation
 * window, then ship.
 *
 * The payment and warehouse calls are simulated so the example runs anywhere; the
 * `simulate` input makes the provider fail the first N attempts or decline the card.
 * The idempotency key shows how a real provider call stays safe when a step is
 * retried: instance id + step name + count never change for a step.
 */
import { z } from "zod";
import { NonRetryableError, defineWorkflow } from "../src/workflow.js";

const OrderInput = z.object({
  orderId: z.string().min(1).max(100),
  customer: z.string().min(1),
  items: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() })),
  /** Amount to charge, in cents. */
  amountCents: z.number().int(),
  /** How long a customer may cancel before the order ships. Default 10 seconds. */
  cancellationWindow: z.string().optional(),
  simulate: z.object({ paymentOutages: z.number().int().min(0).optional(), decline: z.boolean().optional() }).optional(),
});
export type OrderInput = z.infer<typeof OrderInput>;

export interface OrderOutput {
  orderId: string;
  chargeId: string;
  reservations: string[];
  trackingNumber: string;
}

export default defineWorkflow<OrderInput, OrderOutput>({
  name: "order-fulfilment",
  description: "Charge, reserve stock, wait out the cancellation window, ship.",
  version: "1",
  input: OrderInput,
  async run(event, step) {
    const order = event.payload;

    await step.do("validate order", () => {
      if (!order.items?.length) throw new NonRetryableError(`order ${order.orderId} has no items`, "InvalidOrder");
      if (!(order.amountCents > 0)) throw new NonRetryableError(`order ${order.orderId} has no amount to charge`, "InvalidOrder");
      return { items: order.items.length };
    });

    // Added after the first release. Instances whose journal was written before this
    // line existed replay without it (patched() is false for them); every other
    // instance screens the order. See "Changing a running workflow" in the README.
    if (await step.patched("fraud-screening")) {
      await step.do("screen for fraud", () => {
        if (order.amountCents > 1_000_000) throw new NonRetryableError(`order ${order.orderId} needs a manual fraud review`, "FraudReview");
        return { score: Math.min(99, Math.round(order.amountCents / 10_000)) };
      });
    }

    const charge = await step.do(
      "charge card",
      { retries: { limit: 4, delay: "1 second", backoff: "exponential" }, timeout: "30 seconds" },
      async ({ attempt, step: { name, count } }) => {
        const idempotencyKey = `${event.instanceId}/${name}/${count}`;
        if (attempt <= (order.simulate?.paymentOutages ?? 0)) {
          throw new Error(`payment provider unavailable (503) on attempt ${attempt}`);
        }
        if (order.simulate?.decline) throw new NonRetryableError(`card of ${order.customer} was declined`, "CardDeclined");
        return { chargeId: `ch_${idempotencyKey.replaceAll("/", "_")}`, amountCents: order.amountCents };
      },
    );

    const reservations = await step.do("reserve stock", () =>
      order.items.map((item) => `res_${order.orderId}_${item.sku}_${item.quantity}`),
    );

    await step.sleep("cancellation window", order.cancellationWindow ?? "10 seconds");

    const shipment = await step.do("ship", () => ({ trackingNumber: `TRK-${order.orderId}` }));

    return { orderId: order.orderId, chargeId: charge.chargeId, reservations, trackingNumber: shipment.trackingNumber };
  },
});
