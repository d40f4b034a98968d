import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../access/principal.ts';
import type { UserRecord } from '../access/user-record.ts';
import type { Database } from '../db/database.ts';
import { emailLocale } from '../delivery/email-templates.ts';
import type { App } from '../http/app-types.ts';
import type { InvitationRecord } from '../invitations/invitation.repository.ts';
import type { Clock } from '../lib/clock.ts';
import { maskEmail } from '../lib/email.ts';
import { AppError } from '../lib/errors.ts';
import { tooManyRequests } from '../lib/rate-limiter.ts';
import { findOrganization, type OrganizationRecord } from '../organizations/organization.repository.ts';
import { isAllowedAppUrl } from '../organizations/organization.service.ts';
import type { Services } from '../services.ts';
import { findUserById } from '../users/user.repository.ts';
import { type BrowserSessions, sameOrigin } from './browser-session.ts';
import { closedCard, hidden, type Inspection, inviteUrl, messageCard, summaryCard } from './invitee.cards.ts';
import { type Html, html, page } from './layout.ts';
import { PAGE_STRINGS } from './page-strings.ts';

const TokenForm = z.object({ token: z.string().max(2000), csrf: z.string().max(200).optional() });
const SignInForm = TokenForm.extend({ email: z.string().max(320), password: z.string().max(256) });
const SignUpForm = TokenForm.extend({
  display_name: z.string().max(200).optional(),
  password: z.string().max(256),
});

/**
 * The pages an emailed link opens. GET and HEAD only read (a link scanner that follows the
 * link consumes nothing); every change is a POST carrying a CSRF token. No JavaScript.
 */
export function inviteeRoutes(
  app: App,
  services: Services,
  deps: { database: Database; clock: Clock; sessions: BrowserSessions; publicUrl: string },
) {
  const { sessions } = deps;
  const formAction = ["'self'", ...services.allowedAppOrigins].join(' ');

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/invite')) return;
    reply.header('cache-control', 'no-store');
    // The token is in the URL: it must never leave in a Referer. `same-origin` (not
    // `no-referrer`) keeps the browser sending a real Origin on our own form posts.
    reply.header('referrer-policy', 'same-origin');
    reply.header(
      'content-security-policy',
      `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    );
    const rule = services.abuseLimits.perClientAddress;
    const decision = await services.rateLimiter.consume(`ip:${request.ip}`, rule);
    if (!decision.allowed) {
      const error = tooManyRequests(decision, rule, 'Too many requests from your address; wait a moment.');
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      return reply
        .code(429)
        .type('text/html; charset=utf-8')
        .send(page({ title: 'Slow down', body: messageCard('Too many requests', error.message, true) }));
    }
  });

  const send = (reply: FastifyReply, status: number, title: string, body: Html, lang = 'en') =>
    reply.code(status).type('text/html; charset=utf-8').send(page({ title, body, lang }));

  async function signedInUser(request: FastifyRequest): Promise<UserRecord | null> {
    const userId = await sessions.read(request);
    if (!userId) return null;
    const user = await findUserById(deps.database.db, userId);
    return user?.status === 'active' ? user : null;
  }

  const principalFor = (request: FastifyRequest, user: UserRecord): Principal => ({
    method: 'session',
    user,
    apiKeyId: null,
    scopes: 'all',
    client: { ip: request.ip, userAgent: request.headers['user-agent']?.slice(0, 512) ?? null },
  });

  /** Renders the page for `token` as the current visitor sees it, with an optional notice. */
  async function renderInvitation(
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    notice?: { status: number; title: string; detail: string },
  ) {
    let inspection: Inspection;
    try {
      inspection = await services.invitations.inspect(token);
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
    const user = await signedInUser(request);
    const csrf = sessions.csrfToken(request, reply);
    const cards: Html[] = [summaryCard(inspection, t, locale)];
    if (notice) cards.unshift(messageCard(notice.title, notice.detail, true));
    const { invitation } = inspection;
    if (user && user.emailCanonical === invitation.emailCanonical) {
      cards.push(html`<section class="card" aria-labelledby="respond">
<h2 id="respond">${t.yourAnswer}</h2>
<p>${t.signedInAs(user.email)}</p>
<div class="row">
<form method="post" action="/invite/accept">${hidden(token, csrf)}<button class="primary" type="submit">${t.accept}</button></form>
<form method="post" action="/invite/decline">${hidden(token, csrf)}<button type="submit">${t.decline}</button></form>
</div>
</section>`);
    } else if (user) {
      cards.push(html`<section class="card error" aria-labelledby="mismatch">
<h2 id="mismatch">${t.otherAddressTitle}</h2>
<p>${t.otherAddress(user.email, maskEmail(invitation.email))}</p>
<form method="post" action="/invite/sign-out">${hidden(token, csrf)}<button type="submit">${t.switchAccount}</button></form>
</section>`);
    } else {
      const masked = maskEmail(invitation.email);
      cards.push(html`<section class="card" aria-labelledby="signin">
<h2 id="signin">${t.signInTitle}</h2>
<p class="muted">${t.signInHint(masked)}</p>
<form method="post" action="/invite/sign-in">${hidden(token, csrf)}
<label>${t.email}<input type="email" name="email" autocomplete="username" required></label>
<label>${t.password}<input type="password" name="password" autocomplete="current-password" required></label>
<button class="primary" type="submit">${t.signIn}</button>
</form>
</section>
<section class="card" aria-labelledby="signup">
<h2 id="signup">${t.signUpTitle}</h2>
<p class="muted">${t.signUpHint(masked)}</p>
<form method="post" action="/invite/sign-up">${hidden(token, csrf)}
<label>${t.yourName}<input type="text" name="display_name" autocomplete="name" maxlength="200"></label>
<label>${t.choosePassword}<input type="password" name="password" autocomplete="new-password" minlength="8" required></label>
<button type="submit">${t.createAccount}</button>
</form>
</section>`);
    }
    return send(reply, notice?.status ?? 200, t.invitedTitle, html`${cards}`, locale);
  }

  /** Parses a form POST and checks its CSRF token and origin; null after answering the failure. */
  function checkedForm<T extends z.ZodType>(
    request: FastifyRequest,
    reply: FastifyReply,
    schema: T,
  ): z.output<T> | null {
    const parsed = schema.safeParse(request.body ?? {});
    if (!parsed.success) {
      send(
        reply,
        400,
        'Bad request',
        messageCard('Something is missing', 'The form was incomplete; go back and try again.', true),
      );
      return null;
    }
    if (
      !sameOrigin(request, deps.publicUrl) ||
      !sessions.validCsrf(request, (parsed.data as { csrf?: string }).csrf)
    ) {
      send(
        reply,
        403,
        'Form expired',
        messageCard(
          'This form has expired',
          'Open the invitation link again and retry. (The form must be sent from this site, with cookies enabled.)',
          true,
        ),
      );
      return null;
    }
    return parsed.data;
  }

  const formRoute = { config: { auth: 'public' as const }, schema: { hide: true } };

  app.get('/invite', {
    ...formRoute,
    schema: { hide: true, querystring: z.object({ token: z.string().max(2000).default('') }) },
    handler: async (request, reply) => renderInvitation(request, reply, request.query.token),
  });

  app.post('/invite/sign-in', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(request, reply, SignInForm);
      if (!form) return reply;
      let user: UserRecord;
      try {
        ({ user } = await services.authenticator.signInWithPassword(
          form.email.trim(),
          form.password,
          request.ip,
        ));
        await sessions.create(request, reply, user.id);
      } catch (error) {
        if (!(error instanceof AppError) || (error.status !== 401 && error.status !== 429)) throw error;
        for (const [name, value] of Object.entries(error.headers))
          if (name === 'retry-after' || name.startsWith('ratelimit-')) reply.header(name, value);
        if (error.status === 429) {
          return renderInvitation(request, reply, form.token, {
            status: 429,
            title: 'Too many attempts',
            detail: `Wait ${Math.ceil(Number(error.headers['retry-after']) / 60)} minutes before trying again.`,
          });
        }
        return renderInvitation(request, reply, form.token, {
          status: 401,
          title: 'Sign-in failed',
          detail: 'Wrong email or password.',
        });
      }
      return afterSignIn(request, reply, user, form.token);
    },
  });

  app.post('/invite/sign-up', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(request, reply, SignUpForm);
      if (!form) return reply;
      if (form.password.length < 8) {
        return renderInvitation(request, reply, form.token, {
          status: 422,
          title: 'Password too short',
          detail: 'Choose a password of 8 characters or more.',
        });
      }
      let inspection: Inspection;
      try {
        inspection = await services.invitations.inspect(form.token);
      } catch {
        return renderInvitation(request, reply, form.token);
      }
      if (inspection.status !== 'pending') return renderInvitation(request, reply, form.token);
      let signedUp: UserRecord | undefined;
      try {
        const user = await services.users.register(
          {
            email: inspection.invitation.email,
            password: form.password,
            display_name: form.display_name?.trim() || undefined,
          },
          { instanceAdmin: false, actor: null, via: 'invitee_page' },
        );
        await sessions.create(request, reply, user.id);
        signedUp = user;
      } catch (error) {
        if (!(error instanceof AppError) || error.status !== 409) throw error;
        return renderInvitation(request, reply, form.token, {
          status: 409,
          title: 'You already have an account',
          detail: `An account exists for ${maskEmail(inspection.invitation.email)}: sign in instead.`,
        });
      }
      return afterSignIn(request, reply, signedUp!, form.token);
    },
  });

  app.post('/invite/sign-out', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(request, reply, TokenForm);
      if (!form) return reply;
      await sessions.end(request, reply);
      return reply.redirect(inviteUrl(form.token), 303);
    },
  });

  /**
   * Where an invitee lands after accepting: the invitation's `redirect_url` (or the
   * `metadata.redirect_url` some wire formats set), else the organization's `app_url` — each
   * only when its origin is allow-listed (still, as the list may have changed since).
   */
  function landingFor(
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
  async function respond(
    request: FastifyRequest,
    reply: FastifyReply,
    user: UserRecord,
    token: string,
    answer: 'accept' | 'decline',
  ) {
    let invitation: InvitationRecord;
    try {
      invitation =
        answer === 'accept'
          ? await services.invitations.accept(principalFor(request, user), { token })
          : await services.invitations.decline(principalFor(request, user), { token });
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      return renderInvitation(request, reply, token, {
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
    const landing = landingFor(invitation, organization);
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
  async function afterSignIn(request: FastifyRequest, reply: FastifyReply, user: UserRecord, token: string) {
    const invitation = await services.invitations.inspect(token).catch(() => null);
    if (
      invitation?.status === 'pending' &&
      invitation.invitation.metadata.accept_on_sign_in === 'true' &&
      invitation.invitation.emailCanonical === user.emailCanonical
    ) {
      return respond(request, reply, user, token, 'accept');
    }
    return reply.redirect(inviteUrl(token), 303);
  }

  for (const answer of ['accept', 'decline'] as const) {
    app.post(`/invite/${answer}`, {
      ...formRoute,
      handler: async (request, reply) => {
        const form = checkedForm(request, reply, TokenForm);
        if (!form) return reply;
        const user = await signedInUser(request);
        if (!user) return reply.redirect(inviteUrl(form.token), 303);
        return respond(request, reply, user, form.token, answer);
      },
    });
  }
}
