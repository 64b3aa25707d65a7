/**
 * The HTTP API through the Worker's fetch: every route, every error code, and the
 * problem+json shape of errors.
 */
import { describe as suite, expect, it } from "vitest";
import { api, start, uniqueId, waitForStatus } from "../helpers.js";

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = (await res.json()) as { code: string; title: string; detail: string; status: number; type: string };
  expect(body).toMatchObject({ code, status });
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.detail.length).toBeGreaterThan(0);
  return body;
}

suite("GET /api/workflows", () => {
  it("lists the registered workflows with name, description and version", async () => {
    const res = await api("/api/workflows");
    expect(res.status).toBe(200);
    const { workflows } = (await res.json()) as { workflows: { name: string; description: string | null; version: string | null }[] };
    expect(workflows.map((w) => w.name)).toEqual(expect.arrayContaining(["order-fulfilment", "approval", "shipping-quotes"]));
    expect(workflows.find((w) => w.name === "approval")).toMatchObject({ version: "1", description: expect.any(String) });
  });
});

suite("POST /api/workflows/:name/instances", () => {
  it("starts an instance: 201 with id, workflow, status and createdAt", async () => {
    const id = uniqueId("start");
    const res = await api("/api/workflows/shipping-quotes/instances", {
      method: "POST",
      json: { id, input: { parcel: { weightGrams: 500, from: "NL", to: "BE" } }, tags: { customer: "acme" } },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/api/instances/${id}`);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ id, workflow: "shipping-quotes", status: "queued", createdAt: expect.any(String) });
    expect(Number.isNaN(Date.parse(body.createdAt as string))).toBe(false);
  });

  it("generates an id when none is given, and accepts a request without a body", async () => {
    const res = await api("/api/workflows/test-doomed/instances", { method: "POST" });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers 200 with the existing instance for the same id and workflow, without a second run", async () => {
    const id = uniqueId("idempotent");
    const input = { steps: 2 };
    await start("test-counted-chain", { id, input });
    const first = await waitForStatus(id, "completed");
    const res = await api("/api/workflows/test-counted-chain/instances", { method: "POST", json: { id, input } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, workflow: "test-counted-chain", status: "completed" });
    expect(await waitForStatus(id, "completed")).toEqual(first);
  });

  it("answers 409 when the id belongs to another workflow", async () => {
    const id = uniqueId("taken");
    await start("test-doomed", { id });
    const res = await api("/api/workflows/approval/instances", { method: "POST", json: { id, input: { request: "r", amountCents: 1, approver: "a" } } });
    const problem = await expectProblem(res, 409, "INSTANCE_EXISTS");
    expect(problem.detail).toContain("test-doomed");
  });

  it("answers 404 for an unknown workflow", async () => {
    await expectProblem(await api("/api/workflows/nope/instances", { method: "POST", json: {} }), 404, "WORKFLOW_NOT_FOUND");
  });

  it("answers 404 for a workflow name that is an Object prototype key", async () => {
    await expectProblem(await api("/api/workflows/constructor/instances", { method: "POST", json: {} }), 404, "WORKFLOW_NOT_FOUND");
  });

  it("answers 400 for malformed JSON", async () => {
    const res = await api("/api/workflows/approval/instances", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    await expectProblem(res, 400, "MALFORMED_JSON");
  });

  it("answers 415 for a body that is not JSON", async () => {
    const res = await api("/api/workflows/approval/instances", { method: "POST", headers: { "content-type": "text/plain" }, body: "id=1" });
    await expectProblem(res, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers 422 with field paths for an invalid body", async () => {
    const res = await api("/api/workflows/approval/instances", {
      method: "POST",
      json: { id: "bad id!", tags: { "": "x", ok: "y".repeat(300) }, extra: 1 },
    });
    const problem = (await expectProblem(res, 422, "INVALID_INPUT")) as unknown as { errors: { path: string }[] };
    const paths = problem.errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["id", "tags.ok", "(body)"]));
  });

  it("answers 422 listing each field when the input does not match the workflow's schema, and starts nothing", async () => {
    const id = uniqueId("bad-input");
    const res = await api("/api/workflows/order-fulfilment/instances", {
      method: "POST",
      json: { id, input: { orderId: "", customer: "ada", items: [{ sku: "book", quantity: 0 }], amountCents: "12" } },
    });
    const problem = (await expectProblem(res, 422, "INVALID_INPUT")) as unknown as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path).sort()).toEqual(["input.amountCents", "input.items.0.quantity", "input.orderId"]);
    expect((await api(`/api/instances/${id}`)).status).toBe(404);
  });

  it("answers 422 for an id longer than 100 characters", async () => {
    await expectProblem(await api("/api/workflows/approval/instances", { method: "POST", json: { id: "a".repeat(101) } }), 422, "INVALID_INPUT");
  });

  it("answers 413 for a body over 1 MiB, chunked or not", async () => {
    const big = JSON.stringify({ input: "x".repeat(1024 * 1024) });
    await expectProblem(await api("/api/workflows/approval/instances", { method: "POST", headers: { "content-type": "application/json" }, body: big }), 413, "BODY_TOO_LARGE");
    const chunks = new ReadableStream({
      start(controller) {
        const piece = new TextEncoder().encode("x".repeat(64 * 1024));
        controller.enqueue(new TextEncoder().encode('{"input":"'));
        for (let i = 0; i < 20; i++) controller.enqueue(piece);
        controller.enqueue(new TextEncoder().encode('"}'));
        controller.close();
      },
    });
    const res = await api("/api/workflows/approval/instances", { method: "POST", headers: { "content-type": "application/json" }, body: chunks, duplex: "half" } as RequestInit);
    await expectProblem(res, 413, "BODY_TOO_LARGE");
  });
});

suite("GET /api/instances/:id", () => {
  it("shows status, input, output, steps with attempts and timings", async () => {
    const id = uniqueId("show");
    await start("test-flaky", { id, input: { failures: 1, limit: 2, delayMs: 10 }, tags: { team: "core" } });
    await waitForStatus(id, "completed");
    const res = await api(`/api/instances/${id}`);
    expect(res.status).toBe(200);
    const view = (await res.json()) as Record<string, unknown>;
    expect(view).toMatchObject({
      id,
      workflow: "test-flaky",
      status: "completed",
      input: { failures: 1, limit: 2, delayMs: 10 },
      output: { attempt: 2 },
      tags: { team: "core" },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      completedAt: expect.any(String),
      steps: [
        {
          name: "flaky",
          count: 1,
          kind: "do",
          status: "completed",
          attempts: 2,
          startedAt: expect.any(String),
          finishedAt: expect.any(String),
          result: { attempt: 2 },
          failedAttempts: [{ attempt: 1, error: { message: "failure #1", code: "STEP_FAILED" } }],
        },
      ],
    });
  });

  it("shows what a waiting instance waits for", async () => {
    const id = uniqueId("waiting");
    await start("approval", { id, input: { request: "laptop", amountCents: 100, approver: "dana" } });
    await waitForStatus(id, "waiting");
    const view = (await (await api(`/api/instances/${id}`)).json()) as { waitingFor: unknown };
    expect(view.waitingFor).toMatchObject({ kind: "event", eventType: "decision", step: "wait for decision", until: expect.any(String) });
  });

  it("answers 404 for an unknown instance, and creates nothing", async () => {
    await expectProblem(await api("/api/instances/never-started"), 404, "INSTANCE_NOT_FOUND");
  });

  it("answers 422 for a malformed id", async () => {
    await expectProblem(await api(`/api/instances/${encodeURIComponent("bad id$")}`), 422, "INVALID_ID");
  });
});

suite("POST /api/instances/:id/events", () => {
  it("accepts an event with 202, once per event id", async () => {
    const id = uniqueId("events");
    await start("approval", { id, input: { request: "chair", amountCents: 100, approver: "dana" } });
    const send = () => api(`/api/instances/${id}/events`, { method: "POST", json: { type: "decision", id: "decision-1", payload: { approved: true, by: "dana" } } });
    const first = await send();
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ accepted: true, duplicate: false, id: "decision-1" });
    const again = await send();
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ accepted: true, duplicate: true, id: "decision-1" });
    expect((await waitForStatus(id, "completed")).output).toEqual({ approved: true, decidedBy: "dana", outcome: "approved" });
  });

  it("answers 409 naming the status for an event to a finished instance", async () => {
    const id = uniqueId("events-finished");
    await start("test-doomed", { id });
    await waitForStatus(id, "failed");
    const problem = await expectProblem(await api(`/api/instances/${id}/events`, { method: "POST", json: { type: "late" } }), 409, "INSTANCE_FINISHED");
    expect(problem.detail).toContain("failed");
  });

  it("answers 404 for an unknown instance", async () => {
    await expectProblem(await api("/api/instances/nobody/events", { method: "POST", json: { type: "x" } }), 404, "INSTANCE_NOT_FOUND");
  });

  it.each([
    ["no type", {}],
    ["an empty type", { type: "" }],
    ["a type with spaces", { type: "a b" }],
    ["a bad event id", { type: "x", id: "no spaces allowed" }],
    ["an unknown field", { type: "x", extra: true }],
  ])("answers 422 for %s", async (_what, body) => {
    await expectProblem(await api("/api/instances/someone/events", { method: "POST", json: body }), 422, "INVALID_INPUT");
  });

  it("answers 400 for malformed JSON and 415 for another content type", async () => {
    await expectProblem(await api("/api/instances/someone/events", { method: "POST", headers: { "content-type": "application/json" }, body: "[" }), 400, "MALFORMED_JSON");
    await expectProblem(await api("/api/instances/someone/events", { method: "POST", body: "type=x", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "UNSUPPORTED_MEDIA_TYPE");
  });
});

suite("anything else", () => {
  it.each([
    ["GET", "/api/nothing-here"],
    ["DELETE", "/api/workflows"],
    ["PUT", "/api/instances/x/events"],
    ["GET", "/"],
  ])("%s %s answers a 404 problem", async (method, path) => {
    await expectProblem(await api(path, { method }), 404, "ROUTE_NOT_FOUND");
  });
});
