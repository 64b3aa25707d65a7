/**
 * The dashboard: server-rendered pages (Hono JSX; one small script, live.tsx) for people
 * operating Cairn from a browser. It is a client of the API, called in-process with
 * the token its session stands for, so it can do nothing the API would refuse, and
 * a read-only session gets a read-only dashboard.
 *
 * Access: sign in once with an API token; the session cookie is HttpOnly, Secure and
 * SameSite=Strict (see session.ts), and every form post must come from this origin.
 * Only browsers are answered (requests that accept text/html, and an instance
 * page's EventSource asking for its events); anything else gets the API's 404
 * problem, so API clients never receive a page by mistake.
 */
import { Hono, type Context, type ExecutionContext, type MiddlewareHandler } from "hono";
import { accessFor, notConfigured, type Access } from "../api/auth.js";
import { ApiError } from "../api/problem.js";
import { createClient, type CairnClient } from "../client/index.js";
import type { Env } from "../env.js";
import type { WorkflowRegistry } from "../workflow.js";
import { actionForm, performAction, isAction } from "./actions.js";
import { bulkForm, bulkProgress, cancelBulk, startBulk } from "./bulk.js";
import { instancePage } from "./instance.js";
import { instanceEvents } from "./live.js";
import { journalDownload } from "./journal.js";
import { Notice, Page } from "./layout.js";
import { LoginPage } from "./login.js";
import { forkForm, performFork, performResolve, resolveForm } from "./operate.js";
import { overviewPage } from "./overview.js";
import { isScheduleAction, performScheduleAction, scheduleActionForm, schedulesPage } from "./schedules.js";
import { endSession, sessionAccess, startSession } from "./session.js";

export type AppFetch = (request: Request, env: Env, ctx?: ExecutionContext) => Response | Promise<Response>;
export type DashboardEnv = { Bindings: Env; Variables: { access: Access; cairn: CairnClient; workflows: WorkflowRegistry } };
export type DashboardContext = Context<DashboardEnv>;

const PATHS = ["/", "/login", "/logout", "/instances/*", "/schedules", "/schedules/*", "/bulk", "/bulk/*"];

/**
 * Where to go after signing in: only a path on this site. It starts with one "/" and
 * holds no "//", no backslash, no whitespace or control character (browsers drop tabs
 * and newlines, so "/\t/host" would become "//host"); anything else goes to "/".
 */
export function safeNext(next: unknown): string {
  if (typeof next !== "string" || next.length > 2_000) return "/";
  if (!/^\/[^\\\s\p{Cc}]*$/u.test(next) || next.includes("//")) return "/";
  return new URL(next, "https://cairn.invalid").origin === "https://cairn.invalid" ? next : "/";
}

function executionContext(c: Context): ExecutionContext | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined; // Hono's app.request() in tests has none.
  }
}

export function dashboardRoutes(workflows: WorkflowRegistry, appFetch: AppFetch) {
  const ui = new Hono<DashboardEnv>();

  const browsersOnly: MiddlewareHandler<DashboardEnv> = async (c, next) => {
    const accept = c.req.header("accept") ?? "";
    const eventSource = accept.includes("text/event-stream") && c.req.method === "GET" && /^\/instances\/[^/]+\/subscribe$/.test(new URL(c.req.url).pathname);
    if (!accept.includes("text/html") && !eventSource) {
      const path = new URL(c.req.url).pathname.slice(0, 200);
      throw new ApiError("ROUTE_NOT_FOUND", `no route for ${c.req.method} ${path}: the dashboard answers browsers (Accept: text/html); the API is under /api`);
    }
    if (!c.env.API_TOKEN) {
      return c.html(
        <Page title="Not configured">
          <section class="card login">
            <h1>No API token configured</h1>
            <p>{notConfigured().message}.</p>
          </section>
        </Page>,
        503,
      );
    }
    // Form posts only from this origin (with SameSite=Strict, a cross-site post carries no session anyway).
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const origin = c.req.header("origin");
      const fromHere = origin ? origin === new URL(c.req.url).origin : c.req.header("sec-fetch-site") === "same-origin";
      if (!fromHere) {
        return c.html(
          <Page title="Refused">
            <Notice kind="bad">A form post from another site was refused. Reload the dashboard and try again.</Notice>
          </Page>,
          403,
        );
      }
    }
    c.set("workflows", workflows);
    await next();
  };

  const signedIn: MiddlewareHandler<DashboardEnv> = async (c, next) => {
    const access = await sessionAccess(c);
    if (!access) {
      const url = new URL(c.req.url);
      return c.redirect(c.req.method === "GET" ? `/login?next=${encodeURIComponent(url.pathname + url.search)}` : "/login", 303);
    }
    const token = access === "full" ? c.env.API_TOKEN! : c.env.API_TOKEN_READONLY!;
    const ctx = executionContext(c);
    c.set("access", access);
    c.set("cairn", createClient({ baseUrl: new URL(c.req.url).origin, token, fetch: async (request) => appFetch(request, c.env, ctx) }));
    await next();
  };

  for (const path of PATHS) ui.use(path, browsersOnly);

  ui.get("/login", async (c) => {
    if (await sessionAccess(c)) return c.redirect(safeNext(c.req.query("next")), 303);
    return c.html(<LoginPage next={safeNext(c.req.query("next"))} />);
  });

  ui.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const access = await accessFor(c.env, typeof form.token === "string" ? form.token.trim() : undefined);
    if (!access) return c.html(<LoginPage next={safeNext(form.next)} error="That token is not valid. Use API_TOKEN, or API_TOKEN_READONLY for a read-only dashboard." />, 401);
    await startSession(c, access);
    return c.redirect(safeNext(form.next), 303);
  });

  ui.post("/logout", async (c) => {
    await endSession(c);
    return c.redirect("/login", 303);
  });

  ui.get("/", signedIn, overviewPage);
  ui.get("/instances/:id", signedIn, instancePage);
  ui.get("/instances/:id/journal", signedIn, journalDownload);
  ui.get("/instances/:id/subscribe", signedIn, instanceEvents);
  ui.get("/instances/:id/fork", signedIn, forkForm);
  ui.post("/instances/:id/fork", signedIn, performFork);
  ui.get("/instances/:id/resolve", signedIn, resolveForm);
  ui.post("/instances/:id/resolve", signedIn, performResolve);
  ui.get("/instances/:id/:action", signedIn, async (c, next) => (isAction(c.req.param("action")) ? actionForm(c) : next()));
  ui.post("/instances/:id/:action", signedIn, async (c, next) => (isAction(c.req.param("action")) ? performAction(c) : next()));
  ui.get("/bulk", signedIn, bulkForm);
  ui.post("/bulk", signedIn, startBulk);
  ui.get("/bulk/:id", signedIn, bulkProgress);
  ui.post("/bulk/:id/cancel", signedIn, cancelBulk);
  ui.get("/schedules", signedIn, schedulesPage);
  ui.get("/schedules/:id/:action", signedIn, async (c, next) => (isScheduleAction(c.req.param("action")) ? scheduleActionForm(c) : next()));
  ui.post("/schedules/:id/:action", signedIn, async (c, next) => (isScheduleAction(c.req.param("action")) ? performScheduleAction(c) : next()));

  return ui;
}
