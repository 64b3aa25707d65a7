/**
 * The waterfall of an instance: one row per step on a shared time axis, from the
 * instance's creation to its end (or now), as Temporal's and Inngest's timelines
 * draw them. A step's bar spans its start to its end; each failed attempt is a bar
 * of its own on the same row, so retries and their backoff show as gaps.
 */
import type { Instance, StepView } from "../client/index.js";
import { duration } from "./format.js";

const TICKS = [0, 0.25, 0.5, 0.75, 1];

export function Waterfall({ instance, now }: { instance: Instance; now: number }) {
  if (instance.steps.length === 0) return null;
  const start = Date.parse(instance.createdAt);
  const end = instance.completedAt ? Date.parse(instance.completedAt) : Math.max(now, ...instance.steps.map((s) => stepEnd(s, now)));
  const span = Math.max(end - start, 1);
  const place = (from: number, to: number) => {
    const left = Math.min(100, Math.max(0, ((from - start) / span) * 100));
    const width = Math.max(0.4, Math.min(100 - left, ((to - from) / span) * 100));
    return `left:${left.toFixed(2)}%;width:${width.toFixed(2)}%`;
  };
  return (
    <div class="waterfall" role="img" aria-label={`Timeline of ${instance.steps.length} steps over ${duration(span)}`}>
      <div class="wf-row wf-axis">
        <span class="wf-label" />
        <div class="wf-track">
          {TICKS.map((t) => (
            <span class="wf-tick" style={`left:${t * 100}%`}>
              {t === 0 ? "0" : `+${duration(span * t)}`}
            </span>
          ))}
        </div>
      </div>
      {instance.steps.map((step) => {
        const from = Date.parse(step.startedAt);
        const to = stepEnd(step, now);
        return (
          <div class="wf-row" data-step={`${step.name}#${step.count}`}>
            <span class="wf-label" title={`${step.name} #${step.count} (${step.kind})`}>
              {step.name}
              {step.count > 1 ? <span class="muted"> #{step.count}</span> : null}
            </span>
            <div class="wf-track">
              <span
                class={`wf-bar s-${step.status}${step.finishedAt ? "" : " open"}`}
                style={place(from, to)}
                title={`${step.kind} ${step.status}, ${duration(to - from)}${step.attempts > 1 ? `, ${step.attempts} attempts` : ""}`}
              />
              {(step.failedAttempts ?? []).map((a) => (
                <span
                  class="wf-bar wf-attempt s-failed"
                  style={place(Date.parse(a.startedAt), Date.parse(a.finishedAt))}
                  title={`attempt ${a.attempt} failed after ${duration(Date.parse(a.finishedAt) - Date.parse(a.startedAt))}: ${a.error.message}`}
                />
              ))}
            </div>
          </div>
        );
      })}
    </div>
  );
}

function stepEnd(step: StepView, now: number): number {
  return step.finishedAt ? Date.parse(step.finishedAt) : now;
}

