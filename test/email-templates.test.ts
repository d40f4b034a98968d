import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../src/delivery/delivery.ts';
import { SUPPORTED_LOCALES } from '../src/locales/locales.ts';
import { deliveryFor, type Harness, harness } from './helpers.ts';
import { linkIn, type ReceivedMail, startSmtpServer } from './smtp.ts';

const GERMAN = {
  subject:
    '{{ inviter.name }} lädt Sie zu {{ organization.name }} ein{% if kind == "reminder" %} (Erinnerung){% endif %}',
  html:
    '<div style="color:{{ branding.primary_color }}"><h1>Willkommen bei {{ organization.name }}</h1>' +
    '<p>{{ inviter.name }} schrieb: {{ message }}</p><a href="{{ accept_url }}">Annehmen</a>' +
    '<p>Gültig bis {{ expires_at }}</p></div>',
  text: 'Willkommen bei {{ organization.name }}!\n{{ inviter.name }} lädt Sie ein: {{ accept_url }}\n',
};

describe('email templates', () => {
  let h: Harness;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let delivery: Delivery;
  const mailTo = (address: string) => smtp.received.filter((mail) => mail.to.includes(address));

  beforeAll(async () => {
    smtp = await startSmtpServer();
    h = await harness();
    delivery = deliveryFor(h, { smtpUrl: smtp.url, mailFrom: 'rsvp <no-reply@rsvp.test>' });
  });

  afterAll(async () => {
    await delivery.stop();
    await smtp.close();
    await h.close();
  });

  it('supports the locales that have a file in src/locales, German included', () => {
    const files = readdirSync(new URL('../src/locales/', import.meta.url))
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.replace(/\.json$/, ''));
    expect([...SUPPORTED_LOCALES].sort()).toEqual(files.sort());
    expect(SUPPORTED_LOCALES).toContain('de');
  });

  it('sends German built-in emails and pages without any template', async () => {
    const created = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'greta@example.de', role: 'member', locale: 'de-DE' },
    });
    expect(created.status).toBe(201);
    await delivery.worker.drain();
    const [mail] = mailTo('greta@example.de') as [ReceivedMail];
    expect(mail.subject).toBe('Olive Owner hat Sie zu Acme eingeladen');
    expect(mail.text).toContain('Diese Einladung läuft am');
    expect(mail.headers.get('content-language')).toBe('de');
    const link = new URL(linkIn(mail));
    const page = await h.app.inject({ method: 'GET', url: link.pathname + link.search });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html lang="de">');
    expect(page.body).toContain('Sie sind eingeladen');
    expect(page.body).toContain('Olive Owner lädt Sie ein zu <strong>Acme</strong>');
  });

  it('stores, previews and sends an organization template, escaping what users wrote', async () => {
    expect((await h.call('GET', '/v1/organizations/acme/email-templates/de')).status).toBe(404);
    const put = await h.call('PUT', '/v1/organizations/acme/email-templates/de', { body: GERMAN });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ locale: 'de', subject: GERMAN.subject });
    expect((await h.call('PUT', '/v1/organizations/acme/email-templates/de', { body: GERMAN })).status).toBe(
      200,
    );
    const got = await h.call('GET', '/v1/organizations/acme/email-templates/de');
    expect(got.body.html).toBe(GERMAN.html);
    const listed = await h.call('GET', '/v1/organizations/acme/email-templates');
    expect(listed.body.templates.map((t: { locale: string }) => t.locale)).toEqual(['de']);
    expect(listed.body.supported_locales).toEqual(expect.arrayContaining(['en', 'fr', 'de']));

    const branding = await h.call('PUT', '/v1/organizations/acme/email-branding', {
      body: { primary_color: '#0a7d32', sender_name: 'Acme Team', logo_url: 'https://acme.test/logo.png' },
    });
    expect(branding.status).toBe(200);
    expect(branding.body).toMatchObject({ primary_color: '#0a7d32', sender_name: 'Acme Team' });

    const preview = await h.call('POST', '/v1/organizations/acme/email-templates/de/preview', {
      body: {
        data: { inviter_name: 'Mallory <script>alert(1)</script>', message: '<img src=x onerror=alert(1)>' },
      },
    });
    expect(preview.status).toBe(200);
    expect(preview.body.source).toBe('organization');
    expect(preview.body.sender_name).toBe('Acme Team');
    expect(preview.body.subject).toBe('Mallory <script>alert(1)</script> lädt Sie zu Acme ein');
    expect(preview.body.html).toContain(
      'Mallory &lt;script&gt;alert(1)&lt;/script&gt; schrieb: &lt;img src=x',
    );
    expect(preview.body.html).not.toContain('<script>');
    expect(preview.body.html).not.toContain('<img');
    expect(preview.body.html).toContain('color:#0a7d32');

    // Nothing was sent by previewing.
    const before = smtp.received.length;
    await delivery.worker.drain();
    expect(smtp.received.length).toBe(before);

    const test = await h.call('POST', '/v1/organizations/acme/email-templates/de/test');
    expect(test.status).toBe(202);
    expect(test.body.to).toBe('owner@acme.test');
    await delivery.worker.drain();
    const [testMail] = mailTo('owner@acme.test') as [ReceivedMail];
    expect(testMail.subject).toBe('[Test] Olive Owner lädt Sie zu Acme ein');
    expect(testMail.headers.get('from')).toMatchObject({
      value: [{ name: 'Acme Team', address: 'no-reply@rsvp.test' }],
    });
    expect(testMail.html).toContain('Willkommen bei Acme');

    // A real invitation in German gets the organization's template, with a working link.
    const created = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'hans@example.de', role: 'member', locale: 'de', message: 'Bis bald <b>!</b>' },
    });
    expect(created.status).toBe(201);
    await delivery.worker.drain();
    const [mail] = mailTo('hans@example.de') as [ReceivedMail];
    expect(mail.subject).toBe('Olive Owner lädt Sie zu Acme ein');
    expect(mail.html).toContain('Willkommen bei Acme');
    expect(mail.html).toContain('Bis bald &lt;b&gt;!&lt;/b&gt;');
    expect(mail.text).toContain('Olive Owner lädt Sie ein: http://rsvp.test/invite?token=rsvp_it_');
    const token = new URL(linkIn(mail)).searchParams.get('token');
    const check = await h.call('POST', '/v1/invitations/preview', { key: null, body: { token } });
    expect(check.status).toBe(200);

    // Other locales still use the built-in template, with the branding's colour and logo.
    await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'emma@example.com', role: 'member', locale: 'en' },
    });
    await delivery.worker.drain();
    const [english] = mailTo('emma@example.com') as [ReceivedMail];
    expect(english.subject).toBe('Olive Owner invited you to join Acme');
    expect(english.html).toContain('background:#0a7d32');
    expect(english.html).toContain('src="https://acme.test/logo.png"');

    const events = await h.call('GET', '/v1/events?type=email_template.updated');
    expect(events.body.events.length).toBe(2);
    expect(events.body.events[0].data).toMatchObject({ locale: 'de' });

    // Deleting goes back to the built-in template.
    expect((await h.call('DELETE', '/v1/organizations/acme/email-templates/de')).status).toBe(204);
    expect((await h.call('DELETE', '/v1/organizations/acme/email-templates/de')).status).toBe(404);
    const builtIn = await h.call('POST', '/v1/organizations/acme/email-templates/de/preview');
    expect(builtIn.body.source).toBe('built_in');
    expect(builtIn.body.subject).toBe('Olive Owner hat Sie zu Acme eingeladen');
    expect((await h.call('DELETE', '/v1/organizations/acme/email-branding')).status).toBe(204);
    const deleted = await h.call('GET', '/v1/events?type=email_template.deleted');
    expect(deleted.body.events.length).toBe(1);
  });

  it('refuses a template that does not parse, with the line and column', async () => {
    const bad = await h.call('PUT', '/v1/organizations/acme/email-templates/en', {
      body: { ...GERMAN, html: '<p>Hello</p>\n<p>{% if inviter.name %}{{ accept_url }}</p>' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('invalid_template');
    expect(bad.body.detail).toContain('line 2, column 4');
    expect(bad.body.errors[0]).toMatchObject({ pointer: '/body/html', line: 2, column: 4 });

    const unknown = await h.call('PUT', '/v1/organizations/acme/email-templates/en', {
      body: { ...GERMAN, text: '{{ accept_url }} {{ password }}' },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0]).toMatchObject({ pointer: '/body/text', line: 1, column: 21 });

    const raw = await h.call('PUT', '/v1/organizations/acme/email-templates/en', {
      body: { ...GERMAN, html: '{{ accept_url }} {{ inviter.name | raw }}' },
    });
    expect(raw.status).toBe(422);
    expect(raw.body.detail).toContain('raw');

    // A branch the samples never take is still parsed: no include/render/layout anywhere, since
    // running them would quote the name looked up, which a template can make the live link.
    for (const tag of ['include', 'render', 'layout']) {
      const hidden = await h.call('PUT', '/v1/organizations/acme/email-templates/en', {
        body: {
          ...GERMAN,
          html: `{% if accept_url contains "SAMPLE" %}<a href="{{ accept_url }}">x</a>{% else %}{% ${tag} accept_url %}{% endif %}`,
        },
      });
      expect([tag, hidden.status, hidden.body.code]).toEqual([tag, 422, 'invalid_template']);
      expect(hidden.body.detail).toContain(`the ${tag} tag is not available`);
    }

    const runaway = await h.call('PUT', '/v1/organizations/acme/email-templates/en', {
      body: { ...GERMAN, text: '{{ accept_url }}{% for i in (1..100000000) %}{{ i }}{% endfor %}' },
    });
    expect(runaway.status).toBe(422);
  });

  it('refuses a template without the accept link', async () => {
    const missing = await h.call('PUT', '/v1/organizations/acme/email-templates/en', {
      body: { ...GERMAN, text: 'Welcome to {{ organization.name }}' },
    });
    expect(missing.status).toBe(422);
    expect(missing.body.code).toBe('accept_link_missing');
    expect(missing.body.errors).toEqual([{ pointer: '/body/text', detail: 'no {{ accept_url }}' }]);
    const onlyForReminders = await h.call('PUT', '/v1/organizations/acme/email-templates/en', {
      body: { ...GERMAN, html: '{% if kind == "reminder" %}{{ accept_url }}{% endif %}' },
    });
    expect(onlyForReminders.status).toBe(422);
    const draft = await h.call('POST', '/v1/organizations/acme/email-templates/en/preview', {
      body: { template: { ...GERMAN, html: 'no link' } },
    });
    expect(draft.status).toBe(422);
  });

  it('refuses branding that could inject headers or load insecure images', async () => {
    for (const body of [
      { sender_name: 'Acme\r\nBcc: victim@example.com' },
      { sender_name: 'Acme <evil@example.com>' },
      { logo_url: 'http://acme.test/logo.png' },
      { logo_url: 'javascript:alert(1)' },
      { primary_color: 'red;background:url(x)' },
    ]) {
      const response = await h.call('PUT', '/v1/organizations/acme/email-branding', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('keeps each organization its own: other tenants get 404, members without admin 403', async () => {
    const stranger = await h.user('stranger@example.com');
    const own = await h.call('POST', '/v1/organizations', {
      key: stranger.key,
      body: { slug: 'globex', name: 'Globex' },
    });
    expect(own.status).toBe(201);
    await h.call('PUT', '/v1/organizations/acme/email-templates/fr', { body: GERMAN });
    for (const [method, url, body] of [
      ['GET', '/v1/organizations/acme/email-templates/fr', undefined],
      ['PUT', '/v1/organizations/acme/email-templates/fr', GERMAN],
      ['DELETE', '/v1/organizations/acme/email-templates/fr', undefined],
      ['POST', '/v1/organizations/acme/email-templates/fr/preview', {}],
      ['POST', '/v1/organizations/acme/email-templates/fr/test', undefined],
      ['GET', '/v1/organizations/acme/email-branding', undefined],
    ] as const) {
      const response = await h.call(method, url, { key: stranger.key, body });
      expect(response.status, `${method} ${url}`).toBe(404);
    }
    const member = await h.user('member@example.com', 'member');
    const asMember = await h.call('GET', '/v1/organizations/acme/email-templates/fr', { key: member.key });
    expect(asMember.status).toBe(403);
    // Their own organization has no template: the built-in one.
    const theirs = await h.call('GET', '/v1/organizations/globex/email-templates/fr', { key: stranger.key });
    expect(theirs.status).toBe(404);
    expect(theirs.body.code).toBe('email_template_not_found');
    expect((await h.call('GET', '/v1/organizations/acme/email-templates/fr')).body.subject).toBe(
      GERMAN.subject,
    );
    expect((await h.call('GET', '/v1/organizations/acme/email-templates/xx')).status).toBe(400);
  });

  it('limits test sends per organization', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await h.call('POST', '/v1/organizations/acme/email-templates/en/test')).status);
    }
    // One was sent in an earlier test; five per hour.
    expect(statuses).toEqual([202, 202, 202, 202, 429, 429]);
    await delivery.worker.drain();
  });

  it('limits template renders per organization, so one cannot stall the others', async () => {
    for (const slug of ['render-a', 'render-b']) {
      expect((await h.call('POST', '/v1/organizations', { body: { slug, name: slug } })).status).toBe(201);
    }
    const draft = { template: { subject: 's', html: '<p>{{ accept_url }}</p>', text: '{{ accept_url }}' } };
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      const preview = await h.call('POST', '/v1/organizations/render-a/email-templates/en/preview', {
        body: draft,
      });
      statuses.push(preview.status);
      if (preview.status === 429) expect(preview.headers['retry-after']).toBeDefined();
    }
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(200));
    expect(statuses[30]).toBe(429);
    const other = await h.call('POST', '/v1/organizations/render-b/email-templates/en/preview', {
      body: draft,
    });
    expect(other.status).toBe(200);
  });

  it("keeps users' text out of a template's links: no javascript:, data: or vbscript: survives", async () => {
    expect(
      (await h.call('POST', '/v1/organizations', { body: { slug: 'hrefs', name: 'Hrefs' } })).status,
    ).toBe(201);
    const template = {
      subject: 'Join',
      html: '<a href="{{ message }}">note</a> <a href="{{ inviter.name }}">who</a> {{ accept_url }}',
      text: '{{ message }} {{ accept_url }}',
    };
    for (const hostile of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<b>x</b>',
      'vbscript:x',
    ]) {
      const preview = await h.call('POST', '/v1/organizations/hrefs/email-templates/en/preview', {
        body: { template, data: { message: hostile, inviter_name: hostile } },
      });
      expect(preview.status, hostile).toBe(200);
      expect(preview.body.html.toLowerCase()).not.toMatch(/href="\s*(javascript|data|vbscript)\s*:/);
      expect(preview.body.html).toContain('[link removed]');
    }
    // Dots that only look different, and text-direction tricks, do not get through either.
    for (const [hostile, shown] of [
      ['evil\u3002com/login', 'evil\u200B.com/login'],
      ['evil\uFF0Ecom', 'evil\u200B.com'],
      ['\u202Egnp.exe\u202C reversed', 'gnp\u200B.exe reversed'],
    ]) {
      const preview = await h.call('POST', '/v1/organizations/hrefs/email-templates/en/preview', {
        body: { template, data: { message: hostile! } },
      });
      expect(preview.body.text, hostile).toContain(shown);
    }
    // Ordinary words before a colon stay as they were written.
    const plain = await h.call('POST', '/v1/organizations/hrefs/email-templates/en/preview', {
      body: { template, data: { message: 'Bring your data: we start at nine' } },
    });
    expect(plain.body.text).toContain('Bring your data: we start at nine');
  });

  it("lists a combined invitation's resources, in the built-in email and to a template", async () => {
    expect(
      (await h.call('POST', '/v1/organizations', { body: { slug: 'combo', name: 'Combo' } })).status,
    ).toBe(201);
    const resource = async (name: string) =>
      (await h.call('POST', '/v1/organizations/combo/resources', { body: { type: 'dataset', name } })).body
        .id;
    const grants = [
      { resource_id: await resource('Alpha'), actions: ['read', 'write'] },
      { resource_id: await resource('beta.example.com'), actions: ['read'] },
    ];
    const invite = (email: string, locale: string) =>
      h.call('POST', '/v1/organizations/combo/invitations', {
        body: { email, role: 'member', locale, grants },
      });

    expect((await invite('both-en@example.com', 'en')).status).toBe(201);
    expect((await invite('both-fr@example.com', 'fr')).status).toBe(201);
    await delivery.worker.drain();
    const [en] = mailTo('both-en@example.com') as [ReceivedMail];
    expect(en.text).toContain('It also gives you access to:\n- dataset Alpha (read, write)\n');
    // A resource name that looks like a domain is not turned into a link.
    expect(en.text).toContain('- dataset beta\u200B.example\u200B.com (read)');
    expect(en.html).toContain('<li>dataset Alpha (read, write)</li>');
    const [fr] = mailTo('both-fr@example.com') as [ReceivedMail];
    expect(fr.text).toContain('Cette invitation vous donne aussi accès à :\n- dataset Alpha (read, write)');

    // A template loops over them; an organization invitation without grants sees an empty list.
    const template = {
      subject: 'Join {{ organization.name }}',
      html: '<ul>{% for grant in grants %}<li>{{ grant.name }}: {{ grant.actions }}</li>{% endfor %}</ul>{{ accept_url }}',
      text: '{{ grants.size }} extra: {% for grant in grants %}{{ grant.type }} {{ grant.name }};{% endfor %} {{ accept_url }}',
    };
    expect(
      (await h.call('PUT', '/v1/organizations/combo/email-templates/de', { body: template })).status,
    ).toBe(201);
    expect((await invite('both-de@example.com', 'de')).status).toBe(201);
    expect(
      (
        await h.call('POST', '/v1/organizations/combo/invitations', {
          body: { email: 'none-de@example.com', role: 'member', locale: 'de' },
        })
      ).status,
    ).toBe(201);
    await delivery.worker.drain();
    const [de] = mailTo('both-de@example.com') as [ReceivedMail];
    expect(de.html).toContain('<li>Alpha: read, write</li>');
    expect(de.text).toContain('2 extra: dataset Alpha;dataset beta\u200B.example\u200B.com;');
    expect((mailTo('none-de@example.com') as [ReceivedMail])[0].text).toContain('0 extra:  ');

    // An admin previews a combined invitation before any is sent.
    const preview = await h.call('POST', '/v1/organizations/combo/email-templates/en/preview', {
      body: { data: { role: 'member', grants: [{ type: 'dataset', name: 'Gamma', actions: ['read'] }] } },
    });
    expect(preview.status).toBe(200);
    expect(preview.body.text).toContain('It also gives you access to:\n- dataset Gamma (read)');
  });
});

describe("what the log says of an organization's template that failed on a live send", () => {
  it('names the part and place, never the engine message that can quote the link, whole or cut', async () => {
    const { renderOrganizationEmail, templateFailure } = await import(
      '../src/delivery/organization-email.ts'
    );
    const secret = 'sAjIESV5MYGlUN67N1k05BWkzqnXoRR724BZbx';
    const template = {
      subject: 'Join',
      html: '<a href="{{ accept_url }}">x</a>{% assign s = accept_url | split: "rsvp_it_" %}{{ organization[s[1]] }}',
      text: 'Accept: {{ accept_url }}',
    };
    const { source, error } = await renderOrganizationEmail(
      {
        kind: 'invitation',
        organizationName: 'Acme',
        inviterName: 'Olive',
        role: 'member',
        resource: null,
        actions: null,
        grants: [],
        message: null,
        expiresAt: new Date('2026-12-10T00:00:00Z'),
        acceptUrl: `https://rsvp.test/invite?token=rsvp_it_${secret}`,
      },
      'en',
      { template, branding: null },
    );
    expect(source).toBe('built_in');
    expect(error!.message).toContain(secret);
    expect(templateFailure(error!)).toMatch(/^the html template failed at line 1, column \d+$/);
  });
});
