import type { FastifyRequest } from 'fastify';
import { BatchRejected } from '../../invitations/invitation.service.ts';
import { type AppError, ValidationError } from '../../lib/errors.ts';

/**
 * TileDB's `code` is an integer naming the failure. rsvp's are stable: HTTP status × 100 plus
 * a number per failure kind, so clients may match on them.
 */
const CODES: Record<string, number> = {
  validation_failed: 1,
  malformed_json: 2,
  unsupported_media_type: 1,
  unauthenticated: 1,
  insufficient_scope: 1,
  admin_role_required: 2,
  invitation_email_mismatch: 3,
  not_the_invitee: 4,
  invitation_not_found: 1,
  organization_not_found: 2,
  resource_not_found: 3,
  route_not_found: 9,
  invitation_not_pending: 1,
  invitation_already_pending: 2,
  already_member: 3,
  already_has_access: 4,
  invitation_expired: 1,
  invitation_revoked: 2,
};

export function tiledbCode(error: AppError): number {
  return error.status * 100 + (CODES[error.code] ?? 0);
}

/** `{code, message, request_id}`; v4 adds `validation_error.fields[]` for bad input. */
export function tiledbErrorBody(error: AppError, request: FastifyRequest, version: 'v1' | 'v4') {
  const body: Record<string, unknown> = {
    code: tiledbCode(error),
    message: error.message,
    request_id: request.id,
  };
  if (version === 'v4') {
    if (error instanceof ValidationError) {
      body.validation_error = {
        fields: error.errors.map((item) => ({
          field: item.pointer.replace(/^\/body/, '') || '/',
          message: item.detail,
        })),
      };
    } else if (error instanceof BatchRejected) {
      body.validation_error = {
        fields: error.failures.map((failure) => ({
          field: `[${failure.index}].invitee_email`,
          message: failure.ok ? '' : failure.error.message,
        })),
      };
    }
  }
  return body;
}
