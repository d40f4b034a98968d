import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../src/delivery/delivery.ts';
import { DAY } from '../src/lib/clock.ts';
import { DEFAULT_ABUSE_LIMITS } from '../src/lib/rate-limiter.ts';
import { deliveryFor, freePort, type Harness, harness } from './helpers.ts';
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
    async post(path: string, fields: Record<string, string>, options: { csrf?: string } = {}) {
      const response = await fetch(new URL(path, base), {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: cookie(),
          origin: base,
        },
        body: new URLSearchParams({ csrf: options.csrf ?? csrf, ...fields }).toString(),
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
  // The sign-up is recorded after the answer, so that its timing tells nothing.
  await h.services.signUps.idle();
  return { browser, answer };
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
    expect(mail.subject).toBe('Confirm your address to create your account');
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

  it('answers the same for an address with an account, and sends it nothing', async () => {
    await h.user('has-account@example.com');
    const { answer } = await askForLink('has-account@example.com');
    const { answer: fresh } = await askForLink('no-account@example.com');
    expect(answer.status).toBe(fresh.status);
    expect(answer.body.replace('has-account', 'X')).toBe(fresh.body.replace('no-account', 'X'));
    await delivery.worker.drain();
    expect(mailTo('has-account@example.com')).toEqual([]);
    expect(mailTo('no-account@example.com')).toHaveLength(1);
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
    await h.services.signUps.idle();
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
    const long = await browser.post('/sign-up', { token, password: 'x'.repeat(300) });
    expect([long.status, long.body.includes('too long')]).toEqual([400, true]);
    expect((await browser.post('/sign-up', { token, password: PASSWORD })).status).toBe(201);
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

    await h.services.signUps.idle();
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
