/// <reference types="node" />
/**
 * Starts one Cairn under `wrangler dev` for every browser and client test, and
 * stops it (and removes its temporary state) when they are done.
 */
import type { TestProject } from "vitest/node";
import { startCairn } from "./cairn-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    cairn: { url: string; tokens: { full: string; readonly: string } };
  }
}

export default async function setup(project: TestProject) {
  const cairn = await startCairn();
  project.provide("cairn", { url: cairn.url, tokens: cairn.tokens });
  return () => cairn.stop();
}
