/**
 * One instance as Cloudflare's `WorkflowInstance` shows it: `id`, `status()` in
 * Cloudflare's shape and status names, and the lifecycle controls. Each call is an
 * RPC to the instance's Durable Object, the same calls the HTTP API makes, so an
 * instance controlled here and one controlled over HTTP behave alike (and the
 * object keeps the index row current either way).
 *
 * The handle is a plain object of functions, not a class: returned across a
 * service binding, `id` stays a string and each function becomes a callable stub.
 */
import { ACTIONS, type LifecycleAction, type Status } from "../engine/status.js";
import type { Env } from "../env.js";
import type { InstanceView, LifecycleResult } from "../instance/rpc.js";
import { parseResult, serializeResult } from "../engine/serialize.js";
import { readServerSentEvents } from "../lib/sse.js";
import { isEventType } from "../watch/events.js";
import { openSubscription } from "../watch/open.js";
import { bindingError } from "./errors.js";

export type InstanceNamespace = Pick<Env, "WORKFLOW_INSTANCE" | "WATCH_HUB">;

/** Cairn's statuses under Cloudflare's names. `waitingForPause` and `unknown` have no Cairn counterpart (see the README). */
export const CLOUDFLARE_STATUS = {
  queued: "queued",
  running: "running",
  waiting: "waiting",
  paused: "paused",
  completed: "complete",
  failed: "errored",
  terminated: "terminated",
} as const satisfies Record<Status, InstanceStatus["status"]>;

export function instanceStub(env: InstanceNamespace, id: string) {
  return env.WORKFLOW_INSTANCE.get(env.WORKFLOW_INSTANCE.idFromName(id));
}

/** The instance's view, or undefined when there is none. The one place that reads it. */
export async function readView(env: InstanceNamespace, id: string): Promise<InstanceView | undefined> {
  return (await instanceStub(env, id).read()) ?? undefined;
}

/** The view in `status()`'s shape: `output` is null until the instance completes; `error` only when it errored. */
export function toInstanceStatus(view: InstanceView): InstanceStatus {
  const status: InstanceStatus = { status: CLOUDFLARE_STATUS[view.status] ?? "unknown", output: view.output ?? null };
  if (view.status === "failed" && view.error) status.error = { name: view.error.name, message: view.error.message };
  return status;
}

/** Params as the engine keeps values (a `Date` stays a `Date`); `undefined` stays absent. */
export function encode(value: unknown): string | undefined {
  return value === undefined ? undefined : serializeResult(value, "the params", "params");
}

/** An event payload as JSON text: it is spliced into the event the workflow receives. */
export function encodePayload(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

/** A handle on instance `id` of `workflow`; it does not check that the instance exists (`get` does). */
export function instanceHandle(env: InstanceNamespace, workflow: string, id: string): WorkflowInstance {
  const stub = () => instanceStub(env, id);
  const lifecycle = async (action: LifecycleAction, call: Promise<LifecycleResult>) => settle(workflow, id, action, await call);
  return {
    id,
    async status() {
      const [view, output] = await Promise.all([readView(env, id), instanceStub(env, id).outputText()]);
      if (!view || view.workflow !== workflow) throw notFound(workflow, id);
      // The output with its types (a Date stays a Date), as Cloudflare's status() gives it.
      return { ...toInstanceStatus(view), ...(view.status === "completed" && output !== null && { output: parseResult(output) }) };
    },
    pause: () => lifecycle("pause", stub().pause()),
    resume: () => lifecycle("resume", stub().resume()),
    terminate: (options?: WorkflowInstanceTerminateOptions) => lifecycle("terminate", stub().terminate(options?.rollback ? { rollback: true } : {})),
    restart(options?: WorkflowInstanceRestartOptions) {
      // Cloudflare's `from.type` tells apart steps of different kinds that share a name; Cairn counts by name alone.
      const from = options?.from;
      return lifecycle("restart", stub().restart(from ? { fromStep: { name: from.name, ...(from.count !== undefined && { count: from.count }) } } : {}));
    },
    async sendEvent({ type, payload }: { type: string; payload: unknown }) {
      const encoded = encodePayload(payload);
      const result = await stub().sendEvent({ type, ...(encoded !== undefined && { payload: encoded }) });
      if (result.ok) return;
      if (result.code === "INSTANCE_NOT_FOUND") throw notFound(workflow, id);
      if (result.code === "INBOX_FULL") {
        throw bindingError("INBOX_FULL", `instance "${id}" holds as many waiting events as its inbox takes (${result.maxEvents} events, ${result.maxBytes} bytes); nothing was stored`);
      }
      throw bindingError(
        "INSTANCE_FINISHED",
        `instance "${id}" of workflow "${workflow}" is ${CLOUDFLARE_STATUS[result.status]} and takes no more events`,
      );
    },
    async delete() {
      const result = await stub().delete();
      if (result.ok) return;
      if (result.code === "INSTANCE_NOT_FOUND") throw notFound(workflow, id);
      throw bindingError("INDEX_UNAVAILABLE", result.message);
    },
    async subscribe(options?: WorkflowInstanceSubscribeOptions): Promise<WorkflowInstanceSubscription> {
      const filter = options?.filter;
      const unknown = filter?.find((type) => !isEventType(type));
      if (unknown !== undefined) throw bindingError("INVALID_INPUT", `subscribe: "${unknown}" is not an event type`);
      const cursor = options?.cursor ?? 0;
      if (!Number.isSafeInteger(cursor) || cursor < 0) throw bindingError("INVALID_INPUT", `subscribe: the cursor must be an eventId (an integer of 0 or more), got ${String(cursor)}`);
      const response = await openSubscription(env, { instance: id, after: cursor, readOnly: false, ...(filter && { filter }) });
      if (!response) throw notFound(workflow, id);
      return subscription(response.body!);
    },
  };
}

/**
 * Cloudflare's subscription over the hub's stream: `next()` gives the events in
 * order (the history first, then each as it happens) and `done` once the instance
 * ended; disposing it closes the stream.
 */
function subscription(body: ReadableStream<Uint8Array>): WorkflowInstanceSubscription {
  const events = readServerSentEvents(body);
  let ended = false;
  return {
    async next(): Promise<IteratorResult<WorkflowInstanceEvent, void>> {
      if (ended) return { done: true, value: undefined };
      const read = await events.next();
      if (read.done) {
        ended = true;
        return { done: true, value: undefined };
      }
      return { done: false, value: JSON.parse(read.value.data) as WorkflowInstanceEvent };
    },
    [Symbol.dispose]() {
      ended = true;
      void events.return(undefined);
    },
  };
}

export function notFound(workflow: string, id: string) {
  return bindingError("INSTANCE_NOT_FOUND", `workflow "${workflow}" has no instance "${id}"`);
}

function settle(workflow: string, id: string, action: LifecycleAction, result: LifecycleResult): void {
  if (result.ok) return;
  switch (result.code) {
    case "INSTANCE_NOT_FOUND":
      throw notFound(workflow, id);
    case "INVALID_TRANSITION":
      throw bindingError(
        "INVALID_TRANSITION",
        `cannot ${action} instance "${id}": it is ${CLOUDFLARE_STATUS[result.status]}; ${action} applies to ${ACTIONS[action].from.map((s) => CLOUDFLARE_STATUS[s]).join(", ")} instances`,
      );
    case "STEP_NOT_FOUND":
      throw bindingError(
        "STEP_NOT_FOUND",
        `Step "${result.step.name}" not found in execution history of instance "${id}" (count ${result.step.count})`,
      );
  }
}
