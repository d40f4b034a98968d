import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './helpers.ts';

// /docs as a new user meets it: a real Chromium opens the API reference of a listening server
// and sees the operations, with no console error and no request leaving the machine.

const CHROMIUM = '/usr/bin/chromium';

describe('the API reference at /docs', () => {
  let h: Harness;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    h = await harness();
    base = await h.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('renders the operations from node_modules, without console errors or any non-loopback request', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    const foreign: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    // Anything not on this listener is refused, and recorded.
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === 'data:' || url.origin === base) return route.continue();
      foreign.push(url.href);
      return route.abort();
    });

    const response = await page.goto(`${base}/docs`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('rsvp API reference');
    // Operation names and sections, as the reader scans them.
    await page.getByText('Create an organization').first().waitFor({ timeout: 30_000 });
    // biome-ignore lint/performance/useDomNodeTextContent: the text a reader sees, not hidden nodes' text.
    const text = await page.locator('body').innerText();
    for (const expected of [
      'rsvp API',
      'Invitations',
      'Invitee',
      'Webhooks',
      'Operations',
      'Download OpenAPI Document',
    ])
      expect(text).toContain(expected);
    // A collapsed section opens on a click and shows its operations.
    await page
      .getByRole('button', { name: /Invitee/ })
      .first()
      .click();
    await page.getByText('Preview an invitation by its link token').first().waitFor({ timeout: 10_000 });
    expect(text).not.toContain('swagger');
    await page.waitForLoadState('networkidle');

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
