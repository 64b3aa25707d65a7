/**
 * The instance row: what the instance is and where it stands. Kept in memory once
 * read; every write goes through here, and a change of status or wait bumps the
 * row's version and leaves the new index row in the outbox, in the caller's
 * transaction. Also turns the row into the lifecycle machine's state.
 */
import { ABSENT, type LifecycleState, type Step } from "../engine/index.js";
import type { WaitingFor } from "../engine/index.js";
import { mergeAttributes, type Attributes } from "../lib/attributes.js";
import { retentionMs, type WorkflowDefinition } from "../workflow.js";
import type { CreateRequest } from "./rpc.js";
import { migrate, SCHEMA_VERSION, schemaVersion } from "./schema.js";
import type { Outbox } from "./outbox.js";
import type { Sql, SqlValue } from "./sql.js";
import type { InstanceRow } from "./view.js";

export class RowStore {
  private current?: InstanceRow;
  /** True once this object is known to hold an instance (its schema exists). */
  private created = false;

  constructor(
    private readonly sql: Sql,
    private readonly outbox: Outbox,
    private readonly transaction: <T>(body: () => T) => T,
  ) {}

  /** Whether this object holds an instance; an object created under an older schema catches up here. */
  exists(): boolean {
    if (this.created) return true;
    const version = schemaVersion(this.sql);
    if (version === 0) return false;
    if (version < SCHEMA_VERSION) this.transaction(() => migrate(this.sql, version));
    this.created = true;
    return true;
  }

  get(): InstanceRow | undefined {
    if (!this.exists()) return undefined;
    this.current ??= this.sql.one<InstanceRow>("SELECT * FROM instance LIMIT 1");
    return this.current;
  }

  /** Writes the schema and the row of a new instance, queued. Call inside a transaction. */
  insert(request: CreateRequest, now: number, attributes: Attributes = {}): InstanceRow {
    migrate(this.sql, this.created ? SCHEMA_VERSION : 0);
    this.created = true;
    this.current = this.sql.one<InstanceRow>(
      `INSERT INTO instance (id, workflow, status, input, tags, created_at, updated_at, parent_id, origin, generation, attributes) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      request.id, request.workflow, request.input ?? null, JSON.stringify(request.tags), now, now, request.parentId ?? null, request.origin ?? null,
      crypto.randomUUID(), JSON.stringify(attributes),
    )!;
    this.outbox.record(this.current);
    return this.current;
  }

  /** Keeps a row a caller wrote itself in the same transaction (a fork's). */
  replace(row: InstanceRow): InstanceRow {
    this.current = row;
    this.outbox.record(row);
    return row;
  }

  /** Writes what a lifecycle step changed of the row. Call inside a transaction. */
  apply(step: Step, now: number): void {
    const row = this.get();
    if (!row || step.state.status === "absent") return;
    const { state, write } = step;
    const stopping = state.stopping;
    if (step.changed) {
      if (write.reset) this.update("output = NULL, error = NULL, completed_at = NULL");
      const updated = this.update(
        `status = ?, updated_at = ?, version = version + 1, waiting_for = ?, stopping = ?, slot = ?,
           output = COALESCE(?, output), error = COALESCE(?, error), completed_at = COALESCE(?, completed_at)`,
        state.status, now, state.waitingFor ? JSON.stringify(state.waitingFor) : null, stopping, state.slot,
        write.output ?? null, write.error ? JSON.stringify(write.error) : null, write.completedAt ?? null,
      );
      this.outbox.record(updated);
    } else if (row.stopping !== stopping || row.slot !== state.slot) {
      this.update("stopping = ?, slot = ?", stopping, state.slot);
    }
  }

  /** Replaces the input of a debounced instance that has not started. Call inside a transaction. */
  setInput(input: string | null): void {
    this.update("input = ?", input);
  }

  /**
   * Lays `changes` over the search attributes, and leaves the new index row in the
   * outbox (a new version): call in the transaction that journals the change.
   * Returns the keys left out for being past the bound.
   */
  setAttributes(changes: Attributes, now: number): string[] {
    const row = this.get();
    if (!row) return [];
    const { attributes, dropped } = mergeAttributes(JSON.parse(row.attributes) as Attributes, changes);
    this.outbox.record(this.update("attributes = ?, updated_at = ?, version = version + 1", JSON.stringify(attributes), now));
    return dropped;
  }

  /** Forgets what is in memory: the next read comes from storage (after a fault, or once deleted). */
  forget({ deleted = false } = {}): void {
    this.current = undefined;
    if (deleted) this.created = false;
  }

  private update(set: string, ...params: SqlValue[]): InstanceRow {
    this.current = this.sql.one<InstanceRow>(`UPDATE instance SET ${set} RETURNING *`, ...params)!;
    return this.current;
  }
}

/** The lifecycle machine's view of an instance. */
export function stateOf(row: InstanceRow | undefined, definition: WorkflowDefinition | undefined): LifecycleState {
  const gated = definition?.concurrency !== undefined || definition?.throttle !== undefined;
  if (!row) return { ...ABSENT, gated };
  return {
    status: row.status,
    waitingFor: row.waiting_for === null ? null : (JSON.parse(row.waiting_for) as WaitingFor),
    stopping: row.stopping === "rollback" || row.stopping === "delete" ? row.stopping : null,
    slot: row.slot,
    hasParent: row.parent_id !== null,
    gated,
    // Read only when the instance finishes: parsing three durations per cause showed in profiles.
    retentionMs: {
      get completed() {
        return retentionMs(definition, "completed");
      },
      get failed() {
        return retentionMs(definition, "failed");
      },
      get terminated() {
        return retentionMs(definition, "terminated");
      },
    },
  };
}
