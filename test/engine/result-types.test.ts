/**
 * Step results and workflow outputs keep the types Cloudflare's structured clone
 * keeps, identically on the first run and on a replay from the journal alone; what
 * cannot be kept fails the step naming where it is; the view shows each value as
 * readable JSON with its type; texts written as plain JSON still read as before.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { displayValue, MemoryJournal, parseResult, serializeResult, type Outcome, type StepRecord } from "../../src/engine/index.js";
import { MAX_JSON_DEPTH } from "../../src/lib/bounds.js";
import { testWorkflow } from "../../src/testing.js";
import { defineWorkflow, type WorkflowStep } from "../../src/workflow.js";
import { runOnce } from "./harness.js";

function output(outcome: Outcome): unknown {
  if (outcome.kind !== "completed") throw new Error(`expected completed, got ${JSON.stringify(outcome)}`);
  return parseResult(outcome.output);
}

/** A replay that has only what the journal holds: its records, copied as storage would give them back. */
function journalOnly(journal: MemoryJournal): MemoryJournal {
  const copy = new MemoryJournal();
  for (const record of journal.load()) copy.save(JSON.parse(JSON.stringify(record)) as StepRecord);
  return copy;
}

const shared = { id: 7 };
const cyclic: Record<string, unknown> = { name: "loop" };
cyclic.self = cyclic;
const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays

const KEPT: [string, () => unknown, (value: unknown) => void][] = [
  ["a Date", () => new Date(Date.UTC(2026, 5, 1, 12)), (v) => expect(v).toEqual(new Date(Date.UTC(2026, 5, 1, 12)))],
  ["an invalid Date", () => new Date(Number.NaN), (v) => expect(v instanceof Date && Number.isNaN(v.getTime())).toBe(true)],
  ["a Map", () => new Map<unknown, unknown>([["a", 1], [2, { b: [true] }]]), (v) => expect(v).toEqual(new Map<unknown, unknown>([["a", 1], [2, { b: [true] }]]))],
  ["a Set", () => new Set(["x", 3]), (v) => expect(v).toEqual(new Set(["x", 3]))],
  ["a BigInt", () => 2n ** 70n, (v) => expect(v).toBe(2n ** 70n)],
  ["a Uint8Array", () => new Uint8Array([0, 1, 255]), (v) => expect(v).toEqual(new Uint8Array([0, 1, 255]))],
  ["a Float64Array", () => new Float64Array([1.5, -0.25]), (v) => expect(v).toEqual(new Float64Array([1.5, -0.25]))],
  ["a BigInt64Array", () => new BigInt64Array([-1n]), (v) => expect(v).toEqual(new BigInt64Array([-1n]))],
  ["an ArrayBuffer", () => new Uint8Array([9, 8]).buffer, (v) => expect(new Uint8Array(v as ArrayBuffer)).toEqual(new Uint8Array([9, 8]))],
  ["undefined in an object", () => ({ a: undefined, b: 1 }), (v) => expect(Object.keys(v as object)).toEqual(["a", "b"])],
  ["undefined in an array", () => [undefined, 1], (v) => expect(v).toEqual([undefined, 1])],
  ["a RegExp", () => /a+b/gi, (v) => expect(v).toEqual(/a+b/gi)],
  ["NaN, Infinity and -0", () => [Number.NaN, -Infinity, -0], (v) => expect(Object.is((v as number[])[2], -0) && Number.isNaN((v as number[])[0])).toBe(true)],
  ["a URL", () => new URL("https://example.com/a?b=1"), (v) => expect(String(v)).toBe("https://example.com/a?b=1")],
  ["a shared reference", () => [shared, shared], (v) => expect((v as object[])[0]).toBe((v as object[])[1])],
  ["a cycle", () => cyclic, (v) => expect((v as typeof cyclic).self).toBe(v)],
  ["a null-prototype object", () => nullProto, (v) => expect(Object.getPrototypeOf(v)).toBe(null)],
  ["a sparse array", () => sparse, (v) => expect(1 in (v as unknown[])).toBe(false)],
  ["a boxed string", () => Object("s"), (v) => expect(v).toBeInstanceOf(String)],
  [
    "an error, by its name, message and code",
    () => ({ problem: Object.assign(new TypeError("card declined"), { code: "DECLINED", detail: "dropped" }) }),
    (v) => {
      const problem = (v as { problem: Error & { code?: string } }).problem;
      expect(problem).toBeInstanceOf(Error);
      expect({ name: problem.name, message: problem.message, code: problem.code }).toEqual({ name: "TypeError", message: "card declined", code: "DECLINED" });
    },
  ],
];

describe("a step's result keeps its type", () => {
  it.each(KEPT)("%s, on the first run and on a replay from the journal", async (_what, make, check) => {
    const seen: unknown[] = [];
    let runs = 0;
    const workflow = defineWorkflow({
      name: "kept",
      async run(_e, step) {
        seen.push(await step.do("make", () => (runs++, make() as never)));
        return "done";
      },
    });
    const first = await runOnce(workflow, undefined);
    expect(first.outcome.kind).toBe("completed");
    await runOnce(workflow, undefined, { journal: journalOnly(first.journal) });
    expect(runs).toBe(1);
    expect(seen).toHaveLength(2);
    for (const value of seen) check(value);
    expect(seen[1]).toEqual(seen[0]);
  });

  it("keeps a workflow's output and a child's input the same way", async () => {
    const workflow = defineWorkflow({ name: "typed-output", run: () => ({ at: new Date(0), ids: new Set([1n]) }) });
    const { outcome } = await runOnce(workflow, undefined);
    expect(output(outcome)).toEqual({ at: new Date(0), ids: new Set([1n]) });
  });

  it("keeps a child's input and output across step.child", async () => {
    const child = defineWorkflow<{ since: Date }>({
      name: "typed-child",
      run: (event) => ({ since: event.payload.since, isDate: event.payload.since instanceof Date, seen: new Set(["x"]) }),
    });
    const parent = defineWorkflow({
      name: "typed-parent",
      async run(_e, step) {
        const out = await step.child<{ since: Date; isDate: boolean; seen: Set<string> }>("child", child, { since: new Date(5) });
        return { ...out, outIsDate: out.since instanceof Date };
      },
    });
    const run = testWorkflow(parent, { workflows: { "typed-child": child } });
    await run.run();
    expect(run.output).toEqual({ since: new Date(5), isDate: true, seen: new Set(["x"]), outIsDate: true });
  });

  it("writes a value JSON keeps exactly as plain JSON, as before", () => {
    const value = { a: [1, "two", null, true, { b: -1.5 }] };
    expect(serializeResult(value, "step")).toBe(JSON.stringify(value));
    expect(serializeResult("x", "step")).toBe('"x"');
    expect(serializeResult({ a: new Date(0) }, "step")).toMatch(/^\{"\$devalue":\[/);
  });

  it("never writes a text that could be read two ways: plain data shaped like the encodings goes through devalue", () => {
    for (const value of [{ $devalue: [1] }, { $stream: { bytes: 1, parts: 1 } }]) {
      const text = serializeResult(value, "step")!;
      expect(text).toMatch(/^\{"\$devalue":\[/);
      expect(parseResult(text)).toEqual(value);
    }
  });

  it("reads texts written as plain JSON before, including one that only looks like devalue's", () => {
    expect(parseResult('{"when":"2026-06-01T00:00:00.000Z","n":1}')).toEqual({ when: "2026-06-01T00:00:00.000Z", n: 1 });
    expect(parseResult('{"$devalue":"not devalue"}')).toEqual({ $devalue: "not devalue" });
    expect(parseResult('{"$stream":{"bytes":3,"parts":1}}')).toEqual({ $stream: { bytes: 3, parts: 1 } });
  });
});

describe("a result that cannot be kept fails the step, naming where", () => {
  class User {
    constructor(readonly name: string) {}
    save() {}
  }
  it.each([
    ["a function in an object", () => ({ user: { name: "a", save: () => {} } }), /a function at result\.user\.save/],
    ["a class instance", () => ({ user: new User("a") }), /an instance of User \(its class and methods would be lost\) at result\.user\b/],
    ["a symbol in an array", () => [1, Symbol("s")], /a symbol at result\[1\]/],
    ["a function as a Map's value", () => new Map([["k", () => 1]]), /a function at result\.get\("k"\)/],
    ["a stream inside an object", () => ({ body: new ReadableStream() }), /a ReadableStream \(only a step's whole result may be a stream\) at result\.body/],
    ["symbol keys", () => ({ [Symbol("k")]: 1 }), /symbol keys at result\b/],
  ])("%s", async (_what, make, message) => {
    let attempts = 0;
    const workflow = defineWorkflow({ name: "unkept", run: (_e, step) => step.do("make", () => (attempts++, make() as never)) });
    const { outcome } = await runOnce(workflow, undefined);
    expect(attempts).toBe(1);
    expect(outcome).toMatchObject({ kind: "failed", error: { code: "STEP_RESULT_INVALID", step: { name: "make", count: 1 } } });
    if (outcome.kind === "failed") expect(outcome.error.message).toMatch(message);
  });

  it("names the path in a workflow's output", async () => {
    const workflow = defineWorkflow({ name: "bad-output", run: () => ({ report: { render: () => "" } }) });
    const { outcome } = await runOnce(workflow, undefined);
    expect(outcome).toMatchObject({ kind: "failed", error: { code: "STEP_RESULT_INVALID" } });
    if (outcome.kind === "failed") expect(outcome.error.message).toMatch(/workflow "bad-output" returned a function at output\.report\.render/);
  });

  const nested = (levels: number, leaf: () => unknown = () => 1) => {
    let value: unknown = leaf();
    for (let i = 0; i < levels; i++) value = i % 3 === 0 ? [value] : i % 3 === 1 ? { v: value } : new Map([["v", value]]);
    return value;
  };
  it(`keeps ${MAX_JSON_DEPTH} levels of nesting and refuses ${MAX_JSON_DEPTH + 1}, plain or not`, () => {
    const plain = (levels: number) => {
      let value: unknown = 1;
      for (let i = 0; i < levels; i++) value = { v: value };
      return value;
    };
    expect(parseResult(serializeResult(plain(MAX_JSON_DEPTH), "step"))).toEqual(plain(MAX_JSON_DEPTH));
    expect(parseResult(serializeResult(nested(MAX_JSON_DEPTH), "step"))).toEqual(nested(MAX_JSON_DEPTH));
    expect(() => serializeResult(plain(MAX_JSON_DEPTH + 1), "step")).toThrow(expect.objectContaining({ code: "STEP_RESULT_INVALID", message: expect.stringMatching(/more than 64 levels/) }));
    expect(() => serializeResult(nested(MAX_JSON_DEPTH + 1), "step")).toThrow(expect.objectContaining({ code: "STEP_RESULT_INVALID" }));
    // Dates are values, not levels.
    expect(() => serializeResult(nested(MAX_JSON_DEPTH, () => new Date(0)), "step")).not.toThrow();
  });

  it("counts the bytes of the serialised text against 1 MiB", () => {
    expect(() => serializeResult(new Uint8Array(800 * 1024), "step")).toThrow(expect.objectContaining({ code: "STEP_RESULT_TOO_LARGE" }));
  });
});

describe("displayValue: readable JSON with the type noted", () => {
  const shown = (value: unknown) => displayValue(serializeResult(value, "step")!);
  it.each([
    ["plain JSON as it is", { a: [1, "x", null] }, { a: [1, "x", null] }],
    ["a Date", new Date(0), { $type: "Date", value: "1970-01-01T00:00:00.000Z" }],
    ["a Map inside an object", { m: new Map([["a", 1]]) }, { m: { $type: "Map", value: [["a", 1]] } }],
    ["a Set", new Set([1]), { $type: "Set", value: [1] }],
    ["a BigInt", 10n, { $type: "BigInt", value: "10" }],
    ["a RegExp", /a+/g, { $type: "RegExp", value: "/a+/g" }],
    ["a Uint8Array", new Uint8Array([1, 2]), { $type: "Uint8Array", base64: "AQI=" }],
    ["an ArrayBuffer", new Uint8Array([1, 2]).buffer, { $type: "ArrayBuffer", base64: "AQI=" }],
    ["a Float64Array", new Float64Array([1.5]), { $type: "Float64Array", value: [1.5] }],
    ["undefined in an object", { a: undefined }, { a: { $type: "undefined" } }],
    ["NaN and -0", [Number.NaN, -0], [{ $type: "number", value: "NaN" }, { $type: "number", value: "-0" }]],
    ["a URL", new URL("https://x.test/"), { $type: "URL", value: "https://x.test/" }],
    ["an error", new RangeError("too far"), { $type: "Error", value: { name: "RangeError", message: "too far" } }],
    ["a cycle", cyclic, { name: "loop", self: { $type: "Circular" } }],
  ])("%s", (_what, value, expected) => {
    expect(shown(value)).toEqual(expected);
    expect(JSON.parse(JSON.stringify(shown(value)))).toEqual(expected);
  });

  it("shows a stream result by its size", () => {
    expect(displayValue('{"$stream":{"bytes":52428800,"parts":50}}')).toEqual({ $type: "ReadableStream", bytes: 52428800 });
  });
});

describe("the types of step.do", () => {
  it("give a Map result as a Map, and refuse a function, a class instance and a symbol at compile time", () => {
    const step = {} as WorkflowStep;
    type Result<F extends (...args: never[]) => unknown> = ReturnType<F> extends Promise<infer T> ? T : never;
    const map = () => step.do("map", () => new Map([["a", new Date()]]));
    expectTypeOf<Result<typeof map>>().toEqualTypeOf<Map<string, Date>>();
    const stream = () => step.do("bytes", () => new ReadableStream<Uint8Array>());
    expectTypeOf<Result<typeof stream>>().toEqualTypeOf<ReadableStream<Uint8Array>>();
    interface Order {
      id: string;
      at: Date;
      lines?: { sku: string; qty: bigint }[];
      meta: Record<string, unknown>;
    }
    const order = (o: Order) => step.do("order", async () => o);
    expectTypeOf<Result<typeof order>>().toEqualTypeOf<Order>();
    class Model {
      name = "m";
      save() {}
    }
    // @ts-expect-error a function is not a result
    void (() => step.do("fn", () => () => 1));
    // @ts-expect-error a function inside a result
    void (() => step.do("fn", () => ({ user: { save() {} } })));
    // @ts-expect-error a class instance loses its methods
    void (() => step.do("model", () => new Model()));
    // @ts-expect-error a symbol inside a result
    void (() => step.do("symbol", () => ({ s: Symbol("s") })));
    // @ts-expect-error a stream of strings is not bytes
    void (() => step.do("text", () => new ReadableStream<string>()));
  });
});
