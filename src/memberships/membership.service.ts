import type { Principal } from '../access/principal.ts';
import { findRole, ownerRole, requireRole } from '../access/roles.ts';
import type { Database, Executor } from '../db/database.ts';
import { recordAudit } from '../events/event.recorder.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { organizationAccess, requireAdmin, requireRankAtMost } from '../organizations/organization.access.ts';
import {
  lockOrganization,
  type OrganizationRecord,
  settingsForWrite,
} from '../organizations/organization.repository.ts';
import {
  countMembers,
  deleteMembership,
  findMembership,
  listMembers,
  setMembershipRole,
} from './membership.repository.ts';

const memberNotFound = () =>
  new AppError(404, 'member_not_found', 'Member not found', 'No such member here.');

export class MembershipService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #onQueued: () => void;
  constructor(deps: { database: Database; clock: Clock; onQueued?: () => void }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#onQueued = deps.onQueued ?? (() => {});
  }

  async list(
    principal: Principal,
    ref: string,
    options: { afterUserId?: string | undefined; limit: number; role?: string | undefined },
  ) {
    const access = await organizationAccess(this.#database.db, principal, ref);
    const rows = await listMembers(this.#database.db, { organizationId: access.organization.id, ...options });
    // Private metadata is for the organization's admins alone.
    return access.isAdmin ? rows : rows.map(({ privateMetadata: _hidden, ...row }) => row);
  }

  /** A user's role in an organization, or null when not a member. No access check: callers show it. */
  async roleOf(organizationId: string, userId: string): Promise<string | null> {
    return (await findMembership(this.#database.db, organizationId, userId))?.role ?? null;
  }

  /**
   * The address that answers for an organization as a whole (its oldest-id owner), for
   * invitations addressed to an organization rather than a person. No access check.
   */
  async ownerEmailOf(organization: OrganizationRecord): Promise<string | undefined> {
    const [owner] = await listMembers(this.#database.db, {
      organizationId: organization.id,
      role: ownerRole(organization.settings.roles).name,
      limit: 1,
    });
    return owner?.email;
  }

  /** Admins change roles of members ranked no higher than themselves, to roles no higher either. */
  async changeRole(principal: Principal, ref: string, userId: string, roleName: string) {
    const db = this.#database.db;
    const access = await organizationAccess(db, principal, ref);
    requireAdmin(access, 'change roles');
    const catalog = access.organization.settings.roles;
    const role = requireRole(catalog, roleName);
    requireRankAtMost(access, role);
    const now = this.#clock.now();
    return db.transaction().execute(async (trx) => {
      // The catalog under the lock: the role may have been removed since it was checked.
      const { roles } = await settingsForWrite(trx, this.#database.engine, access.organization.id, 'update');
      requireRole(roles, roleName);
      const membership = await findMembership(trx, access.organization.id, userId);
      if (!membership) throw memberNotFound();
      const current = findRole(catalog, membership.role);
      if (current && current.rank > access.rank) {
        throw new AppError(
          403,
          'member_ranks_above_you',
          'Member ranks above you',
          'You cannot change the role of someone ranked above you.',
        );
      }
      await this.#keepAnOwner(trx, access.organization, membership.role, role.name);
      await setMembershipRole(trx, access.organization.id, userId, role.name, now);
      await recordAudit(trx, {
        type: 'membership.role_changed',
        organizationId: access.organization.id,
        subject: { type: 'membership', id: `${access.organization.id}/${userId}` },
        actor: principal,
        now,
        data: { user_id: userId, from_role: membership.role, to_role: role.name },
      });
      return { ...membership, role: role.name, updatedAt: now };
    });
  }

  /** Removes a member; anyone may leave, admins remove those ranked no higher. */
  async remove(principal: Principal, ref: string, userId: string): Promise<void> {
    const db = this.#database.db;
    const access = await organizationAccess(db, principal, ref);
    const leaving = userId === principal.user.id;
    if (!leaving) requireAdmin(access, 'remove members');
    const catalog = access.organization.settings.roles;
    await db.transaction().execute(async (trx) => {
      await lockOrganization(trx, this.#database.engine, access.organization.id);
      const membership = await findMembership(trx, access.organization.id, userId);
      if (!membership) throw memberNotFound();
      const current = findRole(catalog, membership.role);
      if (!leaving && current && current.rank > access.rank) {
        throw new AppError(
          403,
          'member_ranks_above_you',
          'Member ranks above you',
          'You cannot remove someone ranked above you.',
        );
      }
      await this.#keepAnOwner(trx, access.organization, membership.role, null);
      await deleteMembership(trx, access.organization.id, userId);
      await recordAudit(trx, {
        type: 'membership.removed',
        organizationId: access.organization.id,
        subject: { type: 'membership', id: `${access.organization.id}/${userId}` },
        actor: principal,
        now: this.#clock.now(),
        data: { user_id: userId, role: membership.role, left: leaving },
      });
    });
  }

  async #keepAnOwner(
    trx: Executor,
    organization: OrganizationRecord,
    fromRole: string,
    toRole: string | null,
  ) {
    const owner = ownerRole(organization.settings.roles).name;
    if (fromRole !== owner || toRole === owner) return;
    if ((await countMembers(trx, organization.id, owner)) <= 1) {
      throw new AppError(409, 'last_owner', 'Last owner', 'The organization must keep at least one owner.');
    }
  }
}
