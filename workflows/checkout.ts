/**
 * A checkout that waits for Stripe: it opens a payment intent for the order, then
 * waits for Stripe's `payment_intent.succeeded` for that intent, delivered to
 * `POST /hooks/providers/stripe` (workflows/providers.ts). The webhook names no
 * instance: the event's key (the intent's id) finds the wait by correlation, so
 * each checkout wakes on its own payment and no other. Unpaid within the timeout,
 * the order is released.
 *
 * The payment intent is simulated here (its id is `paymentIntentId` when given,
 * e.g. one your storefront created, else one derived from the instance id); in a
 * real deployment the step calls Stripe's API with the instance id as the
 * idempotency key.
 */
import { z } from "zod";
import { defineWorkflow } from "../src/workflow.js";

const Input = z.object({
  orderId: z.string().min(1).max(100),
  amountCents: z.number().int().positive(),
  currency: z.string().length(3).default("eur"),
  paymentIntentId: z.string().regex(/^pi_[A-Za-z0-9_]{1,100}$/).optional(),
  /** How long to wait for the payment. */
  payWithin: z.string().default("1 hour"),
});

/** The part of Stripe's PaymentIntent object the checkout reads. */
interface PaymentIntent {
  id: string;
  amount_received?: number;
  currency?: string;
}

export default defineWorkflow<z.input<typeof Input>>({
  name: "checkout",
  description: "Opens a payment intent, waits for Stripe's payment_intent.succeeded for it, then confirms the order.",
  version: "1",
  input: Input,
  async run(event, step) {
    const { orderId, amountCents, currency, paymentIntentId, payWithin } = Input.parse(event.payload);

    const intent = await step.do("create payment intent", () => ({
      id: paymentIntentId ?? `pi_${event.instanceId.replaceAll(/[^A-Za-z0-9]/g, "_").slice(0, 90)}`,
      amountCents,
      currency,
    }));

    try {
      const paid = await step.waitForEvent<PaymentIntent>("payment succeeded", {
        type: "payment_intent.succeeded",
        match: { field: "data.id", equals: intent.id },
        timeout: payWithin,
      });
      const confirmation = await step.do("confirm order", () => ({ orderId, confirmedAt: paid.timestamp }));
      return { orderId, status: "paid", paymentIntent: intent.id, amountReceived: paid.payload.amount_received ?? null, eventId: paid.id, confirmedAt: confirmation.confirmedAt };
    } catch (error) {
      if ((error as { code?: string }).code !== "EVENT_TIMEOUT") throw error;
      await step.do("release order", () => ({ orderId, released: true }));
      return { orderId, status: "unpaid", paymentIntent: intent.id };
    }
  },
});
