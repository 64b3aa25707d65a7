/// <reference types="node" />
/**
 * The README's typed-client example is test/browser/readme-example.ts (which tsc
 * type-checks), word for word but for its import paths.
 */
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";

const relative = (code: string) => code.replaceAll("../../src/client/index.js", "./src/client").replace(/"\.\.\/\.\.\/workflows\/([\w-]+)\.js"/g, '"./workflows/$1"');

it("shows the client exactly as the type-checked example file has it", async () => {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const example = await readFile(new URL("./readme-example.ts", import.meta.url), "utf8");
  const code = relative(example.slice(example.search(/^import /m)));
  expect(readme).toContain("```ts\n" + code + "```");
});
