import type { Principal } from '../access/principal.ts';
import { requireRole } from '../access/roles.ts';
import type { JoinRequestStatus } from '../db/schema.ts';
import { recordEvents } from '../events/event.recorder.ts';
import { AppError } from '../lib/errors.ts';
import { organizationAccess, requireAdmin, requireRankAtMost } from '../organizations/organization.access.ts';
import { settingsForWrite } from '../organizations/organization.repository.ts';
import { findUserById } from '../users/user.repository.ts';
import {
  decidePending,
  findJoinRequest,
  type JoinRequestRecord,
  listJoinRequests,
} from './join-request.repository.ts';
import {
  grantAccess,
  type JoiningDeps,
  joinRequestEvent,
  queueDecisionEmail,
  requireSeat,
} from './joining.context.ts';

const requestNotFound = () =>
  new AppError(404, 'join_request_not_found', 'Join request not found', 'No such join request here.');

export type DecisionResult =
  | { id: string; ok: true; request: JoinRequestRecord }
  | { id: string; ok: false; error: AppError };

/**
 * The approval queue: admins list requests and approve or reject them, one or many at once.
 * Each decision is its own transaction (a compare-and-set from pending, the access it gives,
 * its events and the requester's email), so one refused request does not hold back the others.
 */
export class JoinRequestService {
  readonly #deps: JoiningDeps;
  constructor(deps: JoiningDeps) {
    this.#deps = deps;
  }

  async list(
    principal: Principal,
    ref: string,
    options: { statuses?: JoinRequestStatus[] | undefined; afterId?: string | undefined; limit: number },
  ) {
    const access = await organizationAccess(this.#deps.database.db, principal, ref);
    requireAdmin(access, 'see join requests');
    return listJoinRequests(this.#deps.database.db, { organizationId: access.organization.id, ...options });
  }

  /** The caller's own requests, in every organization. */
  listMine(
    principal: Principal,
    options: { statuses?: JoinRequestStatus[] | undefined; afterId?: string | undefined; limit: number },
  ) {
    return listJoinRequests(this.#deps.database.db, { userId: principal.user.id, ...options });
  }

  async decide(
    principal: Principal,
    ref: string,
    ids: string[],
    decision: 'approved' | 'rejected',
    reason: string | null,
  ): Promise<DecisionResult[]> {
    const access = await organizationAccess(this.#deps.database.db, principal, ref);
    requireAdmin(access, 'decide join requests');
    const results: DecisionResult[] = [];
    for (const id of [...new Set(ids)]) {
      try {
        results.push({
          id,
          ok: true,
          request: await this.#decideOne(principal, access, id, decision, reason),
        });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        results.push({ id, ok: false, error });
      }
    }
    if (results.some((result) => result.ok)) this.#deps.onQueued();
    return results;
  }

  async #decideOne(
    principal: Principal,
    access: Awaited<ReturnType<typeof organizationAccess>>,
    id: string,
    decision: 'approved' | 'rejected',
    reason: string | null,
  ): Promise<JoinRequestRecord> {
    const { database, clock } = this.#deps;
    const organizationId = access.organization.id;
    const now = clock.now();
    return database.db.transaction().execute(async (trx) => {
      const { roles } = await settingsForWrite(trx, database.engine, organizationId, 'update');
      const request = await findJoinRequest(trx, id);
      if (!request || request.organizationId !== organizationId) throw requestNotFound();
      if (request.status !== 'pending') {
        throw new AppError(
          409,
          'join_request_decided',
          'Already decided',
          `This request is ${request.status}.`,
          {
            extras: { status: request.status },
          },
        );
      }
      if (decision === 'approved' && request.role !== null) {
        requireRankAtMost(access, requireRole(roles, request.role));
        await requireSeat(
          this.#deps,
          trx,
          organizationId,
          { role: request.role, resourceId: null, actions: null },
          now,
        );
      }
      if (!(await decidePending(trx, id, { status: decision, byUserId: principal.user.id, reason, now }))) {
        throw new AppError(
          409,
          'join_request_decided',
          'Already decided',
          'This request was decided meanwhile.',
        );
      }
      const decided: JoinRequestRecord = {
        ...request,
        status: decision,
        reason,
        decidedByUserId: principal.user.id,
        decidedAt: now,
        updatedAt: now,
      };
      const user = (await findUserById(trx, request.userId))!;
      if (decision === 'approved') await grantAccess(trx, decided, user, principal, now);
      else
        await recordEvents(trx, [joinRequestEvent('join_request.rejected', decided, user.email, principal)]);
      await queueDecisionEmail(trx, decided, now);
      return decided;
    });
  }
}
