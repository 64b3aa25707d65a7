/**
 * The instance lifecycle as one pure machine: `next(state, cause, now)` says what
 * follows anything that can happen to an instance, as a new state, the timers to
 * set or clear, and the effects to run, or as a refusal with a stable code.
 *
 * The Durable Object gathers the facts a cause needs (is a step waiting for this
 * event? is an advance under way in memory?), asks the machine, writes the new state
 * and the timers in one storage transaction, and only then runs the effects. Effects
 * that take time (asking the gate for a slot, telling a parent, purging) report back
 * as causes of their own, so nothing held across an `await` decides the lifecycle.
 *
 * Every (status × cause) pair has a decided outcome; `test/engine/lifecycle.test.ts`
 * lists them all in one table.
 */
import type { Status } from "../status.js";
import { Builder } from "./builder.js";
import {
  FAULT_RETRY_MS,
  GATE_RETRY_MS,
  MESSAGE_RETRY_MS,
  OUTBOX_LEASE_MS,
  PURGE_RETRY_MS,
  RECOVERY_LEASE_MS,
  REGISTRY_CHECK_MS,
  SLOT_CHECK_MS,
  type Cause,
  type CauseKind,
  type LifecycleState,
  type RefusalCode,
  type Refusal,
  type Transition,
} from "./types.js";

const ACTIVE: ReadonlySet<string> = new Set(["queued", "running", "waiting"]);
const TERMINAL: ReadonlySet<string> = new Set(["completed", "failed", "terminated"]);
/** Causes that are requests from outside, refused rather than ignored when they do not apply. */
const REQUESTS: ReadonlySet<CauseKind> = new Set(["create", "event", "pause", "resume", "terminate", "restart", "delete", "resolve", "debounce"]);

/** Decides what follows `cause` for an instance in `state`. */
export function next(state: LifecycleState, cause: Cause, now: number): Transition {
  const b = new Builder(state, now);
  const { status } = state;

  if (status === "absent") {
    if (cause.kind !== "create") return REQUESTS.has(cause.kind) ? refuse("INSTANCE_NOT_FOUND", status) : b.done();
    if (cause.debounceUntil !== undefined) {
      b.move("queued", { waitingFor: { kind: "debounce", since: new Date(now).toISOString(), until: new Date(cause.debounceUntil).toISOString() } });
      b.timer("debounce", cause.debounceUntil);
      return b.done();
    }
    b.move("queued", { waitingFor: null });
    b.effects.push(state.gated ? { kind: "requestSlot" } : { kind: "drive" });
    return b.done();
  }
  if (cause.kind === "create") return refuse("INSTANCE_EXISTS", status);

  if (state.stopping === "delete") {
    switch (cause.kind) {
      case "delete":
      case "retentionDue":
        b.timer("retention", now + PURGE_RETRY_MS);
        b.effects.push({ kind: "purge" });
        return b.done();
      case "purged":
        return b.gone();
      case "purgeFailed":
        b.state.stopping = null;
        if (TERMINAL.has(status)) b.timer("retention", now + PURGE_RETRY_MS);
        else if (ACTIVE.has(status)) b.effects.push({ kind: "drive" });
        return b.done();
      case "slotGranted":
        b.effects.push({ kind: "releaseSlot", gate: cause.gate });
        return b.done();
      default:
        return REQUESTS.has(cause.kind) ? refuse("INSTANCE_DELETING", status) : b.done();
    }
  }

  const debouncing = status === "queued" && state.waitingFor?.kind === "debounce";
  switch (cause.kind) {
    case "drive":
      // A debounced start waits for its time (the `debounce` timer), whatever wakes it.
      if (debouncing) return b.done();
      if (status === "queued" && state.gated && state.slot === null && state.stopping !== "rollback") {
        b.effects.push({ kind: "requestSlot" });
        return b.done();
      }
      if (!ACTIVE.has(status)) return b.done();
      b.move("running", { waitingFor: null });
      b.timer("lease", now + RECOVERY_LEASE_MS);
      b.clear("registry");
      b.effects.push({ kind: "advance" });
      return b.done();

    case "completed":
    case "failed": {
      if (status !== "running" && status !== "paused") return b.done();
      if (state.stopping === "rollback") return b.finish("terminated", {});
      if (cause.kind === "completed") return b.finish("completed", { output: cause.output });
      return b.finish("failed", { error: cause.error });
    }

    case "suspended":
      if (status !== "running" && status !== "paused") return b.done();
      b.clear("lease");
      if (status === "paused") return b.done();
      if (cause.waitingFor) b.move("waiting", { waitingFor: cause.waitingFor });
      // Awaiting something that is not a step: look again now and then rather than never.
      else b.timer("lease", now + 60_000);
      return b.done();

    case "threw":
      if (status !== "running" && status !== "paused") return b.done();
      b.timer("lease", now + FAULT_RETRY_MS);
      b.effects.push({ kind: "dropExecution" });
      return b.done();

    case "event":
      if (TERMINAL.has(status)) return refuse("INSTANCE_FINISHED", status);
      if (cause.waitedFor && (status === "running" || status === "waiting")) b.effects.push({ kind: "drive" });
      return b.done();

    case "alarm":
      switch (status) {
        case "queued":
          b.effects.push({ kind: "drive" });
          return b.done();
        case "running":
          // A drive under way (a long step) keeps its lease; one cut short by an eviction replays.
          if (cause.advancing) b.timer("lease", now + RECOVERY_LEASE_MS);
          b.effects.push({ kind: "drive" });
          return b.done();
        case "waiting":
          // Waiting for a deployment: the registry timer looks. A wait with no step timer due
          // has nothing to do, in memory or not (the alarm was for another timer, or a
          // fallback behind an in-memory wake-up): a replay would only wait again. What
          // ends a wait otherwise (an event, a child's news) drives in its own turn.
          if (state.waitingFor?.kind === "deployment" || cause.advancing || !cause.stepDue) return b.done();
          b.effects.push({ kind: "drive" });
          return b.done();
        default:
          return b.done();
      }

    case "retentionDue":
      if (!TERMINAL.has(status)) {
        b.clear("retention");
        return b.done();
      }
      b.state.stopping = "delete";
      b.timer("retention", now + PURGE_RETRY_MS);
      b.effects.push({ kind: "purge" });
      return b.done();

    case "outboxDue":
      b.timer("outbox", now + OUTBOX_LEASE_MS);
      b.effects.push({ kind: "pushIndex" });
      return b.done();

    case "slotDue":
      if (status === "queued" && state.gated && state.slot === null && !debouncing) b.effects.push({ kind: "requestSlot" });
      else b.clear("slot");
      return b.done();

    case "parentDue":
      if (TERMINAL.has(status) && state.hasParent) b.effects.push({ kind: "tellParent" });
      else b.clear("parent");
      return b.done();

    case "releaseDue":
      if (TERMINAL.has(status) && state.slot !== null) b.effects.push({ kind: "releaseSlot", gate: state.slot });
      else b.clear("release");
      return b.done();

    case "registryDue":
      if (status === "waiting" && state.waitingFor?.kind === "deployment") b.effects.push({ kind: "drive" });
      else b.clear("registry");
      return b.done();

    case "slotGranted":
      // A debounced instance asks no gate yet: a grant it did not ask for goes back.
      if (TERMINAL.has(status) || debouncing) {
        b.effects.push({ kind: "releaseSlot", gate: cause.gate });
        return b.done();
      }
      b.state.slot = cause.gate;
      b.clear("slot");
      if (status === "queued") {
        if (state.waitingFor) b.move("queued", { waitingFor: null });
        b.effects.push({ kind: "drive" });
      }
      return b.done();

    case "slotRefused": {
      if (status !== "queued" || state.slot !== null || debouncing) return b.done();
      // Since when it waits for this (a slot, or its turn under the throttle) is kept across refusals.
      const kind = cause.wait ?? "slot";
      const previous = state.waitingFor?.kind === kind && state.waitingFor.code === undefined ? state.waitingFor : undefined;
      const until = cause.retryAt === undefined ? {} : { until: new Date(cause.retryAt).toISOString() };
      b.move("queued", { waitingFor: { kind, since: previous?.since ?? new Date(now).toISOString(), ...until } });
      b.timer("slot", Math.max(now, cause.retryAt ?? now + SLOT_CHECK_MS));
      return b.done();
    }

    case "gateUnreachable": {
      if (status !== "queued" || state.slot !== null || debouncing) return b.done();
      const previous = state.waitingFor?.kind === "slot" && state.waitingFor.code === "GATE_UNAVAILABLE" ? state.waitingFor : undefined;
      const since = previous?.since ? Date.parse(previous.since) : now;
      const delay = Math.min(GATE_RETRY_MS.max, Math.max(GATE_RETRY_MS.first, now - since));
      if (!previous) {
        b.move("queued", { waitingFor: { kind: "slot", code: "GATE_UNAVAILABLE", since: new Date(now).toISOString(), message: cause.message } });
        b.effects.push({ kind: "log", level: "warn", message: `its concurrency gate cannot be reached (${cause.message}); asking again with backoff` });
      }
      b.timer("slot", now + delay);
      return b.done();
    }

    case "slotKeyInvalid":
      if (status !== "queued") return b.done();
      return b.finish("failed", {
        error: { name: cause.code === "THROTTLE_KEY_INVALID" ? "ThrottleKeyError" : "ConcurrencyKeyError", code: cause.code, message: cause.message },
      });

    case "slotReleased":
      b.state.slot = null;
      b.clear("release");
      return b.done();

    case "releaseFailed":
      if (state.slot !== null) b.timer("release", now + MESSAGE_RETRY_MS);
      return b.done();

    case "parentTold":
      b.clear("parent");
      return b.done();

    case "parentUnreachable":
      if (state.hasParent && TERMINAL.has(status)) b.timer("parent", now + MESSAGE_RETRY_MS);
      return b.done();

    case "pause":
      if (!ACTIVE.has(status) || state.stopping === "rollback") return refuse("INVALID_TRANSITION", status);
      b.move("paused", { waitingFor: null });
      b.clear("lease");
      b.effects.push({ kind: "pauseExecution" });
      return b.done();

    case "resume":
      if (status !== "paused") return refuse("INVALID_TRANSITION", status);
      b.move(state.gated && state.slot === null ? "queued" : "running", { waitingFor: null });
      b.effects.push({ kind: "resumeExecution" }, { kind: "drive" });
      return b.done();

    case "terminate":
      if (!ACTIVE.has(status) && status !== "paused") return refuse("INVALID_TRANSITION", status);
      b.effects.push({ kind: "terminateChildren" });
      if (!cause.rollback) {
        b.effects.push({ kind: "abort", reason: "terminated" });
        return b.finish("terminated", {});
      }
      // The rollbacks run in a drive of their own, from any status, needing no slot.
      b.state.stopping = "rollback";
      b.move("running", { waitingFor: null });
      b.clear("registry");
      b.effects.push({ kind: "resumeExecution" }, { kind: "compensate" }, { kind: "drive" });
      return b.done();

    case "restart":
      if (status === "queued") return refuse("INVALID_TRANSITION", status);
      b.state.stopping = null;
      b.move("queued", { waitingFor: null }, { reset: true });
      b.clear("retention", "parent", "registry", "lease");
      if (state.slot !== null) b.clear("release");
      b.effects.push({ kind: "abort", reason: "restarted" }, { kind: "rewind", fromSeq: cause.fromSeq });
      b.effects.push(state.gated && state.slot === null ? { kind: "requestSlot" } : { kind: "drive" });
      return b.done();

    case "resolve":
      // The journal now holds the step's result: a replay returns it and goes on from there.
      if (status === "failed") {
        b.move("queued", { waitingFor: null }, { reset: true });
        b.clear("retention", "parent");
        b.effects.push({ kind: "dropExecution" }, state.gated && state.slot === null ? { kind: "requestSlot" } : { kind: "drive" });
        return b.done();
      }
      if ((status !== "running" && status !== "waiting" && status !== "paused") || state.stopping === "rollback") return refuse("INVALID_TRANSITION", status);
      b.effects.push({ kind: "dropExecution" });
      if (status !== "paused") b.effects.push({ kind: "drive" });
      return b.done();

    case "delete":
      // Durable: a purge cut short by a crash is taken up again by the alarm.
      b.state.stopping = "delete";
      b.timer("retention", now + PURGE_RETRY_MS);
      b.effects.push({ kind: "abort", reason: "deleted" }, { kind: "purge" });
      return b.done();

    case "purged":
    case "purgeFailed":
      return b.done();

    case "debounce":
      if (!debouncing) return refuse("INVALID_TRANSITION", status);
      b.move("queued", { waitingFor: { ...state.waitingFor!, until: new Date(cause.until).toISOString() } });
      b.timer("debounce", cause.until);
      return b.done();

    case "debounceDue":
      b.clear("debounce");
      if (!debouncing) return b.done();
      b.move("queued", { waitingFor: null });
      b.effects.push(state.gated ? { kind: "requestSlot" } : { kind: "drive" });
      return b.done();

    case "workflowMissing": {
      if (!ACTIVE.has(status)) return b.done();
      const previous = state.waitingFor?.kind === "deployment" ? state.waitingFor : undefined;
      const since = previous?.since ?? new Date(now).toISOString();
      const waited = now - Date.parse(since);
      b.move("waiting", {
        waitingFor: {
          kind: "deployment",
          code: "WORKFLOW_NOT_REGISTERED",
          workflow: cause.workflow,
          since,
          message: `workflow "${cause.workflow}" is not registered in this deployment; the instance continues by itself once a deployment registers it again (workflows/index.ts), and may be terminated or deleted meanwhile`,
        },
      });
      b.clear("lease");
      b.timer("registry", now + (waited < REGISTRY_CHECK_MS.firstFor ? REGISTRY_CHECK_MS.first : REGISTRY_CHECK_MS.later));
      b.effects.push({ kind: "dropExecution" });
      if (!previous) b.effects.push({ kind: "log", level: "warn", message: `waits for a deployment that registers workflow "${cause.workflow}"` });
      return b.done();
    }
  }
}

function refuse(code: RefusalCode, status: Status | "absent"): Refusal {
  return { ok: false, code, status };
}
