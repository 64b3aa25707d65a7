/**
 * The dashboard's bulk action (count, confirm, progress, cancel), and the fork and
 * resolve forms on an instance's page: each goes through the API and lands where
 * the API says.
 */
import { SELF } from "cloudflare:test";
import { describe as suite, expect, it } from "vitest";
import { TOKENS, read, start, uniqueId, waitForIndex, waitForStatus, waitUntil } from "../helpers.js";

const ORIGIN = "http://cairn.test";
let cookie = "";

async function page(path: string, form?: Record<string, string | string[]>): Promise<Response> {
  if (!cookie) {
    const login = await SELF.fetch(`${ORIGIN}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { accept: "text/html", origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: TOKENS.full, next: "/" }).toString(),
    });
    cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
  }
  const body = form && new URLSearchParams(Object.entries(form).flatMap(([k, v]) => [v].flat().map((x) => [k, x] as [string, string])));
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: form ? "POST" : "GET",
    redirect: "manual",
    headers: { accept: "text/html", cookie, origin: ORIGIN, ...(form && { "content-type": "application/x-www-form-urlencoded" }) },
    ...(body && { body: body.toString() }),
  });
}

suite("dashboard operations", () => {
  it("counts what the list's filters match, starts a bulk action on them, and shows its progress", async () => {
    const run = uniqueId("dash-bulk");
    const ids = [`${run}-a`, `${run}-b`, `${run}-c`];
    for (const id of ids) await start("test-inbox", { id, tags: { run } });
    for (const id of ids) await waitForIndex(id, (row) => row?.status === "waiting", "waiting");

    const list = await (await page(`/?tag=run:${run}`)).text();
    expect(list).toContain(`/bulk?tag=run%3A${run}`);
    const form = await page(`/bulk?tag=run:${run}`);
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain("Act on 3 instances");
    expect(html).toContain(ids[0]);

    const started = await page("/bulk", { tag: `run:${run}`, kind: "terminate", step: "", type: "", payload: "{}" });
    expect(started.status).toBe(303);
    const progressUrl = started.headers.get("location")!;
    expect(progressUrl).toMatch(/^\/bulk\//);
    for (const id of ids) await waitForStatus(id, "terminated");
    const deadline = Date.now() + 10_000;
    let progress = "";
    while (!progress.includes("Bulk terminate: completed") && Date.now() < deadline) progress = await (await page(progressUrl)).text();
    expect(progress).toContain("Bulk terminate: completed");
    expect(progress).toContain("<dt>Done</dt><dd>3</dd>");

    // A bad event payload comes back to the form with why.
    const refused = await page("/bulk", { tag: `run:${run}`, kind: "event", type: "note", payload: "{nope" });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain("The payload is not accepted");
  });

  it("forks an instance from a step with a new input", async () => {
    const origin = uniqueId("dash-fork");
    await start("test-attributed", { id: origin, input: { orderId: "D-1" } });
    await waitUntil(origin, (v) => v.status === "waiting", "waiting");
    const instancePage = await (await page(`/instances/${origin}`)).text();
    expect(instancePage).toContain(`/instances/${origin}/fork`);
    expect(instancePage).toContain("orderId=D-1");
    const form = await (await page(`/instances/${origin}/fork`)).text();
    expect(form).toContain('value="1#go"');

    const fork = uniqueId("dash-forked");
    const res = await page(`/instances/${origin}/fork`, { step: "1#go", id: fork, input: JSON.stringify({ orderId: "D-2" }) });
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get("location")).toBe(`/instances/${fork}?done=fork`);
    const view = await waitUntil(fork, (v) => v.status === "waiting", "waiting");
    expect(view.forkedFrom).toEqual({ id: origin, step: { name: "go", count: 1 } });
    expect(view.input).toEqual({ orderId: "D-2" });
    expect(await (await page(`/instances/${fork}`)).text()).toContain("Forked from");
  });

  it("resolves a failed step with an output, and the instance goes on", async () => {
    const id = uniqueId("dash-resolve");
    await start("test-doomed", { id });
    const failed = await waitForStatus(id, "failed");
    const step = failed.steps.find((s) => s.status === "failed")!;
    const instancePage = await (await page(`/instances/${id}`)).text();
    expect(instancePage).toContain(`/instances/${id}/resolve?step=${encodeURIComponent(step.name)}&amp;count=${step.count}`);

    const bad = await page(`/instances/${id}/resolve`, { step: step.name, count: String(step.count), output: "{oops" });
    expect(bad.status).toBe(422);
    const res = await page(`/instances/${id}/resolve`, { step: step.name, count: String(step.count), output: JSON.stringify({ fixed: true }) });
    expect(res.status, await res.clone().text()).toBe(303);
    const after = await read(id);
    expect(after.steps.find((s) => s.name === step.name && s.count === step.count)?.status).toBe("completed");
    expect(after.status).not.toBe("failed");
  });
});
