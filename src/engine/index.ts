/** The engine: pure TypeScript, no `cloudflare:*` import. */
export { displayValue } from "./display.js";
export * from "./durations.js";
export * from "./errors.js";
export * from "./execution.js";
export * from "./host.js";
export { childIdFor } from "./records.js";
export * from "./journal.js";
export * from "./lifecycle/index.js";
export * from "./match.js";
export * from "./retry.js";
export * from "./serialize.js";
export * from "./status.js";
export * from "./types.js";
