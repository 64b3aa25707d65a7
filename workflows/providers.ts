/**
 * The webhook providers this deployment accepts, each at `POST /hooks/providers/<name>`
 * (see the README's "Events and provider webhooks"). A verified delivery becomes a
 * named event: it starts the workflows that declare it as a trigger and reaches the
 * waits that match its key.
 */
import { defineProviders, github, stripe } from "../src/hooks/providers/provider.js";

export const providers = defineProviders({
  // Secret: the endpoint's signing secret (whsec_…), in STRIPE_WEBHOOK_SECRET.
  stripe: stripe(),
  // Secret: the hook's secret, in GITHUB_WEBHOOK_SECRET.
  github: github(),
});
