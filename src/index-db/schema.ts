/**
 * The D1 index of instances: one row per instance, for listing, search and stats.
 * The Durable Object of each instance is the source of truth; it pushes its row
 * here through its outbox, and a row's `version` only ever grows.
 *
 * Migrations are generated from this file by drizzle-kit (`npm run db:generate`).
 */
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { STATUSES } from "../engine/status.js";

export const instances = sqliteTable(
  "instances",
  {
    id: text("id").primaryKey(),
    workflow: text("workflow").notNull(),
    status: text("status", { enum: STATUSES }).notNull(),
    /** The start tags as a JSON object; `instance_tags` has one row per tag for filtering. */
    tags: text("tags").notNull().default("{}"),
    /** The search attributes as a JSON object; `instance_attributes` has one row per attribute for filtering. */
    attributes: text("attributes").notNull().default("{}"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    /** JSON of `waitingFor` while the instance waits. */
    waitingFor: text("waiting_for"),
    parentId: text("parent_id"),
    /** For a fork: the id of the instance it was copied from. */
    forkedFrom: text("forked_from"),
    /** Epoch milliseconds, as the Durable Object recorded them. */
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    completedAt: integer("completed_at"),
    /** Grows with every status change of the instance; a write with a lower version is ignored. */
    version: integer("version").notNull(),
  },
  (t) => [
    // Listing is newest first with (createdAt, id) as the keyset: every filter has an index ending in it.
    index("instances_created").on(t.createdAt, t.id),
    index("instances_workflow_created").on(t.workflow, t.createdAt, t.id),
    index("instances_status_created").on(t.status, t.createdAt, t.id),
    index("instances_parent_created").on(t.parentId, t.createdAt, t.id),
    index("instances_workflow_status").on(t.workflow, t.status),
  ],
);

export const instanceTags = sqliteTable(
  "instance_tags",
  {
    instanceId: text("instance_id").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
    /** The instance's createdAt, repeated so a tag filter walks its own index in listing order. */
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.instanceId, t.key] }), index("instance_tags_lookup").on(t.key, t.value, t.createdAt, t.instanceId)],
);

/**
 * Search attributes, one row per instance and key. Unlike tags they change while the
 * instance runs: each row carries the instance version that wrote it, and a write
 * with a lower version leaves it alone.
 */
export const instanceAttributes = sqliteTable(
  "instance_attributes",
  {
    instanceId: text("instance_id").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
    /** The instance's createdAt, repeated so an attribute filter walks its own index in listing order. */
    createdAt: integer("created_at").notNull(),
    version: integer("version").notNull(),
  },
  (t) => [primaryKey({ columns: [t.instanceId, t.key] }), index("instance_attributes_lookup").on(t.key, t.value, t.createdAt, t.instanceId)],
);

export type InstanceRow = typeof instances.$inferSelect;
export type NewInstanceRow = typeof instances.$inferInsert;

/** The list of schedules, written by each schedule's Durable Object (its source of truth). */
export const schedules = sqliteTable(
  "schedules",
  {
    id: text("id").primaryKey(),
    workflow: text("workflow").notNull(),
    /** The schedule as its object last described it (JSON). */
    view: text("view").notNull(),
    paused: integer("paused", { mode: "boolean" }).notNull(),
    nextFire: integer("next_fire"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("schedules_workflow").on(t.workflow, t.id)],
);

/**
 * Dashboard sessions ended by signing out, until their cookie would have expired
 * anyway: a revoked cookie is refused even though its signature is good.
 */
export const revokedSessions = sqliteTable("revoked_sessions", {
  /** The session's random id, as its cookie carries it. */
  sessionId: text("session_id").primaryKey(),
  /** Epoch ms when the cookie expires; the row may go after that. */
  expiresAt: integer("expires_at").notNull(),
});
