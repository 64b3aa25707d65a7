/**
 * The one way a start from outside (the HTTP API, the `Workflow` binding) becomes an
 * instance: the workflow's rate limit is asked first, and nothing is created beyond
 * it; a debounced workflow's start goes through its key's debouncer; any other
 * creates the instance directly. Throttle, concurrency and priority act later, when
 * the instance asks to be admitted (src/instance/slots.ts).
 *
 * Schedules create their instances directly: a schedule's fires are neither rate
 * limited nor debounced (they come at a rate its cron states).
 */
import { toMs } from "../engine/durations.js";
import type { Env } from "../env.js";
import type { CreateRequest, InstanceSummary } from "../instance/rpc.js";
import type { WorkflowDefinition } from "../workflow.js";
import { flowKey, objectName, parsedInput } from "./controls.js";
import type { RateLimiter } from "./rate-limit.js";

export type StartOutcome =
  | { kind: "created" | "existing"; instance: InstanceSummary }
  /** Merged into (or created as) the pending instance of its debounce key; it starts at `until` unless pushed back again. */
  | { kind: "debounced"; instance: InstanceSummary; until: number; merged: boolean }
  | { kind: "rateLimited"; retryAfterMs: number; limit: number; period: string }
  | { kind: "keyInvalid"; message: string }
  | { kind: "idTaken"; workflow: string };

/** The bindings a start needs. */
export type StartEnv = Pick<Env, "WORKFLOW_INSTANCE" | "RATE_LIMITER" | "DEBOUNCER" | "WATCH_HUB">;

export async function startInstance(env: StartEnv, definition: WorkflowDefinition, request: CreateRequest): Promise<StartOutcome> {
  const input = parsedInput(request.input);
  const { rateLimit, debounce } = definition;
  let counted: { limiter: DurableObjectStub<RateLimiter>; seq: number } | undefined;
  if (rateLimit) {
    const key = flowKey(definition, "rateLimit", input);
    if (!key.ok) return { kind: "keyInvalid", message: key.message };
    const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(objectName("rateLimit", definition.name, key.key)));
    const taken = await limiter.take(rateLimit.limit, toMs(rateLimit.period));
    if (!taken.ok) return { kind: "rateLimited", retryAfterMs: taken.retryAfterMs, limit: rateLimit.limit, period: String(rateLimit.period) };
    counted = { limiter, seq: taken.seq };
  }
  // A start that created nothing (its id was taken) does not count toward the limit.
  const uncount = () => counted?.limiter.giveBack(counted.seq);

  if (debounce) {
    const key = flowKey(definition, "debounce", input);
    if (!key.ok) {
      await uncount();
      return { kind: "keyInvalid", message: key.message };
    }
    const debouncer = env.DEBOUNCER.get(env.DEBOUNCER.idFromName(objectName("debounce", definition.name, key.key)));
    const maxWait = debounce.maxWait === undefined ? undefined : toMs(debounce.maxWait);
    const result = await debouncer.submit(request, toMs(debounce.period), maxWait);
    if (!result.ok) {
      await uncount();
      return { kind: "idTaken", workflow: result.workflow };
    }
    if (!result.created && !result.merged) {
      await uncount();
      return { kind: "existing", instance: result.instance };
    }
    return { kind: "debounced", instance: result.instance, until: result.until, merged: result.merged };
  }

  const result = await env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(request.id)).create(request);
  if (!result.ok) {
    await uncount();
    return { kind: "idTaken", workflow: result.workflow };
  }
  if (!result.created) await uncount();
  return { kind: result.created ? "created" : "existing", instance: result.instance };
}
