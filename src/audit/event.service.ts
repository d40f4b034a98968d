import type { Principal } from '../access/principal.ts';
import { findRole } from '../access/roles.ts';
import type { Database } from '../db/database.ts';
import { type EventQuery, type EventRecord, listEvents } from '../events/event.repository.ts';
import { membershipPairs, membershipsWithCatalog } from '../memberships/membership.repository.ts';
import { organizationAccess, requireAdmin } from '../organizations/organization.access.ts';
import { findUsersByIds } from '../users/user.repository.ts';

/** Who an event's actor is, as far as the reader may know. */
export interface ActorIdentity {
  email: string;
  displayName: string | null;
}

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
  ): Promise<{ events: EventRecord[]; actors: Map<string, ActorIdentity> }> {
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
    const events = await listEvents(db, { ...query, organizationIds });
    return { events, actors: await this.#actors(principal, events) };
  }

  /**
   * The email and name of each event's acting user, where the reader may see them anyway: an
   * instance admin sees every user; an organization admin sees the people who are members of
   * the event's organization now (as its member list shows them) and themselves. Anyone else
   * (a former member, a user of another organization) stays an id.
   */
  async #actors(principal: Principal, events: EventRecord[]): Promise<Map<string, ActorIdentity>> {
    const db = this.#database.db;
    const actorIds = [...new Set(events.flatMap((event) => event.actorUserId ?? []))];
    const users = await findUsersByIds(db, actorIds);
    let visible: (event: EventRecord) => boolean = () => true;
    if (!principal.user.isInstanceAdmin) {
      const organizationIds = [...new Set(events.flatMap((event) => event.organizationId ?? []))];
      const pairs = await membershipPairs(db, actorIds, organizationIds);
      visible = (event) =>
        event.actorUserId === principal.user.id || pairs.has(`${event.organizationId} ${event.actorUserId}`);
    }
    const byId = new Map(users.map((user) => [user.id, user]));
    const actors = new Map<string, ActorIdentity>();
    for (const event of events) {
      const user = event.actorUserId ? byId.get(event.actorUserId) : undefined;
      if (!user || !visible(event)) continue;
      actors.set(event.id, { email: user.email, displayName: user.displayName });
    }
    return actors;
  }
}
