import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  axeViolations,
  type ConsoleServer,
  runInChromium,
  signIn,
  startConsoleServer,
} from './console-server.ts';
import { startSmtpServer } from './smtp.ts';

// The console's email screen, used in German: a template per locale with its preview, its
// line-and-column errors, a test send through a real SMTP server, and the branding.

runInChromium('email templates and branding in the German console, in Chromium', () => {
  let server: ConsoleServer;
  let base: string;
  let browser: Browser;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    server = await startConsoleServer({ SMTP_URL: smtp.url });
    ({ base, browser } = server);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies as loose JSON.
  const api = async (path: string): Promise<any> =>
    (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${server.adminKey}` } })).json();

  it('edits, previews and test-sends a German template, shows its errors where they are, saves branding', async () => {
    const page = await browser.newPage();
    page.on('dialog', (dialog) => dialog.accept());
    page.setDefaultTimeout(8000);
    await signIn(page, base, 'admin@example.com');
    await page.getByLabel('Language').selectOption('de');
    await page.getByRole('link', { name: 'E-Mails' }).click();
    await page.getByRole('heading', { name: 'E-Mails', level: 1 }).waitFor();
    expect(await page.evaluate('document.documentElement.lang')).toBe('de');
    const picker = page.getByLabel('Sprache der E-Mail');
    await picker.waitFor();
    // The API's supported locales: the three locale files.
    const languages = (await picker.locator('option').allTextContents()).join(' ');
    for (const code of ['(en)', '(fr)', '(de)']) expect(languages).toContain(code);
    await page.getByLabel('Sprache der E-Mail').selectOption('de');
    await page.getByRole('heading', { name: 'Vorlage für de' }).waitFor();
    await page.getByText('Diese Sprache verwendet die eingebaute E-Mail').waitFor();

    await page.getByLabel('Betreff').fill('{{ inviter.name }} lädt Sie zu {{ organization.name }} ein');
    await page.getByLabel('HTML').fill('<p>Hallo!</p>\n<p>{% if inviter.name %}{{ accept_url }}</p>');
    await page.getByLabel('Nur-Text').fill('Willkommen bei {{ organization.name }}: {{ accept_url }}');
    await page.getByRole('button', { name: 'Speichern' }).first().click();
    await page.getByRole('alert').getByText('Die Vorlage lässt sich nicht verarbeiten').waitFor();
    await page
      .locator('#tpl-html-error')
      .getByText(/^Zeile 2, Spalte 4: /)
      .waitFor();
    expect(await page.getByLabel('HTML').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('HTML').getAttribute('aria-describedby')).toBe('tpl-html-error');
    expect(await axeViolations(page)).toEqual([]);

    await page
      .getByLabel('HTML')
      .fill('<p>Hallo von {{ inviter.name }}!</p>\n<p><a href="{{ accept_url }}">Einladung annehmen</a></p>');
    await page.getByRole('button', { name: 'Vorschau' }).click();
    await page.getByRole('heading', { name: 'Vorschau', level: 2 }).waitFor();
    const frame = page.frameLocator('iframe.email-preview');
    await frame.getByRole('link', { name: 'Einladung annehmen' }).waitFor();
    await frame.getByText(/^Hallo von /).waitFor();
    expect(await page.locator('iframe.email-preview').getAttribute('sandbox')).toBe('');
    await page
      .locator('pre.email-text')
      .getByText(/^Willkommen bei /)
      .waitFor();
    await page.getByText('dieser Entwurf').waitFor();

    await page.getByRole('button', { name: 'Speichern' }).first().click();
    await page.getByText('Vorlage für de gespeichert.').waitFor();
    const stored = await api('/v1/organizations/acme/email-templates/de');
    expect(stored.subject).toBe('{{ inviter.name }} lädt Sie zu {{ organization.name }} ein');

    await page.getByRole('button', { name: 'Test an mich senden' }).click();
    await page
      .getByText('Eine Test-E-Mail der gespeicherten Vorlage ist unterwegs an admin@example.com.')
      .waitFor();
    await expect
      .poll(() => smtp.received.find((m) => m.subject.includes('lädt Sie zu')), { timeout: 15_000 })
      .toMatchObject({ to: 'admin@example.com' });

    await page.getByLabel('Schaltflächenfarbe').fill('#0a7d32');
    await page.getByLabel('Absendername').last().fill('Acme Team');
    await page.getByLabel('Logo-URL').fill('https://acme.example/logo.png');
    await page.getByRole('button', { name: 'Markenauftritt speichern' }).click();
    await page.getByText('Gespeichert.', { exact: true }).waitFor();
    expect(await api('/v1/organizations/acme/email-branding')).toMatchObject({
      primary_color: '#0a7d32',
      sender_name: 'Acme Team',
      logo_url: 'https://acme.example/logo.png',
    });

    await page.getByRole('button', { name: 'Löschen (eingebaute E-Mail verwenden)' }).click();
    await page.getByText('Die Vorlage für de wurde gelöscht').waitFor();
    await page.getByText('Diese Sprache verwendet die eingebaute E-Mail').waitFor();
    await page.close();
  });

  it('fits 390 px in dark mode without axe violations', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    const page = await context.newPage();
    await signIn(page, base, 'admin@example.com');
    await page.goto(`${base}/console#/templates`);
    await page.getByRole('heading', { name: 'Emails', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Branding (every language)' }).waitFor();
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('heading', { name: 'Preview', level: 2 }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });
});
