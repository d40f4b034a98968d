import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { hasScope } from '../access/principal.ts';
import type { UserRecord } from '../access/user-record.ts';
import { REALM, unauthenticated } from '../auth/authenticator.ts';
import type { Database } from '../db/database.ts';
import type { App } from '../http/app-types.ts';
import { insufficientScope } from '../http/route-auth.ts';
import { toDate } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import type { Services } from '../services.ts';
import { findUserById } from '../users/user.repository.ts';
import { type BrowserSessions, sameOrigin } from './browser-session.ts';
import { type Html, html, page } from './layout.ts';

/** The mailbox's own session cookie, so an admin reading it and an invitee in the same browser don't displace each other. */
export const MAILBOX_SESSION_COOKIE = 'rsvp_mailbox_session';

const SignInForm = z.object({
  email: z.string().max(320),
  password: z.string().max(256),
  csrf: z.string().max(200).optional(),
});
const SignOutForm = z.object({ csrf: z.string().max(200).optional() });

type MailboxDeps = { services: Services; database: Database; sessions: BrowserSessions; publicUrl: string };

const route = { config: { auth: 'public' as const } };

/**
 * The capture transport's mailbox, for development: what rsvp would have sent. The messages
 * hold live invitation links, so only instance admins may read them: signed in with the form
 * (a browser session), or with Basic or bearer credentials (curl).
 */
export function devMailboxRoutes(
  app: App,
  services: Services,
  options: { database: Database; sessions: BrowserSessions; publicUrl: string },
) {
  const deps: MailboxDeps = { services, ...options };
  registerSignIn(app, deps);
  registerSignOut(app, deps);
  registerList(app, deps);
  registerMessage(app, deps);
}

/** The reader: from credentials when sent (wrong ones are a 401), else the session cookie. */
async function reader(deps: MailboxDeps, request: FastifyRequest): Promise<UserRecord | null> {
  const apiKey = request.headers['x-api-key'];
  if (request.headers.authorization || apiKey) {
    const principal = await deps.services.authenticator.authenticate({
      authorization: request.headers.authorization,
      apiKey: typeof apiKey === 'string' ? apiKey : undefined,
      clientIp: request.ip,
    });
    if (!principal) return null;
    // Declared public so a browser gets the sign-in form; a credential still needs its scope.
    if (!hasScope(principal, 'instance:read')) throw insufficientScope('instance:read');
    return principal.user;
  }
  const userId = await deps.sessions.read(request);
  const user = userId ? await findUserById(deps.database.db, userId) : undefined;
  return user?.status === 'active' ? user : null;
}

const send = (reply: FastifyReply, status: number, title: string, body: Html) =>
  reply
    .code(status)
    .header('cache-control', 'no-store')
    // Not no-referrer: that makes the browser send `Origin: null` on the sign-in form's post.
    .header('referrer-policy', 'same-origin')
    .type('text/html; charset=utf-8')
    .send(page({ title, body }));

function signInPage(
  deps: MailboxDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  problem?: string,
) {
  const csrf = deps.sessions.csrfToken(request, reply);
  return send(
    reply,
    status,
    'Dev mailbox',
    html`${problem ? html`<section class="card error" role="alert"><h1>Sign-in failed</h1><p>${problem}</p></section>` : ''}
<section class="card" aria-labelledby="signin"><h1 id="signin">Dev mailbox</h1>
<p class="muted">The emails rsvp captured instead of sending (no SMTP_URL is set). Sign in as an instance admin.</p>
<form method="post" action="/dev/mailbox/sign-in"><input type="hidden" name="csrf" value="${csrf}">
<label>Email<input type="email" name="email" autocomplete="username" required></label>
<label>Password<input type="password" name="password" autocomplete="current-password" required></label>
<button class="primary" type="submit">Sign in</button>
</form></section>`,
  );
}

/** The instance admin reading, or null after answering: a sign-in page for browsers, a 401 or 403 otherwise. */
async function admin(
  deps: MailboxDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<UserRecord | null> {
  const user = await reader(deps, request);
  if (user?.isInstanceAdmin) return user;
  if (user) {
    throw new AppError(
      403,
      'instance_admin_required',
      'Instance admin required',
      'Only instance admins read the dev mailbox.',
    );
  }
  if (!request.headers.accept?.includes('text/html')) {
    throw unauthenticated('Sign in at /dev/mailbox in a browser, or send Basic credentials or an API key.');
  }
  // A browser gets the form; a Basic challenge would put the browser's own prompt over it.
  reply.header('www-authenticate', `Bearer realm="${REALM}"`);
  signInPage(deps, request, reply, 401);
  return null;
}

/** A form post from this site with its CSRF token, or null after answering 403. */
function checked<T extends z.ZodType>(
  deps: MailboxDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  schema: T,
): z.output<T> | null {
  const parsed = schema.safeParse(request.body ?? {});
  if (
    !parsed.success ||
    !sameOrigin(request, deps.publicUrl) ||
    !deps.sessions.validCsrf(request, (parsed.data as { csrf?: string }).csrf)
  ) {
    send(
      reply,
      403,
      'Form expired',
      html`<section class="card error" role="alert"><h1>This form has expired</h1><p>Open <a href="/dev/mailbox">the mailbox</a> again and retry, with cookies enabled.</p></section>`,
    );
    return null;
  }
  return parsed.data;
}

function registerSignIn(app: App, deps: MailboxDeps) {
  app.post('/dev/mailbox/sign-in', {
    ...route,
    schema: { hide: true },
    handler: async (request, reply) => {
      const form = checked(deps, request, reply, SignInForm);
      if (!form) return reply;
      let user: UserRecord;
      try {
        ({ user } = await deps.services.authenticator.signInWithPassword(
          form.email.trim(),
          form.password,
          request.ip,
        ));
      } catch (error) {
        // The authenticator limits failed sign-ins per account and address (429 once spent).
        if (!(error instanceof AppError) || (error.status !== 401 && error.status !== 429)) throw error;
        if (error.status === 401) return signInPage(deps, request, reply, 401, 'Wrong email or password.');
        const retryAfter = Number(error.headers['retry-after'] ?? 60);
        reply.header('retry-after', String(retryAfter));
        return signInPage(
          deps,
          request,
          reply,
          429,
          `Too many attempts: wait ${Math.ceil(retryAfter / 60)} minutes.`,
        );
      }
      if (!user.isInstanceAdmin)
        return signInPage(deps, request, reply, 403, 'Only instance admins read the dev mailbox.');
      await deps.sessions.create(request, reply, user.id);
      return reply.redirect('/dev/mailbox', 303);
    },
  });
}

function registerSignOut(app: App, deps: MailboxDeps) {
  app.post('/dev/mailbox/sign-out', {
    ...route,
    schema: { hide: true },
    handler: async (request, reply) => {
      if (!checked(deps, request, reply, SignOutForm)) return reply;
      await deps.sessions.end(request, reply);
      return reply.redirect('/dev/mailbox', 303);
    },
  });
}

function registerList(app: App, deps: MailboxDeps) {
  app.get('/dev/mailbox', {
    ...route,
    schema: { hide: true },
    handler: async (request, reply) => {
      const user = await admin(deps, request, reply);
      if (!user) return reply;
      const rows = await deps.database.db
        .selectFrom('captured_emails')
        .select(['id', 'to_address', 'subject', 'created_at'])
        .orderBy('id', 'desc')
        .limit(200)
        .execute();
      const csrf = deps.sessions.csrfToken(request, reply);
      return send(
        reply,
        200,
        'Dev mailbox',
        html`<section class="card"><h1>Dev mailbox</h1>
<p class="muted">No SMTP_URL is set, so rsvp keeps emails here instead of sending them. Newest first.</p>
${rows.length === 0 ? html`<p>Nothing yet.</p>` : ''}
<ul>${rows.map((row) => html`<li><a href="/dev/mailbox/${row.id}">${row.subject}</a> <span class="muted">to ${row.to_address}, ${toDate(row.created_at).toISOString()}</span></li>`)}</ul>
<form method="post" action="/dev/mailbox/sign-out"><input type="hidden" name="csrf" value="${csrf}"><p class="muted">Signed in as ${user.email}. <button type="submit">Sign out</button></p></form>
</section>`,
      );
    },
  });
}

function registerMessage(app: App, deps: MailboxDeps) {
  app.get('/dev/mailbox/:id', {
    ...route,
    schema: { hide: true, params: z.object({ id: z.string().max(64) }) },
    handler: async (request, reply) => {
      if (!(await admin(deps, request, reply))) return reply;
      const row = await deps.database.db
        .selectFrom('captured_emails')
        .selectAll()
        .where('id', '=', request.params.id)
        .executeTakeFirst();
      if (!row) throw new AppError(404, 'email_not_found', 'Email not found', 'No such captured email.');
      // The HTML body renders sandboxed (no scripts, no forms); its links open at the top level,
      // as they would from a mail client, since the pages they lead to refuse to be framed.
      const body = withTopTarget(row.html_body);
      return send(
        reply,
        200,
        row.subject,
        html`<section class="card"><p><a href="/dev/mailbox">← Dev mailbox</a></p><h1>${row.subject}</h1>
<dl><dt>To</dt><dd>${row.to_address}</dd><dt>Message-ID</dt><dd>${row.message_id}</dd><dt>Captured</dt><dd>${toDate(row.created_at).toISOString()}</dd></dl>
<h2>Plain text</h2><blockquote>${linkified(row.text_body)}</blockquote>
<h2>HTML</h2><iframe title="HTML body" sandbox="allow-top-navigation-by-user-activation" srcdoc="${body}" style="width:100%;height:32rem;border:1px solid var(--line)"></iframe>
</section>`,
      );
    },
  });
}

/** `<base target="_top">` in the message's head (or in front of it when it has none). */
function withTopTarget(message: string): string {
  const base = '<base target="_top">';
  const head = /<head[^>]*>/i.exec(message);
  if (!head) return base + message;
  const at = head.index + head[0].length;
  return message.slice(0, at) + base + message.slice(at);
}

/** Plain text with its http(s) URLs as links; everything else escaped. */
function linkified(text: string): Html[] {
  const parts: Html[] = [];
  let last = 0;
  for (const match of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    parts.push(html`${text.slice(last, match.index)}`, html`<a href="${match[0]}">${match[0]}</a>`);
    last = match.index + match[0].length;
  }
  parts.push(html`${text.slice(last)}`);
  return parts;
}
