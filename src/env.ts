import type { BulkJob } from "./bulk/job.js";
import type { ConcurrencyGate } from "./flow/gate.js";
import type { Schedule } from "./flow/schedule.js";
import type { WorkflowInstance } from "./instance/object.js";

/** The Worker's bindings, as wrangler.toml and its secrets declare them. */
export interface Env {
  WORKFLOW_INSTANCE: DurableObjectNamespace<WorkflowInstance>;
  /** One object per (workflow, concurrency key): hands out run slots. */
  CONCURRENCY_GATE: DurableObjectNamespace<ConcurrencyGate>;
  /** One object per schedule: its alarm fires at the next cron time. */
  SCHEDULE: DurableObjectNamespace<Schedule>;
  /** One object per bulk action: its snapshot of matching instances and its progress through them. */
  BULK_JOB: DurableObjectNamespace<BulkJob>;
  /** The D1 index of instances (list, search, stats). */
  DB: D1Database;
  /** Secret: full access to the API. Without it the API refuses every request. */
  API_TOKEN?: string;
  /** Secret: read-only access to the API (GET only). */
  API_TOKEN_READONLY?: string;
  /** Secret: signs webhook tokens (HMAC-SHA256). */
  WEBHOOK_SECRET?: string;
  /** Where the outside world reaches this Worker, for webhook URLs; else the origin of the start request. */
  PUBLIC_URL?: string;
  /** The model the agent-review example drafts with: a service binding, or an endpoint URL. */
  MODEL?: Fetcher;
  MODEL_URL?: string;
}
