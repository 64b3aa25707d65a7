/**
 * The watch hub: one Durable Object per instance being watched, holding its
 * subscribers' Server-Sent Event streams. The instance sends it each batch of events
 * once (and only while the hub says someone listens); the hub keeps them, numbered,
 * and writes them to every stream, so a hundred subscribers cost the instance what
 * one does.
 *
 * The hub keeps the instance's events in its own storage, each `key` once, numbered
 * in the order it got them: that number is the event's `eventId`, and a subscriber
 * that comes back with the last one it saw (`Last-Event-ID`, `cursor`) gets what
 * followed. When its first subscriber arrives the hub catches up: it asks the
 * instance to send events, then reads the instance's history a page at a time and
 * keeps whatever it did not have (events sent meanwhile wait until then).
 *
 * A read-only subscriber never sees a webhook token the instance minted: each is
 * replaced wherever it shows (src/instance/redact.ts, as in the instance's view).
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { Sql } from "../instance/sql.js";
import type { HistoryPage } from "../instance/watch.js";
import { redactText } from "../instance/redact.js";
import { eventBody, TERMINAL_EVENTS, type WatchEvent } from "./events.js";

/** A stream with nothing to say sends a comment this often, which also finds out whether its reader left. */
const KEEP_ALIVE_MS = 15_000;
/** Events read from storage per round of a stream. */
const ROUND = 100;

/** How one stream was asked for (the query of the hub's request, see `subscribeUrl`). */
export interface StreamRequest {
  instance: string;
  /** Deliver the events after this `eventId`. */
  after: number;
  /** Only these types (every type when absent). */
  filter?: readonly string[];
  /** A read-only subscriber never sees the instance's webhook tokens. */
  readOnly: boolean;
}

export function subscribeUrl(request: StreamRequest): string {
  const url = new URL("https://watch-hub/subscribe");
  url.searchParams.set("instance", request.instance);
  url.searchParams.set("after", String(request.after));
  if (request.filter) url.searchParams.set("filter", request.filter.join(","));
  if (request.readOnly) url.searchParams.set("readOnly", "1");
  return url.toString();
}

function parseUrl(url: URL): StreamRequest {
  const filter = url.searchParams.get("filter");
  return {
    instance: url.searchParams.get("instance") ?? "",
    after: Number(url.searchParams.get("after") ?? 0) || 0,
    ...(filter !== null && { filter: filter.split(",") }),
    readOnly: url.searchParams.get("readOnly") === "1",
  };
}

type EventRow = { id: number; type: string; body: string };

export class WatchHub extends DurableObject<Env> {
  private readonly sql: Sql;
  private streams = 0;
  /** True while the instance sends its events here and the log holds its whole history. */
  private synced = false;
  private catchingUp?: Promise<boolean>;
  /** Events the instance sent while the hub read its history. */
  private held?: WatchEvent[];
  private waiters: (() => void)[] = [];
  /** Calls to the instance's `watch`, one after the other. */
  private told: Promise<unknown> = Promise.resolve();
  /** The id of the last status event kept, when it ends the instance. */
  private endId?: number;
  /** The instance was deleted: every stream ends. */
  private deleted = false;
  /** The webhook tokens the instance minted (from its step.webhook results): read-only streams never show them. */
  private tokens?: string[];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage.sql);
    this.sql.run(`CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, type TEXT NOT NULL, body TEXT NOT NULL)`);
    this.sql.run(`CREATE TABLE IF NOT EXISTS instance (created_at INTEGER NOT NULL)`);
    this.endId = this.lastEnd();
  }

  /** The instance's events (its one call per batch). `listening` false: nobody subscribes, stop sending. */
  async publish(_instanceId: string, events: WatchEvent[]): Promise<{ listening: boolean }> {
    if (this.held) {
      this.held.push(...events);
      return { listening: true };
    }
    if (!this.synced) return { listening: false };
    this.keep(events);
    return { listening: true };
  }

  /** The instance was deleted: its events go, its streams end. */
  async gone(_instanceId: string): Promise<void> {
    this.sql.run("DELETE FROM events");
    this.sql.run("DELETE FROM instance");
    this.tokens = undefined;
    this.synced = false;
    this.deleted = true;
    this.wake();
  }

  /** One subscriber's stream (`subscribeUrl`); 404 when there is no such instance. */
  override async fetch(request: Request): Promise<Response> {
    const asked = parseUrl(new URL(request.url));
    if (!(await this.catchUp(asked.instance))) return new Response(null, { status: 404 });
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.streams++;
    void this.pump(writable, asked).finally(() => this.left(asked.instance));
    return new Response(readable, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
  }

  private catchUp(instance: string): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    this.catchingUp ??= this.readHistory(instance).finally(() => (this.catchingUp = undefined));
    return this.catchingUp;
  }

  private async readHistory(id: string): Promise<boolean> {
    const instance = this.env.WORKFLOW_INSTANCE.get(this.env.WORKFLOW_INSTANCE.idFromName(id));
    this.held = [];
    try {
      const found = await this.tell(id, true);
      if (!found) return false;
      const known = this.sql.one<{ created_at: number }>("SELECT created_at FROM instance");
      if (known?.created_at !== found.createdAt) {
        // Another instance had this id before (deleted since): its events are not this one's.
        this.sql.run("DELETE FROM events");
        this.sql.run("DELETE FROM instance");
        this.tokens = undefined;
        this.sql.run("INSERT INTO instance (created_at) VALUES (?)", found.createdAt);
      }
      for (let from: number | undefined = 0; from !== undefined; ) {
        // (The RPC types cannot describe `unknown` fields; the page is a HistoryPage.)
        const page = (await instance.history(from)) as HistoryPage | null;
        if (!page) return false;
        this.keep(page.events);
        from = page.next;
      }
      this.keep(this.held);
      this.synced = true;
      this.deleted = false;
      return true;
    } finally {
      this.held = undefined;
    }
  }

  /** Tells the instance whether anyone listens; calls go one after the other. */
  private tell(id: string, on: boolean): Promise<{ createdAt: number } | null> {
    const instance = this.env.WORKFLOW_INSTANCE.get(this.env.WORKFLOW_INSTANCE.idFromName(id));
    const call = this.told.then(() => instance.watch(on));
    this.told = call.catch(() => undefined);
    return call;
  }

  /** Keeps the events not kept before, and wakes the streams. */
  private keep(events: readonly WatchEvent[]): void {
    let added = false;
    for (const event of events) {
      const kept = this.sql.one<{ id: number }>(
        "INSERT INTO events (key, type, body) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING id",
        event.key,
        event.type,
        eventBody(event),
      );
      if (!kept) continue;
      added = true;
      if (event.fields.stepKind === "webhook" && event.output !== undefined) this.tokens = undefined;
      if (event.type.startsWith("workflow_") && event.type !== "workflow_started") this.endId = TERMINAL_EVENTS.has(event.type) ? kept.id : undefined;
    }
    if (added) this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private lastEnd(): number | undefined {
    const last = this.sql.one<{ id: number; type: string }>(
      "SELECT id, type FROM events WHERE type LIKE 'workflow_%' AND type != 'workflow_started' ORDER BY id DESC LIMIT 1",
    );
    return last && TERMINAL_EVENTS.has(last.type) ? last.id : undefined;
  }

  /** Resolves when events are kept, or after `ms` with false. */
  private news(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Writes the events after `asked.after` to the stream, then each new one, until the instance ends. */
  private async pump(writable: WritableStream<Uint8Array>, asked: StreamRequest): Promise<void> {
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    const filter = asked.filter && new Set(asked.filter);
    let after = asked.after;
    try {
      await writer.write(encoder.encode(": cairn watch\nretry: 2000\n\n"));
      for (;;) {
        const rows = this.sql.all<EventRow>("SELECT id, type, body FROM events WHERE id > ? ORDER BY id LIMIT ?", after, ROUND);
        let text = "";
        for (const row of rows) {
          after = row.id;
          if (!filter || filter.has(row.type)) text += frame(asked, row, asked.readOnly ? this.webhookTokens() : []);
        }
        if (text) await writer.write(encoder.encode(text));
        if (rows.length === ROUND) continue;
        if (this.deleted || (this.endId !== undefined && after >= this.endId)) break;
        if (!(await this.news(KEEP_ALIVE_MS))) await writer.write(encoder.encode(": keep-alive\n\n"));
      }
      await writer.close();
    } catch {
      // The subscriber went away.
      await writer.abort().catch(() => undefined);
    }
  }

  private webhookTokens(): string[] {
    this.tokens ??= this.sql
      .all<{ body: string }>(`SELECT body FROM events WHERE type = 'step_completed' AND body LIKE '%"stepKind":"webhook"%'`)
      .map((row) => (JSON.parse(row.body) as { output?: { token?: unknown } }).output?.token)
      .filter((token): token is string => typeof token === "string" && token.length > 0);
    return this.tokens;
  }

  private left(instance: string): void {
    this.streams--;
    if (this.streams > 0) return;
    this.synced = false;
    this.tell(instance, false).catch(() => undefined);
  }
}

/**
 * One event as Server-Sent Events text: `id` is the eventId, `event` its type, `data`
 * the event's JSON, with each of `tokens` redacted wherever it shows (as the
 * instance's view does for read-only access).
 */
function frame(asked: StreamRequest, row: EventRow, tokens: readonly string[]): string {
  const body = redactText(row.body, tokens);
  const data = `{"instanceId":${JSON.stringify(asked.instance)},"eventId":${row.id},${body.slice(1)}`;
  return `id: ${row.id}\nevent: ${row.type}\ndata: ${data}\n\n`;
}
