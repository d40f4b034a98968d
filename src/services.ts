import { ApiKeyService } from './auth/api-key.service.ts';
import { Authenticator, type OperatorGrant } from './auth/authenticator.ts';
import type { ExternalJwtConfig } from './config.ts';
import type { Database } from './db/database.ts';
import { EventService } from './events/event.service.ts';
import type { InstanceKeys } from './instance/instance-keys.ts';
import { InvitationService } from './invitations/invitation.service.ts';
import type { Clock } from './lib/clock.ts';
import { MembershipService } from './memberships/membership.service.ts';
import { OrganizationService } from './organizations/organization.service.ts';
import { ResourceService } from './resources/resource.service.ts';
import { UserService } from './users/user.service.ts';

export interface Deps {
  database: Database;
  clock: Clock;
  keys: InstanceKeys;
  publicUrl: string;
  externalJwt?: ExternalJwtConfig | undefined;
  operator?: OperatorGrant | undefined;
}

export interface Services {
  authenticator: Authenticator;
  apiKeys: ApiKeyService;
  organizations: OrganizationService;
  memberships: MembershipService;
  users: UserService;
  resources: ResourceService;
  invitations: InvitationService;
  events: EventService;
}

/** Each service gets only the dependencies it uses. */
export function createServices(deps: Deps): Services {
  const { database, clock } = deps;
  return {
    authenticator: new Authenticator(deps),
    apiKeys: new ApiKeyService({ database, clock }),
    organizations: new OrganizationService({ database, clock }),
    memberships: new MembershipService({ database, clock }),
    users: new UserService({ database, clock }),
    resources: new ResourceService({ database, clock }),
    invitations: new InvitationService(deps),
    events: new EventService({ database }),
  };
}
