/**
 * The table of codes (`src/lib/codes.ts`) against everything that lists codes: the
 * README's tables, the OpenAPI document, and the code literals in the source. Each
 * check runs both ways: a code listed there but missing from the table fails, and so
 * does a code of the table listed nowhere.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import readme from "../../README.md?raw";
import { API_CODES, CODES, HTTP_CODES, isCode, type Code } from "../../src/lib/codes.js";

/** Names in the README written like codes that are not codes: secrets, variables, constants. */
const NOT_CODES = new Set(["API_TOKEN", "API_TOKEN_READONLY", "WEBHOOK_SECRET", "PUBLIC_URL", "PAYMENTS_WEBHOOK_SECRET", "CURRENT", "MIGRATIONS", "CAIRN_URL", "CAIRN_TOKEN"]);
const CODE_LIKE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^[A-Z]{4,}$/;

const sorted = (codes: Iterable<string>) => [...new Set(codes)].sort();
const allCodes = sorted(Object.keys(CODES));

/** Every markdown table of the README with a `code` column: the codes in that column, and each code's rows. */
function readmeCodeTables(markdown: string): { codes: string[]; rows: Map<string, string[][]> } {
  const rows = new Map<string, string[][]>();
  let column = -1;
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("|")) {
      column = -1;
      continue;
    }
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
    if (column === -1) {
      column = cells.indexOf("code");
      if (column === -1) column = -2; // a table without a code column: skip its rows
      continue;
    }
    if (column < 0 || /^:?-+:?$/.test(cells[0] ?? "")) continue;
    for (const [, code] of (cells[column] ?? "").matchAll(/`([^`]+)`/g)) rows.set(code!, [...(rows.get(code!) ?? []), cells]);
  }
  return { codes: sorted(rows.keys()), rows };
}

/** The README's row for a code, as the table would write it (shown when the README lacks it). */
function rowFor(code: Code): string {
  const entry = CODES[code];
  return "status" in entry ? `| ${entry.status} | \`${code}\` | ${entry.meaning} |` : `| \`${code}\` | ${entry.meaning} |`;
}

describe("the table of codes", () => {
  it("gives every code a title and a one-line meaning, and every HTTP code a 4xx or 5xx status", () => {
    for (const code of allCodes as Code[]) {
      const entry = CODES[code];
      expect(code, code).toMatch(CODE_LIKE);
      expect(entry.title.length, code).toBeGreaterThan(0);
      expect(entry.meaning.length, code).toBeGreaterThan(0);
      expect(entry.meaning, code).not.toContain("\n");
      if ("status" in entry) expect(entry.status, code).toBeGreaterThanOrEqual(400);
    }
  });

  it("is the README's: each code in its tables, and no code there that the table lacks", () => {
    const { codes, rows } = readmeCodeTables(readme);
    const missing = (allCodes as Code[]).filter((code) => !rows.has(code));
    expect(missing.map(rowFor), "codes of the table the README's tables lack (rows to add)").toEqual([]);
    expect(codes.filter((code) => !isCode(code)), "codes in the README's tables that the table lacks").toEqual([]);
    for (const code of codes.filter(isCode)) {
      const entry = CODES[code];
      if ("status" in entry) for (const row of rows.get(code)!) expect(row, `${code}'s row names its status`).toContain(String(entry.status));
    }
  });

  it("has every code the README names anywhere", () => {
    const named = sorted([...readme.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map(([, name]) => name!).filter((name) => CODE_LIKE.test(name)));
    expect(named.filter((name) => !isCode(name) && !NOT_CODES.has(name)), "add them to src/lib/codes.ts, or to NOT_CODES if they are not codes").toEqual([]);
  });

  it("is the OpenAPI document's: the problem's code lists the HTTP codes, and each answer's examples are codes of its status", async () => {
    const res = await SELF.fetch("http://cairn.test/openapi.json");
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: { code: string; status: number } }> }> }> }>>;
      components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> };
    };
    expect(sorted(doc.components.schemas.Problem!.properties.code!.enum ?? []), "the Problem schema's codes").toEqual(sorted(HTTP_CODES));

    const answered = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          for (const [code, example] of Object.entries(response.content?.["application/problem+json"]?.examples ?? {})) {
            const where = `${method.toUpperCase()} ${path} ${status} ${code}`;
            expect(isCode(code), `${where}: a code the table lacks`).toBe(true);
            expect(String(isCode(code) && "status" in CODES[code] ? CODES[code].status : "none"), where).toBe(status);
            expect(example.value, where).toMatchObject({ code, status: Number(status) });
            answered.add(code);
          }
        }
      }
    }
    expect(sorted(HTTP_CODES).filter((code) => !answered.has(code)), "HTTP codes no operation answers").toEqual([]);
    expect(API_CODES.every((code) => answered.has(code))).toBe(true);
  });

  it("has every code the source writes as a literal", () => {
    const sources = import.meta.glob(["../../src/**/*.{ts,tsx}", "!../../src/lib/codes.ts"], { query: "?raw", import: "default", eager: true }) as Record<string, string>;
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    const literals = new Map<string, string>();
    for (const [file, text] of Object.entries(sources)) {
      // A code where one is given: `code: "X"`, `code === "X"`, `new ApiError("X"`, `toErrorRecord(…, "X")`, `super("X"`.
      const found = text.matchAll(/(?:\bcode\s*(?::|===|!==)\s*|new (?:ApiError|CairnApiError)\(\s*|toErrorRecord\([^)]*?,\s*|super\(\s*)"([A-Z][A-Z0-9_]+)"/g);
      for (const [, code] of found) if (CODE_LIKE.test(code!)) literals.set(code!, file);
    }
    expect(literals.size).toBeGreaterThan(20);
    expect([...literals].filter(([code]) => !isCode(code)).map(([code, file]) => `${code} in ${file}`), "codes the table lacks").toEqual([]);
  });
});
