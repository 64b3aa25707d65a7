/**
 * Cloudflare Workflows as the benchmark runs it: the same body (bench/worker/bodies.ts)
 * in a `WorkflowEntrypoint`, run by Cloudflare's local engine (Miniflare's workflows
 * plugin, one Engine Durable Object per instance) through the `CLOUDFLARE` binding.
 *
 * Completion is awaited with the local binding's `unsafeWaitForStatus`, which the
 * engine resolves when it stores the status: no polling. It never reports "waiting"
 * (a local instance waiting for an event stays "running"), so a wait for an event is
 * recognised by the step before it (`unsafeWaitForStepResult`). Events go through the
 * instance handle that `create()` returned (W5), as a client that created the
 * instance would send them; for an instance created earlier (W7) the timed part
 * includes the `get(id)` that a client needs first.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { runBody, type BenchInput, type BenchStep } from "./bodies.js";
import type { BenchEnv, Engine } from "./engine.js";

export class BenchWorkflow extends WorkflowEntrypoint<BenchEnv, BenchInput> {
  override async run(event: Readonly<WorkflowEvent<BenchInput>>, step: WorkflowStep): Promise<unknown> {
    // Cloudflare's step type constrains results to its RPC-serialisable types; the bodies return JSON.
    return runBody(event.payload, step as unknown as BenchStep);
  }
}

/** Methods of Miniflare's local binding that the public `Workflow` type does not declare. */
interface LocalWorkflow {
  unsafeWaitForStatus(id: string, status: string): Promise<void>;
  unsafeWaitForStepResult(id: string, name: string, count: number): Promise<unknown>;
}

/** Instance handles are RPC stubs: release each when done with it. */
function dispose(handle: WorkflowInstance | undefined): void {
  (handle as Partial<Disposable> | undefined)?.[Symbol.dispose]?.();
}

export function cloudflare(env: BenchEnv): Engine {
  const local = env.CLOUDFLARE as unknown as LocalWorkflow;
  const handles = new Map<string, WorkflowInstance>();
  return {
    name: "cloudflare",
    async start(id, input) {
      const handle = await env.CLOUDFLARE.create({ id, params: input });
      // W5 sends its event through the handle; every other handle is released at once.
      if (input.body === "event") handles.set(id, handle);
      else dispose(handle);
    },
    async wait(id) {
      await local.unsafeWaitForStatus(id, "complete");
    },
    async waitForEventWait(id, before) {
      // The local engine keeps a waiting instance "running"; the step before the wait tells instead.
      await local.unsafeWaitForStepResult(id, before.name, before.count);
    },
    async output(id) {
      dispose(handles.get(id));
      handles.delete(id);
      const instance = await env.CLOUDFLARE.get(id);
      const status = await instance.status();
      dispose(instance);
      if (status.status !== "complete") throw new Error(`cloudflare instance ${id} is ${status.status}: ${JSON.stringify(status.error)}`);
      return status.output;
    },
    async sendEvent(id, type, payload) {
      const held = handles.get(id);
      if (held) return held.sendEvent({ type, payload });
      const instance = await env.CLOUDFLARE.get(id);
      await instance.sendEvent({ type, payload });
      dispose(instance);
    },
  };
}
