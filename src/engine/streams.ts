/**
 * A step may return a `ReadableStream<Uint8Array>`, as on Cloudflare Workflows, to
 * hand on more bytes than a result may hold. The attempt reads the stream to its end
 * into the journal store, in parts of `STREAM_PART_BYTES` (each a row in the Durable
 * Object), up to `MAX_STREAM_RESULT_BYTES` for the whole instance; the step's record
 * then holds only `{"$stream":{"bytes","parts"}}`. The workflow gets a stream over the
 * stored parts, read one part at a time as it pulls: on the first run and on every
 * replay alike, so it sees the same bytes either way.
 */
import { MAX_STREAM_RESULT_BYTES } from "../lib/bounds.js";
import type { Engine } from "./call.js";
import { StepResultError } from "./errors.js";
import type { JournalStore, StepRecord } from "./journal.js";
import { parseResult, streamResult, type StreamInfo } from "./serialize.js";

/** Bytes per stored part: under the Durable Object's 2 MB limit on one SQLite value. */
export const STREAM_PART_BYTES = 1024 * 1024;

export function isReadableStream(value: unknown): value is ReadableStream {
  return typeof ReadableStream !== "undefined" && value instanceof ReadableStream;
}

/** What storing a stream needs from the engine. */
export interface StreamSink {
  /** Every store write goes through here (see Engine.write). */
  write<T>(body: (store: JournalStore) => T): T;
  /** False once the attempt was cut off (a timeout, a terminate) or the workflow ended: stop reading, write nothing more. */
  stillOn(): boolean;
  /** The attempt's signal: its abort cancels the stream, even in the middle of a read. */
  signal: AbortSignal;
}

/**
 * Reads `stream` to its end into the store as step `seq`'s bytes and returns the
 * step's result text. A stream that fails, gives something other than bytes, or
 * would take the instance past its bound leaves no part behind.
 */
export async function storeStream(stream: ReadableStream, seq: number, step: string, sink: StreamSink): Promise<string> {
  const reader = stream.getReader();
  const cancel = () => void reader.cancel(sink.signal.reason).catch(() => {});
  sink.signal.addEventListener("abort", cancel);
  sink.write((store) => store.dropBlobs(seq));
  const room = MAX_STREAM_RESULT_BYTES - sink.write((store) => store.blobBytes());
  const part = new Uint8Array(STREAM_PART_BYTES);
  let filled = 0;
  let parts = 0;
  let bytes = 0;
  const flush = () => {
    const full = part.slice(0, filled);
    const index = parts++;
    sink.write((store) => store.saveBlob(seq, index, full));
    filled = 0;
  };
  try {
    for (;;) {
      const { done, value } = (await reader.read()) as ReadableStreamReadResult<unknown>;
      if (!sink.stillOn()) throw new Error(`step "${step}" was cut off while its stream was read`);
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        throw new StepResultError(
          "STEP_RESULT_INVALID",
          `step "${step}" returned a ReadableStream that gave ${value === null ? "null" : typeof value === "object" ? `a ${value.constructor?.name ?? "object"}` : `a ${typeof value}`}; a stream result must give Uint8Array chunks (pipe text through a TextEncoderStream)`,
        );
      }
      bytes += value.byteLength;
      if (bytes > room) {
        throw new StepResultError(
          "STEP_RESULT_TOO_LARGE",
          `step "${step}" returned a stream of more than ${room} bytes, the room left of the ${MAX_STREAM_RESULT_BYTES} bytes (64 MiB) of stream results one instance keeps; keep large data elsewhere (R2) and return a reference to it`,
        );
      }
      for (let at = 0; at < value.byteLength; ) {
        const take = Math.min(value.byteLength - at, STREAM_PART_BYTES - filled);
        part.set(value.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === STREAM_PART_BYTES) flush();
      }
    }
    if (filled > 0) flush();
    return streamResult({ bytes, parts });
  } catch (error) {
    reader.cancel(error).catch(() => {});
    if (sink.stillOn()) sink.write((store) => store.dropBlobs(seq));
    throw error;
  } finally {
    sink.signal.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
}

/** A stream over step `seq`'s stored parts, each read from the store when the reader pulls it. */
export function openStream(read: (part: number) => Uint8Array | undefined, info: StreamInfo, step: string): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (next >= info.parts) return controller.close();
        const bytes = read(next++);
        if (bytes) return controller.enqueue(bytes);
        controller.error(
          new StepResultError(
            "STEP_RESULT_INVALID",
            `the bytes of step "${step}"'s stream result are not here (a journal export or a fork carries only their size); run the step again to read them`,
          ),
        );
      },
    },
    { highWaterMark: 0 },
  );
}

/** What a completed step's record gives the workflow: its value, or a stream over its stored bytes. */
export function stepResult(engine: Pick<Engine, "readBlob">, record: StepRecord): unknown {
  return parseResult(record.result, (info) => openStream((part) => engine.readBlob(record.seq, part), info, record.name));
}
