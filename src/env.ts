import type { Correlation } from "./events/correlation.js";
import type { Debouncer } from "./flow/debounce.js";
import type { BulkJob } from "./bulk/job.js";
import type { ConcurrencyGate } from "./flow/gate.js";
import type { RateLimiter } from "./flow/rate-limit.js";
import type { ThrottleGate } from "./flow/throttle.js";
import type { IndexMessage } from "./index-db/queue.js";
import type { Schedule } from "./flow/schedule.js";
import type { WorkflowInstance } from "./instance/object.js";
import type { WatchHub } from "./watch/hub.js";

/** The Worker's bindings, as wrangler.toml and its secrets declare them. */
export interface Env {
  WORKFLOW_INSTANCE: DurableObjectNamespace<WorkflowInstance>;
  /** One object per (workflow, concurrency key): hands out run slots. */
  CONCURRENCY_GATE: DurableObjectNamespace<ConcurrencyGate>;
  /** One object per (workflow, throttle key): hands out start permits. */
  THROTTLE: DurableObjectNamespace<ThrottleGate>;
  /** One object per (workflow, rate-limit key): counts the starts it accepted. */
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** One object per (workflow, debounce key): remembers the pending instance. */
  DEBOUNCER: DurableObjectNamespace<Debouncer>;
  /** One object per schedule: its alarm fires at the next cron time. */
  SCHEDULE: DurableObjectNamespace<Schedule>;
  /** One object per (event name, correlation key): where published events and the waits for them meet. */
  CORRELATION: DurableObjectNamespace<Correlation>;
  /** One object per instance being watched: holds its subscribers' streams (live subscriptions). */
  WATCH_HUB: DurableObjectNamespace<WatchHub>;
  /** One object per bulk action: its snapshot of matching instances and its progress through them. */
  BULK_JOB: DurableObjectNamespace<BulkJob>;
  /** The D1 index of instances (list, search, stats). */
  DB: D1Database;
  /**
   * Optional: the queue instances send their index rows through, written to D1 in
   * batches by this Worker's consumer (docs/scaling.md). Without it each instance
   * writes its row to D1 itself.
   */
  INDEX_QUEUE?: Queue<IndexMessage>;
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
