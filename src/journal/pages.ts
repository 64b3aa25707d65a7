/**
 * A journal from its pages (`GET /api/instances/:id/journal` answers one page at a
 * time). Types only from the format, so the typed client stays free of zod.
 */
import type { JournalDocument, JournalPage } from "./format.js";

/** The instance as the first page saw it, then every page's steps, attempts and events, in order. */
export function assemblePages(pages: JournalPage[]): JournalDocument {
  const [first] = pages;
  if (!first) throw new Error("a journal has at least one page");
  const { nextCursor: _, ...document } = first;
  return {
    ...document,
    steps: pages.flatMap((p) => p.steps),
    attempts: pages.flatMap((p) => p.attempts),
    events: pages.flatMap((p) => p.events),
  };
}
