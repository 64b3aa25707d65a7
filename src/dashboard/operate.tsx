/**
 * Two repairs on an instance from the dashboard: fork it (a new instance whose
 * journal is this one's up to a step, with this input or a new one) and resolve a
 * failed step (give its output by hand; the instance goes on from there). Each is a
 * form page and a post through the API (`/fork`, `/steps/resolve`), like the other
 * actions; read-only sessions get neither.
 */
import { CairnApiError, type Instance } from "../client/index.js";
import { parseJson } from "../lib/json.js";
import { ConfirmPage, Notice, Page, notFoundPage } from "./layout.js";
import type { DashboardContext } from "./routes.js";

const href = (id: string, rest = "") => `/instances/${encodeURIComponent(id)}${rest}`;

interface Form {
  id?: string;
  step?: string;
  input?: string;
  output?: string;
  error?: string;
}

/** `name#count` of a step, the value of the fork's step choice. */
const stepKey = (s: { name: string; count: number }) => `${s.count}#${s.name}`;

async function load(c: DashboardContext): Promise<Instance | Response> {
  if (c.get("access") !== "full") {
    return c.html(
      <Page title="Read-only" access={c.get("access")}>
        <Notice kind="bad">This session is read-only: sign in with API_TOKEN to change instances.</Notice>
      </Page>,
      403,
    );
  }
  try {
    return await c.get("cairn").get(c.req.param("id")!);
  } catch (error) {
    return notFoundPage(c, error);
  }
}

function ForkPage({ c, instance, form }: { c: DashboardContext; instance: Instance; form: Form }) {
  const steps = instance.steps.filter((s) => s.kind !== "rollback");
  return (
    <ConfirmPage
      title={`Fork: ${instance.id}`}
      access={c.get("access")}
      explain="A new instance of the same workflow starts with this one's journal up to (not including) the step you choose: the steps before it are not run again. This instance is left as it is."
      problem={form.error}
      action={href(instance.id, "/fork")}
      button="Fork"
      danger={false}
      cancelHref={href(instance.id)}
    >
      <label for="step">Run again from</label>
      <select id="step" name="step">
        <option value="">the beginning (copy nothing)</option>
        {steps.map((s) => (
          <option value={stepKey(s)} selected={form.step === stepKey(s)}>
            step “{s.name}”{s.count > 1 ? ` #${s.count}` : ""} ({s.kind}, {s.status})
          </option>
        ))}
      </select>
      <label for="id" style="margin-top: 10px">
        The fork's id (optional)
      </label>
      <input id="id" name="id" type="text" value={form.id ?? ""} />
      <label for="input" style="margin-top: 10px">
        Input (JSON; this instance's when left as it is)
      </label>
      <textarea id="input" name="input">
        {form.input ?? JSON.stringify(instance.input ?? null, null, 2)}
      </textarea>
    </ConfirmPage>
  );
}

export async function forkForm(c: DashboardContext) {
  const instance = await load(c);
  if (instance instanceof Response) return instance;
  return c.html(<ForkPage c={c} instance={instance} form={{ step: c.req.query("step") ?? "" }} />);
}

export async function performFork(c: DashboardContext) {
  const instance = await load(c);
  if (instance instanceof Response) return instance;
  const body = await c.req.parseBody();
  const field = (name: string) => (typeof body[name] === "string" ? (body[name] as string).trim() : "");
  const form: Form = { id: field("id"), step: field("step"), input: field("input") };
  const refuse = (error: string) => c.html(<ForkPage c={c} instance={instance} form={{ ...form, error }} />, 422);
  let input: unknown;
  try {
    input = form.input ? parseJson(form.input) : undefined;
  } catch (error) {
    return refuse(`The input is not accepted: ${(error as Error).message}`);
  }
  const changed = JSON.stringify(input ?? null) !== JSON.stringify(instance.input ?? null);
  const at = form.step ? form.step.indexOf("#") : -1;
  const fromStep = at > 0 ? { count: Number(form.step!.slice(0, at)), name: form.step!.slice(at + 1) } : undefined;
  try {
    const fork = await c.get("cairn").fork(instance.id, { ...(form.id && { id: form.id }), ...(fromStep && { fromStep }), ...(changed && { input }) });
    return c.redirect(href(fork.id, "?done=fork"), 303);
  } catch (error) {
    if (!(error instanceof CairnApiError) || error.status >= 500 || error.status === 0) throw error;
    return refuse([error.message, ...(error.problem?.errors ?? []).map((e) => `${e.path}: ${e.message}`)].join(" · "));
  }
}

function ResolvePage({ c, instance, form }: { c: DashboardContext; instance: Instance; form: Form & { count?: string } }) {
  return (
    <ConfirmPage
      title={`Resolve step “${form.step}”: ${instance.id}`}
      access={c.get("access")}
      explain="The output you give is journaled as the step's result, with your session as who resolved it, and the instance goes on from there as if the step had returned it. Its function does not run again."
      problem={form.error}
      action={href(instance.id, "/resolve")}
      button="Resolve"
      danger={false}
      cancelHref={href(instance.id)}
    >
      <input type="hidden" name="step" value={form.step ?? ""} />
      <input type="hidden" name="count" value={form.count ?? "1"} />
      <label for="output">Output (JSON)</label>
      <textarea id="output" name="output">
        {form.output ?? "null"}
      </textarea>
    </ConfirmPage>
  );
}

export async function resolveForm(c: DashboardContext) {
  const instance = await load(c);
  if (instance instanceof Response) return instance;
  return c.html(<ResolvePage c={c} instance={instance} form={{ step: c.req.query("step") ?? "", count: c.req.query("count") ?? "1" }} />);
}

export async function performResolve(c: DashboardContext) {
  const instance = await load(c);
  if (instance instanceof Response) return instance;
  const body = await c.req.parseBody();
  const field = (name: string) => (typeof body[name] === "string" ? (body[name] as string).trim() : "");
  const form = { step: field("step"), count: field("count") || "1", output: field("output") };
  const refuse = (error: string) => c.html(<ResolvePage c={c} instance={instance} form={{ ...form, error }} />, 422);
  let output: unknown;
  try {
    output = parseJson(form.output || "null");
  } catch (error) {
    return refuse(`The output is not accepted: ${(error as Error).message}`);
  }
  try {
    await c.get("cairn").resolveStep(instance.id, { name: form.step, count: Number(form.count), output });
  } catch (error) {
    if (!(error instanceof CairnApiError) || error.status >= 500 || error.status === 0) throw error;
    return refuse([error.message, ...(error.problem?.errors ?? []).map((e) => `${e.path}: ${e.message}`)].join(" · "));
  }
  return c.redirect(href(instance.id, "?done=resolve"), 303);
}
