import { z } from 'zod';
import { DEFAULT_ROLES } from '../access/roles.ts';
import { DAY, HOUR } from '../lib/clock.ts';
import { SUPPORTED_LOCALES } from '../locales/locales.ts';

export const MIN_TTL_SECONDS = HOUR / 1000;
export const MAX_TTL_SECONDS = (30 * DAY) / 1000;
export const DEFAULT_TTL_SECONDS = (7 * DAY) / 1000;

export const Slug = z
  .string()
  .min(2)
  .max(63)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'lower-case letters, digits and inner hyphens')
  .describe('URL-safe unique name.');

// `overwrite`, not a transform: responses are encoded through the same schema (a one-way
// transform made every organization with a listed domain answer 500), and the OpenAPI
// document keeps the examples of the request bodies that hold it.
export const DomainName = z
  .string()
  .max(253)
  .overwrite((d) => d.trim().toLowerCase().replace(/^@/, ''))
  .regex(/^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/, 'a domain name such as example.com');

/** `EN` → `en`, `pt-br` → `pt-BR`, `zh-hant` → `zh-Hant`: the case BCP 47 recommends. */
export function canonicalLanguageTag(tag: string): string {
  return tag
    .split('-')
    .map((part, index) => {
      if (index === 0) return part.toLowerCase();
      if (part.length === 2) return part.toUpperCase();
      if (part.length === 4) return part[0]!.toUpperCase() + part.slice(1).toLowerCase();
      return part.toLowerCase();
    })
    .join('-');
}

/**
 * A well-formed BCP 47 tag, stored in its canonical case. Tags of languages without a locale
 * file are kept (emails and pages fall back to English; docs/decisions.md, Locales).
 */
export const LanguageTag = z
  .string()
  .max(35)
  .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'a BCP 47 language tag such as en or pt-BR')
  .overwrite(canonicalLanguageTag);

export const RoleName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_-]*$/, 'lower-case letters, digits, _ and -');

export const RoleDefinitionSchema = z
  .strictObject({
    name: RoleName,
    rank: z
      .int()
      .min(0)
      .max(1000)
      .describe('Higher ranks hold more power; nobody grants a rank above their own.'),
    admin: z.boolean().describe('Admin roles invite people, manage members and change settings.'),
    description: z.string().max(500).optional(),
  })
  .meta({ id: 'RoleDefinition' });

export const OrganizationSettingsSchema = z
  .strictObject({
    default_ttl_seconds: z
      .int()
      .min(MIN_TTL_SECONDS)
      .max(MAX_TTL_SECONDS)
      .default(DEFAULT_TTL_SECONDS)
      .describe('Lifetime of a new invitation unless it sets its own: 1 hour to 30 days; 7 days by default.'),
    allowed_email_domains: z
      .array(DomainName)
      .max(500)
      .default([])
      .describe('When not empty, only these domains (and their subdomains) may be invited.'),
    blocked_email_domains: z
      .array(DomainName)
      .max(500)
      .default([])
      .describe('These domains may never be invited.'),
    seat_limit: z
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe('Members plus pending invitations may not exceed this; null means no limit.'),
    max_pending_invitations: z
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe('Most pending invitations at once; null means no limit.'),
    max_sends_per_invitation: z
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe('How many times one invitation may be sent, first send and resends together.'),
    locale: LanguageTag.default('en').describe(
      `Language of emails and pages unless an invitation sets its own; supported: ${SUPPORTED_LOCALES.join(', ')} (any other falls back to English).`,
    ),
    app_url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .nullable()
      .default(null)
      .describe(
        'Where invitees land after accepting. Its origin must be in the instance allow-list ' +
          '(`APP_URL_ALLOWED_ORIGINS`); null shows a confirmation page instead.',
      ),
    reminder_before_expiry_seconds: z
      .int()
      .min(MIN_TTL_SECONDS)
      .max(MAX_TTL_SECONDS)
      .nullable()
      .default(null)
      .describe('Email a reminder this long before a sent, unanswered invitation expires; null sends none.'),
    invitation_confirm: z
      .boolean()
      .default(true)
      .describe(
        "CVAT's ORG_INVITATION_CONFIRM, kept for its clients. Every invitee accepts, registered or " +
          'not: nobody becomes a member of an organization without an act of their own, so false ' +
          'changes nothing.',
      ),
    roles: z.array(RoleDefinitionSchema).min(1).max(50).default(DEFAULT_ROLES),
    default_role: RoleName.default('member').describe('Role given when an invitation names none.'),
  })
  .meta({ id: 'OrganizationSettings' });

export type OrganizationSettings = z.output<typeof OrganizationSettingsSchema>;

/**
 * The same fields without their defaults: a key the client left out stays absent, so the merge
 * keeps its current value (with defaults, every PATCH reset every setting it did not name).
 */
export const OrganizationSettingsPatchSchema = z
  .strictObject(
    Object.fromEntries(
      Object.entries(OrganizationSettingsSchema.shape).map(([key, field]) => [
        key,
        (field instanceof z.ZodDefault ? field.removeDefault() : field).optional(),
      ]),
    ) as unknown as {
      [K in keyof typeof OrganizationSettingsSchema.shape]: z.ZodOptional<z.ZodType<OrganizationSettings[K]>>;
    },
  )
  .meta({ id: 'OrganizationSettingsPatch' });

/** The examples the OpenAPI document shows (the reference and generated clients). */
const SETTINGS_EXAMPLE = {
  default_ttl_seconds: 604_800,
  allowed_email_domains: ['acme.com'],
  blocked_email_domains: [],
  seat_limit: 50,
  max_pending_invitations: null,
  max_sends_per_invitation: 10,
  locale: 'en',
  app_url: 'https://app.acme.com/welcome',
  reminder_before_expiry_seconds: 86_400,
  invitation_confirm: true,
  roles: DEFAULT_ROLES,
  default_role: 'member',
};
export const ORGANIZATION_EXAMPLE = {
  id: 'org_01JQ8Z5M4X2B7D9F3H6K8N1Q4S',
  slug: 'acme',
  name: 'Acme Corp',
  settings: SETTINGS_EXAMPLE,
  your_role: 'owner',
  create_time: '2025-06-30T08:00:00.000Z',
  update_time: '2025-07-01T09:00:00.000Z',
};

export const OrganizationSchema = z
  .object({
    id: z.string().describe('Organization id, `org_…`.'),
    slug: Slug,
    name: z.string(),
    settings: OrganizationSettingsSchema,
    your_role: z.string().nullable().describe("The caller's role in this organization."),
    create_time: z.iso.datetime(),
    update_time: z.iso.datetime(),
  })
  .meta({ id: 'Organization', examples: [ORGANIZATION_EXAMPLE] });
export type OrganizationView = z.output<typeof OrganizationSchema>;

export const OrganizationCreateSchema = z
  .strictObject({
    slug: Slug,
    name: z.string().trim().min(1).max(200),
    settings: OrganizationSettingsPatchSchema.optional(),
  })
  .meta({
    id: 'OrganizationCreate',
    examples: [
      { slug: 'acme', name: 'Acme Corp', settings: { allowed_email_domains: ['acme.com'], seat_limit: 50 } },
    ],
  });

export const OrganizationUpdateSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    settings: OrganizationSettingsPatchSchema.optional(),
  })
  .meta({
    id: 'OrganizationUpdate',
    examples: [{ name: 'Acme Corporation', settings: { default_ttl_seconds: 259_200 } }],
  });

export const OrganizationListSchema = z
  .object({ organizations: z.array(OrganizationSchema), next_page_token: z.string().nullable() })
  .meta({
    id: 'OrganizationList',
    examples: [{ organizations: [ORGANIZATION_EXAMPLE], next_page_token: null }],
  });

export const OrgParams = z.object({ org_id: z.string().describe('Organization id (`org_…`) or slug.') });
