import { z } from 'zod';
import type { UserRecord } from '../access/user-record.ts';
import type { Database } from '../db/database.ts';
import type { App } from '../http/app-types.ts';
import type { Clock } from '../lib/clock.ts';
import { maskEmail } from '../lib/email.ts';
import { AppError } from '../lib/errors.ts';
import type { Services } from '../services.ts';
import type { BrowserSessions } from './browser-session.ts';
import { type Inspection, inviteUrl } from './invitee.cards.ts';
import {
  afterSignIn,
  checkedForm,
  type InviteeDeps,
  renderInvitation,
  respond,
  signedInUser,
} from './invitee.page.ts';
import { registerLinkPageHeaders } from './link-page-headers.ts';

const TokenForm = z.object({ token: z.string().max(2000), csrf: z.string().max(200).optional() });
const SignInForm = TokenForm.extend({ email: z.string().max(320), password: z.string().max(256) });
const SignUpForm = TokenForm.extend({
  display_name: z.string().max(200).optional(),
  password: z.string().max(256),
});

const formRoute = { config: { auth: 'public' as const }, schema: { hide: true } };

/**
 * The pages an emailed link opens. GET and HEAD only read (a link scanner that follows the
 * link consumes nothing); every change is a POST carrying a CSRF token. No JavaScript.
 */
export function inviteeRoutes(
  app: App,
  services: Services,
  options: { database: Database; clock: Clock; sessions: BrowserSessions; publicUrl: string },
) {
  const deps: InviteeDeps = { services, ...options };
  registerPageHeaders(app, deps);
  registerPage(app, deps);
  registerSignIn(app, deps);
  registerSignUp(app, deps);
  registerSignOut(app, deps);
  registerAnswers(app, deps);
}

/** Headers and the per-address rate limit for every `/invite` page, in this plugin only. */
function registerPageHeaders(app: App, { services }: InviteeDeps) {
  registerLinkPageHeaders(app, services, (url) => url.startsWith('/invite'));
}

function registerPage(app: App, deps: InviteeDeps) {
  app.get('/invite', {
    ...formRoute,
    schema: { hide: true, querystring: z.object({ token: z.string().max(2000).default('') }) },
    handler: async (request, reply) => renderInvitation(deps, request, reply, request.query.token),
  });
}

function registerSignIn(app: App, deps: InviteeDeps) {
  app.post('/invite/sign-in', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(deps, request, reply, SignInForm);
      if (!form) return reply;
      let user: UserRecord;
      try {
        ({ user } = await deps.services.authenticator.signInWithPassword(
          form.email.trim(),
          form.password,
          request.ip,
        ));
        await deps.sessions.create(request, reply, user.id);
      } catch (error) {
        if (!(error instanceof AppError) || (error.status !== 401 && error.status !== 429)) throw error;
        for (const [name, value] of Object.entries(error.headers))
          if (name === 'retry-after' || name.startsWith('ratelimit-')) reply.header(name, value);
        if (error.status === 429) {
          return renderInvitation(deps, request, reply, form.token, {
            status: 429,
            title: 'Too many attempts',
            detail: `Wait ${Math.ceil(Number(error.headers['retry-after']) / 60)} minutes before trying again.`,
          });
        }
        return renderInvitation(deps, request, reply, form.token, {
          status: 401,
          title: 'Sign-in failed',
          detail: 'Wrong email or password.',
        });
      }
      return afterSignIn(deps, request, reply, user, form.token);
    },
  });
}

function registerSignUp(app: App, deps: InviteeDeps) {
  app.post('/invite/sign-up', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(deps, request, reply, SignUpForm);
      if (!form) return reply;
      if (form.password.length < 8) {
        return renderInvitation(deps, request, reply, form.token, {
          status: 422,
          title: 'Password too short',
          detail: 'Choose a password of 8 characters or more.',
        });
      }
      let inspection: Inspection;
      try {
        inspection = await deps.services.invitations.inspect(form.token);
      } catch {
        return renderInvitation(deps, request, reply, form.token);
      }
      if (inspection.status !== 'pending') return renderInvitation(deps, request, reply, form.token);
      let signedUp: UserRecord | undefined;
      try {
        const user = await deps.services.users.register(
          {
            email: inspection.invitation.email,
            password: form.password,
            display_name: form.display_name?.trim() || undefined,
          },
          {
            instanceAdmin: false,
            actor: null,
            via: 'invitee_page',
            // The link proves the mailbox only if the mailbox was the one place it went: mailed
            // in rsvp's own rendering and not replaced since (migration 014). A link its inviter
            // was handed, or mailed through the organization's template (which may send it
            // anywhere), proves only that someone passed it on.
            emailVerified:
              inspection.invitation.linkProofHash !== null &&
              inspection.invitation.linkProofHash === inspection.invitation.tokenHash,
          },
        );
        await deps.sessions.create(request, reply, user.id);
        signedUp = user;
      } catch (error) {
        if (error instanceof AppError && error.code === 'invalid_display_name') {
          return renderInvitation(deps, request, reply, form.token, {
            status: 422,
            title: 'Invalid name',
            detail: error.message,
          });
        }
        if (!(error instanceof AppError) || error.status !== 409) throw error;
        return renderInvitation(deps, request, reply, form.token, {
          status: 409,
          title: 'You already have an account',
          detail: `An account exists for ${maskEmail(inspection.invitation.email)}: sign in instead.`,
        });
      }
      return afterSignIn(deps, request, reply, signedUp!, form.token);
    },
  });
}

function registerSignOut(app: App, deps: InviteeDeps) {
  app.post('/invite/sign-out', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(deps, request, reply, TokenForm);
      if (!form) return reply;
      await deps.sessions.end(request, reply);
      return reply.redirect(inviteUrl(form.token), 303);
    },
  });
}

/** `/invite/accept` and `/invite/decline`, as the signed-in invitee. */
function registerAnswers(app: App, deps: InviteeDeps) {
  for (const answer of ['accept', 'decline'] as const) {
    app.post(`/invite/${answer}`, {
      ...formRoute,
      handler: async (request, reply) => {
        const form = checkedForm(deps, request, reply, TokenForm);
        if (!form) return reply;
        const user = await signedInUser(deps, request);
        if (!user) return reply.redirect(inviteUrl(form.token), 303);
        return respond(deps, request, reply, user, form.token, answer);
      },
    });
  }
}
