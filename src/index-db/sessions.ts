/**
 * The D1 list of revoked dashboard sessions: signing out adds the session here, and
 * a session found here is refused though its cookie is still signed and unexpired.
 */
import { eq, lt } from "drizzle-orm";
import type { IndexDb } from "./queries.js";
import { revokedSessions } from "./schema.js";

/** Revokes a session until `expiresAt`, and forgets revocations whose cookies have expired anyway. */
export async function revokeSession(db: IndexDb, sessionId: string, expiresAt: number): Promise<void> {
  await db.batch([
    db.insert(revokedSessions).values({ sessionId, expiresAt }).onConflictDoNothing(),
    db.delete(revokedSessions).where(lt(revokedSessions.expiresAt, Date.now())),
  ]);
}

export async function isSessionRevoked(db: IndexDb, sessionId: string): Promise<boolean> {
  const row = await db.select({ id: revokedSessions.sessionId }).from(revokedSessions).where(eq(revokedSessions.sessionId, sessionId)).get();
  return row !== undefined;
}
