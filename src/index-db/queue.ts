/**
 * The index queue's consumer: where a deployment with an `INDEX_QUEUE` binding
 * writes the D1 index. Instances send their newest outbox row to the queue instead
 * of writing D1 themselves; a batch (up to 100 messages) keeps the newest row of
 * each instance and lands in D1 as one batch (batch.ts), so D1 sees one query per
 * hundred status changes instead of one per change.
 *
 * An instance keeps its outbox row until it hears that D1 holds it: after the write,
 * the consumer tells each instance the version now in D1 (`acknowledge`). So a
 * message lost or dropped by the queue costs time, never the row: the instance sends
 * it again when its `outbox` timer falls due. The answers:
 * - `kept`: the instance has dropped its outbox rows up to that version;
 * - `gone`: no instance of that life exists any more (deleted while the message
 *   travelled): the row just written is removed again;
 * - `busy`: it is deleting itself right now: the message comes back later.
 */
import { pushInstances, removeStale, type PushedRow } from "./batch.js";
import type { IndexDb } from "./queries.js";

export type IndexMessage = PushedRow;
export type IndexAck = "kept" | "gone" | "busy";

/** A failed write comes back after 2^attempts seconds, at most this long. */
const MAX_RETRY_DELAY_S = 60;

export interface IndexConsumerHost {
  db: IndexDb;
  /** Tells the instance that D1 holds `row`; answers what it did about it. */
  acknowledge(row: PushedRow): Promise<IndexAck>;
}

export async function consumeIndexBatch(batch: MessageBatch<IndexMessage>, host: IndexConsumerHost): Promise<void> {
  const delay = (attempts: number) => ({ delaySeconds: Math.min(2 ** attempts, MAX_RETRY_DELAY_S) });
  let written: PushedRow[];
  try {
    written = await pushInstances(host.db, batch.messages.map((message) => message.body));
  } catch (error) {
    // D1 is unavailable or refused the write: every message comes back, nothing is lost.
    const attempts = Math.max(...batch.messages.map((message) => message.attempts));
    console.warn(`index queue: a batch of ${batch.messages.length} rows could not be written (attempt ${attempts}), retrying: ${String(error)}`);
    batch.retryAll(delay(attempts));
    return;
  }
  const answers = await Promise.all(written.map((row) => host.acknowledge(row).catch((): IndexAck => "busy")));
  const answerOf = new Map(written.map((row, i) => [row.id, answers[i]!]));
  const gone = written.filter((row) => answerOf.get(row.id) === "gone");
  try {
    await removeStale(host.db, gone);
  } catch (error) {
    console.warn(`index queue: ${gone.length} rows of deleted instances could not be removed, retrying: ${String(error)}`);
    for (const row of gone) answerOf.set(row.id, "busy");
  }
  for (const message of batch.messages) {
    if (answerOf.get(message.body.id) === "busy") message.retry(delay(message.attempts));
    else message.ack();
  }
}
