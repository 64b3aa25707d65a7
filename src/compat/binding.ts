/**
 * Cloudflare's `Workflow` binding over Cairn: `create`, `createBatch`, `get` and
 * `deleteBatch` for one registered workflow. Code inside Cairn's Worker calls
 * `workflowBinding(env, registry, name)`; another Worker reaches the same object
 * through a service binding to `CairnWorkflow` (src/compat/service.ts).
 *
 * Instances are created by the same Durable Object call the HTTP API makes, so they
 * are indexed, listed and shown in the dashboard like any other.
 */
import { ID_PATTERN } from "../lib/ids.js";
import { startInstance, type StartEnv } from "../flow/start.js";
import type { WorkflowRegistry } from "../workflow.js";
import { bindingError } from "./errors.js";
import { encode, instanceHandle, notFound, readView } from "./instance.js";

/** Cloudflare's limit on one `createBatch` or `deleteBatch` call. */
export const MAX_BATCH = 100;

/** Cloudflare's numeric codes for the per-instance errors of a batch. */
const BATCH_ERROR = {
  exists: { code: 10405, message: "workflows.api.error.instance.already_exists" },
  duplicate: { code: 10415, message: "workflows.api.error.instance.duplicate_in_batch" },
  notFound: { code: 10400, message: "workflows.api.error.instance.not_found" },
  internal: { code: 10001, message: "workflows.api.error.internal_server" },
  // Cairn's own: the workflow's `rateLimit` refused the instance (Cloudflare has no such limit).
  rateLimited: { code: 10429, message: "cairn.rate_limited" },
} as const;

/**
 * The `Workflow` binding of workflow `name`.
 *
 * @example
 * const signups = workflowBinding<{ email: string }>(env, workflows, "welcome-email");
 * const instance = await signups.create({ params: { email } });
 * const { status, output } = await instance.status();
 */
export function workflowBinding<Params = unknown>(env: StartEnv, registry: WorkflowRegistry, name: string): Workflow<Params> {
  const definition = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (!definition) {
    throw bindingError("WORKFLOW_NOT_REGISTERED", `no workflow "${name}" is registered in workflows/index.ts; registered: ${Object.keys(registry).join(", ") || "none"}`);
  }

  /** Checks an instance's options before anything is created: its id, and its params against the workflow's input schema. */
  async function prepare(options: WorkflowInstanceCreateOptions<Params> = {}): Promise<{ id: string; input: string | undefined }> {
    const id = options.id ?? crypto.randomUUID();
    if (typeof id !== "string" || !ID_PATTERN.test(id)) {
      throw bindingError("INVALID_ID", `"${String(id).slice(0, 120)}" is not an instance id: use 1 to 100 letters, digits or -_.:~, starting with a letter or digit`);
    }
    // Cloudflare runs an instance created without params with `{}` as its payload.
    const params = options.params === undefined ? {} : options.params;
    const issues = definition!.input ? await inputIssues(definition!.input, params) : undefined;
    if (issues) throw bindingError("INVALID_INPUT", `the params do not match what workflow "${name}" declares: ${issues}`);
    return { id, input: encode(params) };
  }

  /**
   * Creates the instance through the workflow's rate limit and debounce, as the HTTP
   * API does: "created", "exists" (an instance with this id exists, of any workflow),
   * "rateLimited", or the id of the pending instance a debounced start went to.
   */
  async function start({ id, input }: { id: string; input: string | undefined }): Promise<"created" | "exists" | "rateLimited" | { debounced: string }> {
    const outcome = await startInstance(env, definition!, { id, workflow: name, tags: {}, ...(input !== undefined && { input }) });
    switch (outcome.kind) {
      case "created":
        return "created";
      case "debounced":
        return { debounced: outcome.instance.id };
      case "rateLimited":
        return "rateLimited";
      case "keyInvalid":
        throw bindingError("FLOW_KEY_INVALID", outcome.message);
      default:
        return "exists";
    }
  }

  function createBatch(options: WorkflowBatchCreateOptions<Params>): Promise<WorkflowBatchCreateResult>;
  function createBatch(batch: WorkflowInstanceCreateOptions<Params>[]): Promise<WorkflowInstance[]>;
  async function createBatch(
    options: WorkflowBatchCreateOptions<Params> | WorkflowInstanceCreateOptions<Params>[],
  ): Promise<WorkflowBatchCreateResult | WorkflowInstance[]> {
    const legacy = Array.isArray(options);
    const batch = legacy ? options : batchOf(options);
    if (batch.length === 0 || batch.length > MAX_BATCH) {
      throw bindingError("INVALID_BATCH", `createBatch takes 1 to ${MAX_BATCH} instances, got ${batch.length}`);
    }
    const prepared = await Promise.all(batch.map((entry) => prepare(entry)));
    const result: WorkflowBatchCreateResult = { created: [], errors: [] };
    const seen = new Set<string>();
    const outcomes = await Promise.all(
      prepared.map((entry) => {
        if (seen.has(entry.id)) return "duplicate" as const;
        seen.add(entry.id);
        return start(entry);
      }),
    );
    outcomes.forEach((outcome, index) => {
      const { id } = prepared[index]!;
      if (outcome === "created") result.created.push(instanceHandle(env, name, id));
      else if (typeof outcome === "object") result.created.push(instanceHandle(env, name, outcome.debounced));
      // The array form leaves out what it did not create, without a word, as Cloudflare's does.
      else result.errors.push({ index, id, ...BATCH_ERROR[outcome] });
    });
    return legacy ? result.created : result;
  }

  return {
    async create(options?: WorkflowInstanceCreateOptions<Params>): Promise<WorkflowInstance> {
      const entry = await prepare(options);
      const outcome = await start(entry);
      if (outcome === "exists") throw bindingError("INSTANCE_EXISTS", `Workflow instance with id "${entry.id}" already exists`);
      if (outcome === "rateLimited") throw bindingError("RATE_LIMITED", `workflow "${name}" accepts no more starts for this key now (its rateLimit); nothing was created, try again later`);
      // A debounced start answers with the instance pending for its key (which may carry another id).
      return instanceHandle(env, name, typeof outcome === "object" ? outcome.debounced : entry.id);
    },

    createBatch,

    async get(id: string): Promise<WorkflowInstance> {
      const view = typeof id === "string" && ID_PATTERN.test(id) ? await readView(env, id) : undefined;
      if (!view || view.workflow !== name) throw notFound(name, String(id));
      return instanceHandle(env, name, id);
    },

    async deleteBatch(instanceIds: string[]): Promise<WorkflowBatchDeleteResult> {
      if (!Array.isArray(instanceIds) || instanceIds.length === 0 || instanceIds.length > MAX_BATCH) {
        throw bindingError("INVALID_BATCH", `deleteBatch takes 1 to ${MAX_BATCH} instance ids`);
      }
      const unique = [...new Set(instanceIds)];
      const settled = await Promise.allSettled(unique.map((id) => instanceHandle(env, name, id).delete()));
      const byId = new Map(unique.map((id, i) => [id, settled[i]!]));
      const result: WorkflowBatchDeleteResult = { deleted: [], errors: [] };
      for (const id of instanceIds) {
        const outcome = byId.get(id)!;
        if (outcome.status === "fulfilled") result.deleted.push({ id });
        else result.errors.push({ id, ...(isNotFound(outcome.reason) ? BATCH_ERROR.notFound : BATCH_ERROR.internal) });
      }
      return result;
    },
  };
}

function batchOf<Params>(options: WorkflowBatchCreateOptions<Params>): WorkflowInstanceCreateOptions<Params>[] {
  if (options && Array.isArray(options.instances)) return options.instances;
  const count = options?.count;
  if (!Number.isInteger(count) || count! < 1) throw bindingError("INVALID_BATCH", "createBatch takes { count } (a positive whole number) or { instances: [...] }");
  return Array.from({ length: count! }, () => ({
    ...(options.params !== undefined && { params: options.params }),
    ...(options.retention !== undefined && { retention: options.retention }),
  }));
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "INSTANCE_NOT_FOUND";
}

async function inputIssues(schema: NonNullable<WorkflowRegistry[string]["input"]>, value: unknown): Promise<string | undefined> {
  const result = (await schema["~standard"].validate(value)) as { issues?: ReadonlyArray<{ message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }> };
  if (!result.issues) return undefined;
  return result.issues.map((issue) => `${["params", ...(issue.path ?? []).map((p) => String(typeof p === "object" ? p.key : p))].join(".")}: ${issue.message}`).join("; ");
}
