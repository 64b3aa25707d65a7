/**
 * The Worker: the HTTP API in front, the cron trigger for declared schedules, the
 * Durable Object classes (instances, concurrency gates, schedules, watch hubs, bulk jobs), and
 * `CairnWorkflow`, the entrypoint other Workers reach as a Cloudflare `Workflow`
 * binding (a service binding whose props name the workflow).
 */
import { workflows } from "../workflows/index.js";
import { providers } from "../workflows/providers.js";
import { workflowEntrypoint } from "./compat/service.js";
import { createWorker } from "./worker.js";

export { Correlation } from "./events/correlation.js";
export { BulkJob } from "./bulk/job.js";
export { ConcurrencyGate } from "./flow/gate.js";
export { Debouncer } from "./flow/debounce.js";
export { RateLimiter } from "./flow/rate-limit.js";
export { ThrottleGate } from "./flow/throttle.js";
export { Schedule } from "./flow/schedule.js";
export { WorkflowInstance } from "./instance/object.js";
export { WatchHub } from "./watch/hub.js";
export const CairnWorkflow = workflowEntrypoint(workflows);
export default createWorker(workflows, providers);
