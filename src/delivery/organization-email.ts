import {
  renderTemplate,
  TemplateError,
  type TemplateSource,
  type TemplateVariables,
} from '../email-templates/email-template.engine.ts';
import type { PreviewRenderer } from '../email-templates/email-template.service.ts';
import { LOCALES } from '../locales/locales.ts';
import {
  defang,
  type EmailLocale,
  formatDate,
  type InvitationEmailInput,
  type RenderedEmail,
  renderInvitationEmail,
} from './email-templates.ts';

/** An organization's branding, as far as rendering needs it. */
export interface Branding {
  logoUrl: string | null;
  primaryColor: string | null;
  senderName: string | null;
}

export const NO_ACCEPT_LINK = 'the rendered template has no accept link';

/**
 * What a log may say of an organization's template that failed for a live send: which part and
 * where, never the engine's message, which can quote what the template looked up — and a
 * template can make that the live link, whole or cut (outside tester).
 */
export function templateFailure(error: Error): string {
  if (error instanceof TemplateError) {
    const where = error.line === null ? '' : ` at line ${error.line}, column ${error.column}`;
    return `the ${error.field} template failed${where}`;
  }
  return error.message === NO_ACCEPT_LINK ? NO_ACCEPT_LINK : error.name;
}

export interface OrganizationEmail {
  email: RenderedEmail;
  source: 'organization' | 'built_in';
  /** Why the organization's template was not used although there is one. */
  error?: Error;
}

function variables(
  input: InvitationEmailInput,
  locale: EmailLocale,
  branding: Branding | null,
): TemplateVariables {
  return {
    kind: input.kind,
    locale,
    organization: { name: defang(input.organizationName) },
    inviter: { name: defang(input.inviterName) },
    role: input.role ? defang(input.role) : null,
    resource: input.resource
      ? { type: defang(input.resource.type), name: defang(input.resource.name) }
      : null,
    actions: input.actions ? defang(input.actions.join(', ')) : null,
    grants: input.grants.map((grant) => ({
      type: defang(grant.type),
      name: defang(grant.name),
      actions: defang(grant.actions.join(', ')),
    })),
    message: input.message ? defang(input.message, { multiline: true }) : null,
    expires_at: formatDate(input.expiresAt, locale),
    accept_url: input.acceptUrl,
    branding: {
      logo_url: branding?.logoUrl ?? null,
      primary_color: branding?.primaryColor ?? null,
      sender_name: branding?.senderName ?? null,
    },
  };
}

/**
 * The invitation email in the organization's template for the locale when it has one, else
 * the built-in one (with the organization's logo and colour). A template that fails to render,
 * or renders without the accept link, falls back to the built-in one too, and says why.
 */
export async function renderOrganizationEmail(
  input: InvitationEmailInput,
  locale: EmailLocale,
  custom: { template: TemplateSource | null | undefined; branding: Branding | null | undefined },
): Promise<OrganizationEmail> {
  const branding = custom.branding ?? null;
  let error: Error | undefined;
  if (custom.template) {
    try {
      const rendered = await renderTemplate(custom.template, variables(input, locale, branding));
      if (rendered.html.includes(input.acceptUrl) && rendered.text.includes(input.acceptUrl)) {
        return { email: { ...rendered, locale }, source: 'organization' };
      }
      error = new Error(NO_ACCEPT_LINK);
    } catch (caught) {
      error = caught as Error;
    }
  }
  const look = { logoUrl: branding?.logoUrl ?? null, primaryColor: branding?.primaryColor ?? null };
  return {
    email: renderInvitationEmail(input, locale, look),
    source: 'built_in',
    ...(error ? { error } : {}),
  };
}

/** Data for previews and test sends: a made-up invitation in the organization, or the caller's data. */
export function sampleInvitation(options: {
  organizationName: string;
  inviterName: string;
  publicUrl: string;
  now: Date;
  data?:
    | {
        kind?: 'invitation' | 'reminder' | undefined;
        inviter_name?: string | undefined;
        role?: string | undefined;
        resource?: { type: string; name: string } | undefined;
        actions?: string[] | undefined;
        grants?: { type: string; name: string; actions: string[] }[] | undefined;
        message?: string | undefined;
      }
    | undefined;
}): InvitationEmailInput {
  const data = options.data ?? {};
  return {
    kind: data.kind ?? 'invitation',
    organizationName: options.organizationName,
    inviterName: data.inviter_name ?? options.inviterName,
    role: data.resource ? null : (data.role ?? 'member'),
    resource: data.resource ?? null,
    actions: data.resource ? (data.actions ?? ['read']) : null,
    grants: data.resource ? [] : (data.grants ?? []),
    message: data.message ?? null,
    expiresAt: new Date(options.now.getTime() + 7 * 24 * 3_600_000),
    // A link of the right shape that accepts nothing: the token is not a real one.
    acceptUrl: new URL('/invite?token=rsvp_it_EXAMPLE', options.publicUrl).toString(),
  };
}

/** The test send's subject marks it as a test, in the locale. */
export function testSubject(subject: string, locale: EmailLocale): string {
  return `${LOCALES[locale]!.email.testPrefix}${subject}`;
}

/**
 * The From header with the organization's sender name before MAIL_FROM's address. The name
 * cannot hold line breaks, `<`, `>`, `"` or `\` (refused when set), and is quoted here, so it
 * cannot add a header or an address; nodemailer encodes non-ASCII names.
 */
export function senderFrom(mailFrom: string, senderName: string | null | undefined): string {
  if (!senderName) return mailFrom;
  const address = /<([^<>]+)>\s*$/.exec(mailFrom)?.[1] ?? mailFrom.trim();
  const name = senderName.replace(/[\p{Cc}\u2028\u2029<>"\\]/gu, '');
  return `"${name}" <${address}>`;
}

/** Previews for `EmailTemplateService`: the same rendering as a send, with sample or given data. */
export function previewRenderer(publicUrl: string, clock: { now(): Date }): PreviewRenderer {
  return async (args) => {
    const input = sampleInvitation({ ...args, publicUrl, now: clock.now(), data: args.data });
    const { email, source } = await renderOrganizationEmail(input, args.locale, {
      template: args.template,
      branding: args.branding,
    });
    return { subject: email.subject, html: email.html, text: email.text, source };
  };
}
