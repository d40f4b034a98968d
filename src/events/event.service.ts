import { organizationAccess, requireAdmin } from '../auth/access.ts';
import type { Principal } from '../auth/principal.ts';
import type { Database } from '../db/database.ts';
import { findRole } from '../organizations/roles.ts';
import { listEvents } from './event.repository.ts';

export class EventService {
  readonly #database: Database;
  constructor(deps: { database: Database }) {
    this.#database = deps.database;
  }

  /** The history of every invitation in the organizations the caller administers, oldest first. */
  async list(
    principal: Principal,
    options: {
      organizationRef?: string | undefined;
      invitationId?: string | undefined;
      types?: string[] | undefined;
      afterId?: string | undefined;
      limit: number;
    },
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
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
        .select(['organizations.id', 'organizations.settings', 'memberships.role'])
        .where('memberships.user_id', '=', principal.user.id)
        .execute();
      organizationIds = rows
        .filter((row) => findRole(JSON.parse(row.settings).roles, row.role)?.admin)
        .map((row) => row.id);
    }
    return listEvents(db, {
      organizationIds,
      invitationId: options.invitationId,
      types: options.types,
      afterId: options.afterId,
      limit: options.limit,
    });
  }
}
