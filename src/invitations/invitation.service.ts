import type { Principal } from '../access/principal.ts';
import type { UserRecord } from '../access/user-record.ts';
import type { InvitationStatus } from '../db/schema.ts';
import type { AppError } from '../lib/errors.ts';
import { type BulkRowResult, type BulkSelection, bulkResend, bulkRevoke } from './invitation.bulk.ts';
import type { InvitationDeps } from './invitation.context.ts';
import { createInvitations } from './invitation.create.ts';
import { notPending } from './invitation.errors.ts';
import { acceptUrl, byToken } from './invitation.links.ts';
import {
  type ResendOptions,
  type RevokeOptions,
  resendInvitation,
  revokeInvitation,
  revokeInvitationById,
  updateInvitation,
} from './invitation.manage.ts';
import type { CreateOptions, RowResult } from './invitation.prepare.ts';
import type { InvitationFilter } from './invitation.query.ts';
import {
  describeInvitations,
  findInvitationById,
  findInvitationUuid,
  getInvitation,
  type InvitationPage,
  inspectLink,
  inviteeShown,
  inviteeUsers,
  listInvitationsPaged,
  listMyInvitations,
  listOrganizationInvitations,
  type OffsetQuery,
  type PageQuery,
  previewLink,
} from './invitation.read.ts';
import { effectiveStatus, type InvitationRecord } from './invitation.repository.ts';
import { acceptInvitation, declineInvitation, type ResponderRef } from './invitation.respond.ts';
import type { InvitationRowInput, InvitationUpdateInput } from './invitation.schemas.ts';

// The invitation use cases behind one object, for the surfaces that call them. Each story lives
// in its own file: creating (invitation.prepare.ts, invitation.create.ts), responding
// (invitation.respond.ts), managing (invitation.manage.ts) and reading (invitation.read.ts).

export { BULK_MAX, type BulkRowResult, type BulkSelection } from './invitation.bulk.ts';
export { INVITATION_JWT_AUDIENCE } from './invitation.links.ts';
export { BatchRejected, type CreateOptions, type RowResult } from './invitation.prepare.ts';
export type { InvitationPage } from './invitation.read.ts';
export type { ResponderRef } from './invitation.respond.ts';

export class InvitationService {
  readonly #deps: InvitationDeps;

  constructor(deps: InvitationDeps) {
    this.#deps = deps;
  }

  acceptUrl(token: string): string {
    return acceptUrl(this.#deps, token);
  }

  create(
    principal: Principal,
    organizationRef: string,
    rows: InvitationRowInput[],
    options: CreateOptions,
  ): Promise<RowResult[]> {
    return createInvitations(this.#deps, principal, organizationRef, rows, options);
  }

  accept(principal: Principal, ref: ResponderRef): Promise<InvitationRecord> {
    return acceptInvitation(this.#deps, principal, ref);
  }

  decline(principal: Principal, ref: ResponderRef): Promise<InvitationRecord> {
    return declineInvitation(this.#deps, principal, ref);
  }

  update(
    principal: Principal,
    organizationRef: string,
    id: string,
    input: InvitationUpdateInput,
    ifMatch: readonly number[] | undefined,
  ): Promise<InvitationRecord> {
    return updateInvitation(this.#deps, principal, organizationRef, id, input, ifMatch);
  }

  resend(
    principal: Principal,
    organizationRef: string,
    id: string,
    options: ResendOptions,
  ): Promise<{ invitation: InvitationRecord; acceptUrl?: string }> {
    return resendInvitation(this.#deps, principal, organizationRef, id, options);
  }

  revoke(
    principal: Principal,
    organizationRef: string,
    id: string,
    options: RevokeOptions = {},
  ): Promise<InvitationRecord> {
    return revokeInvitation(this.#deps, principal, organizationRef, id, options);
  }

  /** Revokes each selected invitation as `revoke` would, one result per row. */
  revokeMany(
    principal: Principal,
    organizationRef: string,
    selection: BulkSelection,
  ): Promise<BulkRowResult[]> {
    return bulkRevoke(this.#deps, principal, organizationRef, selection);
  }

  /** Resends each selected invitation as `resend` would, one result per row. */
  resendMany(
    principal: Principal,
    organizationRef: string,
    selection: BulkSelection,
    options: ResendOptions,
  ): Promise<BulkRowResult[]> {
    return bulkResend(this.#deps, principal, organizationRef, selection, options);
  }

  revokeById(principal: Principal, id: string): Promise<InvitationRecord> {
    return revokeInvitationById(this.#deps, principal, id);
  }

  get(principal: Principal, organizationRef: string, id: string): Promise<InvitationRecord> {
    return getInvitation(this.#deps, principal, organizationRef, id);
  }

  list(
    principal: Principal,
    organizationRef: string,
    query: PageQuery & { filter: Omit<InvitationFilter, 'organizationId'> },
  ): Promise<InvitationPage> {
    return listOrganizationInvitations(this.#deps, principal, organizationRef, query);
  }

  listByOffset(
    principal: Principal,
    query: OffsetQuery,
  ): Promise<{ invitations: InvitationRecord[]; total: number }> {
    return listInvitationsPaged(this.#deps, principal, query);
  }

  listMine(
    principal: Principal,
    query: Pick<PageQuery, 'after' | 'before' | 'offset' | 'pageSize'> & {
      statuses?: InvitationStatus[] | undefined;
    },
  ) {
    return listMyInvitations(this.#deps, principal, query);
  }

  /** The invitation a link's secret opens, or 404; for surfaces that take the secret in a body. */
  byLinkSecret(secret: string): Promise<InvitationRecord> {
    return byToken(this.#deps, secret);
  }

  findById(id: string): Promise<InvitationRecord> {
    return findInvitationById(this.#deps, id);
  }

  findByUuid(uuid: string): Promise<InvitationRecord> {
    return findInvitationUuid(this.#deps, uuid);
  }

  inspect(token: string) {
    return inspectLink(this.#deps, token);
  }

  preview(token: string) {
    return previewLink(this.#deps, token);
  }

  inviteeUsers(list: InvitationRecord[]): Promise<Map<string, UserRecord>> {
    return inviteeUsers(this.#deps, list);
  }

  /** The ids of the invitations whose `invitee_user_id` their organization may see (see `inviteeShown`). */
  inviteeShown(list: InvitationRecord[]): Promise<Set<string>> {
    return inviteeShown(this.#deps, list);
  }

  async isInviteeShown(invitation: InvitationRecord): Promise<boolean> {
    return (await inviteeShown(this.#deps, [invitation])).has(invitation.id);
  }

  describe(list: InvitationRecord[]) {
    return describeInvitations(this.#deps, list);
  }

  /** The status as of now (a pending invitation past its expiry reads as expired). */
  statusOf(invitation: InvitationRecord): InvitationStatus {
    return effectiveStatus(invitation, this.#deps.clock.now());
  }

  /** Why an invitation that is not pending cannot be acted on. */
  notPendingError(invitation: InvitationRecord): AppError {
    return notPending(this.statusOf(invitation), invitation.id);
  }

  get now() {
    return this.#deps.clock.now();
  }
}
