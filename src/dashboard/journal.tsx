/**
 * The journal download of the instance page: the whole history in the journal
 * format (docs/journal-format.md), every page assembled, as a JSON file.
 */
import { CairnApiError } from "../client/index.js";
import { Notice, Page } from "./layout.js";
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
    if (!(error instanceof CairnApiError) || (error.status !== 404 && error.status !== 422)) throw error;
    return c.html(
      <Page title="Not found" access={c.get("access")}>
        <Notice kind="bad">{error.message}</Notice>
        <a href="/">← All instances</a>
      </Page>,
      404,
    );
  }
}
