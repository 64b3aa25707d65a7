/**
 * The `Workflow` binding for other Workers: a `WorkerEntrypoint` whose RPC methods
 * are the binding's. The service binding's `props` name the workflow, so a caller's
 * `env.MY_WORKFLOW.create({ params })` reads exactly as it does on Cloudflare:
 *
 *   # the caller's wrangler.toml (in place of its [[workflows]] entry)
 *   [[services]]
 *   binding = "MY_WORKFLOW"
 *   service = "cairn"
 *   entrypoint = "CairnWorkflow"
 *   props = { workflow = "my-workflow" }
 *
 * Instance handles come back as plain objects: `id` is a string and each method a
 * stub that calls back into this Worker.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { Env } from "../env.js";
import type { WorkflowRegistry } from "../workflow.js";
import { workflowBinding } from "./binding.js";
import { bindingError } from "./errors.js";

/** What the service binding's `props` carry. */
export interface WorkflowProps {
  workflow: string;
}

/** The entrypoint class for `registry`; src/index.ts exports it as `CairnWorkflow`. */
export function workflowEntrypoint(registry: WorkflowRegistry) {
  return class CairnWorkflow<Params = unknown> extends WorkerEntrypoint<Env, Partial<WorkflowProps>> {
    #binding(): Workflow<Params> {
      const name = this.ctx.props?.workflow;
      if (typeof name !== "string") {
        throw bindingError(
          "WORKFLOW_NOT_REGISTERED",
          'this service binding names no workflow: give it props = { workflow = "<name>" } in the calling Worker\'s wrangler.toml',
        );
      }
      return workflowBinding<Params>(this.env, registry, name);
    }

    async create(options?: WorkflowInstanceCreateOptions<Params>): Promise<WorkflowInstance> {
      return await this.#binding().create(options);
    }

    createBatch(options: WorkflowBatchCreateOptions<Params>): Promise<WorkflowBatchCreateResult>;
    createBatch(batch: WorkflowInstanceCreateOptions<Params>[]): Promise<WorkflowInstance[]>;
    async createBatch(
      options: WorkflowBatchCreateOptions<Params> | WorkflowInstanceCreateOptions<Params>[],
    ): Promise<WorkflowBatchCreateResult | WorkflowInstance[]> {
      const binding = this.#binding();
      return Array.isArray(options) ? await binding.createBatch(options) : await binding.createBatch(options);
    }

    async get(id: string): Promise<WorkflowInstance> {
      return await this.#binding().get(id);
    }

    async deleteBatch(instanceIds: string[]): Promise<WorkflowBatchDeleteResult> {
      return await this.#binding().deleteBatch(instanceIds);
    }
  };
}
