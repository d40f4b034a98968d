import type { Principal } from '../access/principal.ts';
import type { Executor } from '../db/database.ts';
import { type Database, isUniqueViolation } from '../db/database.ts';
import { recordAudit } from '../events/event.recorder.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { newId, newUuid } from '../lib/ids.ts';
import { organizationAccess, requireAdmin } from '../organizations/organization.access.ts';
import { findUserById } from '../users/user.repository.ts';
import {
  deleteGrant,
  deleteResource,
  findGrant,
  findResourceByName,
  findResourceInOrganization,
  insertResource,
  listGrants,
  listResources,
  putGrant,
  type ResourceRecord,
} from './resource.repository.ts';

const resourceNotFound = () =>
  new AppError(404, 'resource_not_found', 'Resource not found', 'No such resource here.');

/**
 * Revokes the pending invitations onto a resource that is being deleted, with their events, in the
 * deleting transaction; returns how many. The invitation core provides it (resources sit below it).
 */
export type RevokeInvitationsOnto = (
  trx: Executor,
  resourceId: string,
  actor: Principal,
  now: Date,
) => Promise<number>;

export class ResourceService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #revokeInvitationsOnto: RevokeInvitationsOnto;
  constructor(deps: { database: Database; clock: Clock; revokeInvitationsOnto: RevokeInvitationsOnto }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#revokeInvitationsOnto = deps.revokeInvitationsOnto;
  }

  async create(
    principal: Principal,
    ref: string,
    input: { type: string; name: string },
  ): Promise<ResourceRecord> {
    const access = await organizationAccess(this.#database.db, principal, ref);
    requireAdmin(access, 'create resources');
    const resource: ResourceRecord = {
      id: newId('res', this.#clock.now()),
      uuid: newUuid(),
      organizationId: access.organization.id,
      type: input.type,
      name: input.name,
      createdAt: this.#clock.now(),
    };
    try {
      await this.#database.db.transaction().execute(async (trx) => {
        await insertResource(trx, resource);
        await recordAudit(trx, {
          type: 'resource.created',
          organizationId: resource.organizationId,
          subject: { type: 'resource', id: resource.id },
          actor: principal,
          now: resource.createdAt,
          data: { type: resource.type, name: resource.name },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError(
          409,
          'resource_exists',
          'Resource exists',
          `A ${input.type} named "${input.name}" exists.`,
        );
      }
      throw error;
    }
    return resource;
  }

  /**
   * The organization's resource of this type and name, created when it does not exist yet
   * (admins only): for resources every organization has one of, such as its payment method.
   */
  async ensure(principal: Principal, ref: string, type: string, name: string): Promise<ResourceRecord> {
    const access = await organizationAccess(this.#database.db, principal, ref);
    requireAdmin(access, 'share resources');
    const found = await findResourceByName(this.#database.db, access.organization.id, type, name);
    if (found) return found;
    try {
      return await this.create(principal, access.organization.id, { type, name });
    } catch (error) {
      // A concurrent ensure made it first.
      const made = await findResourceByName(this.#database.db, access.organization.id, type, name);
      if (made) return made;
      throw error;
    }
  }

  /** A resource by organization, type and name, visible to the organization's members. */
  async findByName(principal: Principal, ref: string, type: string, name: string): Promise<ResourceRecord> {
    const access = await organizationAccess(this.#database.db, principal, ref);
    const resource = await findResourceByName(this.#database.db, access.organization.id, type, name);
    if (!resource) throw resourceNotFound();
    return resource;
  }

  async get(principal: Principal, ref: string, id: string): Promise<ResourceRecord> {
    const access = await organizationAccess(this.#database.db, principal, ref);
    const resource = await findResourceInOrganization(this.#database.db, access.organization.id, id);
    if (!resource) throw resourceNotFound();
    return resource;
  }

  async list(
    principal: Principal,
    ref: string,
    options: { type?: string | undefined; afterId?: string | undefined; limit: number },
  ) {
    const access = await organizationAccess(this.#database.db, principal, ref);
    return listResources(this.#database.db, { organizationId: access.organization.id, ...options });
  }

  /** Deletes a resource and its grants; its pending invitations are revoked, their history kept. */
  async delete(principal: Principal, ref: string, id: string): Promise<void> {
    const db = this.#database.db;
    const access = await organizationAccess(db, principal, ref);
    requireAdmin(access, 'delete resources');
    const resource = await findResourceInOrganization(db, access.organization.id, id);
    if (!resource) throw resourceNotFound();
    const now = this.#clock.now();
    await db.transaction().execute(async (trx) => {
      const revoked = await this.#revokeInvitationsOnto(trx, id, principal, now);
      await deleteResource(trx, id);
      await recordAudit(trx, {
        type: 'resource.deleted',
        organizationId: access.organization.id,
        subject: { type: 'resource', id },
        actor: principal,
        now,
        data: { type: resource.type, name: resource.name, revoked_invitations: revoked },
      });
    });
  }

  async listGrants(
    principal: Principal,
    ref: string,
    id: string,
    options: { afterUserId?: string | undefined; limit: number },
  ) {
    const resource = await this.get(principal, ref, id);
    return listGrants(this.#database.db, { resourceId: resource.id, ...options });
  }

  /** Sets the actions a user holds on the resource (replacing what they held). */
  async putGrant(principal: Principal, ref: string, id: string, userId: string, actions: string[]) {
    const db = this.#database.db;
    const access = await organizationAccess(db, principal, ref);
    requireAdmin(access, 'grant access');
    const resource = await findResourceInOrganization(db, access.organization.id, id);
    if (!resource) throw resourceNotFound();
    const user = await findUserById(db, userId);
    if (!user) throw new AppError(404, 'user_not_found', 'User not found', 'No such user.');
    const now = this.#clock.now();
    const existing = await findGrant(db, id, userId);
    const grant = {
      resourceId: id,
      userId,
      actions: [...new Set(actions)].sort(),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await db.transaction().execute(async (trx) => {
      await putGrant(trx, grant);
      await recordAudit(trx, {
        type: 'grant.updated',
        organizationId: access.organization.id,
        subject: { type: 'resource', id },
        actor: principal,
        now,
        data: { user_id: userId, from_actions: existing?.actions ?? [], to_actions: grant.actions },
      });
    });
    return { ...grant, email: user.email };
  }

  async deleteGrant(principal: Principal, ref: string, id: string, userId: string): Promise<void> {
    const db = this.#database.db;
    const access = await organizationAccess(db, principal, ref);
    requireAdmin(access, 'revoke access');
    const resource = await findResourceInOrganization(db, access.organization.id, id);
    if (!resource) throw resourceNotFound();
    await db.transaction().execute(async (trx) => {
      if (!(await deleteGrant(trx, id, userId))) {
        throw new AppError(
          404,
          'grant_not_found',
          'Grant not found',
          'The user holds nothing on this resource.',
        );
      }
      await recordAudit(trx, {
        type: 'grant.deleted',
        organizationId: access.organization.id,
        subject: { type: 'resource', id },
        actor: principal,
        now: this.#clock.now(),
        data: { user_id: userId },
      });
    });
  }
}
