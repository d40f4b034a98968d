import type { InvitationStatus } from '../db/schema.ts';
import { AppError } from '../lib/errors.ts';

export const invitationNotFound = () =>
  new AppError(404, 'invitation_not_found', 'Invitation not found', 'No such invitation is visible to you.');

/** Why an invitation cannot move any more: gone for good (410) or already answered (409). */
export function notPending(status: InvitationStatus, id?: string): AppError {
  const extras = { status, ...(id ? { invitation_id: id } : {}) };
  if (status === 'expired') {
    return new AppError(
      410,
      'invitation_expired',
      'Invitation expired',
      'The invitation has expired; ask for a new one.',
      {
        extras,
      },
    );
  }
  if (status === 'revoked') {
    return new AppError(410, 'invitation_revoked', 'Invitation revoked', 'The invitation was revoked.', {
      extras,
    });
  }
  return new AppError(
    409,
    'invitation_not_pending',
    'Invitation not pending',
    `The invitation was already ${status}.`,
    {
      extras,
    },
  );
}
