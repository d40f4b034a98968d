import type { Executor } from '../db/database.ts';
import { findEmailBranding, findEmailTemplate } from '../email-templates/email-template.repository.ts';
import type { InstanceKeys } from '../instance/instance-keys.ts';
import { taintLinkProof } from '../invitations/invitation.background.repository.ts';
import {
  effectiveStatus,
  findInvitations,
  type InvitationRecord,
} from '../invitations/invitation.repository.ts';
import type { Clock } from '../lib/clock.ts';
import { decrypt, sha256 } from '../lib/secrets.ts';
import { findOrganization } from '../organizations/organization.repository.ts';
import { BatchReads } from '../outbox/outbox.handler.ts';
import type { ClaimedMessage } from '../outbox/outbox.repository.ts';
import { findResourceInOrganization, findResources } from '../resources/resource.repository.ts';
import { findUserById } from '../users/user.repository.ts';
import { recordEmailOutcomes } from './email-outcomes.ts';
import {
  type EmailGrant,
  emailLocale,
  inviterName,
  type RenderedEmail,
  renderAddedEmail,
} from './email-templates.ts';
import { joinDecisionEmail } from './join-request-email.ts';
import type { MailTransport } from './mail-transport.ts';
import {
  renderOrganizationEmail,
  sampleInvitation,
  senderFrom,
  templateFailure,
  testSubject,
} from './organization-email.ts';
import type { AttemptResult, OutboxHandler, SettledAttempt } from './outbox.worker.ts';
import { signUpEmail } from './sign-up-email.ts';

export interface EmailPayload {
  invitation_id: string;
  send_number: number;
  to: string;
  locale: string | null;
  sealed_accept_url: string;
  /** The token the link carries, by hash; absent from messages queued before migration 014. */
  token_hash?: string;
  kind?: 'invitation' | 'reminder';
}

/** A stable Message-ID per logical message: the same on every retry, different per send. */
export function messageIdFor(dedupeKey: string, publicUrl: string): string {
  return `<${sha256(dedupeKey).slice(0, 32)}@${new URL(publicUrl).hostname}>`;
}

/**
 * Sends invitation and reminder emails. A message whose invitation was answered, revoked or
 * sent again meanwhile is settled without sending: the invitee only ever gets a live link.
 */
export class EmailHandler implements OutboxHandler {
  /** With `backoffMs`: about 24 h of retries (at least 19 h with jitter) before an email is dead. */
  readonly maxAttempts = 32;
  readonly #db: Executor;
  readonly #clock: Clock;
  readonly #keys: InstanceKeys;
  readonly #transport: MailTransport;
  readonly #from: string;
  readonly #publicUrl: string;
  /** Where rsvp's own pages are: a link elsewhere (an organization's app) proves no mailbox. */
  readonly #publicOrigin: string;
  readonly #logger: { warn(obj: object, msg: string): void } | undefined;

  constructor(deps: {
    db: Executor;
    clock: Clock;
    keys: InstanceKeys;
    transport: MailTransport;
    from: string;
    publicUrl: string;
    logger?: { warn(obj: object, msg: string): void } | undefined;
  }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#keys = deps.keys;
    this.#transport = deps.transport;
    this.#from = deps.from;
    this.#publicUrl = deps.publicUrl;
    this.#publicOrigin = new URL(deps.publicUrl).origin;
    this.#logger = deps.logger;
  }

  /**
   * 15 s, 30 s, 1 min … 32 min, then hourly: 31 waits add up to about 24 h (at least 19 h with
   * the ±20 % jitter), so an SMTP outage of a working day fails no queued invitation.
   */
  backoffMs(attempt: number): number {
    return Math.min(15_000 * 2 ** (attempt - 1), 3_600_000);
  }

  async deliver(message: ClaimedMessage, reads = new BatchReads()): Promise<AttemptResult> {
    if (message.payload.kind === 'membership_added') return this.#deliverAdded(message);
    if (message.payload.kind === 'template_test') return this.#deliverTest(message);
    if (message.payload.kind === 'sign_up_confirmation') {
      const { to, email } = signUpEmail(message, this.#keys.encryption);
      return this.#send(message, to, email, {});
    }
    if (message.payload.kind === 'join_request_decided') {
      const decision = await joinDecisionEmail(this.#db, message);
      if (!decision) return { ok: true, skipped: 'no longer applicable' };
      return this.#send(message, decision.to, decision.email, {
        'X-Rsvp-Join-Request-Id': String(message.payload.join_request_id),
      });
    }
    const payload = message.payload as unknown as EmailPayload;
    const invitation = await reads.load('invitation', payload.invitation_id, (ids) =>
      findInvitations(this.#db, ids),
    );
    if (!invitation) return { ok: true, skipped: 'invitation deleted' };
    if (invitation.sendCount !== payload.send_number) return { ok: true, skipped: 'sent again since' };
    // A resend without email (a link handed out) replaced the link this email carries.
    if (payload.token_hash !== undefined && payload.token_hash !== invitation.tokenHash)
      return { ok: true, skipped: 'link replaced since' };
    const status = effectiveStatus(invitation, this.#clock.now());
    if (status !== 'pending') return { ok: true, skipped: `invitation ${status}` };
    // What the batch's invitations have in common is read once per batch.
    const organizationId = invitation.organizationId;
    const [organization, inviter, resource, grants] = await Promise.all([
      reads.once(`organization:${organizationId}`, () => findOrganization(this.#db, organizationId)),
      reads.once(`user:${invitation.inviterUserId}`, () => findUserById(this.#db, invitation.inviterUserId)),
      invitation.resourceId
        ? findResourceInOrganization(this.#db, organizationId, invitation.resourceId)
        : undefined,
      this.#grantsShown(invitation),
    ]);
    if (!organization) return { ok: true, skipped: 'organization deleted' };
    const locale = emailLocale(invitation.locale, organization.settings.locale);
    const [template, branding] = await Promise.all([
      reads.once(`template:${organizationId}:${locale}`, () =>
        findEmailTemplate(this.#db, organizationId, locale),
      ),
      reads.once(`branding:${organizationId}`, () => findEmailBranding(this.#db, organizationId)),
    ]);
    const acceptUrl = decrypt(this.#keys.encryption, payload.sealed_accept_url);
    const { email, error } = await renderOrganizationEmail(
      {
        kind: payload.kind ?? 'invitation',
        organizationName: organization.name,
        inviterName: inviterName(inviter, organization.name),
        role: invitation.role,
        resource: resource ? { type: resource.type, name: resource.name } : null,
        actions: invitation.actions,
        grants,
        message: invitation.message,
        expiresAt: invitation.expiresAt,
        acceptUrl,
      },
      locale,
      { template, branding },
    );
    if (error) {
      // Where it failed, never the engine's message: it can quote what the template looked up,
      // which a template can make the live link, whole or cut (outside tester).
      this.#logger?.warn(
        {
          organization_id: organization.id,
          locale,
          invitation_id: invitation.id,
          reason: templateFailure(error),
        },
        "organization's email template failed; sent the built-in one",
      );
    }
    email.from = senderFrom(this.#from, branding?.senderName);
    // An organization's template may put the link anywhere (an image on the inviter's server),
    // and a link to the organization's own app (Trieve's) hands the token to that app when
    // opened: either way the link proves no mailbox, whatever this or a later attempt does.
    const ownRendering = !template || error !== undefined;
    const ownPage = new URL(acceptUrl).origin === this.#publicOrigin;
    if (!ownRendering || !ownPage) await taintLinkProof(this.#db, invitation.id, invitation.tokenHash);
    const result = await this.#send(message, invitation.email, email, {
      'X-Rsvp-Invitation-Id': invitation.id,
    });
    const proves =
      ownRendering && ownPage && payload.kind !== 'reminder' && payload.token_hash === invitation.tokenHash;
    return result.ok && proves ? { ...result, provesMailbox: true } : result;
  }

  /** A combined invitation's resources as the email lists them; one deleted meanwhile is left out. */
  async #grantsShown(invitation: InvitationRecord): Promise<EmailGrant[]> {
    if (!invitation.grants?.length) return [];
    const resources = new Map(
      (
        await findResources(
          this.#db,
          invitation.grants.map((grant) => grant.resourceId),
        )
      )
        .filter((resource) => resource.organizationId === invitation.organizationId)
        .map((resource) => [resource.id, resource]),
    );
    return invitation.grants.flatMap((grant) => {
      const resource = resources.get(grant.resourceId);
      return resource ? [{ type: resource.type, name: resource.name, actions: grant.actions }] : [];
    });
  }

  async #send(
    message: ClaimedMessage,
    to: string,
    email: RenderedEmail,
    headers: Record<string, string>,
  ): Promise<AttemptResult> {
    try {
      await this.#transport.send({
        messageId: messageIdFor(message.dedupeKey, this.#publicUrl),
        from: email.from ?? this.#from,
        to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        headers: { ...headers, 'Auto-Submitted': 'auto-generated', 'Content-Language': email.locale },
      });
      return { ok: true };
    } catch (error) {
      const { message: reason, permanent } = error as { message: string; permanent?: boolean };
      return { ok: false, error: reason, permanent: permanent === true };
    }
  }

  /** One email in the organization's template with sample data, to the admin who asked for it. */
  async #deliverTest(message: ClaimedMessage): Promise<AttemptResult> {
    const payload = message.payload as {
      organization_id: string;
      locale: string;
      to: string;
      inviter_name: string;
    };
    const organization = await findOrganization(this.#db, payload.organization_id);
    if (!organization) return { ok: true, skipped: 'organization deleted' };
    const locale = emailLocale(payload.locale);
    const [template, branding] = await Promise.all([
      findEmailTemplate(this.#db, organization.id, locale),
      findEmailBranding(this.#db, organization.id),
    ]);
    const input = sampleInvitation({
      organizationName: organization.name,
      inviterName: payload.inviter_name,
      publicUrl: this.#publicUrl,
      now: this.#clock.now(),
    });
    const { email } = await renderOrganizationEmail(input, locale, { template, branding });
    email.subject = testSubject(email.subject, locale);
    email.from = senderFrom(this.#from, branding?.senderName);
    return this.#send(message, payload.to, email, {});
  }

  /** "You were added": for registered users made members without an invitation. */
  async #deliverAdded(message: ClaimedMessage): Promise<AttemptResult> {
    const payload = message.payload as {
      organization_id: string;
      user_id: string;
      inviter_user_id: string;
      role: string;
      link: string | null;
      locale: string | null;
    };
    const [organization, user, inviter] = await Promise.all([
      findOrganization(this.#db, payload.organization_id),
      findUserById(this.#db, payload.user_id),
      findUserById(this.#db, payload.inviter_user_id),
    ]);
    if (!organization || user?.status !== 'active') return { ok: true, skipped: 'no longer applicable' };
    const email = renderAddedEmail(
      {
        organizationName: organization.name,
        inviterName: inviterName(inviter, organization.name),
        role: payload.role,
        link: payload.link,
      },
      emailLocale(payload.locale, organization.settings.locale),
    );
    email.from = senderFrom(this.#from, (await findEmailBranding(this.#db, organization.id))?.senderName);
    return this.#send(message, user.email, email, {});
  }

  settled(trx: Executor, attempts: readonly SettledAttempt[]): Promise<void> {
    return recordEmailOutcomes(trx, attempts, this.#clock.now(), (message) =>
      messageIdFor(message.dedupeKey, this.#publicUrl),
    );
  }
}
