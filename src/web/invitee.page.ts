import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { UserRecord } from '../access/user-record.ts';
import type { Database } from '../db/database.ts';
import { emailLocale } from '../delivery/email-templates.ts';
import type { InvitationRecord } from '../invitations/invitation.repository.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { findOrganization, type OrganizationRecord } from '../organizations/organization.repository.ts';
import { isAllowedAppUrl } from '../organizations/organization.service.ts';
import type { Services } from '../services.ts';
import { findUserById } from '../users/user.repository.ts';
import type { BrowserSessions } from './browser-session.ts';
import {
  answerCard,
  closedCard,
  type Inspection,
  inviteUrl,
  messageCard,
  summaryCard,
} from './invitee.cards.ts';
import { type Html, html, page } from './layout.ts';
import {
  readPageForm,
  refusalPage,
  sessionPrincipal,
  tokenOfRefusedForm,
  visitorLocale,
} from './page-form.ts';
import { PAGE_STRINGS } from './page-strings.ts';

/** What the invitee pages need. */
export type InviteeDeps = {
  services: Services;
  database: Database;
  clock: Clock;
  sessions: BrowserSessions;
  publicUrl: string;
};

export const send = (reply: FastifyReply, status: number, title: string, body: Html, lang = 'en') =>
  reply.code(status).type('text/html; charset=utf-8').send(page({ title, body, lang }));

export async function signedInUser(deps: InviteeDeps, request: FastifyRequest): Promise<UserRecord | null> {
  const userId = await deps.sessions.read(request);
  if (!userId) return null;
  const user = await findUserById(deps.database.db, userId);
  return user?.status === 'active' ? user : null;
}

/** Renders the page for `token` as the current visitor sees it, with an optional notice. */
export async function renderInvitation(
  deps: InviteeDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  notice?: { status: number; title: string; detail: string },
) {
  let inspection: Inspection;
  try {
    inspection = await deps.services.invitations.inspect(token);
  } catch (error) {
    if (error instanceof AppError && error.status === 404) {
      return send(
        reply,
        404,
        'Link not valid',
        messageCard(
          'This link is not valid',
          'It may have been mistyped, or the invitation was sent again with a new link: use the most recent email.',
        ),
      );
    }
    throw error;
  }
  const locale = emailLocale(inspection.invitation.locale, inspection.organization.settings.locale);
  const t = PAGE_STRINGS[locale]!;
  if (inspection.status !== 'pending') {
    return send(reply, 410, t.invitedTitle, closedCard(inspection, t, locale), locale);
  }
  const user = await signedInUser(deps, request);
  const csrf = deps.sessions.csrfToken(request, reply);
  const cards: Html[] = [summaryCard(inspection, t, locale)];
  if (notice) cards.unshift(messageCard(notice.title, notice.detail, true));
  cards.push(answerCard(user, inspection.invitation, token, csrf, t));
  return send(reply, notice?.status ?? 200, t.invitedTitle, html`${cards}`, locale);
}

/** Parses a form POST and checks its CSRF token and origin; null after answering the failure. */
export function checkedForm<T extends z.ZodType>(
  deps: InviteeDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  schema: T,
): z.output<T> | null {
  const checked = readPageForm(deps, request, schema);
  if ('form' in checked) return checked.form;
  const locale = visitorLocale(request);
  const t = PAGE_STRINGS[locale]!;
  const token = tokenOfRefusedForm(request);
  const words = {
    invalidTitle: t.formInvalidTitle,
    invalid: t.formInvalid,
    expiredTitle: t.formExpiredTitle,
    expired: t.formExpired,
    back: t.backToInvitation,
  };
  const { status, title, body } = refusalPage(checked.refusal, words, token ? inviteUrl(token) : null);
  send(reply, status, title, body, locale);
  return null;
}

/**
 * Where an invitee lands after accepting: the invitation's `redirect_url` (or the
 * `metadata.redirect_url` some wire formats set), else the organization's `app_url` — each
 * only when its origin is allow-listed (still, as the list may have changed since).
 */
function landingFor(
  services: Services,
  invitation: InvitationRecord,
  organization: OrganizationRecord | undefined,
): string | null {
  const candidates = [
    invitation.redirectUrl,
    invitation.metadata.redirect_url,
    organization?.settings.app_url,
  ];
  for (const candidate of candidates) {
    if (candidate && isAllowedAppUrl(candidate, services.allowedAppOrigins)) return candidate;
  }
  return null;
}

/** Accepts or declines as `user`, then lands them; failures re-render the invitation page. */
export async function respond(
  deps: InviteeDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  user: UserRecord,
  token: string,
  answer: 'accept' | 'decline',
) {
  const { services } = deps;
  let invitation: InvitationRecord;
  try {
    invitation =
      answer === 'accept'
        ? await services.invitations.accept(sessionPrincipal(user, request), { token })
        : await services.invitations.decline(sessionPrincipal(user, request), { token });
  } catch (error) {
    if (!(error instanceof AppError) || error.status >= 500) throw error;
    return renderInvitation(deps, request, reply, token, {
      status: error.status,
      title: error.title,
      detail: error.message,
    });
  }
  if (answer === 'decline') {
    return send(
      reply,
      200,
      'Declined',
      messageCard(
        'Invitation declined',
        'Nothing was shared with you, and the inviter will see that you declined.',
      ),
    );
  }
  const organization = await findOrganization(deps.database.db, invitation.organizationId);
  const landing = landingFor(services, invitation, organization);
  if (landing) return reply.redirect(landing, 303);
  return send(
    reply,
    200,
    'Welcome',
    messageCard(
      'Invitation accepted',
      invitation.resourceId
        ? 'You now have access to what was shared with you.'
        : `You are now a member of ${organization?.name ?? 'the organization'}.`,
    ),
  );
}

/**
 * After signing in or up: invitations marked `accept_on_sign_in` (APIs whose invitations are
 * redeemed by signing in, such as Trieve's) are accepted in the same step, when the account
 * is the invited one; others go back to the page to choose.
 */
export async function afterSignIn(
  deps: InviteeDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  user: UserRecord,
  token: string,
) {
  const invitation = await deps.services.invitations.inspect(token).catch(() => null);
  if (
    invitation?.status === 'pending' &&
    invitation.invitation.metadata.accept_on_sign_in === 'true' &&
    invitation.invitation.emailCanonical === user.emailCanonical
  ) {
    return respond(deps, request, reply, user, token, 'accept');
  }
  return reply.redirect(inviteUrl(token), 303);
}
