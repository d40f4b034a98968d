import { z } from 'zod';
import { ProblemSchema } from '../http/problem.schema.ts';
import { BULK_MAX } from './invitation.bulk.ts';
import {
  INVITATION_FILTER_FIELDS,
  INVITATION_STATUSES,
  InvitationCreatedSchema,
  InvitationResendSchema,
} from './invitation.schemas.ts';

/** The list's filters, as a JSON body. */
export const InvitationFilterSchema = z
  .strictObject({
    status: z
      .array(z.enum(INVITATION_STATUSES))
      .min(1)
      .optional()
      .describe('Bulk revoke: `pending` when omitted; bulk resend: `pending` and `expired`.'),
    ...INVITATION_FILTER_FIELDS,
  })
  .meta({ id: 'InvitationFilter' });
export type InvitationFilterInput = z.output<typeof InvitationFilterSchema>;

const selection = {
  ids: z
    .array(z.string().max(64))
    .min(1)
    .max(BULK_MAX)
    .optional()
    .describe(`Up to ${BULK_MAX} invitation ids; each is answered on its own (404 for one not found).`),
  filter: InvitationFilterSchema.optional().describe(
    `Every invitation of the organization that the list would show for these filters, oldest first; ` +
      `more than ${BULK_MAX} matches is refused (422 \`too_many_matches\`). Give \`ids\` or \`filter\`.`,
  ),
};

export const BulkRevokeSchema = z.strictObject(selection).meta({
  id: 'InvitationBulkRevoke',
  examples: [
    { ids: ['inv_01JQ8Z6V7C4T2N9W3X5Y8K1M0P'] },
    { filter: { status: ['pending'], q: '@old-vendor.com' } },
  ],
});
export const BulkResendSchema = InvitationResendSchema.extend(selection).meta({
  id: 'InvitationBulkResend',
  examples: [{ filter: { delivery_state: 'failed' }, send_email: true }],
});

export const BulkResultSchema = z
  .object({
    results: z.array(
      z.object({
        id: z.string(),
        status: z.int().describe('What acting on this invitation alone would have answered.'),
        invitation: InvitationCreatedSchema.optional(),
        error: ProblemSchema.omit({ request_id: true }).optional(),
      }),
    ),
    succeeded: z.int(),
    failed: z.int(),
  })
  .meta({
    id: 'InvitationBulkResult',
    examples: [
      {
        results: [
          { id: 'inv_01JQ8Z6V7C4T2N9W3X5Y8K1M0P', status: 200 },
          {
            id: 'inv_01JQ8ZF6G7H8J9K0L1M2N3P4Q5',
            status: 409,
            error: {
              type: '/problems/invitation_not_pending',
              title: 'Invitation not pending',
              status: 409,
              detail: 'This invitation was already accepted.',
              code: 'invitation_not_pending',
            },
          },
        ],
        succeeded: 1,
        failed: 1,
      },
    ],
  });
