/** Cron expressions, read by croner (a maintained parser with time zone support). */
import { Cron } from "croner";

const NICKNAME = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/i;

/**
 * What is wrong with a cron expression and time zone, or undefined when it fires.
 * Five fields only (or a nickname such as `@daily`): croner would also read a sixth
 * field of seconds, which would start an instance every second.
 */
export function cronProblem(cron: string, timezone?: string): string | undefined {
  const syntax = cronSyntaxProblem(cron);
  if (syntax) return syntax;
  try {
    const next = new Cron(cron, { ...(timezone && { timezone }), paused: true }).nextRun();
    return next ? undefined : "the cron expression never fires";
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * What is wrong with the form of a cron expression (its fields, its syntax), without
 * its time zone or a fire time: cheap enough for module load, where working out a
 * fire time in a time zone would load the time zone data on every cold start.
 */
export function cronSyntaxProblem(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (!NICKNAME.test(cron.trim()) && fields.length !== 5) {
    return `a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has ${fields.length}${
      fields.length === 6 ? ": a field of seconds is not supported, a schedule fires at most once a minute" : ""
    }`;
  }
  try {
    new Cron(cron, { paused: true });
    return undefined;
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
