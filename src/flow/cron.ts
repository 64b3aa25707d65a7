/** Cron expressions, read by croner (a maintained parser with time zone support). */
import { Cron } from "croner";

/** What is wrong with a cron expression and time zone, or undefined when it fires. */
export function cronProblem(cron: string, timezone?: string): string | undefined {
  try {
    const next = new Cron(cron, { ...(timezone && { timezone }), paused: true }).nextRun();
    return next ? undefined : "the cron expression never fires";
  } catch (error) {
    return (error as Error).message;
  }
}

/** The fire times of `cron` after `after`, up to and including `until` (epoch ms), oldest first. */
export function firesBetween(cron: string, timezone: string | undefined, after: number, until: number, keep = 10_000): number[] {
  const parsed = new Cron(cron, { ...(timezone && { timezone }), paused: true });
  const fires: number[] = [];
  let cursor = new Date(after);
  for (;;) {
    const next = parsed.nextRun(cursor);
    if (!next || next.getTime() > until) break;
    fires.push(next.getTime());
    cursor = next;
    // A very frequent cron after a long outage keeps only the newest fires.
    if (fires.length > keep) fires.shift();
  }
  return fires;
}

/** The first fire time after `after`, if the expression fires again. */
export function nextFire(cron: string, timezone: string | undefined, after: number): number | undefined {
  return new Cron(cron, { ...(timezone && { timezone }), paused: true }).nextRun(new Date(after))?.getTime();
}
