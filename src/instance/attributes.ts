/**
 * An instance's search attributes: those its workflow declares from the input, taken
 * when it is created, and those `step.setAttributes` sets while it runs, written with
 * the step's journal record and pushed to the index like a status change.
 */
import { declaredAttributes, type Attributes } from "../lib/attributes.js";
import { MAX_ATTRIBUTES } from "../lib/bounds.js";
import type { Rooms } from "./rooms.js";
import type { CreateRequest } from "./rpc.js";

/** The attributes the workflow declares from this input (lib/attributes.ts); one that cannot be had is left out. */
export function declaredFor(rooms: Rooms, request: CreateRequest): Attributes {
  const declared = rooms.definition(request.workflow)?.searchAttributes;
  if (!declared) return {};
  const { attributes, problems } = declaredAttributes(declared, request.input === undefined ? undefined : JSON.parse(request.input));
  for (const problem of problems) console.warn(`instance ${request.id}: search attribute left out: ${problem}`);
  return attributes;
}

/** `step.setAttributes`, in the transaction that journals it: the row, its outbox record, then the push. */
export function setAttributes(rooms: Rooms, attributes: Attributes): void {
  const dropped = rooms.rows.setAttributes(attributes, Date.now());
  if (dropped.length > 0) console.warn(`instance ${rooms.rows.get()?.id}: at most ${MAX_ATTRIBUTES} search attributes; left out ${dropped.join(", ")}`);
  rooms.index.soon({ atOnce: false });
}
