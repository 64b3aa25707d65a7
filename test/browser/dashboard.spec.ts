/**
 * The dashboard in a real browser (Debian's Chromium, headless) against Cairn under
 * `wrangler dev`: sign in, find an instance by filter, open it, send the event it
 * waits for through the confirmation page, and watch it complete; at desktop and
 * phone widths, with screenshots in test-results/browser/. Then deleting an
 * instance, the schedules page (pause, resume, delete), the read-only session, the
 * session cookie's flags, the refusal of cross-site posts, and /docs.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import type approval from "../../workflows/approval.js";
import type orderFulfilment from "../../workflows/order-fulfilment.js";
import { DESKTOP, PHONE, chromiumAvailable, launch, screenshot } from "./chromium.js";

const { url, tokens } = inject("cairn");
// A workflow that starts children, where this deployment has one (the examples do).
const FAN_OUT = "nightly-report";
const hasFanOut = (await createClient({ baseUrl: url, token: tokens.full }).workflows()).some((w) => w.name === FAN_OUT);
const cairn = createClient<{ approval: typeof approval; "order-fulfilment": typeof orderFulfilment }>({ baseUrl: url, token: tokens.full });
const run = Date.now().toString(36);
const expense = `expense-${run}`;
const order = `order-${run}`;

async function signIn(context: BrowserContext, token: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${url}/`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill("#token", token);
  await Promise.all([page.waitForURL(`${url}/`), page.click("button[type=submit]")]);
  return page;
}

/** The page fits the viewport: nothing makes a phone scroll sideways. */
async function expectNoSidewaysScroll(page: Page) {
  // Runs in the page; this file is type-checked without the DOM library.
  const { scrollWidth, innerWidth } = await page.evaluate(() => {
    const { document, innerWidth } = globalThis as unknown as { document: { documentElement: { scrollWidth: number } }; innerWidth: number };
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth };
  });
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
}

describe.skipIf(!chromiumAvailable())("the dashboard in Chromium", () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launch();
    await cairn.start("approval", { id: expense, input: { request: "New laptop", amountCents: 189900, approver: "dana" }, tags: { team: `design-${run}` } });
    await cairn.start("approval", { id: `chair-${run}`, input: { request: "Chair", amountCents: 25000, approver: "sam" }, tags: { team: `ops-${run}` } });
    await cairn.start("order-fulfilment", {
      id: order,
      input: { orderId: `A-${run}`, customer: "ada", items: [{ sku: "book", quantity: 2 }], amountCents: 2500, cancellationWindow: "1 hour", simulate: { paymentOutages: 1 } },
      tags: { team: `shop-${run}` },
    });
    await cairn.start("order-fulfilment", {
      id: `declined-${run}`,
      input: { orderId: `B-${run}`, customer: "bob", items: [{ sku: "pen", quantity: 1 }], amountCents: 900, simulate: { decline: true } },
    });
    await cairn.waitFor(expense, "waiting", { timeoutMs: 20_000, intervalMs: 100 });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("signs in, finds the instance by filter, sends the event it waits for, and sees it complete", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const login = await context.newPage();
    await login.goto(`${url}/login`);
    await screenshot(login, "login-desktop");
    await login.close();
    const page = await signIn(context, tokens.full);
    await expect(page.textContent("h2")).resolves.toContain("Workflows");

    await page.fill("#f-tag", `team:design-${run}`);
    await page.check("input[name=status][value=waiting]");
    await Promise.all([page.waitForURL(/tag=team/), page.click("form.filters button[type=submit]")]);
    const ids = await page.$$eval("table.instances td.primary > a", (links) => links.map((a) => a.textContent));
    expect(ids).toEqual([expense]);
    await screenshot(page, "list-desktop");

    await Promise.all([page.waitForURL(`${url}/instances/${expense}`), page.click(`a[href="/instances/${expense}"]`)]);
    await expect(page.textContent("dl.facts")).resolves.toContain("event “decision”");
    await screenshot(page, "instance-waiting-desktop");

    await Promise.all([page.waitForURL(/\/event\?type=decision/), page.click("text=Send event")]);
    expect(await page.inputValue("#type")).toBe("decision");
    await page.fill("#payload", JSON.stringify({ approved: true, by: "dana" }));
    await screenshot(page, "confirm-event-desktop");
    await Promise.all([page.waitForURL(/done=event/), page.click("button[type=submit]:has-text('Send event')")]);
    await expect(page.textContent(".notice")).resolves.toContain("Event sent");

    // The page follows the instance live; no click needed.
    await page.waitForSelector("h1 + .badge.s-completed", { timeout: 20_000 });
    await expect(page.textContent("details.json[open] pre")).resolves.toContain('"outcome": "approved"');
    await screenshot(page, "instance-completed-desktop");
    expect((await cairn.get({ id: expense, workflow: "approval" })).output?.decidedBy).toBe("dana");
    await context.close();
  });

  it("works at phone width: the list and an instance with a retried step, without sideways scrolling", async () => {
    await cairn.waitFor(order, "waiting", { timeoutMs: 30_000, intervalMs: 200 });
    const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const page = await signIn(context, tokens.full);
    await expectNoSidewaysScroll(page);
    await screenshot(page, "list-phone");

    await page.goto(`${url}/instances/${order}`);
    await expect(page.textContent("ol.timeline")).resolves.toContain("charge card");
    await expect(page.textContent("ol.timeline")).resolves.toContain("1 failed attempt");
    await expectNoSidewaysScroll(page);
    await screenshot(page, "instance-phone");
    await page.goto(`${url}/instances/${expense}`);
    await screenshot(page, "instance-completed-phone");
    await page.goto(`${url}/instances/${order}/terminate`);
    await expectNoSidewaysScroll(page);
    await screenshot(page, "confirm-terminate-phone");
    await page.goto(`${url}/instances/declined-${run}`);
    await expect(page.textContent("section.card")).resolves.toContain("was declined");
    await screenshot(page, "instance-failed-phone");
    await context.close();
  });

  it("deletes an instance after a confirmation page: gone from the list, its page answers 404", async () => {
    const gone = `gone-${run}`;
    await cairn.start("approval", { id: gone, input: { request: "Desk", amountCents: 40000, approver: "sam" }, tags: { team: `gone-${run}` } });
    await cairn.waitFor(gone, "waiting", { timeoutMs: 20_000, intervalMs: 100 });
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await signIn(context, tokens.full);
    await page.goto(`${url}/instances/${gone}`);
    await Promise.all([page.waitForURL(`${url}/instances/${gone}/delete`), page.click("a.button:has-text('Delete')")]);
    await expect(page.textContent("section.card")).resolves.toContain("Nothing of it can be brought back");
    await screenshot(page, "confirm-delete-desktop");
    await Promise.all([page.waitForURL(/\/\?deleted=/), page.click("button[type=submit]:has-text('Delete for good')")]);
    await expect(page.textContent(".notice")).resolves.toContain(`Deleted ${gone}`);
    await page.goto(`${url}/?tag=${encodeURIComponent(`team:gone-${run}`)}`);
    expect(await page.locator("table.instances td.primary > a").count()).toBe(0);
    const missing = await page.goto(`${url}/instances/${gone}`);
    expect(missing?.status()).toBe(404);
    await context.close();
  });

  it("lists schedules, pauses and resumes one, and deletes one created through the API", async () => {
    const id = `yearly-${run}`;
    await cairn.putSchedule({ id, workflow: "approval", cron: "0 9 1 1 *", timezone: "Europe/Amsterdam", input: { request: "Budget", amountCents: 100, approver: "dana" } });
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await signIn(context, tokens.full);
    await Promise.all([page.waitForURL(`${url}/schedules`), page.click("nav a:has-text('Schedules')")]);
    const row = page.locator("table.schedules tr", { hasText: id });
    await expect(row.textContent()).resolves.toContain("Europe/Amsterdam");
    await expect(row.textContent()).resolves.toContain("created through the API");
    await screenshot(page, "schedules-desktop");
    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const small = await signIn(phone, tokens.full);
    await small.goto(`${url}/schedules`);
    await expectNoSidewaysScroll(small);
    await screenshot(small, "schedules-phone");
    await phone.close();

    await Promise.all([page.waitForURL(`${url}/schedules/${id}/pause`), row.locator("a:has-text('Pause')").click()]);
    await Promise.all([page.waitForURL(/done=pause/), page.click("button[type=submit]:has-text('Pause')")]);
    await expect(page.textContent(".notice")).resolves.toContain(`Paused ${id}`);
    expect((await cairn.schedule(id)).paused).toBe(true);
    await expect(row.locator(".badge").textContent()).resolves.toBe("paused");

    await Promise.all([page.waitForURL(`${url}/schedules/${id}/resume`), row.locator("a:has-text('Resume')").click()]);
    await Promise.all([page.waitForURL(/done=resume/), page.click("button[type=submit]:has-text('Resume')")]);
    expect((await cairn.schedule(id)).paused).toBe(false);

    await Promise.all([page.waitForURL(`${url}/schedules/${id}/delete`), row.locator("a:has-text('Delete')").click()]);
    await Promise.all([page.waitForURL(/done=delete/), page.click("button[type=submit]:has-text('Delete for good')")]);
    expect(await page.locator("table.schedules tr", { hasText: id }).count()).toBe(0);
    await expect(cairn.schedule(id)).rejects.toMatchObject({ code: "SCHEDULE_NOT_FOUND" });

    // A schedule declared in code has no delete: the code would bring it back.
    const declared = (await cairn.schedules()).find((s) => s.source === "code");
    if (declared) {
      expect(await page.locator("table.schedules tr", { hasText: declared.id }).locator("a:has-text('Delete')").count()).toBe(0);
      const refused = await page.goto(`${url}/schedules/${encodeURIComponent(declared.id)}/delete`);
      expect(refused?.status()).toBe(409);
    }
    await context.close();
  });

  it.skipIf(!hasFanOut)("shows a parent's children, and each child's parent", async () => {
    const untyped = createClient({ baseUrl: url, token: tokens.full });
    const parent = await untyped.start(FAN_OUT, { id: `report-${run}`, input: { regions: ["eu", "us"], date: "2026-11-20" } });
    await untyped.waitFor(parent, ["completed", "failed"], { timeoutMs: 30_000, intervalMs: 200 });
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await signIn(context, tokens.full);
    await page.goto(`${url}/instances/${parent.id}`);
    // The index may lag the instances by moments: reload until both children are listed.
    for (let i = 0; i < 20 && (await page.locator("section.card:has(h2:has-text('Children')) td.primary a").count()) < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await page.reload();
    }
    const children = await page.$$eval("section.card:has(h2:has-text('Children')) td.primary a", (links) => links.map((a) => a.textContent));
    expect(children).toHaveLength(2);
    await screenshot(page, "instance-parent-desktop");
    await page.click(`a:has-text("${children[0]}")`);
    await expect(page.textContent("dl.facts")).resolves.toContain(parent.id);
    await context.close();
  });

  it("gives the read-only token a read-only dashboard", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await signIn(context, tokens.readonly);
    await expect(page.textContent("header.top")).resolves.toContain("read-only");
    await page.goto(`${url}/instances/chair-${run}`);
    await expect(page.textContent("section.card")).resolves.toContain("Read-only session");
    expect(await page.locator("a.button", { hasText: "Send event" }).count()).toBe(0);
    expect(await page.locator("a.button", { hasText: "Terminate" }).count()).toBe(0);
    expect(await page.locator("a.button", { hasText: "Delete" }).count()).toBe(0);
    const refused = await page.goto(`${url}/instances/chair-${run}/terminate`);
    expect(refused?.status()).toBe(403);
    await page.goto(`${url}/schedules`);
    expect(await page.locator("table.schedules a.button").count()).toBe(0);
    expect((await cairn.get(`chair-${run}`)).status).toBe("waiting");
    await context.close();
  });

  it("keeps the session in an HttpOnly, Secure, SameSite=Strict cookie without the token, and refuses cross-site posts", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    await signIn(context, tokens.full);
    const [cookie, ...others] = await context.cookies(url);
    expect(others).toEqual([]);
    expect(cookie).toMatchObject({ name: "cairn_session", httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
    expect(cookie!.value).not.toContain(tokens.full);

    // A form on another site posting to the dashboard: refused even with the session attached.
    const res = await fetch(`${url}/instances/chair-${run}/pause`, {
      method: "POST",
      headers: { cookie: `${cookie!.name}=${cookie!.value}`, origin: "https://evil.example", accept: "text/html", "content-type": "application/x-www-form-urlencoded" },
      body: "",
      redirect: "manual",
    });
    expect(res.status).toBe(403);
    expect((await cairn.get(`chair-${run}`)).status).toBe("waiting");

    // Signing out ends the session in this browser.
    const page = await context.newPage();
    await page.goto(`${url}/`);
    await Promise.all([page.waitForURL(`${url}/login`), page.click("text=Sign out")]);
    expect(await context.cookies(url)).toEqual([]);
    await context.close();
  });

  it("serves the interactive API reference at /docs from the Worker itself", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const outside: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(url) && !request.url().startsWith("data:")) outside.push(request.url());
    });
    await page.goto(`${url}/docs`);
    await page.waitForSelector(".opblock", { timeout: 20_000 });
    expect(await page.locator(".opblock").count()).toBeGreaterThanOrEqual(12);
    await expect(page.textContent(".info")).resolves.toContain("Cairn");
    await screenshot(page, "docs-desktop");
    expect(outside).toEqual([]);
    await context.close();
  });
});
