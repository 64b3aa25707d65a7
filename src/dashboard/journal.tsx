/**
 * The journal download of the instance page: the whole history in the journal
 * format (docs/journal-format.md), every page assembled, as a JSON file.
 */
import { notFoundPage } from "./layout.js";
import type { DashboardContext } from "./routes.js";

export async function journalDownload(c: DashboardContext) {
  const id = c.req.param("id")!;
  try {
    const journal = await c.get("cairn").journal(id);
    const file = `${id.replaceAll(/[^A-Za-z0-9._-]+/g, "_")}.journal.json`;
    return c.body(`${JSON.stringify(journal, null, 2)}\n`, 200, {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="${file}"`,
    });
  } catch (error) {
    return notFoundPage(c, error, <a href="/">← All instances</a>);
  }
}
