/**
 * An instance page follows its instance live in a real browser (Debian's Chromium
 * against Cairn under `wrangler dev`): it shows the waterfall of its steps, and when
 * the instance moves (an event sent through the API, not the page) the page redraws
 * itself from the instance's subscription, without reloading, until it completes.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import type approval from "../../workflows/approval.js";
import { DESKTOP, chromiumAvailable, launch, screenshot } from "./chromium.js";

const { url, tokens } = inject("cairn");
const cairn = createClient<{ approval: typeof approval }>({ baseUrl: url, token: tokens.full });
const id = `live-${Date.now().toString(36)}`;

/** Runs in the page; this file is type-checked without the DOM library. */
const inPage = <T,>(page: Page, body: () => T) => page.evaluate(body);

describe.skipIf(!chromiumAvailable())("an instance page, live", () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launch();
    await cairn.start("approval", { id, input: { request: "Standing desk", amountCents: 64900, approver: "dana" } });
    await cairn.waitFor(id, "waiting", { timeoutMs: 20_000, intervalMs: 100 });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("shows the waterfall and updates itself when the instance moves", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${url}/login?next=${encodeURIComponent(`/instances/${id}`)}`);
    await page.fill("#token", tokens.full);
    await Promise.all([page.waitForURL(`${url}/instances/${id}`), page.click("button[type=submit]")]);

    // Waiting: the steps so far, each a bar on the time axis.
    await page.waitForSelector("[data-live]");
    expect(await page.locator(".waterfall .wf-row[data-step] .wf-bar").count()).toBe(2);
    expect(await page.textContent(".waterfall")).toContain("wait for decision");
    await screenshot(page, "live-waiting");

    // A mark the page keeps only if it is never reloaded.
    await inPage(page, () => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    await cairn.sendEvent(id, { type: "decision", payload: { approved: true, by: "dana" } });

    await page.waitForSelector("h1 + .badge.s-completed", { timeout: 20_000 });
    expect(await inPage(page, () => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    const redraws = await inPage(page, () => Number((globalThis as unknown as { document: { documentElement: { dataset: Record<string, string> } } }).document.documentElement.dataset.redraws));
    expect(redraws).toBeGreaterThanOrEqual(1);
    expect(await page.locator(".waterfall .wf-row[data-step] .wf-bar").count()).toBe(3);
    expect(await page.textContent(".waterfall")).toContain("record decision");
    expect(await page.locator("[data-live]").count()).toBe(0);
    await screenshot(page, "live-completed");
    await context.close();
  });
});
