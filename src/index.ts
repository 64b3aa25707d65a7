/**
 * The Worker: the HTTP API in front, the cron trigger for declared schedules, the
 * Durable Object classes (instances, concurrency gates, schedules, bulk jobs), and
 * `CairnWorkflow`, the entrypoint other Workers reach as a Cloudflare `Workflow`
 * binding (a service binding whose props name the workflow).
 */
import { workflows } from "../workflows/index.js";
import { workflowEntrypoint } from "./compat/service.js";
import { createWorker } from "./worker.js";

export { BulkJob } from "./bulk/job.js";
export { ConcurrencyGate } from "./flow/gate.js";
export { Schedule } from "./flow/schedule.js";
export { WorkflowInstance } from "./instance/object.js";
export const CairnWorkflow = workflowEntrypoint(workflows);
export default createWorker(workflows);
