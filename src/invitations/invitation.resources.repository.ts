import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import { type InvitationRecord, toRecord } from './invitation.repository.ts';

// Invitations by the resource they give: onto it (`resource_id`) or among a combined
// invitation's grants.

/**
 * A LIKE pattern (escape `\`) matching the grants of an invitation that gives this resource:
 * grants are JSON written by one serialiser (`grantsJson`), so the id appears quoted after its
 * key, the same text on both engines.
 */
export const grantsMentioning = (resourceId: string) =>
  `%${`"resource_id":${JSON.stringify(resourceId)}`.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Pending combined invitations that grant this resource among others. */
export async function pendingGranting(db: Executor, resourceId: string): Promise<InvitationRecord[]> {
  const rows = await db
    .selectFrom('invitations')
    .selectAll()
    .where('status', '=', 'pending')
    .where(sql<boolean>`grants like ${grantsMentioning(resourceId)} escape '\\'`)
    .execute();
  return rows
    .map(toRecord)
    .filter((invitation) => invitation.grants?.some((grant) => grant.resourceId === resourceId));
}

/** Revokes every pending invitation onto a resource (it is being deleted); returns them. */
export async function revokePendingForResource(
  db: Executor,
  resourceId: string,
  now: Date,
  byUserId: string,
): Promise<InvitationRecord[]> {
  const rows = await db
    .updateTable('invitations')
    .set({
      status: 'revoked',
      responded_at: now,
      responded_by_user_id: byUserId,
      updated_at: now,
      version: sql`version + 1`,
    })
    .where('resource_id', '=', resourceId)
    .where('status', '=', 'pending')
    .returningAll()
    .execute();
  return rows.map(toRecord);
}
