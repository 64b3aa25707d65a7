/**
 * `cloudflare:workers` for the Node-side tests, which load the Worker's HTTP app
 * (to call it in-process) but never run a Durable Object: modules that define one
 * only need the base class to exist.
 */
export class DurableObject {
  constructor(
    readonly ctx: unknown,
    readonly env: unknown,
  ) {}
}
