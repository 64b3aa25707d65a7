/**
 * The binding from another Worker: RPC to the CairnWorkflow entrypoint, whose
 * props name the workflow, as a service binding in a caller's wrangler.toml sets them.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { uniqueId, waitForIndex } from "../helpers.js";

/** What a caller's `env.MY_WORKFLOW` is: a service binding to CairnWorkflow with `props = { workflow }`. */
function serviceBinding(workflow: string): Workflow {
  const entrypoints = exports as unknown as Record<string, (options: { props: unknown }) => unknown>;
  return entrypoints.CairnWorkflow!({ props: { workflow } }) as Workflow;
}

describe("the CairnWorkflow entrypoint", () => {
  it("creates an instance over RPC and hands back a handle whose id is a string", async () => {
    const MY_WORKFLOW = serviceBinding("cf-approval");
    const id = uniqueId("rpc-approval");
    const instance = await MY_WORKFLOW.create({ id, params: { document: "roadmap" } });
    expect(instance.id).toBe(id);
    expect(typeof instance.id).toBe("string");
    await waitForIndex(id, (row) => row?.status === "waiting", "waiting");
    await instance.sendEvent({ type: "review", payload: { approved: false, by: "sam" } });
    let status = await instance.status();
    for (let i = 0; i < 200 && status.status !== "complete"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = await instance.status();
    }
    expect(status).toEqual({ status: "complete", output: { document: "roadmap", published: false, reviewer: "sam" } });
  });

  it("gets an instance and controls it over RPC", async () => {
    const MY_WORKFLOW = serviceBinding("cf-reminder");
    const id = uniqueId("rpc-reminder");
    await MY_WORKFLOW.create({ id, params: { note: "over rpc" } });
    const instance = await MY_WORKFLOW.get(id);
    await waitForIndex(id, (row) => row?.status === "waiting", "waiting");
    await instance.pause();
    expect((await instance.status()).status).toBe("paused");
    await instance.terminate();
    expect((await instance.status()).status).toBe("terminated");
  });

  it("creates a batch over RPC", async () => {
    const MY_WORKFLOW = serviceBinding("cf-reminder");
    const { created, errors } = await MY_WORKFLOW.createBatch({ instances: [{ id: uniqueId("rpc-batch"), params: { note: "a" } }] });
    expect(errors).toEqual([]);
    expect(created).toHaveLength(1);
    expect(typeof created[0]!.id).toBe("string");
  });

  // Refusals (rejected promises) are checked in binding.test.ts, in the Worker itself: a rejection
  // that crosses RPC inside one isolate is also reported there as unhandled, which the test
  // runner counts as an error.
});
