import { EventService } from './audit/event.service.ts';
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
  return {
    authenticator: new Authenticator({
      ...deps,
      throttle: new SignInThrottle(rateLimiter, {
        perAccountAndAddress: abuseLimits.signIn,
        perAddress: abuseLimits.signInPerAddress,
      }),
    }),
    sessions: new SessionStore({ database, clock }),
    apiKeys: new ApiKeyService({ database, clock }),
    organizations: new OrganizationService({ database, clock, allowedAppOrigins }),
    memberships: new MembershipService({ database, clock, onQueued }),
    users: new UserService({ database, clock }),
    resources: new ResourceService({ database, clock, revokeInvitationsOnto: revokePendingOnResource }),
    invitations: new InvitationService({ ...deps, rateLimiter, abuseLimits, onQueued }),
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
    rateLimiter,
    abuseLimits,
    allowedAppOrigins,
  };
}
