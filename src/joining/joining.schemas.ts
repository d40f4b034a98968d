import { z } from 'zod';
import { Actions } from '../invitations/invitation.schemas.ts';
import { DomainName, RoleName } from '../organizations/organization.schemas.ts';

/** Join links live from 1 hour to 90 days: long enough to post in a channel, short enough to lapse. */
export const MIN_LINK_TTL_SECONDS = 3600;
export const MAX_LINK_TTL_SECONDS = 90 * 86400;
export const DEFAULT_LINK_TTL_SECONDS = 7 * 86400;

/** The examples the OpenAPI document shows. */
const ORG = 'org_01JQ8Z5M4X2B7D9F3H6K8N1Q4S';
const JOIN_LINK_EXAMPLE = {
  id: 'jl_01JQ8ZC3D4E5F6G7H8J9K0L1M2',
  organization_id: ORG,
  role: 'member',
  resource_id: null,
  actions: null,
  description: 'Posted in #research',
  status: 'active' as const,
  max_uses: 50,
  use_count: 3,
  allowed_domain: 'acme.com',
  requires_approval: true,
  created_by: 'usr_01JQ8Z4K2M7P3R5T9V1X3Z6B8D',
  create_time: '2025-07-01T09:00:00.000Z',
  expire_time: '2025-07-08T09:00:00.000Z',
  rotate_time: null,
  revoke_time: null,
  last_use_time: '2025-07-01T12:00:00.000Z',
};
const JOIN_REQUEST_EXAMPLE = {
  id: 'jr_01JQ8ZA1B2C3D4E5F6G7H8J9K0',
  organization_id: ORG,
  user_id: 'usr_01JQ8ZD4E5F6G7H8J9K0L1M2N3',
  email: 'ada@acme.com',
  display_name: 'Ada Lovelace',
  role: 'member',
  resource_id: null,
  actions: null,
  source: 'link' as const,
  join_link_id: JOIN_LINK_EXAMPLE.id,
  domain: null,
  status: 'pending' as const,
  reason: null,
  decided_by: null,
  create_time: '2025-07-01T12:00:00.000Z',
  decide_time: null,
};
const DOMAIN_EXAMPLE = {
  id: 'dom_01JQ8ZB2C3D4E5F6G7H8J9K0L1',
  organization_id: ORG,
  domain: 'acme.com',
  status: 'verified' as const,
  join_mode: 'offer' as const,
  role: 'member',
  requires_approval: false,
  txt_record: { name: '_rsvp-verification.acme.com', value: 'rsvp-verification=4f9aT3mQ8xZ2vK7p' },
  create_time: '2025-06-30T09:00:00.000Z',
  verify_time: '2025-06-30T09:05:00.000Z',
  check_time: '2025-06-30T09:05:00.000Z',
  check_error: null,
};
const JOIN_TOKEN_EXAMPLE = 'rsvp_jl_7Hk2Pq9Wm4Xz8Rt1Vb6Nc3Yd';

export const JoinLinkStatusSchema = z
  .enum(['active', 'exhausted', 'expired', 'revoked'])
  .meta({ id: 'JoinLinkStatus' });

export const JoinLinkCreateSchema = z
  .strictObject({
    role: RoleName.optional().describe(
      "Organization links: the role joiners get; the organization's default role when omitted.",
    ),
    resource_id: z.string().max(64).optional().describe('Resource links: the resource to share (`res_…`).'),
    actions: Actions.optional().describe('Resource links: the actions to grant on the resource.'),
    max_uses: z
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe('How many people may use it; unlimited when omitted.'),
    ttl_seconds: z
      .int()
      .min(MIN_LINK_TTL_SECONDS)
      .max(MAX_LINK_TTL_SECONDS)
      .optional()
      .describe('Lifetime from now: 1 hour to 90 days; 7 days by default.'),
    expire_time: z.iso.datetime().optional().describe('Alternative to ttl_seconds: an absolute expiry.'),
    allowed_domain: DomainName.optional().describe(
      'Only people whose account address is in this domain (or a subdomain) may use it.',
    ),
    requires_approval: z
      .boolean()
      .default(false)
      .describe('Using the link files a join request an admin approves, instead of joining at once.'),
    description: z
      .string()
      .trim()
      .max(200)
      .optional()
      .describe('A note for admins: where the link was posted.'),
  })
  .meta({
    id: 'JoinLinkCreate',
    examples: [
      {
        role: 'member',
        max_uses: 50,
        ttl_seconds: 604_800,
        allowed_domain: 'acme.com',
        requires_approval: true,
        description: 'Posted in #research',
      },
    ],
  });
export type JoinLinkInput = z.output<typeof JoinLinkCreateSchema>;

export const JoinLinkSchema = z
  .object({
    id: z.string().describe('`jl_…`'),
    organization_id: z.string(),
    role: z.string().nullable(),
    resource_id: z.string().nullable(),
    actions: z.array(z.string()).nullable(),
    description: z.string().nullable(),
    status: JoinLinkStatusSchema,
    max_uses: z.int().nullable(),
    use_count: z.int().describe('People who used it: joined, or asked to join.'),
    allowed_domain: z.string().nullable(),
    requires_approval: z.boolean(),
    created_by: z.string(),
    create_time: z.iso.datetime(),
    expire_time: z.iso.datetime(),
    rotate_time: z.iso.datetime().nullable(),
    revoke_time: z.iso.datetime().nullable(),
    last_use_time: z.iso.datetime().nullable(),
  })
  .meta({ id: 'JoinLink', examples: [JOIN_LINK_EXAMPLE] });

export const JoinLinkWithTokenSchema = JoinLinkSchema.extend({
  token: z
    .string()
    .describe('`rsvp_jl_…`: the link secret. Shown only now (and on rotation); rsvp stores only its hash.'),
  url: z
    .string()
    .describe(
      'The page to share: `<RSVP_PUBLIC_URL>/join?token=…`, where a signed-in person presses Join. Holds the token, so it is shown only now too.',
    ),
}).meta({
  id: 'JoinLinkWithToken',
  examples: [
    {
      ...JOIN_LINK_EXAMPLE,
      use_count: 0,
      last_use_time: null,
      token: JOIN_TOKEN_EXAMPLE,
      url: `https://rsvp.example.com/join?token=${JOIN_TOKEN_EXAMPLE}`,
    },
  ],
});

export const JoinLinkListSchema = z
  .object({ join_links: z.array(JoinLinkSchema), next_page_token: z.string().nullable() })
  .meta({ id: 'JoinLinkList', examples: [{ join_links: [JOIN_LINK_EXAMPLE], next_page_token: null }] });

export const JoinTokenBodySchema = z
  .strictObject({ token: z.string().min(1).max(200).describe('The join link secret, `rsvp_jl_…`.') })
  .meta({ id: 'JoinToken', examples: [{ token: JOIN_TOKEN_EXAMPLE }] });

export const JoinLinkPreviewSchema = z
  .object({
    organization: z.object({ id: z.string(), name: z.string() }),
    role: z.string().nullable(),
    resource: z.object({ id: z.string(), type: z.string(), name: z.string() }).nullable(),
    actions: z.array(z.string()).nullable(),
    requires_approval: z.boolean(),
    allowed_domain: z.string().nullable(),
    expire_time: z.iso.datetime(),
  })
  .meta({
    id: 'JoinLinkPreview',
    examples: [
      {
        organization: { id: ORG, name: 'Acme Corp' },
        role: 'member',
        resource: null,
        actions: null,
        requires_approval: true,
        allowed_domain: 'acme.com',
        expire_time: JOIN_LINK_EXAMPLE.expire_time,
      },
    ],
  });

export const JOIN_REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'joined'] as const;

export const JoinRequestSchema = z
  .object({
    id: z.string().describe('`jr_…`'),
    organization_id: z.string(),
    user_id: z.string(),
    email: z.string().optional(),
    display_name: z.string().nullable().optional(),
    role: z.string().nullable(),
    resource_id: z.string().nullable(),
    actions: z.array(z.string()).nullable(),
    source: z.enum(['link', 'domain']),
    join_link_id: z.string().nullable(),
    domain: z.string().nullable(),
    status: z
      .enum(JOIN_REQUEST_STATUSES)
      .describe('`joined`: no approval was needed; `approved`/`rejected`: an admin decided.'),
    reason: z.string().nullable(),
    decided_by: z.string().nullable(),
    create_time: z.iso.datetime(),
    decide_time: z.iso.datetime().nullable(),
  })
  .meta({ id: 'JoinRequest', examples: [JOIN_REQUEST_EXAMPLE] });

export const JoinRequestListSchema = z
  .object({ join_requests: z.array(JoinRequestSchema), next_page_token: z.string().nullable() })
  .meta({
    id: 'JoinRequestList',
    examples: [{ join_requests: [JOIN_REQUEST_EXAMPLE], next_page_token: null }],
  });

export const JoinResultSchema = z
  .object({
    status: z.enum(['joined', 'pending']).describe('`pending`: an admin must approve the request first.'),
    organization: z.object({ id: z.string(), name: z.string() }),
    join_request: JoinRequestSchema,
  })
  .meta({
    id: 'JoinResult',
    examples: [
      { status: 'pending', organization: { id: ORG, name: 'Acme Corp' }, join_request: JOIN_REQUEST_EXAMPLE },
    ],
  });

export const JoinDecisionSchema = z
  .strictObject({
    ids: z.array(z.string().max(64)).min(1).max(100).describe('Join requests to decide, `jr_…`.'),
    reason: z.string().trim().max(500).optional().describe('Told to the requester by email.'),
  })
  .meta({ id: 'JoinDecision', examples: [{ ids: [JOIN_REQUEST_EXAMPLE.id], reason: 'Welcome aboard.' }] });

export const DOMAIN_JOIN_MODES = ['none', 'offer', 'auto_join'] as const;
const JoinMode = z
  .enum(DOMAIN_JOIN_MODES)
  .describe(
    '`offer`: people with an address in the domain see the organization among their suggestions and ' +
      'may join; `auto_join`: accounts created with such an address join at once; `none`: neither.',
  );

export const DomainCreateSchema = z
  .strictObject({
    domain: DomainName,
    join_mode: JoinMode.default('offer'),
    role: RoleName.optional().describe("The role joiners get; the organization's default role when omitted."),
    requires_approval: z.boolean().default(false).describe('Joins through the domain wait for an admin.'),
  })
  .meta({
    id: 'DomainCreate',
    examples: [{ domain: 'acme.com', join_mode: 'offer', role: 'member', requires_approval: false }],
  });

export const DomainUpdateSchema = z
  .strictObject({
    join_mode: JoinMode.optional(),
    role: RoleName.optional(),
    requires_approval: z.boolean().optional(),
  })
  .meta({ id: 'DomainUpdate', examples: [{ join_mode: 'auto_join' }] });

export const DomainSchema = z
  .object({
    id: z.string().describe('`dom_…`'),
    organization_id: z.string(),
    domain: z.string(),
    status: z.enum(['pending', 'verified']),
    join_mode: z.enum(DOMAIN_JOIN_MODES),
    role: z.string(),
    requires_approval: z.boolean(),
    txt_record: z
      .object({ name: z.string(), value: z.string() })
      .describe('Publish this TXT record, then ask rsvp to verify.'),
    create_time: z.iso.datetime(),
    verify_time: z.iso.datetime().nullable(),
    check_time: z.iso.datetime().nullable(),
    check_error: z.string().nullable().describe('Why the last check failed.'),
  })
  .meta({ id: 'Domain', examples: [DOMAIN_EXAMPLE] });

export const DomainListSchema = z
  .object({ domains: z.array(DomainSchema) })
  .meta({ id: 'DomainList', examples: [{ domains: [DOMAIN_EXAMPLE] }] });

export const SuggestedOrganizationSchema = z
  .object({
    organization: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
    domain: z.string(),
    role: z.string(),
    requires_approval: z.boolean(),
  })
  .meta({ id: 'SuggestedOrganization' });

export const SuggestedOrganizationListSchema = z
  .object({ organizations: z.array(SuggestedOrganizationSchema) })
  .meta({
    id: 'SuggestedOrganizationList',
    examples: [
      {
        organizations: [
          {
            organization: { id: ORG, slug: 'acme', name: 'Acme Corp' },
            domain: 'acme.com',
            role: 'member',
            requires_approval: false,
          },
        ],
      },
    ],
  });
