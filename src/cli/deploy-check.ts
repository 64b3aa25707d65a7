/**
 * The deploy check (`npm run check:deploy`): lists every open instance of a running
 * Cairn through its index, downloads each one's journal, and replays it against the
 * workflows of the working tree on the pure engine, with no side effect. An instance
 * whose journal the new code would not replay is named with its first divergence,
 * before the deploy breaks it. check-deploy.mjs bundles this with the registry and
 * runs it in Node.
 */
import { CairnApiError, createClient, type CairnClient } from "../client/index.js";
import type { Status } from "../engine/status.js";
import { readJournal, type JournalDocument } from "../journal/format.js";
import { replayJournal, type ReplayResult } from "../journal/replay.js";
import type { WorkflowRegistry } from "../workflow.js";

/** The statuses of an instance that will run code again. */
export const OPEN_STATUSES: Status[] = ["queued", "running", "waiting", "paused"];

export interface CheckOptions {
  url: string;
  token: string;
  workflow?: string;
  concurrency: number;
  /** Called with each journal downloaded, e.g. to save it as a golden file. */
  save?: (journal: JournalDocument) => void | Promise<void>;
  /** Where progress goes (stderr). */
  progress: (line: string, final?: boolean) => void;
  fetch?: (request: Request) => Promise<Response>;
}

export type Verdict =
  | { id: string; workflow: string; kind: "clean"; how: string }
  | { id: string; workflow: string; kind: "breaks"; reason: string }
  | { id: string; workflow: string; kind: "gone" };

export interface CheckReport {
  verdicts: Verdict[];
  /** True when any instance would break: the check then exits non-zero. */
  breaks: boolean;
}

/** Every open instance in the index (of `workflow`, if given), page by page. */
async function* openInstances(cairn: CairnClient, workflow?: string) {
  let cursor: string | undefined;
  do {
    const page = await cairn.list({ status: OPEN_STATUSES, limit: 100, ...(workflow && { workflow }), ...(cursor && { cursor }) });
    yield* page.instances;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/** What a replay of an open instance's journal means for the deploy. */
export function judge(journal: JournalDocument, replay: ReplayResult): { kind: "clean"; how: string } | { kind: "breaks"; reason: string } {
  switch (replay.kind) {
    case "frontier":
      return { kind: "clean", how: "replays up to where it stands and goes on" };
    case "diverged":
      return {
        kind: "breaks",
        reason: `step call #${replay.position + 1} is ${replay.expected} in the journal, but the code now calls ${replay.found}`,
      };
    case "outcome": {
      const { outcome } = replay;
      if (outcome.kind !== "failed") return { kind: "clean", how: outcome.kind === "suspended" ? "waits where it waits now" : "completes" };
      // A finished instance (between listing and download) ends as it ended; an open one must not start failing.
      if (journal.instance.status === "failed") return { kind: "clean", how: "fails as it failed" };
      return { kind: "breaks", reason: `the replay fails with ${outcome.error.code}: ${outcome.error.message}` };
    }
  }
}

async function checkOne(cairn: CairnClient, registry: WorkflowRegistry, item: { id: string; workflow: string }, options: CheckOptions): Promise<Verdict> {
  const { id, workflow } = item;
  let journal: JournalDocument;
  try {
    journal = readJournal(await cairn.journal(id), `the journal of ${id}`);
  } catch (error) {
    // Deleted between the listing and the download (retention, or an operator): nothing left to break.
    if (error instanceof CairnApiError && error.code === "INSTANCE_NOT_FOUND") return { id, workflow, kind: "gone" };
    throw error;
  }
  await options.save?.(journal);
  const definition = registry[workflow];
  if (!definition) {
    return { id, workflow, kind: "breaks", reason: `workflow "${workflow}" is not registered in the working tree; keep it in workflows/index.ts while instances of it are open` };
  }
  return { id, workflow, ...judge(journal, await replayJournal(definition, journal)) };
}

/** Checks every open instance, `concurrency` at a time. */
export async function checkDeploy(registry: WorkflowRegistry, options: CheckOptions): Promise<CheckReport> {
  const cairn = createClient({ baseUrl: options.url, token: options.token, ...(options.fetch && { fetch: options.fetch }) });
  const verdicts: Verdict[] = [];
  const listing = openInstances(cairn, options.workflow);
  let listed = 0;
  let listingDone = false;
  const tell = (final = false) => options.progress(`checked ${verdicts.length} of ${listed}${listingDone ? "" : "+"} open instances`, final);

  // Workers share one listing: each takes the next instance when it is free.
  const worker = async () => {
    for (;;) {
      const next = await listing.next();
      if (next.done) {
        listingDone = true;
        return;
      }
      listed++;
      verdicts.push(await checkOne(cairn, registry, next.value, options));
      tell();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  tell(true);
  return { verdicts, breaks: verdicts.some((v) => v.kind === "breaks") };
}

/** The report for people: per workflow, how many replay cleanly, and each that would break. */
export function formatReport(report: CheckReport): string {
  const byWorkflow = new Map<string, Verdict[]>();
  for (const verdict of report.verdicts) byWorkflow.set(verdict.workflow, [...(byWorkflow.get(verdict.workflow) ?? []), verdict]);
  if (byWorkflow.size === 0) return "No open instances: nothing in flight can break.\n";
  const lines: string[] = [];
  for (const [workflow, verdicts] of [...byWorkflow].sort(([a], [b]) => a.localeCompare(b))) {
    const checked = verdicts.filter((v) => v.kind !== "gone");
    const clean = checked.filter((v) => v.kind === "clean").length;
    const broken = checked.filter((v): v is Extract<Verdict, { kind: "breaks" }> => v.kind === "breaks");
    lines.push(`${broken.length ? "✗" : "✓"} ${workflow}: ${clean} of ${checked.length} open instances replay cleanly${broken.length ? `, ${broken.length} would break` : ""}`);
    for (const verdict of broken.sort((a, b) => a.id.localeCompare(b.id))) lines.push(`    ${verdict.id}: ${verdict.reason}`);
  }
  if (report.breaks) {
    lines.push(
      "",
      "Deploying this code would fail the instances above with NON_DETERMINISTIC (or the error shown).",
      "Keep the steps they have already taken, in the same order; to change a workflow in flight, guard the new code:",
      '    if (await step.patched("my-change")) { /* new steps */ } else { /* the old steps, as they were */ }',
      "or ship the change as a new workflow name. README: \"Changing a running workflow\".",
    );
  }
  return `${lines.join("\n")}\n`;
}
