/**
 * The page shell every dashboard page shares: head, top bar (with the session's
 * access and the sign-out form), notices, and the optional self-refresh; and the
 * confirmation page every action goes through.
 */
import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import type { Access } from "../api/auth.js";
import { CairnApiError } from "../client/index.js";
import type { DashboardContext } from "./routes.js";
import { STYLE } from "./style.js";

export interface PageProps {
  title: string;
  /** Set when signed in: shows the navigation and the sign-out form. */
  access?: Access;
  /** Reload the page after this many seconds (an instance that is still moving). */
  refreshSeconds?: number;
  /** Where the self-refresh goes (drops one-off notices from the URL). */
  refreshUrl?: string;
  children?: Child;
}

export function Page({ title, access, refreshSeconds, refreshUrl, children }: PageProps) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="same-origin" />
          {refreshSeconds ? <meta http-equiv="refresh" content={`${refreshSeconds}${refreshUrl ? `; url=${refreshUrl}` : ""}`} /> : null}
          <title>{`${title} · Cairn`}</title>
          <style>{raw(STYLE)}</style>
        </head>
        <body>
          <header class="top">
            <a class="brand" href="/">
              Cairn
            </a>
            {access ? (
              <>
                <nav>
                  <a href="/">Instances</a>
                  <a href="/schedules">Schedules</a>
                  <a href="/docs">API reference</a>
                </nav>
                <span class="muted access">{access === "readonly" ? "read-only" : "full access"}</span>
                <form method="post" action="/logout">
                  <button class="secondary" type="submit">
                    Sign out
                  </button>
                </form>
              </>
            ) : null}
          </header>
          <main>{children}</main>
        </body>
      </html>
    </>
  );
}

/**
 * The page that says what an action will do and asks to confirm: `problem` is why
 * the last try failed, `children` the form's own fields.
 */
export function ConfirmPage(props: {
  title: string;
  access: Access | undefined;
  explain: string;
  problem?: Child;
  action: string;
  button: string;
  danger: boolean;
  cancelHref: string;
  children?: Child;
}) {
  return (
    <Page title={props.title} access={props.access}>
      <section class="card" style="max-width: 720px">
        <h1>{props.title}</h1>
        <p>{props.explain}</p>
        {props.problem ? <Notice kind="bad">{props.problem}</Notice> : null}
        <form method="post" action={props.action}>
          {props.children}
          <p class="actions">
            <button type="submit" class={props.danger ? "danger" : ""}>
              {props.button}
            </button>
            <a class="button secondary" href={props.cancelHref}>
              Cancel
            </a>
          </p>
        </form>
      </section>
    </Page>
  );
}

export function Notice({ kind, children }: { kind: "ok" | "bad" | "info"; children?: Child }) {
  return (
    <div class={`notice ${kind}`} role={kind === "bad" ? "alert" : "status"}>
      {children}
    </div>
  );
}

/**
 * The page for an API error that says there is no such thing (404, or 422 for an id
 * that cannot name one), with `back` under the message; any other error goes on up.
 */
export function notFoundPage(c: DashboardContext, error: unknown, back?: Child) {
  if (!(error instanceof CairnApiError) || (error.status !== 404 && error.status !== 422)) throw error;
  return c.html(
    <Page title="Not found" access={c.get("access")}>
      <Notice kind="bad">{error.message}</Notice>
      {back}
    </Page>,
    404,
  );
}
