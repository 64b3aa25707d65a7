/**
 * `/docs`: an interactive reference of the API (Swagger UI, served by this deployment
 * itself) over the generated `/openapi.json`. "Authorize" takes the API token; the
 * page keeps it only in memory. Swagger UI's files are static assets (public/docs/,
 * copied there by src/cli/assets.mjs): Cloudflare serves them before the Worker runs,
 * so they are not part of the Worker's bundle.
 */
import { html } from "hono/html";
import type { Api } from "./openapi.js";

/** Part of the asset URLs, so that a new Swagger UI is never served from an old cache. */
const ASSET_VERSION = "5.35.0";

export function docsRoutes(app: Api): void {
  app.get("/docs", (c) =>
    c.html(html`<!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>Cairn API reference</title>
          <link rel="stylesheet" href="/docs/swagger-ui.css?v=${ASSET_VERSION}" />
          <style>
            body { margin: 0; }
            .topbar { display: none; }
          </style>
        </head>
        <body>
          <div id="reference"></div>
          <script src="/docs/swagger-ui-bundle.js?v=${ASSET_VERSION}"></script>
          <script>
            window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#reference", deepLinking: true, tryItOutEnabled: false });
          </script>
        </body>
      </html>`),
  );
}
