/**
 * The benchmark's bodies (bodies.ts) as one Cairn workflow, `bench`, for the bench
 * Worker and for the cost test's Worker alike.
 */
import { defineWorkflow } from "../../src/workflow.js";
import { runBody, type BenchInput } from "./bodies.js";

export const benchWorkflow = defineWorkflow<BenchInput>({
  name: "bench",
  run: (event, step) => runBody(event.payload, step),
});
