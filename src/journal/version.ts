/**
 * The journal format's name and version, apart from its schemas (src/journal/format.ts)
 * so that the Durable Object's export writes them without loading zod.
 */
export const JOURNAL_FORMAT = "cairn.journal";
export const JOURNAL_VERSION = 1;
