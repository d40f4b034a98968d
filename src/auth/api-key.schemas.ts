import { z } from 'zod';
import { SCOPES } from '../access/principal.ts';

export const ScopeSchema = z.enum(SCOPES).meta({ id: 'Scope' });

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
  .meta({ id: 'ApiKey' });

export const ApiKeyWithSecretSchema = ApiKeySchema.extend({
  secret: z.string().describe('Shown once, now. rsvp keeps only its hash.'),
}).meta({ id: 'ApiKeyWithSecret' });

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
  .meta({ id: 'ApiKeyCreate' });

export const ApiKeyListSchema = z
  .object({ api_keys: z.array(ApiKeySchema), next_page_token: z.string().nullable() })
  .meta({ id: 'ApiKeyList' });
