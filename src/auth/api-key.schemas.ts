import { z } from 'zod';
import { SCOPES } from '../access/principal.ts';

export const ScopeSchema = z.enum(SCOPES).meta({ id: 'Scope' });

/** The example the OpenAPI document shows. */
const API_KEY_EXAMPLE = {
  id: 'key_01JQ8Z4P7T2W6Y0A4C8E2G6J9L',
  name: 'CI invitations',
  hint: 'rsvp_sk_4f9a',
  scopes: ['invitations:read', 'invitations:write'] as ('invitations:read' | 'invitations:write')[],
  create_time: '2025-06-30T08:05:00.000Z',
  expire_time: null,
  last_use_time: '2025-07-01T09:30:00.000Z',
  revoke_time: null,
};

export const ApiKeySchema = z
  .object({
    id: z.string().describe('Key id, `key_…`; also the username for HTTP Basic and the OAuth client_id.'),
    name: z.string(),
    hint: z.string().describe('The first characters of the secret, to tell keys apart.'),
    scopes: z.array(z.union([ScopeSchema, z.literal('*')])),
    create_time: z.iso.datetime(),
    expire_time: z.iso.datetime().nullable(),
    last_use_time: z.iso.datetime().nullable().describe('Updated at most once a minute.'),
    revoke_time: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiKey', examples: [API_KEY_EXAMPLE] });

export const ApiKeyWithSecretSchema = ApiKeySchema.extend({
  secret: z.string().describe('Shown once, now. rsvp keeps only its hash.'),
}).meta({
  id: 'ApiKeyWithSecret',
  examples: [{ ...API_KEY_EXAMPLE, last_use_time: null, secret: 'rsvp_sk_4f9aT3mQ8xZ2vK7pL1wN5bR9cY6dH0jE' }],
});

export const ApiKeyCreateSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    scopes: z
      .array(ScopeSchema)
      .min(1)
      .optional()
      .describe('What the key may do; every scope of its user when omitted.'),
    expire_time: z.iso.datetime().optional().describe('When the key stops working; never when omitted.'),
  })
  .meta({
    id: 'ApiKeyCreate',
    examples: [{ name: 'CI invitations', scopes: ['invitations:read', 'invitations:write'] }],
  });

export const ApiKeyListSchema = z
  .object({ api_keys: z.array(ApiKeySchema), next_page_token: z.string().nullable() })
  .meta({ id: 'ApiKeyList', examples: [{ api_keys: [API_KEY_EXAMPLE], next_page_token: null }] });
