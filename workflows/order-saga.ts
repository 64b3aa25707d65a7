/**
 * An order as a saga: charge the card, reserve the stock, book the shipment. When
 * a later step fails for good (the carrier refuses the parcel), the earlier steps
 * are undone in reverse: the reservation released, then the charge refunded. Each
 * undo is a journaled step, retried until it succeeds.
 *
 * Payments, stock and carrier are simulated; `simulate.carrierRefuses` makes the
 * shipment fail.
 */
import { z } from "zod";
import { NonRetryableError, defineWorkflow } from "../src/workflow.js";

const Input = z.object({
  orderId: z.string().min(1).max(100),
  amountCents: z.number().int().positive(),
  sku: z.string().min(1),
  simulate: z.object({ carrierRefuses: z.boolean().optional() }).optional(),
});

export default defineWorkflow<z.infer<typeof Input>>({
  name: "order-saga",
  description: "Charge, reserve, ship; refund and release when shipping fails.",
  version: "1",
  input: Input,
  async run(event, step) {
    const { orderId, amountCents, sku } = event.payload;

    const charge = await step.do(
      "charge card",
      { retries: { limit: 3, delay: "5 seconds" } },
      ({ step: s }) => ({ chargeId: `ch_${event.instanceId}_${s.count}`, amountCents }),
      { rollback: ({ result }) => ({ refundId: `re_${result.chargeId}`, amountCents: result.amountCents }) },
    );

    const reservation = await step.do("reserve stock", () => ({ reservationId: `res_${orderId}_${sku}` }), {
      rollback: ({ result }) => ({ released: result.reservationId }),
    });

    const shipment = await step.do("book shipment", { retries: { limit: 2, delay: "10 seconds" } }, () => {
      if (event.payload.simulate?.carrierRefuses) throw new NonRetryableError(`the carrier refused order ${orderId}`, "CarrierRefused");
      return { tracking: `TRK-${orderId}` };
    });

    return { orderId, chargeId: charge.chargeId, reservationId: reservation.reservationId, tracking: shipment.tracking };
  },
});
