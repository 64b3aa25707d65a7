/**
 * Result types across versions: a journal frozen when it was written — one step as
 * plain JSON from before result types were kept (a Date that became a string), one
 * step and the output in devalue's form, one stream result — replays against the
 * code with each value as it was journaled. A change of devalue's format (an
 * upgrade) or of how texts are told apart fails here, before it reaches a journal.
 */
import { describe, expect, it } from "vitest";
import { parseResult, serializeResult } from "../../src/engine/index.js";
import { readJournal } from "../../src/journal/format.js";
import { replayJournal } from "../../src/journal/replay.js";
import { defineWorkflow } from "../../src/workflow.js";
import frozen from "./typed/typed-results--plain-then-typed.json";

const TYPED = {
  at: new Date(Date.UTC(2026, 3, 1, 9, 30)),
  ids: new Set([1, 2]),
  big: 12345678901234567890n,
  bytes: new Uint8Array([1, 2, 3]),
  byName: new Map([["a", { missing: undefined }]]),
  pattern: /a+/gi,
  ratio: -0,
};

const workflow = defineWorkflow({
  name: "typed-golden",
  async run(_event, step) {
    // Today this step's Date is kept as a Date; the journal holds the string plain JSON made of it then.
    const legacy: unknown = await step.do("when, as plain JSON wrote it", () => new Date(Date.UTC(2026, 0, 1)));
    const typed = await step.do("typed", () => TYPED);
    const body = await step.do("download", () => new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(new Uint8Array(3)), c.close()) }));
    const kept =
      typed.at instanceof Date && typed.ids instanceof Set && typeof typed.big === "bigint" && typed.bytes instanceof Uint8Array &&
      typed.byName instanceof Map && "missing" in typed.byName.get("a")! && typed.pattern instanceof RegExp && Object.is(typed.ratio, -0) &&
      body instanceof ReadableStream;
    return { legacy, legacyIsString: typeof legacy === "string", typed, kept };
  },
});

describe("a journal with plain JSON, devalue and stream results", () => {
  const journal = readJournal(frozen, "typed-results--plain-then-typed.json");

  it("replays to the same output, each step's value as it was journaled", async () => {
    const replay = await replayJournal(workflow, journal);
    expect(replay.kind, JSON.stringify(replay)).toBe("outcome");
    if (replay.kind !== "outcome" || replay.outcome.kind !== "completed") throw new Error(JSON.stringify(replay));
    const output = parseResult(replay.outcome.output) as { legacy: unknown; legacyIsString: boolean; typed: typeof TYPED; kept: boolean };
    expect(output).toEqual({ legacy: "2026-01-01T00:00:00.000Z", legacyIsString: true, typed: TYPED, kept: true });
    expect(output).toEqual(parseResult(JSON.stringify(journal.instance.output)));
    // The same text as the one frozen: devalue still writes what it wrote then.
    expect(JSON.parse(replay.outcome.output!)).toEqual(journal.instance.output);
  });

  it("still writes the typed step as the frozen journal holds it", () => {
    expect(JSON.parse(serializeResult(TYPED, "step")!)).toEqual(journal.steps[1]!.result);
  });
});
