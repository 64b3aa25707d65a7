/**
 * A correlation object: one Durable Object per (event name, correlation key), so
 * no object is hot for all keys. Waits register here (`step.waitForEvent` with a
 * `match`, and `cancelOn` when an instance is created); a published event of this
 * name and key goes to each registration whose match it satisfies, through an
 * outbox of deliveries:
 *
 * - a wait is sent the event in its instance's inbox (`sendEvent`, with the event's
 *   id, so a delivery repeated after a failure counts once); a registration takes one
 *   event, and the wait registers again if it waits again;
 * - a `cancelOn` terminates its instance (the lifecycle's `terminate`, with rollbacks
 *   if asked) and stays until the instance is gone;
 * - an event no wait takes is buffered, within the bounds of an inbox, and given to
 *   the first wait that registers for it, oldest first.
 *
 * Deliveries to one instance go one at a time, in the order the events were
 * accepted here; a failed one is tried again on the alarm, later each time, and the
 * ones after it wait. Event ids are remembered for the dedupe window: a repeat is a
 * duplicate and changes nothing.
 */
import { DurableObject } from "cloudflare:workers";
import { matchesPayload, type EventMatch } from "../engine/match.js";
import type { Env } from "../env.js";
import { Sql } from "../instance/sql.js";
import { EVENT_DEDUPE_WINDOW_MS, MAX_EVENT_BUFFER_BYTES, MAX_EVENT_BUFFER_EVENTS } from "../lib/bounds.js";

/** A failed delivery is tried again after this long, doubling up to the maximum. */
export const DELIVERY_RETRY_MS = { first: 1_000, max: 60_000 } as const;

export interface PublishedEvent {
  id: string;
  name: string;
  /** JSON text of the event's data. */
  data?: string;
}

export type PublishResult =
  | { ok: true; duplicate: boolean; delivered: number; buffered: boolean }
  | { ok: false; code: "EVENT_BUFFER_FULL"; maxEvents: number; maxBytes: number };

/**
 * What waits here: a step call (`deliver`, `slot` = its position in the journal) or
 * a `cancelOn` of the instance's workflow (`cancel`, `slot` = -1 - its index).
 */
export interface Registration {
  instanceId: string;
  slot: number;
  match: EventMatch;
  action: "deliver" | "cancel";
  rollback?: boolean;
}

type RegistrationRow = { instance_id: string; slot: number; field: string; equals: string; action: string; rollback: number };
type DeliveryRow = { position: number; instance_id: string; action: string; rollback: number; attempts: number; due_at: number; id: string; name: string; data: string | null };

export class Correlation extends DurableObject<Env> {
  private readonly sql: Sql;
  /** The delivery run under way: one at a time keeps each instance's events in order. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      this.sql.run(`CREATE TABLE IF NOT EXISTS events (
        position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, data TEXT,
        bytes INTEGER NOT NULL, received_at INTEGER NOT NULL, buffered INTEGER NOT NULL)`);
      this.sql.run(`CREATE TABLE IF NOT EXISTS registrations (
        instance_id TEXT NOT NULL, slot INTEGER NOT NULL, field TEXT NOT NULL, equals TEXT NOT NULL,
        action TEXT NOT NULL, rollback INTEGER NOT NULL, since INTEGER NOT NULL, PRIMARY KEY (instance_id, slot))`);
      this.sql.run(`CREATE TABLE IF NOT EXISTS deliveries (
        position INTEGER NOT NULL, instance_id TEXT NOT NULL, action TEXT NOT NULL, rollback INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, due_at INTEGER NOT NULL, PRIMARY KEY (position, instance_id, action))`);
    });
  }

  /**
   * Accepts an event: sent to every registration it matches (one per instance), or
   * buffered when no wait takes it. Answers once the deliveries were tried.
   */
  async publish(event: PublishedEvent): Promise<PublishResult> {
    if (this.sql.one("SELECT 1 AS found FROM events WHERE id = ?", event.id)) return { ok: true, duplicate: true, delivered: 0, buffered: false };
    const now = Date.now();
    const matching = this.registrations().filter((r) => matchesPayload(event.data, r.match));
    // One delivery per instance and action; a wait's registration is used up by the event it takes.
    const targets = new Map<string, Registration>();
    for (const r of matching) if (!targets.has(`${r.action}:${r.instanceId}`)) targets.set(`${r.action}:${r.instanceId}`, r);
    const waits = [...targets.values()].filter((r) => r.action === "deliver");
    const bytes = event.data === undefined ? 0 : new TextEncoder().encode(event.data).byteLength;
    const buffered = waits.length === 0;
    if (buffered) {
      const usage = this.sql.one<{ events: number; bytes: number | null }>("SELECT COUNT(*) AS events, SUM(bytes) AS bytes FROM events WHERE buffered = 1")!;
      if (usage.events + 1 > MAX_EVENT_BUFFER_EVENTS || (usage.bytes ?? 0) + bytes > MAX_EVENT_BUFFER_BYTES) {
        return { ok: false, code: "EVENT_BUFFER_FULL", maxEvents: MAX_EVENT_BUFFER_EVENTS, maxBytes: MAX_EVENT_BUFFER_BYTES };
      }
    }
    this.ctx.storage.transactionSync(() => {
      const position = this.sql.one<{ position: number }>(
        "INSERT INTO events (id, name, data, bytes, received_at, buffered) VALUES (?, ?, ?, ?, ?, ?) RETURNING position",
        event.id, event.name, event.data ?? null, bytes, now, buffered ? 1 : 0,
      )!.position;
      for (const target of targets.values()) {
        this.addDelivery(position, target, now);
        if (target.action === "deliver") this.sql.run("DELETE FROM registrations WHERE instance_id = ? AND slot = ?", target.instanceId, target.slot);
      }
    });
    // Nothing to deliver: only the dedupe window needs the alarm.
    if (targets.size === 0) await this.scheduleAlarm();
    else await this.flush();
    return { ok: true, duplicate: false, delivered: targets.size, buffered };
  }

  /**
   * Registers a wait or a `cancelOn` (again: idempotent). A wait that a buffered
   * event matches takes the oldest at once; one with a delivery under way is
   * served by it.
   */
  async register(registration: Registration): Promise<void> {
    const now = Date.now();
    const { instanceId, slot, match, action } = registration;
    if (action === "deliver") {
      const pending = this.sql.all<{ data: string | null }>(
        "SELECT events.data FROM deliveries JOIN events USING (position) WHERE deliveries.instance_id = ? AND deliveries.action = 'deliver'",
        instanceId,
      );
      if (pending.some((row) => matchesPayload(row.data ?? undefined, match))) return;
      const waiting = this.sql.all<{ position: number; data: string | null }>("SELECT position, data FROM events WHERE buffered = 1 ORDER BY position");
      const oldest = waiting.find((row) => matchesPayload(row.data ?? undefined, match));
      if (oldest) {
        this.ctx.storage.transactionSync(() => {
          this.sql.run("UPDATE events SET buffered = 0 WHERE position = ?", oldest.position);
          this.addDelivery(oldest.position, registration, now);
        });
        await this.flush();
        return;
      }
    }
    this.sql.run(
      `INSERT OR REPLACE INTO registrations (instance_id, slot, field, equals, action, rollback, since) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      instanceId, slot, match.field, JSON.stringify(match.equals), action, registration.rollback ? 1 : 0, now,
    );
  }

  /** The wait ended: no more events for it. */
  async unregister(instanceId: string, slot: number): Promise<void> {
    this.sql.run("DELETE FROM registrations WHERE instance_id = ? AND slot = ?", instanceId, slot);
  }

  /** What this key holds, for tests and operators. */
  async state(): Promise<{ registrations: Registration[]; buffered: string[]; pending: number; seen: number }> {
    return {
      registrations: this.registrations(),
      buffered: this.sql.all<{ id: string }>("SELECT id FROM events WHERE buffered = 1 ORDER BY position").map((r) => r.id),
      pending: this.sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM deliveries")!.n,
      seen: this.sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM events")!.n,
    };
  }

  /** Tries the deliveries that are due again, and forgets events past the dedupe window. */
  override async alarm(): Promise<void> {
    const horizon = Date.now() - EVENT_DEDUPE_WINDOW_MS;
    this.sql.run("DELETE FROM events WHERE received_at < ? AND position NOT IN (SELECT position FROM deliveries)", horizon);
    await this.flush();
  }

  // ---- deliveries ------------------------------------------------------------

  private registrations(): Registration[] {
    return this.sql.all<RegistrationRow>("SELECT instance_id, slot, field, equals, action, rollback FROM registrations ORDER BY since, slot").map((row) => ({
      instanceId: row.instance_id,
      slot: row.slot,
      match: { field: row.field, equals: JSON.parse(row.equals) as EventMatch["equals"] },
      action: row.action as Registration["action"],
      ...(row.rollback === 1 && { rollback: true }),
    }));
  }

  private addDelivery(position: number, target: Registration, now: number): void {
    this.sql.run(
      "INSERT OR IGNORE INTO deliveries (position, instance_id, action, rollback, due_at) VALUES (?, ?, ?, ?, ?)",
      position, target.instanceId, target.action, target.rollback ? 1 : 0, now,
    );
  }

  /** Runs the due deliveries after the run under way, if any; resolves when they were tried. */
  private flush(): Promise<void> {
    const run = this.flushing.then(() => this.deliverDue());
    this.flushing = run.catch((error: unknown) => console.error("correlation: a delivery run failed:", error));
    return this.flushing;
  }

  /** Each instance's due deliveries in order, instances side by side; one that fails holds back those after it. */
  private async deliverDue(): Promise<void> {
    const now = Date.now();
    const byInstance = new Map<string, DeliveryRow[]>();
    const rows = this.sql.all<DeliveryRow>(
      `SELECT d.position, d.instance_id, d.action, d.rollback, d.attempts, d.due_at, e.id, e.name, e.data
         FROM deliveries d JOIN events e USING (position) ORDER BY d.position, d.action`,
    );
    for (const row of rows) byInstance.set(row.instance_id, [...(byInstance.get(row.instance_id) ?? []), row]);
    await Promise.all(
      [...byInstance.values()].map(async (list) => {
        for (const row of list) {
          if (row.due_at > now || !(await this.deliver(row))) return;
        }
      }),
    );
    await this.scheduleAlarm();
  }

  /** One delivery; true once it is done with (delivered, or its instance is gone or finished). */
  private async deliver(row: DeliveryRow): Promise<boolean> {
    const instance = this.env.WORKFLOW_INSTANCE.get(this.env.WORKFLOW_INSTANCE.idFromName(row.instance_id));
    let gone = false;
    try {
      if (row.action === "cancel") {
        const result = await instance.terminate(row.rollback === 1 ? { rollback: true } : {});
        gone = !result.ok;
      } else {
        const result = await instance.sendEvent({ type: row.name, id: row.id, ...(row.data !== null && { payload: row.data }) });
        const refused: string | undefined = result.ok ? undefined : result.code;
        gone = refused === "INSTANCE_NOT_FOUND" || refused === "INSTANCE_FINISHED";
        // Any other refusal (a full inbox) is worth another try later.
        if (refused !== undefined && !gone) throw new Error(`the instance refused the event: ${refused}`);
      }
    } catch (error) {
      const delay = Math.min(DELIVERY_RETRY_MS.first * 2 ** row.attempts, DELIVERY_RETRY_MS.max);
      console.warn(`correlation: event ${row.id} for instance ${row.instance_id} not delivered, trying again in ${delay} ms: ${String(error)}`);
      this.sql.run(
        "UPDATE deliveries SET attempts = attempts + 1, due_at = ? WHERE position = ? AND instance_id = ? AND action = ?",
        Date.now() + delay, row.position, row.instance_id, row.action,
      );
      return false;
    }
    this.ctx.storage.transactionSync(() => {
      this.sql.run("DELETE FROM deliveries WHERE position = ? AND instance_id = ? AND action = ?", row.position, row.instance_id, row.action);
      // An instance that finished or is gone waits for nothing more here.
      if (gone) this.sql.run("DELETE FROM registrations WHERE instance_id = ?", row.instance_id);
      // Delivered everywhere: only the id stays, for the dedupe window.
      this.sql.run(
        "UPDATE events SET data = NULL, bytes = 0 WHERE position = ? AND buffered = 0 AND NOT EXISTS (SELECT 1 FROM deliveries WHERE position = ?)",
        row.position, row.position,
      );
    });
    return true;
  }

  /** The alarm: at the next delivery due, else when the oldest event leaves the dedupe window. */
  private async scheduleAlarm(): Promise<void> {
    const nextDelivery = this.sql.one<{ at: number | null }>("SELECT MIN(due_at) AS at FROM deliveries")?.at ?? null;
    const oldest = this.sql.one<{ at: number | null }>("SELECT MIN(received_at) AS at FROM events")?.at ?? null;
    const candidates = [nextDelivery, oldest === null ? null : oldest + EVENT_DEDUPE_WINDOW_MS].filter((at): at is number => at !== null);
    if (candidates.length === 0) return this.ctx.storage.deleteAlarm();
    const at = Math.min(...candidates);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(Math.max(at, Date.now()));
  }
}
