import { z } from 'zod';
import type { Database } from '../db/database.ts';
import type { App } from '../http/app-types.ts';
import { toDate } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { html, page } from './layout.ts';

/**
 * The capture transport's mailbox, for development: what rsvp would have sent. The messages
 * hold live invitation links, so only instance admins may read them (HTTP Basic works from a
 * browser).
 */
export function devMailboxRoutes(app: App, database: Database) {
  const requireInstanceAdmin = (isAdmin: boolean | undefined) => {
    if (!isAdmin) {
      throw new AppError(
        403,
        'instance_admin_required',
        'Instance admin required',
        'Only instance admins read the dev mailbox.',
      );
    }
  };

  app.get('/dev/mailbox', {
    config: { auth: { scope: 'instance:read' } },
    schema: { hide: true },
    handler: async (request, reply) => {
      requireInstanceAdmin(request.principal?.user.isInstanceAdmin);
      const rows = await database.db
        .selectFrom('captured_emails')
        .select(['id', 'to_address', 'subject', 'created_at'])
        .orderBy('id', 'desc')
        .limit(200)
        .execute();
      reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
      return page({
        title: 'Dev mailbox',
        body: html`<section class="card"><h1>Dev mailbox</h1>
<p class="muted">No SMTP_URL is set, so rsvp keeps emails here instead of sending them. Newest first.</p>
${rows.length === 0 ? html`<p>Nothing yet.</p>` : ''}
<ul>${rows.map((row) => html`<li><a href="/dev/mailbox/${row.id}">${row.subject}</a> <span class="muted">to ${row.to_address}, ${toDate(row.created_at).toISOString()}</span></li>`)}</ul>
</section>`,
      });
    },
  });

  app.get('/dev/mailbox/:id', {
    config: { auth: { scope: 'instance:read' } },
    schema: { hide: true, params: z.object({ id: z.string().max(64) }) },
    handler: async (request, reply) => {
      requireInstanceAdmin(request.principal?.user.isInstanceAdmin);
      const row = await database.db
        .selectFrom('captured_emails')
        .selectAll()
        .where('id', '=', request.params.id)
        .executeTakeFirst();
      if (!row) throw new AppError(404, 'email_not_found', 'Email not found', 'No such captured email.');
      reply
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .type('text/html; charset=utf-8');
      return page({
        title: row.subject,
        body: html`<section class="card"><h1>${row.subject}</h1>
<dl><dt>To</dt><dd>${row.to_address}</dd><dt>Message-ID</dt><dd>${row.message_id}</dd><dt>Captured</dt><dd>${toDate(row.created_at).toISOString()}</dd></dl>
<h2>Plain text</h2><blockquote>${row.text_body}</blockquote>
<h2>HTML</h2><iframe title="HTML body" sandbox="" srcdoc="${row.html_body}" style="width:100%;height:32rem;border:1px solid var(--line)"></iframe>
</section>`,
      });
    },
  });
}
