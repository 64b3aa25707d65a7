/**
 * How the dashboard shows times, durations and JSON: every time both relative
 * ("5 min ago") and absolute (UTC), every duration in the largest units that fit.
 */
import type { Child } from "hono/jsx";

const UNITS: [string, number][] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["min", 60_000],
  ["s", 1000],
];

/** `1234` → "1.2 s", `200_000` → "3 min 20 s", `90_000_000` → "1 d 1 h". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0 || parts.length > 0) parts.push(`${n} ${unit}`);
    rest -= n * size;
    if (parts.length === 2) break;
  }
  return parts.filter((p) => !p.startsWith("0 ")).join(" ");
}

/** "3 min ago", "in 2 d 4 h", "just now". */
export function relative(iso: string, now: number): string {
  const delta = Date.parse(iso) - now;
  if (Math.abs(delta) < 5000) return "just now";
  return delta < 0 ? `${duration(-delta)} ago` : `in ${duration(delta)}`;
}

/** "2026-11-21 08:03:12 UTC". */
export const absolute = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

/** A time, relative and absolute; the element carries the exact ISO time. */
export function When({ iso, now }: { iso: string | undefined; now: number }) {
  if (!iso) return <span class="muted">—</span>;
  return (
    <span class="when">
      <time datetime={iso} title={iso}>
        {relative(iso, now)}
      </time>{" "}
      <span class="abs">{absolute(iso)}</span>
    </span>
  );
}

const MAX_JSON_CHARS = 20_000;

/** A JSON value folded away under `summary`. */
export function Folded({ summary, value, open = false }: { summary: Child; value: unknown; open?: boolean }) {
  let text = value === undefined ? "(none)" : JSON.stringify(value, null, 2);
  if (text.length > MAX_JSON_CHARS) text = `${text.slice(0, MAX_JSON_CHARS)}\n… (${text.length - MAX_JSON_CHARS} more characters: GET the instance from the API for all of it)`;
  return (
    <details class="json" open={open}>
      <summary>{summary}</summary>
      <pre>{text}</pre>
    </details>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge s-${status}`}>{status}</span>;
}

/** "event “decision”, times out in 2 d 23 h", "sleeps, wakes in 5 min". */
export function waitText(
  waitingFor: { kind: string; until?: string | undefined; eventType?: string | undefined; workflow?: string | undefined; since?: string | undefined },
  now: number,
): string {
  const left = waitingFor.until ? Date.parse(waitingFor.until) - now : undefined;
  const when = left === undefined ? "" : left <= 0 ? "due now" : `in ${duration(left)}`;
  switch (waitingFor.kind) {
    case "event":
      return `event “${waitingFor.eventType ?? "?"}”${when ? `, times out ${when}` : ""}`;
    case "sleep":
      return `sleeps${when ? `, wakes ${when}` : ""}`;
    case "retry":
      return `retries${when ? ` ${when}` : ""}`;
    case "deployment":
      return `a deployment that registers workflow “${waitingFor.workflow ?? "?"}” (WORKFLOW_NOT_REGISTERED)${waitingFor.since ? `, since ${duration(now - Date.parse(waitingFor.since))} ago` : ""}`;
    case "slot":
      return `its concurrency gate, which cannot be reached (GATE_UNAVAILABLE)${waitingFor.since ? `, since ${duration(now - Date.parse(waitingFor.since))} ago` : ""}`;
    default:
      return `a child instance${when ? `, times out ${when}` : ""}`;
  }
}
