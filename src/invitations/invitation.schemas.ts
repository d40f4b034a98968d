import { z } from 'zod';
import { PageSize, PageToken } from '../http/pagination.ts';
import { ProblemSchema } from '../http/problem.schema.ts';
import {
  LanguageTag,
  MAX_TTL_SECONDS,
  MIN_TTL_SECONDS,
  RoleName,
} from '../organizations/organization.schemas.ts';
import {
  BATCH_CREATE_EXAMPLE,
  BATCH_RESULT_EXAMPLE,
  CREATE_EXAMPLE,
  INVITATION_EXAMPLE,
  PREVIEW_EXAMPLE,
  RECEIVED_EXAMPLE,
} from './invitation.examples.ts';
import { Metadata, PrivateMetadata, PublicMetadata } from './invitation.metadata.ts';

export const INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'revoked', 'expired'] as const;
export const InvitationStatusSchema = z
  .enum(INVITATION_STATUSES)
  .describe('New values may be added; treat unknown ones as terminal.')
  .meta({ id: 'InvitationStatus' });
export const DeliveryStateSchema = z
  .enum(['queued', 'sent', 'failed', 'not_sent'])
  .describe('`not_sent` when the caller delivers the link itself.')
  .meta({ id: 'DeliveryState' });

export const ActionName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_.:-]*$/, 'lower-case letters, digits and _ . : -');
export const Actions = z.array(ActionName).min(1).max(32);

export const RedirectUrl = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .describe(
    "Where the invitee lands after accepting on rsvp's invitation page; its origin must be in the " +
      "instance's APP_URL_ALLOWED_ORIGINS (422 `redirect_url_not_allowed`). The organization's `app_url` when omitted.",
  );

export const MAX_GRANTS = 20;
export const InvitationGrantInputSchema = z
  .strictObject({
    resource_id: z.string().describe('A resource of the organization (`res_…`).'),
    actions: Actions,
  })
  .meta({ id: 'InvitationGrantCreate' });
export const InvitationGrantSchema = z
  .object({ resource_id: z.string(), actions: z.array(z.string()) })
  .meta({ id: 'InvitationGrant' });

const Locale = LanguageTag;

export const TtlSeconds = z
  .int()
  .min(MIN_TTL_SECONDS)
  .max(MAX_TTL_SECONDS)
  .describe('Lifetime from now in seconds: 1 hour to 30 days.');

const invitationInputFields = {
  email: z
    .string()
    .max(320)
    .describe('Where the invitation goes. Validated within RFC 5321 limits; compared case-insensitively.'),
  role: RoleName.optional().describe(
    "Organization invitations: the role to grant; the organization's default role when omitted.",
  ),
  resource_id: z.string().optional().describe('Resource invitations: the resource to share (`res_…`).'),
  actions: Actions.optional().describe('Resource invitations: the actions to grant on the resource.'),
  ttl_seconds: TtlSeconds.optional(),
  expire_time: z.iso.datetime().optional().describe('Alternative to ttl_seconds: an absolute expiry.'),
  message: z.string().trim().max(2000).optional().describe('A personal note shown in the email.'),
  locale: Locale.optional(),
  metadata: Metadata.optional(),
  public_metadata: PublicMetadata.optional(),
  private_metadata: PrivateMetadata.optional(),
  redirect_url: RedirectUrl.optional(),
  grants: z
    .array(InvitationGrantInputSchema)
    .min(1)
    .max(MAX_GRANTS)
    .optional()
    .describe(
      `A combined invitation: the organization role (\`role\`, or the default) plus up to ${MAX_GRANTS} ` +
        'resource grants, accepted or declined as a whole. Not with `resource_id`.',
    ),
};

export const InvitationCreateSchema = z
  .strictObject({
    ...invitationInputFields,
    send_email: z
      .boolean()
      .default(true)
      .describe('false: send nothing and return `accept_url` once, for callers who deliver it themselves.'),
  })
  .meta({ id: 'InvitationCreate', examples: [CREATE_EXAMPLE] });

export const InvitationBatchRowSchema = z
  .strictObject(invitationInputFields)
  .meta({ id: 'InvitationBatchRow' });
export type InvitationRowInput = z.output<typeof InvitationBatchRowSchema>;

export const InvitationBatchCreateSchema = z
  .strictObject({
    invitations: z.array(InvitationBatchRowSchema).min(1).max(1000),
    send_email: z.boolean().default(true),
  })
  .meta({ id: 'InvitationBatchCreate', examples: [BATCH_CREATE_EXAMPLE] });

export const InvitationSchema = z
  .object({
    id: z.string().describe('`inv_…`'),
    organization_id: z.string(),
    target_type: z.enum(['organization', 'resource']),
    role: z.string().nullable(),
    resource_id: z.string().nullable(),
    actions: z.array(z.string()).nullable(),
    email: z.string().describe('As given; comparisons use its canonical form.'),
    invitee_user_id: z
      .string()
      .nullable()
      .describe(
        "The invitee's user id once the organization may know it: when the invitee answered, or is already a member (for example, invited onto a resource). Otherwise null, whether or not the address has an account: an invitation tells its inviter nothing about other people's accounts.",
      ),
    inviter_user_id: z.string(),
    inviter_api_key_id: z.string().nullable(),
    message: z.string().nullable(),
    locale: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    public_metadata: z.record(z.string(), z.unknown()),
    private_metadata: z.record(z.string(), z.unknown()),
    redirect_url: z.string().nullable(),
    grants: z
      .array(InvitationGrantSchema)
      .nullable()
      .describe(
        "A combined invitation's resource grants, given with its role on accept; null for the others.",
      ),
    status: InvitationStatusSchema,
    delivery_state: DeliveryStateSchema,
    delivery_error: z
      .string()
      .nullable()
      .describe(
        'Why the last delivery attempt failed: the final reason when `failed`, and the latest ' +
          'error while `queued` and retrying (see docs/reliability.md for the schedule). Null once sent.',
      ),
    send_count: z.int(),
    create_time: z.iso.datetime(),
    update_time: z.iso.datetime(),
    expire_time: z.iso.datetime(),
    last_send_time: z.iso.datetime().nullable(),
    respond_time: z.iso.datetime().nullable(),
    responded_by_user_id: z.string().nullable(),
    etag: z.string().describe('Send it back in If-Match to update only what you saw.'),
  })
  .meta({ id: 'Invitation', examples: [INVITATION_EXAMPLE] });
export type InvitationView = z.output<typeof InvitationSchema>;

export const InvitationCreatedSchema = InvitationSchema.extend({
  accept_url: z
    .string()
    .optional()
    .describe('Only when send_email was false, and only in this response: the link to deliver.'),
}).meta({
  id: 'InvitationCreated',
  examples: [{ ...INVITATION_EXAMPLE, delivery_state: 'queued', send_count: 0, last_send_time: null }],
});

export const InvitationBatchResultSchema = z
  .object({
    results: z.array(
      z.object({
        index: z.int().describe('Position of the row in the request.'),
        status: z.int().describe('What creating this row alone would have answered.'),
        invitation: InvitationCreatedSchema.optional(),
        error: ProblemSchema.omit({ request_id: true }).optional(),
      }),
    ),
    created: z.int(),
    failed: z.int(),
  })
  .meta({ id: 'InvitationBatchResult', examples: [BATCH_RESULT_EXAMPLE] });

export const InvitationUpdateSchema = z
  .strictObject({
    role: RoleName.optional(),
    actions: Actions.optional(),
    ttl_seconds: TtlSeconds.optional().describe('New lifetime counted from now.'),
    expire_time: z.iso.datetime().optional(),
    message: z.string().trim().max(2000).nullable().optional(),
    metadata: Metadata.optional().describe('Replaces the whole metadata object.'),
    public_metadata: PublicMetadata.optional().describe('Replaces the whole object.'),
    private_metadata: PrivateMetadata.optional().describe('Replaces the whole object.'),
    redirect_url: RedirectUrl.nullable().optional().describe("null: land on the organization's `app_url`."),
  })
  .meta({
    id: 'InvitationUpdate',
    examples: [{ role: 'admin', ttl_seconds: 259_200, metadata: { team: 'platform' } }],
  });
export type InvitationUpdateInput = z.output<typeof InvitationUpdateSchema>;

export const InvitationResendSchema = z
  .strictObject({
    send_email: z.boolean().default(true),
    ttl_seconds: TtlSeconds.optional().describe(
      "New lifetime from now; the organization's default when omitted.",
    ),
    locale: Locale.optional().describe('Send this time, and from now on, in this language.'),
  })
  .meta({ id: 'InvitationResend', examples: [{ send_email: true, ttl_seconds: 604_800 }] });

export const MAX_OFFSET = 10_000;

export const ORDER_BY = [
  'create_time',
  '-create_time',
  'expire_time',
  '-expire_time',
  'email',
  '-email',
] as const;

const csvList = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((value) => value.split(',').map((item) => item.trim()))
    .pipe(z.array(z.enum(values)).min(1));

/** Where a page starts: after a cursor, before one, or at an offset; at most one of them. */
const pagePosition = {
  page_size: PageSize,
  page_token: PageToken,
  before: z
    .string()
    .max(1000)
    .optional()
    .describe('`prev_page_token` of a page: the page before it, in the same order.'),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_OFFSET)
    .optional()
    .describe(
      `Skip this many matches (at most ${MAX_OFFSET}): for jumping to a page number near the start. ` +
        'Its cost grows with the offset; page deeper with `page_token`, whose cost does not.',
    ),
};
const PrevPageToken = z
  .string()
  .nullable()
  .describe('Pass it as `before` for the previous page; null on the first page.');

/** The filters of the list, shared by the bulk actions' `filter`. */
export const INVITATION_FILTER_FIELDS = {
  email: z.string().max(320).optional().describe('Exact address, compared canonically.'),
  q: z.string().min(1).max(200).optional().describe('Free text matched within the email address.'),
  inviter_id: z.string().optional(),
  target_type: z.enum(['organization', 'resource']).optional(),
  resource_id: z
    .string()
    .optional()
    .describe('Invitations that give this resource: onto it, or combined invitations granting it.'),
  role: z.string().max(64).optional(),
  delivery_state: DeliveryStateSchema.optional(),
  created_after: z.iso.datetime().optional(),
  created_before: z.iso.datetime().optional(),
};

export const InvitationListQuerySchema = z.object({
  status: csvList(INVITATION_STATUSES).optional().describe('One status or several, comma-separated.'),
  ...INVITATION_FILTER_FIELDS,
  order_by: z.enum(ORDER_BY).default('-create_time'),
  ...pagePosition,
  include_total_size: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('Also count every match (costs a second query).'),
});

export const InvitationListSchema = z
  .object({
    invitations: z.array(InvitationSchema),
    next_page_token: z.string().nullable(),
    prev_page_token: PrevPageToken,
    total_size: z.int().optional(),
  })
  .meta({
    id: 'InvitationList',
    examples: [
      {
        invitations: [INVITATION_EXAMPLE],
        next_page_token: 'eyJrIjoiMjAyNS0wNy0wMSJ9',
        prev_page_token: null,
        total_size: 42,
      },
    ],
  });

export const ReceivedInvitationSchema = z
  .object({
    id: z.string(),
    organization: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
    target_type: z.enum(['organization', 'resource']),
    role: z.string().nullable(),
    resource: z.object({ id: z.string(), type: z.string(), name: z.string() }).nullable(),
    actions: z.array(z.string()).nullable(),
    grants: z
      .array(
        z.object({
          resource: z.object({ id: z.string(), type: z.string(), name: z.string() }),
          actions: z.array(z.string()),
        }),
      )
      .nullable()
      .describe('A combined invitation: the resources it grants with its role (deleted ones left out).'),
    public_metadata: z.record(z.string(), z.unknown()),
    inviter_name: z.string().nullable(),
    message: z.string().nullable(),
    status: InvitationStatusSchema,
    create_time: z.iso.datetime(),
    expire_time: z.iso.datetime(),
  })
  .meta({ id: 'ReceivedInvitation', examples: [RECEIVED_EXAMPLE] });
export type ReceivedInvitationView = z.output<typeof ReceivedInvitationSchema>;

export const ReceivedInvitationListSchema = z
  .object({
    invitations: z.array(ReceivedInvitationSchema),
    next_page_token: z.string().nullable(),
    prev_page_token: PrevPageToken,
  })
  .meta({
    id: 'ReceivedInvitationList',
    examples: [{ invitations: [RECEIVED_EXAMPLE], next_page_token: null, prev_page_token: null }],
  });

export const MyInvitationsQuerySchema = z.object({
  status: csvList(INVITATION_STATUSES).optional(),
  ...pagePosition,
});

export const TokenBodySchema = z
  .strictObject({
    token: z
      .string()
      .min(1)
      .max(2000)
      .describe('The secret from the invitation link: an `rsvp_it_` token or an invitation JWT.'),
  })
  .meta({ id: 'InvitationToken', examples: [{ token: 'rsvp_it_9QmZ3xY7kP2wR5tV8nB4cD6fH1jL0sA' }] });

export const InvitationPreviewSchema = z
  .object({
    organization_name: z.string(),
    inviter_name: z.string().nullable(),
    role: z.string().nullable(),
    resource: z.object({ type: z.string(), name: z.string() }).nullable(),
    actions: z.array(z.string()).nullable(),
    grants: z
      .array(
        z.object({
          resource: z.object({ type: z.string(), name: z.string() }),
          actions: z.array(z.string()),
        }),
      )
      .optional()
      .describe('Only for a combined invitation: the resources it grants with its role.'),
    public_metadata: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Only when the invitation carries some.'),
    expire_time: z.iso.datetime(),
  })
  .describe('What an invitation link may tell anyone who holds it, and nothing more.')
  .meta({ id: 'InvitationPreview', examples: [PREVIEW_EXAMPLE] });

export const InvitationParams = z.object({ org_id: z.string(), invitation_id: z.string() });
export const InvitationIdParams = z.object({ invitation_id: z.string() });
