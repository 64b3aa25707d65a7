/** The instance lifecycle: one pure machine and its words. */
export * from "./machine.js";
export * from "./types.js";
