import { z } from 'zod';
import { SUPPORTED_LOCALES } from '../locales/locales.ts';
import { TEMPLATE_LIMITS } from './email-template.engine.ts';

export const TemplateLocale = z
  .enum(SUPPORTED_LOCALES)
  .describe('A supported locale: one file each in src/locales/.');

export const EmailTemplateParams = z.object({
  org_id: z.string().describe('Organization id (`org_…`) or slug.'),
  locale: TemplateLocale,
});

const TEMPLATE_HELP =
  'Liquid. Variables: `kind` (invitation or reminder), `locale`, `organization.name`, `inviter.name`, ' +
  '`role`, `resource.type`, `resource.name` (resource is null for an organization invitation), `actions`, ' +
  "`grants` (a combined invitation's resources, each with `type`, `name` and `actions`; empty otherwise), " +
  '`message`, `expires_at`, `accept_url` (required in html and text), `branding.logo_url`, ' +
  '`branding.primary_color`, `branding.sender_name`. `actions`, and each grant\'s, are text joined with ", ".';

/** The examples the OpenAPI document shows. */
const TEMPLATE_EXAMPLE = {
  subject: 'Join {{ organization.name }} on Acme',
  html: '<p>{{ inviter.name }} invited you to {{ organization.name }}.</p><p><a href="{{ accept_url }}">Accept</a></p>',
  text: '{{ inviter.name }} invited you to {{ organization.name }}: {{ accept_url }}',
};
const STORED_TEMPLATE_EXAMPLE = {
  locale: 'en',
  ...TEMPLATE_EXAMPLE,
  create_time: '2025-06-30T12:00:00.000Z',
  update_time: '2025-07-01T08:00:00.000Z',
};
const BRANDING_EXAMPLE = {
  logo_url: 'https://cdn.acme.com/logo.png',
  primary_color: '#0b5fff',
  sender_name: 'Acme Research',
};

export const EmailTemplateInputSchema = z
  .strictObject({
    subject: z.string().min(1).max(TEMPLATE_LIMITS.subject).describe(`The subject line. ${TEMPLATE_HELP}`),
    html: z
      .string()
      .min(1)
      .max(TEMPLATE_LIMITS.html)
      .describe('The HTML body; every `{{ … }}` output is HTML-escaped.'),
    text: z.string().min(1).max(TEMPLATE_LIMITS.text).describe('The plain-text body.'),
  })
  .meta({ id: 'EmailTemplateBody', examples: [TEMPLATE_EXAMPLE] });

export const EmailTemplateSchema = z
  .object({
    locale: z.string(),
    subject: z.string(),
    html: z.string(),
    text: z.string(),
    create_time: z.iso.datetime(),
    update_time: z.iso.datetime(),
  })
  .meta({ id: 'EmailTemplate', examples: [STORED_TEMPLATE_EXAMPLE] });
export type EmailTemplateView = z.infer<typeof EmailTemplateSchema>;

export const EmailTemplateListSchema = z
  .object({
    templates: z.array(EmailTemplateSchema),
    supported_locales: z.array(z.string()).describe('Locales a template may be written for.'),
  })
  .meta({
    id: 'EmailTemplateList',
    examples: [{ templates: [STORED_TEMPLATE_EXAMPLE], supported_locales: ['en', 'fr'] }],
  });

const SenderName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine(
    (name) => !/[\p{Cc}\u2028\u2029<>"\\]/u.test(name),
    'no control characters, line breaks, <, >, " or \\',
  )
  .describe("Display name of the From header; the address stays the instance's MAIL_FROM.");

export const EmailBrandingInputSchema = z
  .strictObject({
    logo_url: z
      .url({ protocol: /^https$/, error: 'an https:// URL' })
      .max(2000)
      .nullable()
      .optional()
      .describe('An https image shown at the top of emails.'),
    primary_color: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb')
      .nullable()
      .optional()
      .describe('The colour of the accept button, `#rrggbb`.'),
    sender_name: SenderName.nullable().optional(),
  })
  .meta({ id: 'EmailBrandingBody', examples: [BRANDING_EXAMPLE] });

export const EmailBrandingSchema = z
  .object({
    logo_url: z.string().nullable(),
    primary_color: z.string().nullable(),
    sender_name: z.string().nullable(),
    update_time: z.iso.datetime().nullable().describe('Null while the organization has no branding.'),
  })
  .meta({
    id: 'EmailBranding',
    examples: [{ ...BRANDING_EXAMPLE, update_time: '2025-07-01T08:00:00.000Z' }],
  });

const PreviewData = z
  .strictObject({
    kind: z.enum(['invitation', 'reminder']).optional(),
    inviter_name: z.string().min(1).max(200).optional(),
    role: z.string().min(1).max(64).optional(),
    resource: z
      .strictObject({ type: z.string().min(1).max(64), name: z.string().min(1).max(200) })
      .optional(),
    actions: z.array(z.string().min(1).max(64)).max(50).optional(),
    grants: z
      .array(
        z.strictObject({
          type: z.string().min(1).max(64),
          name: z.string().min(1).max(200),
          actions: z.array(z.string().min(1).max(64)).min(1).max(50),
        }),
      )
      .max(20)
      .optional()
      .describe("A combined invitation's resources, with an organization role (not with `resource`)."),
    message: z.string().max(2000).optional(),
  })
  .describe('Invitation data to render with instead of the sample (the organization is always yours).');

export const EmailTemplatePreviewInputSchema = z
  .strictObject({
    template: EmailTemplateInputSchema.optional().describe(
      'A draft to render instead of the stored template; checked as a PUT would check it.',
    ),
    data: PreviewData.optional(),
  })
  .meta({
    id: 'EmailPreviewRequest',
    examples: [
      {
        template: TEMPLATE_EXAMPLE,
        data: { kind: 'invitation', inviter_name: 'Grace Hopper', role: 'member' },
      },
    ],
  });
export type PreviewInput = z.infer<typeof EmailTemplatePreviewInputSchema>;

export const EmailPreviewSchema = z
  .object({
    locale: z.string(),
    source: z
      .enum(['draft', 'organization', 'built_in'])
      .describe(
        'Which template rendered: the draft sent, the stored one, or the built-in one (none stored).',
      ),
    sender_name: z
      .string()
      .nullable()
      .describe("The From header's name, from the branding; null: MAIL_FROM's."),
    subject: z.string(),
    html: z.string(),
    text: z.string(),
  })
  .meta({
    id: 'EmailPreview',
    examples: [
      {
        locale: 'en',
        source: 'draft',
        sender_name: 'Acme Research',
        subject: 'Join Acme Corp on Acme',
        html: '<p>Grace Hopper invited you to Acme Corp.</p><p><a href="https://rsvp.acme.com/invite?token=rsvp_it_sample">Accept</a></p>',
        text: 'Grace Hopper invited you to Acme Corp: https://rsvp.acme.com/invite?token=rsvp_it_sample',
      },
    ],
  });

export const EmailTestSchema = z
  .object({
    to: z.string().describe('Your own address: a test goes only to the caller.'),
    locale: z.string(),
    message_id: z.string().describe('The outbox message carrying it.'),
  })
  .meta({
    id: 'EmailTest',
    examples: [{ to: 'grace@example.com', locale: 'en', message_id: 'msg_01JQ8Z9C4E6G8J0L2N4Q6S8U0W' }],
  });
