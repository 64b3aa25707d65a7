/**
 * GET /api/instances and GET /api/stats: filters, paging and counts, checked
 * against the truth of each instance.
 */
import { describe as suite, expect, it } from "vitest";
import { api, read, start, uniqueId, waitForIndex, waitForStatus } from "../helpers.js";

type Item = { id: string; workflow: string; status: string; tags: Record<string, string>; createdAt: string; error?: { code: string } };
type Page = { instances: Item[]; nextCursor: string | null };

async function list(query: string): Promise<Page> {
  const res = await api(`/api/instances?${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
}

async function all(query: string, limit = 7): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await list(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
    expect(page.instances.length).toBeLessThanOrEqual(limit);
    items.push(...page.instances);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** 24 instances over two workflows, three statuses and two tag values, all settled in the index. */
async function seed() {
  const run = uniqueId("search");
  const ids: string[] = [];
  for (let i = 0; i < 24; i++) {
    const id = `${run}-${String(i).padStart(2, "0")}`;
    ids.push(id);
    const tags = { run, tier: i % 2 === 0 ? "gold" : "silver", region: i % 3 === 0 ? "eu" : "us" };
    if (i % 4 === 0) await start("test-doomed", { id, tags });
    else if (i % 4 === 1) await start("approval", { id, tags, input: { request: "x", amountCents: 1, approver: "a" } });
    else await start("test-counted-chain", { id, tags, input: { steps: 1 } });
  }
  for (const id of ids) {
    const view = await waitForStatus(id, ["completed", "failed", "waiting"]);
    await waitForIndex(id, (row) => row?.status === view.status, view.status);
  }
  const truth = await Promise.all(ids.map((id) => read(id)));
  return { run, truth };
}

suite("GET /api/instances", () => {
  it("filters by workflow, status (repeatable), tags (all must match) and time, newest first, paging without gaps", async () => {
    const { run, truth } = await seed();
    const ids = (items: { id: string }[]) => items.map((i) => i.id).sort();
    const newestFirst = (items: Item[]) => items.every((item, i) => i === 0 || items[i - 1]!.createdAt >= item.createdAt);

    const everything = await all(`tag=run:${run}`);
    expect(ids(everything)).toEqual(ids(truth));
    expect(newestFirst(everything)).toBe(true);
    for (const item of everything) {
      const view = truth.find((t) => t.id === item.id)!;
      expect(item).toMatchObject({ workflow: view.workflow, status: view.status, tags: view.tags, createdAt: view.createdAt });
    }

    expect(ids(await all(`tag=run:${run}&workflow=test-doomed`))).toEqual(ids(truth.filter((t) => t.workflow === "test-doomed")));
    expect(ids(await all(`tag=run:${run}&status=failed&status=waiting`))).toEqual(ids(truth.filter((t) => ["failed", "waiting"].includes(t.status))));
    expect(ids(await all(`tag=run:${run}&tag=tier:gold&tag=region:eu`))).toEqual(
      ids(truth.filter((t) => t.tags.tier === "gold" && t.tags.region === "eu")),
    );
    const middle = [...truth].sort((a, b) => a.createdAt.localeCompare(b.createdAt))[12]!.createdAt;
    expect(ids(await all(`tag=run:${run}&createdBefore=${middle}`))).toEqual(ids(truth.filter((t) => t.createdAt < middle)));
    expect(ids(await all(`tag=run:${run}&createdAfter=${Date.parse(middle)}`))).toEqual(ids(truth.filter((t) => t.createdAt >= middle)));
    const failed = await list(`tag=run:${run}&status=failed&limit=1`);
    expect(failed.instances[0]?.error?.code).toBe("NON_RETRYABLE");
  }, 60_000);

  it("pages without duplicates or gaps while new instances keep arriving", async () => {
    const run = uniqueId("paging");
    const first = Array.from({ length: 15 }, (_, i) => `${run}-a${i}`);
    for (const id of first) await start("test-counted-chain", { id, tags: { run }, input: { steps: 1 } });
    for (const id of first) await waitForIndex(id, (row) => row !== undefined, "indexed");
    const seen: string[] = [];
    let cursor: string | null = null;
    let added = 0;
    do {
      const page: Page = await list(`tag=run:${run}&limit=4${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.instances.map((i) => i.id));
      cursor = page.nextCursor;
      // Newer instances arrive between pages; they sort before the cursor and do not disturb it.
      const id = `${run}-b${added++}`;
      await start("test-counted-chain", { id, tags: { run }, input: { steps: 1 } });
      await waitForIndex(id, (row) => row !== undefined, "indexed");
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => id.includes("-a")).sort()).toEqual([...first].sort());
  }, 60_000);

  it("defaults to 50 per page and refuses more than 100", async () => {
    expect((await list("limit=100")).instances.length).toBeLessThanOrEqual(100);
    const res = await api("/api/instances?limit=101");
    expect(res.status).toBe(422);
  });

  it.each([
    ["status=sleeping", "status.0"],
    ["tag=novalue", "tag.0"],
    ["limit=0", "limit"],
    ["limit=ten", "limit"],
    ["createdAfter=yesterday", "createdAfter"],
    ["cursor=not-a-cursor", "cursor"],
    ["workflow=a&workflow=b", "workflow"],
    ["unknown=1", "(body)"],
  ])("answers 422 naming the parameter for %s", async (query, path) => {
    const res = await api(`/api/instances?${query}`);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path)).toContain(path);
  });
});

suite("GET /api/stats", () => {
  it("counts instances by workflow and status", async () => {
    const before = (await (await api("/api/stats")).json()) as { total: number; byWorkflow: Record<string, Record<string, number>> };
    const id = uniqueId("stats");
    await start("test-doomed", { id });
    await waitForStatus(id, "failed");
    await waitForIndex(id, (row) => row?.status === "failed", "failed");
    const after = (await (await api("/api/stats")).json()) as typeof before & { byStatus: Record<string, number> };
    expect(after.total).toBeGreaterThanOrEqual(before.total + 1);
    expect(after.byWorkflow["test-doomed"]!.failed).toBeGreaterThanOrEqual((before.byWorkflow["test-doomed"]?.failed ?? 0) + 1);
    expect(Object.keys(after.byStatus).sort()).toEqual(["completed", "failed", "paused", "queued", "running", "terminated", "waiting"]);
  });
});
