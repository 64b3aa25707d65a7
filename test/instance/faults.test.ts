/**
 * Fault injection in real workerd: the object aborted mid-step, alarms that keep
 * failing, events and terminates arriving mid-step, a clock that jumps past many
 * timers at once, oversized errors, and a journal write that storage refuses.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { Execution, MemoryJournal, realClock, type StepRecord } from "../../src/engine/index.js";
import { defineWorkflow } from "../../src/workflow.js";
import { effects, switches } from "../fixtures/effects.js";
import { api, crash, expireTimers, read, start, stubFor, uniqueId, waitForStatus, waitUntil } from "../helpers.js";

suite("faults", () => {
  it("replays after the object is aborted during a step: the interrupted attempt counts and runs again", async () => {
    const id = uniqueId("abort-mid-step");
    await start("test-gated", { id });
    await waitUntil(id, () => effects(`${id}/held`) === 1, "holding");
    await crash(id, "crash in the middle of a step");
    // The recovery lease set when the drive began brings the object back; its alarm
    // drives the replay, so it returns only once the held step is released.
    const alarm = runDurableObjectAlarm(stubFor(id));
    await waitUntil(id, () => effects(`${id}/held`) === 2, "holding again after the crash");
    switches.set(`${id}/release`, true);
    expect(await alarm).toBe(true);
    const done = await waitForStatus(id, "completed");
    expect(done.steps[0]).toMatchObject({ name: "held", attempts: 2, status: "completed" });
    expect(done.steps[0]!.failedAttempts?.[0]?.error.code).toBe("STEP_INTERRUPTED");
    expect(effects(`${id}/after nap`)).toBe(1);
  });

  it("keeps going when the alarm handler throws more often than the platform would retry it", async () => {
    const id = uniqueId("alarm-throws");
    await start("test-counted-chain", { id, input: { steps: 2, sleepAfter: 0, sleepMs: 50 } });
    await waitForStatus(id, "waiting");
    switches.set(`alarm-failures/${id}`, 8);
    const done = await waitForStatus(id, "completed", 15_000);
    expect(switches.get(`alarm-failures/${id}`)).toBe(0);
    expect(done.output).toEqual({ total: 1 });
    expect([effects(`${id}/add/0`), effects(`${id}/add/1`)]).toEqual([1, 1]);
  });

  it("keeps an event that arrives while a step runs, and hands it to the wait that follows", async () => {
    const id = uniqueId("event-mid-step");
    await start("test-busy-then-wait", { id });
    await waitUntil(id, () => effects(`${id}/busy`) === 1, "busy");
    const res = await api(`/api/instances/${id}/events`, { method: "POST", json: { type: "go", payload: "ready" } });
    expect(res.status).toBe(202);
    switches.set(`${id}/release`, true);
    expect((await waitForStatus(id, "completed")).output).toBe("ready");
  });

  it("fires every timer that a jump of the clock left overdue, in one alarm", async () => {
    const id = uniqueId("clock-jump");
    await start("test-many-timers", { id });
    const waiting = await waitForStatus(id, "waiting");
    expect(waiting.steps.map((s) => s.status).sort()).toEqual(["retrying", "sleeping", "sleeping", "waiting"]);
    await expireTimers(id);
    expect(await runDurableObjectAlarm(stubFor(id))).toBe(true);
    const done = await waitForStatus(id, "completed");
    expect(done.output).toEqual({ answer: "EVENT_TIMEOUT", retried: 2 });
    expect(effects(`${id}/retry later`)).toBe(2);
  });

  it("cuts an error message too large for the journal and fails the instance cleanly", async () => {
    const id = uniqueId("loud");
    await start("test-loud", { id });
    const failed = await waitForStatus(id, "failed");
    expect(failed.error!.message.length).toBeLessThan(9 * 1024);
    expect(failed.error!.message).toMatch(/more characters cut\)$/);
  });

  it("stops an execution whose journal write is refused, so the host can replay it", async () => {
    let runs = 0;
    const workflow = defineWorkflow({
      name: "refused-write",
      async run(_e, step) {
        const a = await step.do("a", () => (runs++, 1));
        const b = await step.do("b", { retries: { limit: 2, delay: 0 } }, () => (runs++, 2));
        return a + b;
      },
    });
    class RefusingJournal extends MemoryJournal {
      refuse = true;
      override save(record: StepRecord): void {
        if (this.refuse && record.name === "b" && record.status === "completed") throw new Error("SQLITE_TOOBIG: string or blob too big");
        super.save(record);
      }
    }
    const journal = new RefusingJournal();
    const first = new Execution(workflow, { id: "w", createdAt: 0 }, journal, realClock);
    await expect(first.advance()).rejects.toThrow(/SQLITE_TOOBIG/);
    expect(first.finished).toBe(true);
    // Storage is healthy again: a new execution replays the journal and finishes; "a" is not run
    // again, "b" (whose result storage refused) runs a second time.
    journal.refuse = false;
    const replay = new Execution(workflow, { id: "w", createdAt: 0 }, journal, realClock);
    expect(await replay.advance()).toEqual({ kind: "completed", output: "3" });
    expect(runs).toBe(3);
  });
});
