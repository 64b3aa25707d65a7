/**
 * Schedules declared in workflow code (`schedules: [...]`) are made to exist as
 * schedule objects: on the Worker's cron trigger and on the first API request an
 * isolate serves. Creating one that exists with the same definition changes nothing.
 */
import type { Env } from "../env.js";
import type { WorkflowRegistry } from "../workflow.js";
import type { ScheduleSpec } from "./schedule.js";

/** `origin`: of a request the Worker served, kept as the base of webhook URLs (absent on a cron trigger). */
export function declaredSchedules(registry: WorkflowRegistry, origin?: string): ScheduleSpec[] {
  return Object.values(registry).flatMap((definition) =>
    (definition.schedules ?? []).map((schedule, index) => ({
      id: schedule.id ?? `${definition.name}.${index + 1}`,
      workflow: definition.name,
      cron: schedule.cron,
      source: "code" as const,
      ...(origin !== undefined && { origin }),
      ...(schedule.timezone !== undefined && { timezone: schedule.timezone }),
      ...(schedule.input !== undefined && { input: JSON.stringify(schedule.input) }),
      ...(schedule.policy !== undefined && { policy: schedule.policy }),
      ...(schedule.catchUpLimit !== undefined && { catchUpLimit: schedule.catchUpLimit }),
    })),
  );
}

export async function ensureDeclaredSchedules(env: Env, registry: WorkflowRegistry, origin?: string): Promise<void> {
  await Promise.all(declaredSchedules(registry, origin).map((spec) => env.SCHEDULE.get(env.SCHEDULE.idFromName(spec.id)).upsert(spec)));
}
