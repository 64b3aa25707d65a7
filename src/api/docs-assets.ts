/**
 * Swagger UI's browser bundle and stylesheet, from the `swagger-ui-dist` package,
 * bundled into the Worker as text so that `/docs` works with no outside network
 * (a self-hosted Cairn may have none). Loaded only when `/docs` asks for them.
 */
// @ts-expect-error: a text import (esbuild's `type: "text"`), which this tsconfig's module setting does not describe.
import bundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "text" };
// @ts-expect-error: as above.
import stylesheet from "swagger-ui-dist/swagger-ui.css" with { type: "text" };

export const assets: Record<string, { body: string; type: string }> = {
  "swagger-ui-bundle.js": { body: bundle as string, type: "text/javascript; charset=utf-8" },
  "swagger-ui.css": { body: stylesheet as string, type: "text/css; charset=utf-8" },
};
