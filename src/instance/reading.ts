/**
 * Reading an instance: its view, pages of its steps, one step whole, a page of its
 * journal export. Every read stays bounded whatever the instance holds (the newest
 * steps, large results left out with their size), and a read-only reader never sees
 * a capability: the webhook tokens the instance minted are redacted wherever they show.
 */
import type { Attributes } from "../lib/attributes.js";
import { STEPS_PAGE_SIZE, VIEW_ATTEMPTS_PER_STEP, VIEW_VALUE_MAX_BYTES } from "../lib/bounds.js";
import { journalPage, type JournalPageResult } from "./export.js";
import { redactText, redactTokens } from "./redact.js";
import type { Rooms } from "./rooms.js";
import type { InstanceView, ReadOptions, StepsPage, StepView } from "./rpc.js";
import { gateName } from "./slots.js";
import { toInstanceView, toStepsPage, toStepView } from "./view.js";

export async function readView(rooms: Rooms, options: ReadOptions): Promise<InstanceView | null> {
  void checkDeployment(rooms);
  const row = rooms.rows.get();
  if (!row) return null;
  // Someone is looking at this instance: the list should say what they see.
  rooms.index.hurry();
  const journal = rooms.driver.journal();
  let view = toInstanceView(row, journal.viewPage(pageOptions(options)));
  if (row.attributes !== "{}") view.attributes = JSON.parse(row.attributes) as Attributes;
  const definition = rooms.definition(row.workflow);
  if (definition?.concurrency && row.slot === null && row.status === "queued") {
    const gate = gateName(definition, row);
    if (gate.ok) {
      const position = await rooms.gates.concurrency(gate.gate).place(row.id).catch(() => undefined);
      if (position !== undefined) view.queue = { position, key: gate.gate };
    }
  }
  if (options.access === "readonly") view = redactTokens(view, journal.webhookTokens());
  return view;
}

/**
 * Whether this deployment registers the instance's workflow: an open instance whose
 * workflow is missing says so (it waits for a deployment) at once, rather than when
 * it next wakes; one registered again goes on at once.
 */
export function checkDeployment(rooms: Rooms): Promise<void> | undefined {
  const row = rooms.rows.get();
  if (!row || !["queued", "running", "waiting"].includes(row.status)) return undefined;
  const waitsForDeployment = row.status === "waiting" && row.waiting_for?.includes('"kind":"deployment"') === true;
  if (rooms.definition(row.workflow)) return waitsForDeployment ? rooms.apply({ kind: "registryDue" }).done : undefined;
  return waitsForDeployment ? undefined : rooms.apply({ kind: "workflowMissing", workflow: row.workflow }).done;
}

export function readSteps(rooms: Rooms, options: ReadOptions): StepsPage | null {
  if (!rooms.rows.get()) return null;
  const journal = rooms.driver.journal();
  const page = toStepsPage(journal.viewPage(pageOptions(options)));
  return options.access === "readonly" ? redactTokens(page, journal.webhookTokens()) : page;
}

export function readStep(rooms: Rooms, seq: number, options: ReadOptions): StepView | null {
  if (!rooms.rows.get()) return null;
  const journal = rooms.driver.journal();
  const record = journal.step(seq);
  if (!record) return null;
  const step = toStepView(record, journal.attempts().filter((a) => a.seq === seq));
  return options.access === "readonly" ? redactTokens(step, journal.webhookTokens()) : step;
}

export function readJournalPage(rooms: Rooms, cursor: string | undefined, options: ReadOptions): JournalPageResult {
  const row = rooms.rows.get();
  if (!row) return { ok: false, code: "INSTANCE_NOT_FOUND" };
  const result = journalPage(rooms.sql, row, cursor, { workflowVersion: rooms.definition(row.workflow)?.version });
  if (!result.ok || options.access !== "readonly") return result;
  return { ...result, page: redactText(result.page, rooms.driver.journal().webhookTokens()) };
}

function pageOptions(options: ReadOptions) {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? STEPS_PAGE_SIZE), 1), STEPS_PAGE_SIZE);
  return { ...(options.before !== undefined && { before: options.before }), limit, maxValueBytes: VIEW_VALUE_MAX_BYTES, attemptsPerStep: VIEW_ATTEMPTS_PER_STEP };
}
