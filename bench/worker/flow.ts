/**
 * The flow-control benchmark: the same one-step workflow declared with each flow
 * control, none of them contended (limits far above what the run asks), so that
 * the start-to-completion time of each, less that of the plain workflow, is what the
 * control adds to a start. Debounce waits its period by design (1 ms here), and each
 * of its instances gets a key of its own so that no start merges into another.
 */
import { defineWorkflow, type WorkflowDefinition } from "../../src/workflow.js";
import type { BenchStep } from "./bodies.js";

type FlowInput = { key: string };

const body = (name: string, controls: Partial<WorkflowDefinition<FlowInput>>) =>
  defineWorkflow<FlowInput>({
    name,
    ...controls,
    run: (event, step) => (step as unknown as BenchStep).do("work", async () => event.payload.key.length),
  });

const key = (input: FlowInput) => input.key;
const shared = () => "bench";

export const FLOW_VARIANTS = {
  none: body("flow-none", {}),
  concurrency: body("flow-concurrency", { concurrency: { limit: 100_000, key: shared } }),
  priority: body("flow-priority", { concurrency: { limit: 100_000, key: shared, priority: (input) => input.key.length % 7 } }),
  throttle: body("flow-throttle", { throttle: { limit: 100_000, period: "1 second", key: shared } }),
  rateLimit: body("flow-rate-limit", { rateLimit: { limit: 1_000_000, period: "1 hour", key: shared } }),
  debounce: body("flow-debounce", { debounce: { period: 1, key } }),
} as const satisfies Record<string, WorkflowDefinition<FlowInput>>;
export type FlowVariant = keyof typeof FLOW_VARIANTS;
