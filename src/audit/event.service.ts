import type { Principal } from '../access/principal.ts';
import { findRole } from '../access/roles.ts';
import type { Database } from '../db/database.ts';
import { type EventQuery, listEvents } from '../events/event.repository.ts';
import { membershipsWithCatalog } from '../memberships/membership.repository.ts';
import { organizationAccess, requireAdmin } from '../organizations/organization.access.ts';

export class EventService {
  readonly #database: Database;
  constructor(deps: { database: Database }) {
    this.#database = deps.database;
  }

  /**
   * The history of the organizations the caller administers, oldest first. Events outside any
   * organization (API keys, users) are visible to instance admins only.
   */
  async list(
    principal: Principal,
    options: {
      organizationRef?: string | undefined;
    } & Omit<EventQuery, 'organizationIds'>,
  ) {
    const db = this.#database.db;
    let organizationIds: string[] | 'all';
    if (options.organizationRef) {
      const access = await organizationAccess(db, principal, options.organizationRef);
      requireAdmin(access, 'read the event history');
      organizationIds = [access.organization.id];
    } else if (principal.user.isInstanceAdmin) {
      organizationIds = 'all';
    } else {
      const memberships = await membershipsWithCatalog(db, principal.user.id);
      organizationIds = memberships
        .filter((membership) => findRole(membership.roles, membership.role)?.admin)
        .map((membership) => membership.organizationId);
    }
    const { organizationRef: _, ...query } = options;
    return listEvents(db, { ...query, organizationIds });
  }
}
