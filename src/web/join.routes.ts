import { z } from 'zod';
import type { Database } from '../db/database.ts';
import type { App } from '../http/app-types.ts';
import { AppError } from '../lib/errors.ts';
import { fill } from '../locales/locales.ts';
import type { Services } from '../services.ts';
import type { BrowserSessions } from './browser-session.ts';
import { joinPath, joinStrings, minutesOf } from './join.cards.ts';
import { checkedForm, type JoinPageDeps, join, render, signedInUser } from './join.page.ts';
import { registerLinkPageHeaders } from './link-page-headers.ts';

const TokenForm = z.object({ token: z.string().max(2000), csrf: z.string().max(200).optional() });
const SignInForm = TokenForm.extend({ email: z.string().max(320), password: z.string().max(256) });

/** `/join`, `/join?…` and `/join/…`, not `/joinx`. */
const JOIN_PATH = /^\/join(?:[/?]|$)/;

const formRoute = { config: { auth: 'public' as const }, schema: { hide: true } };

/**
 * The page a join link opens (`/join?token=rsvp_jl_…`), as the invitee pages do for invitations:
 * GET and HEAD only read (a link scanner consumes no use); joining is a POST with a CSRF token,
 * made by the signed-in person pressing Join. No JavaScript. No sign-up: see signInCard.
 */
export function joinPageRoutes(
  app: App,
  services: Services,
  options: { database: Database; sessions: BrowserSessions; publicUrl: string },
) {
  const deps: JoinPageDeps = { services, ...options };
  registerPageHeaders(app, deps);
  registerPage(app, deps);
  registerSignIn(app, deps);
  registerSignOut(app, deps);
  registerJoin(app, deps);
}

/** Headers and the per-address rate limit for every `/join` page, in this plugin only. */
function registerPageHeaders(app: App, { services }: JoinPageDeps) {
  registerLinkPageHeaders(app, services, (url) => JOIN_PATH.test(url));
}

function registerPage(app: App, deps: JoinPageDeps) {
  app.get('/join', {
    ...formRoute,
    schema: { hide: true, querystring: z.object({ token: z.string().max(2000).default('') }) },
    handler: async (request, reply) => render(deps, request, reply, request.query.token),
  });
}

function registerSignIn(app: App, deps: JoinPageDeps) {
  app.post('/join/sign-in', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(deps, request, reply, SignInForm);
      if (!form) return reply;
      try {
        const { user } = await deps.services.authenticator.signInWithPassword(
          form.email.trim(),
          form.password,
          request.ip,
        );
        await deps.sessions.create(request, reply, user.id);
      } catch (error) {
        if (!(error instanceof AppError) || (error.status !== 401 && error.status !== 429)) throw error;
        for (const [name, value] of Object.entries(error.headers))
          if (name === 'retry-after' || name.startsWith('ratelimit-')) reply.header(name, value);
        const t = joinStrings('en');
        return render(deps, request, reply, form.token, {
          status: error.status,
          title: t.signInTitle,
          detail:
            error.status === 429
              ? fill(t.tooManySignIns, { minutes: minutesOf(error.headers) })
              : t.signInFailed,
        });
      }
      // Signing in joins nothing: the person presses Join on the page they come back to.
      return reply.redirect(joinPath(form.token), 303);
    },
  });
}

function registerSignOut(app: App, deps: JoinPageDeps) {
  app.post('/join/sign-out', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(deps, request, reply, TokenForm);
      if (!form) return reply;
      await deps.sessions.end(request, reply);
      return reply.redirect(joinPath(form.token), 303);
    },
  });
}

function registerJoin(app: App, deps: JoinPageDeps) {
  app.post('/join', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(deps, request, reply, TokenForm);
      if (!form) return reply;
      const user = await signedInUser(deps, request);
      if (!user) return reply.redirect(joinPath(form.token), 303);
      return join(deps, request, reply, user, form.token);
    },
  });
}
