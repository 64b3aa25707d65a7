import type { WorkflowInstance } from "./instance/object.js";

/** The Worker's bindings, as wrangler.toml declares them. */
export interface Env {
  WORKFLOW_INSTANCE: DurableObjectNamespace<WorkflowInstance>;
  /** The D1 index of instances (list, search, stats). */
  DB: D1Database;
}
