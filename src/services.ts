import { resolveTxt } from 'node:dns/promises';
import { EventService } from './audit/event.service.ts';
import { revokeApiKeysOfUser } from './auth/api-key.repository.ts';
import { ApiKeyService } from './auth/api-key.service.ts';
import { Authenticator, type OperatorGrant } from './auth/authenticator.ts';
import { SessionStore } from './auth/session.store.ts';
import { SignInThrottle } from './auth/sign-in-throttle.ts';
import type { ExternalJwtConfig } from './config.ts';
import type { Database } from './db/database.ts';
import { previewRenderer } from './delivery/organization-email.ts';
import { EmailTemplateService } from './email-templates/email-template.service.ts';
import type { InstanceKeys } from './instance/instance-keys.ts';
import { revokePendingOnResource } from './invitations/invitation.manage.ts';
import { InvitationService } from './invitations/invitation.service.ts';
import { DomainService } from './joining/domain.service.ts';
import { JoinLinkService } from './joining/join-link.service.ts';
import { JoinRequestService } from './joining/join-request.service.ts';
import type { TxtResolver } from './joining/joining.context.ts';
import type { Clock } from './lib/clock.ts';
import {
  type AbuseLimits,
  DEFAULT_ABUSE_LIMITS,
  MemoryRateLimiter,
  type RateLimiter,
} from './lib/rate-limiter.ts';
import { MembershipService } from './memberships/membership.service.ts';
import { OrganizationService } from './organizations/organization.service.ts';
import { ResourceService } from './resources/resource.service.ts';
import { SignUpService } from './users/sign-up.service.ts';
import { UserService } from './users/user.service.ts';
import { WebhookService } from './webhooks/webhook.service.ts';

export interface Deps {
  database: Database;
  clock: Clock;
  keys: InstanceKeys;
  publicUrl: string;
  externalJwt?: ExternalJwtConfig | undefined;
  operator?: OperatorGrant | undefined;
  /** Shared counters (Redis) when several processes serve; in-process otherwise. */
  rateLimiter?: RateLimiter | undefined;
  abuseLimits?: AbuseLimits | undefined;
  /** Origins invitees may be sent to after accepting. */
  allowedAppOrigins?: readonly string[] | undefined;
  allowPrivateWebhooks?: boolean | undefined;
  /** Told after a commit that queued outbox messages: wakes this process's worker. */
  onQueued?: (() => void) | undefined;
  /** DNS TXT lookups for domain verification (`DNS_SERVERS` picks the resolvers); tests pass a double or a loopback DNS server. */
  resolveTxt?: TxtResolver | undefined;
}

export interface Services {
  authenticator: Authenticator;
  /** Browser sessions (invitee pages, CVAT's `sessionid`), held server-side. */
  sessions: SessionStore;
  apiKeys: ApiKeyService;
  organizations: OrganizationService;
  memberships: MembershipService;
  users: UserService;
  resources: ResourceService;
  invitations: InvitationService;
  events: EventService;
  webhooks: WebhookService;
  emailTemplates: EmailTemplateService;
  joinLinks: JoinLinkService;
  joinRequests: JoinRequestService;
  domains: DomainService;
  signUps: SignUpService;
  rateLimiter: RateLimiter;
  abuseLimits: AbuseLimits;
  allowedAppOrigins: readonly string[];
}

/** Each service gets only the dependencies it uses. */
export function createServices(deps: Deps): Services {
  const { database, clock, keys } = deps;
  const rateLimiter = deps.rateLimiter ?? new MemoryRateLimiter(clock);
  const abuseLimits = deps.abuseLimits ?? DEFAULT_ABUSE_LIMITS;
  const allowedAppOrigins = deps.allowedAppOrigins ?? [];
  const onQueued = deps.onQueued ?? (() => {});
  const joining = {
    database,
    clock,
    rateLimiter,
    abuseLimits,
    onQueued,
    resolveTxt: deps.resolveTxt ?? resolveTxt,
    publicUrl: deps.publicUrl,
  };
  const domains = new DomainService(joining);
  // New accounts join the organizations that verified their domain with auto_join.
  const onAccountCreated = domains.onAccountCreated.bind(domains);
  const users = new UserService({ database, clock, onAccountCreated });
  return {
    authenticator: new Authenticator({
      ...deps,
      throttle: new SignInThrottle(rateLimiter, {
        perAccountAndAddress: abuseLimits.signIn,
        perAddress: abuseLimits.signInPerAddress,
      }),
      onAccountCreated,
    }),
    sessions: new SessionStore({ database, clock }),
    apiKeys: new ApiKeyService({ database, clock }),
    organizations: new OrganizationService({ database, clock, allowedAppOrigins }),
    memberships: new MembershipService({ database, clock, onQueued }),
    users,
    resources: new ResourceService({ database, clock, revokeInvitationsOnto: revokePendingOnResource }),
    invitations: new InvitationService({ ...deps, rateLimiter, abuseLimits, allowedAppOrigins, onQueued }),
    events: new EventService({ database }),
    webhooks: new WebhookService({
      database,
      clock,
      keys,
      allowPrivateDestinations: deps.allowPrivateWebhooks ?? false,
      onQueued,
    }),
    emailTemplates: new EmailTemplateService({
      database,
      clock,
      rateLimiter,
      abuseLimits,
      onQueued,
      render: previewRenderer(deps.publicUrl, clock),
    }),
    joinLinks: new JoinLinkService(joining),
    joinRequests: new JoinRequestService(joining),
    domains,
    signUps: new SignUpService({
      database,
      clock,
      keys,
      rateLimiter,
      abuseLimits,
      publicUrl: deps.publicUrl,
      users,
      revokeKeysOf: revokeApiKeysOfUser,
      onQueued,
    }),
    rateLimiter,
    abuseLimits,
    allowedAppOrigins,
  };
}
