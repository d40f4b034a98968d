import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../src/delivery/delivery.ts';
import { DAY } from '../src/lib/clock.ts';
import { DEFAULT_ABUSE_LIMITS } from '../src/lib/rate-limiter.ts';
import { cvatAppFor, deliveryFor, freePort, type Harness, harness } from './helpers.ts';
import { type ReceivedMail, startSmtpServer } from './smtp.ts';

// Sign-up with a confirmed address (issue 21): someone without an account, holding a join link,
// gives an address, gets a link by email, and only then has an account, signed in, back on the
// join link. Nobody learns from the form whether an address has an account.

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'correct horse battery';
const dns = new Map<string, string[][]>();

let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let delivery: Delivery;
let base: string;

beforeAll(async () => {
  smtp = await startSmtpServer();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  h = await harness({
    deps: {
      publicUrl: base,
      abuseLimits: { ...DEFAULT_ABUSE_LIMITS, signUpPerClient: { limit: 1000, windowMs: 3_600_000 } },
      resolveTxt: async (name) => {
        const records = dns.get(name);
        if (!records) throw Object.assign(new Error('ENODATA'), { code: 'ENODATA' });
        return records;
      },
    },
  });
  await h.app.listen({ host: '127.0.0.1', port });
  delivery = deliveryFor(h, { smtpUrl: smtp.url, publicUrl: base });
}, 60_000);

afterAll(async () => {
  await delivery?.stop();
  await smtp?.close();
  await h?.close();
});

const mailTo = (address: string) => smtp.received.filter((mail) => mail.to.includes(address));
const signUpLink = (mail: ReceivedMail) => {
  const match = /https?:\/\/\S+\/sign-up\?token=rsvp_su_\w+/.exec(mail.text);
  if (!match) throw new Error(`no sign-up link in: ${mail.text}`);
  return match[0];
};

/** A browser-like client: keeps cookies, reads each page's CSRF token, posts forms from our origin. */
function visitor() {
  const jar = new Map<string, string>();
  let csrf = '';
  const keep = (response: Response) => {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
  };
  const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  return {
    async get(path: string) {
      const response = await fetch(new URL(path, base), {
        headers: { cookie: cookie() },
        redirect: 'manual',
      });
      keep(response);
      const body = await response.text();
      csrf = /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? csrf;
      return { status: response.status, body };
    },
    /** A page's form; `api`: a console call instead, JSON with the CSRF token in its header. */
    async post(path: string, fields: Record<string, string>, options: { csrf?: string; api?: boolean } = {}) {
      const token = options.csrf ?? csrf;
      const response = await fetch(new URL(path, base), {
        method: 'POST',
        headers: {
          'content-type': options.api ? 'application/json' : 'application/x-www-form-urlencoded',
          ...(options.api ? { 'x-csrf-token': token } : { accept: 'text/html,application/xhtml+xml' }),
          cookie: cookie(),
          origin: base,
        },
        body: options.api
          ? JSON.stringify(fields)
          : new URLSearchParams({ csrf: token, ...fields }).toString(),
        redirect: 'manual',
      });
      keep(response);
      return {
        status: response.status,
        body: await response.text(),
        location: response.headers.get('location'),
      };
    },
  };
}

async function askForLink(email: string, join?: string) {
  const browser = visitor();
  await browser.get(join ? `/join?token=${join}` : '/sign-up');
  const answer = await browser.post('/sign-up/email', { email, ...(join ? { join } : {}) });
  return { browser, answer };
}

const basic = (email: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`,
});

/** A browser signed in to the console API with a password; `get` reads as that browser. */
async function apiSession(email: string, password: string) {
  const browser = visitor();
  const { body } = await browser.get('/v1/session');
  const signIn = await browser.post(
    '/v1/session',
    { email, password },
    { csrf: JSON.parse(body).csrf_token, api: true },
  );
  expect(signIn.status).toBe(200);
  return browser;
}

describe('sign-up with a confirmed address', () => {
  it('mails a link; the account exists only once it is opened, verified, and the link works once', async () => {
    const { answer } = await askForLink('new-person@example.com');
    expect(answer.status).toBe(202);
    expect(answer.body).toContain('Check your inbox');
    const user = () =>
      h.database.db
        .selectFrom('users')
        .selectAll()
        .where('email_canonical', '=', 'new-person@example.com')
        .executeTakeFirst();
    expect(await user()).toBeUndefined();

    await delivery.worker.drain();
    const [mail] = mailTo('new-person@example.com') as [ReceivedMail];
    expect(mail.subject).toBe('Your link to create an account or choose a new password');
    const link = new URL(signUpLink(mail));
    // The link's secret is stored only as its hash.
    const token = link.searchParams.get('token')!;
    const stored = await h.database.db.selectFrom('sign_ups').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(token);

    const browser = visitor();
    const form = await browser.get(link.pathname + link.search);
    expect(form.status).toBe(200);
    expect(form.body).toContain('Your account will use new-person@example.com.');
    const short = await browser.post('/sign-up', { token, password: 'short' });
    expect([short.status, short.body.includes('8 characters')]).toEqual([422, true]);
    const created = await browser.post('/sign-up', { token, password: PASSWORD, display_name: 'New Person' });
    expect(created.status).toBe(201);
    expect(await user()).toMatchObject({ email_verified: expect.anything(), display_name: 'New Person' });
    expect(Boolean((await user())!.email_verified)).toBe(true);
    // Signed in: the console's session answers as the new user.
    const session = await browser.get('/v1/session');
    expect(session.body).toContain('new-person@example.com');

    const again = await visitor().get(link.pathname + link.search);
    expect([again.status, again.body.includes('already used')]).toEqual([410, true]);
    const replay = visitor();
    await replay.get('/sign-up');
    expect((await replay.post('/sign-up', { token, password: PASSWORD })).status).toBe(410);
  });

  it('answers, writes and mails the same for an address with an account; there its owner sets a new password', async () => {
    const owner = await h.user('has-account@example.com');
    const oldPassword = basic('has-account@example.com', PASSWORD);
    const elsewhere = await apiSession('has-account@example.com', PASSWORD);
    const { answer } = await askForLink('has-account@example.com');
    const { answer: fresh } = await askForLink('no-account@example.com');
    expect(answer.status).toBe(fresh.status);
    expect(answer.body.replace('has-account', 'X')).toBe(fresh.body.replace('no-account', 'X'));
    // Nothing was looked up before answering: both sign-ups are written down alike.
    const written = await h.database.db
      .selectFrom('sign_ups')
      .select('email_canonical')
      .where('email_canonical', 'in', ['has-account@example.com', 'no-account@example.com'])
      .execute();
    expect(written).toHaveLength(2);
    await delivery.worker.drain();
    const [mail] = mailTo('has-account@example.com') as [ReceivedMail];
    expect(mail.subject).toBe(mailTo('no-account@example.com')[0]!.subject);

    const link = new URL(signUpLink(mail));
    const browser = visitor();
    const form = await browser.get(link.pathname + link.search);
    expect([form.status, form.body.includes('Choose a new password')]).toEqual([200, true]);
    expect(form.body).not.toContain('name="display_name"');
    const set = await browser.post('/sign-up', {
      token: link.searchParams.get('token')!,
      password: 'a new password',
    });
    expect([set.status, set.body.includes('Your password is set')]).toEqual([200, true]);
    expect((await h.call('GET', '/v1/me', { key: null, headers: oldPassword })).status).toBe(401);
    const newPassword = basic('has-account@example.com', 'a new password');
    expect((await h.call('GET', '/v1/me', { key: null, headers: newPassword })).status).toBe(200);
    // Other browsers are signed out; the owner's own API keys stay theirs.
    expect(JSON.parse((await elsewhere.get('/v1/session')).body).user).toBeNull();
    expect((await h.call('GET', '/v1/me', { key: owner.key })).status).toBe(200);
    const audit = await h.database.db
      .selectFrom('events')
      .select('data')
      .where('type', '=', 'user.password_set')
      .where('subject_id', '=', owner.id)
      .execute();
    expect(audit.map((row) => JSON.parse(String(row.data)))).toEqual([
      { via: 'sign_up', took_over_unproven_account: false, api_keys_revoked: 0 },
    ]);
  });

  it('lets the mailbox owner take over an account made from a handed-out link: its maker loses it', async () => {
    const mallory = await h.user('mallory@evil.example');
    await h.call('POST', '/v1/organizations', { key: mallory.key, body: { slug: 'evil', name: 'Evil' } });
    const handed = await h.call('POST', '/v1/organizations/evil/invitations', {
      key: mallory.key,
      body: { email: 'squatted@example.com', send_email: false },
    });
    const invitation = new URL(handed.body.accept_url).searchParams.get('token')!;
    const squatter = visitor();
    await squatter.get(`/invite?token=${invitation}`);
    const made = await squatter.post('/invite/sign-up', { token: invitation, password: 'mallorys password' });
    expect(made.status).toBe(303);
    const as = { key: null, headers: basic('squatted@example.com', 'mallorys password') };
    const key = await h.call('POST', '/v1/api-keys', { ...as, body: { name: 'kept' } });
    expect(key.status).toBe(201);
    // A token minted from the password (CVAT's login) must not outlive the takeover either.
    const cvat = cvatAppFor(h);
    const login = await cvat.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'squatted@example.com', password: 'mallorys password' },
    });
    expect(login.statusCode).toBe(200);
    const minted = JSON.parse(login.body).key as string;
    expect((await h.call('GET', '/v1/me', { key: minted })).status).toBe(200);
    expect(
      (await h.call('POST', '/v1/invitations/accept', { ...as, body: { token: invitation } })).status,
    ).toBe(200);
    // More organizations than the page names: it says there are more.
    for (let i = 0; i < 20; i++) {
      const made = await h.call('POST', '/v1/organizations', {
        ...as,
        body: { slug: `squat-${i}`, name: `Squat ${i}` },
      });
      expect(made.status).toBe(201);
    }

    // The real owner asks for a link: the form says nothing of the account, the link tells its owner.
    await askForLink('squatted@example.com');
    await delivery.worker.drain();
    const link = new URL(signUpLink(mailTo('squatted@example.com')[0]!));
    const owner = visitor();
    const form = await owner.get(link.pathname + link.search);
    expect(form.body).toContain('Make this account yours');
    const taken = await owner.post('/sign-up', {
      token: link.searchParams.get('token')!,
      password: 'the owners password',
      display_name: 'Real Owner',
    });
    expect([taken.status, taken.body.includes('This account is a member of ')]).toEqual([200, true]);
    expect(taken.body).toContain('and more: the console lists them all.');
    expect((await h.call('GET', '/v1/me', as)).status).toBe(401);
    expect((await h.call('GET', '/v1/me', { key: key.body.secret })).status).toBe(401);
    expect((await h.call('GET', '/v1/me', { key: minted })).status).toBe(401);
    await cvat.close();
    expect(JSON.parse((await squatter.get('/v1/session')).body).user).toBeNull();
    const account = await h.database.db
      .selectFrom('users')
      .select(['email_verified', 'display_name'])
      .where('email_canonical', '=', 'squatted@example.com')
      .executeTakeFirstOrThrow();
    expect([Boolean(account.email_verified), account.display_name]).toEqual([true, 'Real Owner']);
    expect(JSON.parse((await owner.get('/v1/session')).body).user.email).toBe('squatted@example.com');
  });

  it('answers a browser whose form the server could not read with a page in its language', async () => {
    const answer = await fetch(new URL('/sign-up/email', base), {
      method: 'POST',
      headers: { 'content-type': 'text/plain', accept: 'text/html', 'accept-language': 'fr', origin: base },
      body: 'email=x@example.com',
    });
    const text = await answer.text();
    expect([answer.status, answer.headers.get('content-type')]).toEqual([415, 'text/html; charset=utf-8']);
    expect(text).toContain('<h1>Un problème est survenu</h1>');
    expect(text).toContain('<a href="/sign-up">Retour</a>');
    expect(text).not.toContain('application/json');
    // The weights count: German preferred over English; a client that prefers JSON gets JSON.
    const weighted = await fetch(new URL('/sign-up/email', base), {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        accept: 'text/html',
        'accept-language': 'en;q=0.1, de;q=0.9',
        origin: base,
      },
      body: 'x',
    });
    expect(await weighted.text()).toContain('<h1>Etwas ist schiefgelaufen</h1>');
    const api = await fetch(new URL('/sign-up/email', base), {
      method: 'POST',
      headers: { 'content-type': 'text/plain', accept: 'application/json, text/html;q=0.1', origin: base },
      body: 'x',
    });
    expect([api.status, api.headers.get('content-type')]).toEqual([
      415,
      'application/problem+json; charset=utf-8',
    ]);
  });

  it('neither signs in nor sets a password for a deactivated account', async () => {
    const gone = await h.user('deactivated@example.com');
    await h.database.db
      .updateTable('users')
      .set({ status: 'deactivated' })
      .where('id', '=', gone.id)
      .execute();
    await askForLink('deactivated@example.com');
    await delivery.worker.drain();
    const link = new URL(signUpLink(mailTo('deactivated@example.com')[0]!));
    const browser = visitor();
    const opened = await browser.get(link.pathname + link.search);
    expect([opened.status, opened.body.includes('This account is deactivated')]).toEqual([403, true]);
    await browser.get('/sign-up');
    const posted = await browser.post('/sign-up', {
      token: link.searchParams.get('token')!,
      password: 'a new password',
    });
    expect([posted.status, posted.body.includes('This account is deactivated')]).toEqual([403, true]);
    const row = await h.database.db
      .selectFrom('users')
      .select('status')
      .where('id', '=', gone.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('deactivated');
  });

  it('answers an error, never "check your inbox", when the sign-up cannot be written', async () => {
    await sql`alter table sign_ups rename to sign_ups_away`.execute(h.database.db);
    try {
      const { answer } = await askForLink('unlucky@example.com');
      expect(answer.status).toBe(500);
      expect(answer.body).not.toContain('Check your inbox');
      // A page, as for any form a browser posts, not a problem+json document.
      expect(answer.body).toContain('<h1>Something went wrong</h1>');
      expect(answer.body).toContain('<a href="/sign-up">Back</a>');
    } finally {
      await sql`alter table sign_ups_away rename to sign_ups`.execute(h.database.db);
    }
    expect((await askForLink('unlucky@example.com')).answer.status).toBe(202);
  });

  it('lets someone invited before they had an account sign up, even after that invitation went', async () => {
    const gone = await h.user('was-invited@example.com');
    await h.database.db
      .updateTable('users')
      .set({ status: 'deactivated', password_hash: null })
      .where('id', '=', gone.id)
      .execute();
    await askForLink('was-invited@example.com');
    await delivery.worker.drain();
    expect(mailTo('was-invited@example.com')).toHaveLength(1);
  });

  it('keeps what a visitor types out of harm: names, lengths, and where the account goes after', async () => {
    // A `join` value that is not a join link is dropped: the new account lands on its own page.
    const crafted = visitor();
    await crafted.get('/sign-up?join=https://evil.example/');
    expect(
      (await crafted.post('/sign-up/email', { email: 'crafted@example.com', join: 'https://evil.example/' }))
        .status,
    ).toBe(202);
    const row = await h.database.db
      .selectFrom('sign_ups')
      .select('sealed_join_token')
      .where('email_canonical', '=', 'crafted@example.com')
      .executeTakeFirstOrThrow();
    expect(row.sealed_join_token).toBeNull();

    await delivery.worker.drain();
    const link = new URL(signUpLink(mailTo('crafted@example.com')[0]!));
    const token = link.searchParams.get('token')!;
    const browser = visitor();
    await browser.get(link.pathname + link.search);
    const spoof = await browser.post('/sign-up', {
      token,
      password: PASSWORD,
      display_name: 'Owner\u202E (admin)',
    });
    expect([spoof.status, spoof.body.includes('text-direction')]).toEqual([422, true]);
    // Every character that hides or disguises text, not only the text-direction ones.
    for (const hidden of ['\u2060', '\u3164', '\u00AD', '\u2028', '\u{E0041}', '\u115F', '\u200B']) {
      const named = await browser.post('/sign-up', {
        token,
        password: PASSWORD,
        display_name: `Ow${hidden}ner`,
      });
      expect([hidden, named.status]).toEqual([hidden, 422]);
    }
    const long = await browser.post('/sign-up', { token, password: 'x'.repeat(300) });
    expect([long.status, long.body.includes('too long')]).toEqual([400, true]);
    expect(long.body).toContain('href="/sign-up"');
    const missing = await browser.post('/sign-up', { token });
    expect([missing.status, missing.body.includes('incomplete')]).toEqual([400, true]);
    // Emoji sequences, joiners and all, are a name like any other.
    const created = await browser.post('/sign-up', { token, password: PASSWORD, display_name: 'Ana 👩‍💻' });
    expect(created.status).toBe(201);
    const { display_name } = await h.database.db
      .selectFrom('users')
      .select('display_name')
      .where('email_canonical', '=', 'crafted@example.com')
      .executeTakeFirstOrThrow();
    expect(display_name).toBe('Ana 👩‍💻');
  });

  it('leads a dead link back to the join link it started from', async () => {
    const join = (await h.call('POST', '/v1/organizations/acme/join-links', { body: { role: 'member' } }))
      .body;
    await askForLink('comes-back@example.com', join.token);
    await delivery.worker.drain();
    const link = new URL(signUpLink(mailTo('comes-back@example.com')[0]!));
    const token = link.searchParams.get('token')!;
    const browser = visitor();
    await browser.get(link.pathname + link.search);
    const created = await browser.post('/sign-up', { token, password: PASSWORD });
    expect([created.status, created.location]).toEqual([
      303,
      `/join?token=${encodeURIComponent(join.token)}`,
    ]);
    const used = await visitor().get(link.pathname + link.search);
    expect(used.status).toBe(410);
    expect(used.body).toContain(`name="join" value="${join.token}"`);
  });

  it('refuses a form without its CSRF token, a bad address, an unknown or expired link, and floods', async () => {
    const browser = visitor();
    await browser.get('/sign-up');
    expect(
      (await browser.post('/sign-up/email', { email: 'x@example.com' }, { csrf: 'forged' })).status,
    ).toBe(403);
    const bad = await browser.post('/sign-up/email', { email: 'not an address' });
    expect([bad.status, bad.body.includes('not an email address')]).toEqual([422, true]);
    const unknown = await browser.get('/sign-up?token=rsvp_su_nothing');
    expect(unknown.status).toBe(404);

    await askForLink('late@example.com');
    await delivery.worker.drain();
    const late = new URL(signUpLink(mailTo('late@example.com')[0]!));
    h.clock.advance(DAY + 1000);
    const expired = await visitor().get(late.pathname + late.search);
    expect([expired.status, expired.body.includes('expired')]).toEqual([410, true]);

    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await askForLink('flood@example.com')).answer.status);
    expect(statuses).toEqual([202, 202, 202, 429]);
  });

  it('joins nothing by itself, but an address in a verified auto_join domain joins at once', async () => {
    await h.call('POST', '/v1/organizations', { body: { slug: 'domain-co', name: 'Domain Co' } });
    const added = await h.call('POST', '/v1/organizations/domain-co/domains', {
      body: { domain: 'domain-co.example', join_mode: 'auto_join' },
    });
    dns.set(added.body.txt_record.name, [[added.body.txt_record.value]]);
    expect(
      (await h.call('POST', '/v1/organizations/domain-co/domains/domain-co.example/verify')).status,
    ).toBe(200);
    await askForLink('worker@domain-co.example');
    await delivery.worker.drain();
    const link = new URL(signUpLink(mailTo('worker@domain-co.example')[0]!));
    const browser = visitor();
    await browser.get(link.pathname + link.search);
    const token = link.searchParams.get('token')!;
    const created = await browser.post('/sign-up', { token, password: PASSWORD });
    expect(created.status).toBe(201);
    expect(created.body).toContain('You are now a member of Domain Co, which verified your address domain.');
    const members = await h.call('GET', '/v1/organizations/domain-co/members');
    expect(members.body.members.map((m: { email: string }) => m.email)).toContain('worker@domain-co.example');
  });
});

describe('sign-up retention', () => {
  it('forgets sign-ups a week after their link expired, used or not', async () => {
    await askForLink('forgotten@example.com');
    const count = async () =>
      Number(
        (
          await h.database.db
            .selectFrom('sign_ups')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count()).toBeGreaterThan(0);
    h.clock.advance(DAY + 7 * DAY + 1000);
    await delivery.sweeper.runOnce();
    expect(await count()).toBe(0);
  });
});

const runInChromium = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

runInChromium('sign-up from a join link, in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  }, 60_000);
  afterAll(() => browser?.close());

  it('a newcomer asks for a link on the join page, opens it, chooses a password, and presses Join', async () => {
    const link = (await h.call('POST', '/v1/organizations/acme/join-links', { body: { role: 'member' } }))
      .body;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(link.url);
    await page.fill('form[action="/sign-up/email"] input[name=email]', 'walker@example.com');
    await page.click('form[action="/sign-up/email"] button');
    await page.getByText('Check your inbox').first().waitFor();

    await delivery.worker.drain();
    await page.goto(signUpLink(mailTo('walker@example.com')[0]!));
    await page.getByLabel('Your name').fill('Walker');
    await page.getByLabel(/Choose a password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    // Back on the join link, signed in as the new account: joining is still their own act.
    await page.waitForSelector('form[action="/join"] button');
    expect(await page.textContent('main')).toContain('Signed in as walker@example.com');
    const members = async () =>
      (await h.call('GET', '/v1/organizations/acme/members?page_size=100')).body.members.map(
        (m: { email: string }) => m.email,
      );
    expect(await members()).not.toContain('walker@example.com');
    await page.click('form[action="/join"] button');
    await page.getByText('You are now a member of Acme.').waitFor();
    expect(await members()).toContain('walker@example.com');
    await context.close();
  }, 60_000);
});
