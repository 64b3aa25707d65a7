/**
 * What the workloads (bench/worker/workloads.ts) need from a workflow engine, so one
 * workload function measures Cairn and Cloudflare Workflows alike, and the bindings
 * of the bench Worker.
 */
import type { Env as CairnEnv } from "../../src/env.js";
import type { BenchInput } from "./bodies.js";
import type { WorkflowInstance } from "./cairn.js";
import type { Floor } from "./floor.js";
import type { Profile } from "./profile.js";

export type EngineName = "cairn" | "cloudflare";
/** A step by name and count (1 for the first call with that name). */
export type StepRef = { name: string; count: number };

export interface Engine {
  name: EngineName;
  /** Creates and starts an instance; resolves once the engine accepted it. */
  start(id: string, input: BenchInput): Promise<void>;
  /** Resolves once the instance completed; rejects if it failed instead. */
  wait(id: string): Promise<void>;
  /** Resolves once the instance finished step `before` and waits for an event. */
  waitForEventWait(id: string, before: StepRef): Promise<void>;
  /** The output of a completed instance. */
  output(id: string): Promise<unknown>;
  /** Sends an event to the instance, as a client of the engine would. */
  sendEvent(id: string, type: string, payload: unknown): Promise<void>;
  /** Completed journal rows, where the engine can tell. */
  journalRows?(id: string): Promise<number>;
}

export interface BenchEnv extends Omit<CairnEnv, "WORKFLOW_INSTANCE"> {
  WORKFLOW_INSTANCE: DurableObjectNamespace<WorkflowInstance>;
  CLOUDFLARE: Workflow<BenchInput>;
  FLOOR: DurableObjectNamespace<Floor>;
  PROFILE: DurableObjectNamespace<Profile>;
}
