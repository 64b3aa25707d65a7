/**
 * The storage floor: a bare SQLite-backed Durable Object that writes what the bench
 * bodies journal (an instance row, one row per step with its result as JSON, the
 * final status) with `ctx.storage.sql.exec` and nothing else: no engine, no status
 * checks, no index. What Cairn costs above this is Cairn's own.
 */
import { DurableObject } from "cloudflare:workers";
import { filler } from "./bodies.js";

const SCHEMA = `CREATE TABLE IF NOT EXISTS instance (id INTEGER PRIMARY KEY, status TEXT NOT NULL, due_at INTEGER, late_ms INTEGER);
CREATE TABLE IF NOT EXISTS steps (seq INTEGER PRIMARY KEY, name TEXT NOT NULL, result TEXT)`;

export class Floor extends DurableObject {
  private fired?: (lateMs: number) => void;

  private begin(status: string): void {
    this.ctx.storage.sql.exec(SCHEMA);
    this.ctx.storage.sql.exec("INSERT INTO instance (id, status) VALUES (1, ?)", status);
  }

  private step(seq: number, name: string, result: unknown): void {
    this.ctx.storage.sql.exec("INSERT INTO steps (seq, name, result) VALUES (?, ?, ?)", seq, name, JSON.stringify(result));
  }

  private end(): void {
    this.ctx.storage.sql.exec("UPDATE instance SET status = 'completed'");
  }

  /** W1, W2, W3, W6: `steps` rows whose result is the index, or a string of `bytes`; `doneAt` when written. */
  journal(steps: number, bytes = 0): { rows: number; doneAt: number } {
    this.begin("running");
    for (let i = 0; i < steps; i++) this.step(i, "step", bytes > 0 ? filler(bytes) : i);
    this.end();
    return { rows: this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM steps").one().n, doneAt: Date.now() };
  }

  /** W5: an instance waiting for an event. */
  prepareEvent(): void {
    this.begin("waiting");
  }

  /** W5: the event arrives: journal it as the step's result and complete. */
  event(payload: unknown): void {
    this.step(0, "wait", payload);
    this.end();
  }

  /** W4: journal a first step, then sleep `ms` on the alarm. */
  async arm(ms: number): Promise<void> {
    this.begin("sleeping");
    const due = Date.now() + ms;
    this.step(0, "start", due - ms);
    this.ctx.storage.sql.exec("UPDATE instance SET due_at = ?", due);
    await this.ctx.storage.setAlarm(due);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    const { due_at: due } = this.ctx.storage.sql.exec<{ due_at: number }>("SELECT due_at FROM instance").one();
    this.step(1, "woke", now);
    this.ctx.storage.sql.exec("UPDATE instance SET status = 'completed', late_ms = ?", now - due);
    this.fired?.(now - due);
  }

  /** W4: how late the alarm fired, once it has. */
  async lateness(): Promise<number> {
    for (;;) {
      const row = this.ctx.storage.sql.exec<{ late_ms: number | null }>("SELECT late_ms FROM instance").one();
      if (row.late_ms !== null) return row.late_ms;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        this.fired = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** W7: read the whole journal back and parse every result, as a replay must. */
  replay(): { rows: number; last: unknown } {
    let rows = 0;
    let last: unknown;
    for (const row of this.ctx.storage.sql.exec<{ seq: number; result: string }>("SELECT seq, name, result FROM steps ORDER BY seq")) {
      last = JSON.parse(row.result);
      rows++;
    }
    this.step(rows, "after", last);
    this.end();
    return { rows, last };
  }
}
