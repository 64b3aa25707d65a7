/**
 * A step that returns a ReadableStream<Uint8Array>: its bytes are stored in parts
 * apart from the journal's record, past the 1 MiB result limit and up to the
 * instance's bound, and the workflow gets a stream of the same bytes on the first run
 * and on every replay.
 */
import { describe, expect, it } from "vitest";
import { displayValue, MemoryJournal, type StepRecord } from "../../src/engine/index.js";
import { STREAM_PART_BYTES } from "../../src/engine/streams.js";
import { MAX_STREAM_RESULT_BYTES } from "../../src/lib/bounds.js";
import { checkReplaySafety, testWorkflow } from "../../src/testing.js";
import { defineWorkflow } from "../../src/workflow.js";
import { ManualClock, runOnce } from "./harness.js";

const byteAt = (i: number) => (i * 31 + 7) % 251;

/** `total` bytes in chunks of `chunk`, made as they are pulled. */
function bytes(total: number, chunk = 64 * 1024, { failAt }: { failAt?: number } = {}): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAt !== undefined && sent >= failAt) return controller.error(new Error("the upstream connection dropped"));
      if (sent >= total) return controller.close();
      const size = Math.min(chunk, total - sent);
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i++) out[i] = byteAt(sent + i);
      sent += size;
      controller.enqueue(out);
    },
  });
}

/** Reads a stream to its end: its length, and whether every byte is the one `bytes` made. */
async function check(stream: ReadableStream<Uint8Array>): Promise<{ length: number; intact: boolean }> {
  let length = 0;
  let intact = true;
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    for (let i = 0; i < chunk.length; i++) if (chunk[i] !== byteAt(length + i)) intact = false;
    length += chunk.length;
  }
  return { length, intact };
}

/** What storage would give back: the records as stored text, and the parts. */
function stored(journal: MemoryJournal): MemoryJournal {
  const copy = new MemoryJournal();
  for (const record of journal.load()) copy.save(JSON.parse(JSON.stringify(record)) as StepRecord);
  for (const [key, part] of journal.blobs) copy.blobs.set(key, part.slice());
  return copy;
}

const SIZE = 3 * STREAM_PART_BYTES + 12_345;

describe("a step's stream result", () => {
  it("is stored in parts past 1 MiB, and read back as the same bytes on the first run and on a replay", async () => {
    let runs = 0;
    const workflow = defineWorkflow({
      name: "export",
      async run(_e, step) {
        const body = await step.do("download", () => (runs++, bytes(SIZE, 100_003)));
        const read = await check(body);
        await step.do("after", () => read.length);
        return read;
      },
    });
    const first = await runOnce(workflow, undefined);
    expect(first.outcome).toEqual({ kind: "completed", output: JSON.stringify({ length: SIZE, intact: true }) });
    const record = first.journal.records.get(0)!;
    expect(record.result).toBe(JSON.stringify({ $stream: { bytes: SIZE, parts: 4 } }));
    expect([...first.journal.blobs.keys()]).toEqual(["0:0", "0:1", "0:2", "0:3"]);
    expect(first.journal.blobs.get("0:0")!.byteLength).toBe(STREAM_PART_BYTES);
    expect(first.journal.blobBytes()).toBe(SIZE);
    expect(displayValue(record.result!)).toEqual({ $type: "ReadableStream", bytes: SIZE });

    const replay = await runOnce(workflow, undefined, { journal: stored(first.journal) });
    expect(replay.outcome).toEqual(first.outcome);
    expect(runs).toBe(1);
  });

  it("reads each stored part only when the workflow pulls it", async () => {
    const journal = new MemoryJournal();
    const reads: string[] = [];
    const original = journal.loadBlob.bind(journal);
    journal.loadBlob = (seq, part) => (reads.push(`${seq}:${part}`), original(seq, part));
    let firstChunk = 0;
    const workflow = defineWorkflow({
      name: "lazy",
      async run(_e, step) {
        const body = await step.do("download", () => bytes(SIZE));
        const reader = body.getReader();
        firstChunk = (await reader.read()).value!.byteLength;
        await reader.cancel();
        return "read one part";
      },
    });
    await runOnce(workflow, undefined, { journal });
    expect(firstChunk).toBe(STREAM_PART_BYTES);
    expect(reads).toEqual(["0:0"]);
  });

  it("an empty stream is a stream of no bytes", async () => {
    const workflow = defineWorkflow({ name: "empty", run: async (_e, step) => check(await step.do("nothing", () => bytes(0))) });
    const { outcome, journal } = await runOnce(workflow, undefined);
    expect(outcome).toEqual({ kind: "completed", output: JSON.stringify({ length: 0, intact: true }) });
    expect(journal.blobs.size).toBe(0);
  });

  it("fails the step when the stream gives something other than bytes, leaving no part behind", async () => {
    const workflow = defineWorkflow({
      name: "text-stream",
      run: (_e, step) =>
        step.do("text", () => new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array(STREAM_PART_BYTES + 1)), c.enqueue("text"), c.close()) }) as never),
    });
    const { outcome, journal } = await runOnce(workflow, undefined);
    expect(outcome).toMatchObject({ kind: "failed", error: { code: "STEP_RESULT_INVALID", message: expect.stringMatching(/gave a string; a stream result must give Uint8Array chunks/) } });
    expect(journal.blobs.size).toBe(0);
  });

  it("fails the step past the instance's bound, counting the stream results it already keeps", async () => {
    class NearlyFull extends MemoryJournal {
      override blobBytes(): number {
        return super.blobBytes() + MAX_STREAM_RESULT_BYTES - 1_000;
      }
    }
    const journal = new NearlyFull();
    let attempts = 0;
    const workflow = defineWorkflow({ name: "too-much", run: (_e, step) => step.do("download", () => (attempts++, bytes(1_001, 100))) });
    const { outcome } = await runOnce(workflow, undefined, { journal });
    expect(attempts).toBe(1);
    expect(outcome).toMatchObject({ kind: "failed", error: { code: "STEP_RESULT_TOO_LARGE", message: expect.stringMatching(/64 MiB/) } });
    expect(journal.blobs.size).toBe(0);
  });

  it("a stream that breaks fails the attempt; the retry stores its own bytes only", async () => {
    let attempts = 0;
    const clock = new ManualClock();
    const workflow = defineWorkflow({
      name: "flaky-download",
      async run(_e, step) {
        const body = await step.do("download", { retries: { limit: 2, delay: "1 second", backoff: "constant" } }, () =>
          ++attempts === 1 ? bytes(SIZE, 65_536, { failAt: 2 * STREAM_PART_BYTES + 10 }) : bytes(SIZE - 5),
        );
        return check(body);
      },
    });
    const first = await runOnce(workflow, undefined, { clock });
    expect(first.outcome.kind).toBe("suspended");
    expect(first.journal.attempts[0]?.error.message).toBe("the upstream connection dropped");
    expect(first.journal.blobs.size).toBe(0);
    clock.advance(1_000);
    expect(await first.execution.advance()).toEqual({ kind: "completed", output: JSON.stringify({ length: SIZE - 5, intact: true }) });
    expect(first.journal.blobBytes()).toBe(SIZE - 5);
  });

  it("a stream still being read when the attempt times out is cancelled, and nothing more is stored", async () => {
    let cancelled = false;
    const clock = new ManualClock();
    let pulls = 0;
    const workflow = defineWorkflow({
      name: "slow-download",
      run: (_e, step) =>
        step.do("download", { timeout: 1_000, retries: { limit: 0, delay: 0 } }, () =>
          new ReadableStream<Uint8Array>({
            pull: (c) => (pulls++ === 0 ? c.enqueue(new Uint8Array(10)) : new Promise<void>(() => {})),
            cancel: () => void (cancelled = true),
          }),
        ),
    });
    const run = runOnce(workflow, undefined, { clock });
    await new Promise((resolve) => setTimeout(resolve, 5));
    clock.advance(1_000);
    const { outcome, journal } = await run;
    expect(outcome).toMatchObject({ kind: "failed", error: { code: "STEP_TIMEOUT" } });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(cancelled).toBe(true);
    expect(journal.blobs.size).toBe(0);
  });

  it("comes back from the test kit's journal as a stream", async () => {
    const workflow = defineWorkflow({ name: "kit-stream", run: async (_e, step) => (await check(await step.do("download", () => bytes(SIZE)))).length });
    const run = testWorkflow(workflow);
    await run.run();
    expect(run.output).toBe(SIZE);
    expect(await check(run.result("download") as ReadableStream<Uint8Array>)).toEqual({ length: SIZE, intact: true });
  });

  it("survives the test kit's crash at every step boundary", async () => {
    const workflow = defineWorkflow({
      name: "kit-stream-replays",
      async run(_e, step) {
        const first = await check(await step.do("download", () => bytes(SIZE)));
        await step.do("note", () => first.length);
        return first;
      },
    });
    const report = await checkReplaySafety(workflow);
    expect(report.boundaries).toBe(2);
    expect(report.outcome).toEqual({ kind: "completed", output: JSON.stringify({ length: SIZE, intact: true }) });
  });

  it("says where the bytes went when a journal holds only the stream's size", async () => {
    const journal = new MemoryJournal();
    journal.save({ seq: 0, name: "download", count: 1, kind: "do", status: "completed", attempts: 1, startedAt: 0, result: JSON.stringify({ $stream: { bytes: 3, parts: 1 } }) });
    let problem: unknown;
    const workflow = defineWorkflow({
      name: "exported",
      run: async (_e, step) => {
        await check(await step.do("download", () => bytes(3))).catch((error: unknown) => (problem = error));
        return "went on";
      },
    });
    await runOnce(workflow, undefined, { journal });
    expect(problem).toMatchObject({ code: "STEP_RESULT_INVALID", message: expect.stringMatching(/not here \(a journal export or a fork carries only their size\)/) });
  });
});
