import { z } from 'zod';
import { type App, problems } from '../http/app-types.ts';
import { AppError } from '../lib/errors.ts';
import type { Services } from '../services.ts';
import type { BrowserSessions } from '../web/browser-session.ts';
import { CSRF_HEADER, requireCsrf } from '../web/session-auth.ts';
import { USER_EXAMPLE, UserSchema, userView } from './user.routes.ts';

const TAGS = ['Sessions'];

const wrongPassword = () =>
  new AppError(401, 'unauthenticated', 'Authentication required', 'Wrong email or password.', {
    headers: { 'www-authenticate': 'Bearer realm="rsvp"' },
  });

const SessionSchema = z
  .object({
    csrf_token: z
      .string()
      .describe(
        `Send it as the \`${CSRF_HEADER}\` header on every POST, PATCH, PUT and DELETE of this browser.`,
      ),
    user: UserSchema.nullable().describe('The signed-in user; null when no session is open.'),
  })
  .meta({
    id: 'Session',
    examples: [{ csrf_token: 'Yk3vQ9tZ2mW8pL5xR1nB7cD4', user: USER_EXAMPLE }],
  });

const SignInSchema = z
  .strictObject({
    email: z.string().min(1).max(320).describe('Email address or username.'),
    password: z.string().min(1).max(256),
  })
  .meta({ id: 'SessionCreate', examples: [{ email: 'grace@example.com', password: 'a long passphrase' }] });

/**
 * Browser sessions for the native API (the console signs in here): an HttpOnly, SameSite=Lax
 * cookie naming a server-side session, the one the invitee pages open, plus a CSRF token that
 * unsafe calls must echo in a header. Other clients keep using API keys or tokens.
 */
export function sessionRoutes(
  app: App,
  services: Services,
  deps: { sessions: BrowserSessions; publicUrl: string },
) {
  const { sessions } = deps;

  app.get('/v1/session', {
    config: { auth: 'public' },
    schema: {
      tags: TAGS,
      operationId: 'getSession',
      summary: "This browser's session and CSRF token",
      description:
        'Sets the CSRF cookie when missing. Answers `user: null` without a session, so a page can ' +
        'decide whether to show its sign-in form.',
      security: [],
      response: {
        200: SessionSchema.describe('The session (user null when signed out) and the CSRF token.'),
      },
    },
    handler: async (request, reply) => {
      const csrf_token = sessions.csrfToken(request, reply);
      const userId = await sessions.read(request);
      const principal = userId ? await services.authenticator.sessionPrincipal(userId) : null;
      return { csrf_token, user: principal ? userView(principal.user) : null };
    },
  });

  app.post('/v1/session', {
    config: { auth: 'public' },
    schema: {
      tags: TAGS,
      operationId: 'createSession',
      summary: 'Sign in with email and password (browser session)',
      description:
        `Needs the \`${CSRF_HEADER}\` header from GET /v1/session. Failed attempts count against the ` +
        'same sign-in limits as every other password check (429 once spent).',
      security: [],
      body: SignInSchema,
      response: {
        200: SessionSchema.describe('Signed in: the session cookie is set.'),
        ...problems(400, 401, 403, 429),
      },
    },
    handler: async (request, reply) => {
      requireCsrf(request, sessions, deps.publicUrl);
      const { user } = await services.authenticator
        .signInWithPassword(request.body.email.trim(), request.body.password, request.ip)
        .catch((error: unknown) => {
          // The same answer, without the Basic challenge that would make a browser prompt.
          if (error instanceof AppError && error.status === 401) throw wrongPassword();
          throw error;
        });
      await sessions.create(request, reply, user.id);
      return { csrf_token: sessions.csrfToken(request, reply), user: userView(user) };
    },
  });

  app.delete('/v1/session', {
    config: { auth: 'public' },
    schema: {
      tags: TAGS,
      operationId: 'deleteSession',
      summary: 'Sign out: end this browser session everywhere it was copied',
      description:
        'Ends the session on the server, so a copied cookie stops working too, and clears the cookie. Needs the CSRF token header.',
      security: [],
      response: { 204: z.null().describe('Signed out (also when no session was open).'), ...problems(403) },
    },
    handler: async (request, reply) => {
      requireCsrf(request, sessions, deps.publicUrl);
      await sessions.end(request, reply);
      return reply.code(204).send(null);
    },
  });
}
