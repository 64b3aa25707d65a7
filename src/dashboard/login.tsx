/**
 * The sign-in page: asks for an API token once; the session cookie does the rest.
 */
import { Notice, Page } from "./layout.js";

export function LoginPage({ next, error }: { next: string; error?: string }) {
  return (
    <Page title="Sign in">
      <section class="card login">
        <h1>Sign in to Cairn</h1>
        <p class="muted">
          Paste an API token: <code>API_TOKEN</code> for full access, <code>API_TOKEN_READONLY</code> to look without touching. The token is checked once and
          not stored; a signed session cookie keeps you signed in for 12 hours.
        </p>
        {error ? <Notice kind="bad">{error}</Notice> : null}
        <form method="post" action="/login">
          <input type="hidden" name="next" value={next} />
          <label for="token">API token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
          <p>
            <button type="submit">Sign in</button>
          </p>
        </form>
        <p class="muted">
          Running locally? <code>npm start</code> wrote the token to <code>.dev.vars</code>.
        </p>
      </section>
    </Page>
  );
}
