/**
 * The Worker: the HTTP API in front, the cron trigger for declared schedules, and
 * the Durable Object classes (instances, concurrency gates, schedules).
 */
import { workflows } from "../workflows/index.js";
import { createWorker } from "./worker.js";

export { ConcurrencyGate } from "./flow/gate.js";
export { Schedule } from "./flow/schedule.js";
export { WorkflowInstance } from "./instance/object.js";
export default createWorker(workflows);
