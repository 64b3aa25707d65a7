/**
 * Webhook providers, configured in code (`workflows/providers.ts`): each is reached
 * at `POST /hooks/providers/<name>`, says how its deliveries are signed and where
 * its secret is, and how a verified delivery reads as a named event (name, id for
 * dedupe, correlation key, data). `stripe()` and `github()` are ready-made.
 *
 * @example
 * export const providers = defineProviders({
 *   stripe: stripe(),                                          // secret in STRIPE_WEBHOOK_SECRET
 *   github: github({ secret: "GH_HOOK_SECRET" }),
 *   billing: { signature: "standard-webhooks", secret: "BILLING_WEBHOOK_SECRET",
 *              event: ({ body }) => ({ name: body.type, id: body.id, key: body.data.invoiceId, data: body.data }) },
 * });
 */

export type SignatureScheme = "stripe" | "github" | "standard-webhooks";

/** A delivery whose signature verified. */
export interface Delivery {
  /** The JSON body, parsed. */
  body: any;
  headers: Headers;
  /** The delivery id the signature scheme carries (Standard Webhooks' `webhook-id`), if any. */
  signedId?: string;
}

/** A delivery as a named event (see `POST /api/events`). */
export interface ProviderEvent {
  name: string;
  /** The provider's id of the event or delivery: a repeat with the same id is a duplicate. */
  id: string;
  /** The correlation key waits match on; it must be the value of the field they name. */
  key?: string;
  data?: unknown;
}

export interface Provider {
  signature: SignatureScheme;
  /** The environment variable holding the signing secret; two, space-separated, during a rotation. */
  secret: string;
  /** The event a verified delivery is, or undefined to accept it and do nothing (a ping). */
  event(delivery: Delivery): ProviderEvent | undefined;
}

export type Providers = Readonly<Record<string, Provider>>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Checks the providers' names (they are path segments) when the Worker loads. */
export function defineProviders<P extends Record<string, Provider>>(providers: P): Readonly<P> {
  for (const name of Object.keys(providers)) {
    if (!NAME.test(name)) throw new Error(`webhook provider name ${JSON.stringify(name)} is not allowed: use 1 to 64 letters, digits, "-" or "_"`);
  }
  return Object.freeze({ ...providers });
}

const text = (value: unknown): string | undefined => (typeof value === "string" && value.length > 0 ? value : undefined);

/**
 * Stripe (`Stripe-Signature`). An event `{ id, type, data: { object } }` becomes the
 * event `type` with id `id`, data `data.object`, and key `data.object.id`: a wait
 * for a payment intent matches `{ field: "data.id", equals: intent.id }`.
 */
export function stripe(options: { secret?: string; event?: Provider["event"] } = {}): Provider {
  return {
    signature: "stripe",
    secret: options.secret ?? "STRIPE_WEBHOOK_SECRET",
    event:
      options.event ??
      (({ body }) => {
        const object = body?.data?.object;
        const key = text(object?.id);
        return { name: body?.type, id: body?.id, ...(key !== undefined && { key }), ...(object !== undefined && { data: object }) };
      }),
  };
}

/**
 * GitHub (`X-Hub-Signature-256`). The event's name is `X-GitHub-Event`, with the
 * body's `action` after a dot (`pull_request.opened`); its id `X-GitHub-Delivery`
 * (the same on a redelivery); its data the body; its key the pull request's or
 * issue's `html_url`, so a wait matches `{ field: "data.pull_request.html_url", equals: url }`.
 * The `ping` sent when the hook is made is accepted and ignored.
 */
export function github(options: { secret?: string; event?: Provider["event"] } = {}): Provider {
  return {
    signature: "github",
    secret: options.secret ?? "GITHUB_WEBHOOK_SECRET",
    event:
      options.event ??
      (({ body, headers }) => {
        const kind = headers.get("x-github-event") ?? "";
        if (kind === "ping") return undefined;
        const action = text(body?.action);
        const key = text(body?.pull_request?.html_url) ?? text(body?.issue?.html_url);
        return { name: action ? `${kind}.${action}` : kind, id: headers.get("x-github-delivery") ?? "", ...(key !== undefined && { key }), data: body };
      }),
  };
}
