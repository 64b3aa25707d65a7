/** `step.webhook`: a signed URL minted once and journaled, so every replay returns the same one. */
import type { StepOp } from "../call.js";
import { toMs } from "../durations.js";
import { InvalidStepError, toErrorRecord } from "../errors.js";
import { parseResult } from "../serialize.js";
import type { WebhookHandle, WebhookOptions } from "../types.js";
import { MAX_EVENT_TYPE_LENGTH } from "./event.js";

export const DEFAULT_WEBHOOK_EXPIRY = "7 days";
export const DEFAULT_WEBHOOK_EVENT_TYPE = "webhook";

export function webhookOp(name: string, options: WebhookOptions): StepOp<WebhookHandle> {
  const eventType = options.eventType ?? DEFAULT_WEBHOOK_EVENT_TYPE;
  if (typeof eventType !== "string" || eventType.length === 0 || eventType.length > MAX_EVENT_TYPE_LENGTH) {
    throw new InvalidStepError(`step.webhook("${name}") needs an eventType of 1 to ${MAX_EVENT_TYPE_LENGTH} characters, got ${JSON.stringify(eventType)}`);
  }
  const expiresInMs = toMs(options.expiresIn ?? DEFAULT_WEBHOOK_EXPIRY, `step "${name}" expiresIn`);
  return {
    kind: "webhook",
    name,
    decode: (record) => parseResult(record.result) as WebhookHandle,
    run(call) {
      const { engine } = call;
      const mint = engine.services.mintWebhook;
      if (!mint) throw new InvalidStepError(`step.webhook("${name}") is not available here: the host gave no webhook signer`);
      // Journaled once minted: a replay before that mints again, which costs nothing.
      const now = engine.clock.now();
      call.open({ attempts: 1 }, { save: false });
      const expiresAt = now + expiresInMs;
      const done = engine.busy();
      mint({ eventType, expiresAt, ...(options.verify && { verifyWith: options.verify.standardWebhooks }) }).then(
        ({ url, token }) => {
          const handle: WebhookHandle = { url, token, expiresAt: new Date(expiresAt).toISOString(), eventType };
          call.completeWith(handle, JSON.stringify(handle));
          done();
        },
        (error: unknown) => {
          call.fail(toErrorRecord(error, "WEBHOOK_FAILED"));
          done();
        },
      );
    },
  };
}
