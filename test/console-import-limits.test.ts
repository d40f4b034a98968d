import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ConsoleServer, runInChromium, signIn, startConsoleServer } from './console-server.ts';

// What an outside tester found in the console's CSV import: at the inviter's daily limit a batch
// was refused whole though part of it still fitted, a file without an email column was shown as
// rows with "no email", an empty file as a preview of 0 rows, and the last import's results
// stayed under the next file's preview.

runInChromium('the console imports what a file and the limits allow, and says why not the rest', () => {
  let server: ConsoleServer;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    server = await startConsoleServer({ RATE_LIMIT_PER_INVITER: '5/86400' });
    ({ base, browser } = server);
  }, 60_000);

  afterAll(() => server?.close());

  async function importFile(page: Page, name: string, text: string) {
    await page.getByLabel(/Or upload a CSV/).setInputFiles({
      name,
      mimeType: 'text/csv',
      buffer: Buffer.from(text),
    });
  }

  it('sends the rows that fit under the daily limit and names the limit for the others', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    await signIn(page, base, 'admin@example.com');
    await page.getByRole('link', { name: 'Invite', exact: true }).click();
    await page.getByLabel('Copy links instead of sending emails').check();
    const rows = Array.from({ length: 8 }, (_, i) => `limited${i}@example.com`);
    await importFile(page, 'eight.csv', `email\n${rows.join('\n')}\n`);
    await page.getByText('Preview of eight.csv: 8 row(s)').waitFor();
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByText('5 invited, 3 not invited.').waitFor();
    const results = page.locator('table[aria-labelledby="results-title"] tbody tr');
    expect(await results.nth(4).textContent()).toMatch(/^6limited4@example\.com.*invited/);
    expect(await results.nth(5).textContent()).toMatch(
      /^7limited5@example\.com.*not invited.*your 5 invitations for this period/,
    );

    // The next file starts afresh, and says what is wrong with it as a whole.
    await importFile(page, 'mail.csv', 'mail,role\nsomeone@example.com,member\n');
    await page.getByRole('alert').filter({ hasText: 'no email column (its columns: mail, role)' }).waitFor();
    expect(await page.getByText('5 invited, 3 not invited.').count()).toBe(0);
    expect(await results.count()).toBe(0);
    await importFile(page, 'empty.csv', 'email\n');
    await page.getByRole('alert').filter({ hasText: 'no rows under its header' }).waitFor();
    await context.close();
  });
});
