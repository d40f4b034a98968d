import type { Principal } from '../access/principal.ts';
import { AppError } from '../lib/errors.ts';
import { organizationAccess, requireAdmin } from '../organizations/organization.access.ts';
import type { InvitationDeps } from './invitation.context.ts';
import { type ResendOptions, resendInvitation, revokeInvitation } from './invitation.manage.ts';
import { type InvitationFilter, listInvitations } from './invitation.query.ts';
import type { InvitationRecord } from './invitation.repository.ts';

// Acting on many invitations at once: revoke or resend, by ids or by the list's filters. Each
// row goes through the single-row use case (role, state, send cap, rate limits) and is answered
// on its own; one failing row never stops the others.

export const BULK_MAX = 1000;

export type BulkSelection =
  | { ids: string[] }
  | { filter: Omit<InvitationFilter, 'organizationId' | 'statuses'> & Pick<InvitationFilter, 'statuses'> };

export type BulkRowResult =
  | { id: string; ok: true; invitation: InvitationRecord; acceptUrl?: string }
  | { id: string; ok: false; error: AppError };

export async function bulkRevoke(
  deps: InvitationDeps,
  principal: Principal,
  organizationRef: string,
  selection: BulkSelection,
): Promise<BulkRowResult[]> {
  const ids = await selectIds(deps, principal, organizationRef, selection, 'revoke invitations', ['pending']);
  return eachRow(ids, async (id) => ({
    invitation: await revokeInvitation(deps, principal, organizationRef, id),
  }));
}

export async function bulkResend(
  deps: InvitationDeps,
  principal: Principal,
  organizationRef: string,
  selection: BulkSelection,
  options: ResendOptions,
): Promise<BulkRowResult[]> {
  const ids = await selectIds(deps, principal, organizationRef, selection, 'resend invitations', [
    'pending',
    'expired',
  ]);
  return eachRow(ids, (id) => resendInvitation(deps, principal, organizationRef, id, options));
}

/** One row after the other, so rate limits and send caps apply in request order. */
async function eachRow(
  ids: string[],
  act: (id: string) => Promise<{ invitation: InvitationRecord; acceptUrl?: string }>,
): Promise<BulkRowResult[]> {
  const results: BulkRowResult[] = [];
  for (const id of ids) {
    try {
      results.push({ id, ok: true, ...(await act(id)) });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      results.push({ id, ok: false, error });
    }
  }
  return results;
}

/**
 * The ids to act on: as given (each once, in order), or every invitation of the organization
 * matching the filter, oldest first. A filter without statuses means those the action applies
 * to. More than `BULK_MAX` matches is refused as a whole, so nothing is half done by surprise.
 */
async function selectIds(
  deps: InvitationDeps,
  principal: Principal,
  organizationRef: string,
  selection: BulkSelection,
  action: string,
  defaultStatuses: InvitationFilter['statuses'],
): Promise<string[]> {
  const access = await organizationAccess(deps.database.db, principal, organizationRef);
  requireAdmin(access, action);
  if ('ids' in selection) return [...new Set(selection.ids)];
  const filter: InvitationFilter = {
    ...selection.filter,
    statuses: selection.filter.statuses?.length ? selection.filter.statuses : defaultStatuses,
    organizationId: access.organization.id,
  };
  const { rows } = await listInvitations(deps.database.db, {
    filter,
    order: 'create_time',
    limit: BULK_MAX + 1,
    now: deps.clock.now(),
  });
  if (rows.length > BULK_MAX) {
    throw new AppError(
      422,
      'too_many_matches',
      'Too many matches',
      `The filter matches more than ${BULK_MAX} invitations; narrow it (for example by created_before) and repeat.`,
      { extras: { limit: BULK_MAX } },
    );
  }
  return rows.map((row) => row.id);
}
